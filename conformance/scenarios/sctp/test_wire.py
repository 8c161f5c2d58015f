"""SCTP on the wire: the packets each end really sent (inside UDP on lo, or over IP)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import digest, payload

from .steps import (
    NO_LISTENER,
    WAIT,
    associate,
    between,
    chunks,
    connect,
    encaps_port_of,
    listen,
    observe,
    outcome,
    read_message,
    recv_outcome,
    send,
)

SETUP = ("INIT", "INIT-ACK", "COOKIE-ECHO", "COOKIE-ACK")
TEARDOWN = ("SHUTDOWN", "SHUTDOWN-ACK", "SHUTDOWN-COMPLETE", "ABORT")


def first(pairs, kind: str):
    return next(((packet, chunk) for packet, chunk in pairs if chunk.kind == kind), (None, None))


@behaviour("SCTP-002")
def test_four_way_handshake(run):
    listener = listen(run, run.server)
    wire = observe(run, listener)
    client = connect(run, run.client, listener.local, listener.encaps_port)
    run.server.call("sctp.accept", WAIT, handle=listener.handle)
    run.eventually(lambda: all(first(chunks(between(wire, listener.local, client.local)), kind)[0]
                               for kind in SETUP), WAIT)
    pairs = chunks(between(wire, listener.local, client.local))
    (init_packet, init), (ack_packet, ack) = first(pairs, "INIT"), first(pairs, "INIT-ACK")
    (echo_packet, echo), (cookie_ack_packet, _) = first(pairs, "COOKIE-ECHO"), first(pairs, "COOKIE-ACK")

    def tag(packet, expected: int, name: str) -> str:
        return "(none)" if packet is None else name if packet.verification_tag == expected else "another tag"
    client_tag = init.fields.get("initiate_tag") if init else None
    server_tag = ack.fields.get("initiate_tag") if ack else None
    run.check("verification tags and cookie of the setup", {
        "INIT tag": "(none)" if init_packet is None else init_packet.verification_tag,
        "INIT-ACK tag": tag(ack_packet, client_tag, "the INIT's initiate tag"),
        "INIT-ACK has a State Cookie": bool(ack and 7 in ack.fields.get("parameters", [])),
        "COOKIE-ECHO tag": tag(echo_packet, server_tag, "the INIT-ACK's initiate tag"),
        "COOKIE-ECHO carries a cookie": bool(echo and echo.fields.get("cookie")),
        "COOKIE-ACK tag": tag(cookie_ack_packet, client_tag, "the INIT's initiate tag"),
    }, equals={"INIT tag": 0, "INIT-ACK tag": "the INIT's initiate tag", "INIT-ACK has a State Cookie": True,
               "COOKIE-ECHO tag": "the INIT-ACK's initiate tag", "COOKIE-ECHO carries a cookie": True,
               "COOKIE-ACK tag": "the INIT's initiate tag"})
    ends = {client.local.port: "client", listener.local.port: "server"}
    # each (sender, chunk type) once: a retransmitted INIT or COOKIE-ECHO on a loaded machine is the same step
    run.check("chunks of the association, by sender, each once",
              list(dict.fromkeys(f"{ends.get(packet.source.port, 'another port')}: {chunk.kind}"
                                 for packet, chunk in pairs
                                 if chunk.kind not in ("DATA", "SACK", "HEARTBEAT", "HEARTBEAT-ACK"))),
              equals=["client: INIT", "server: INIT-ACK", "client: COOKIE-ECHO", "server: COOKIE-ACK"])


@behaviour("SCTP-008")
def test_data_chunk_fields(run):
    listener, client, server = associate(run)
    wire = observe(run, listener)
    send(run.client, client, b"unordered", stream=3, ppid=51, unordered=True)
    send(run.client, client, b"ordered", stream=4, ppid=7)
    for _ in range(2):
        recv_outcome(run.server, server)
    run.eventually(lambda: len({c.fields["tsn"] for _, c in chunks(between(wire, client.local, server.local),
                                                                    client.local) if c.kind == "DATA"}) >= 2, WAIT)
    data = {chunk.fields["payload"].decode("latin-1"): f"stream {chunk.fields['stream']}, ppid "
            f"{chunk.fields['ppid']}, {'U' if 'U' in chunk.flag_names() else 'no U'}"
            for _, chunk in chunks(between(wire, client.local, server.local), client.local) if chunk.kind == "DATA"}
    run.check("each message's DATA chunk", data, equals={"unordered": "stream 3, ppid 51, U",
                                                         "ordered": "stream 4, ppid 7, no U"})


def fragment_pattern(flags: list[list[str]]) -> str:
    """DATA chunks' B and E bits, the middle ones counted: "B, 14 × none, E"."""
    shown = [" ".join(names) or "none" for names in flags]
    if len(shown) > 2 and all(item == "none" for item in shown[1:-1]):
        return f"{shown[0]}, {len(shown) - 2} × none, {shown[-1]}"
    return ", ".join(shown)


