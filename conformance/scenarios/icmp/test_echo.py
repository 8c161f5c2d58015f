"""Raw ICMP sockets: echo requests and replies, checksums, headers, unreachables, TTL.

Each check records what was seen (the identifier, sequence number, payload, checksum field or
header fields of the message that arrived, or None when nothing did) and judges it. Values
that differ from run to run (identifiers, ports, checksums that cover them) are named by
what they equal ("the request's identifier"), so the reference's run and the target's
compare; a value that equals nothing expected is shown as it came.
"""

import itertools
import os
import time
from typing import Any

from conformance.scenario import behaviour
from fixtures.endpoint import Endpoint, Socket
from reference_impl import icmp
from reference_impl.errors import OpError

# Identifiers only need to tell this process's requests from everyone else's on the host.
_IDENTIFIERS = itertools.count((os.getpid() * 7919) & 0xFFFF)
REQUEST = {"ipv4": icmp.ECHO_REQUEST, "ipv6": icmp.ECHO_REQUEST_V6}
REPLY = {"ipv4": icmp.ECHO_REPLY, "ipv6": icmp.ECHO_REPLY_V6}
SEATS = ("pinger",)
NO_REPLY = None  # what a check records when nothing arrived in its window


def new_identifier() -> int:
    return next(_IDENTIFIERS) & 0xFFFF


def named(value: Any, names: dict[str, Any]) -> Any:
    """``value`` by the name of what it equals (values that vary by run), else as it is."""
    for name, known in names.items():
        if value == known:
            return name
    return value


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
            try:
                message, header = split(run, data)
            except icmp.MalformedPacket:
                continue  # not ours to judge here: some other check looks at what receives start with
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


def checksum_seen(run, message: bytes) -> dict:
    """The message's checksum field (named when it is the RFC 1071 sum, which varies with the
    identifier) and whether the message verifies with it (ICMPv6: over the pseudo-header)."""
    addresses = {} if run.family == "ipv4" else {"v6_source": run.host, "v6_destination": run.host}
    field = int.from_bytes(message[2:4], "big")
    unsummed = message[:2] + b"\0\0" + message[4:]
    covered = unsummed if run.family == "ipv4" else \
        icmp.ipv6_pseudo_header(run.host, run.host, len(unsummed)) + unsummed
    right = icmp.internet_checksum(covered)
    return {"field": named(field, {"the RFC 1071 sum": right}) if field == right
            else f"{field:#06x} (the RFC 1071 sum is {right:#06x})",
            "verifies": icmp.checksum_valid(message, **addresses)}


CHECKSUM_OK = {"field": "the RFC 1071 sum", "verifies": True}


