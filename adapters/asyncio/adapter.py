"""The asyncio adapter: protocol v1 over Python's asyncio streams and datagram transports.

In-process (``--target asyncio``): the suite calls ``handle(request)`` on its own thread; every
operation runs as a coroutine on an event loop of this adapter's own thread, the way an
asyncio program would do it: ``asyncio.start_server`` and ``open_connection`` for streams,
``StreamReader.read`` and ``StreamWriter.write`` + ``drain`` for data,
``loop.create_datagram_endpoint`` for UDP. The glue adds nothing of its own: where asyncio
has no way to do something, the answer is UNSUPPORTED (not applicable), never the socket
module through a side door. Only options given at creation need a socket made beforehand,
which asyncio takes as ``sock=`` (its documented way to use custom options).
"""

from __future__ import annotations

import asyncio
import itertools
import platform
import socket
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Awaitable

from reference_impl.engine import (Args, BadRequest, address_of, error_response, family_of, get_option,
                                   ipv6_loopback_usable, new_socket, numeric_sockaddr, parse_request,
                                   set_option)
from reference_impl.errors import BADREQUEST, UNSUPPORTED, OpError, from_oserror
from reference_impl.protocol import PROTOCOL_VERSION, encode_bytes

_SHUTDOWN_WRITE = "write"


@dataclass
class _Listener:
    server: asyncio.base_events.Server
    accepted: asyncio.Queue  # (reader, writer) pairs asyncio has already accepted


@dataclass
class _Stream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


class _DatagramQueue(asyncio.DatagramProtocol):
    """What the transport delivers, in order: datagrams and the errors it reports."""

    def __init__(self) -> None:
        self.items: asyncio.Queue = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.items.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:
        self.items.put_nowait(exc)


@dataclass
class _Datagram:
    transport: asyncio.DatagramTransport
    protocol: _DatagramQueue
    pending: list = field(default_factory=list)


