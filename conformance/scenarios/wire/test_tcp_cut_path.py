"""The user timeout when the peer stops acknowledging: the target alone in a namespace of its
own (docs/protocol.md §7a), where the suite cuts the path between its two ends."""

import subprocess
from contextlib import contextmanager

from conformance.scenario import NotApplicable, behaviour
from fixtures.netns import in_namespace_of

from .test_tcp_wire_more import STUCK_FOR, USER_TIMEOUT_MS

CLIENT_HOST, SERVER_HOST = "127.0.0.1", "127.0.0.2"  # both on lo; nothing else uses 127.0.0.2


def _ip(pid: int, *argv: str) -> None:
    """``ip ARGV`` in the namespace of process ``pid`` (a child inherits the forking thread's)."""
    in_namespace_of(pid, lambda: subprocess.run(["ip", *argv], check=True, capture_output=True, timeout=10))


@contextmanager
def _cut_path_to(run, host: str):
    """While inside, packets to ``host`` in the twin's namespace go nowhere (a blackhole route)."""
    pid = getattr(run.client.transport, "pid", None)
    if pid is None:
        raise NotApplicable("the target does not run as a process in a namespace of its own")
    route = ("route", "add", "blackhole", f"{host}/32", "table", "local")
    _ip(pid, *route)
    try:
        yield
    finally:  # the twin serves later cases: its namespace is left as it was
        _ip(pid, "route", "del", *route[2:])


@behaviour("TCP-WIRE-016", seats=("client",), families=("ipv4",), isolation="netns")
def test_user_timeout_ends_a_connection_the_peer_never_acknowledges(run):
    listener = run.client.tcp_listen(run.family, SERVER_HOST)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port, SERVER_HOST),
                                    bind=run.addr(0, CLIENT_HOST))
    run.client.tcp_accept(listener)
    run.client.set_option(client, "user_timeout", USER_TIMEOUT_MS)
    with _cut_path_to(run, SERVER_HOST):
        run.client.send_all(client, b"never acknowledged" * 64)
        ended = run.outcome(run.client.recv, client, 1024, STUCK_FOR)
        run.check(f"what a receive answers once the sent data stays unacknowledged (user_timeout "
                  f"{USER_TIMEOUT_MS} ms, the receive's own deadline {STUCK_FOR:g} s)", ended, equals="ETIMEDOUT")
        # The connection is over (see TCP-WIRE-015); EAGAIN would mean it still waits.
        run.check("what a send answers afterwards (timeout 0)", run.outcome(run.client.send, client, b"x", 0),
                  allowed=["EPIPE", "ETIMEDOUT"])