@behaviour("ICMP-ECHO-001", seats=SEATS)
def test_echo_reply_matches_its_request(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    payload = b"match me %04x" % identifier  # found by its payload too, so a wrong identifier is seen

    def ours(message: bytes) -> bool:
        return message[0] == REPLY[run.family] and (int.from_bytes(message[4:6], "big") == identifier
                                                    or message[8:] == payload)
    run.pinger.raw_send(sock, request(run, identifier, 7, payload), run.host)
    got = await_icmp(run, run.pinger, sock, ours)
    echo = icmp.decode_echo(got[0]) if got else None
    seen_identifier = NO_REPLY if echo is None else "the request's" if echo.identifier == identifier else \
        f"{echo.identifier:#06x}, not the request's {identifier:#06x}"
    run.check("the reply's identifier", seen_identifier,
              equals="the request's", rule="the reply carries the request's identifier")
    run.check("the reply's sequence number", echo.sequence if echo else NO_REPLY, equals=7,
              rule="the reply carries the request's sequence number (7)")
    run.check("the reply's payload", named(echo.payload, {"the request's": payload}) if echo else NO_REPLY,
              equals="the request's", rule="the reply carries the request's payload, byte for byte")


@behaviour("ICMP-ECHO-002", seats=SEATS)
def test_echo_reply_checksum_is_valid(run):
    sock = run.pinger.raw_open(run.family)
    _, got = ping(run, run.pinger, sock)
    run.check("the reply's checksum", checksum_seen(run, got[0]) if got else NO_REPLY, equals=CHECKSUM_OK,
              rule="the reply's checksum field is the RFC 1071 sum over the message "
                   "(ICMPv6: and the IPv6 pseudo-header), so the message verifies")


@behaviour("ICMP-ECHO-003", seats=SEATS)
def test_payloads_of_every_size_are_echoed(run):
    sock = run.pinger.raw_open(run.family)
    for size in (0, 56, 1472, 8192):
        payload = bytes(i % 251 for i in range(size))
        _, got = ping(run, run.pinger, sock, payload, sequence=size % 65536)
        echoed = icmp.decode_echo(got[0]).payload if got else NO_REPLY
        run.check(f"the reply's payload to a {size}-byte request", echoed, equals=payload, rule=f"the reply carries the request's {size} bytes of data, whole and unchanged")


@behaviour("ICMP-ECHO-004", seats=SEATS, families=("ipv4",))
def test_bad_checksum_gets_no_reply(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    good = request(run, identifier, 9, b"corrupt")
    bad_checksum = int.from_bytes(good[2:4], "big") ^ 0x00FF
    run.pinger.raw_send(sock, request(run, identifier, 9, b"corrupt", checksum=bad_checksum), run.host)
    replies = []
    while (got := await_icmp(run, run.pinger, sock, is_reply_to(run, identifier, 9), 0.3)) is not None:
        replies.append(icmp.decode_echo(got[0]).sequence)
    run.check("replies to the request with a bad checksum (0.3 s)", replies, equals=[],
              rule="a request whose checksum is wrong is discarded: no reply within 0.3 s on loopback")
    _, got = ping(run, run.pinger, sock, sequence=10)
    run.check("the reply to a correct request sent next: its sequence number",
              icmp.decode_echo(got[0]).sequence if got else NO_REPLY, equals=10,
              rule="a correct request (sequence 10) is still answered, so the silence above was the discard")


@behaviour("ICMP-ECHO-005", seats=SEATS)
def test_ipv4_receive_includes_the_ip_header_icmpv6_does_not(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 5, b"headers"), run.host)
    got = raw_reply(run, sock, identifier, 5)
    first_bytes = got[0] if got else None
    expected = "IPv4 header (version 4, protocol 1)" if run.family == "ipv4" else "ICMPv6 echo reply (type 129)"
    seen = NO_REPLY
    if first_bytes is not None:
        if first_bytes[0] >> 4 == 4 and first_bytes[9] == 1:
            seen = "IPv4 header (version 4, protocol 1)"
        elif first_bytes[0] == icmp.ECHO_REPLY_V6:
            seen = "ICMPv6 echo reply (type 129)"
        else:
            seen = f"other (first bytes {first_bytes[:4].hex()})"
    run.check("what the receive starts with", seen, equals=expected,
              rule="IPv4: the IP header (version 4, protocol 1) comes first; ICMPv6: the message alone")


@behaviour("ICMP-ECHO-006", seats=SEATS, peers=("sender",))
def test_closed_udp_port_draws_port_unreachable(run):
    sock = run.pinger.raw_open(run.family)
    sender = run.sender.udp_bind(run.family, run.host)
    closed = run.free_port()
    run.sender.sendto(sender, b"anyone there?", run.addr(closed))
    unreachable = (icmp.DEST_UNREACHABLE, icmp.PORT_UNREACHABLE) if run.family == "ipv4" else (
        icmp.DEST_UNREACHABLE_V6, icmp.PORT_UNREACHABLE_V6)

    def about_our_datagram(message: bytes) -> bool:  # any unreachable quoting the closed port
        if message[0] not in (icmp.DEST_UNREACHABLE, icmp.DEST_UNREACHABLE_V6):
            return False
        try:
            ports = icmp.parse_unreachable(message).quoted_ports
        except icmp.MalformedPacket:
            return False
        return ports is not None and ports[1] == closed
    got = await_icmp(run, run.pinger, sock, about_our_datagram)
    run.check("the ICMP message the datagram draws (type, code)", (got[0][0], got[0][1]) if got else NO_REPLY,
              equals=unreachable, rule=f"destination unreachable, code port unreachable: {unreachable}")
    quoted = icmp.parse_unreachable(got[0]) if got else None
    seen = NO_REPLY
    if quoted is not None:
        source, destination = ((quoted.quoted_header.source, quoted.quoted_header.destination)
                               if quoted.quoted_header else (quoted.quoted_v6_source, quoted.quoted_v6_destination))
        seen = {"source": source, "destination": destination, "protocol": quoted.quoted_protocol,
                "ports": named(quoted.quoted_ports, {"the datagram's (sender's, closed)": (sender.local.port, closed)})}
    run.check("what it quotes of the datagram", seen,
              equals={"source": run.host, "destination": run.host, "protocol": icmp.IPPROTO_UDP,
                      "ports": "the datagram's (sender's, closed)"},
              rule="the original IP header (loopback to loopback, protocol UDP) and the datagram's UDP ports")


@behaviour("ICMP-ECHO-007", seats=SEATS, families=("ipv4",), peers=("observer",))
def test_ttl_set_on_a_raw_socket_is_on_the_wire(run):
    sock = run.pinger.raw_open(run.family, options={"ttl": 7})
    watch = run.observer.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 3, b"ttl"), run.host)
    got = await_icmp(run, run.observer, watch, echo_of(REQUEST[run.family], identifier))
    run.check("the request's TTL on the wire", got[1].ttl if got else NO_REPLY, equals=7,
              rule="the request leaves with the TTL set on the socket (7)")


