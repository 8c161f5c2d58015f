"""Unix-domain sockets (protocol 1.4) over asyncio's own Unix API.

- ``unix.listen`` (stream): ``asyncio.start_unix_server(cb, path=, backlog=)``; accepted
  connections queue up for ``unix.accept`` as with ``tcp.listen``.
- ``unix.connect`` (stream): ``asyncio.open_unix_connection(path)``; with ``bind`` a socket is
  made and bound first and handed over as ``sock=`` (asyncio's documented way to use a socket
  it did not make: ``open_unix_connection`` has no ``local_addr``).
- datagrams: ``loop.create_datagram_endpoint(proto, family=AF_UNIX, local_addr=path)``
  (``unix.bind``), ``remote_addr=path`` (``unix.connect``), ``transport.sendto``,
  ``datagram_received``.
- ``unix.socketpair``: ``socket.socketpair`` handed to asyncio (``open_unix_connection(sock=)``,
  ``create_datagram_endpoint(sock=)``), asyncio's documented way.
- abstract names (Linux): a path starting with ``"\\0"``, passed through to the socket module;
  asyncio reports them back as ``bytes``.

Not in asyncio's API, so not declared and answered UNSUPPORTED: seqpacket sockets, autobind
(``local_addr=""`` binds nothing), ``SO_PEERCRED``, ``SCM_RIGHTS`` and ``SCM_CREDENTIALS``.
The adapter never unlinks a socket file unless asked (``unix.unlink``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from typing import Any

from .addresses import unix_address_of
from .errors import OpError, from_oserror, supply
from .handles import Datagram, DatagramQueue, Listener, Stream, endpoints
from .waits import within
from .wire import UNSUPPORTED, Args, BadRequest, encode_bytes

KINDS = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}


def kind_of(args: Args) -> str:
    kind = args.get("kind", str)
    if kind not in KINDS:
        raise BadRequest(f"unknown kind {kind!r}")
    if kind == "seqpacket":
        raise OpError(UNSUPPORTED, "asyncio has no seqpacket sockets (start_unix_server and "
                                   "create_datagram_endpoint make SOCK_STREAM and SOCK_DGRAM sockets)")
    return kind


def unix_sockaddr(raw: Any, name: str = "address", destination: bool = False) -> str | None:
    """The socket module's form of a protocol Unix address: a path, "\\0name" for an abstract
    name, None for an unnamed socket. Malformed: BADREQUEST. A destination (unix.connect's
    and unix.sendto's address) is never unnamed or autobind: EINVAL (protocol 1.4). Autobind
    where a socket is bound: UNSUPPORTED (unix.autobind not declared)."""
    if not isinstance(raw, dict):
        raise BadRequest(f"argument {name!r} must be a Unix address object")
    address = Args(raw)
    if "path" in raw:
        path = address.get("path", str)
        if not path:
            raise OpError("EINVAL", "an empty path names no socket")
        return path
    if "abstract" in raw:
        return "\0" + address.get("abstract", str)
    if "unnamed" in raw:
        if address.get("unnamed", bool) is not True:
            raise BadRequest("unnamed must be true")
        if destination:
            raise OpError("EINVAL", "an unnamed address names no socket to reach")
        return None
    if "autobind" in raw:
        if address.get("autobind", bool) is not True:
            raise BadRequest("autobind must be true")
        if destination:
            raise OpError("EINVAL", "autobind only binds a socket")
        raise OpError(UNSUPPORTED, "asyncio cannot autobind: create_datagram_endpoint binds only a non-empty "
                                   "local_addr (unix.autobind not declared)")
    raise BadRequest(f"argument {name!r} is not a Unix address (path, abstract, unnamed, autobind)")


def _no_ancillary(args: Args) -> None:
    """fds (SCM_RIGHTS) and maxfds are not in asyncio's API (unix.rights not declared)."""
    if args.get("fds", list, []):
        raise OpError(UNSUPPORTED, "asyncio's transports cannot pass descriptors (SCM_RIGHTS)")
    if args.get("maxfds", int, 0) > 0:
        raise OpError(UNSUPPORTED, "asyncio's transports cannot receive descriptors (SCM_RIGHTS)")


class UnixOperations:
    """The unix.* operations; mixed into AsyncioAdapter (which has _loop, _register, _get, features)."""

    _loop: asyncio.AbstractEventLoop
    features: list[str]

    def _kind_of(self, args: Args) -> str:
        kind = kind_of(args)
        if kind == "dgram" and "unix.dgram" not in self.features:
            raise OpError(UNSUPPORTED, "this event loop makes no Unix datagram endpoints "
                                       "(create_datagram_endpoint takes no AF_UNIX address): unix.dgram not declared")
        return kind

    async def op_unix_listen(self, args: Args) -> dict:
        kind = self._kind_of(args)
        path = unix_sockaddr(args.get("address", dict))
        backlog = args.get("backlog", int, 128)
        if kind != "stream":
            raise supply("EOPNOTSUPP", "listen: a datagram socket does not listen")
        if path is None:
            raise supply("EINVAL", "listen: start_unix_server needs a path (an unnamed socket cannot listen)")
        accepted: asyncio.Queue = asyncio.Queue()
        on_connect = lambda reader, writer: accepted.put_nowait((reader, writer))
        try:
            server = await asyncio.start_unix_server(on_connect, path=path, backlog=backlog)
        except OSError as exc:
            raise from_oserror(exc, "listen") from None
        return {"handle": self._register(Listener(server, accepted)),
                "local": unix_address_of(server.sockets[0].getsockname())}

    async def op_unix_accept(self, args: Args) -> dict:
        listener = self._get(args, Listener)
        reader, writer = await within(listener.accepted.get(), args.timeout(), "accept")
        return {"handle": self._register(Stream(reader, writer)), **endpoints(writer)}

    async def op_unix_connect(self, args: Args) -> dict:
        kind = self._kind_of(args)
        remote = unix_sockaddr(args.get("address", dict), destination=True)
        bind = args.get("bind", dict, None)
        local = None if bind is None else unix_sockaddr(bind, "bind")
        timeout = args.timeout()
        if remote is None:
            raise OpError("EINVAL", "connect: an unnamed address names no peer")
        if kind == "dgram":
            return await self._connect_datagram(remote, local)
        if local is None:
            connecting = asyncio.open_unix_connection(remote)
            sock = None
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            connecting = self._connect_bound(sock, local, remote)
        try:
            reader, writer = await within(connecting, timeout, "connect", zero_code="EINPROGRESS")
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        return {"handle": self._register(Stream(reader, writer)), **endpoints(writer)}

    async def _connect_bound(self, sock: socket.socket, local: str, remote: str):
        try:
            sock.bind(local)
        except OSError as exc:
            raise from_oserror(exc, "bind") from None
        await self._loop.sock_connect(sock, remote)
        return await asyncio.open_unix_connection(sock=sock)

    async def _connect_datagram(self, remote: str, local: str | None) -> dict:
        try:
            transport, protocol = await self._loop.create_datagram_endpoint(
                DatagramQueue, family=socket.AF_UNIX, local_addr=local, remote_addr=remote)
        except OSError as exc:
            raise from_oserror(exc, "connect") from None
        return {"handle": self._register(Datagram(transport, protocol, socket.AF_UNIX)),
                "local": unix_address_of(transport.get_extra_info("sockname")),
                "peer": unix_address_of(transport.get_extra_info("peername"))}

    async def op_unix_bind(self, args: Args) -> dict:
        kind = self._kind_of(args)
        local = unix_sockaddr(args.get("address", dict))
        if kind != "dgram":
            raise OpError(UNSUPPORTED, "asyncio binds a stream socket only to listen (unix.listen) or connect")
        try:
            transport, protocol = await self._loop.create_datagram_endpoint(
                DatagramQueue, family=socket.AF_UNIX, local_addr=local)
        except OSError as exc:
            raise from_oserror(exc, "bind") from None
        return {"handle": self._register(Datagram(transport, protocol, socket.AF_UNIX)),
                "local": unix_address_of(transport.get_extra_info("sockname"))}

    async def op_unix_socketpair(self, args: Args) -> dict:
        kind = self._kind_of(args)
        pair = socket.socketpair(socket.AF_UNIX, KINDS[kind])
        handles = []
        try:
            for sock in pair:
                if kind == "stream":
                    reader, writer = await asyncio.open_unix_connection(sock=sock)
                    handles.append(Stream(reader, writer))
                else:
                    transport, protocol = await self._loop.create_datagram_endpoint(DatagramQueue, sock=sock)
                    handles.append(Datagram(transport, protocol, socket.AF_UNIX))
        except OSError as exc:
            for sock in pair:
                sock.close()
            raise from_oserror(exc, "socketpair") from None
        return {"handles": [self._register(thing) for thing in handles]}

    async def op_unix_sendto(self, args: Args) -> dict:
        datagram, data = self._get(args, Datagram), args.data()
        raw = args.get("address", dict, None)
        address = None if raw is None else unix_sockaddr(raw, destination=True)
        args.timeout()
        _no_ancillary(args)
        if datagram.transport.is_closing():
            # asyncio closed the endpoint itself after a fatal error (its sendto would now fail
            # inside asyncio with an AttributeError): the socket is gone
            raise supply("EBADF", "sendto: asyncio closed this endpoint (a fatal error earlier)")
        try:
            # asyncio's sendto never blocks: what the kernel cannot take now waits in the
            # transport's buffer; a failure comes later through error_received (unix.recvfrom)
            datagram.transport.sendto(data, address)
        except OSError as exc:
            raise from_oserror(exc, "sendto") from None
        except ValueError as exc:  # asyncio's own check, before any system call
            raise supply("EDESTADDRREQ" if address is None else "EISCONN", f"sendto: {exc}") from None
        return {"sent": len(data)}

    async def op_unix_recvfrom(self, args: Args) -> dict:
        datagram = self._get(args, Datagram)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        timeout = args.timeout()
        _no_ancillary(args)
        item = await within(datagram.protocol.items.get(), timeout, "recvfrom")
        if isinstance(item, OSError):
            raise from_oserror(item, "recvfrom (reported by error_received)")
        data, sender = item
        # datagram_received hands over each datagram whole: the adapter cuts it to max. It hands
        # over no control data either (the transport reads with recvfrom): no descriptors, no
        # MSG_CTRUNC to report; fds and ctrunc are the adapter's (unix.rights not declared).
        return {"data": encode_bytes(data[:size]), "peer": unix_address_of(sender), "truncated": len(data) > size,
                "fds": [], "ctrunc": False, "emulated": ["truncated", "fds", "ctrunc"]}

    async def op_unix_peercred(self, args: Args) -> dict:
        self._get(args, (Stream, Datagram, Listener))
        raise OpError(UNSUPPORTED, "asyncio has no peer credentials (SO_PEERCRED); unix.peercred not declared")

    async def op_unix_unlink(self, args: Args) -> dict:
        raw = args.get("address", dict)
        if "path" not in raw:
            unix_sockaddr(raw, destination=True)  # well-formed?
            raise OpError("EINVAL", "unlink: only a pathname socket has a file to remove")
        path = unix_sockaddr(raw)
        try:
            os.unlink(path)  # what an asyncio program does to remove its socket file
        except OSError as exc:
            raise from_oserror(exc, "unlink") from None
        return {}


async def unix_features() -> list[str]:
    """The Unix features the running loop can do: unix.dgram (and serve.unixgram, the echo
    server on such an endpoint) only where
    ``create_datagram_endpoint(family=AF_UNIX, local_addr=path)`` makes an endpoint, as the
    standard library's loop does; uvloop's takes only (host, port) tuples and raises TypeError
    (MagicStack/uvloop#403). Tried once, in a private directory removed afterwards.
    serve.unix (start_unix_server) is on every loop."""
    features = ["unix.stream", "unix.abstract", "unix.socketpair", "serve.unix"]
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="sockspec-asyncio-") as folder:
        try:
            transport, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, family=socket.AF_UNIX, local_addr=os.path.join(folder, "probe"))
        except (TypeError, ValueError, NotImplementedError, OSError):
            return features
        transport.close()
        await asyncio.sleep(0)  # connection_lost closes the socket on the next turn
    return sorted(features + ["unix.dgram", "serve.unixgram"])
