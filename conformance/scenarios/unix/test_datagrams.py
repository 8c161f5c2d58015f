"""Unix-domain datagrams: whole, ordered, reliable; senders' addresses; connected sockets."""

from __future__ import annotations

from conformance.scenario import behaviour
from conformance.scenarios.common import payload
from fixtures.endpoint import QUIET_WINDOW, UNNAMED, UnixDatagram

from .steps import FAMILIES, data_of, datagram

SEATS = ("client", "server")


def receiver_and_sender(run, bound_sender: bool = True):
    receiver = run.server.unix_bind("dgram", run.unix_path("r"))
    sender = run.client.unix_bind("dgram", run.unix_path("c") if bound_sender else UNNAMED)
    return receiver, sender


@behaviour("UNIX-DGRAM-001", seats=SEATS, families=FAMILIES)
def test_datagrams_keep_boundaries_and_order(run):
    receiver, sender = receiver_and_sender(run)
    sent = [b"1", payload(100, seed=51), payload(4000, seed=52)]
    for message in sent:
        run.client.unix_sendto(sender, message, run.unix_path("r"))
    run.check("three receives, one datagram each", [data_of(datagram(run.server, receiver)) for _ in sent],
              equals=sent)


@behaviour("UNIX-DGRAM-002", seats=SEATS, families=FAMILIES)
def test_a_datagram_shows_its_bound_sender(run):
    receiver, sender = receiver_and_sender(run)
    run.client.unix_sendto(sender, b"hello", run.unix_path("r"))
    got = run.server.unix_recvfrom(receiver, timeout=1.0)
    run.check("the datagram's source", run.unix_name(got.peer), equals="c")
    run.server.unix_sendto(receiver, b"reply", got.peer)
    run.check("the reply sent to that source", data_of(datagram(run.client, sender)), equals=b"reply")


@behaviour("UNIX-DGRAM-003", seats=SEATS, families=FAMILIES)
def test_an_unbound_sender_is_unnamed(run):
    receiver, sender = receiver_and_sender(run, bound_sender=False)
    run.client.unix_sendto(sender, b"who am I", run.unix_path("r"))
    got = run.server.unix_recvfrom(receiver, timeout=1.0)
    run.check("the source of a datagram from an unbound sender", run.unix_name(got.peer), equals="(unnamed)")


@behaviour("UNIX-DGRAM-004", seats=SEATS, families=FAMILIES)
def test_a_full_receiver_makes_the_sender_wait(run):
    receiver, sender = receiver_and_sender(run)
    to = run.unix_path("r")
    accepted, outcome = 0, "ok"
    with run.client.summarised("send 64-byte datagrams with timeout 0 until one fails (at most 2000)"):
        for index in range(2000):
            outcome = run.outcome(run.client.unix_sendto, sender, index.to_bytes(2, "big") * 32, to, timeout=0)
            if outcome != "ok":
                break
            accepted += 1
    run.check("the send that finds the receiver full (timeout 0)", outcome, equals="EAGAIN")
    run.check("datagrams accepted before it", accepted, satisfies=lambda n: n >= 1, rule="at least one")
    run.check("a send with a 0.2 s timeout while it is full",
              run.outcome(run.client.unix_sendto, sender, b"late", to, timeout=0.2), equals="ETIMEDOUT")
    received = []
    with run.server.summarised("receive until nothing is left"):
        while True:
            got = datagram(run.server, receiver, timeout=QUIET_WINDOW)
            if not isinstance(got, UnixDatagram):
                break
            received.append(got.data)
    expected = [index.to_bytes(2, "big") * 32 for index in range(accepted)]
    run.check("what the receiver then gets of the datagrams accepted",
              "all of them, in order" if received == expected else
              f"{len(received)} of {accepted}" + (", out of order" if sorted(received) == sorted(expected) else ""),
              equals="all of them, in order")
    run.check("a send once the receiver drained", run.outcome(run.client.unix_sendto, sender, b"again", to, timeout=0),
              equals="ok")


@behaviour("UNIX-DGRAM-005", seats=SEATS, families=FAMILIES)
def test_truncation(run):
    receiver, sender = receiver_and_sender(run)
    message = payload(100, seed=53)
    run.client.unix_sendto(sender, message, run.unix_path("r"))
    run.client.unix_sendto(sender, b"next", run.unix_path("r"))
    got = datagram(run.server, receiver, max=10)
    run.check("a 100-byte datagram read with room for 10 (data, truncated)",
              (got.data, got.truncated) if isinstance(got, UnixDatagram) else got, equals=(message[:10], True))
    run.check("the next receive", data_of(datagram(run.server, receiver)), equals=b"next")