@behaviour("ICMP-ECHO-008", seats=SEATS)
def test_every_raw_socket_gets_a_copy(run):
    sockets = run.pinger.raw_open(run.family), run.pinger.raw_open(run.family)
    identifier = new_identifier()
    for sequence, sock in enumerate(sockets, start=1):  # each socket sends one request
        run.pinger.raw_send(sock, request(run, identifier, sequence, b"copies"), run.host)
    ours = echo_of(REPLY[run.family], identifier)
    for which, sock in zip(("first", "second"), sockets):
        sequences: set[int] = set()
        deadline = time.monotonic() + 2.0
        while sequences != {1, 2} and (left := deadline - time.monotonic()) > 0:
            got = await_icmp(run, run.pinger, sock, ours, left)
            if got is None:
                break
            sequences.add(icmp.decode_echo(got[0]).sequence)
        run.check(f"replies the {which} raw socket receives (by sequence number)", sorted(sequences), equals=[1, 2],
                  rule="each raw socket gets a copy of both replies: to its own request (1 from the first, "
                       "2 from the second) and to the other's")


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
    run.check("sequence numbers of the replies", sorted(replies), equals=[1, 2, 3, 4, 5],
              rule="one reply to each of the five requests: none lost, none twice")


@behaviour("ICMP-ECHO-010", seats=SEATS)
def test_reply_comes_from_the_address_pinged(run):
    sock = run.pinger.raw_open(run.family)
    identifier = new_identifier()
    run.pinger.raw_send(sock, request(run, identifier, 1, b"from where"), run.host)
    got = raw_reply(run, sock, identifier, 1)
    run.check("the reply's source", got[1] if got else NO_REPLY, equals=run.host,
              rule=f"the reply comes from the address pinged ({run.host})")


