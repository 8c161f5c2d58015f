"""Who may listen on a port: one passive socket, and what SO_REUSEADDR / SO_REUSEPORT change."""

from conformance.scenario import behaviour
from fixtures.endpoint import QUIET_WINDOW


def _second_listener(run, first_options, second_options):
    first = run.server.tcp_listen(run.family, run.host, options=first_options)
    outcome = run.outcome(run.server.tcp_listen, run.family, run.host, first.local.port, options=second_options)
    return first, outcome


@behaviour("TCP-PASSIVE-006", seats=("server",))
def test_one_listener_per_address_and_port(run):
    _, outcome = _second_listener(run, {}, {})
    run.check("second listener on the same port", outcome, equals="EADDRINUSE")


@behaviour("TCP-PASSIVE-007", seats=("server",))
def test_reuseaddr_does_not_allow_two_listeners(run):
    _, outcome = _second_listener(run, {"reuseaddr": True}, {"reuseaddr": True})
    run.check("second listener with SO_REUSEADDR on both", outcome, equals="EADDRINUSE")


@behaviour("TCP-PASSIVE-008", seats=("server", "client"))
def test_reuseport_lets_listeners_share_a_port(run):
    first = run.server.tcp_listen(run.family, run.host, options={"reuseport": True})
    second = run.server.tcp_listen(run.family, run.host, first.local.port, options={"reuseport": True})
    run.check("second listener shares the port", second.local.port == first.local.port, equals=True)
    run.client.tcp_connect(run.family, first.local)
    accepted = [run.outcome(run.server.tcp_accept, listener, QUIET_WINDOW) for listener in (first, second)]
    run.check("exactly one of them accepts the connection", sorted(accepted), equals=["ETIMEDOUT", "ok"])


@behaviour("TCP-PASSIVE-009", seats=("server",))
def test_reuseport_must_be_set_by_every_socket(run):
    _, outcome = _second_listener(run, {}, {"reuseport": True})
    run.check("SO_REUSEPORT listener joining a port held without it", outcome, equals="EADDRINUSE")
