"""The error queue of datagram sockets (UDP-ERRQ, protocol 1.7): option recverr and
``udp.errqueue``.

Event-driven throughout: the ICMP error a datagram to a closed port draws is awaited by a
receive that waits for it (it ends with ECONNREFUSED when the error arrives; the kernel queues
the entry before it sets the pending error, so once the receive has seen the error the entry
is there), or, where no error may be consumed first, by reading the queue until the entry
comes (up to ARRIVAL seconds). Each check records what was seen: the entry's fields, error
names, or ``"nothing"``.
"""

import time

from conformance.scenario import behaviour
from conformance.scenarios.common import NOTHING, datagram_outcome
from conformance.scenarios.readiness.steps import fired, quiet
from fixtures.endpoint import QUIET_WINDOW, Addr, ErrorEntry
from reference_impl.errors import UNSUPPORTED, OpError

SEATS = ("sender",)
ARRIVAL = 5.0  # how long an ICMP error may take to come back on a loaded machine (it takes microseconds)
UNREACHABLE = {"ipv4": ("icmp", 3, 3), "ipv6": ("icmp6", 1, 4)}  # origin, type, code: port unreachable


def errqueue_outcome(endpoint, sock) -> ErrorEntry | str:
    """One read of the error queue: the entry, or the error code (EAGAIN when empty)."""
    try:
        return endpoint.udp_errqueue(sock)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def await_entry(endpoint, sock) -> ErrorEntry | str:
    """Read the error queue until an entry comes (EAGAIN meanwhile), up to ARRIVAL seconds."""
    deadline = time.monotonic() + ARRIVAL
    with endpoint.summarised("read the error queue until an entry comes"):
        while True:
            got = errqueue_outcome(endpoint, sock)
            if got != "EAGAIN" or time.monotonic() > deadline:
                return got
            time.sleep(0.005)


def seen(run, entry: ErrorEntry | str, destination: Addr, payload: bytes) -> dict | str:
    """An entry as the checks record it: the destination and payload named when they are the
    datagram's (its port differs from run to run)."""
    if not isinstance(entry, ErrorEntry):
        return entry
    return {"errno": entry.errno, "origin": entry.origin, "type": entry.type, "code": entry.code,
            "offender": None if entry.offender is None else str(entry.offender),
            "address": "the datagram's destination" if entry.peer == destination else str(entry.peer),
            "data": "the datagram's payload" if entry.data == payload else entry.data}


def expected(run) -> dict:
    origin, icmp_type, code = UNREACHABLE[run.family]
    return {"errno": "ECONNREFUSED", "origin": origin, "type": icmp_type, "code": code,
            "offender": str(Addr(run.host, 0)), "address": "the datagram's destination",
            "data": "the datagram's payload"}


