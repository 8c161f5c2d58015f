"""Datagram readiness (protocol 1.5 ``wait``, ``timeout: 0``): what a UDP socket reports before
the receive."""

from conformance.scenario import behaviour
from conformance.scenarios.common import datagram_outcome, datagram_pair
from conformance.scenarios.readiness.steps import fired, quiet
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import UNSUPPORTED, OpError


def _send(run, sender, receiver, data):
    run.sender.sendto(sender, data, run.addr(receiver.local.port))


def _datagram(run, receiver):
    """The data of the next datagram, or the receive's error code."""
    try:
        return run.receiver.recvfrom(receiver, 64).data
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def _peeked(run, receiver):
    """The data of a peek at the next datagram, or the receive's error code."""
    try:
        return run.receiver.recvfrom_flags(receiver, 64, peek=True)[0].data
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def _readiness_once_read(run, receiver, sender):
    """What a wait over the quiet window reports once every datagram sent was received.

    When it says readable, what is queued is looked at. Nothing queued is a stale readiness,
    the target's own. A datagram from a peer other than the sender is not the target's
    doing: it is a stray of another case's traffic (a late echo to a port that was bound
    again since), which makes any socket readable. It is read, named in the trace, and the
    wait asked again (up to three strays)."""
    for _ in range(3):
        events = quiet(run.receiver, receiver, ["read"])
        if events != ["read"]:
            return events
        try:
            queued = run.receiver.recvfrom(receiver, 64, QUIET_WINDOW)
        except OpError as exc:
            if exc.code == UNSUPPORTED:
                raise
            return f"['read'], with nothing queued ({exc.code})"
        if queued.peer == sender.local:
            return f"['read'], with a datagram of {len(queued.data)} bytes from the sender queued"
        run.trace.add_op("receiver", "(a stray: not from the sender; read and set aside)")
    return events


@behaviour("UDP-READY-001", seats=("receiver",), peers=("sender",))
def test_readable_until_the_last_datagram_is_read(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"first")
    _send(run, sender, receiver, b"second")
    run.check("readiness with two datagrams queued", fired(run.receiver, receiver, ["read"]), equals=["read"])
    run.check("the first datagram", _datagram(run, receiver), equals=b"first")
    run.check("readiness with one datagram still queued", fired(run.receiver, receiver, ["read"]),
              equals=["read"])
    run.check("the second datagram", _datagram(run, receiver), equals=b"second")
    run.check("readiness once both were received", _readiness_once_read(run, receiver, sender), equals=[])


@behaviour("UDP-READY-002", seats=("receiver",), peers=("sender",))
def test_zero_length_datagram_is_readable(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"")
    run.check("readiness with a zero-length datagram queued", fired(run.receiver, receiver, ["read"]),
              equals=["read"])
    run.check("the zero-length datagram", _datagram(run, receiver), equals=b"")
    run.check("readiness once it was received", _readiness_once_read(run, receiver, sender), equals=[])


@behaviour("UDP-READY-003", seats=("receiver",), peers=("sender",))
def test_nonblocking_receive_on_an_empty_socket(run):
    sender, receiver = datagram_pair(run)
    run.check("a receive with timeout 0 and nothing queued", datagram_outcome(run.receiver, receiver, 0),
              equals="EAGAIN")
    _send(run, sender, receiver, b"later")
    run.check("readiness once a datagram arrived", fired(run.receiver, receiver, ["read"]), equals=["read"])
    run.check("the datagram that arrived", _datagram(run, receiver), equals=b"later")


@behaviour("UDP-READY-004", seats=("receiver",), peers=("sender",))
def test_readable_again_when_the_next_datagram_arrives(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"one")
    fired(run.receiver, receiver, ["read"])
    run.receiver.recvfrom(receiver, 64)
    run.check("readiness once the only datagram was received", _readiness_once_read(run, receiver, sender),
              equals=[])
    _send(run, sender, receiver, b"two")
    run.check("readiness once the next datagram arrived", fired(run.receiver, receiver, ["read"]), equals=["read"])
    run.check("the next datagram", _datagram(run, receiver), equals=b"two")


@behaviour("UDP-READY-005", seats=("receiver",), peers=("sender",))
def test_strangers_datagram_does_not_make_it_readable(run):
    receiver = run.receiver.udp_bind(run.family, run.host)
    chosen = run.sender.udp_bind(run.family, run.host)
    stranger = run.sender.udp_bind(run.family, run.host)
    run.receiver.udp_connect(receiver, chosen.local)
    run.sender.sendto(stranger, b"from a stranger", receiver.local)
    run.check("readiness after a stranger's datagram", quiet(run.receiver, receiver, ["read"]), equals=[])
    run.sender.sendto(chosen, b"from the peer", receiver.local)
    run.check("readiness after the peer's datagram", fired(run.receiver, receiver, ["read"]), equals=["read"])
    got = run.receiver.recvfrom(receiver, 64)
    run.check("the datagram received", (got.data, got.peer), equals=(b"from the peer", chosen.local))


@behaviour("UDP-READY-006", seats=("receiver",), peers=("sender",))
def test_peeked_datagram_keeps_the_socket_readable(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"peeked")
    fired(run.receiver, receiver, ["read"])
    run.check("the peek", _peeked(run, receiver), equals=b"peeked")
    run.check("readiness after the peek", fired(run.receiver, receiver, ["read"]), equals=["read"])
    run.check("the receive after the peek", _datagram(run, receiver), equals=b"peeked")
    run.check("readiness once it was received", _readiness_once_read(run, receiver, sender), equals=[])


@behaviour("UDP-READY-007", seats=("receiver",), peers=("sender",))
def test_wait_with_timeout_zero_reports_a_queued_datagram(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"queued")
    fired(run.receiver, receiver, ["read"])
    run.check("a wait with timeout 0, a datagram queued", fired(run.receiver, receiver, ["read"], 0),
              equals=["read"])


@behaviour("UDP-READY-008", seats=("receiver",), peers=("sender",))
def test_readable_and_writable_at_once(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"both")
    fired(run.receiver, receiver, ["read"])
    run.check("readiness to read and write, a datagram queued", fired(run.receiver, receiver, ["read", "write"]),
              equals=["read", "write"])
