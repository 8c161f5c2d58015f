"""The passive socket itself: no data, no peer, its address, ephemeral ports, waiting."""

from conformance.scenario import behaviour
from conformance.scenarios.common import receive_outcome
from fixtures.endpoint import QUIET_WINDOW

from .steps import new_connection

FOREIGN = {"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}  # documentation ranges: never local, never used


def _port_is_set(address) -> bool:
    return address.port != 0


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
    run.check("listener address", listener.local, satisfies=_port_is_set, rule="its port must not be 0")
    run.check("getsockname() agrees", run.server.local_address(listener), equals=listener.local,
              rule="must be the address listen reported")


@behaviour("TCP-PASSIVE-005", seats=("server",))
def test_port_zero_gives_distinct_ephemeral_ports(run):
    listeners = [run.server.tcp_listen(run.family, run.host, 0) for _ in range(2)]
    addresses = [listener.local for listener in listeners]
    run.check("the two listeners' addresses", addresses,
              satisfies=lambda both: all(map(_port_is_set, both)) and both[0].port != both[1].port,
              rule="two different ports, neither 0")
    for listener in listeners:
        outcome, _, _ = new_connection(run, listener)
        run.check("listener accepts a connection", outcome, equals="ok")


@behaviour("TCP-PASSIVE-017", seats=("server",))
def test_binding_a_foreign_address_fails(run):
    outcome = run.outcome(run.server.tcp_listen, run.family, FOREIGN[run.family])
    run.check("listen on a non-local address", outcome, equals="EADDRNOTAVAIL")


@behaviour("TCP-PASSIVE-018", seats=("server", "client"))
def test_accept_waits_bounded_by_its_timeout(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("accept with nothing pending", run.outcome(run.server.tcp_accept, listener, QUIET_WINDOW),
              equals="ETIMEDOUT")
    outcome, _, _ = new_connection(run, listener)
    run.check("a later connection is accepted", outcome, equals="ok")


@behaviour("TCP-PASSIVE-019", seats=("server",))
def test_nonblocking_accept_with_nothing_pending(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.check("non-blocking accept", run.outcome(run.server.tcp_accept, listener, 0), equals="EAGAIN")
