"""Unix-domain sockets (protocol 1.4) with trio.

- stream connections: ``trio.open_unix_socket(path)`` gives a ``trio.SocketStream``; with a
  ``bind`` a trio.socket socket is bound, connected and wrapped in ``trio.SocketStream``.
- stream listeners: trio has no Unix listener opener, so a trio.socket socket is bound and
  listens and is wrapped in ``trio.SocketListener`` (which accepts any listening SOCK_STREAM
  socket); ``unix.accept`` is ``SocketListener.accept()``.
- datagram and seqpacket sockets, socketpairs, descriptors (SCM_RIGHTS), credentials
  (SO_PASSCRED, SCM_CREDENTIALS) and SO_PEERCRED: trio.socket, trio's lower layer
  (``sendmsg``, ``recvmsg``, ``getsockopt``), which trio's high-level API does not cover.
  ``SocketStream`` takes SOCK_STREAM sockets only: seqpacket connections stay trio sockets.
- abstract names: ``"\\0" + name``; autobind: ``bind("")``.
The adapter never unlinks a socket file unless asked (``unix.unlink``: ``os.unlink``; trio's
``trio.Path.unlink`` would do the same call in a thread).
"""

from __future__ import annotations

import array
import os
import socket
import struct
from typing import Any

import trio

from .addresses import address_of
from .errors import FAILURES, OpError, supply, translate
from .handles import Listener, Socket, Stream
from .options import PASSCRED
from .streams import endpoints
from .waits import within
from .wire import Args, BadRequest, b64

KINDS = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}
_UCRED = struct.Struct("iII")  # struct ucred: pid, uid, gid
_FD_SIZE = array.array("i").itemsize

FEATURES = ["unix.stream", "unix.dgram", "unix.seqpacket", "unix.abstract", "unix.autobind", "unix.socketpair",
            "unix.peercred", "unix.rights", "unix.credentials"]


def kind_of(args: Args) -> str:
    kind = args.get("kind", str)
    if kind not in KINDS:
        raise BadRequest(f"kind must be stream, dgram or seqpacket, not {kind!r}")
    return kind


def unix_sockaddr(raw: Any, name: str = "address", destination: bool = False) -> str | None:
    """The socket module's form of a Unix address: a path, "\\0name", "" (autobind), None
    (unnamed). A destination is never unnamed or autobind (EINVAL)."""
    if not isinstance(raw, dict):
        raise BadRequest(f"{name} must be a Unix address object")
    address = Args(raw)
    if "path" in raw:
        path = address.get("path", str)
        if not path:
            raise OpError("EINVAL", "an empty path names no socket")
        return path
    if "abstract" in raw:
        return "\0" + address.get("abstract", str)
    for form in ("unnamed", "autobind"):
        if form in raw:
            if address.get(form, bool) is not True:
                raise BadRequest(f"{form} must be true")
            if destination:
                raise OpError("EINVAL", f"an {form} address names no socket to reach")
            return None if form == "unnamed" else ""
    raise BadRequest(f"{name} is not a Unix address (path, abstract, unnamed or autobind)")


def _new_socket(kind: str) -> Any:
    try:
        return trio.socket.socket(socket.AF_UNIX, KINDS[kind])
    except FAILURES as exc:
        raise translate(exc, "socket") from None


# trio's SocketType.bind reads address[0] to tell a path from an abstract name: the empty
# address of autobind raises IndexError there, before any system call (Findings, README).
BIND_FAILURES = (*FAILURES, IndexError, ValueError)


def _connected(sock: Any) -> dict:
    """local and peer of a socket trio reports connected. trio's connect takes a Unix socket's
    EAGAIN (the listener's backlog is full) for EINPROGRESS, waits until writable and finds no
    error: it returns, and the socket has no peer. getpeername then answers the kernel's
    ENOTCONN, which is what the connect is answered with (the socket is closed)."""
    try:
        return {"local": address_of(sock.getsockname()), "peer": address_of(sock.getpeername())}
    except OSError as exc:
        sock.close()
        raise translate(exc, "connect returned, then getpeername") from None


