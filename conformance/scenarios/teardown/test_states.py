"""Teardown as the kernel sees it (read with ss): TIME-WAIT, CLOSE-WAIT, port reuse."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome


@behaviour("TCP-TEARDOWN-010", seats=("client", "server"))
def test_active_closer_holds_time_wait(run):
    _, client, server = connect_pair(run)
    run.client.close(client)
    run.check("the passive end sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.server.close(server)
    run.check("the active closer is in TIME-WAIT",
              run.eventually(lambda: run.tcp_states(client.local, client.peer) == ["TIME-WAIT"]), equals=True)
    run.check("the passive closer's socket is gone",
              run.eventually(lambda: run.tcp_states(server.local, server.peer) == []), equals=True)


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
    run.check("the server's end is in TIME-WAIT",
              run.eventually(lambda: run.tcp_states(server.local, server.peer) == ["TIME-WAIT"]), equals=True)
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
    run.check("the server's end waits in CLOSE-WAIT",
              run.eventually(lambda: run.tcp_states(server.local, server.peer) == ["CLOSE-WAIT"]), equals=True)
    run.check("the server sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.server.close(server)
    run.check("after it closes, nothing is in CLOSE-WAIT",
              run.eventually(lambda: "CLOSE-WAIT" not in run.tcp_states(server.local, server.peer)), equals=True)


@behaviour("TCP-TEARDOWN-017", seats=("client", "server"))
def test_both_ends_closing_at_once_end_cleanly(run):
    # Crossing FINs (RFC 9293 case 3) cannot be forced on loopback from one driver; both ends
    # shut down before either reads, which is as close as the wire allows here.
    _, client, server = connect_pair(run)
    run.client.shutdown(client, "write")
    run.server.shutdown(server, "write")
    run.check("the client sees end of stream", receive_outcome(run.client, client, 1.0), equals="EOF")
    run.check("the server sees end of stream", receive_outcome(run.server, server, 1.0), equals="EOF")
    run.client.close(client)
    run.server.close(server)
    lingering = ("CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", "LAST-ACK", "CLOSING", "ESTAB")

    def settled() -> bool:
        states = run.tcp_states(client.local, client.peer) + run.tcp_states(server.local, server.peer)
        return not any(state in lingering for state in states)
    run.check("nothing is left half-closed", run.eventually(settled), equals=True)