def fragmented(pattern: str) -> bool:
    parts = pattern.split(", ")
    return len(parts) == 3 and parts[0] == "B" and parts[2] == "E" and parts[1].endswith("× none") \
        or pattern == "B, E"


@behaviour("SCTP-009")
def test_large_message_fragmented_and_reassembled(run):
    listener, client, server = associate(run)
    wire = observe(run, listener)
    message = payload(20000, seed=9)
    send(run.client, client, message, stream=1)
    whole = read_message(run.server, server)

    def fragments() -> list:
        seen = {}
        for _, chunk in chunks(between(wire, client.local, server.local), client.local):
            if chunk.kind == "DATA" and chunk.fields["stream"] == 1:
                seen.setdefault(chunk.fields["tsn"], chunk)
        return [seen[tsn] for tsn in sorted(seen)]
    run.eventually(lambda: sum(len(c.fields["payload"]) for c in fragments()) >= len(message), WAIT)
    run.check("B and E bits of the message's DATA chunks, in TSN order",
              fragment_pattern([chunk.flag_names() for chunk in fragments()]), satisfies=fragmented,
              rule="several DATA chunks: B on the first, E on the last, neither between")
    run.check("the message as received", whole if isinstance(whole, str) else digest(whole[0]),
              equals=digest(message))


@behaviour("SCTP-011")
def test_shutdown_on_the_wire(run):
    listener, client, server = associate(run)
    wire = observe(run, listener)
    send(run.client, client, b"bye")
    run.client.call("sctp.shutdown", handle=client.handle, how="write")
    ends = {client.local.port: "client", server.local.port: "server"}
    recv_outcome(run.server, server)
    recv_outcome(run.server, server)

    def teardown() -> list[str]:
        return [f"{ends[packet.source.port]}: {chunk.kind}" for packet, chunk in
                chunks(between(wire, client.local, server.local)) if chunk.kind in TEARDOWN]
    run.eventually(lambda: any(item.endswith(("SHUTDOWN-COMPLETE", "ABORT")) for item in teardown()), WAIT)
    run.check("packets that carried ABORT", [item for item in teardown() if item.endswith("ABORT")], equals=[])
    run.check("teardown chunks, by sender (each once)", list(dict.fromkeys(teardown())),
              equals=["client: SHUTDOWN", "server: SHUTDOWN-ACK", "client: SHUTDOWN-COMPLETE"])


@behaviour("SCTP-013")
def test_abort_sends_abort(run):
    listener, client, server = associate(run)
    wire = observe(run, listener)
    run.client.call("sctp.abort", handle=client.handle)
    ends = {client.local.port: "client", server.local.port: "server"}

    def teardown() -> list[str]:
        return list(dict.fromkeys(f"{ends[packet.source.port]}: {chunk.kind}" for packet, chunk in
                                  chunks(between(wire, client.local, server.local)) if chunk.kind in TEARDOWN))
    run.eventually(lambda: bool(teardown()), WAIT)
    run.check("teardown chunks, by sender", teardown(), equals=["client: ABORT"])
    got = recv_outcome(run.server, server)
    run.check("the server's receive", got if isinstance(got, str) else "EOF" if not got.data else "data",
              equals="ECONNRESET")


@behaviour("SCTP-014")
def test_setup_to_no_listener_is_refused(run):
    encaps = encaps_port_of(run, run.server)
    wire = observe(run, encaps)
    to = run.addr(NO_LISTENER)
    refused = outcome(connect, run, run.client, to, encaps)
    inits: dict = {}

    def answers() -> dict:
        for packet in wire.packets():
            for chunk in packet.chunks:
                if chunk.kind == "INIT" and packet.destination.port == NO_LISTENER:
                    inits.setdefault(chunk.fields["initiate_tag"], [])
        found = {tag: [] for tag in inits}
        for packet in wire.packets():
            if packet.source.port == NO_LISTENER and packet.verification_tag in found:
                found[packet.verification_tag] += [
                    f"{chunk.kind}{' with T' if 'T' in chunk.flag_names() else ''}" for chunk in packet.chunks]
        return {tag: sorted(set(kinds)) for tag, kinds in found.items()}  # a retransmitted INIT: one answer
    run.eventually(lambda: bool(answers()) and all(answers().values()), WAIT)
    run.check("what answered each INIT to the port (by its initiate tag)", list(answers().values()),
              equals=[["ABORT"]])
    run.check("the connect", refused, equals="ECONNREFUSED")
