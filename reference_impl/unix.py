"""Unix-domain sockets (protocol 1.4, docs/protocol.md "Unix-domain sockets"): the reference's
``unix.*`` operations, mixed into ``ReferenceAdapter``.

Addresses travel as ``{"path": P}``, ``{"abstract": NAME}`` (Linux's abstract namespace,
the name after the NUL byte), ``{"unnamed": true}``, and, where a socket is bound,
``{"autobind": true}`` (bind with an empty address: the kernel picks an abstract name).
Descriptors are passed with SCM_RIGHTS (``fds``: handles out, new handles in) and
credentials with SCM_CREDENTIALS (``creds``, when SO_PASSCRED is on).
"""

from __future__ import annotations

import array
import os
import select
import socket
import struct
import time
from typing import Any, Callable

from .errors import OpError, from_oserror
from .protocol import decode_bytes, encode_bytes

KINDS = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}
_CREDS = struct.Struct("iII")  # struct ucred: pid, uid, gid
_FD = array.array("i").itemsize


def sockaddr_of(address: Any, *, may_autobind: bool = False) -> str | bytes | None:
    """The stdlib's form of a Unix address; None for an unnamed one (nothing to bind)."""
    from .engine import BadRequest
    if not isinstance(address, dict):
        raise BadRequest("a Unix address is an object")
    if "path" in address:
        path = address["path"]
        if not isinstance(path, str):
            raise BadRequest("address.path must be a string")
        if not path:
            raise OpError("EINVAL", "an empty path names no socket")
        return os.fsencode(path)
    if "abstract" in address:
        name = address["abstract"]
        if not isinstance(name, str):
            raise BadRequest("address.abstract must be a string")
        return b"\0" + name.encode("utf-8", "surrogateescape")
    if address.get("unnamed") is True:
        return None
    if address.get("autobind") is True:
        if not may_autobind:
            raise OpError("EINVAL", "autobind only binds a socket")
        return b""
    raise BadRequest("a Unix address has path, abstract, unnamed or autobind")


def unix_address_of(raw: Any) -> dict:
    """The protocol's form of an address the stdlib reports for an AF_UNIX socket."""
    if raw is None or raw in ("", b""):
        return {"unnamed": True}
    if isinstance(raw, bytes):
        if raw.startswith(b"\0"):
            return {"abstract": raw[1:].decode("utf-8", "surrogateescape")}
        return {"path": os.fsdecode(raw)}
    return {"path": raw}


def _kind(args) -> int:
    from .engine import BadRequest
    name = args.get("kind", str)
    if name not in KINDS:
        raise BadRequest(f"unknown Unix socket kind {name!r}")
    return KINDS[name]


def _call(function: Callable, *args: Any, context: str) -> Any:
    try:
        return function(*args)
    except OSError as exc:
        raise from_oserror(exc, context) from None


def waiting(sock: socket.socket, events: int, timeout: float, function: Callable, *args: Any,
            context: str) -> Any:
    """Attempt first, wait only if it would block (as engine._waiting). A Unix datagram
    sender waits on the *receiver's* queue, which poll() on an unconnected sender does not
    show: when poll says ready and the operation still blocks, pause briefly, never spin."""
    deadline = time.monotonic() + timeout
    poller = None
    while True:
        try:
            return function(*args)
        except BlockingIOError:
            if timeout == 0:
                raise OpError("EAGAIN", f"{context}: would block") from None
        except OSError as exc:
            raise from_oserror(exc, context) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")
        if poller is None:
            poller = select.poll()
            poller.register(sock, events)
        if poller.poll(remaining * 1000):
            time.sleep(min(0.002, max(remaining, 0)))
        elif deadline - time.monotonic() <= 0:
            raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")


def connect(sock: socket.socket, address: str | bytes, timeout: float) -> None:
    """A Unix connect waits while the listener's backlog is full (Linux: unix_wait_for_peer);
    no readiness shows when room appears, so the wait is the kernel's (SO_SNDTIMEO)."""
    if timeout == 0:
        _call(sock.connect, address, context="connect")  # non-blocking: EAGAIN if the backlog is full
        return
    seconds = int(timeout)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                    struct.pack("ll", seconds, int((timeout - seconds) * 1e6)))
    sock.setblocking(True)
    try:
        sock.connect(address)
    except BlockingIOError:
        raise OpError("ETIMEDOUT", f"connect: timed out after {timeout:g} s") from None
    except OSError as exc:
        raise from_oserror(exc, "connect") from None
    finally:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 0))