@behaviour("ICMP-ECHO-011", seats=SEATS, families=("ipv4",))
def test_ipv4_reply_header_is_sound(run):
    sock = run.pinger.raw_open(run.family)
    _, got = ping(run, run.pinger, sock)
    header = got[1] if got else None
    seen = NO_REPLY if header is None else {
        "header checksum verifies": header.checksum_ok, "protocol": header.protocol,
        "source": header.source, "destination": header.destination}
    run.check("the IPv4 header delivered with the reply", seen,
              equals={"header checksum verifies": True, "protocol": 1, "source": "127.0.0.1",
                      "destination": "127.0.0.1"},
              rule="a header checksum that verifies, protocol 1 (ICMP), 127.0.0.1 as source and destination")


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
    """Send an echo request on a ping socket; the message received back, or None."""
    run.pinger.raw_send(sock, request(run, claimed_identifier, sequence, b"ping socket"), run.host)
    try:
        data, _ = run.pinger.raw_recv(sock, timeout=2.0)
    except OpError as exc:
        if exc.code != "ETIMEDOUT":
            raise
        return NO_REPLY
    return data


def reply_sequence(data: bytes | None) -> int | None:
    return icmp.decode_echo(data).sequence if data and len(data) >= 8 else NO_REPLY


@behaviour("ICMP-ECHO-014", seats=SEATS, isolation="netns")
def test_ping_socket_identifier_is_its_port(run):
    sock = run.pinger.raw_open(run.family, kind="ping")
    claimed = 999
    data = ping_socket_exchange(run, sock, 1, claimed_identifier=claimed)
    port = run.pinger.local_address(sock).port  # the kernel binds the socket on its first send
    identifier = int.from_bytes(data[4:6], "big") if data and len(data) >= 8 else NO_REPLY
    run.check("the reply's identifier",
              named(identifier, {"the socket's port": port, "the one the request claimed": claimed}),
              equals="the socket's port",
              rule="the kernel puts the socket's port in the identifier, whatever the request claimed, "
                   "and the reply comes back with it")


@behaviour("ICMP-ECHO-015", seats=SEATS, isolation="netns")
def test_ping_socket_receives_only_its_own_replies(run):
    first, second = run.pinger.raw_open(run.family, kind="ping"), run.pinger.raw_open(run.family, kind="ping")
    run.check("the first socket's reply: its sequence number", reply_sequence(ping_socket_exchange(run, first, 1)),
              equals=1, rule="the first socket receives the reply to its request (sequence 1)")
    run.check("what the second socket receives meanwhile", run.outcome(run.pinger.raw_recv, second, timeout=0.2),
              equals="ETIMEDOUT", rule="nothing of the first socket's reply (0.2 s)")
    run.check("the second socket's reply: its sequence number", reply_sequence(ping_socket_exchange(run, second, 2)),
              equals=2, rule="the second socket receives the reply to its own request (sequence 2)")
    run.check("what the first socket receives meanwhile", run.outcome(run.pinger.raw_recv, first, timeout=0.2),
              equals="ETIMEDOUT", rule="nothing of the second socket's reply (0.2 s)")


@behaviour("ICMP-ECHO-016", seats=SEATS, isolation="netns")
def test_ping_socket_delivers_the_icmp_message_alone(run):
    sock = run.pinger.raw_open(run.family, kind="ping")
    data = ping_socket_exchange(run, sock, 1)
    seen = NO_REPLY
    if data is not None:
        seen = {"type": data[0], "code": data[1] if len(data) > 1 else None,
                "sequence": int.from_bytes(data[6:8], "big") if len(data) >= 8 else None, "data": data[8:]}
    run.check("the message the receive starts with", seen,
              equals={"type": REPLY[run.family], "code": 0, "sequence": 1, "data": b"ping socket"},
              rule="the receive starts at the ICMP header: an echo reply, code 0, with the request's "
                   "sequence number and data (no IP header in front)")
    run.check("the reply's checksum", checksum_seen(run, data) if data and len(data) >= 8 else NO_REPLY,
              equals=CHECKSUM_OK, rule="the checksum field is the RFC 1071 sum (ICMPv6: with the pseudo-header), "
                                       "so the message verifies")
