"""Datagram flags (protocol 1.5): truncation with the real length, peek, don't-wait, SO_RCVTIMEO."""

import time

from conformance.scenario import behaviour
from conformance.scenarios.common import datagram_pair
from conformance.scenarios.readiness.steps import about, fired, quiet
from reference_impl.errors import UNSUPPORTED, OpError


def flagged_datagram(endpoint, sock, max, timeout=None, **flags):
    """(data, truncated, length) of one flagged datagram receive, or its error code."""
    try:
        got, length = endpoint.recvfrom_flags(sock, max, timeout, **flags)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return got.data, got.truncated, length


def _send(run, sender, receiver, data):
    run.sender.sendto(sender, data, run.addr(receiver.local.port))


@behaviour("UDP-FLAGS-001", seats=("receiver",), peers=("sender",))
def test_truncation_reports_the_real_length(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, bytes(range(100)))
    got = flagged_datagram(run.receiver, receiver, 10, trunc=True)
    data, truncated, length = got if isinstance(got, tuple) else (got, None, None)
    run.check("the bytes returned of a 100-byte datagram into 10", data, equals=bytes(range(10)))
    run.check("the real length reported", length, equals=100)
    run.check("marked truncated", truncated, equals=True)


@behaviour("UDP-FLAGS-002", seats=("receiver",), peers=("sender",))
def test_a_datagram_that_fits_reports_its_length(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"fits")
    _send(run, sender, receiver, b"")
    run.check("a 4-byte datagram into 100", flagged_datagram(run.receiver, receiver, 100, trunc=True),
              equals=(b"fits", False, 4))
    run.check("a zero-length datagram", flagged_datagram(run.receiver, receiver, 100, trunc=True),
              equals=(b"", False, 0))


@behaviour("UDP-FLAGS-003", seats=("receiver",), peers=("sender",))
def test_peek_leaves_the_datagram_queued(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"first")
    _send(run, sender, receiver, b"second")
    run.check("a peek", flagged_datagram(run.receiver, receiver, 64, peek=True), equals=(b"first", False, None))
    run.check("the receive after the peek", flagged_datagram(run.receiver, receiver, 64),
              equals=(b"first", False, None))
    run.check("the receive after that", flagged_datagram(run.receiver, receiver, 64), equals=(b"second", False, None))


@behaviour("UDP-FLAGS-004", seats=("receiver",), peers=("sender",))
def test_short_peek_does_not_cut_the_datagram(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"datagram")
    run.check("a peek of 3 bytes", flagged_datagram(run.receiver, receiver, 3, peek=True), equals=(b"dat", True, None))
    run.check("the receive after the short peek", flagged_datagram(run.receiver, receiver, 64),
              equals=(b"datagram", False, None))


@behaviour("UDP-FLAGS-005", seats=("receiver",), peers=("sender",))
def test_dontwait_on_an_empty_datagram_socket(run):
    _, receiver = datagram_pair(run)
    started = time.monotonic()
    got = flagged_datagram(run.receiver, receiver, 64, 1.0, dontwait=True)
    run.check("a don't-wait receive with nothing queued", (got, about(time.monotonic() - started, 1.0, 3.0)),
              equals=("EAGAIN", "at once"))


@behaviour("UDP-FLAGS-006", seats=("sender",), peers=("receiver",))
def test_a_datagram_sent_with_dontwait_arrives(run):
    sender, receiver = datagram_pair(run)
    try:
        sent = run.sender.sendto_flags(sender, b"no waiting", run.addr(receiver.local.port), dontwait=True)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        sent = exc.code
    run.check("a don't-wait send of 10 bytes", sent, equals=10)
    got = flagged_datagram(run.receiver, receiver, 64)
    run.check("what arrives", got, equals=(b"no waiting", False, None))


@behaviour("UDP-FLAGS-007", seats=("receiver",), peers=("sender",))
def test_receive_timeout_ends_a_blocked_receive(run):
    _, receiver = datagram_pair(run)
    run.receiver.set_option(receiver, "rcvtimeo", 0.3)
    started = time.monotonic()
    got = flagged_datagram(run.receiver, receiver, 64, 3.0, blocking=True)
    run.check("a blocking receive with rcvtimeo 0.3 s and nothing arriving",
              (got, about(time.monotonic() - started, 0.3, 1.5)), equals=("EAGAIN", "about the set time"))



@behaviour("UDP-FLAGS-008", seats=("receiver",), peers=("sender",))
def test_readable_while_a_datagram_is_queued(run):
    sender, receiver = datagram_pair(run)
    run.check("readiness with nothing queued", fired(run.receiver, receiver, ["read", "write"]), equals=["write"])
    _send(run, sender, receiver, b"queued")
    run.check("readiness with a datagram queued", fired(run.receiver, receiver, ["read"]), equals=["read"])
    run.receiver.recvfrom(receiver, 64)
    run.check("readiness once it was received", quiet(run.receiver, receiver, ["read"]), equals=[])
