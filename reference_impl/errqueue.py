"""The error queue and the blocking mode (protocol 1.7): ``udp.errqueue``, options ``recverr`` and
``nonblock``.

``udp.errqueue`` is one ``recvmsg`` with ``MSG_ERRQUEUE``: the entry's payload (the datagram
that caused it), its original destination (``msg_name``) and the ``struct sock_extended_err``
of the ``IP_RECVERR`` / ``IPV6_RECVERR`` control message, with the offender behind it
(``SO_EE_OFFENDER``). Linux ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR. It never waits: an empty
queue answers EAGAIN, as the kernel does.

``nonblock`` is the blocking mode a program using the socket API sees: new sockets are
blocking; ``opt.set`` switches it (``setblocking``), ``opt.get`` reads it. The reference keeps
every descriptor non-blocking for its own waiting (engine._waiting: poll with the request's
timeout), so the mode is kept beside the socket and applied where the program's own calls
would feel it: a ``blocking`` call (reference_impl.flags) is one attempt on a non-blocking
socket. Where the kernel decides the mode, the reference asks the kernel: an accepted
socket's mode is the one ``accept`` gave its descriptor (Linux accept(2): no O_NONBLOCK from
the listener), read before the reference makes it non-blocking for itself.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import weakref
from typing import Any

from .errors import OpError, errno_name, from_oserror
from .protocol import encode_bytes

MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
# struct sock_extended_err (linux/errqueue.h): ee_errno, ee_origin, ee_type, ee_code, ee_pad,
# ee_info, ee_data; the offender's sockaddr follows it (SO_EE_OFFENDER).
_EXTENDED_ERR = struct.Struct("=IBBBBII")
_ORIGINS = {0: "none", 1: "local", 2: "icmp", 3: "icmp6"}
NAMES = ("recverr", "nonblock")

# The sockets whose program asked for non-blocking mode (weakly held: they go with their socket).
_NONBLOCKING: weakref.WeakSet[socket.socket] = weakref.WeakSet()


def _recverr(sock: socket.socket) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, IPV6_RECVERR
    return socket.IPPROTO_IP, IP_RECVERR


def is_nonblocking(sock: socket.socket) -> bool:
    """The program's blocking mode of ``sock`` (True: O_NONBLOCK)."""
    return sock in _NONBLOCKING


def accepted(listener: socket.socket, conn: socket.socket) -> None:
    """Record an accepted socket's mode as accept gave it: O_NONBLOCK only if the kernel set
    it on the new descriptor (BSD inherits the listener's; Linux never does) and the
    program's listener is non-blocking (the reference's own listener always is)."""
    if is_nonblocking(listener) and not os.get_blocking(conn.fileno()):
        _NONBLOCKING.add(conn)


def set_option(sock: socket.socket, name: str, value: Any) -> None:
    from .engine import BadRequest
    if not isinstance(value, bool):
        raise BadRequest(f"option {name!r} takes a bool")
    if name == "recverr":
        try:
            sock.setsockopt(*_recverr(sock), int(value))
        except OSError as exc:
            raise from_oserror(exc, "setsockopt recverr") from None
        return
    try:  # nonblock: the descriptor must be a live one, as fcntl(F_SETFL) would find
        os.get_blocking(sock.fileno())
    except OSError as exc:
        raise from_oserror(exc, "fcntl") from None
    if value:
        _NONBLOCKING.add(sock)
    else:
        _NONBLOCKING.discard(sock)


def get_option(sock: socket.socket, name: str) -> Any:
    if name == "recverr":
        try:
            return bool(sock.getsockopt(*_recverr(sock)))
        except OSError as exc:
            raise from_oserror(exc, "getsockopt recverr") from None
    return is_nonblocking(sock)


def _address(raw: bytes) -> dict | None:
    """A struct sockaddr (SO_EE_OFFENDER) as the protocol's address, or None (AF_UNSPEC)."""
    if len(raw) < 2:
        return None
    family = struct.unpack_from("=H", raw)[0]
    if family == socket.AF_INET and len(raw) >= 8:
        return {"host": socket.inet_ntop(socket.AF_INET, raw[4:8]), "port": struct.unpack_from("!H", raw, 2)[0]}
    if family == socket.AF_INET6 and len(raw) >= 24:
        return {"host": socket.inet_ntop(socket.AF_INET6, raw[8:24]), "port": struct.unpack_from("!H", raw, 2)[0]}
    return None


def read_entry(sock: socket.socket) -> dict:
    """One entry of the error queue, never waiting (EAGAIN when it is empty)."""
    try:
        data, ancillary, _, destination = sock.recvmsg(65536, 1024, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except BlockingIOError:
        raise OpError("EAGAIN", "recvmsg MSG_ERRQUEUE: the error queue is empty") from None
    except OSError as exc:
        raise from_oserror(exc, "recvmsg MSG_ERRQUEUE") from None
    wanted = {(socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR)}
    for level, kind, payload in ancillary:
        if (level, kind) in wanted and len(payload) >= _EXTENDED_ERR.size:
            number, origin, icmp_type, icmp_code, _, _, _ = _EXTENDED_ERR.unpack_from(payload)
            offender = _address(payload[_EXTENDED_ERR.size:])
            if offender is not None:
                offender["port"] = 0
            peer = {"host": destination[0], "port": destination[1]} if isinstance(destination, tuple) else None
            return {"errno": errno_name(number), "origin": _ORIGINS.get(origin, "none"),
                    "type": icmp_type, "code": icmp_code, "offender": offender, "peer": peer,
                    "data": encode_bytes(data)}
    raise OpError("EIO", f"recvmsg MSG_ERRQUEUE: no extended error came with the entry ({errno.EIO})")


class ErrqueueOperations:
    """``udp.errqueue``, mixed into ``ReferenceAdapter``."""

    def op_udp_errqueue(self, args: Any) -> dict:
        return read_entry(self._socket(args))  # type: ignore[attr-defined]