@behaviour("UNIX-DGRAM-006", seats=SEATS, families=FAMILIES)
def test_a_zero_length_datagram(run):
    receiver, sender = receiver_and_sender(run)
    sent = [b"before", b"", b"after"]
    for message in sent:
        run.client.unix_sendto(sender, message, run.unix_path("r"))
    run.check("three receives", [data_of(datagram(run.server, receiver)) for _ in sent], equals=sent)


@behaviour("UNIX-DGRAM-007", seats=SEATS, families=FAMILIES, peers=("peer",))
def test_a_connected_datagram_socket_hears_only_its_peer(run):
    peer = run.peer.unix_bind("dgram", run.unix_path("p"))
    connected = run.server.unix_connect("dgram", run.unix_path("p"), bind=run.unix_path("r"))
    run.check("the connected socket's peer (addr.peer)", run.unix_name(run.server.peer_address(connected)),
              equals="p")
    stranger = run.client.unix_bind("dgram", run.unix_path("x"))
    run.check("a stranger's send to the connected socket",
              run.outcome(run.client.unix_sendto, stranger, b"from a stranger", run.unix_path("r")), equals="EPERM")
    run.peer.unix_sendto(peer, b"from the peer", run.unix_path("r"))
    got = datagram(run.server, connected)
    run.check("what the connected socket receives (data, source)",
              (got.data, run.unix_name(got.peer)) if isinstance(got, UnixDatagram) else got,
              equals=(b"from the peer", "p"))


@behaviour("UNIX-DGRAM-008", seats=("client",), families=FAMILIES)
def test_sending_to_a_closed_or_missing_path(run):
    receiver, sender = receiver_and_sender(run)
    run.server.close(receiver)
    run.check("a send to the path of a closed socket",
              run.outcome(run.client.unix_sendto, sender, b"x", run.unix_path("r")), equals="ECONNREFUSED")
    run.check("a send to a path where nothing is",
              run.outcome(run.client.unix_sendto, sender, b"x", run.unix_path("missing")), equals="ENOENT")


@behaviour("UNIX-DGRAM-009", seats=("client",), families=FAMILIES)
def test_a_connected_datagram_socket_whose_peer_closed(run):
    receiver = run.server.unix_bind("dgram", run.unix_path("r"))
    connected = run.client.unix_connect("dgram", run.unix_path("r"))
    run.server.close(receiver)
    run.check("a send after the peer closed", run.outcome(run.client.unix_sendto, connected, b"x"),
              equals="ECONNREFUSED")


@behaviour("UNIX-DGRAM-010", seats=("client",), families=FAMILIES)
def test_the_largest_datagram_and_the_send_buffer(run):
    receiver, sender = receiver_and_sender(run)
    sndbuf = run.client.get_option(sender, "sndbuf")
    run.check("a datagram as large as the send buffer (SO_SNDBUF read back)",
              run.outcome(run.client.unix_sendto, sender, bytes(sndbuf), run.unix_path("r")), equals="EMSGSIZE")
    message = payload(64 * 1024, seed=54)
    sent = run.outcome(run.client.unix_sendto, sender, message, run.unix_path("r"))
    run.check("a 64 KiB datagram, as received", data_of(datagram(run.server, receiver, max=128 * 1024))
              if sent == "ok" else f"send: {sent}", equals=message)


@behaviour("UNIX-DGRAM-011", seats=("client",), families=FAMILIES)
def test_a_send_with_no_destination(run):
    sock = run.client.unix_bind("dgram", run.unix_path("c"))  # bound, never connected
    run.check("a send without an address on an unconnected socket", run.outcome(run.client.unix_sendto, sock, b"x"),
              allowed={"ENOTCONN", "EDESTADDRREQ"})


@behaviour("UNIX-DGRAM-012", seats=("client",), families=FAMILIES)
def test_a_datagram_socket_cannot_connect_to_a_stream_socket(run):
    run.server.unix_listen("stream", run.unix_path("s"))
    run.check("a datagram socket's connect to a stream listener's path",
              run.outcome(run.client.unix_connect, "dgram", run.unix_path("s")), equals="EPROTOTYPE")


@behaviour("UNIX-DGRAM-013", seats=SEATS, families=FAMILIES)
def test_datagrams_to_an_abstract_name(run):
    receiver = run.server.unix_bind("dgram", run.unix_abstract("r"))
    run.check("the receiver's own address (addr.local)", run.unix_name(run.server.local_address(receiver)),
              equals="@r")
    sender = run.client.unix_bind("dgram", run.unix_path("c"))
    message = payload(2000, seed=55)
    run.client.unix_sendto(sender, message, run.unix_abstract("r"))
    run.check("the datagram sent to the abstract name", data_of(datagram(run.server, receiver)), equals=message)