class UnixOperations:
    """The ``unix.*`` operations (protocol 1.4); ``self`` is the ReferenceAdapter."""

    def _unix_socket(self, kind: int) -> socket.socket:
        sock = _call(socket.socket, socket.AF_UNIX, kind, 0, context="socket")
        sock.setblocking(False)
        return sock

    def _unix_handle(self, sock: socket.socket) -> dict:
        from .engine import address_of
        return {"handle": self._register(sock), "local": address_of(sock.getsockname())}

    def op_unix_listen(self, args) -> dict:
        kind = _kind(args)
        address = sockaddr_of(args.get("address", dict), may_autobind=True)
        sock = self._unix_socket(kind)
        try:
            if address is not None:
                _call(sock.bind, address, context="bind")
            _call(sock.listen, args.get("backlog", int, 128), context="listen")
        except BaseException:
            sock.close()
            raise
        return self._unix_handle(sock)

    def _serve_unix(self, kind: str, args) -> dict:
        """``serve.start`` with kind ``unix`` (stream) or ``unixgram``: the same echo servers
        as TCP and UDP, on a socket bound to ``address``."""
        from .engine import address_of
        address = sockaddr_of(args.get("address", dict))
        if not address:
            raise OpError("EINVAL", "an echo server needs a name to be reached by")
        sock = self._unix_socket(socket.SOCK_STREAM if kind == "unix" else socket.SOCK_DGRAM)
        try:
            _call(sock.bind, address, context="bind")
            if kind == "unix":
                _call(sock.listen, args.get("backlog", int, 1024), context="listen")
        except BaseException:
            sock.close()
            raise
        local = address_of(sock.getsockname())
        socket_file = address if not address.startswith(b"\0") else None
        return {"handle": self._serve(sock, "tcp" if kind == "unix" else "udp", socket_file), "local": local}

    def op_unix_accept(self, args) -> dict:
        return self.op_tcp_accept(args)  # accept(2) is the same call; addresses come out as Unix ones

    def op_unix_connect(self, args) -> dict:
        from .engine import _endpoints
        kind = _kind(args)
        address = sockaddr_of(args.get("address", dict))
        if address is None:
            raise OpError("EINVAL", "cannot connect to an unnamed socket")
        bind = args.get("bind", dict, None)
        local = sockaddr_of(bind, may_autobind=True) if bind is not None else None
        timeout = args.timeout()
        sock = self._unix_socket(kind)
        try:
            if local is not None:
                _call(sock.bind, local, context="bind")
            connect(sock, address, timeout)
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(sock), **_endpoints(sock)}

    def op_unix_bind(self, args) -> dict:
        kind = _kind(args)
        address = sockaddr_of(args.get("address", dict), may_autobind=True)
        sock = self._unix_socket(kind)
        try:
            if address is not None:
                _call(sock.bind, address, context="bind")
        except BaseException:
            sock.close()
            raise
        return self._unix_handle(sock)

    def op_unix_socketpair(self, args) -> dict:
        kind = _kind(args)
        a, b = _call(socket.socketpair, socket.AF_UNIX, kind, context="socketpair")
        a.setblocking(False)
        b.setblocking(False)
        return {"handles": [self._register(a), self._register(b)]}

    def op_unix_sendto(self, args) -> dict:
        from .engine import BadRequest
        sock, data = self._socket(args), args.data()
        raw_address = args.get("address", dict, None)
        address = sockaddr_of(raw_address) if raw_address is not None else None
        if raw_address is not None and not address:  # unnamed names nobody to send to (docs/protocol.md)
            raise OpError("EINVAL", "a datagram cannot be sent to an unnamed address")
        handles = args.get("fds", list, [])
        if not all(isinstance(h, int) and not isinstance(h, bool) for h in handles):
            raise BadRequest("fds is a list of handles")
        fds = [self._socket(args.changed(handle=h)).fileno() for h in handles]
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
        if address is None:
            return {"sent": waiting(sock, select.POLLOUT, args.timeout(), sock.sendmsg, [data], ancillary,
                                    context="sendmsg")}
        return {"sent": waiting(sock, select.POLLOUT, args.timeout(), sock.sendmsg, [data], ancillary, 0, address,
                                context="sendmsg")}

    def op_unix_recvfrom(self, args) -> dict:
        from .engine import BadRequest
        sock = self._socket(args)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        maxfds = args.get("maxfds", int, 0)
        if maxfds < 0:
            raise BadRequest("maxfds must be >= 0")
        passcred = bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED))
        # Room for exactly maxfds descriptors: the kernel puts credentials first, then as many
        # descriptors as fit (CMSG_LEN, not CMSG_SPACE: its padding would hold one more); the
        # ones that do not fit are closed by the kernel and MSG_CTRUNC is set.
        space = (socket.CMSG_SPACE(_CREDS.size) if passcred else 0) + \
            (socket.CMSG_LEN(maxfds * _FD) if maxfds else 0)
        data, ancillary, flags, sender = waiting(
            sock, select.POLLIN, args.timeout(), sock.recvmsg, size, space, socket.MSG_CMSG_CLOEXEC,
            context="recvmsg")
        result: dict[str, Any] = {"data": encode_bytes(data), "peer": unix_address_of(sender),
                                  "truncated": bool(flags & socket.MSG_TRUNC), "fds": [],
                                  "ctrunc": bool(flags & socket.MSG_CTRUNC)}
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[:len(payload) - len(payload) % _FD])
                result["fds"] += [self._adopt(fd) for fd in received]
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= _CREDS.size:
                pid, uid, gid = _CREDS.unpack(payload[:_CREDS.size])
                result["creds"] = {"pid": pid, "uid": uid, "gid": gid}
        return result

    def _adopt(self, fd: int) -> int:
        """A received descriptor as a new handle (it is a new descriptor of the same open socket)."""
        try:
            sock = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)  # not a socket: nothing this protocol can hand out; never leaked
            raise OpError("ENOTSOCK", "a descriptor received is not a socket") from None
        sock.setblocking(False)
        return self._register(sock)

    def op_unix_peercred(self, args) -> dict:
        sock = self._socket(args)
        raw = _call(sock.getsockopt, socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDS.size, context="getsockopt")
        pid, uid, gid = _CREDS.unpack(raw)
        if pid == 0 and uid == 0xFFFFFFFF:  # Linux answers "no peer" with pid 0 and overflow ids
            raise OpError("ENOTCONN", "getsockopt SO_PEERCRED: no peer")
        return {"pid": pid, "uid": uid, "gid": gid}

    def op_unix_unlink(self, args) -> dict:
        address = args.get("address", dict)
        if "path" not in address:
            sockaddr_of(address)  # well-formed?
            raise OpError("EINVAL", "only a pathname socket has a file to remove")
        path = sockaddr_of(address)
        _call(os.unlink, path, context="unlink")
        return {}
