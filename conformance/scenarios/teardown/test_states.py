"""Teardown as the kernel sees it (read with ss): TIME-WAIT, CLOSE-WAIT, port reuse."""

from collections.abc import Callable
from typing import TypeVar

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome
from fixtures.endpoint import QUIET_WINDOW, Socket

T = TypeVar("T")
HALF_CLOSED = ("ESTAB", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK")


def observed_until(run, observe: Callable[[], T], settled: Callable[[T], bool], timeout: float = 2.0) -> T:
    """What ``observe()`` sees once ``settled`` holds of it, or its last sight when ``timeout``
    ends the wait (the kernel changes state asynchronously)."""
    seen: list = []

    def look() -> bool:
        seen[:] = [observe()]
        return settled(seen[0])
    run.eventually(look, timeout)
    return seen[0]


def states_once(run, sock: Socket, settled: Callable[[list[str]], bool], timeout: float = 2.0) -> list[str]:
    """This end's kernel states, once ``settled`` holds of them (or at the deadline)."""
    return observed_until(run, lambda: run.tcp_states(sock.local, sock.peer), settled, timeout)


def states_are(*states: str) -> Callable[[list[str]], bool]:
    return lambda seen: seen == list(states)


@behaviour("TCP-TEARDOWN-010", seats=("client", "server"))
def test_active_closer_holds_time_wait(run):
    _, client, server = connect_pair(run)
    run.client.close(client)
    run.check("the passive end sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.server.close(server)
    run.check("the passive closer's socket is gone", states_once(run, server, states_are()), equals=[])
    run.check("the active closer is in TIME-WAIT", states_once(run, client, states_are("TIME-WAIT")),
              equals=["TIME-WAIT"])


@behaviour("TCP-TEARDOWN-011", seats=("server",))
def test_reuseaddr_and_time_wait(run):
    # A server that restarts on its port sets SO_REUSEADDR; the accepted connection inherits
    # it, which is what lets a new listener share the port with its TIME-WAIT (Linux).
    listener = run.server.tcp_listen(run.family, run.host, options={"reuseaddr": True})
    client = run.client.tcp_connect(run.family, listener.local)
    server = run.server.tcp_accept(listener)
    run.server.close(server)  # the server closes first: its end will hold TIME-WAIT
    receive_outcome(run.client, client, 1.0)
    run.client.close(client)
    run.server.close(listener)
    run.check("the server's end is in TIME-WAIT", states_once(run, server, states_are("TIME-WAIT")),
              equals=["TIME-WAIT"])
    port = listener.local.port
    run.check("a new listener without SO_REUSEADDR",
              run.outcome(run.server.tcp_listen, run.family, run.host, port), equals="EADDRINUSE")
    run.check("a new listener with SO_REUSEADDR",
              run.outcome(run.server.tcp_listen, run.family, run.host, port, options={"reuseaddr": True}),
              equals="ok")


@behaviour("TCP-TEARDOWN-012", seats=("server", "client"))
def test_no_socket_left_in_close_wait(run):
    _, client, server = connect_pair(run)
    run.client.close(client)
    run.check("the server's end waits in CLOSE-WAIT", states_once(run, server, states_are("CLOSE-WAIT")),
              equals=["CLOSE-WAIT"])
    run.check("the server sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    # Reading the end of stream is not closing: the socket must stay until the application closes it.
    run.check("reading end of stream leaves it in CLOSE-WAIT",
              states_once(run, server, lambda seen: seen != ["CLOSE-WAIT"], QUIET_WINDOW), equals=["CLOSE-WAIT"])
    run.server.close(server)
    run.check("after it closes, its socket is gone", states_once(run, server, states_are()), equals=[],
              rule="nothing of it may be left (no CLOSE-WAIT)")


@behaviour("TCP-TEARDOWN-017", seats=("client", "server"))
def test_both_ends_closing_at_once_end_cleanly(run):
    # Crossing FINs (RFC 9293 case 3) cannot be forced on loopback from one driver: both ends
    # shut down before either reads, which is as close as the wire allows here.
    _, client, server = connect_pair(run)
    run.client.shutdown(client, "write")
    run.server.shutdown(server, "write")
    ends = {"client": client, "server": server}

    def half_closed() -> dict[str, list[str]]:
        return {name: [s for s in run.tcp_states(sock.local, sock.peer) if s in HALF_CLOSED]
                for name, sock in ends.items()}
    seen = observed_until(run, half_closed, lambda states: not any(states.values()))
    run.check("nothing is left half-closed", seen, equals={"client": [], "server": []})
    run.check("the client sees end of stream", receive_outcome(run.client, client, 1.0), equals="EOF")
    run.check("the server sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.client.close(client)
    run.server.close(server)
