"""Raw ICMP sockets: echo requests and replies, checksums, headers, unreachables, TTL."""

import itertools
import os
import time

from conformance.scenario import behaviour
from fixtures.endpoint import Endpoint, Socket
from reference_impl import icmp
from reference_impl.errors import OpError

# Identifiers only need to tell this process's requests from everyone else's on the host.
_IDENTIFIERS = itertools.count((os.getpid() * 7919) & 0xFFFF)
REQUEST = {"ipv4": icmp.ECHO_REQUEST, "ipv6": icmp.ECHO_REQUEST_V6}
REPLY = {"ipv4": icmp.ECHO_REPLY, "ipv6": icmp.ECHO_REPLY_V6}
SEATS = ("pinger",)


def new_identifier() -> int:
    return next(_IDENTIFIERS) & 0xFFFF


def request(run, identifier: int, sequence: int, payload: bytes, checksum: int | None = None) -> bytes:
    echo = icmp.Echo(REQUEST[run.family], 0, identifier, sequence, payload)
    return icmp.encode_echo(echo, v6_source=run.host, v6_destination=run.host, checksum=checksum)


def split(run, data: bytes):
    """(ICMP message, IPv4 header or None) of one raw receive."""
    if run.family == "ipv4":
        header = icmp.parse_ipv4_header(data)
        return data[header.header_length:], header
    return data, None


