"""Teardown on the wire: what the closing end really sent (captured on lo)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, receive_outcome


def flags_of(segments, flag: str) -> list[str]:
    """The flags of the segments that carry ``flag``, together (retransmissions count once)."""
    return sorted({name for segment in segments if flag in segment.flags for name in segment.flags})


def resets(wire, ends: dict) -> list[str]:
    """Who of the connection's two ends sent a segment carrying RST, with its flags and the
    connection's segments before it (the exchange that ended in a reset: which segment it
    answered). A listener's RST to a stray segment of another connection is not one."""
    names = {(sock.local, sock.peer): name for name, sock in ends.items()}
    exchange = [(names[key], segment) for segment in wire.segments()
                if (key := (segment.source, segment.destination)) in names]
    found = []
    for index, (name, segment) in enumerate(exchange):
        if "RST" in segment.flags:
            before = ", ".join(f"{who} {_shown(s)}" for who, s in exchange[max(0, index - 6):index])
            found.append(f"{name}: {_shown(segment)} " + (f"(after: {before})" if before else "(the first segment seen)"))
    return found


def _shown(segment) -> str:
    """A segment's flags, and its payload's length if it carries one: "ACK FIN", "ACK PSH +5"."""
    return " ".join(sorted(segment.flags)) + (f" +{segment.payload_length}" if segment.payload_length else "")


@behaviour("TCP-TEARDOWN-018", seats=("client", "server"))
def test_orderly_close_sends_fin(run):
    listener, client, server = connect_pair(run)
    wire = run.observe_tcp(listener.local.port)
    run.client.close(client)
    receive_outcome(run.server, server, 1.0)
    run.server.close(server)
    ends = {"client": client, "server": server}

    def over() -> bool:  # both FINs seen, or a reset ended it
        return bool(resets(wire, ends)) or all(flags_of(wire.sent_on(sock), "FIN") for sock in ends.values())
    run.eventually(over)
    run.check("no segment carried RST", resets(wire, ends), equals=[])
    run.check("the client sent FIN", flags_of(wire.sent_on(client), "FIN"), equals=["ACK", "FIN"],
              rule="a FIN (with its ACK) must leave the client")
    run.check("the server sent FIN", flags_of(wire.sent_on(server), "FIN"), equals=["ACK", "FIN"],
              rule="a FIN (with its ACK) must leave the server")


@behaviour("TCP-TEARDOWN-019", seats=("client", "server"))
def test_abortive_close_sends_rst(run):
    listener, client, server = connect_pair(run)
    wire = run.observe_tcp(listener.local.port)
    run.client.abort(client)
    run.eventually(lambda: bool(flags_of(wire.sent_on(client), "RST")))
    run.check("the client sent RST", flags_of(wire.sent_on(client), "RST"), equals=["ACK", "RST"],
              rule="a RST must leave the client")
    run.check("the client sent no FIN", flags_of(wire.sent_on(client), "FIN"), equals=[])
    run.check("the server's receive", receive_outcome(run.server, server, 1.0), equals="ECONNRESET")
