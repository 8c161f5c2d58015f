"""Socket options (docs/protocol.md §7), through trio's own setsockopt/getsockopt.

``SocketStream.setsockopt``/``getsockopt`` for streams (trio's documented methods),
``SocketListener.socket`` and trio.socket sockets for the rest. Options given at creation are
set on a trio.socket socket before bind/connect (trio's high-level openers take none).
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from . import multicast, options15
from .errors import FAILURES, OpError, translate
from .wire import UNSUPPORTED, BadRequest

_FLAGS = {
    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "reuseport": (socket.SOL_SOCKET, getattr(socket, "SO_REUSEPORT", 15)),
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "broadcast": (socket.SOL_SOCKET, socket.SO_BROADCAST),
    "nodelay": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "v6only": (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY),
}
_SIZES = {
    "rcvbuf": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "sndbuf": (socket.SOL_SOCKET, socket.SO_SNDBUF),
}
_LINGER = struct.Struct("ii")
NAMES = (*_FLAGS, *_SIZES, "ttl", "linger", *options15.NAMES, *multicast.NAMES)  # 1.7: multicast.py
PASSCRED = (socket.SOL_SOCKET, getattr(socket, "SO_PASSCRED", 16))


def _hops(target: Any) -> tuple[int, int]:
    family = target.family if hasattr(target, "family") else target.socket.family
    if family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS
    return socket.IPPROTO_IP, socket.IP_TTL


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"option {name!r} takes an integer")
    return value


def set_option(target: Any, name: str, value: Any, passcred: bool = False) -> None:
    """``target``: a SocketStream or a trio.socket socket (both have setsockopt)."""
    if name in options15.NAMES:
        return options15.set_option(target, name, value)
    if name in multicast.NAMES:
        return multicast.set_option(target, name, value)
    if name in _FLAGS or (name == "passcred" and passcred):
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes true or false")
        (level, option), raw = (PASSCRED if name == "passcred" else _FLAGS[name]), int(value)
    elif name in _SIZES or name == "ttl":
        (level, option), raw = (_hops(target) if name == "ttl" else _SIZES[name]), _int(name, value)
    elif name == "linger":
        level, option = socket.SOL_SOCKET, socket.SO_LINGER
        raw = _LINGER.pack(0, 0) if value is None else _LINGER.pack(1, _int(name, value))
    else:
        raise OpError(UNSUPPORTED, f"option {name!r} is not declared")
    try:
        target.setsockopt(level, option, raw)
    except FAILURES as exc:
        raise translate(exc, f"setsockopt {name}") from None


def get_option(target: Any, name: str, passcred: bool = False) -> Any:
    if name in options15.NAMES:
        return options15.get_option(target, name)
    if name in multicast.NAMES:
        return multicast.get_option(target, name)
    try:
        if name in _FLAGS or (name == "passcred" and passcred):
            return bool(target.getsockopt(*(PASSCRED if name == "passcred" else _FLAGS[name])))
        if name in _SIZES or name == "ttl":
            return target.getsockopt(*(_hops(target) if name == "ttl" else _SIZES[name]))
        if name == "linger":
            onoff, seconds = _LINGER.unpack(target.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.size))
            return seconds if onoff else None
    except FAILURES as exc:
        raise translate(exc, f"getsockopt {name}") from None
    raise OpError(UNSUPPORTED, f"option {name!r} is not declared")


def apply_options(sock: Any, options: dict, passcred: bool = False) -> None:
    for name, value in options.items():
        set_option(sock, name, value, passcred)


def linger_zero(target: Any) -> None:
    """SO_LINGER on with 0 s: the close that follows resets the connection (stream.abort)."""
    target.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(1, 0))


def linger_off(target: Any) -> None:
    """reset never waits and never resets (§5): SO_LINGER off before the close."""
    try:
        target.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(0, 0))
    except (OSError, AttributeError, ValueError):
        pass