def await_icmp(run, endpoint: Endpoint, sock: Socket, wanted, timeout: float = 2.0):
    """The first ICMP message on ``sock`` that ``wanted`` accepts (raw sockets see the whole
    host's ICMP), or None when ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    with endpoint.summarised("receive ICMP until the one wanted arrives"):
        while (left := deadline - time.monotonic()) > 0:
            try:
                data, _ = endpoint.raw_recv(sock, timeout=left)
            except OpError as exc:
                if exc.code == "ETIMEDOUT":
                    return None
                raise
            message, header = split(run, data)
            if len(message) >= 8 and wanted(message):
                return message, header
    return None


def echo_of(kind: int, identifier: int):
    """Accepts echo messages of ``kind`` carrying ``identifier``."""
    def wanted(message: bytes) -> bool:
        return message[0] == kind and int.from_bytes(message[4:6], "big") == identifier
    return wanted


def is_reply_to(run, identifier: int, sequence: int):
    ours = echo_of(REPLY[run.family], identifier)

    def wanted(message: bytes) -> bool:
        return ours(message) and int.from_bytes(message[6:8], "big") == sequence
    return wanted


def raw_reply(run, sock: Socket, identifier: int, sequence: int, timeout: float = 2.0):
    """The raw packet (as delivered, header or not) carrying our reply, and its sender; or None."""
    deadline = time.monotonic() + timeout
    wanted = is_reply_to(run, identifier, sequence)
    with run.pinger.summarised("receive until our reply"):
        while (left := deadline - time.monotonic()) > 0:
            try:
                data, host = run.pinger.raw_recv(sock, timeout=left)
            except OpError as exc:
                if exc.code == "ETIMEDOUT":
                    return None
                raise
            offset = (data[0] & 0x0F) * 4 if data and data[0] >> 4 == 4 else 0  # judged, not assumed
            if len(data) >= offset + 8 and wanted(data[offset:]):
                return data, host
    return None


def ping(run, endpoint, sock, payload: bytes = b"sockspec", sequence: int = 1):
    identifier = new_identifier()
    endpoint.raw_send(sock, request(run, identifier, sequence, payload), run.host)
    return identifier, await_icmp(run, endpoint, sock, is_reply_to(run, identifier, sequence))


@behaviour("ICMP-ECHO-001", seats=SEATS)
def test_echo_reply_matches_its_request(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 7, b"match me"), run.host)
    got = await_icmp(run, run.pinger, sock, echo_of(REPLY[run.family], identifier))
    run.check("a reply with the request's identifier arrives", got is not None, equals=True)
    if got:
        echo = icmp.decode_echo(got[0])
        run.check("sequence and payload match", (echo.sequence, echo.payload), equals=(7, b"match me"))


@behaviour("ICMP-ECHO-002", seats=SEATS)
def test_echo_reply_checksum_is_valid(run):
    sock = run.pinger.raw_open(run.family)
    _, got = ping(run, run.pinger, sock)
    run.check("the reply arrives", got is not None, equals=True)
    if got:
        addresses = {} if run.family == "ipv4" else {"v6_source": run.host, "v6_destination": run.host}
        run.check("its checksum verifies", icmp.checksum_valid(got[0], **addresses), equals=True)


@behaviour("ICMP-ECHO-003", seats=SEATS)
def test_payloads_of_every_size_are_echoed(run):
    sock = run.pinger.raw_open(run.family)
    for size in (0, 56, 1472, 8192):
        payload = bytes(i % 251 for i in range(size))
        _, got = ping(run, run.pinger, sock, payload, sequence=size % 65536)
        run.check(f"{size}-byte payload echoed whole", got is not None and icmp.decode_echo(got[0]).payload == payload,
                  equals=True)


@behaviour("ICMP-ECHO-004", seats=SEATS, families=("ipv4",))
def test_bad_checksum_gets_no_reply(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    good = request(run, identifier, 9, b"corrupt")
    bad_checksum = int.from_bytes(good[2:4], "big") ^ 0x00FF
    run.pinger.raw_send(sock, request(run, identifier, 9, b"corrupt", checksum=bad_checksum), run.host)
    run.check("no reply arrives", await_icmp(run, run.pinger, sock, is_reply_to(run, identifier, 9), 0.3) is None,
              equals=True)
    _, got = ping(run, run.pinger, sock)
    run.check("a correct request still gets one", got is not None, equals=True)


@behaviour("ICMP-ECHO-005", seats=SEATS)
def test_ipv4_receive_includes_the_ip_header_icmpv6_does_not(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 5, b"headers"), run.host)
    got = raw_reply(run, sock, identifier, 5)
    first_bytes = got[0] if got else None
    expected = "IPv4 header (version 4, protocol 1)" if run.family == "ipv4" else "ICMPv6 echo reply (type 129)"
    seen = None
    if first_bytes is not None:
        if first_bytes[0] >> 4 == 4 and first_bytes[9] == 1:
            seen = "IPv4 header (version 4, protocol 1)"
        elif first_bytes[0] == icmp.ECHO_REPLY_V6:
            seen = "ICMPv6 echo reply (type 129)"
        else:
            seen = f"other (first byte {first_bytes[0]:#04x})"
    run.check("what the receive starts with", seen, equals=expected)


@behaviour("ICMP-ECHO-006", seats=SEATS, peers=("sender",))
def test_closed_udp_port_draws_port_unreachable(run):
    sock = run.pinger.raw_open(run.family)
    sender = run.sender.udp_bind(run.family, run.host)
    closed = run.free_port()
    run.sender.sendto(sender, b"anyone there?", run.addr(closed))
    unreachable = (icmp.DEST_UNREACHABLE, icmp.PORT_UNREACHABLE) if run.family == "ipv4" else (
        icmp.DEST_UNREACHABLE_V6, icmp.PORT_UNREACHABLE_V6)

    def ours(message: bytes) -> bool:
        if (message[0], message[1]) != unreachable:
            return False
        try:
            return icmp.parse_unreachable(message).quoted_ports == (sender.local.port, closed)
        except icmp.MalformedPacket:
            return False
    got = await_icmp(run, run.pinger, sock, ours)
    run.check("port unreachable quoting our UDP ports arrives", got is not None, equals=True)
    if got:
        quoted = icmp.parse_unreachable(got[0])
        run.check("the quoted packet is UDP", quoted.quoted_protocol, equals=icmp.IPPROTO_UDP)


@behaviour("ICMP-ECHO-007", seats=SEATS, families=("ipv4",), peers=("observer",))
def test_ttl_set_on_a_raw_socket_is_on_the_wire(run):
    sock = run.pinger.raw_open(run.family, options={"ttl": 7})
    watch = run.observer.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 3, b"ttl"), run.host)
    got = await_icmp(run, run.observer, watch, echo_of(REQUEST[run.family], identifier))
    run.check("the request's TTL on the wire", got[1].ttl if got else None, equals=7)


@behaviour("ICMP-ECHO-008", seats=SEATS)
def test_every_raw_socket_gets_a_copy(run):
    first, second = run.pinger.raw_open(run.family), run.pinger.raw_open(run.family)
    identifier, got = ping(run, run.pinger, first)
    run.check("the sending socket gets the reply", got is not None, equals=True)
    copy = await_icmp(run, run.pinger, second, is_reply_to(run, identifier, 1))
    run.check("the other raw socket gets a copy", copy is not None, equals=True)


@behaviour("ICMP-ECHO-009", seats=SEATS)
def test_each_request_is_answered_once(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    for sequence in range(1, 6):
        run.pinger.raw_send(sock, request(run, identifier, sequence, b"count me"), run.host)
    replies = []
    ours = echo_of(REPLY[run.family], identifier)
    while (got := await_icmp(run, run.pinger, sock, ours, 0.3)) is not None:
        replies.append(icmp.decode_echo(got[0]).sequence)
    run.check("sequence numbers of the replies", sorted(replies), equals=[1, 2, 3, 4, 5])


@behaviour("ICMP-ECHO-010", seats=SEATS)
def test_reply_comes_from_the_address_pinged(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 1, b"from where"), run.host)
    got = raw_reply(run, sock, identifier, 1)
    sender = got[1] if got else None
    run.check("the reply's source", sender, equals=run.host)


@behaviour("ICMP-ECHO-011", seats=SEATS, families=("ipv4",))
def test_ipv4_reply_header_is_sound(run):
    sock = run.pinger.raw_open(run.family)
    _, got = ping(run, run.pinger, sock)
    header = got[1] if got else None
    run.check("header checksum valid, protocol ICMP, loopback both ways",
              header is not None and (header.checksum_ok, header.protocol, header.source, header.destination),
              equals=(True, 1, "127.0.0.1", "127.0.0.1"))


@behaviour("ICMP-ECHO-012", seats=SEATS)
def test_oversized_icmp_message_fails(run):
    sock = run.pinger.raw_open(run.family)
    limit = 65515 if run.family == "ipv4" else 65535
    too_big = request(run, new_identifier(), 1, bytes(limit + 1 - 8))
    run.check("send of the maximum + 1 bytes", run.outcome(run.pinger.raw_send, sock, too_big, run.host),
              equals="EMSGSIZE")


@behaviour("ICMP-ECHO-013", seats=SEATS, isolation="unprivileged")
def test_raw_socket_without_privilege_is_refused(run):
    run.check("raw.open without CAP_NET_RAW", run.outcome(run.pinger.raw_open, run.family),
              allowed={"EPERM", "EACCES"})


# -- ping sockets: the target runs in a network namespace of its own (ping sockets are
#    allowed there by the suite, never on the host) --------------------------------------

def ping_socket_exchange(run, sock, sequence: int, claimed_identifier: int = 999):
    run.pinger.raw_send(sock, request(run, claimed_identifier, sequence, b"ping socket"), run.host)
    data, _ = run.pinger.raw_recv(sock, timeout=2.0)
    return data


@behaviour("ICMP-ECHO-014", seats=SEATS, isolation="netns")
def test_ping_socket_identifier_is_its_port(run):
    sock = run.pinger.raw_open(run.family, kind="ping")
    reply = icmp.decode_echo(ping_socket_exchange(run, sock, 1))
    port = run.pinger.local_address(sock).port
    run.check("the reply's identifier is the socket's port, not the one claimed",
              (reply.identifier == port, reply.identifier == 999), equals=(True, False))


@behaviour("ICMP-ECHO-015", seats=SEATS, isolation="netns")
def test_ping_socket_receives_only_its_own_replies(run):
    first, second = run.pinger.raw_open(run.family, kind="ping"), run.pinger.raw_open(run.family, kind="ping")
    first_reply = icmp.decode_echo(ping_socket_exchange(run, first, 1))
    run.check("the first socket gets its reply", first_reply.sequence, equals=1)
    run.check("the second socket gets nothing of it", run.outcome(run.pinger.raw_recv, second, timeout=0.2),
              equals="ETIMEDOUT")
    second_reply = icmp.decode_echo(ping_socket_exchange(run, second, 2))
    run.check("the second socket gets its own", second_reply.sequence, equals=2)


@behaviour("ICMP-ECHO-016", seats=SEATS, isolation="netns")
def test_ping_socket_delivers_the_icmp_message_alone(run):
    sock = run.pinger.raw_open(run.family, kind="ping")
    data = ping_socket_exchange(run, sock, 1)
    addresses = {} if run.family == "ipv4" else {"v6_source": run.host, "v6_destination": run.host}
    run.check("starts with an echo reply, checksum valid", (data[0], icmp.checksum_valid(data, **addresses)),
              equals=(REPLY[run.family], True))
