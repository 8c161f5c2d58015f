"""More stream options seen on the wire: Nagle's algorithm holding small sends while one is
unacknowledged, corking, and the user timeout ending a connection stuck behind a closed
window (captured on lo)."""

import time

from conformance.scenario import behaviour
from conformance.scenarios.readiness.steps import fill
from conformance.scenarios.wire.steps import (
    WAIT,
    data_segments,
    observed_pair,
    relative,
    target_end,
)

ATTEMPTS = 5  # fresh connections tried until one's sends were all made before the awaited event
CORK_CEILING = 0.2  # tcp(7): a cork holds partial frames for at most 200 ms
STUCK_FOR = 15.0  # the receive's own deadline: far beyond a 1 s user timeout
USER_TIMEOUT_MS = 1000
PEER_RCVBUF = 4096


def _acknowledged(wire, peer_sock, segment) -> bool:
    """Whether the peer has acknowledged ``segment`` in what was captured so far."""
    return any(relative(s.ack, segment.next_seq) >= 0 for s in wire.sent_on(peer_sock) if "ACK" in s.flags)


def _all_sent(wire, sock, size: int) -> bool:
    return sum(s.payload_length for s in data_segments(wire, sock)) >= size


def _nagle_attempt(run):
    """Five 1-byte sends, the last four made at once after the first was seen leaving, to a
    peer that delays its ACKs (40 ms on Linux): the data segments, and whether the four were
    all made before the first was acknowledged."""
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    peer.set_option(peer_sock, "quickack", False)
    endpoint.send(sock, b"a")
    run.eventually(lambda: bool(data_segments(wire, sock)), WAIT)
    for _ in range(4):
        endpoint.send(sock, b"b")
    first = data_segments(wire, sock)[:1]
    before_ack = bool(first) and not _acknowledged(wire, peer_sock, first[0])
    peer.recv_exactly(peer_sock, 5)
    run.eventually(lambda: _all_sent(wire, sock, 5), WAIT)
    return [s.payload_length for s in data_segments(wire, sock)], before_ack


@behaviour("TCP-WIRE-013", seats=("client", "server"))
def test_nagle_holds_small_sends_while_unacknowledged(run):
    # An attempt whose sends came after the ACK anyway (a slow machine) proves nothing: it is
    # tried again on a fresh connection, as the trace shows.
    for _ in range(ATTEMPTS):
        segments, before_ack = _nagle_attempt(run)
        if before_ack:
            break
    run.check("data segments of five 1-byte sends, the last four made before the first was acknowledged",
              segments, equals=[1, 4])


def _cork_attempt(run):
    """Five small sends while corked, then cork off: the data segments seen before and after
    uncorking, and whether the sends all took less than the cork's 200 ms ceiling."""
    _, client, server, wire = observed_pair(run)
    endpoint, sock, peer, peer_sock = target_end(run, client, server)
    endpoint.set_option(sock, "cork", True)
    started = time.monotonic()
    for chunk in (b"a", b"b", b"b", b"b", b"b"):
        endpoint.send(sock, chunk)
    in_time = time.monotonic() - started < CORK_CEILING
    corked = [s.payload_length for s in data_segments(wire, sock)]
    endpoint.set_option(sock, "cork", False)
    peer.recv_exactly(peer_sock, 5)
    run.eventually(lambda: _all_sent(wire, sock, 5), WAIT)
    return corked, [s.payload_length for s in data_segments(wire, sock)], in_time


@behaviour("TCP-WIRE-014", seats=("client", "server"))
def test_cork_holds_small_sends(run):
    # Sends that took longer than the ceiling (a slow machine) prove nothing: tried again.
    for _ in range(ATTEMPTS):
        corked, uncorked, in_time = _cork_attempt(run)
        if in_time:
            break
    run.check("data segments sent while corked (five small sends)", corked, equals=[])
    run.check("data segments of the five sends once uncorked", uncorked, equals=[5])


def _pair_with_a_small_peer_window(run):
    """A connection watched from its SYN whose peer (never the target) receives into a 4 KiB
    buffer: its window closes after a little data, so the capture keeps every segment."""
    small = {"rcvbuf": PEER_RCVBUF}
    peer_is_server = run.target_seat == "client"
    listener = run.server.tcp_listen(run.family, run.host, options=small if peer_is_server else None)
    wire = run.observe_tcp(listener.local.port)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port),
                                    options=None if peer_is_server else small)
    return client, run.server.tcp_accept(listener), wire


@behaviour("TCP-WIRE-015", seats=("client", "server"))
def test_user_timeout_ends_a_connection_behind_a_closed_window(run):
    client, server, wire = _pair_with_a_small_peer_window(run)
    endpoint, sock, _, peer_sock = target_end(run, client, server)
    endpoint.set_option(sock, "user_timeout", USER_TIMEOUT_MS)
    fill(endpoint, sock)  # the peer never reads: its window closes, the rest waits in the send buffer
    ended = run.outcome(endpoint.recv, sock, 1024, STUCK_FOR)
    run.check(f"what a receive answers while the connection waits behind the closed window (user_timeout "
              f"{USER_TIMEOUT_MS} ms, the receive's own deadline {STUCK_FOR:g} s)", ended, equals="ETIMEDOUT")
    run.check("the window the peer advertised last (it never reads)",
              [s.window for s in wire.sent_on(peer_sock)][-1:], equals=[0])
    # The connection is over: Linux answers EPIPE once ETIMEDOUT was read; a library that keeps
    # the error that ended it may answer that again. EAGAIN would mean it still waits.
    run.check("what a send answers afterwards (timeout 0)", run.outcome(endpoint.send, sock, b"x", 0),
              allowed=["EPIPE", "ETIMEDOUT"])
