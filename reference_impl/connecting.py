"""Connecting, beyond a fresh blocking connect (protocol 1.5, docs/protocol.md §6 "Readiness and connects"):
``tcp.connect`` on an existing handle (again after a failure, while pending, once
connected), a connect started without waiting (``pending: true``, its outcome learnt from
``wait`` and option ``error``), and ``udp.disconnect`` (connect to AF_UNSPEC).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import socket
from typing import Any

from .errors import OpError, errno_name, from_oserror


def connect(sock: socket.socket, address: tuple, timeout: float, pending: bool) -> bool:
    """connect(2) on a non-blocking socket: True if established, False if left in progress
    (``pending``); else wait up to ``timeout`` for the outcome (SO_ERROR). Errors raise."""
    code = sock.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EAGAIN):
        if pending:
            return False
        if timeout == 0:
            raise OpError("EINPROGRESS", "connect: in progress")
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        if not poller.poll(timeout * 1000):
            raise OpError("ETIMEDOUT", f"connect: timed out after {timeout:g} s")
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OpError(errno_name(code), f"connect: {os.strerror(code)}")
    return True


class ConnectingOperations:
    """The 1.5 forms of ``tcp.connect`` and ``udp.disconnect``, mixed into ``ReferenceAdapter``."""

    def _connect_15(self, args: Any) -> dict:
        from .engine import Args, _endpoints, address_of, family_of, numeric_sockaddr
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int))
        bind = args.get("bind", dict, None)
        pending = args.get("pending", bool, False)
        existing = args.get("handle", int, None)
        sock = self._socket(args) if existing is not None else \
            self._new_socket(family, socket.SOCK_STREAM, self._options(args))  # type: ignore[attr-defined]
        try:
            if bind is not None:
                local = Args(bind)
                try:
                    sock.bind(numeric_sockaddr(family, local.get("host", str), local.get("port", int, 0)))
                except OSError as exc:
                    raise from_oserror(exc, "bind") from None
            established = connect(sock, address, args.timeout(), pending)
        except BaseException:
            if existing is None:  # a socket of the request's own: nothing left behind
                sock.close()
            raise
        handle = existing if existing is not None else self._register(sock)  # type: ignore[attr-defined]
        if established:
            return {"handle": handle, **_endpoints(sock), **({"pending": False} if pending else {})}
        return {"handle": handle, "pending": True, "local": address_of(sock.getsockname())}

    def op_udp_disconnect(self, args: Any) -> dict:
        disconnect(self._socket(args))  # type: ignore[attr-defined]
        return {}


def disconnect(sock: socket.socket) -> None:
    """connect(2) to an address of family AF_UNSPEC: a datagram socket forgets its peer
    (POSIX.1-2017 connect()). The stdlib's connect takes only the socket's own family, so
    the call goes to libc directly."""
    unspec = (ctypes.c_ushort * 8)(socket.AF_UNSPEC)  # struct sockaddr, sa_family = AF_UNSPEC
    if _libc().connect(sock.fileno(), ctypes.byref(unspec), ctypes.sizeof(unspec)) != 0:
        code = ctypes.get_errno()
        raise OpError(errno_name(code), f"connect AF_UNSPEC: {os.strerror(code)}")


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


_LIBC = None
