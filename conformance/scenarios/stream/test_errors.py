"""Operations that must fail, and how: refused connects, unconnected sockets, empty queues."""

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import connect_pair, receive_outcome
from conformance.scenarios.stream.steps import receive_up_to, timed_receive_outcome
from fixtures.endpoint import QUIET_WINDOW


@behaviour("TCP-STREAM-009", seats=("client",))
def test_connect_to_a_port_without_listener_is_refused(run):
    port = run.closed_port()
    run.check("connect outcome", run.outcome(run.client.tcp_connect, run.family, run.addr(port)),
              equals="ECONNREFUSED")


@behaviour("TCP-STREAM-010", seats=("client",))
def test_send_on_an_unconnected_socket_fails(run):
    sock = run.client.tcp_socket(run.family)
    run.check("send outcome", run.outcome(run.client.send, sock, b"data"), allowed={"ENOTCONN", "EPIPE"})


@behaviour("TCP-STREAM-011", seats=("client",))
def test_receive_on_an_unconnected_socket_fails(run):
    sock = run.client.tcp_socket(run.family)
    run.check("receive outcome", receive_outcome(run.client, sock, QUIET_WINDOW), equals="ENOTCONN")


@behaviour("TCP-STREAM-012", seats=("client", "server"), families=WITH_UNIX)
def test_nonblocking_receive_with_nothing_queued(run):
    _, client, server = connect_pair(run)
    run.check("client's non-blocking receive", receive_outcome(run.client, client, 0), equals="EAGAIN")
    run.check("server's non-blocking receive", receive_outcome(run.server, server, 0), equals="EAGAIN")


@behaviour("TCP-STREAM-013", seats=("client", "server"), families=WITH_UNIX)
def test_blocking_receive_times_out_and_connection_stays_usable(run):
    _, client, server = connect_pair(run)
    run.check("server's receive with nothing sent", timed_receive_outcome(run.server, server, QUIET_WINDOW),
              equals="ETIMEDOUT", rule=f"waits its whole {QUIET_WINDOW:g} s timeout, then fails with ETIMEDOUT")
    run.client.send_all(client, b"late")
    run.check("data sent after the timeout arrives", receive_up_to(run.server, server, 4), equals=b"late")
