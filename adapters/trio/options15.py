"""The socket options of protocol 1.5 (docs/protocol.md §7): SO_RCVTIMEO/SO_SNDTIMEO, TCP
keep-alive tuning, TCP_USER_TIMEOUT, TCP_CORK, IP_TOS/IPV6_TCLASS, SO_OOBINLINE and the
read-only SO_TYPE, SO_ACCEPTCONN, SO_ERROR.

Through trio's own setsockopt/getsockopt, as options.py: ``SocketStream.setsockopt``/``getsockopt``
for streams, trio.socket sockets (``SocketListener.socket``, datagram sockets, tcp.socket) for
the rest. Values go out as the system reports them. trio makes no blocking call (its sockets
are non-blocking), so a timeout option changes nothing it does: it is only set and read back.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .errors import FAILURES, OpError, errno_name, translate
from .wire import UNSUPPORTED, BadRequest

_TIMEVAL = struct.Struct("@ll")  # struct timeval on Linux: seconds, microseconds
_TIMEOUT = {"rcvtimeo": socket.SO_RCVTIMEO, "sndtimeo": socket.SO_SNDTIMEO}
_SWITCH = {
    "cork": (socket.IPPROTO_TCP, getattr(socket, "TCP_CORK", 3)),
    "oobinline": (socket.SOL_SOCKET, socket.SO_OOBINLINE),
    "acceptconn": (socket.SOL_SOCKET, getattr(socket, "SO_ACCEPTCONN", 30)),
}
_NUMBER = {
    "keepidle": (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", 4)),
    "keepintvl": (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", 5)),
    "keepcnt": (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", 6)),
    "user_timeout": (socket.IPPROTO_TCP, getattr(socket, "TCP_USER_TIMEOUT", 18)),
}
_STATE = {"type": (socket.SOL_SOCKET, socket.SO_TYPE), "error": (socket.SOL_SOCKET, socket.SO_ERROR)}
_KINDS = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_SEQPACKET: "seqpacket",
          socket.SOCK_RAW: "raw"}

NAMES = ("rcvtimeo", "sndtimeo", *_NUMBER, "cork", "tos", "oobinline", "type", "acceptconn", "error")


def _tos(target: Any) -> tuple[int, int]:
    family = target.family if hasattr(target, "family") else target.socket.family  # a SocketStream
    if family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, socket.IPV6_TCLASS
    return socket.IPPROTO_IP, socket.IP_TOS


def _where(sock: Any, name: str) -> tuple[int, int]:
    if name == "tos":
        return _tos(sock)
    for table in (_SWITCH, _NUMBER, _STATE):
        if name in table:
            return table[name]
    return socket.SOL_SOCKET, _TIMEOUT[name]


def set_option(sock: Any, name: str, value: Any) -> None:
    if name in _TIMEOUT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise BadRequest(f"option {name!r} takes seconds, a number >= 0")
        whole = int(value)
        raw: Any = _TIMEVAL.pack(whole, round((value - whole) * 1_000_000))
    elif name in _SWITCH:
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes a bool")
        raw = int(value)
    elif name in _NUMBER or name == "tos":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"option {name!r} takes an integer")
        raw = value
    elif name in _STATE:  # read-only: performed all the same, the kernel refuses (ENOPROTOOPT)
        raw = value if isinstance(value, int) and not isinstance(value, bool) else 0
    else:
        raise OpError(UNSUPPORTED, f"unknown option {name!r}")
    try:
        sock.setsockopt(*_where(sock, name), raw)
    except FAILURES as exc:
        raise translate(exc, f"setsockopt {name}") from None


def get_option(sock: Any, name: str) -> Any:
    try:
        if name in _TIMEOUT:
            seconds, micros = _TIMEVAL.unpack(sock.getsockopt(socket.SOL_SOCKET, _TIMEOUT[name], _TIMEVAL.size))
            return round(seconds + micros / 1_000_000, 6)
        value = sock.getsockopt(*_where(sock, name))
    except FAILURES as exc:
        raise translate(exc, f"getsockopt {name}") from None
    if name in _SWITCH:
        return bool(value)
    if name == "type":
        return _KINDS.get(value, str(value))
    if name == "error":  # SO_ERROR: the kernel cleared it by this read
        return errno_name(value) if value else None
    return value


__all__ = ["NAMES", "get_option", "set_option"]
