"""Multicast (protocol 1.7, docs/protocol.md §6 and §7): ``udp.join``, ``udp.leave`` and the
options multicast_loop, multicast_ttl and multicast_if.

asyncio has no multicast API of its own: ``loop.create_datagram_endpoint`` takes no group and
no multicast option. What an asyncio program does instead is what the asyncio documentation
points to for every option it does not wrap: the endpoint's socket,
``transport.get_extra_info("socket")`` (asyncio's TransportSocket, uvloop's PseudoSocket), and
the socket module's setsockopt/getsockopt with the structures of ip(7) and ipv6(7) — the
Python idiom: ``struct ip_mreq`` (group, interface address) for IPv4 membership, ``struct
ipv6_mreq`` (group, interface index) for IPv6, the interface's address for IPv4's
``IP_MULTICAST_IF`` and its index for IPv6's. Errors are the kernel's, through the socket
module's OSError.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .errors import OpError, from_oserror
from .wire import BadRequest

NAMES = ("multicast_loop", "multicast_ttl", "multicast_if")
_MREQ = struct.Struct("4s4s")  # struct ip_mreq: imr_multiaddr, imr_interface
_MREQ6 = struct.Struct("16sI")  # struct ipv6_mreq: ipv6mr_multiaddr, ipv6mr_interface
_ANY4 = bytes(4)


def interface(value: Any, six: bool) -> Any:
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
        raw = _MREQ6.pack(packed, interface(where, True))
    else:
        level, option = socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
        raw = _MREQ.pack(packed, interface(where, False))
    try:
        sock.setsockopt(level, option, raw)
    except OSError as exc:
        raise from_oserror(exc, ("join " if join else "leave ") + group) from None


def _where(sock: Any, name: str) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, {"multicast_loop": socket.IPV6_MULTICAST_LOOP,
                                     "multicast_ttl": socket.IPV6_MULTICAST_HOPS,
                                     "multicast_if": socket.IPV6_MULTICAST_IF}[name]
    return socket.IPPROTO_IP, {"multicast_loop": socket.IP_MULTICAST_LOOP, "multicast_ttl": socket.IP_MULTICAST_TTL,
                               "multicast_if": socket.IP_MULTICAST_IF}[name]


def set_option(sock: Any, name: str, value: Any) -> None:
    level, option = _where(sock, name)
    if name == "multicast_loop":
        if not isinstance(value, bool):
            raise BadRequest("option 'multicast_loop' takes a bool")
        raw: Any = int(value)
    elif name == "multicast_ttl":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest("option 'multicast_ttl' takes an integer")
        raw = value
    else:
        raw = interface(value, sock.family == socket.AF_INET6)
    try:
        sock.setsockopt(level, option, raw)
    except OSError as exc:
        raise from_oserror(exc, f"setsockopt {name}") from None


def get_option(sock: Any, name: str) -> Any:
    level, option = _where(sock, name)
    try:
        if name == "multicast_if" and sock.family != socket.AF_INET6:
            return socket.inet_ntop(socket.AF_INET, sock.getsockopt(level, option, 4))
        value = sock.getsockopt(level, option)
    except OSError as exc:
        raise from_oserror(exc, f"getsockopt {name}") from None
    return bool(value) if name == "multicast_loop" else value
