"""The passive socket itself: no data, no peer, its address, ephemeral ports, waiting."""

from conformance.scenario import behaviour
from conformance.scenarios.common import receive_outcome
from fixtures.endpoint import QUIET_WINDOW

FOREIGN = {"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}  # documentation ranges: never local, never used


@behaviour("TCP-PASSIVE-001", seats=("server",))
def test_listener_receives_no_data(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("receive on the listener", receive_outcome(run.server, listener, QUIET_WINDOW),
              allowed={"ENOTCONN", "EINVAL"})


@behaviour("TCP-PASSIVE-002", seats=("server",))
def test_listener_sends_no_data(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("send on the listener", run.outcome(run.server.send, listener, b"data"),
              allowed={"ENOTCONN", "EPIPE"})


@behaviour("TCP-PASSIVE-003", seats=("server",))
def test_listener_has_no_peer(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("getpeername() on the listener", run.outcome(run.server.peer_address, listener), equals="ENOTCONN")


@behaviour("TCP-PASSIVE-004", seats=("server",))
def test_listener_reports_its_address(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("listener host", listener.local.host, equals=run.host)
    run.check("listener port is not 0", listener.local.port != 0, equals=True)
    run.check("getsockname() agrees", run.server.local_address(listener) == listener.local, equals=True)


@behaviour("TCP-PASSIVE-005", seats=("server",))
def test_port_zero_gives_distinct_ephemeral_ports(run):
    first = run.server.tcp_listen(run.family, run.host, 0)
    second = run.server.tcp_listen(run.family, run.host, 0)
    run.check("both ports non-zero", first.local.port != 0 and second.local.port != 0, equals=True)
    run.check("the ports differ", first.local.port != second.local.port, equals=True)
    for listener in (first, second):
        run.client.tcp_connect(run.family, listener.local)
        run.check("listener accepts a connection", run.outcome(run.server.tcp_accept, listener), equals="ok")


@behaviour("TCP-PASSIVE-017", seats=("server",))
def test_binding_a_foreign_address_fails(run):
    outcome = run.outcome(run.server.tcp_listen, run.family, FOREIGN[run.family])
    run.check("listen on a non-local address", outcome, equals="EADDRNOTAVAIL")


@behaviour("TCP-PASSIVE-018", seats=("server", "client"))
def test_accept_waits_bounded_by_its_timeout(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("accept with nothing pending", run.outcome(run.server.tcp_accept, listener, QUIET_WINDOW),
              equals="ETIMEDOUT")
    run.client.tcp_connect(run.family, listener.local)
    run.check("a later connection is accepted", run.outcome(run.server.tcp_accept, listener), equals="ok")


@behaviour("TCP-PASSIVE-019", seats=("server",))
def test_nonblocking_accept_with_nothing_pending(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("non-blocking accept", run.outcome(run.server.tcp_accept, listener, 0), equals="EAGAIN")
