"""The multicast link of a netns twin (docs/protocol.md §7a): mc0 with 198.18.0.1 and fd00::1,
its peer mc1, where what leaves by mc0 arrives (and may be captured). Every multicast and
broadcast behaviour runs the target alone in its namespace: peers of the suite's own sit on the
host and cannot take part, so both ends of a case are the target's sockets.
"""

from __future__ import annotations

from contextlib import contextmanager

from conformance.scenario import NotApplicable
from conformance.scenarios.common import datagram_received, receive_datagram
from fixtures.netns import interface_index
from fixtures.wire import InterfaceUdpObserver

LINK, FAR_END = "mc0", "mc1"
LINK_ADDRESS = {"ipv4": "198.18.0.1", "ipv6": "fd00::1"}
WILDCARD = {"ipv4": "0.0.0.0", "ipv6": "::"}
# Each behaviour its own group (239.255.0.0/16, ff15::/16), so that nothing one left behind meets another.
ARRIVAL = 5.0  # seconds a datagram that must arrive may take, on a loaded machine
MARKER = b"marker: sent by unicast after the datagram under test"


def group(run, number: int) -> str:
    return f"239.255.0.{number}" if run.family == "ipv4" else f"ff15::{number:x}"


def twin_pid(run) -> int:
    pid = getattr(run.client.transport, "pid", None)
    if pid is None:
        raise NotApplicable("the target does not run as a process in a namespace of its own")
    return pid


def interface(run) -> dict:
    """mc0 as the protocol gives it (§6): name, index in the twin's namespace, IPv4 address."""
    index = interface_index(twin_pid(run), LINK)
    if index is None:
        raise NotApplicable(f"the twin's namespace has no {LINK} (no veth in this kernel?)")
    found = {"name": LINK, "index": index}
    if run.family == "ipv4":
        found["address"] = LINK_ADDRESS["ipv4"]
    return found


def bound(run, port: int = 0, host: str | None = None, **options):
    """A datagram socket of the target bound to the wildcard address (or ``host``) and ``port``."""
    return run.client.udp_bind(run.family, WILDCARD[run.family] if host is None else host, port, options or None)


def received(run, sock, sent: bytes) -> str:
    """What became of datagram ``sent`` at ``sock`` (within ARRIVAL): ``"whole"``, ``"nothing
    came back"``, … (conformance.scenarios.common.datagram_received)."""
    return datagram_received(receive_datagram(run.client, sock, timeout=ARRIVAL), sent)


def first_after(run, sock, sender) -> str:
    """Send MARKER by unicast from ``sender`` to ``sock`` (on mc0's address), then say what
    ``sock`` receives first: ``"the marker"`` when nothing sent before it arrived. Datagrams
    on one host are queued to the socket when the send returns, so what was sent before the
    marker and delivered comes before it."""
    run.client.sendto(sender, MARKER, run.addr(sock.local.port, LINK_ADDRESS[run.family]))
    got = receive_datagram(run.client, sock, timeout=ARRIVAL)
    if got is None:
        return "nothing, not even the marker"
    return "the marker" if got.data == MARKER else f"{got.data!r} before the marker"


@contextmanager
def far_end_capture(run, port: int):
    """The UDP datagrams of ``port`` arriving at mc1 (sent out of mc0) in the twin's namespace."""
    observer = InterfaceUdpObserver(port, FAR_END, twin_pid(run))
    try:
        yield observer
    finally:
        observer.close()


def captured_until(run, observer, count: int) -> list:
    """The datagrams captured, once ``count`` have arrived (or ARRIVAL has passed)."""
    run.eventually(lambda: len(observer.datagrams()) >= count, timeout=ARRIVAL)
    return observer.datagrams()
