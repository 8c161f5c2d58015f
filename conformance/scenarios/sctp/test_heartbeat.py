"""Heartbeats on an idle association (RFC 9260 §8.3), with the interval set through
SCTP_PEER_ADDR_PARAMS (protocol 1.8, option sctp_hbinterval), judged on the wire."""

import time

from conformance.scenario import behaviour

from .steps import accept, between, connect, listen, observe, set_option

INTERVAL = 200  # ms; a stack adds its RTO (usrsctp: at least 1 s) and jitter
SEEN_WITHIN = 15.0  # seconds for two HEARTBEATs: several intervals even on a loaded machine
GRACE, QUIET = 0.5, 4.0  # after heartbeats are turned off: a grace, then a window with none


def heartbeats(wire, client, server, since: int = 0) -> dict[str, list]:
    """HEARTBEAT and HEARTBEAT-ACK chunks each end sent (from packet number ``since`` on)."""
    ends = {client.local.port: "client", server.local.port: "server"}
    seen: dict[str, list] = {f"{end} {kind}": [] for end in ("client", "server")
                             for kind in ("HEARTBEAT", "HEARTBEAT-ACK")}
    for packet in between(wire, client.local, server.local)[since:]:
        for chunk in packet.chunks:
            if chunk.kind in ("HEARTBEAT", "HEARTBEAT-ACK") and packet.source.port in ends:
                seen[f"{ends[packet.source.port]} {chunk.kind}"].append(chunk)
    return seen


def idle_association(run):
    """An association with heartbeats every INTERVAL ms set on both ends, and the capture."""
    listener = listen(run, run.server)
    wire = observe(run, listener)
    set_option(run.server, listener, "sctp_hbinterval", INTERVAL)  # the accepted association's default
    client = connect(run, run.client, listener.local, listener.encaps_port)
    server = accept(run.server, listener)
    set_option(run.client, client, "sctp_hbinterval", INTERVAL)
    set_option(run.server, server, "sctp_hbinterval", INTERVAL)
    return wire, client, server


@behaviour("SCTP-021")
def test_heartbeats_on_an_idle_association(run):
    wire, client, server = idle_association(run)
    run.eventually(lambda: all(len(heartbeats(wire, client, server)[f"{end} HEARTBEAT"]) >= 2
                               for end in ("client", "server")), SEEN_WITHIN)
    seen = heartbeats(wire, client, server)
    run.check(f"HEARTBEATs each end sent within {SEEN_WITHIN:.0f} s of an interval of {INTERVAL} ms (at least two)",
              {end: "two or more" if len(seen[f"{end} HEARTBEAT"]) >= 2 else len(seen[f"{end} HEARTBEAT"])
               for end in ("client", "server")},
              equals={"client": "two or more", "server": "two or more"})

    def echoed(end: str, peer: str) -> str:
        # the ACKs first: every HEARTBEAT they answer was captured before them
        acks = [chunk.fields.get("info") for chunk in heartbeats(wire, client, server)[f"{peer} HEARTBEAT-ACK"]]
        sent = {chunk.fields.get("info") for chunk in heartbeats(wire, client, server)[f"{end} HEARTBEAT"]}
        if not acks:
            return "no HEARTBEAT-ACK"
        return "each carries a HEARTBEAT's information" if all(info and info in sent for info in acks) \
            else "information changed"
    run.eventually(lambda: all(heartbeats(wire, client, server)[f"{peer} HEARTBEAT-ACK"]
                               for peer in ("client", "server")), 5.0)
    run.check("the HEARTBEAT-ACKs each end's HEARTBEATs got back",
              {end: echoed(end, peer) for end, peer in (("client", "server"), ("server", "client"))},
              equals={"client": "each carries a HEARTBEAT's information",
                      "server": "each carries a HEARTBEAT's information"})


@behaviour("SCTP-022")
def test_no_heartbeats_once_turned_off(run):
    wire, client, server = idle_association(run)
    run.eventually(lambda: all(heartbeats(wire, client, server)[f"{end} HEARTBEAT"]
                               for end in ("client", "server")), SEEN_WITHIN)
    set_option(run.client, client, "sctp_hbinterval", None)
    set_option(run.server, server, "sctp_hbinterval", None)
    # The window: packets captured from GRACE after both answered, for QUIET seconds. A stack
    # that stops its heartbeat timer when told sends none in it, however loaded the machine.
    time.sleep(GRACE)
    start = len(between(wire, client.local, server.local))
    time.sleep(QUIET)
    quiet = heartbeats(wire, client, server, since=start)
    run.check(f"HEARTBEATs each end sent in the {QUIET:.0f} s from {GRACE} s after heartbeats were turned off",
              {end: len(quiet[f"{end} HEARTBEAT"]) for end in ("client", "server")},
              equals={"client": 0, "server": 0})
