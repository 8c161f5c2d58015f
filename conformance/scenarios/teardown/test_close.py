"""How a connection ends: orderly close, half-close, abort, and what each end then sees."""

import time

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import (
    connect_pair,
    delivered,
    payload,
    receive_outcome,
    received,
)
from fixtures.endpoint import QUIET_WINDOW

SEATS = ("client", "server")


@behaviour("TCP-TEARDOWN-001", seats=SEATS, families=WITH_UNIX)
def test_orderly_close_delivers_pending_data_then_eof(run):
    _, client, server = connect_pair(run)
    data = payload(64 * 1024, seed=21)
    run.client.send_all(client, data)
    run.client.close(client)
    run.check("all data sent before close arrives, in order", received(run.server, server, len(data)),
              equals=data)
    run.check("then end of stream", receive_outcome(run.server, server, QUIET_WINDOW * 10), equals="EOF")


@behaviour("TCP-TEARDOWN-002", seats=SEATS, families=WITH_UNIX)
def test_end_of_stream_is_sticky(run):
    _, client, server = connect_pair(run)
    run.client.close(client)
    outcomes = [receive_outcome(run.server, server, QUIET_WINDOW * 10) for _ in range(3)]
    run.check("three receives after the peer closed", outcomes, equals=["EOF"] * 3)


@behaviour("TCP-TEARDOWN-003", seats=SEATS, families=WITH_UNIX)
def test_half_close(run):
    _, client, server = connect_pair(run)
    run.client.send_all(client, b"request")
    run.client.shutdown(client, "write")
    run.check("server receives the request", received(run.server, server, 7), equals=b"request")
    run.check("then end of stream", receive_outcome(run.server, server, QUIET_WINDOW * 10), equals="EOF")
    reply = b"reply after half-close"
    run.check("the half-closed client still receives", delivered(run.server, server, run.client, client, reply),
              equals=reply)
    run.server.close(server)
    run.check("and sees end of stream when the server closes", receive_outcome(run.client, client, 1.0),
              equals="EOF")


@behaviour("TCP-TEARDOWN-004", seats=("client",), families=WITH_UNIX)
def test_send_after_shutdown_write_fails(run):
    _, client, _ = connect_pair(run)
    run.client.shutdown(client, "write")
    run.check("send after shutdown(SHUT_WR)", run.outcome(run.client.send, client, b"late"), equals="EPIPE")


@behaviour("TCP-TEARDOWN-005", seats=("client",), families=WITH_UNIX)
def test_shutdown_read_ends_receiving(run):
    _, client, _ = connect_pair(run)
    run.client.shutdown(client, "read")
    run.check("receive after shutdown(SHUT_RD)", receive_outcome(run.client, client, QUIET_WINDOW), equals="EOF")


@behaviour("TCP-TEARDOWN-006", seats=SEATS)
def test_abort_resets_the_peer(run):
    _, client, server = connect_pair(run)
    run.client.abort(client)
    run.check("the peer's receive", receive_outcome(run.server, server, 1.0), equals="ECONNRESET")


@behaviour("TCP-TEARDOWN-007", seats=("server", "client"), families=WITH_UNIX)
def test_close_with_unread_data_resets_the_peer(run):
    _, client, server = connect_pair(run)
    run.client.send_all(client, b"never read")
    # The server reads nothing: the bytes stay queued on its side.
    run.server.close(server)
    run.check("the peer's receive", receive_outcome(run.client, client, 1.0), equals="ECONNRESET")


@behaviour("TCP-TEARDOWN-008", seats=("client", "server"), families=WITH_UNIX)
def test_send_to_a_peer_that_is_gone_fails(run):
    _, client, server = connect_pair(run)
    run.server.close(server)
    run.check("the peer's close is seen", receive_outcome(run.client, client, 1.0), equals="EOF")
    # The first send after the peer's close draws its reset; the send after the reset has
    # arrived fails. On a busy machine the reset can take a while to be processed, so keep
    # sending until one fails, for up to 2 s, rather than a fixed number of times.
    outcome, deadline = "ok", time.monotonic() + 2.0
    with run.client.summarised("send until it fails (for up to 2 s)"):
        while outcome == "ok" and time.monotonic() < deadline:
            outcome = run.outcome(run.client.send, client, b"x")
    run.check("first failing send", outcome, allowed={"EPIPE", "ECONNRESET"})


@behaviour("TCP-TEARDOWN-009", seats=("client",), families=WITH_UNIX)
def test_closed_handle_is_invalid(run):
    _, client, _ = connect_pair(run)
    run.client.close(client)
    run.check("send on a closed socket", run.outcome(run.client.send, client, b"x"), equals="EBADF")
    run.check("receive on a closed socket", receive_outcome(run.client, client, QUIET_WINDOW), equals="EBADF")
    run.check("closing it again", run.outcome(run.client.close, client), equals="EBADF")


@behaviour("TCP-TEARDOWN-013", seats=("client", "server"), families=WITH_UNIX)
def test_shutdown_both_ends_both_directions(run):
    _, client, server = connect_pair(run)
    run.client.shutdown(client, "both")
    run.check("the peer sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.check("the socket's own receive", receive_outcome(run.client, client, QUIET_WINDOW), equals="EOF")
    run.check("the socket's own send", run.outcome(run.client.send, client, b"x"), equals="EPIPE")


@behaviour("TCP-TEARDOWN-014", seats=("server", "client"))
def test_peer_of_an_abort_cannot_send(run):
    _, client, server = connect_pair(run)
    run.client.abort(client)
    run.check("the reset is seen", receive_outcome(run.server, server, 1.0), equals="ECONNRESET")
    run.check("sending on the reset connection", run.outcome(run.server.send, server, b"x"),
              allowed={"ECONNRESET", "EPIPE"})


@behaviour("TCP-TEARDOWN-015", seats=("client",))
def test_shutdown_of_an_unconnected_socket_fails(run):
    sock = run.client.tcp_socket(run.family)
    run.check("shutdown of a never-connected socket", run.outcome(run.client.shutdown, sock, "write"),
              equals="ENOTCONN")


@behaviour("TCP-TEARDOWN-016", seats=("client", "server"))
def test_lingering_close_delivers_everything(run):
    _, client, server = connect_pair(run)
    data = payload(64 * 1024, seed=22)
    run.client.set_option(client, "linger", 5)
    run.client.send_all(client, data)
    run.client.close(client)
    run.check("all data arrives", received(run.server, server, len(data)), equals=data)
    run.check("then end of stream, not a reset", receive_outcome(run.server, server, 1.0), equals="EOF")
