"""Moving bytes: both directions, full duplex, integrity, stream semantics, flow control."""

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import connect_pair, payload, receive_outcome
from conformance.scenarios.stream.steps import (
    check_keeps,
    pumped_transfer,
    receive_up_to,
    sent_or_error,
    stream_difference,
)
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import UNSUPPORTED, OpError

MIB = 1024 * 1024


@behaviour("TCP-STREAM-003", seats=("client", "server"), families=WITH_UNIX)
def test_data_flows_both_ways(run):
    _, client, server = connect_pair(run)
    request, reply = payload(3000, seed=3), payload(5000, seed=4)
    run.client.send_all(client, request)
    run.check("server receives the client's bytes", receive_up_to(run.server, server, len(request)), equals=request)
    run.server.send_all(server, reply)
    run.check("client receives the server's bytes", receive_up_to(run.client, client, len(reply)), equals=reply)


@behaviour("TCP-STREAM-004", seats=("client", "server"), families=WITH_UNIX)
def test_full_duplex(run):
    _, client, server = connect_pair(run)
    upstream, downstream = payload(64 * 1024, seed=5), payload(64 * 1024, seed=6)
    half = len(upstream) // 2
    # Turn by turn, each end sends while the other's bytes wait unread in its socket.
    turns = [(run.client, client, upstream[:half]), (run.server, server, downstream[:half]),
             (run.client, client, upstream[half:]), (run.server, server, downstream[half:])]
    outcomes = [run.outcome(endpoint.send_all, sock, data) for endpoint, sock, data in turns]
    run.check("sends, in turn, while the other end's bytes wait unread", outcomes, equals=["ok"] * 4)
    run.check("client receives the server's bytes", receive_up_to(run.client, client, len(downstream)),
              equals=downstream)
    run.check("server receives the client's bytes", receive_up_to(run.server, server, len(upstream)),
              equals=upstream)


@behaviour("TCP-STREAM-005", seats=("client", "server"), families=WITH_UNIX)
def test_multi_mib_transfer_is_complete_and_ordered(run):
    _, client, server = connect_pair(run)
    data = payload(4 * MIB, seed=7)
    received = pumped_transfer(run.client, client, run.server, server, data)
    run.check("byte count", len(received), equals=len(data))
    run.check("bytes identical and in order", received, equals=data)


@behaviour("TCP-STREAM-006", seats=("client", "server", "client+server"), families=WITH_UNIX)
def test_no_message_boundaries(run):
    _, client, server = connect_pair(run)
    pieces = [b"a" * 10, b"b" * 20, b"c" * 30]
    stream = b"".join(pieces)
    # A receiver that keeps message boundaries returns 10, 20, 30 every time. Whether all
    # three sends have arrived when the receive runs is up to timing, so a real stream gets a
    # few attempts to show one receive taking them all.
    for _ in range(5):
        for piece in pieces:
            run.client.send_all(client, piece)
        received, sizes = _receive_in_pieces(run.server, server, len(stream))
        if received != stream or sizes == [len(stream)]:
            break
    run.check("bytes arrive in order", received, equals=stream)
    check_keeps(run, "receive sizes", sizes, lambda sizes: len(sizes) < len(pieces),
                rule=f"receives of up to {len(stream)} bytes return the bytes of sends of "
                     f"{', '.join(str(len(piece)) for piece in pieces)} in fewer receives than sends")


def _receive_in_pieces(endpoint, sock, size):
    """Receive ``size`` bytes with receives of up to what is still owed: the bytes, and the
    size each receive returned."""
    received, sizes = b"", []
    with endpoint.summarised(f"receive {size} bytes with receives of up to what is owed"):
        while len(received) < size:
            try:
                chunk = endpoint.recv(sock, size - len(received))
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                break
            if not chunk:
                break
            received += chunk
            sizes.append(len(chunk))
    return received, sizes


@behaviour("TCP-STREAM-007", seats=("client", "server"), families=WITH_UNIX)
def test_receive_returns_no_more_than_asked(run):
    _, client, server = connect_pair(run)
    data = payload(100, seed=8)
    run.client.send_all(client, data)
    first = run.server.recv(server, 10)
    run.check("size of a receive of up to 10 bytes", len(first), allowed=range(1, 11),
              rule="between 1 and 10 bytes")
    rest = receive_up_to(run.server, server, len(data) - len(first))
    run.check("the rest follows in order", first + rest, equals=data)


@behaviour("TCP-STREAM-008", seats=("client", "server"), families=WITH_UNIX)
def test_zero_length_send_is_not_end_of_stream(run):
    _, client, server = connect_pair(run)
    run.check("zero-length send reports 0 bytes", sent_or_error(run.client, client, b""), equals=0)
    run.check("peer sees no data and no end of stream", receive_outcome(run.server, server, QUIET_WINDOW),
              equals="ETIMEDOUT")
    run.client.send_all(client, b"after")
    run.check("later data arrives", receive_up_to(run.server, server, 5), equals=b"after")


@behaviour("TCP-STREAM-020", seats=("client", "server"), families=WITH_UNIX)
def test_interleaved_exchanges_stay_in_order(run):
    _, client, server = connect_pair(run)
    wrong = []
    with run.client.summarised("50 request/response exchanges"), run.server.summarised("50 exchanges served"):
        for index in range(50):
            request, reply = b"request %03d" % index, b"reply %03d" % index
            run.client.send_all(client, request)
            got = receive_up_to(run.server, server, len(request))
            if got != request:
                wrong.append(f"exchange {index}: the server got {got!r} for {request!r}")
                break
            run.server.send_all(server, reply)
            got = receive_up_to(run.client, client, len(reply))
            if got != reply:
                wrong.append(f"exchange {index}: the client got {got!r} for {reply!r}")
                break
    run.check("exchanges whose bytes were wrong or out of order", wrong, equals=[],
              rule="none: every request and reply arrives as sent (the first wrong one ends the exchanges)")


@behaviour("TCP-STREAM-022", seats=("client", "server"), families=WITH_UNIX)
def test_flow_control_blocks_a_sender(run):
    _, client, server = connect_pair(run)
    block = payload(256 * 1024, seed=9)
    sent, limit = 0, 64 * MIB
    ending = f"all {limit // MIB} MiB taken"
    with run.client.summarised("send until the socket takes no more"):
        while sent < limit:
            offset = sent % len(block)  # a send may take part of a block: continue the stream where it stopped
            try:
                sent += run.client.send(client, block[offset:] + block[:offset], QUIET_WINDOW)
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                ending = exc.code
                break
    run.check(f"a send while the peer does not read, before {limit // MIB} MiB", ending, equals="ETIMEDOUT",
              rule=f"blocks (times out after {QUIET_WINDOW:g} s) before {limit // MIB} MiB have been taken")
    expected = (block * (sent // len(block) + 1))[:sent]
    run.check("every byte reported sent arrives, in order",
              stream_difference(receive_up_to(run.server, server, sent), expected),
              equals={"missing": 0, "first wrong byte": None})
    run.check("nothing beyond what was reported sent", receive_outcome(run.server, server, QUIET_WINDOW),
              equals="ETIMEDOUT")
