"""Moving bytes: both directions, full duplex, integrity, stream semantics, flow control."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, payload, receive_outcome, transfer
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import OpError

MIB = 1024 * 1024


@behaviour("TCP-STREAM-003", seats=("client", "server"))
def test_data_flows_both_ways(run):
    _, client, server = connect_pair(run)
    request, reply = payload(3000, seed=3), payload(5000, seed=4)
    run.client.send_all(client, request)
    run.check("server receives the client's bytes", run.server.recv_exactly(server, len(request)), equals=request)
    run.server.send_all(server, reply)
    run.check("client receives the server's bytes", run.client.recv_exactly(client, len(reply)), equals=reply)


@behaviour("TCP-STREAM-004", seats=("client", "server"))
def test_full_duplex(run):
    _, client, server = connect_pair(run)
    upstream, downstream = payload(64 * 1024, seed=5), payload(64 * 1024, seed=6)
    # Both directions are in flight before either end reads.
    run.client.send_all(client, upstream)
    run.server.send_all(server, downstream)
    run.check("client receives the server's bytes", run.client.recv_exactly(client, len(downstream)),
              equals=downstream)
    run.check("server receives the client's bytes", run.server.recv_exactly(server, len(upstream)),
              equals=upstream)


@behaviour("TCP-STREAM-005", seats=("client", "server"))
def test_multi_mib_transfer_is_complete_and_ordered(run):
    _, client, server = connect_pair(run)
    data = payload(4 * MIB, seed=7)
    received = transfer(run.client, client, run.server, server, data)
    run.check("byte count", len(received), equals=len(data))
    run.check("bytes identical and in order", received, equals=data)


@behaviour("TCP-STREAM-006", seats=("client", "server", "client+server"))
def test_no_message_boundaries(run):
    _, client, server = connect_pair(run)
    pieces = [b"a" * 10, b"b" * 20, b"c" * 30]
    stream = b"".join(pieces)
    boundaries_ignored, intact = False, True
    # A receiver that keeps message boundaries returns 10, 20, 30 every time. Whether all
    # three sends have arrived when the receive runs is up to timing, so a few attempts make
    # "ignored at least once" certain for a real stream.
    for _ in range(5):
        for piece in pieces:
            run.client.send_all(client, piece)
        received, sizes = b"", []
        with run.server.summarised(f"receive {len(stream)} bytes with receives of up to {len(stream)}"):
            while len(received) < len(stream):
                chunk = run.server.recv(server, len(stream) - len(received))
                if not chunk:
                    break
                received += chunk
                sizes.append(len(chunk))
        intact = intact and received == stream
        if sizes != [len(piece) for piece in pieces]:
            boundaries_ignored = True
            break
    run.check("bytes arrive in order", intact, equals=True)
    run.check("receive sizes ignored the send boundaries", boundaries_ignored, equals=True)


@behaviour("TCP-STREAM-007", seats=("client", "server"))
def test_receive_returns_no_more_than_asked(run):
    _, client, server = connect_pair(run)
    data = payload(100, seed=8)
    run.client.send_all(client, data)
    first = run.server.recv(server, 10)
    run.check("first receive returns 1..10 bytes", 1 <= len(first) <= 10, equals=True)
    rest = run.server.recv_exactly(server, len(data) - len(first))
    run.check("the rest follows in order", first + rest, equals=data)


@behaviour("TCP-STREAM-008", seats=("client", "server"))
def test_zero_length_send_is_not_end_of_stream(run):
    _, client, server = connect_pair(run)
    run.check("zero-length send reports 0 bytes", run.client.send(client, b""), equals=0)
    run.check("peer sees no data and no end of stream", receive_outcome(run.server, server, QUIET_WINDOW),
              equals="ETIMEDOUT")
    run.client.send_all(client, b"after")
    run.check("later data arrives", run.server.recv_exactly(server, 5), equals=b"after")


@behaviour("TCP-STREAM-020", seats=("client", "server"))
def test_interleaved_exchanges_stay_in_order(run):
    _, client, server = connect_pair(run)
    mismatches = 0
    with run.client.summarised("50 request/response exchanges"), run.server.summarised("50 exchanges served"):
        for index in range(50):
            request, reply = b"request %03d" % index, b"reply %03d" % index
            run.client.send_all(client, request)
            mismatches += run.server.recv_exactly(server, len(request)) != request
            run.server.send_all(server, reply)
            mismatches += run.client.recv_exactly(client, len(reply)) != reply
    run.check("exchanges whose bytes were wrong or out of order", mismatches, equals=0)


@behaviour("TCP-STREAM-022", seats=("client", "server"))
def test_flow_control_blocks_a_sender(run):
    _, client, server = connect_pair(run)
    block = payload(256 * 1024, seed=9)
    sent, blocked, limit = 0, False, 64 * MIB
    with run.client.summarised("send until the socket takes no more"):
        while sent < limit:
            offset = sent % len(block)  # a send may take part of a block: continue the stream where it stopped
            try:
                sent += run.client.send(client, block[offset:] + block[:offset], QUIET_WINDOW)
            except OpError as exc:
                if exc.code != "ETIMEDOUT":
                    raise
                blocked = True
                break
    run.check(f"sender blocked before {limit // MIB} MiB while the peer did not read", blocked, equals=True)
    expected = (block * (sent // len(block) + 1))[:sent]
    received = run.server.recv_exactly(server, sent)
    run.check("every byte reported sent arrives, in order", received == expected, equals=True)
    run.check("nothing beyond what was reported sent", receive_outcome(run.server, server, QUIET_WINDOW),
              equals="ETIMEDOUT")
