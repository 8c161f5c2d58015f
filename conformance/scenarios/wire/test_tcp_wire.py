"""Stream options seen on the wire: TTL, DS field, the SYN's MSS, keep-alive probes, nodelay
and linger, as the segments a connection really sent show them (captured on lo)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import digest, payload, received
from conformance.scenarios.wire.steps import (
    WAIT,
    data_segments,
    default_hops,
    described,
    loopback_mss,
    observed_pair,
    relative,
    segments_after,
    sent_and_read,
    target_end,
)

QUIET = 2.0  # two keep-alive idle times of 1 s: a probe that was due leaves at the end of the first


@behaviour("TCP-WIRE-001", seats=("client", "server"))
def test_ttl_on_segments(run):
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    for value in (7, 200):
        endpoint.set_option(sock, "ttl", value)
        seen = sent_and_read(run, wire, endpoint, sock, peer, peer_sock, b"ttl-data")
        run.check(f"TTL of the data segments sent after setting ttl {value}", sorted({s.ttl for s in seen}),
                  equals=[value])


@behaviour("TCP-WIRE-002", seats=("client", "server"))
def test_default_ttl_and_ds_field(run):
    _, client, server, wire = observed_pair(run)
    sent_and_read(run, wire, run.client, client, run.server, server, b"to the server")
    sent_and_read(run, wire, run.server, server, run.client, client, b"to the client")
    _, sock, _, _ = target_end(run, client, server)
    mine = wire.sent_on(sock)
    default = default_hops(run)
    run.check(f"TTLs of every segment the {run.target_seat} sent (the system's default is {default})",
              sorted({s.ttl for s in mine}), equals=[default])
    run.check(f"DS fields of every segment the {run.target_seat} sent", sorted({s.tos & 0xFC for s in mine}),
              equals=[0])


@behaviour("TCP-WIRE-003", seats=("client", "server"))
def test_tos_on_segments(run):
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    for value in (0x28, 0x10):
        endpoint.set_option(sock, "tos", value)
        seen = sent_and_read(run, wire, endpoint, sock, peer, peer_sock, b"tos-data")
        run.check(f"DS field of the data segments sent after setting tos {value}",
                  sorted({s.tos & 0xFC for s in seen}), equals=[value])


@behaviour("TCP-WIRE-004", seats=("server",))
def test_listener_options_on_syn_ack(run):
    listener = run.server.tcp_listen(run.family, run.host, options={"ttl": 9})
    run.server.set_option(listener, "tos", 0x28)
    wire = run.observe_tcp(listener.local.port)
    run.client.tcp_connect(run.family, run.addr(listener.local.port))
    run.server.tcp_accept(listener)

    def syn_acks():
        return [s for s in wire.sent_by(listener.local) if s.flags >= {"SYN", "ACK"}]
    run.eventually(lambda: bool(syn_acks()), WAIT)
    run.check("TTL of the SYN-ACK", sorted({s.ttl for s in syn_acks()}), equals=[9])
    run.check("DS field of the SYN-ACK", sorted({s.tos & 0xFC for s in syn_acks()}), equals=[0x28])


@behaviour("TCP-WIRE-012", seats=("client",))
def test_ttl_given_at_connect(run):
    listener = run.server.tcp_listen(run.family, run.host)
    wire = run.observe_tcp(listener.local.port)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port), options={"ttl": 9})
    server = run.server.tcp_accept(listener)
    sent_and_read(run, wire, run.client, client, run.server, server, b"ttl-data")
    sent = wire.sent_on(client)
    run.check("TTL of the SYN of a connection made with ttl 9",
              sorted({s.ttl for s in sent if "SYN" in s.flags}), equals=[9])
    run.check("TTLs of every later segment it sent", sorted({s.ttl for s in sent if "SYN" not in s.flags}),
              equals=[9])


@behaviour("TCP-WIRE-005", seats=("client", "server"))
def test_syn_carries_mss(run):
    _, client, server, wire = observed_pair(run)
    _, sock, _, _ = target_end(run, client, server)
    handshake = "SYN" if run.target_seat == "client" else "SYN-ACK"

    def opening():
        return [s for s in wire.sent_on(sock) if "SYN" in s.flags]
    run.eventually(lambda: bool(opening()), WAIT)
    run.check(f"MSS option of the {handshake} (loopback MTU less the headers: {loopback_mss(run)})",
              sorted({s.mss for s in opening()}, key=repr), equals=[loopback_mss(run)])


def _keepalive_probe(run, wire, sock, peer_sock, last):
    """The first segment ``sock``'s end sent after its data segment ``last``, and the first
    the peer sent after that, waited for; each as a check records it."""
    snd_nxt = last.next_seq

    def exchange():
        probes = segments_after(wire, sock, last)
        if not probes:
            return None
        everything = wire.segments()
        answers = [s for s in everything[everything.index(probes[0]) + 1:] if s.source == peer_sock.local]
        return probes[0], (answers or [None])[0]
    run.eventually(lambda: bool(exchange() and exchange()[1]), WAIT)
    seen = exchange()
    if seen is None:
        return "no segment left the idle connection"
    probe, answer = seen
    return {"probe": described(probe, snd_nxt),
            "answer": "none" if answer is None else {"flags": sorted(answer.flags - {"PSH"}),
                                                     "payload": answer.payload_length,
                                                     "acknowledges": relative(answer.ack, snd_nxt)}}


PROBE_AND_ANSWER = {"probe": {"flags": ["ACK"], "payload": 0, "sequence": -1},
                    "answer": {"flags": ["ACK"], "payload": 0, "acknowledges": 0}}


def _keepalive_on(endpoint, sock):
    for name, value in (("keepidle", 1), ("keepintvl", 1), ("keepalive", True)):
        endpoint.set_option(sock, name, value)


@behaviour("TCP-WIRE-006", seats=("client", "server"))
def test_keepalive_probes(run):
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    _keepalive_on(endpoint, sock)
    last = sent_and_read(run, wire, endpoint, sock, peer, peer_sock, b"k")[-1]
    run.check("the first segment after 1 s idle (sequence against SND.NXT), and the peer's answer",
              _keepalive_probe(run, wire, sock, peer_sock, last), equals=PROBE_AND_ANSWER)


def _quiet_after(run, wire, sock, last) -> list:
    """What ``sock``'s end sent after ``last`` in QUIET seconds of idleness (waited in full
    unless something is sent), each as a check records it."""
    run.eventually(lambda: bool(segments_after(wire, sock, last)), QUIET)
    return [described(s, last.next_seq) for s in segments_after(wire, sock, last)]


@behaviour("TCP-WIRE-007", seats=("client", "server"))
def test_keepalive_off_by_default(run):
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    for name in ("keepidle", "keepintvl"):
        endpoint.set_option(sock, name, 1)
    last = sent_and_read(run, wire, endpoint, sock, peer, peer_sock, b"k")[-1]
    run.check(f"segments the idle {run.target_seat} sent in {QUIET:g} s, keepalive never set",
              _quiet_after(run, wire, sock, last), equals=[])


@behaviour("TCP-WIRE-008", seats=("client",))
def test_keepalive_switched_off(run):
    _, client, server, wire = observed_pair(run)
    _keepalive_on(run.client, client)
    last = sent_and_read(run, wire, run.client, client, run.server, server, b"k")[-1]
    run.check("the first segment after 1 s idle (sequence against SND.NXT), and the peer's answer",
              _keepalive_probe(run, wire, client, server, last), equals=PROBE_AND_ANSWER)
    run.client.set_option(client, "keepalive", False)
    # A probe due before the switch is for the old SND.NXT; one byte more moves it on.
    last = sent_and_read(run, wire, run.client, client, run.server, server, b"k")[-1]
    run.check(f"segments the idle client sent in {QUIET:g} s after keepalive was switched off",
              _quiet_after(run, wire, client, last), equals=[])


@behaviour("TCP-WIRE-009", seats=("client", "server"))
def test_nodelay_sends_at_once(run):
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    endpoint.set_option(sock, "nodelay", True)
    endpoint.send(sock, b"a" * 10)
    run.eventually(lambda: bool(data_segments(wire, sock)), WAIT)
    first = data_segments(wire, sock)
    run.check("data segments of the first 10-byte send, before anything else is sent",
              [s.payload_length for s in first], equals=[10])
    if first:  # the peer's acknowledgement of it: nothing can hold the second send back
        peer_acks = lambda: [s for s in wire.sent_on(peer_sock) if relative(s.ack, first[-1].next_seq) >= 0]
        run.eventually(lambda: bool(peer_acks()), WAIT)
    endpoint.send(sock, b"b" * 10)
    peer.recv_exactly(peer_sock, 20)
    run.eventually(lambda: sum(s.payload_length for s in data_segments(wire, sock)) >= 20, WAIT)
    run.check("data segments of both 10-byte sends", [s.payload_length for s in data_segments(wire, sock)],
              equals=[10, 10])


DATA = payload(16 * 1024, seed=13)  # well inside the peer's first receive window: none waits for it to read


def _closed_with_data_unread(run, linger):
    """A connection whose target end sent DATA (not read yet) and was closed with ``linger``:
    the wire, the two ends, and where the data began in sequence space."""
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    endpoint.set_option(sock, "linger", linger)
    endpoint.send_all(sock, DATA)
    run.eventually(lambda: bool(data_segments(wire, sock)), WAIT)
    start = data_segments(wire, sock)[0].seq if data_segments(wire, sock) else 0
    endpoint.close(sock)
    return wire, sock, peer, peer_sock, start


def _flags_of(wire, sock, flag) -> list[str]:
    return sorted({name for s in wire.sent_on(sock) if flag in s.flags for name in s.flags} - {"PSH"})


@behaviour("TCP-WIRE-010", seats=("client", "server"))
def test_linger_sends_data_then_fin(run):
    wire, sock, peer, peer_sock, start = _closed_with_data_unread(run, 5)
    got = received(peer, peer_sock, len(DATA))
    run.check("what the peer read", digest(got) if isinstance(got, bytes) else got, equals=digest(DATA))
    fins = lambda: [s for s in wire.sent_on(sock) if "FIN" in s.flags]
    run.eventually(lambda: bool(fins()), WAIT)
    run.check("the FIN the closing end sent (its sequence number against the end of the data)",
              [{"flags": sorted(s.flags - {"PSH"}), "sequence": relative(s.seq + s.payload_length, start + len(DATA))}
               for s in fins()][:1], equals=[{"flags": ["ACK", "FIN"], "sequence": 0}])
    run.check("segments carrying RST (either end)", [described(s, start) for s in wire.segments() if "RST" in s.flags],
              equals=[])


@behaviour("TCP-WIRE-011", seats=("client", "server"))
def test_linger_zero_sends_rst(run):
    wire, sock, _, _, _ = _closed_with_data_unread(run, 0)
    run.eventually(lambda: bool(_flags_of(wire, sock, "RST")), WAIT)
    run.check("flags of the segments carrying RST the closing end sent", _flags_of(wire, sock, "RST"),
              equals=["ACK", "RST"])
    run.check("flags of the segments carrying FIN the closing end sent", _flags_of(wire, sock, "FIN"), equals=[])
