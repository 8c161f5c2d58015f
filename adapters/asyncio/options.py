"""Socket options (docs/protocol.md §7).

asyncio has no API for socket options. Two ways in, both through the socket module:
- at creation (``options`` of tcp.listen, tcp.connect, udp.bind): a socket made and set up
  first, then handed to asyncio as ``sock=``, asyncio's documented way to use a socket
  configured by hand (loop.create_server, open_connection, create_datagram_endpoint);
- afterwards (opt.set, opt.get): WORKAROUND, the transport's underlying socket,
  ``transport.get_extra_info("socket")`` (an asyncio.trsock.TransportSocket, which passes
  setsockopt/getsockopt through), or ``Server.sockets`` for a listener.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from . import multicast, options15
from .errors import OpError, from_oserror
from .wire import UNSUPPORTED, BadRequest

_BOOL = {
    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "broadcast": (socket.SOL_SOCKET, socket.SO_BROADCAST),
    "nodelay": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "v6only": (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY),
}
if hasattr(socket, "SO_REUSEPORT"):
    _BOOL["reuseport"] = (socket.SOL_SOCKET, socket.SO_REUSEPORT)
_INT = {
    "rcvbuf": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "sndbuf": (socket.SOL_SOCKET, socket.SO_SNDBUF),
}
_LINGER = struct.Struct("ii")

# 1.7: recverr (IP_RECVERR / IPV6_RECVERR, by the socket's family) and the multicast options
# (multicast.py). The error queue itself (udp.errqueue) is out of reach: a datagram transport
# reads with recvfrom and owns the socket's readiness; nothing in asyncio calls recvmsg with
# MSG_ERRQUEUE.
NAMES = (*_BOOL, *_INT, "ttl", "linger", *options15.NAMES, "recverr", *multicast.NAMES)


def _ttl(sock: Any) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS
    return socket.IPPROTO_IP, socket.IP_TTL


def _recverr(sock: Any) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, getattr(socket, "IPV6_RECVERR", 25)
    return socket.IPPROTO_IP, getattr(socket, "IP_RECVERR", 11)


def _integer(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"option {name!r} takes an integer")
    return value


def set_option(sock: Any, name: str, value: Any) -> None:
    """setsockopt on a socket.socket or a TransportSocket."""
    if name in options15.NAMES:
        return options15.set_option(sock, name, value)
    if name in multicast.NAMES:
        return multicast.set_option(sock, name, value)
    if name in _BOOL or name == "recverr":
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes a bool")
        level, option, raw = *(_recverr(sock) if name == "recverr" else _BOOL[name]), int(value)
    elif name in _INT or name == "ttl":
        level, option = _ttl(sock) if name == "ttl" else _INT[name]
        raw = _integer(name, value)
    elif name == "linger":
        level, option = socket.SOL_SOCKET, socket.SO_LINGER
        raw = _LINGER.pack(0, 0) if value is None else _LINGER.pack(1, _integer(name, value))
    else:
        raise OpError(UNSUPPORTED, f"unknown option {name!r}")
    try:
        sock.setsockopt(level, option, raw)
    except OSError as exc:
        raise from_oserror(exc, f"setsockopt {name}") from None


def get_option(sock: Any, name: str) -> Any:
    """getsockopt, the value as the system reports it."""
    if name in options15.NAMES:
        return options15.get_option(sock, name)
    if name in multicast.NAMES:
        return multicast.get_option(sock, name)
    try:
        if name in _BOOL or name == "recverr":
            return bool(sock.getsockopt(*(_recverr(sock) if name == "recverr" else _BOOL[name])))
        if name in _INT or name == "ttl":
            return sock.getsockopt(*(_ttl(sock) if name == "ttl" else _INT[name]))
        if name == "linger":
            onoff, seconds = _LINGER.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.size))
            return seconds if onoff else None
    except OSError as exc:
        raise from_oserror(exc, f"getsockopt {name}") from None
    raise OpError(UNSUPPORTED, f"unknown option {name!r}")


def prepared_socket(family: int, kind: int, options: dict) -> socket.socket | None:
    """A non-blocking socket with ``options`` applied in order, for asyncio's ``sock=``;
    None without options (asyncio then makes its own)."""
    if not options:
        return None
    try:
        sock = socket.socket(family, kind)
    except OSError as exc:
        raise from_oserror(exc, "socket") from None
    sock.setblocking(False)
    try:
        for name, value in options.items():
            set_option(sock, name, value)
    except BaseException:
        sock.close()
        raise
    return sock


def linger_off(sock: Any) -> None:
    """reset (docs/protocol.md §5) never waits and never resets: SO_LINGER off before the close
    (a linger on would make close(2) wait for unsent data, or at zero send RST). Through the
    transport's socket, as opt.set does; a socket already closed is left as it is."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(0, 0))
    except (OSError, AttributeError):
        pass
