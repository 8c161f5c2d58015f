"""More options of protocol 1.5: a timeout below the clock's tick, the read-only state of an
accepted connection."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair

TINY = 0.0015


def _kept(value):
    """A timeout read back for TINY: no shorter, at most 11 ms longer (one tick of a 100 Hz clock)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and TINY - 1e-6 <= value <= TINY + 0.011


@behaviour("TCP-OPTS-013", seats=("client",))
def test_a_tiny_timeout_is_kept(run):
    _, client, _ = connect_pair(run)
    for name in ("rcvtimeo", "sndtimeo"):
        run.client.set_option(client, name, TINY)
        run.check(f"{name} after setting {TINY} s", run.client.get_option(client, name), satisfies=_kept,
                  rule=f"from {TINY} to {TINY + 0.011:g} s")


@behaviour("TCP-OPTS-014", seats=("client",))
def test_an_accepted_connection_does_not_listen(run):
    listener, _, accepted = connect_pair(run, server=run.client)
    run.check("type, acceptconn and pending error of an accepted connection",
              {name: run.client.get_option(accepted, name) for name in ("type", "acceptconn", "error")},
              equals={"type": "stream", "acceptconn": False, "error": None})
    run.check("acceptconn of its listener", run.client.get_option(listener, "acceptconn"), equals=True)


def _near(expected, slack=0.02):
    return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool) \
        and abs(value - expected) <= slack


@behaviour("TCP-OPTS-015", seats=("server",))
def test_accepted_connections_inherit_timeouts(run):
    listener = run.server.tcp_listen(run.family, run.host, options={"rcvtimeo": 0.25, "sndtimeo": 0.5})
    run.client.tcp_connect(run.family, run.addr(listener.local.port))
    accepted = run.server.tcp_accept(listener)
    for name, value in (("rcvtimeo", 0.25), ("sndtimeo", 0.5)):
        run.check(f"{name} of an accepted connection, {value} s set on its listener",
                  run.server.get_option(accepted, name), satisfies=_near(value), rule=f"about {value} (within 0.02 s)")
