"""Datagram sockets in the orders programs use them: default destination, filters, reconnects,
disconnects (AF_UNSPEC, protocol 1.5 ``udp.disconnect``)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import receive_datagram
from conformance.scenarios.readiness.steps import outcome_of
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import UNSUPPORTED, OpError

SEATS = {"seats": ("receiver",), "peers": ("sender",)}


def _peer_or_error(endpoint, sock):
    try:
        return endpoint.peer_address(sock)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def _sockets(run):
    """The target's datagram socket, and two reference sockets A and B."""
    target = run.receiver.udp_bind(run.family, run.host)
    a = run.sender.udp_bind(run.family, run.host)
    b = run.sender.udp_bind(run.family, run.host)
    return target, a, b


def _address(run, sock):
    return run.addr(sock.local.port)


def _arrived(run, sock, timeout=None):
    got = receive_datagram(run.sender, sock, 64, timeout)
    return None if got is None else got.data


@behaviour("UDP-STATE-001", **SEATS)
def test_receiving_gives_no_destination(run):
    target, a, _ = _sockets(run)
    run.sender.sendto(a, b"hello", _address(run, target))
    run.receiver.recvfrom_flags(target, 64, peek=True)
    run.check("a send without an address after a peek",
              outcome_of(run.receiver.sendto, target, b"reply"), equals="EDESTADDRREQ")
    receive_datagram(run.receiver, target)
    run.check("a send without an address after receiving",
              outcome_of(run.receiver.sendto, target, b"reply"), equals="EDESTADDRREQ")


@behaviour("UDP-STATE-002", **SEATS)
def test_connecting_after_sending_elsewhere(run):
    target, a, b = _sockets(run)
    run.receiver.sendto(target, b"to A", _address(run, a))
    run.receiver.udp_connect(target, _address(run, b))
    run.check("the peer after connecting to B", _peer_or_error(run.receiver, target), equals=_address(run, b))
    run.sender.sendto(b, b"from B", _address(run, target))
    run.sender.sendto(a, b"from A", _address(run, target))
    got = receive_datagram(run.receiver, target)
    run.check("the sender of the first datagram received", None if got is None else got.peer,
              equals=_address(run, b))
    run.check("what arrives after it (A's datagram)",
              receive_datagram(run.receiver, target, timeout=QUIET_WINDOW), equals=None)


@behaviour("UDP-STATE-003", **SEATS)
def test_connecting_again(run):
    target, a, b = _sockets(run)
    run.receiver.udp_connect(target, _address(run, a))
    run.receiver.udp_connect(target, _address(run, b))
    run.check("the peer after connecting again", _peer_or_error(run.receiver, target), equals=_address(run, b))
    run.receiver.sendto(target, b"unaddressed")
    run.check("where a send without an address goes",
              {"A": _arrived(run, a, QUIET_WINDOW), "B": _arrived(run, b)}, equals={"A": None, "B": b"unaddressed"})
    run.sender.sendto(a, b"from A", _address(run, target))
    run.check("a datagram from the first peer", receive_datagram(run.receiver, target, timeout=QUIET_WINDOW),
              equals=None)


@behaviour("UDP-STATE-004", **SEATS)
def test_disconnecting(run):
    # Bound to a port of its own choosing: Linux keeps that binding through the disconnect (an
    # ephemeral one is released, UDP-STATE-006).
    target = run.receiver.udp_bind(run.family, run.host, run.free_port())
    a = run.sender.udp_bind(run.family, run.host)
    b = run.sender.udp_bind(run.family, run.host)
    run.receiver.udp_connect(target, _address(run, a))
    run.receiver.udp_disconnect(target)
    run.check("the peer after disconnecting", _peer_or_error(run.receiver, target), equals="ENOTCONN")
    run.check("a send without an address after disconnecting",
              outcome_of(run.receiver.sendto, target, b"nowhere"), equals="EDESTADDRREQ")
    run.sender.sendto(b, b"from B", _address(run, target))
    got = receive_datagram(run.receiver, target)
    run.check("a datagram from another sender", None if got is None else got.data, equals=b"from B")


@behaviour("UDP-STATE-005", **SEATS)
def test_sending_to_an_address_while_connected(run):
    target, a, b = _sockets(run)
    run.receiver.udp_connect(target, _address(run, a))
    outcome = outcome_of(run.receiver.sendto, target, b"to B", _address(run, b))
    run.check("a send to B while connected to A", outcome, allowed=("ok", "EISCONN"))
    if outcome == "ok":
        run.check("where it went", {"A": _arrived(run, a, QUIET_WINDOW), "B": _arrived(run, b)},
                  equals={"A": None, "B": b"to B"})


@behaviour("UDP-STATE-006", **SEATS)
def test_disconnecting_releases_an_ephemeral_port(run):
    target, a, _ = _sockets(run)
    run.receiver.udp_connect(target, _address(run, a))
    run.receiver.udp_disconnect(target)
    local = run.receiver.local_address(target)
    run.check("the local port after disconnecting", "port 0" if local.port == 0 else
              "the port it had" if local.port == target.local.port else "another port", equals="port 0")
