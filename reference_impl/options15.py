"""The options protocol 1.5 adds (docs/protocol.md §7): timeouts, TCP keep-alive tuning, user
timeout, cork, TOS / traffic class, urgent data inline, and the read-only SO_ERROR, SO_TYPE
and SO_ACCEPTCONN. Values travel as the system reports them.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from .errors import OpError, errno_name, from_oserror

_TIMEVAL = struct.Struct("ll")
_TYPES = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_SEQPACKET: "seqpacket",
          socket.SOCK_RAW: "raw"}
TIMEOUTS = {"rcvtimeo": socket.SO_RCVTIMEO, "sndtimeo": socket.SO_SNDTIMEO}
BOOLS = {"oobinline": (socket.SOL_SOCKET, socket.SO_OOBINLINE), "cork": (socket.IPPROTO_TCP, socket.TCP_CORK),
         "acceptconn": (socket.SOL_SOCKET, socket.SO_ACCEPTCONN)}
INTS = {"keepidle": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), "keepintvl": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        "keepcnt": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        "user_timeout": (socket.IPPROTO_TCP, getattr(socket, "TCP_USER_TIMEOUT", 18))}
READ_ONLY = {"error": (socket.SOL_SOCKET, socket.SO_ERROR), "type": (socket.SOL_SOCKET, socket.SO_TYPE)}
NAMES = ("rcvtimeo", "sndtimeo", "keepidle", "keepintvl", "keepcnt", "user_timeout", "cork", "tos",
         "oobinline", "type", "acceptconn", "error")


def _call(function: Any, *args: Any, context: str) -> Any:
    try:
        return function(*args)
    except OSError as exc:
        raise from_oserror(exc, context) from None


def _tos(sock: socket.socket) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, socket.IPV6_TCLASS
    return socket.IPPROTO_IP, socket.IP_TOS


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def set_option(sock: socket.socket, name: str, value: Any) -> None:
    from .engine import BadRequest
    context = f"setsockopt {name}"
    if name in TIMEOUTS:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise BadRequest(f"option {name!r} takes seconds, a number >= 0")
        seconds = int(value)
        packed = _TIMEVAL.pack(seconds, round((value - seconds) * 1_000_000))
        _call(sock.setsockopt, socket.SOL_SOCKET, TIMEOUTS[name], packed, context=context)
    elif name in BOOLS:
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes a bool")
        _call(sock.setsockopt, *BOOLS[name], int(value), context=context)
    elif name in INTS or name == "tos":
        if not _is_int(value):
            raise BadRequest(f"option {name!r} takes an integer")
        _call(sock.setsockopt, *(_tos(sock) if name == "tos" else INTS[name]), value, context=context)
    elif name in READ_ONLY:  # read-only: the kernel answers (ENOPROTOOPT)
        _call(sock.setsockopt, *READ_ONLY[name], value if _is_int(value) else 0, context=context)
    else:  # pragma: no cover - only called for NAMES
        raise OpError("UNSUPPORTED", f"unknown option {name!r}")


def get_option(sock: socket.socket, name: str) -> Any:
    context = f"getsockopt {name}"
    if name in TIMEOUTS:
        raw = _call(sock.getsockopt, socket.SOL_SOCKET, TIMEOUTS[name], _TIMEVAL.size, context=context)
        seconds, micros = _TIMEVAL.unpack(raw)
        return round(seconds + micros / 1_000_000, 6)
    if name in BOOLS:
        return bool(_call(sock.getsockopt, *BOOLS[name], context=context))
    if name in INTS or name == "tos":
        return _call(sock.getsockopt, *(_tos(sock) if name == "tos" else INTS[name]), context=context)
    if name == "error":  # SO_ERROR: reading it clears it
        code = _call(sock.getsockopt, *READ_ONLY["error"], context=context)
        return errno_name(code) if code else None
    if name == "type":
        kind = _call(sock.getsockopt, *READ_ONLY["type"], context=context)
        return _TYPES.get(kind, str(kind))
    raise OpError("UNSUPPORTED", f"unknown option {name!r}")  # pragma: no cover
