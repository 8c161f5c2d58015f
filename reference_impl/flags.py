"""Receive and send flags (protocol 1.5, docs/protocol.md §6 "Flags and blocking calls"): MSG_PEEK, MSG_WAITALL,
MSG_DONTWAIT, MSG_TRUNC, MSG_OOB, and ``blocking`` calls that only the socket's own
SO_RCVTIMEO / SO_SNDTIMEO end.

The reference keeps its descriptors non-blocking and waits with poll (engine._waiting);
a ``blocking`` call, and MSG_WAITALL, switch the descriptor to blocking mode for that one
call, as a program using the blocking API would make it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
from collections.abc import Iterator
from typing import Any

from .errors import OpError, from_oserror
from .errqueue import is_nonblocking
from .protocol import encode_bytes

STREAM_RECV_FLAGS = ("peek", "waitall", "oob", "dontwait", "blocking")
STREAM_SEND_FLAGS = ("oob", "dontwait", "blocking")
UDP_RECV_FLAGS = ("peek", "trunc", "dontwait", "blocking")
UDP_SEND_FLAGS = ("dontwait",)
_TIMEVAL = struct.Struct("ll")


def flags_of(args: Any, names: tuple[str, ...]) -> set[str]:
    """The flags a request sets (each a bool argument; absent means false)."""
    return {name for name in names if args.get(name, bool, False)}


_NO_TIMEOUT = _TIMEVAL.pack(0, 0)


@contextlib.contextmanager
def blocking_mode(sock: socket.socket, bound: float, option: int = socket.SO_RCVTIMEO,
                  replace: bool = False) -> Iterator[None]:
    """The descriptor in blocking mode for one call. SO_RCVTIMEO (or ``option``) is set to
    ``bound`` for that call when ``replace`` is true or when the socket has none of its own
    (a blocking call of the reference never outlives the request's timeout); the socket's own
    value is put back after."""
    saved = sock.getsockopt(socket.SOL_SOCKET, option, _TIMEVAL.size)
    if replace or saved == _NO_TIMEOUT:
        whole = int(bound)
        sock.setsockopt(socket.SOL_SOCKET, option, _TIMEVAL.pack(whole, int((bound - whole) * 1_000_000) or
                                                                   (0 if whole else 1)))
    sock.setblocking(not is_nonblocking(sock))  # 1.7: a program's non-blocking socket stays so (nonblock)
    try:
        yield
    finally:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, option, saved)


def _once(function: Any, *args: Any, context: str) -> Any:
    try:
        return function(*args)
    except BlockingIOError:
        raise OpError("EAGAIN", f"{context}: would block") from None
    except OSError as exc:
        raise from_oserror(exc, context) from None


def stream_recv(sock: socket.socket, size: int, flags: set[str], timeout: float) -> dict:
    from .engine import _waiting
    bits = (socket.MSG_PEEK if "peek" in flags else 0) | (socket.MSG_OOB if "oob" in flags else 0)
    if "dontwait" in flags or "oob" in flags:  # one attempt: urgent data is there or it is not
        data = _once(sock.recv, size, bits | socket.MSG_DONTWAIT, context="recv")
    elif "waitall" in flags:
        if timeout == 0:
            data = _once(sock.recv, size, bits | socket.MSG_WAITALL | socket.MSG_DONTWAIT, context="recv")
        else:
            with blocking_mode(sock, timeout, replace=True):
                try:
                    data = _once(sock.recv, size, bits | socket.MSG_WAITALL, context="recv")
                except OpError as exc:
                    if exc.code == "EAGAIN":  # SO_RCVTIMEO (our timeout) ended it with nothing
                        raise OpError("ETIMEDOUT", f"recv: timed out after {timeout:g} s") from None
                    raise
    elif "blocking" in flags:
        with blocking_mode(sock, timeout):
            data = _once(sock.recv, size, bits, context="recv")
    else:
        data = _waiting(sock, select.POLLIN, timeout, sock.recv, size, bits, context="recv")
    return {"data": encode_bytes(data)}


def stream_send(sock: socket.socket, data: bytes, flags: set[str], timeout: float) -> dict:
    from .engine import _waiting
    bits = socket.MSG_OOB if "oob" in flags else 0
    if not data:
        return {"sent": 0}
    if "dontwait" in flags:
        return {"sent": _once(sock.send, data, bits | socket.MSG_DONTWAIT, context="send")}
    if "blocking" in flags:
        with blocking_mode(sock, timeout, socket.SO_SNDTIMEO):
            return {"sent": _once(sock.send, data, bits, context="send")}
    return {"sent": _waiting(sock, select.POLLOUT, timeout, sock.send, data, bits, context="send")}


def udp_recvfrom(sock: socket.socket, size: int, flags: set[str], timeout: float) -> dict:
    from .engine import _waiting, address_of
    if "trunc" not in flags:
        return udp_recvmsg(sock, size, flags, timeout)
    bits = (socket.MSG_PEEK if "peek" in flags else 0) | socket.MSG_TRUNC
    buffer = bytearray(size)
    if "dontwait" in flags:
        length, sender = _once(sock.recvfrom_into, buffer, size, bits | socket.MSG_DONTWAIT, context="recvfrom")
    elif "blocking" in flags:
        with blocking_mode(sock, timeout):
            length, sender = _once(sock.recvfrom_into, buffer, size, bits, context="recvfrom")
    else:
        length, sender = _waiting(sock, select.POLLIN, timeout, sock.recvfrom_into, buffer, size, bits,
                                  context="recvfrom")
    # With MSG_TRUNC in the flags the call returns the datagram's real length (Linux udp(7)).
    copied = min(length, size)
    return {"data": encode_bytes(bytes(buffer[:copied])), "peer": address_of(sender), "truncated": length > size,
            "length": length}


def udp_recvmsg(sock: socket.socket, size: int, flags: set[str], timeout: float) -> dict:
    """udp.recvfrom without trunc: recvmsg, whose msg_flags say whether the datagram was cut."""
    from .engine import _waiting, address_of
    bits = socket.MSG_PEEK if "peek" in flags else 0
    if "dontwait" in flags:
        data, _, msg_flags, sender = _once(sock.recvmsg, size, 0, bits | socket.MSG_DONTWAIT, context="recvmsg")
    elif "blocking" in flags:
        with blocking_mode(sock, timeout):
            data, _, msg_flags, sender = _once(sock.recvmsg, size, 0, bits, context="recvmsg")
    else:
        data, _, msg_flags, sender = _waiting(sock, select.POLLIN, timeout, sock.recvmsg, size, 0, bits,
                                              context="recvmsg")
    return {"data": encode_bytes(data), "peer": address_of(sender), "truncated": bool(msg_flags & socket.MSG_TRUNC)}


def udp_sendto(sock: socket.socket, data: bytes, address: tuple | None) -> dict:
    """udp.sendto with dontwait: one attempt."""
    if address is None:
        return {"sent": _once(sock.send, data, socket.MSG_DONTWAIT, context="send")}
    return {"sent": _once(sock.sendto, data, socket.MSG_DONTWAIT, address, context="sendto")}