class UnixOperations:
    _register: Any
    _get: Any
    _handles: dict

    def _wrap(self, sock: Any, kind: str) -> Any:
        return Stream(trio.SocketStream(sock)) if kind == "stream" else Socket(sock, socket.AF_UNIX, kind)

    async def op_unix_listen(self, args: Args) -> dict:
        kind = kind_of(args)
        local = unix_sockaddr(args.get("address", dict))
        backlog = args.get("backlog", int, 128)
        sock = _new_socket(kind)
        try:
            if local is not None:
                await sock.bind(local)
            sock.listen(backlog)
            thing: Any = Listener(trio.SocketListener(sock)) if kind == "stream" else Socket(sock, socket.AF_UNIX, kind)
        except BIND_FAILURES as exc:
            sock.close()
            raise translate(exc, "listen") from None
        return {"handle": self._register(thing), "local": address_of(sock.getsockname())}

    async def op_unix_accept(self, args: Args) -> dict:
        thing = self._get(args, Listener, Socket)
        if isinstance(thing, Listener):
            stream = await within(thing.listener.accept, args.timeout(), "accept")
            return {"handle": self._register(Stream(stream)), **endpoints(stream)}
        sock, _ = await within(thing.sock.accept, args.timeout(), "accept")
        return {"handle": self._register(Socket(sock, socket.AF_UNIX, thing.kind)),
                "local": address_of(sock.getsockname()), "peer": address_of(sock.getpeername())}

    async def op_unix_connect(self, args: Args) -> dict:
        kind = kind_of(args)
        remote = unix_sockaddr(args.get("address", dict), destination=True)
        bind = args.get("bind", dict, None)
        local = None if bind is None else unix_sockaddr(bind, "bind")
        timeout = args.timeout()
        if kind == "stream" and local is None:
            stream = await within(lambda: trio.open_unix_socket(remote), timeout, "connect")
            return {"handle": self._register(Stream(stream)), **_connected(stream.socket)}
        sock = _new_socket(kind)
        try:
            if local is not None:
                await sock.bind(local)
            await within(lambda: sock.connect(remote), timeout, "connect")
            thing = self._wrap(sock, kind)
            ends = _connected(sock)
        except BIND_FAILURES as exc:
            sock.close()
            raise translate(exc, "connect") from None
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(thing), **ends}

    async def op_unix_bind(self, args: Args) -> dict:
        kind = kind_of(args)
        local = unix_sockaddr(args.get("address", dict))
        sock = _new_socket(kind)
        try:
            if local is not None:
                await sock.bind(local)
        except BIND_FAILURES as exc:
            sock.close()
            raise translate(exc, "bind") from None
        return {"handle": self._register(Socket(sock, socket.AF_UNIX, kind)), "local": address_of(sock.getsockname())}

    async def op_unix_socketpair(self, args: Args) -> dict:
        kind = kind_of(args)
        try:
            pair = trio.socket.socketpair(socket.AF_UNIX, KINDS[kind])
        except FAILURES as exc:
            raise translate(exc, "socketpair") from None
        await trio.lowlevel.checkpoint()
        return {"handles": [self._register(self._wrap(sock, kind)) for sock in pair]}

    async def op_unix_sendto(self, args: Args) -> dict:
        thing = self._get(args, Socket, Stream)
        data = args.data()
        raw = args.get("address", dict, None)
        address = None if raw is None else unix_sockaddr(raw, destination=True)
        timeout = args.timeout()
        handles = args.get("fds", list, [])
        if not all(isinstance(h, int) and not isinstance(h, bool) for h in handles):
            raise BadRequest("fds must be a list of handles")
        fds = [self._get(Args({"handle": h})).sock.fileno() for h in handles]
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
        sock = thing.sock
        if address is None:
            sent = await within(lambda: sock.sendmsg([data], ancillary), timeout, "sendmsg")
        else:
            sent = await within(lambda: sock.sendmsg([data], ancillary, 0, address), timeout, "sendmsg")
        return {"sent": sent}

    async def op_unix_recvfrom(self, args: Args) -> dict:
        thing = self._get(args, Socket, Stream)
        size = args.size()
        maxfds = args.get("maxfds", int, 0)
        if maxfds < 0:
            raise BadRequest("maxfds must be >= 0")
        timeout = args.timeout()
        sock = thing.sock
        try:
            passcred = bool(sock.getsockopt(*PASSCRED))
        except FAILURES as exc:
            raise translate(exc, "getsockopt SO_PASSCRED") from None
        # credentials come first; room for exactly maxfds descriptors after them (CMSG_LEN)
        room = (socket.CMSG_SPACE(_UCRED.size) if passcred else 0) + (socket.CMSG_LEN(maxfds * _FD_SIZE) if maxfds else 0)
        data, ancillary, flags, sender = await within(
            lambda: sock.recvmsg(size, room, socket.MSG_CMSG_CLOEXEC), timeout, "recvmsg")
        result: dict = {"data": b64(data), "peer": address_of(sender), "truncated": bool(flags & socket.MSG_TRUNC),
                        "fds": [], "ctrunc": bool(flags & socket.MSG_CTRUNC)}
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[:len(payload) - len(payload) % _FD_SIZE])
                result["fds"] += [self._adopt(fd) for fd in received]
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= _UCRED.size:
                pid, uid, gid = _UCRED.unpack(payload[:_UCRED.size])
                result["creds"] = {"pid": pid, "uid": uid, "gid": gid}
        return result

    def _adopt(self, fd: int) -> int:
        """A descriptor received: a new handle, as trio would hold it (trio.socket.fromfd's
        stdlib twin: socket.socket(fileno=) finds its family and type)."""
        try:
            plain = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            raise OpError("ENOTSOCK", "a descriptor received is not a socket") from None
        sock = trio.socket.from_stdlib_socket(plain)
        if sock.type == socket.SOCK_STREAM:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                return self._register(Listener(trio.SocketListener(sock)))
            if sock.family == socket.AF_UNIX or sock.family in (socket.AF_INET, socket.AF_INET6):
                return self._register(Stream(trio.SocketStream(sock)))
        kind = {socket.SOCK_DGRAM: "dgram", socket.SOCK_SEQPACKET: "seqpacket"}.get(sock.type, "dgram")
        return self._register(Socket(sock, sock.family, "udp" if sock.family != socket.AF_UNIX else kind))

    async def op_unix_peercred(self, args: Args) -> dict:
        thing = self._get(args, Socket, Stream, Listener)
        try:
            raw = thing.sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
        except FAILURES as exc:
            raise translate(exc, "getsockopt SO_PEERCRED") from None
        pid, uid, gid = _UCRED.unpack(raw)
        if pid == 0 and uid == 0xFFFFFFFF:  # Linux's "no peer": pid 0, overflow ids
            raise supply("ENOTCONN", "getsockopt SO_PEERCRED: no peer (Linux answers pid 0 and overflow ids, no errno)")
        return {"pid": pid, "uid": uid, "gid": gid}

    async def op_unix_unlink(self, args: Args) -> dict:
        raw = args.get("address", dict)
        if "path" not in raw:
            unix_sockaddr(raw, destination=True)
            raise OpError("EINVAL", "unlink: only a pathname socket has a file")
        path = unix_sockaddr(raw)
        try:
            os.unlink(path)
        except OSError as exc:
            raise translate(exc, "unlink") from None
        return {}