class AsyncioAdapter:
    implementation = "python-asyncio"
    language = "python"

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sockspec-asyncio", daemon=True)
        self._thread.start()
        self._handles: dict[int, Any] = {}
        self._ids = itertools.count(1)  # handles are never reused (docs/protocol.md §2.1)
        self.features = _features()

    def shutdown(self) -> None:
        """Stop the loop and its thread (the suite calls this when it is done with the adapter)."""
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.op_reset(Args({})), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    # -- message level ------------------------------------------------------------------------

    def handle(self, request: dict) -> dict:
        return asyncio.run_coroutine_threadsafe(self._dispatch(request), self._loop).result()

    async def _dispatch(self, request: Any) -> dict:
        # Let the loop's pending I/O callbacks run first, so that the request acts after all
        # that reached the process before it did (as code in an asyncio program would).
        await asyncio.sleep(0)
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            name, args = parse_request(request)
            method = getattr(self, name, None)
            if method is None:  # tcp.socket, raw.*: asyncio has none
                raise OpError(UNSUPPORTED, f"asyncio has no way to do {request['op']!r}")
            return {"id": request_id, "ok": True, "result": await method(args)}
        except OpError as exc:
            return error_response(request_id, exc.code, exc.message)
        except BadRequest as exc:
            return error_response(request_id, BADREQUEST, str(exc))

    # -- helpers ------------------------------------------------------------------------------

    def _register(self, thing: Any) -> int:
        handle = next(self._ids)
        self._handles[handle] = thing
        return handle

    def _get(self, args: Args, kind: type) -> Any:
        handle = args.get("handle", int)
        if handle not in self._handles:
            raise OpError("EBADF", f"no open handle {handle}")
        thing = self._handles[handle]
        if not isinstance(thing, kind):
            raise OpError(UNSUPPORTED, f"asyncio has no such operation on a {type(thing).__name__.strip('_').lower()}")
        return thing

    @staticmethod
    def _prepared(family: int, kind: int, options: dict) -> socket.socket | None:
        """A socket with creation options applied (None without options: asyncio makes its own)."""
        return new_socket(family, kind, options) if options else None

    # -- session ------------------------------------------------------------------------------

    async def op_hello(self, args: Args) -> dict:
        return {"protocol": PROTOCOL_VERSION, "implementation": self.implementation,
                "version": f"asyncio (CPython {platform.python_version()})", "language": self.language,
                "features": list(self.features)}

    async def op_reset(self, args: Args) -> dict:
        things, self._handles = list(self._handles.values()), {}
        for thing in things:
            _close(thing, abort=True)
        await asyncio.sleep(0)  # let the transports' connection_lost callbacks close the sockets
        return {}

    async def op_close(self, args: Args) -> dict:
        handle = args.get("handle", int)
        if handle not in self._handles:
            raise OpError("EBADF", f"no open handle {handle}")
        _close(self._handles.pop(handle), abort=False)
        return {}

    # -- stream -------------------------------------------------------------------------------

    async def op_tcp_listen(self, args: Args) -> dict:
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))[:2]
        backlog = args.get("backlog", int, 128)
        accepted: asyncio.Queue = asyncio.Queue()
        on_connect = lambda reader, writer: accepted.put_nowait((reader, writer))  # noqa: E731
        sock = self._prepared(family, socket.SOCK_STREAM, args.get("options", dict, {}))
        try:
            if sock is None:
                server = await asyncio.start_server(on_connect, host, port, family=family, backlog=backlog)
            else:
                sock.bind((host, port))
                server = await asyncio.start_server(on_connect, sock=sock, backlog=backlog)
        except OSError as exc:
            if sock is not None:
                sock.close()
            raise from_oserror(exc, "listen") from None
        return {"handle": self._register(_Listener(server, accepted)),
                "local": address_of(server.sockets[0].getsockname())}

    async def op_tcp_connect(self, args: Args) -> dict:
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int))[:2]
        bind = args.get("bind", dict, None)
        local = None
        if bind is not None:
            bind_args = Args(bind)
            local = numeric_sockaddr(family, bind_args.get("host", str), bind_args.get("port", int, 0))[:2]
        timeout = args.timeout()
        sock = self._prepared(family, socket.SOCK_STREAM, args.get("options", dict, {}))
        if sock is None:
            connecting = asyncio.open_connection(host, port, family=family, local_addr=local)
        else:
            connecting = self._connect_prepared(sock, local, (host, port))
        try:
            reader, writer = await _within(connecting, timeout, "connect", zero_code="EINPROGRESS")
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        return {"handle": self._register(_Stream(reader, writer)), **_endpoints(writer)}

    async def _connect_prepared(self, sock: socket.socket, local: tuple | None, remote: tuple):
        if local is not None:
            sock.bind(local)
        await self._loop.sock_connect(sock, remote)
        return await asyncio.open_connection(sock=sock)

    async def op_tcp_accept(self, args: Args) -> dict:
        listener = self._get(args, _Listener)
        reader, writer = await _within(listener.accepted.get(), args.timeout(), "accept")
        return {"handle": self._register(_Stream(reader, writer)), **_endpoints(writer)}

    async def op_stream_send(self, args: Args) -> dict:
        stream, data = self._get(args, _Stream), args.data()
        timeout = args.timeout()
        if not data:
            return {"sent": 0}
        transport = stream.writer.transport
        if timeout == 0 and transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]:
            raise OpError("EAGAIN", "send: asyncio's write buffer is above its high-water mark")
        # The asyncio idiom is write() then drain(); drain first, so that bytes this answer
        # reports as sent were really taken (docs/protocol.md §6: buffered writes).
        await _within(stream.writer.drain(), timeout, "send")
        try:
            stream.writer.write(data)
        except RuntimeError as exc:  # write() after write_eof(): asyncio refuses before any syscall
            raise OpError("EPIPE", f"send: asyncio refused the write: {exc}") from None
        return {"sent": len(data)}

    async def op_stream_recv(self, args: Args) -> dict:
        stream = self._get(args, _Stream)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        return {"data": encode_bytes(await _within(stream.reader.read(size), args.timeout(), "recv"))}

    async def op_stream_shutdown(self, args: Args) -> dict:
        stream = self._get(args, _Stream)
        how = args.get("how", str)
        if how not in ("read", "write", "both"):
            raise BadRequest(f"unknown shutdown direction {how!r}")
        if how != _SHUTDOWN_WRITE:
            raise OpError(UNSUPPORTED, "asyncio streams can only shut down their write side (write_eof)")
        if not stream.writer.can_write_eof():
            raise OpError(UNSUPPORTED, "this transport cannot write EOF")
        try:
            stream.writer.write_eof()
        except OSError as exc:
            raise from_oserror(exc, "shutdown") from None
        return {}

    async def op_stream_abort(self, args: Args) -> dict:
        stream = self._get(args, _Stream)
        del self._handles[args.get("handle", int)]
        stream.writer.transport.abort()  # asyncio's "close immediately, discard buffered data"
        await asyncio.sleep(0)
        return {}

    # -- datagram -----------------------------------------------------------------------------

    async def op_udp_bind(self, args: Args) -> dict:
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))[:2]
        sock = self._prepared(family, socket.SOCK_DGRAM, args.get("options", dict, {}))
        try:
            if sock is None:
                transport, protocol = await self._loop.create_datagram_endpoint(
                    _DatagramQueue, local_addr=address, family=family)
            else:
                sock.bind(address)
                transport, protocol = await self._loop.create_datagram_endpoint(_DatagramQueue, sock=sock)
        except OSError as exc:
            if sock is not None:
                sock.close()
            raise from_oserror(exc, "bind") from None
        return {"handle": self._register(_Datagram(transport, protocol)),
                "local": address_of(transport.get_extra_info("sockname"))}

    async def op_udp_connect(self, args: Args) -> dict:
        self._get(args, _Datagram)
        raise OpError(UNSUPPORTED, "an asyncio datagram endpoint takes its remote address only when created")

    async def op_udp_sendto(self, args: Args) -> dict:
        datagram, data = self._get(args, _Datagram), args.data()
        host = args.get("host", str, None)
        address = None if host is None else numeric_sockaddr(
            datagram.transport.get_extra_info("socket").family, host, args.get("port", int))[:2]
        try:
            datagram.transport.sendto(data, address)  # errors arrive later, through error_received
        except (OSError, ValueError) as exc:
            raise OpError("EDESTADDRREQ" if address is None else "EINVAL", f"sendto: {exc}") from None
        return {"sent": len(data)}

    async def op_udp_recvfrom(self, args: Args) -> dict:
        datagram = self._get(args, _Datagram)
        size = args.get("max", int)
        if size < 0:
            raise BadRequest("max must be >= 0")
        item = await _within(datagram.protocol.items.get(), args.timeout(), "recvfrom")
        if isinstance(item, OSError):
            raise from_oserror(item, "recvfrom (reported by error_received)")
        data, sender = item
        return {"data": encode_bytes(data[:size]), "peer": address_of(sender), "truncated": len(data) > size}

    # -- addresses and options ------------------------------------------------------------------

    async def op_addr_local(self, args: Args) -> dict:
        return address_of(_socket_of(self._get(args, object)).getsockname())

    async def op_addr_peer(self, args: Args) -> dict:
        thing = self._get(args, object)
        peer = None if isinstance(thing, _Listener) else _transport_of(thing).get_extra_info("peername")
        if peer is None:
            raise OpError("ENOTCONN", "getpeername: not connected")
        return address_of(peer)

    async def op_opt_set(self, args: Args) -> dict:
        set_option(_socket_of(self._get(args, object)), args.get("name", str),
                    args.get("value", (bool, int, type(None))))
        return {}

    async def op_opt_get(self, args: Args) -> dict:
        return {"value": get_option(_socket_of(self._get(args, object)), args.get("name", str))}


