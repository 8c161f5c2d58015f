"""Active sockets spawned by a passive one: shared port, own peers, many at once, lifetimes."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, delivered, received

from .steps import accept_all, clients, connect_outcome, new_connection


@behaviour("TCP-PASSIVE-010", seats=("server", "client"))
def test_accepted_sockets_share_the_listener_port(run):
    listener = run.server.tcp_listen(run.family, run.host)
    clients(run, listener, 3)
    accepted = accept_all(run, listener, 3)
    run.check("every accepted socket's local address is the listener's", [a.local for a in accepted],
              equals=[listener.local] * 3, rule="three accepted sockets, each at the listener's address")


@behaviour("TCP-PASSIVE-011", seats=("server", "client"))
def test_each_accepted_socket_has_its_own_peer(run):
    listener = run.server.tcp_listen(run.family, run.host)
    connected = clients(run, listener, 3)
    accepted = accept_all(run, listener, 3)
    locals_ = [c.local for c in connected]
    # In the clients' order, whatever order they were accepted in (TCP-PASSIVE-014 judges that).
    peers = sorted((a.peer for a in accepted), key=lambda p: locals_.index(p) if p in locals_ else len(locals_))
    run.check("the peers are the clients' local addresses", peers, equals=locals_,
              rule="one per client: each client's local address, once")


@behaviour("TCP-PASSIVE-012", seats=("server", "client"))
def test_many_connections_each_carry_their_own_bytes(run):
    count = 32
    listener = run.server.tcp_listen(run.family, run.host, backlog=count)
    connected = clients(run, listener, count)
    with run.client.summarised(f"each of {count} clients sends its own bytes"):
        for index, client in enumerate(connected):
            run.client.send_all(client, b"from client %02d" % index)
    accepted = accept_all(run, listener, count)
    run.check("connections accepted", len(accepted), equals=count)
    by_peer = {a.peer: a for a in accepted}
    astray = {}
    with run.server.summarised("each accepted socket receives and replies"):
        for index, client in enumerate(connected):
            server_side = by_peer.get(client.local)
            got = received(run.server, server_side, 14) if server_side else "no accepted socket has its address"
            if got != b"from client %02d" % index:
                astray[f"client {index:02d}'s bytes"] = got
            if server_side:
                run.server.send_all(server_side, b"to client %02d" % index)
    with run.client.summarised("each client receives its reply"):
        for index, client in enumerate(connected):
            got = received(run.client, client, 12)
            if got != b"to client %02d" % index:
                astray[f"the reply to client {index:02d}"] = got
    run.check("connections whose bytes went astray", astray, equals={},
              rule="none: each accepted socket gets its own client's bytes, and its reply reaches that client")


@behaviour("TCP-PASSIVE-013", seats=("server", "client"))
def test_connections_complete_before_accept(run):
    listener = run.server.tcp_listen(run.family, run.host)
    outcome, client = connect_outcome(run, listener)
    run.check("connect before any accept", outcome, equals="ok")
    if client:
        run.client.send_all(client, b"early bytes")
        server = run.server.tcp_accept(listener)
        run.check("data sent before accept is there", received(run.server, server, 11), equals=b"early bytes")


@behaviour("TCP-PASSIVE-014", seats=("server", "client"))
def test_pending_connections_are_accepted_in_order(run):
    listener = run.server.tcp_listen(run.family, run.host)
    connected = clients(run, listener, 5)
    accepted = accept_all(run, listener, 5)
    run.check("accept order is connect order", [a.peer for a in accepted], equals=[c.local for c in connected],
              rule="must be the clients in the order they connected")


@behaviour("TCP-PASSIVE-015", seats=("server", "client"))
def test_closing_the_listener_leaves_connections_working(run):
    listener, client, server = connect_pair(run)
    run.server.close(listener)
    run.check("server still receives", delivered(run.client, client, run.server, server, b"ping"), equals=b"ping")
    run.check("client still receives", delivered(run.server, server, run.client, client, b"pong"), equals=b"pong")


@behaviour("TCP-PASSIVE-016", seats=("server", "client"))
def test_closing_the_listener_refuses_new_connections(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.server.close(listener)
    run.check("connect after the listener closed", run.outcome(run.client.tcp_connect, run.family, listener.local),
              equals="ECONNREFUSED")


@behaviour("TCP-PASSIVE-025", seats=("server", "client"))
def test_closing_an_accepted_socket_leaves_the_listener_accepting(run):
    listener, _, server = connect_pair(run)
    run.server.close(server)
    outcome, client, again = new_connection(run, listener)
    run.check("listener accepts again", outcome, equals="ok")
    if outcome == "ok":
        run.check("the new connection is served", delivered(run.client, client, run.server, again, b"again"),
                  equals=b"again")
