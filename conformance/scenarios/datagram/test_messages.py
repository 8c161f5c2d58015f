"""Datagrams as messages: whole or not at all, sized, truncated, empty, never merged."""

from conformance.scenario import behaviour
from conformance.scenarios.common import (MAX_DATAGRAM, datagram_outcome, datagram_pair, datagram_received, outcome_summary,
                                          payload, receive_datagram)
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import UNSUPPORTED, OpError

SEATS = ("sender", "receiver")


def sent(run, sock, data, to=None):
    """What a send reports: the bytes sent, or its error code."""
    try:
        return run.sender.sendto(sock, data, to)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def arrived(got):
    """A received datagram as (bytes, truncated), or that nothing arrived."""
    return (got.data, got.truncated) if got is not None else "nothing arrived"


@behaviour("UDP-DGRAM-001", seats=SEATS)
def test_each_datagram_arrives_whole(run):
    sender, receiver = datagram_pair(run)
    for size in (1, 100, 1472, 8192, MAX_DATAGRAM[run.family]):
        data = payload(size, seed=size)
        run.check(f"{size}-byte datagram: bytes sent", sent(run, sender, data, receiver.local), equals=size)
        got = receive_datagram(run.receiver, receiver)
        run.check(f"{size}-byte datagram arrives", datagram_received(got, data), equals="whole")


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
    run.check("truncation", "reported" if first.truncated else "not reported", equals="reported")
    run.check("the next receive", arrived(receive_datagram(run.receiver, receiver, 100)), equals=(b"next", False),
              rule="the next datagram, whole: the rest of the first is gone")


@behaviour("UDP-DGRAM-004", seats=SEATS)
def test_zero_length_datagram_is_a_message(run):
    sender, receiver = datagram_pair(run)
    run.check("zero-length send", sent(run, sender, b"", receiver.local), equals=0)
    empty = receive_datagram(run.receiver, receiver, 100)
    run.check("received as", arrived(empty), equals=(b"", False), rule="an empty message, not truncated")
    run.check("with its sender's address", empty.peer if empty else "nothing arrived", equals=sender.local)
    run.sender.sendto(sender, b"after", receiver.local)
    run.check("a later datagram", arrived(receive_datagram(run.receiver, receiver, 100)), equals=(b"after", False),
              rule="later datagrams still arrive")


@behaviour("UDP-DGRAM-009", seats=SEATS)
def test_datagrams_are_not_merged(run):
    sender, receiver = datagram_pair(run)
    messages = [b"first", b"second message", b"3"]
    for message in messages:
        run.sender.sendto(sender, message, receiver.local)
    received = [arrived(receive_datagram(run.receiver, receiver)) for _ in messages]
    run.check("one message per receive", received, equals=[(message, False) for message in messages])


@behaviour("UDP-DGRAM-010", seats=SEATS)
def test_datagrams_are_not_deduplicated(run):
    sender, receiver = datagram_pair(run)
    for _ in range(3):
        run.sender.sendto(sender, b"same bytes", receiver.local)
    received = [arrived(receive_datagram(run.receiver, receiver, 100)) for _ in range(3)]
    run.check("all three copies arrive", received, equals=[(b"same bytes", False)] * 3)
    run.check("and no more", datagram_outcome(run.receiver, receiver, QUIET_WINDOW), equals="ETIMEDOUT")


@behaviour("UDP-DGRAM-011", seats=SEATS)
def test_full_receive_buffer_drops_silently(run):
    sender = run.sender.udp_bind(run.family, run.host)
    receiver = run.receiver.udp_bind(run.family, run.host, options={"rcvbuf": 16 * 1024})
    datagram, count = payload(8192, seed=11), 200
    with run.sender.summarised(f"send {count} datagrams of {len(datagram)} bytes, nobody reading"):
        sends = [run.outcome(run.sender.sendto, sender, datagram, receiver.local) for _ in range(count)]
    run.check("every send succeeds (fire and forget)", outcome_summary(sends, "send"), equals=f"all {count} ok")
    received, damaged = 0, 0
    with run.receiver.summarised("drain what was kept"):
        for _ in range(count + 1):  # bounded: a receiver cannot keep more than was sent
            got = receive_datagram(run.receiver, receiver, timeout=QUIET_WINDOW)
            if got is None:
                break
            received += 1
            damaged += got.data != datagram
    run.trace.add_op("receiver", f"({received} of {count} datagrams were kept)")
    run.check("kept datagrams that were not whole", damaged, equals=0)
    run.check("what was kept", _kept(received, count), equals="some, not all",
              rule="a full buffer drops datagrams, silently")


def _kept(received: int, count: int) -> str:
    return ("none" if not received else "some, not all" if received < count else "all" if received == count
            else "more than were sent")


@behaviour("UDP-DGRAM-012", seats=("sender",))
def test_send_without_destination_fails(run):
    sender = run.sender.udp_bind(run.family, run.host)
    run.check("send with no address on an unconnected socket", run.outcome(run.sender.sendto, sender, b"x"),
              equals="EDESTADDRREQ")
