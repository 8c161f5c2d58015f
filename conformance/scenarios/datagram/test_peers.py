"""Datagram peers: addresses, many peers on one socket, connected sockets."""

from conformance.scenario import behaviour
from conformance.scenarios.common import datagram_outcome, datagram_pair
from fixtures.endpoint import QUIET_WINDOW


@behaviour("UDP-DGRAM-005", seats=("sender", "receiver"))
def test_each_datagram_carries_its_sender(run):
    sender, receiver = datagram_pair(run)
    run.sender.sendto(sender, b"who am I", receiver.local)
    got = run.receiver.recvfrom(receiver, 100)
    run.check("reported sender is the sending socket", got.peer == sender.local, equals=True)


@behaviour("UDP-DGRAM-006", seats=("server", "client"))
def test_one_socket_serves_many_peers(run):
    server = run.server.udp_bind(run.family, run.host)
    clients = [run.client.udp_bind(run.family, run.host) for _ in range(3)]
    for index, client in enumerate(clients):
        run.client.sendto(client, b"from %d" % index, server.local)
    received = [run.server.recvfrom(server, 100) for _ in clients]
    run.check("three distinct senders", len({d.peer for d in received}), equals=3)
    run.check("each datagram names its own sender",
              all(d.peer == clients[int(d.data.split()[1])].local for d in received), equals=True)
    for datagram in received:
        run.server.sendto(server, b"to " + datagram.data.split()[1], datagram.peer)
    replies = [run.client.recvfrom(client, 100).data for client in clients]
    run.check("each reply reaches its own peer", replies, equals=[b"to 0", b"to 1", b"to 2"])


@behaviour("UDP-DGRAM-007", seats=("receiver", "sender"))
def test_connected_socket_hears_only_its_peer(run):
    receiver = run.receiver.udp_bind(run.family, run.host)
    chosen = run.sender.udp_bind(run.family, run.host)
    stranger = run.sender.udp_bind(run.family, run.host)
    run.receiver.udp_connect(receiver, chosen.local)
    run.sender.sendto(stranger, b"from a stranger", receiver.local)
    run.sender.sendto(chosen, b"from the peer", receiver.local)
    got = run.receiver.recvfrom(receiver, 100)
    run.check("the first datagram received is the peer's", (got.data, got.peer == chosen.local),
              equals=(b"from the peer", True))
    run.check("the stranger's never arrives", datagram_outcome(run.receiver, receiver, QUIET_WINDOW),
              equals="ETIMEDOUT")


@behaviour("UDP-DGRAM-008", seats=("sender",))
def test_connected_socket_reports_a_closed_port(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, run.addr(run.free_port()))
    run.check("send to the closed port", run.outcome(run.sender.sendto, sock, b"anyone?"), equals="ok")
    run.check("the next receive", datagram_outcome(run.sender, sock, QUIET_WINDOW * 10), equals="ECONNREFUSED")