# -- module helpers -----------------------------------------------------------------------------

async def _within(awaitable: Awaitable, timeout: float, context: str, zero_code: str = "EAGAIN") -> Any:
    """Await with a deadline. With timeout 0 the operation gets one turn of the loop: what is
    ready (a buffered read, a queued connection) completes, anything else is EAGAIN."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        if timeout == 0:
            raise OpError(zero_code, f"{context}: would block")
        raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")
    return await _call(task, context)


async def _call(awaitable: Awaitable, context: str) -> Any:
    try:
        return await awaitable
    except ConnectionResetError as exc:  # asyncio's own "Connection lost" carries no errno
        raise (from_oserror(exc, context) if exc.errno else OpError("ECONNRESET", f"{context}: {exc}")) from None
    except BrokenPipeError as exc:
        raise (from_oserror(exc, context) if exc.errno else OpError("EPIPE", f"{context}: {exc}")) from None
    except OSError as exc:
        raise from_oserror(exc, context) from None


def _transport_of(thing: Any) -> asyncio.BaseTransport:
    return thing.writer.transport if isinstance(thing, _Stream) else thing.transport


def _socket_of(thing: Any) -> Any:
    """The transport's socket (asyncio.trsock.TransportSocket: getsockopt/setsockopt/getsockname)."""
    if isinstance(thing, _Listener):
        return thing.server.sockets[0]
    return _transport_of(thing).get_extra_info("socket")


def _close(thing: Any, abort: bool) -> None:
    if isinstance(thing, _Listener):
        thing.server.close()
        while not thing.accepted.empty():  # connections asyncio accepted that nobody took
            thing.accepted.get_nowait()[1].transport.abort()
    elif abort:
        _transport_of(thing).abort()
    elif isinstance(thing, _Stream):
        thing.writer.close()  # flushes what asyncio still buffers, then closes
    else:
        thing.transport.close()


def _endpoints(writer: asyncio.StreamWriter) -> dict:
    return {"local": address_of(writer.get_extra_info("sockname")), "peer": address_of(writer.get_extra_info("peername"))}


def _features() -> list[str]:
    features = ["tcp", "udp", "ipv4", "tcp.bind-connect", "stream.shutdown", "stream.abort", "nonblocking",
                "opt.reuseaddr", "opt.nodelay", "opt.keepalive", "opt.linger", "opt.rcvbuf", "opt.sndbuf",
                "opt.broadcast", "opt.ttl"]
    if hasattr(socket, "SO_REUSEPORT"):
        features.append("opt.reuseport")
    if ipv6_loopback_usable():
        features += ["ipv6", "ipv4-mapped", "opt.v6only"]
    return sorted(features)
