"""Datagram peers: addresses, many peers on one socket, connected sockets."""

from conformance.scenario import behaviour
from conformance.scenarios.common import datagram_outcome, datagram_pair, receive_datagram
from reference_impl.errors import UNSUPPORTED, OpError
from fixtures.endpoint import QUIET_WINDOW


def address_or_error(operation, *args):
    """An address an operation reports, or its error code."""
    try:
        return operation(*args)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


@behaviour("UDP-DGRAM-005", seats=("sender", "receiver"))
def test_each_datagram_carries_its_sender(run):
    sender, receiver = datagram_pair(run)
    run.sender.sendto(sender, b"who am I", receiver.local)
    got = run.receiver.recvfrom(receiver, 100)
    run.check("reported sender", got.peer, equals=sender.local, rule="the sending socket's address")


@behaviour("UDP-DGRAM-006", seats=("server", "client"))
def test_one_socket_serves_many_peers(run):
    server = run.server.udp_bind(run.family, run.host)
    clients = [run.client.udp_bind(run.family, run.host) for _ in range(3)]
    for index, client in enumerate(clients):
        run.client.sendto(client, b"from %d" % index, server.local)
    received = [run.server.recvfrom(server, 100) for _ in clients]
    run.check("three distinct senders", len({d.peer for d in received}), equals=3)
    run.check("each datagram's reported sender, in the order the peers sent",
              [d.peer for d in sorted(received, key=lambda d: d.data)], equals=[c.local for c in clients])
    for datagram in received:
        run.server.sendto(server, b"to " + datagram.data.split()[1], datagram.peer)
    replies = [reply.data if (reply := receive_datagram(run.client, client, 100)) else "nothing arrived"
               for client in clients]
    run.check("what each peer received", replies, equals=[b"to 0", b"to 1", b"to 2"],
              rule="each reply reaches its own peer")


@behaviour("UDP-DGRAM-007", seats=("receiver", "sender"))
def test_connected_socket_hears_only_its_peer(run):
    receiver = run.receiver.udp_bind(run.family, run.host)
    chosen = run.sender.udp_bind(run.family, run.host)
    stranger = run.sender.udp_bind(run.family, run.host)
    run.receiver.udp_connect(receiver, chosen.local)
    run.sender.sendto(stranger, b"from a stranger", receiver.local)
    run.sender.sendto(chosen, b"from the peer", receiver.local)
    got = run.receiver.recvfrom(receiver, 100)
    run.check("the first datagram received", (got.data, got.peer), equals=(b"from the peer", chosen.local),
              rule="the connected peer's, from its address")
    run.check("the stranger's never arrives", datagram_outcome(run.receiver, receiver, QUIET_WINDOW),
              equals="ETIMEDOUT")


@behaviour("UDP-DGRAM-008", seats=("sender",))
def test_connected_socket_reports_a_closed_port(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, run.addr(run.free_port()))
    run.check("send to the closed port", run.outcome(run.sender.sendto, sock, b"anyone?"), equals="ok")
    run.check("the next receive", datagram_outcome(run.sender, sock, QUIET_WINDOW * 10), equals="ECONNREFUSED")


@behaviour("UDP-DGRAM-016", seats=("sender",), peers=("receiver",))
def test_connected_datagram_socket_knows_its_peer(run):
    sock = run.sender.udp_bind(run.family, run.host)
    peer = run.receiver.udp_bind(run.family, run.host)
    run.check("getpeername() before connect", run.outcome(run.sender.peer_address, sock), equals="ENOTCONN")
    run.sender.udp_connect(sock, peer.local)
    run.check("getpeername() after connect", address_or_error(run.sender.peer_address, sock), equals=peer.local)


@behaviour("UDP-DGRAM-017", seats=("sender", "receiver"))
def test_connected_socket_sends_to_its_peer(run):
    sock = run.sender.udp_bind(run.family, run.host)
    peer = run.receiver.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, peer.local)
    run.outcome(run.sender.sendto, sock, b"default destination")
    got = receive_datagram(run.receiver, peer, 100)
    run.check("what the peer receives", (got.data, got.peer) if got else "nothing arrived",
              equals=(b"default destination", sock.local))


@behaviour("UDP-DGRAM-018", seats=("sender",), peers=("receiver",))
def test_sendto_another_address_on_a_connected_socket(run):
    sock = run.sender.udp_bind(run.family, run.host)
    peer = run.receiver.udp_bind(run.family, run.host)
    other = run.receiver.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, peer.local)
    outcome = run.outcome(run.sender.sendto, sock, b"elsewhere", other.local)
    run.check("sendto another address", outcome, allowed={"ok", "EISCONN"})
    if outcome == "ok":
        run.check("it went to that address", datagram_outcome(run.receiver, other, 1.0), equals="datagram")


@behaviour("UDP-DGRAM-019", seats=("receiver",))
def test_one_datagram_socket_per_address_and_port(run):
    first = run.receiver.udp_bind(run.family, run.host)
    run.check("second bind to the same port",
              run.outcome(run.receiver.udp_bind, run.family, run.host, first.local.port), equals="EADDRINUSE")
    second = run.receiver.udp_bind(run.family, run.host, 0)
    run.check("port 0 gives", "port 0" if second.local.port == 0 else "the same port" if second.local == first.local
              else "another port", equals="another port")


@behaviour("UDP-DGRAM-020", seats=("sender",))
def test_broadcast_defaults_off_and_can_be_set(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.check("SO_BROADCAST on a new socket", run.sender.get_option(sock, "broadcast"), equals=False)
    for value in (True, False):
        run.sender.set_option(sock, "broadcast", value)
        run.check(f"reads back {value}", run.sender.get_option(sock, "broadcast"), equals=value)
