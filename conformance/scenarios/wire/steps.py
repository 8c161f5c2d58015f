"""Steps the wire scenarios share: a connection watched from its first segment, the
target's end of it, sends whose segments are waited for, and the system's defaults."""

from __future__ import annotations

from conformance.scenario import Run
from fixtures.endpoint import Endpoint, Socket

SEQ_SPACE = 1 << 32
WAIT = 5.0  # the deadline of every wait for a segment that must come (an event, not a window)


def observed_pair(run: Run, listen_options: dict | None = None):
    """Listener, client side, server side and the wire observer of a connection watched
    from its SYN on."""
    listener = run.server.tcp_listen(run.family, run.host, options=listen_options)
    wire = run.observe_tcp(listener.local.port)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    return listener, client, run.server.tcp_accept(listener), wire


def target_end(run: Run, client: Socket, server: Socket) -> tuple[Endpoint, Socket, Endpoint, Socket]:
    """The target's end of a connection and its peer's: (endpoint, socket) each."""
    if run.target_seat == "client":
        return run.client, client, run.server, server
    return run.server, server, run.client, client


def data_segments(wire, sock: Socket) -> list:
    return [s for s in wire.sent_on(sock) if s.payload_length]


def relative(seq: int, base: int) -> int:
    """``seq - base`` in sequence space, as a small signed number."""
    difference = (seq - base) % SEQ_SPACE
    return difference - SEQ_SPACE if difference >= SEQ_SPACE // 2 else difference


def sent_and_read(run: Run, wire, endpoint: Endpoint, sock: Socket, peer: Endpoint, peer_sock: Socket,
                  data: bytes) -> list:
    """Send ``data``, let the peer read it, and wait until its segments have been seen: the
    data segments this send left in (what was seen by the deadline)."""
    before = len(data_segments(wire, sock))
    endpoint.send_all(sock, data)
    peer.recv_exactly(peer_sock, len(data))
    run.eventually(lambda: sum(s.payload_length for s in data_segments(wire, sock)[before:]) >= len(data), WAIT)
    return data_segments(wire, sock)[before:]


def segments_after(wire, sock: Socket, last) -> list:
    """The segments ``sock``'s end sent after ``last`` (a segment it sent)."""
    mine = wire.sent_on(sock)
    return mine[mine.index(last) + 1:] if last in mine else []


def described(segment, base: int) -> dict:
    """A segment as a check records it: flags (PSH left out), payload, sequence number against ``base``."""
    return {"flags": sorted(segment.flags - {"PSH"}), "payload": segment.payload_length,
            "sequence": relative(segment.seq, base)}


def default_hops(run: Run) -> int:
    """The system's default TTL (IPv4) or loopback hop limit (IPv6)."""
    path = "/proc/sys/net/ipv4/ip_default_ttl" if run.family == "ipv4" else "/proc/sys/net/ipv6/conf/lo/hop_limit"
    with open(path) as handle:
        return int(handle.read())


def loopback_mss(run: Run) -> int:
    """The loopback MTU less the fixed IP and TCP headers (an IPv4 datagram is at most 65535 bytes)."""
    with open("/sys/class/net/lo/mtu") as handle:
        mtu = int(handle.read())
    return min(mtu, 65535) - 40 if run.family == "ipv4" else mtu - 60
