"""Active sockets spawned by a passive one: shared port, own peers, many at once, lifetimes."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair
from fixtures.endpoint import QUIET_WINDOW


def _clients(run, listener, count):
    with run.client.summarised(f"{count} clients connect"):
        return [run.client.tcp_connect(run.family, listener.local) for _ in range(count)]


def _accept(run, listener, count):
    with run.server.summarised(f"accept {count} connections"):
        return [run.server.tcp_accept(listener) for _ in range(count)]


@behaviour("TCP-PASSIVE-010", seats=("server", "client"))
def test_accepted_sockets_share_the_listener_port(run):
    listener = run.server.tcp_listen(run.family, run.host)
    _clients(run, listener, 3)
    accepted = _accept(run, listener, 3)
    run.check("every accepted socket's local address is the listener's",
              all(a.local == listener.local for a in accepted), equals=True)


@behaviour("TCP-PASSIVE-011", seats=("server", "client"))
def test_each_accepted_socket_has_its_own_peer(run):
    listener = run.server.tcp_listen(run.family, run.host)
    clients = _clients(run, listener, 3)
    accepted = _accept(run, listener, 3)
    run.check("accepted peers are distinct", len({a.peer for a in accepted}), equals=3)
    run.check("the peers are the clients' local addresses",
              {a.peer for a in accepted} == {c.local for c in clients}, equals=True)


@behaviour("TCP-PASSIVE-012", seats=("server", "client"))
def test_many_connections_each_carry_their_own_bytes(run):
    count = 32
    listener = run.server.tcp_listen(run.family, run.host, backlog=count)
    clients = _clients(run, listener, count)
    with run.client.summarised(f"each of {count} clients sends its own bytes"):
        for index, client in enumerate(clients):
            run.client.send_all(client, b"from client %02d" % index)
    accepted = _accept(run, listener, count)
    by_peer = {a.peer: a for a in accepted}
    wrong = 0
    with run.server.summarised("each accepted socket receives and replies"):
        for index, client in enumerate(clients):
            server_side = by_peer.get(client.local)
            if server_side is None:
                wrong += 1
                continue
            wrong += run.server.recv_exactly(server_side, 14) != b"from client %02d" % index
            run.server.send_all(server_side, b"to client %02d" % index)
    with run.client.summarised("each client receives its reply"):
        for index, client in enumerate(clients):
            wrong += run.client.recv_exactly(client, 12) != b"to client %02d" % index
    run.check("connections accepted", len(accepted), equals=count)
    run.check("connections whose bytes went astray", wrong, equals=0)


@behaviour("TCP-PASSIVE-013", seats=("server", "client"))
def test_connections_complete_before_accept(run):
    listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, listener.local)
    run.client.send_all(client, b"early bytes")
    server = run.server.tcp_accept(listener)
    run.check("data sent before accept is there", run.server.recv_exactly(server, 11), equals=b"early bytes")


@behaviour("TCP-PASSIVE-014", seats=("server", "client"))
def test_pending_connections_are_accepted_in_order(run):
    listener = run.server.tcp_listen(run.family, run.host)
    clients = _clients(run, listener, 5)
    accepted = _accept(run, listener, 5)
    run.check("accept order is connect order", [a.peer for a in accepted] == [c.local for c in clients],
              equals=True)


@behaviour("TCP-PASSIVE-015", seats=("server", "client"))
def test_closing_the_listener_leaves_connections_working(run):
    listener, client, server = connect_pair(run)
    run.server.close(listener)
    run.client.send_all(client, b"ping")
    run.check("server still receives", run.server.recv_exactly(server, 4), equals=b"ping")
    run.server.send_all(server, b"pong")
    run.check("client still receives", run.client.recv_exactly(client, 4), equals=b"pong")


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
    client = run.client.tcp_connect(run.family, listener.local)
    run.check("listener accepts again", run.outcome(run.server.tcp_accept, listener, QUIET_WINDOW * 10), equals="ok")
    run.client.send_all(client, b"again")
