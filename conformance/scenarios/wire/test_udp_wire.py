"""Datagram options seen on the wire: TTL, TOS and each send's datagram (captured on lo)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import payload, receive_datagram
from conformance.scenarios.wire.steps import WAIT, default_hops

SETTLE = 0.5  # seconds: the capture's own lag behind the wire, with room to spare


def _sent_and_received(run, wire, sender, receiver, data: bytes) -> list:
    """Send one datagram, let the receiver take it, wait until it has been seen: the
    datagrams the sender's address sent since (what was seen by the deadline)."""
    before = len(wire.sent_by(sender.local))
    run.sender.sendto(sender, data, receiver.local)
    got = receive_datagram(run.receiver, receiver, timeout=WAIT)
    # Loopback delivers a datagram as it is sent, so one that was received is seen at once; one
    # that never arrived in WAIT never left, and the capture gets a short while to settle, not WAIT again.
    run.eventually(lambda: len(wire.sent_by(sender.local)) > before, WAIT if got is not None else SETTLE)
    return wire.sent_by(sender.local)[before:]


def _observed(run, options: dict | None = None):
    receiver = run.receiver.udp_bind(run.family, run.host)
    wire = run.observe_udp(receiver.local.port)
    return run.sender.udp_bind(run.family, run.host, options=options), receiver, wire


@behaviour("UDP-WIRE-001", seats=("sender",), peers=("receiver",))
def test_ttl_on_datagrams(run):
    sender, receiver, wire = _observed(run, {"ttl": 5})
    seen = _sent_and_received(run, wire, sender, receiver, b"ttl-data")
    run.check("TTL of a datagram from a socket made with ttl 5", [d.ttl for d in seen], equals=[5])
    for value in (1, 255):
        run.sender.set_option(sender, "ttl", value)
        seen = _sent_and_received(run, wire, sender, receiver, b"ttl-data")
        run.check(f"TTL of a datagram sent after setting ttl {value}", [d.ttl for d in seen], equals=[value])


@behaviour("UDP-WIRE-002", seats=("sender",), peers=("receiver",))
def test_default_ttl_and_tos(run):
    sender, receiver, wire = _observed(run)
    seen = _sent_and_received(run, wire, sender, receiver, b"defaults")
    default = default_hops(run)
    run.check(f"TTL of a datagram, nothing set (the system's default is {default})", [d.ttl for d in seen],
              equals=[default])
    run.check("TOS (traffic class) byte of a datagram, nothing set", [d.tos for d in seen], equals=[0])


@behaviour("UDP-WIRE-003", seats=("sender",), peers=("receiver",))
def test_tos_on_datagrams(run):
    sender, receiver, wire = _observed(run)
    for value in (0x28, 0x10):
        run.sender.set_option(sender, "tos", value)
        seen = _sent_and_received(run, wire, sender, receiver, b"tos-data")
        run.check(f"TOS (traffic class) byte of a datagram sent after setting tos {value}", [d.tos for d in seen],
                  equals=[value])


@behaviour("UDP-WIRE-004", seats=("sender",), peers=("receiver",))
def test_one_datagram_per_send(run):
    sender, receiver, wire = _observed(run)
    sizes = (3, 0, 1000, 8192)
    for size in sizes:
        _sent_and_received(run, wire, sender, receiver, payload(size, seed=size))
    run.check("the datagrams the sends left as: length, from, to",
              [(d.payload_length, d.source, d.destination) for d in wire.sent_by(sender.local)],
              equals=[(size, sender.local, receiver.local) for size in sizes])