def recverr_socket(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.sender.set_option(sock, "recverr", True)
    return sock


def refused_receive(run, sock) -> str:
    """A receive waiting for the ICMP error a datagram just drew: ECONNREFUSED when it came."""
    return datagram_outcome(run.sender, sock, ARRIVAL)


def payload_of(entry: ErrorEntry | str):
    return entry.data if isinstance(entry, ErrorEntry) else entry


@behaviour("UDP-ERRQ-001", seats=SEATS)
def test_a_closed_port_leaves_an_entry(run):
    sock = recverr_socket(run)
    closed = run.addr(run.free_port())
    payload = b"errqueue-001"
    run.sender.sendto(sock, payload, closed)
    run.check("the entry the datagram leaves", seen(run, await_entry(run.sender, sock), closed, payload),
              equals=expected(run),
              rule="ECONNREFUSED from ICMP port unreachable (IPv4 3/3, IPv6 1/4), offender the loopback "
                   "(port 0), the datagram's destination and payload")


@behaviour("UDP-ERRQ-002", seats=SEATS)
def test_recverr_defaults_off_and_reads_back(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.check("recverr of a new datagram socket", run.sender.get_option(sock, "recverr"), equals=False)
    run.sender.set_option(sock, "recverr", True)
    run.check("recverr after setting it on", run.sender.get_option(sock, "recverr"), equals=True)
    run.sender.set_option(sock, "recverr", False)
    run.check("recverr after setting it off", run.sender.get_option(sock, "recverr"), equals=False)


@behaviour("UDP-ERRQ-003", seats=SEATS)
def test_an_unconnected_socket_is_told_with_recverr(run):
    sock = recverr_socket(run)
    closed = run.addr(run.free_port())
    run.sender.sendto(sock, b"errqueue-003", closed)
    run.check("a receive waiting after the datagram", refused_receive(run, sock), equals="ECONNREFUSED",
              rule="the ICMP error ends the receive with ECONNREFUSED although the socket is not connected")
    run.check("the error queue after the receive was told", payload_of(errqueue_outcome(run.sender, sock)),
              equals=b"errqueue-003", rule="the entry stays queued: it carries the datagram's payload")
    run.check("the error queue after that", errqueue_outcome(run.sender, sock), equals="EAGAIN")


@behaviour("UDP-ERRQ-004", seats=SEATS)
def test_the_queue_never_waits_and_reading_takes_the_entry(run):
    sock = recverr_socket(run)
    run.check("the error queue before anything went wrong", errqueue_outcome(run.sender, sock), equals="EAGAIN",
              rule="an empty queue answers EAGAIN at once")
    run.sender.sendto(sock, b"errqueue-004", run.addr(run.free_port()))
    run.check("the entry the datagram leaves: its data", payload_of(await_entry(run.sender, sock)),
              equals=b"errqueue-004")
    run.check("the error queue once the entry was read", errqueue_outcome(run.sender, sock), equals="EAGAIN",
              rule="reading the entry took it off the queue")


@behaviour("UDP-ERRQ-005", seats=SEATS)
def test_reading_an_entry_makes_the_next_ones_error_pending(run):
    sock = recverr_socket(run)
    closed = run.addr(run.free_port())
    for payload in (b"first", b"second"):
        run.sender.sendto(sock, payload, closed)
        run.check(f"a receive waiting after the {payload.decode()} datagram", refused_receive(run, sock),
                  equals="ECONNREFUSED", rule="each datagram's error is reported (and no longer pending)")
    run.check("the first entry read: its data", payload_of(errqueue_outcome(run.sender, sock)), equals=b"first")
    run.check("a receive after the first entry was read", datagram_outcome(run.sender, sock, QUIET_WINDOW),
              equals="ECONNREFUSED", rule="the entry behind it makes its error pending again")
    run.check("the second entry read: its data", payload_of(errqueue_outcome(run.sender, sock)), equals=b"second")
    run.check("a receive after the last entry was read", datagram_outcome(run.sender, sock, QUIET_WINDOW),
              allowed=NOTHING, rule="no entry left behind it: no error pending, the receive ends with nothing")


@behaviour("UDP-ERRQ-006", seats=SEATS)
def test_turning_recverr_off_empties_the_queue(run):
    sock = recverr_socket(run)
    run.sender.sendto(sock, b"errqueue-006", run.addr(run.free_port()))
    run.check("a receive waiting after the datagram", refused_receive(run, sock), equals="ECONNREFUSED",
              rule="the ICMP error came back (its entry is queued)")
    run.sender.set_option(sock, "recverr", False)
    run.check("the error queue once recverr was set off", errqueue_outcome(run.sender, sock), equals="EAGAIN",
              rule="setting recverr off discarded the queued entry")


@behaviour("UDP-ERRQ-007", seats=SEATS)
def test_nothing_is_queued_without_recverr(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, run.addr(run.free_port()))
    run.sender.sendto(sock, b"errqueue-007")
    run.check("a receive waiting after the datagram", refused_receive(run, sock), equals="ECONNREFUSED",
              rule="the connected socket is told by its next receive")
    run.check("the error queue", errqueue_outcome(run.sender, sock), equals="EAGAIN",
              rule="recverr is off: nothing was queued")


@behaviour("UDP-ERRQ-008", seats=SEATS)
def test_a_queued_entry_shows_an_error(run):
    sock = recverr_socket(run)
    run.sender.sendto(sock, b"errqueue-008", run.addr(run.free_port()))
    run.check("a receive waiting after the datagram", refused_receive(run, sock), equals="ECONNREFUSED",
              rule="the pending error is reported (and cleared); the entry stays queued")
    run.check("readiness with the entry queued", fired(run.sender, sock, ["read"]), equals=["error"],
              rule="POLLERR: the error queue is not empty")
    run.check("the entry: its data", payload_of(errqueue_outcome(run.sender, sock)), equals=b"errqueue-008")
    run.check("readiness once the entry was read", quiet(run.sender, sock, ["read"]), equals=[],
              rule="nothing shown once the queue is empty")
