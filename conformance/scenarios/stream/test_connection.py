"""Connection establishment and the addresses both ends report."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair


@behaviour("TCP-STREAM-001", seats=("client", "server"))
def test_connect_and_accept_agree_on_addresses(run):
    listener, client, server = connect_pair(run)
    run.check("client's peer is the server's local address", client.peer == server.local, equals=True)
    run.check("server's peer is the client's local address", server.peer == client.local, equals=True)
    run.check("client's peer is the address it connected to", client.peer == run.addr(listener.local.port),
              equals=True)
    run.check("local host on the loopback", (client.local.host, server.local.host), equals=(run.host, run.host))


@behaviour("TCP-STREAM-002", seats=("client", "server"))
def test_address_queries_match_the_connection(run):
    _, client, server = connect_pair(run)
    run.check("client getsockname() = connect's local", run.client.local_address(client) == client.local,
              equals=True)
    run.check("client getpeername() = connect's peer", run.client.peer_address(client) == client.peer,
              equals=True)
    run.check("server getsockname() = accept's local", run.server.local_address(server) == server.local,
              equals=True)
    run.check("server getpeername() = accept's peer", run.server.peer_address(server) == server.peer,
              equals=True)


@behaviour("TCP-STREAM-021", seats=("client", "server"))
def test_bind_before_connect_fixes_the_local_port(run):
    listener = run.server.tcp_listen(run.family, run.host)
    port = run.free_port()
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port), bind=run.addr(port))
    server = run.server.tcp_accept(listener)
    run.check("client's local port is the bound port", client.local.port == port, equals=True)
    run.check("server sees the bound port as the peer's", server.peer.port == port, equals=True)
