"""Multicast (protocol 1.7, docs/protocol.md §6 "Multicast and the error queue (1.7)", §7):
``udp.join`` and ``udp.leave``, and the options multicast_loop, multicast_ttl and multicast_if,
the plain POSIX / Linux way (ip(7), ipv6(7)): ``ip_mreqn`` and ``ipv6_mreq`` with the
interface's index, ``IP_MULTICAST_IF`` with its address.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .errors import OpError, from_oserror

NAMES = ("multicast_loop", "multicast_ttl", "multicast_if")
_MREQN = struct.Struct("4s4si")   # struct ip_mreqn: imr_multiaddr, imr_address, imr_ifindex
_MREQ6 = struct.Struct("16sI")    # struct ipv6_mreq: ipv6mr_multiaddr, ipv6mr_interface
_INT = struct.Struct("i")
_ANY4 = bytes(4)


def _call(function: Any, *args: Any, context: str) -> Any:
    try:
        return function(*args)
    except OSError as exc:
        raise from_oserror(exc, context) from None


def _interface(value: Any) -> tuple[int, bytes]:
    """An interface object (or null) as (index, IPv4 address): index 0 and INADDR_ANY for null."""
    from .engine import BadRequest
    if value is None:
        return 0, _ANY4
    if not isinstance(value, dict):
        raise BadRequest("an interface is an object {name, index, address} or null")
    index = value.get("index", 0)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise BadRequest("interface.index must be an integer >= 0")
    address = value.get("address")
    if address is None:
        return index, _ANY4
    if not isinstance(address, str):
        raise BadRequest("interface.address must be a string")
    try:
        return index, socket.inet_pton(socket.AF_INET, address)
    except OSError:
        raise OpError("EINVAL", f"interface.address is not an IPv4 address: {address!r}") from None


def _membership(sock: socket.socket, group: str, interface: Any, join: bool) -> None:
    context = ("join " if join else "leave ") + group
    index, address = _interface(interface)
    try:
        packed_group = socket.inet_pton(sock.family, group)
    except (OSError, ValueError):
        raise OpError("EINVAL", f"not a numeric address of the socket's family: {group!r}") from None
    if sock.family == socket.AF_INET6:
        option = socket.IPV6_JOIN_GROUP if join else socket.IPV6_LEAVE_GROUP
        _call(sock.setsockopt, socket.IPPROTO_IPV6, option, _MREQ6.pack(packed_group, index), context=context)
    else:
        option = socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
        _call(sock.setsockopt, socket.IPPROTO_IP, option, _MREQN.pack(packed_group, address, index), context=context)


class MulticastOperations:
    """``udp.join`` / ``udp.leave`` (feature ``multicast``)."""

    def op_udp_join(self, args: Any) -> dict:
        _membership(self._socket(args), args.get("group", str), args.get("interface", dict, None), join=True)
        return {}

    def op_udp_leave(self, args: Any) -> dict:
        _membership(self._socket(args), args.get("group", str), args.get("interface", dict, None), join=False)
        return {}


def _levels(sock: socket.socket, name: str) -> tuple[int, int]:
    six = sock.family == socket.AF_INET6
    return {
        "multicast_loop": (socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP) if six
        else (socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP),
        "multicast_ttl": (socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS) if six
        else (socket.IPPROTO_IP, socket.IP_MULTICAST_TTL),
        "multicast_if": (socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF) if six
        else (socket.IPPROTO_IP, socket.IP_MULTICAST_IF),
    }[name]


def set_option(sock: socket.socket, name: str, value: Any) -> None:
    from .engine import BadRequest
    level, option = _levels(sock, name)
    context = f"setsockopt {name}"
    if name == "multicast_loop":
        if not isinstance(value, bool):
            raise BadRequest("option 'multicast_loop' takes a bool")
        _call(sock.setsockopt, level, option, int(value), context=context)
    elif name == "multicast_ttl":
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest("option 'multicast_ttl' takes an integer")
        _call(sock.setsockopt, level, option, value, context=context)
    else:  # multicast_if: an interface object or null
        index, address = _interface(value)
        if sock.family == socket.AF_INET6:
            _call(sock.setsockopt, level, option, index, context=context)
        else:  # struct ip_mreqn: the kernel keeps both the index and the address (ip(7))
            _call(sock.setsockopt, level, option, _MREQN.pack(_ANY4, address, index), context=context)


def get_option(sock: socket.socket, name: str) -> Any:
    level, option = _levels(sock, name)
    context = f"getsockopt {name}"
    if name == "multicast_loop":
        return bool(_call(sock.getsockopt, level, option, context=context))
    if name == "multicast_ttl":
        return _call(sock.getsockopt, level, option, context=context)
    if sock.family == socket.AF_INET6:
        return _call(sock.getsockopt, level, option, context=context)
    return socket.inet_ntop(socket.AF_INET, _call(sock.getsockopt, level, option, 4, context=context))
