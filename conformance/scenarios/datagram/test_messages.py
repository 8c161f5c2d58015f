"""Datagrams as messages: whole or not at all, sized, truncated, empty, never merged."""

from conformance.scenario import behaviour
from conformance.scenarios.common import MAX_DATAGRAM, datagram_outcome, datagram_pair, payload
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import OpError

SEATS = ("sender", "receiver")


@behaviour("UDP-DGRAM-001", seats=SEATS)
def test_each_datagram_arrives_whole(run):
    sender, receiver = datagram_pair(run)
    for size in (1, 100, 1472, 8192, MAX_DATAGRAM[run.family]):
        data = payload(size, seed=size)
        run.check(f"{size}-byte datagram: bytes sent", run.sender.sendto(sender, data, receiver.local), equals=size)
        got = run.receiver.recvfrom(receiver, 65536)
        run.check(f"{size}-byte datagram arrives whole", (got.data == data, got.truncated), equals=(True, False))


@behaviour("UDP-DGRAM-002", seats=SEATS)
def test_oversized_datagram_fails(run):
    sender, receiver = datagram_pair(run)
    too_big = bytes(MAX_DATAGRAM[run.family] + 1)
    run.check("send of maximum + 1 bytes", run.outcome(run.sender.sendto, sender, too_big, receiver.local),
              equals="EMSGSIZE")
    run.check("nothing arrives", datagram_outcome(run.receiver, receiver, QUIET_WINDOW), equals="ETIMEDOUT")


@behaviour("UDP-DGRAM-003", seats=SEATS)
def test_short_receive_truncates_and_discards(run):
    sender, receiver = datagram_pair(run)
    run.sender.sendto(sender, b"0123456789" * 10, receiver.local)
    run.sender.sendto(sender, b"next", receiver.local)
    first = run.receiver.recvfrom(receiver, 10)
    run.check("the first 10 bytes", first.data, equals=b"0123456789")
    run.check("truncation is reported", first.truncated, equals=True)
    second = run.receiver.recvfrom(receiver, 100)
    run.check("the next receive is the next datagram", (second.data, second.truncated), equals=(b"next", False))


@behaviour("UDP-DGRAM-004", seats=SEATS)
def test_zero_length_datagram_is_a_message(run):
    sender, receiver = datagram_pair(run)
    run.check("zero-length send", run.sender.sendto(sender, b"", receiver.local), equals=0)
    empty = run.receiver.recvfrom(receiver, 100)
    run.check("received as an empty message", (empty.data, empty.truncated), equals=(b"", False))
    run.check("with its sender's address", empty.peer == sender.local, equals=True)
    run.sender.sendto(sender, b"after", receiver.local)
    run.check("later datagrams still arrive", run.receiver.recvfrom(receiver, 100).data, equals=b"after")


@behaviour("UDP-DGRAM-009", seats=SEATS)
def test_datagrams_are_not_merged(run):
    sender, receiver = datagram_pair(run)
    messages = [b"first", b"second message", b"3"]
    for message in messages:
        run.sender.sendto(sender, message, receiver.local)
    received = [run.receiver.recvfrom(receiver, 65536).data for _ in messages]
    run.check("one message per receive", received, equals=messages)


@behaviour("UDP-DGRAM-010", seats=SEATS)
def test_datagrams_are_not_deduplicated(run):
    sender, receiver = datagram_pair(run)
    for _ in range(3):
        run.sender.sendto(sender, b"same bytes", receiver.local)
    received = [run.receiver.recvfrom(receiver, 100).data for _ in range(3)]
    run.check("all three copies arrive", received, equals=[b"same bytes"] * 3)
    run.check("and no more", datagram_outcome(run.receiver, receiver, QUIET_WINDOW), equals="ETIMEDOUT")


@behaviour("UDP-DGRAM-011", seats=SEATS)
def test_full_receive_buffer_drops_silently(run):
    sender = run.sender.udp_bind(run.family, run.host)
    receiver = run.receiver.udp_bind(run.family, run.host, options={"rcvbuf": 16 * 1024})
    datagram, count = payload(8192, seed=11), 200
    failures = 0
    with run.sender.summarised(f"send {count} datagrams of {len(datagram)} bytes, nobody reading"):
        for _ in range(count):
            failures += run.outcome(run.sender.sendto, sender, datagram, receiver.local) != "ok"
    run.check("every send succeeds (fire and forget)", failures, equals=0)
    received, damaged = 0, 0
    with run.receiver.summarised("drain what was kept"):
        while True:
            try:
                got = run.receiver.recvfrom(receiver, 65536, QUIET_WINDOW)
            except OpError as exc:
                if exc.code != "ETIMEDOUT":
                    raise
                break
            received += 1
            damaged += got.data != datagram
    run.check("every datagram kept arrives whole", damaged, equals=0)
    run.check("some datagrams were dropped, silently", 0 < received < count, equals=True)


@behaviour("UDP-DGRAM-012", seats=("sender",))
def test_send_without_destination_fails(run):
    sender = run.sender.udp_bind(run.family, run.host)
    run.check("send with no address on an unconnected socket", run.outcome(run.sender.sendto, sender, b"x"),
              equals="EDESTADDRREQ")
