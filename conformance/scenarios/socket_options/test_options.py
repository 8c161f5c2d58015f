"""Options of protocol 1.5 on stream sockets: timeouts (read back, and ending a blocked call),
keep-alive tuning, user timeout, cork, TOS, and the read-only SO_TYPE, SO_ACCEPTCONN, SO_ERROR."""

import time

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair
from conformance.scenarios.readiness.steps import about, fill, outcome_of
from reference_impl.errors import UNSUPPORTED, OpError


def _near(expected, slack=0.02):
    return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool) \
        and abs(value - expected) <= slack


def _target_side(run, client, server):
    return (run.client, client) if run.target_seat == "client" else (run.server, server)


@behaviour("TCP-OPTS-001", seats=("client",))
def test_timeouts_read_back(run):
    _, client, _ = connect_pair(run)
    for name in ("rcvtimeo", "sndtimeo"):
        run.check(f"{name} on a new connection", run.client.get_option(client, name), equals=0)
        run.client.set_option(client, name, 0.25)
        run.check(f"{name} after setting 0.25 s", run.client.get_option(client, name), satisfies=_near(0.25),
                  rule="about 0.25 (within 0.02 s)")
        run.client.set_option(client, name, 0)
        run.check(f"{name} after setting 0", run.client.get_option(client, name), equals=0)


def _blocking(operation, *args, **kwargs):
    """Outcome of one blocking call ("ok", or the error code) and the seconds it took."""
    started = time.monotonic()
    try:
        operation(*args, **kwargs)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, time.monotonic() - started
    return "ok", time.monotonic() - started


@behaviour("TCP-OPTS-002", seats=("client",))
def test_receive_timeout_ends_a_blocked_receive(run):
    _, client, _ = connect_pair(run)
    run.client.set_option(client, "rcvtimeo", 0.3)
    outcome, took = _blocking(run.client.recv_flags, client, 64, 3.0, blocking=True)
    run.check("a blocking receive with rcvtimeo 0.3 s and nothing arriving", (outcome, about(took, 0.3, 1.5)),
              equals=("EAGAIN", "about the set time"))


@behaviour("TCP-OPTS-003", seats=("client",))
def test_send_timeout_ends_a_blocked_send(run):
    _, client, _ = connect_pair(run)
    _, ending = fill(run.client, client)
    run.check("sends without waiting while the peer does not read", ending, equals="EAGAIN")
    run.client.set_option(client, "sndtimeo", 0.3)
    # The kernel may still free a little room after the fill (the peer's window grows): a
    # blocking send that finds some takes it and returns at once. Send until one blocks.
    with run.client.summarised("blocking sends of 64 KiB until one finds no room (at most 20)"):
        for _ in range(20):
            outcome, took = _blocking(run.client.send_flags, client, bytes(64 * 1024), 3.0, blocking=True)
            if outcome != "ok":
                break
    run.check("a blocking send with sndtimeo 0.3 s and the buffer full", (outcome, about(took, 0.3, 1.5)),
              equals=("EAGAIN", "about the set time"))


@behaviour("TCP-OPTS-004", seats=("client", "server"))
def test_keepalive_timing_can_be_tuned(run):
    _, client, server = connect_pair(run)
    endpoint, sock = _target_side(run, client, server)
    for name, value in (("keepidle", 30), ("keepintvl", 5), ("keepcnt", 3)):
        endpoint.set_option(sock, name, value)
        run.check(f"{name} after setting {value}", endpoint.get_option(sock, name), equals=value)


@behaviour("TCP-OPTS-005", seats=("client",))
def test_user_timeout(run):
    _, client, _ = connect_pair(run)
    run.check("user_timeout on a new connection", run.client.get_option(client, "user_timeout"), equals=0)
    run.client.set_option(client, "user_timeout", 5000)
    run.check("user_timeout after setting 5000", run.client.get_option(client, "user_timeout"), equals=5000)


@behaviour("TCP-OPTS-006", seats=("client",))
def test_cork_can_be_switched(run):
    _, client, _ = connect_pair(run)
    run.check("cork on a new connection", run.client.get_option(client, "cork"), equals=False)
    for value in (True, False):
        run.client.set_option(client, "cork", value)
        run.check(f"cork after setting {value}", run.client.get_option(client, "cork"), equals=value)


@behaviour("TCP-OPTS-007", seats=("client", "server"))
def test_tos_reads_back(run):
    _, client, server = connect_pair(run)
    endpoint, sock = _target_side(run, client, server)
    for value in (0x28, 0x10):
        endpoint.set_option(sock, "tos", value)
        run.check(f"tos after setting {value}", endpoint.get_option(sock, "tos"), equals=value)


@behaviour("TCP-OPTS-008", seats=("client",))
def test_socket_type(run):
    listener, client, _ = connect_pair(run, server=run.client)
    run.check("type of a listener and of a connection",
              {"listener": run.client.get_option(listener, "type"), "connection": run.client.get_option(client, "type")},
              equals={"listener": "stream", "connection": "stream"})
    datagrams = run.client.udp_bind(run.family, run.host)
    run.check("type of a datagram socket", run.client.get_option(datagrams, "type"), equals="dgram")


@behaviour("TCP-OPTS-009", seats=("client",))
def test_acceptconn(run):
    listener, client, _ = connect_pair(run, server=run.client)
    run.check("acceptconn of a listener and of a connection",
              {"listener": run.client.get_option(listener, "acceptconn"),
               "connection": run.client.get_option(client, "acceptconn")},
              equals={"listener": True, "connection": False})


@behaviour("TCP-OPTS-010", seats=("client",))
def test_no_pending_error_on_a_healthy_connection(run):
    listener, client, _ = connect_pair(run, server=run.client)
    run.client.send_all(client, b"healthy")
    run.check("pending error of a working connection and of its listener",
              {"connection": run.client.get_option(client, "error"), "listener": run.client.get_option(listener, "error")},
              equals={"connection": None, "listener": None})


@behaviour("TCP-OPTS-011", seats=("client",))
def test_read_only_options_cannot_be_set(run):
    _, client, _ = connect_pair(run, server=run.client)
    refused = {name: outcome_of(run.client.set_option, client, name, value)
               for name, value in (("type", 2), ("acceptconn", True), ("error", 0))}
    run.check("setting the read-only options", refused,
              satisfies=lambda codes: all(code not in ("ok",) for code in codes.values()),
              rule="each fails (ENOPROTOOPT on Linux)")
    run.check("what they read after", {"type": run.client.get_option(client, "type"),
                                       "acceptconn": run.client.get_option(client, "acceptconn")},
              equals={"type": "stream", "acceptconn": False})


@behaviour("TCP-OPTS-012", seats=("client",))
def test_tcp_options_on_a_datagram_socket(run):
    sock = run.client.udp_bind(run.family, run.host)
    outcomes = {}
    for name, value in (("keepidle", 30), ("cork", True)):
        outcomes[f"get {name}"] = outcome_of(run.client.get_option, sock, name)
        outcomes[f"set {name}"] = outcome_of(run.client.set_option, sock, name, value)
    run.check("TCP options on a UDP socket", outcomes,
              satisfies=lambda codes: all(code in ("EOPNOTSUPP", "ENOPROTOOPT", "EINVAL") for code in codes.values()),
              rule="each fails with EOPNOTSUPP, ENOPROTOOPT or EINVAL")
