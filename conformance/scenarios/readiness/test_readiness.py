"""Readiness (protocol 1.5 ``wait``): readable, writable, error and hang-up, before the call."""

import time

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome
from conformance.scenarios.readiness.steps import (
    about,
    drain,
    fill,
    fired,
    pending_connect,
    quiet,
)
from fixtures.endpoint import QUIET_WINDOW


def _has(condition):
    return lambda events: isinstance(events, list) and condition in events


@behaviour("TCP-READY-001", seats=("client",))
def test_pending_connect_becomes_writable(run):
    listener = run.server.tcp_listen(run.family, run.host)
    state, sock = pending_connect(run, run.client, run.addr(listener.local.port))
    run.check("a connect started without waiting", state, allowed=("pending", "established"))
    if sock is None:
        return
    run.check("readiness of the connect", fired(run.client, sock, ["write"]), satisfies=_has("write"),
              rule="writable once established")
    run.check("pending error once connected", run.client.get_option(sock, "error"), equals=None)
    run.check("peer once connected", run.client.peer_address(sock), equals=run.addr(listener.local.port))


@behaviour("TCP-READY-002", seats=("client",))
def test_pending_connect_to_a_refused_port(run):
    state, sock = pending_connect(run, run.client, run.addr(run.closed_port()))
    run.check("a connect started without waiting, to a refused port", state, allowed=("pending", "ECONNREFUSED"))
    if sock is None:
        return
    run.check("readiness of the refused connect", fired(run.client, sock, ["write"]),
              satisfies=lambda events: isinstance(events, list) and bool(events),
              rule="ready (write, error or hang-up) once refused")
    run.check("pending error", run.client.get_option(sock, "error"), equals="ECONNREFUSED")
    run.check("pending error read a second time", run.client.get_option(sock, "error"), equals=None,
              rule="must be None: reading SO_ERROR clears it")


@behaviour("TCP-READY-003", seats=("client",))
def test_readable_when_data_arrives(run):
    _, client, server = connect_pair(run)
    run.check("readiness to read with nothing queued", quiet(run.client, client, ["read"]), equals=[])
    run.server.send_all(server, b"hello")
    run.check("readiness to read once data arrived", fired(run.client, client, ["read"]), equals=["read"])
    run.check("the receive after readiness", run.client.recv(client, 64), equals=b"hello")


@behaviour("TCP-READY-004", seats=("client",))
def test_readable_at_end_of_stream(run):
    _, client, server = connect_pair(run)
    run.server.shutdown(server, "write")
    run.check("readiness to read after the peer's end of stream", fired(run.client, client, ["read"]),
              satisfies=_has("read"), rule="readable")
    run.check("the receive after readiness", receive_outcome(run.client, client, run.client.default_timeout),
              equals="EOF")


@behaviour("TCP-READY-005", seats=("client",))
def test_readable_on_reset(run):
    _, client, server = connect_pair(run)
    run.server.abort(server)
    events = fired(run.client, client, ["read"])
    run.check("readiness to read after the peer's reset", events, satisfies=_has("read"), rule="readable")
    run.check("an error reported with it", events, satisfies=_has("error"), rule="POLLERR among the conditions")
    run.check("the receive after readiness", receive_outcome(run.client, client, run.client.default_timeout),
              equals="ECONNRESET")


@behaviour("TCP-READY-006", seats=("client",))
def test_not_writable_while_the_buffer_is_full(run):
    _, client, server = connect_pair(run)
    sent, ending = fill(run.client, client)
    run.check("sends without waiting while the peer does not read", ending, equals="EAGAIN")
    run.check("readiness to write with the buffers full", quiet(run.client, client, ["write"]), equals=[])
    drain(run.server, server, sent)
    run.check("readiness to write once the peer read everything", fired(run.client, client, ["write"]),
              equals=["write"])


@behaviour("TCP-READY-007", seats=("server",))
def test_listener_readable_while_a_connection_waits(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("listener readiness with no connection waiting", quiet(run.server, listener, ["read"]), equals=[])
    run.client.tcp_connect(run.family, run.addr(listener.local.port))
    run.check("listener readiness with a connection waiting", fired(run.server, listener, ["read"]),
              equals=["read"])
    run.server.tcp_accept(listener)
    run.check("listener readiness once it was accepted", quiet(run.server, listener, ["read"]), equals=[])


@behaviour("TCP-READY-008", seats=("client",))
def test_hangup_once_both_directions_are_shut(run):
    _, client, server = connect_pair(run)
    run.client.shutdown(client, "write")
    run.check("readiness with only its own write side shut", quiet(run.client, client, ["read"]), equals=[])
    run.server.shutdown(server, "write")
    run.check("readiness once the peer shut its side too", fired(run.client, client, ["read"]),
              satisfies=_has("hangup"), rule="POLLHUP among the conditions")


@behaviour("TCP-READY-009", seats=("client",))
def test_read_hangup_on_the_peers_half_close(run):
    _, client, server = connect_pair(run)
    run.check("read hang-up while the peer's side is open", quiet(run.client, client, ["rdhangup"]), equals=[])
    run.server.shutdown(server, "write")
    run.check("read hang-up once the peer shut its write side", fired(run.client, client, ["rdhangup"]),
              equals=["rdhangup"])


@behaviour("TCP-READY-010", seats=("client",))
def test_readiness_is_level_triggered(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"level")
    run.check("first wait with data unread", fired(run.client, client, ["read"]), equals=["read"])
    run.check("second wait, the data still unread", fired(run.client, client, ["read"]), equals=["read"])
    run.client.recv_exactly(client, 5)
    run.check("wait once the data was read", quiet(run.client, client, ["read"]), equals=[])


@behaviour("TCP-READY-011", seats=("client", "server"))
def test_new_connection_is_writable(run):
    _, client, server = connect_pair(run)
    endpoint, sock = (run.client, client) if run.target_seat == "client" else (run.server, server)
    run.check("readiness of a new connection", fired(endpoint, sock, ["read", "write"]), equals=["write"])


@behaviour("TCP-READY-012", seats=("server",))
def test_data_before_accept_is_readable_at_once(run):
    listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    run.client.send_all(client, b"early")
    server = run.server.tcp_accept(listener)
    run.check("readiness of the accepted connection", fired(run.server, server, ["read", "write"]),
              equals=["read", "write"])
    run.check("its data", run.server.recv(server, 64), equals=b"early")


@behaviour("TCP-READY-013", seats=("client",))
def test_wait_with_timeout_zero_answers_at_once(run):
    _, client, _ = connect_pair(run)
    started = time.monotonic()
    events = fired(run.client, client, ["read"], 0)
    took = time.monotonic() - started
    run.check("a wait with timeout 0 and nothing queued", (events, about(took, 1.0, 1.0)),
              equals=([], "at once"))


@behaviour("TCP-READY-014", seats=("client",))
def test_wait_on_a_closed_socket(run):
    _, client, _ = connect_pair(run)
    run.client.close(client)
    run.check("a wait on a closed socket", fired(run.client, client, ["read"], QUIET_WINDOW), equals="EBADF")
