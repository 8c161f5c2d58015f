"""Teardown on the wire: what the closing end really sent (captured on lo)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome


@behaviour("TCP-TEARDOWN-018", seats=("client", "server"))
def test_orderly_close_sends_fin(run):
    listener, client, server = connect_pair(run)
    wire = run.observe_tcp(listener.local.port)
    run.client.close(client)
    receive_outcome(run.server, server, 1.0)
    run.server.close(server)
    run.check("the client sent FIN", run.eventually(lambda: any("FIN" in s.flags for s in wire.sent_by(client.local))),
              equals=True)
    run.check("the server sent FIN", run.eventually(lambda: any("FIN" in s.flags for s in wire.sent_by(server.local))),
              equals=True)
    run.check("no segment carried RST", any("RST" in s.flags for s in wire.segments()), equals=False)


@behaviour("TCP-TEARDOWN-019", seats=("client", "server"))
def test_abortive_close_sends_rst(run):
    listener, client, server = connect_pair(run)
    wire = run.observe_tcp(listener.local.port)
    run.client.abort(client)
    run.check("the client sent RST", run.eventually(lambda: any("RST" in s.flags for s in wire.sent_by(client.local))),
              equals=True)
    run.check("the client sent no FIN", any("FIN" in s.flags for s in wire.sent_by(client.local)), equals=False)
    run.check("the server's receive", receive_outcome(run.server, server, 1.0), equals="ECONNRESET")
