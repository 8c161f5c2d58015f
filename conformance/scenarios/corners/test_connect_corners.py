"""TCP corners (protocol 1.5 ``tcp.connect`` on an existing handle, pending connects) and the
peer's address over a connection's life."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome, received
from conformance.scenarios.readiness.steps import (
    fired,
    outcome_of,
    pending_connect,
    quiet,
)
from reference_impl.errors import UNSUPPORTED, OpError


def _peer_or_error(endpoint, sock):
    try:
        return endpoint.peer_address(sock)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


@behaviour("TCP-CORNER-001", seats=("client",))
def test_connecting_a_connected_socket(run):
    listener = run.server.tcp_listen(run.family, run.host)
    to = run.addr(listener.local.port)
    sock = run.client.tcp_connect(run.family, to)
    run.check("connecting it again", outcome_of(run.client.connect_handle, sock, run.family, to),
              allowed=("ok", "EISCONN"))
    run.check("and once more", outcome_of(run.client.connect_handle, sock, run.family, to), equals="EISCONN")


@behaviour("TCP-CORNER-002", seats=("client",))
def test_connecting_while_a_connect_is_pending(run):
    listener = run.server.tcp_listen(run.family, run.host, backlog=0)
    to = run.addr(listener.local.port)
    run.server.tcp_connect(run.family, to)  # fills the accept queue: further SYNs go unanswered
    state, sock = pending_connect(run, run.client, to)
    run.check("a connect started without waiting, the listener's queue full", state, equals="pending")
    if sock is None:
        return
    run.check("readiness to write while it is pending", quiet(run.client, sock, ["write"]), equals=[])
    run.check("connecting it again while pending", outcome_of(run.client.connect_handle, sock, run.family, to),
              equals="EALREADY")


@behaviour("TCP-CORNER-003", seats=("client",))
def test_self_connect(run):
    port = run.free_port()
    sock = run.client.tcp_socket(run.family)
    try:
        connected = run.client.connect_handle(sock, run.family, run.addr(port), bind=run.addr(port))
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        run.check("connecting to its own address", exc.code, equals="ok")
        return
    run.check("connecting to its own address", "ok", equals="ok")
    run.check("its peer and its own address", (connected.peer, connected.local),
              equals=(run.addr(port), run.addr(port)))
    run.client.send_all(sock, b"self")
    run.check("bytes it sent to itself", received(run.client, sock, 4), equals=b"self")


@behaviour("TCP-CORNER-004", seats=("client",))
def test_connecting_again_after_a_refused_connect(run):
    sock = run.client.tcp_socket(run.family)
    run.check("a connect to a refused port",
              outcome_of(run.client.connect_handle, sock, run.family, run.addr(run.closed_port())),
              equals="ECONNREFUSED")
    listener = run.server.tcp_listen(run.family, run.host)
    attempts = []
    for _ in range(3):
        attempts.append(outcome_of(run.client.connect_handle, sock, run.family, run.addr(listener.local.port)))
        if attempts[-1] == "ok":
            break
    run.check("connects to a listener afterwards, until one succeeds", attempts,
              satisfies=lambda tries: tries[-1:] == ["ok"] and len(tries) <= 2,
              rule="succeeds, at most after one more error")


@behaviour("TCP-CORNER-005", seats=("client",))
def test_a_listener_cannot_connect(run):
    own = run.client.tcp_listen(run.family, run.host)
    other = run.server.tcp_listen(run.family, run.host)
    run.check("connecting a listening socket",
              outcome_of(run.client.connect_handle, own, run.family, run.addr(other.local.port)),
              allowed=("EISCONN", "EOPNOTSUPP"))


@behaviour("TCP-CORNER-006", seats=("client",))
def test_no_peer_after_a_reset(run):
    _, client, server = connect_pair(run)
    run.server.abort(server)
    # Event-driven: wait until the reset has arrived, without consuming its error.
    run.check("readiness once the peer reset the connection", fired(run.client, client, ["read"]),
              satisfies=lambda events: isinstance(events, list) and "error" in events,
              rule="readable with an error pending")
    run.check("the peer once the reset arrived", _peer_or_error(run.client, client), equals="ENOTCONN")
    run.check("the receive after the peer's reset", receive_outcome(run.client, client, run.client.default_timeout),
              equals="ECONNRESET")
    run.check("the peer after the receive reported the reset", _peer_or_error(run.client, client), equals="ENOTCONN")


@behaviour("TCP-CORNER-007", seats=("client",))
def test_peer_known_after_its_close(run):
    listener, client, server = connect_pair(run)
    run.server.close(server)
    run.check("the receive after the peer's close", receive_outcome(run.client, client, run.client.default_timeout),
              equals="EOF")
    run.check("the peer after its close", _peer_or_error(run.client, client), equals=run.addr(listener.local.port))


@behaviour("TCP-CORNER-008", seats=("client",))
def test_no_peer_after_a_refused_connect(run):
    sock = run.client.tcp_socket(run.family)
    run.check("a connect to a refused port",
              outcome_of(run.client.connect_handle, sock, run.family, run.addr(run.closed_port())),
              equals="ECONNREFUSED")
    run.check("the peer after the refused connect", _peer_or_error(run.client, sock), equals="ENOTCONN")
