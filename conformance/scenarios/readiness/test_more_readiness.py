"""More stream readiness (protocol 1.5 ``wait``): half-closes, closes, resets, refused connects and peeks."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome, received
from conformance.scenarios.readiness.steps import (
    fired,
    outcome_of,
    pending_connect,
    quiet,
)
from reference_impl.errors import UNSUPPORTED, OpError


def _has(condition):
    return lambda events: isinstance(events, list) and condition in events


def _peeked(run, sock):
    """What a peek returns: the bytes, or the error code."""
    try:
        return run.client.recv_flags(sock, 64, peek=True)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


@behaviour("TCP-READY-015", seats=("client",))
def test_half_closed_connection_is_readable_and_writable(run):
    _, client, server = connect_pair(run)
    run.server.shutdown(server, "write")
    fired(run.client, client, ["read"])
    run.check("readiness to read and write after the peer's half-close",
              fired(run.client, client, ["read", "write"]), equals=["read", "write"])
    run.check("the receive", receive_outcome(run.client, client, run.client.default_timeout), equals="EOF")
    run.check("a send after the peer's half-close", outcome_of(run.client.send_all, client, b"still open"),
              equals="ok")
    run.check("what the peer receives after its half-close", received(run.server, server, 10),
              equals=b"still open")


@behaviour("TCP-READY-016", seats=("client",))
def test_readable_after_the_peers_close_until_and_after_the_end(run):
    _, client, server = connect_pair(run)
    run.server.close(server)
    run.check("first wait after the peer's close", fired(run.client, client, ["read"]), satisfies=_has("read"),
              rule="readable")
    run.check("second wait, the end of stream unread", fired(run.client, client, ["read"]), satisfies=_has("read"),
              rule="still readable (level-triggered)")
    run.check("the receive", receive_outcome(run.client, client, run.client.default_timeout), equals="EOF")
    run.check("wait after the end of stream was read", fired(run.client, client, ["read"]), satisfies=_has("read"),
              rule="still readable: a receive would not block")
    run.check("a second receive", receive_outcome(run.client, client, run.client.default_timeout), equals="EOF")


@behaviour("TCP-READY-017", seats=("client",))
def test_refused_pending_connect_reports_an_error(run):
    state, sock = pending_connect(run, run.client, run.addr(run.closed_port()))
    run.check("a connect started without waiting, to a refused port", state, allowed=("pending", "ECONNREFUSED"))
    if sock is None:
        return
    run.check("readiness of the refused connect", fired(run.client, sock, ["write"]), satisfies=_has("error"),
              rule="POLLERR among the conditions")


@behaviour("TCP-READY-018", seats=("client",))
def test_own_write_side_shut_is_writable(run):
    _, client, _ = connect_pair(run)
    run.client.shutdown(client, "write")
    run.check("readiness to write with its own write side shut", fired(run.client, client, ["write"]),
              equals=["write"])


@behaviour("TCP-READY-019", seats=("client",))
def test_peeking_leaves_a_connection_readable(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"peek")
    fired(run.client, client, ["read"])
    run.check("the peek", _peeked(run, client), equals=b"peek")
    run.check("readiness after the peek", fired(run.client, client, ["read"]), equals=["read"])
    run.check("the receive after the peek", received(run.client, client, 4), equals=b"peek")
    run.check("readiness once it was received", quiet(run.client, client, ["read"]), equals=[])


@behaviour("TCP-READY-020", seats=("client",))
def test_reset_connection_is_writable_with_its_error(run):
    _, client, server = connect_pair(run)
    run.server.abort(server)
    fired(run.client, client, ["read"])
    events = fired(run.client, client, ["write"])
    run.check("readiness to write after the peer's reset", events, satisfies=_has("write"), rule="writable")
    run.check("an error reported with it", events, satisfies=_has("error"), rule="POLLERR among the conditions")
