"""Who may listen on a port: one passive socket, and what SO_REUSEADDR / SO_REUSEPORT change."""

from conformance.scenario import behaviour
from fixtures.endpoint import QUIET_WINDOW, Socket

from .steps import listen_outcome


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
    second = listen_outcome(run, first.local.port, {"reuseport": True})
    run.check("second listener with SO_REUSEPORT", second.local if isinstance(second, Socket) else second,
              equals=first.local, rule="must listen on the first listener's address")
    if isinstance(second, Socket):
        run.client.tcp_connect(run.family, first.local)
        # The kernel picks the listener by a hash of the connection: which one is not fixed.
        accepted = sorted(run.outcome(run.server.tcp_accept, listener, QUIET_WINDOW) for listener in (first, second))
        run.check("accept on each listener", accepted, equals=["ETIMEDOUT", "ok"],
                  rule="exactly one accepts the connection; the other has nothing pending")


@behaviour("TCP-PASSIVE-009", seats=("server",))
def test_reuseport_must_be_set_by_every_socket(run):
    _, outcome = _second_listener(run, {}, {"reuseport": True})
    run.check("SO_REUSEPORT listener joining a port held without it", outcome, equals="EADDRINUSE")
