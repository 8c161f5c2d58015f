"""SCTP association parameters (protocol 1.8): negotiated streams, the association's status,
the heartbeat interval and SCTP_NODELAY as the API sets and reports them."""

from conformance.scenario import behaviour
from fixtures.endpoint import Addr

from .steps import (
    accept,
    between,
    chunks,
    connect,
    get_option,
    listen,
    observe,
    outcome,
    recv_outcome,
    send,
    set_option,
    status,
)


def shown(message) -> str:
    if isinstance(message, str):
        return message
    return "EOF" if not message.data else f"{message.data.decode('latin-1')} on stream {message.stream}"


@behaviour("SCTP-018")
def test_negotiated_streams(run):
    listener = listen(run, run.server, streams={"out": 5, "in": 3})
    client = connect(run, run.client, listener.local, listener.encaps_port, streams={"out": 7, "in": 4})
    server = accept(run.server, listener)
    ends = {"client": status(run.client, client), "server": status(run.server, server)}
    run.check("negotiated streams, as each end's status reports them",
              {end: f"{got['outstreams']} out, {got['instreams']} in" for end, got in ends.items()},
              equals={"client": "3 out, 4 in", "server": "4 out, 3 in"},
              rule="outbound: min(own out, peer's in); inbound: min(own in, peer's out)")


@behaviour("SCTP-019")
def test_send_beyond_the_negotiated_streams_fails(run):
    listener = listen(run, run.server)
    client = connect(run, run.client, listener.local, listener.encaps_port, streams={"out": 3})
    server = accept(run.server, listener)
    sends = {stream: outcome(send, run.client, client, f"on {stream}".encode(), stream=stream) for stream in (2, 3, 9)}
    run.check("sends on streams 2, 3 and 9 of an association with 3 outbound streams",
              {f"stream {stream}": code for stream, code in sends.items()},
              equals={"stream 2": "ok", "stream 3": "EINVAL", "stream 9": "EINVAL"})
    send(run.client, client, b"after", stream=0)
    run.check("what the server receives, up to the message sent after them",
              [shown(recv_outcome(run.server, server)) for _ in range(2)],
              equals=["on 2 on stream 2", "after on stream 0"])


@behaviour("SCTP-020")
def test_status_after_setup(run):
    listener = listen(run, run.server)
    wire = observe(run, listener)
    client = connect(run, run.client, listener.local, listener.encaps_port)
    server = accept(run.server, listener)
    ends = {"client": status(run.client, client), "server": status(run.server, server)}
    run.check("each end's state", {end: got["state"] for end, got in ends.items()},
              equals={"client": "established", "server": "established"})
    peers = {"client": listener.local, "server": client.local}

    def primary(end: str) -> str:
        got = ends[end]["primary"]
        address = None if got is None else Addr(str(got["host"]), int(got["port"]))
        return "the peer's address" if address == peers[end] else f"{address} (the peer is {peers[end]})"
    run.check("each end's primary path", {end: primary(end) for end in ends},
              equals={"client": "the peer's address", "server": "the peer's address"})
    run.eventually(lambda: {"INIT", "INIT-ACK"} <= {chunk.kind for _, chunk in
                                                   chunks(between(wire, listener.local, client.local))}, 5.0)
    advertised = {"client": None, "server": None}
    for packet, chunk in chunks(between(wire, listener.local, client.local)):
        if chunk.kind == "INIT-ACK" and packet.source.port == listener.local.port:
            advertised["client"] = chunk.fields["a_rwnd"]  # the server's window, as the client knows it
        if chunk.kind == "INIT" and packet.source.port == client.local.port:
            advertised["server"] = chunk.fields["a_rwnd"]
    run.check("each end's peer_rwnd against the a_rwnd its peer advertised at setup (nothing sent since)",
              {end: "the advertised a_rwnd" if got["peer_rwnd"] == advertised[end] and got["peer_rwnd"]
               else f"{got['peer_rwnd']} (advertised {advertised[end]})" for end, got in ends.items()},
              equals={"client": "the advertised a_rwnd", "server": "the advertised a_rwnd"})


@behaviour("SCTP-029")
def test_parameters_read_back(run):
    listener = listen(run, run.server)
    client = connect(run, run.client, listener.local, listener.encaps_port)
    accept(run.server, listener)
    intervals = []
    for value in (5000, None, 1500):
        set_option(run.client, client, "sctp_hbinterval", value)
        intervals.append(get_option(run.client, client, "sctp_hbinterval"))
    run.check("sctp_hbinterval read back after setting 5000, null, 1500", intervals, equals=[5000, None, 1500])
    nodelay = []
    for value in (True, False):
        set_option(run.client, client, "sctp_nodelay", value)
        nodelay.append(get_option(run.client, client, "sctp_nodelay"))
    run.check("sctp_nodelay read back after setting true, false", nodelay, equals=[True, False])
