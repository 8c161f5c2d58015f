"""Datagram echo servers (udp-echo: programs, or the target serving echo itself)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import MAX_DATAGRAM, payload


def echo_of(run, sock, data):
    run.client.sendto(sock, data, run.echo.address)
    run.echo.pump()
    return run.client.recvfrom(sock, 65536)


@behaviour("UDP-DGRAM-013", echo="udp")
def test_echo_replies_from_the_address_sent_to(run):
    sock = run.client.udp_bind(run.family, run.host)
    reply = echo_of(run, sock, b"where from?")
    run.check("reply comes from the address the client sent to", reply.peer == run.echo.address, equals=True)


@behaviour("UDP-DGRAM-014", echo="udp")
def test_echo_returns_each_datagram_whole(run):
    sock = run.client.udp_bind(run.family, run.host, options={"rcvbuf": 1 << 20})
    for size in (0, 1, 1472, 8192, MAX_DATAGRAM[run.family]):
        data = payload(size, seed=size + 1)
        reply = echo_of(run, sock, data)
        run.check(f"{size}-byte datagram comes back whole", (reply.data == data, reply.truncated),
                  equals=(True, False))


@behaviour("UDP-DGRAM-015", echo="udp")
def test_echo_keeps_clients_apart(run):
    socks = [run.client.udp_bind(run.family, run.host) for _ in range(3)]
    for index, sock in enumerate(socks):
        run.client.sendto(sock, b"client %d" % index, run.echo.address)
    run.echo.pump()
    replies = [run.client.recvfrom(sock, 100).data for sock in socks]
    run.check("each client gets its own datagram back", replies, equals=[b"client 0", b"client 1", b"client 2"])
