"""Multicast and the error queue (protocol 1.7, docs/protocol.md §6 and §7) with trio.socket.

trio has no multicast API above its socket layer; a trio program joins a group the way the
socket module does, with trio.socket's own ``setsockopt``/``getsockopt`` and the structures of
ip(7) and ipv6(7): ``struct ip_mreq`` (group, interface address) for IPv4 membership, ``struct
ipv6_mreq`` (group, interface index) for IPv6, the interface's address for IPv4's
``IP_MULTICAST_IF`` and its index for IPv6's.

``udp.errqueue`` is trio.socket's ``recvmsg`` with ``MSG_ERRQUEUE``: one entry of the socket's
error queue, its ``struct sock_extended_err`` (ip(7) "IP_RECVERR") in the ancillary data. trio
waits when the call would block; an empty queue answers EAGAIN through waits.py's one attempt
(timeout 0), so the operation never waits.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .addresses import address_of
from .errors import FAILURES, OpError, errno_name, translate
from .wire import BadRequest, b64

NAMES = ("multicast_loop", "multicast_ttl", "multicast_if", "recverr")
_MREQ = struct.Struct("4s4s")  # struct ip_mreq: imr_multiaddr, imr_interface
_MREQ6 = struct.Struct("16sI")  # struct ipv6_mreq: ipv6mr_multiaddr, ipv6mr_interface
_ANY4 = bytes(4)
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
# struct sock_extended_err (linux/errqueue.h): ee_errno, ee_origin, ee_type, ee_code, ee_pad,
# ee_info, ee_data; SO_EE_OFFENDER is the sockaddr right after it.
_EXTENDED_ERR = struct.Struct("=IBBBBII")
_ORIGINS = {0: "none", 1: "local", 2: "icmp", 3: "icmp6"}
ERRQUEUE_CONTROL = 512  # room for the extended error and its offender's sockaddr


def _family(target: Any) -> int:
    """A trio.socket socket's family, or a SocketStream's (its .socket)."""
    return target.family if hasattr(target, "family") else target.socket.family


def _interface(value: Any, six: bool) -> Any:
    """An interface object (or null) as the socket module takes it: IPv4 its address
    (INADDR_ANY for null or without one), IPv6 its index (0 for null)."""
    if value is None:
        return 0 if six else _ANY4
    if not isinstance(value, dict):
        raise BadRequest("an interface is an object {name, index, address} or null")
    if six:
        index = value.get("index", 0)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise BadRequest("interface.index must be an integer >= 0")
        return index
    address = value.get("address")
    if address is None:
        return _ANY4
    if not isinstance(address, str):
        raise BadRequest("interface.address must be a string")
    try:
        return socket.inet_pton(socket.AF_INET, address)
    except OSError:
        raise OpError("EINVAL", f"interface.address is not an IPv4 address: {address!r}") from None


def membership(sock: Any, group: str, where: Any, join: bool) -> None:
    """IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP, IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP."""
    six = sock.family == socket.AF_INET6
    try:
        packed = socket.inet_pton(sock.family, group)
    except (OSError, ValueError):
        raise OpError("EINVAL", f"not a numeric address of the socket's family: {group!r}") from None
    if six:
        level, option = socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP if join else socket.IPV6_LEAVE_GROUP
        raw = _MREQ6.pack(packed, _interface(where, True))
    else:
        level, option = socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
        raw = _MREQ.pack(packed, _interface(where, False))
    try:
        sock.setsockopt(level, option, raw)
    except FAILURES as exc:
        raise translate(exc, ("join " if join else "leave ") + group) from None


def _where(sock: Any, name: str) -> tuple[int, int]:
    if _family(sock) == socket.AF_INET6:
        return socket.IPPROTO_IPV6, {"multicast_loop": socket.IPV6_MULTICAST_LOOP,
                                     "multicast_ttl": socket.IPV6_MULTICAST_HOPS,
                                     "multicast_if": socket.IPV6_MULTICAST_IF, "recverr": IPV6_RECVERR}[name]
    return socket.IPPROTO_IP, {"multicast_loop": socket.IP_MULTICAST_LOOP, "multicast_ttl": socket.IP_MULTICAST_TTL,
                               "multicast_if": socket.IP_MULTICAST_IF, "recverr": IP_RECVERR}[name]


def set_option(sock: Any, name: str, value: Any) -> None:
    level, option = _where(sock, name)
    if name in ("multicast_loop", "recverr"):
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes true or false")
        raw: Any = int(value)
    elif name == "multicast_ttl":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest("option 'multicast_ttl' takes an integer")
        raw = value
    else:
        raw = _interface(value, _family(sock) == socket.AF_INET6)
    try:
        sock.setsockopt(level, option, raw)
    except FAILURES as exc:
        raise translate(exc, f"setsockopt {name}") from None


def get_option(sock: Any, name: str) -> Any:
    level, option = _where(sock, name)
    try:
        if name == "multicast_if" and _family(sock) != socket.AF_INET6:
            return socket.inet_ntop(socket.AF_INET, sock.getsockopt(level, option, 4))
        value = sock.getsockopt(level, option)
    except FAILURES as exc:
        raise translate(exc, f"getsockopt {name}") from None
    return bool(value) if name in ("multicast_loop", "recverr") else value


def _offender(raw: bytes) -> dict | None:
    """SO_EE_OFFENDER: the sockaddr after the extended error; AF_UNSPEC (0) when there is none."""
    if len(raw) < 2:
        return None
    family = struct.unpack_from("=H", raw)[0]
    if family == socket.AF_INET and len(raw) >= 8:
        return {"host": socket.inet_ntop(socket.AF_INET, raw[4:8]), "port": 0}
    if family == socket.AF_INET6 and len(raw) >= 24:
        return {"host": socket.inet_ntop(socket.AF_INET6, raw[8:24]), "port": 0}
    return None


def error_entry(data: bytes, ancillary: list, sender: Any) -> dict:
    """One entry of the error queue, as recvmsg(MSG_ERRQUEUE) gave it."""
    for level, kind, raw in ancillary:
        if (level, kind) in ((socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR)) \
                and len(raw) >= _EXTENDED_ERR.size:
            number, origin, icmp_type, icmp_code, _, _, _ = _EXTENDED_ERR.unpack_from(raw)
            return {"errno": errno_name(number), "origin": _ORIGINS.get(origin, str(origin)), "type": icmp_type,
                    "code": icmp_code, "offender": _offender(raw[_EXTENDED_ERR.size:]),
                    "peer": address_of(sender) if sender else None, "data": b64(data)}
    raise OpError("EINVAL", f"recvmsg(MSG_ERRQUEUE) gave no extended error: {ancillary!r}", supplied=True)
