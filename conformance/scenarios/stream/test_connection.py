"""Connection establishment and the addresses both ends report."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair


@behaviour("TCP-STREAM-001", seats=("client", "server"))
def test_connect_and_accept_agree_on_addresses(run):
    listener, client, server = connect_pair(run)
    run.check("client's peer is the address it connected to", client.peer,
              equals=run.addr(listener.local.port))
    run.check("server's local address is the client's peer", server.local, equals=client.peer)
    run.check("server's peer is the client's local address", server.peer, equals=client.local)


@behaviour("TCP-STREAM-002", seats=("client", "server"))
def test_address_queries_match_the_connection(run):
    _, client, server = connect_pair(run)
    run.check("client getsockname() = connect's local", run.client.local_address(client), equals=client.local)
    run.check("client getpeername() = connect's peer", run.client.peer_address(client), equals=client.peer)
    run.check("server getsockname() = accept's local", run.server.local_address(server), equals=server.local)
    run.check("server getpeername() = accept's peer", run.server.peer_address(server), equals=server.peer)


@behaviour("TCP-STREAM-021", seats=("client", "server"))
def test_bind_before_connect_fixes_the_local_port(run):
    listener = run.server.tcp_listen(run.family, run.host)
    bound = run.addr(run.free_port())
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port), bind=bound)
    server = run.server.tcp_accept(listener)
    run.check("client's local address is the bound one", client.local, equals=bound)
    run.check("server sees the bound address as the peer's", server.peer, equals=bound)
