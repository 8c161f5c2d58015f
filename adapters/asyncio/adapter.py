"""The asyncio adapter: protocol 1.5 over Python's asyncio streams and datagram transports.

In-process (``--target asyncio``): the suite calls ``handle(request)`` on its own thread; every
operation runs as a coroutine on an event loop of this adapter's own thread, the way an
asyncio program would do it: ``asyncio.start_server`` and ``open_connection`` for streams,
``StreamReader.read`` and ``StreamWriter.write`` + ``drain`` for data,
``loop.create_datagram_endpoint`` for UDP, ``start_unix_server`` / ``open_unix_connection`` and
Unix datagram endpoints for Unix-domain sockets (unix.py), and echo servers written as the asyncio docs write
them for ``serve.*`` (echo.py). The glue adds nothing of its own: where asyncio has no way to
do something, the answer is UNSUPPORTED (and the feature is not declared). Socket options are
the one place the adapter reaches for the socket module (options.py says how).

Independent of the suite's reference implementation: the protocol's rules (wire.py), errno
names (errors.py), addresses (addresses.py) and options (options.py) are this adapter's own.
"""

from __future__ import annotations

import asyncio
import itertools
import platform
import socket
import threading
from contextlib import contextmanager, suppress
from typing import Any, Callable

from .addresses import address_of, family_of, ipv6_loopback_usable, numeric_sockaddr, unix_address_of
from .echo import TcpEcho, UdpEcho
from .errors import OpError, from_oserror, supply
from .handles import (
    Datagram,
    DatagramQueue,
    Echo,
    Listener,
    Stream,
    close_handle,
    endpoints,
    socket_of,
    transport_of,
)
from .multicast import membership
from .options import NAMES as OPTION_NAMES
from .options import get_option, linger_off, prepared_socket, set_option
from .unix import UnixOperations, unix_features, unix_sockaddr
from .waits import within
from .wire import (
    BADREQUEST,
    PROTOCOL_VERSION,
    UNSUPPORTED,
    Args,
    BadRequest,
    encode_bytes,
    error_response,
    operation_table,
)

_SERVE_BACKLOG = 1024  # serve.start's default (docs/protocol.md §6)


class AsyncioAdapter(UnixOperations):
    implementation = "python-asyncio"
    language = "python"
    # The event loop the adapter runs on: the standard library's by default. Another loop
    # (adapters/uvloop: uvloop.new_event_loop) runs the very same operations.
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = staticmethod(asyncio.new_event_loop)

    def __init__(self, loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> None:
        self._loop = (loop_factory or self.loop_factory)()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sockspec-asyncio", daemon=True)
        self._thread.start()
        self._handles: dict[int, Any] = {}
        self._ids = itertools.count(1)  # handles are never reused (docs/protocol.md §2.1)
        # What the loop can do decides what is declared: uvloop's makes no Unix datagram
        # endpoints from a path (unix.py), the standard library's does.
        unix = asyncio.run_coroutine_threadsafe(unix_features(), self._loop).result(timeout=10)
        self.features = _features(unix)

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
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise BadRequest("a request is an object with a string 'op'")
            name = _OPERATIONS.get(request["op"])
            if name is None:  # tcp.socket, raw.*: asyncio has none
                raise OpError(UNSUPPORTED, f"asyncio has no way to do {request['op']!r}")
            args = Args(request.get("args"))
            _refuse_undeclared_flags(request["op"], args)
            return {"id": request_id, "ok": True, "result": await getattr(self, name)(args)}
        except OpError as exc:
            return error_response(request_id, exc.code, exc.message, exc.supplied)
        except BadRequest as exc:
            return error_response(request_id, BADREQUEST, str(exc))

    # -- handles ------------------------------------------------------------------------------

    def _register(self, thing: Any) -> int:
        handle = next(self._ids)
        self._handles[handle] = thing
        return handle

    def _get(self, args: Args, kind: type | tuple[type, ...]) -> Any:
        handle = args.get("handle", int)
        if handle not in self._handles:
            raise OpError("EBADF", f"no open handle {handle}")
        thing = self._handles[handle]
        if not isinstance(thing, kind):
            # An asyncio.Server has no read, write or peer at all: stream operations on a
            # listener cannot be expressed, so they are UNSUPPORTED and the adapter does not
            # declare tcp.listener-io (protocol 1.2) instead of inventing the kernel's errno.
            # Any other kind mismatch is EOPNOTSUPP.
            stream_op_on_listener = isinstance(thing, Listener) and kind is Stream
            if stream_op_on_listener:
                raise OpError(UNSUPPORTED, "an asyncio.Server has no read, write or peer")
            raise supply("EOPNOTSUPP", f"asyncio has no such operation on a {type(thing).__name__.lower()}")
        return thing

    # -- session ------------------------------------------------------------------------------

    async def op_hello(self, args: Args) -> dict:
        return {"protocol": PROTOCOL_VERSION, "implementation": self.implementation,
                "version": self.version(), "language": self.language, "features": list(self.features)}

    def version(self) -> str:
        return f"asyncio (CPython {platform.python_version()})"

    async def op_reset(self, args: Args) -> dict:
        things, self._handles = list(self._handles.values()), {}
        for thing in things:
            if isinstance(thing, Stream):  # never wait, never RST (§5): linger off first
                with suppress(ValueError):  # uvloop: the PseudoSocket of a transport it closed has fd -1
                    linger_off(socket_of(thing))
            close_handle(thing, abort=True)
        for thing in things:  # echo servers: their session tasks end before the answer
            if isinstance(thing, Echo):
                await thing.server.stop()
        await asyncio.sleep(0)  # let the transports' connection_lost callbacks close the sockets
        return {}

    async def op_close(self, args: Args) -> dict:
        handle = args.get("handle", int)
        if handle not in self._handles:
            raise OpError("EBADF", f"no open handle {handle}")
        thing = self._handles.pop(handle)
        if isinstance(thing, Echo):
            await thing.server.stop()
        else:
            close_handle(thing, abort=False)
        return {}

    # -- echo servers (1.2) -------------------------------------------------------------------

    async def op_serve_start(self, args: Args) -> dict:
        kind = args.get("kind", str)
        if kind not in ("tcp", "udp", "unix", "unixgram"):
            raise BadRequest(f"unknown serve kind {kind!r}")
        if kind in ("unix", "unixgram"):
            return await self._serve_unix(kind, args)
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        backlog = args.get("backlog", int, _SERVE_BACKLOG)
        server = TcpEcho() if kind == "tcp" else UdpEcho()
        try:
            local = await server.start(host, port, family, backlog)
        except OSError as exc:
            server.close()
            raise from_oserror(exc, "serve.start") from None
        return {"handle": self._register(Echo(server, local)), "local": address_of(local)}

    async def _serve_unix(self, kind: str, args: Args) -> dict:
        """The same echo servers over Unix-domain sockets (1.4): start_unix_server, and a Unix
        datagram endpoint where the loop makes one (serve.unixgram comes with unix.dgram)."""
        path = unix_sockaddr(args.get("address", dict), destination=True)  # a name: never unnamed
        backlog = args.get("backlog", int, _SERVE_BACKLOG)
        if kind == "unixgram" and "serve.unixgram" not in self.features:
            raise OpError(UNSUPPORTED, "this event loop makes no Unix datagram endpoints "
                                       "(create_datagram_endpoint takes no AF_UNIX address): serve.unixgram not declared")
        server = TcpEcho() if kind == "unix" else UdpEcho()
        try:
            local = await server.start_unix(path, backlog)
        except OSError as exc:
            server.close()
            raise from_oserror(exc, "serve.start") from None
        return {"handle": self._register(Echo(server, local)), "local": unix_address_of(local)}

    async def op_serve_stop(self, args: Args) -> dict:
        handle = args.get("handle", int)
        echo = self._get(args, object)
        if not isinstance(echo, Echo):
            raise supply("EINVAL", "serve.stop: not a server started by serve.start")
        del self._handles[handle]
        return await echo.server.stop()

    # -- stream -------------------------------------------------------------------------------

    async def op_tcp_listen(self, args: Args) -> dict:
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        backlog = args.get("backlog", int, 128)
        accepted: asyncio.Queue = asyncio.Queue()
        on_connect = lambda reader, writer: accepted.put_nowait((reader, writer))
        sock = prepared_socket(family, socket.SOCK_STREAM, args.get("options", dict, {}))
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
        return {"handle": self._register(Listener(server, accepted)),
                "local": address_of(server.sockets[0].getsockname())}

    async def op_tcp_connect(self, args: Args) -> dict:
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int))
        bind = args.get("bind", dict, None)
        local = None
        if bind is not None:
            bind_args = Args(bind)
            local = numeric_sockaddr(family, bind_args.get("host", str), bind_args.get("port", int, 0))
        timeout = args.timeout()
        sock = prepared_socket(family, socket.SOCK_STREAM, args.get("options", dict, {}))
        if sock is None:
            connecting = asyncio.open_connection(host, port, family=family, local_addr=local)
        else:
            connecting = self._connect_prepared(sock, local, (host, port))
        try:
            reader, writer = await within(connecting, timeout, "connect", zero_code="EINPROGRESS")
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        return {"handle": self._register(Stream(reader, writer)), **endpoints(writer)}

    async def _connect_prepared(self, sock: socket.socket, local: tuple | None, remote: tuple):
        if local is not None:
            sock.bind(local)
        await self._loop.sock_connect(sock, remote)
        return await asyncio.open_connection(sock=sock)

    async def op_tcp_accept(self, args: Args) -> dict:
        listener = self._get(args, Listener)
        reader, writer = await within(listener.accepted.get(), args.timeout(), "accept")
        return {"handle": self._register(Stream(reader, writer)), **endpoints(writer)}

    async def op_stream_send(self, args: Args) -> dict:
        stream, data = self._get(args, Stream), args.data()
        timeout = args.timeout()
        if not data:
            return {"sent": 0}
        transport = stream.writer.transport
        if timeout == 0 and transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]:
            raise supply("EAGAIN", "send: asyncio's write buffer is above its high-water mark")
        # The asyncio idiom is write() then drain(); drain first, so that bytes this answer
        # reports as sent were really taken (docs/protocol.md §6: buffered writes).
        await within(stream.writer.drain(), timeout, "send")
        try:
            stream.writer.write(data)
        except RuntimeError as exc:  # write() after write_eof(): asyncio refuses before any syscall
            raise supply("EPIPE", f"send: asyncio refused the write: {exc}") from None
        return {"sent": len(data)}

    async def op_stream_recv(self, args: Args) -> dict:
        stream = self._get(args, Stream)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        return {"data": encode_bytes(await within(stream.reader.read(size), args.timeout(), "recv"))}

    async def op_stream_shutdown(self, args: Args) -> dict:
        stream = self._get(args, Stream)
        how = args.get("how", str)
        if how not in ("read", "write", "both"):
            raise BadRequest(f"unknown shutdown direction {how!r}")
        if how != "write":  # stream.shutdown.read is not declared
            raise OpError(UNSUPPORTED, "asyncio streams can only shut down their write side (write_eof)")
        if not stream.writer.can_write_eof():
            raise OpError(UNSUPPORTED, "this transport cannot write EOF")
        try:
            stream.writer.write_eof()
        except OSError as exc:
            raise from_oserror(exc, "shutdown") from None
        return {}

    async def op_stream_abort(self, args: Args) -> dict:
        stream = self._get(args, Stream)
        del self._handles[args.get("handle", int)]
        stream.writer.transport.abort()  # asyncio's "close immediately, discard buffered data"
        await asyncio.sleep(0)
        return {}

    # -- datagram -----------------------------------------------------------------------------

    async def op_udp_bind(self, args: Args) -> dict:
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        sock = prepared_socket(family, socket.SOCK_DGRAM, args.get("options", dict, {}))
        try:
            if sock is None:
                transport, protocol = await self._loop.create_datagram_endpoint(
                    DatagramQueue, local_addr=address, family=family)
            else:
                sock.bind(address)
                transport, protocol = await self._loop.create_datagram_endpoint(DatagramQueue, sock=sock)
        except OSError as exc:
            if sock is not None:
                sock.close()
            raise from_oserror(exc, "bind") from None
        return {"handle": self._register(Datagram(transport, protocol, family)),
                "local": address_of(transport.get_extra_info("sockname"))}

    async def op_udp_connect(self, args: Args) -> dict:
        self._get(args, Datagram)  # udp.connect is not declared
        raise OpError(UNSUPPORTED, "an asyncio datagram endpoint takes its remote address only when created")

    async def op_udp_sendto(self, args: Args) -> dict:
        datagram, data = self._get(args, Datagram), args.data()
        host = args.get("host", str, None)
        address = None if host is None else numeric_sockaddr(datagram.family, host, args.get("port", int))
        try:
            datagram.transport.sendto(data, address)  # errors arrive later, through error_received
        except OSError as exc:
            raise from_oserror(exc, "sendto") from None
        except ValueError as exc:  # asyncio's own check, before any system call
            raise supply("EDESTADDRREQ" if address is None else "EINVAL", f"sendto: {exc}") from None
        return {"sent": len(data)}

    async def op_udp_recvfrom(self, args: Args) -> dict:
        datagram = self._get(args, Datagram)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        item = await within(datagram.protocol.items.get(), args.timeout(), "recvfrom")
        if isinstance(item, OSError):
            raise from_oserror(item, "recvfrom (reported by error_received)")
        data, sender = item
        # datagram_received hands over each datagram whole: the adapter cuts it to max, and
        # with trunc (1.5) reports its whole length, which asyncio gave it (flag.trunc)
        result = {"data": encode_bytes(data[:size]), "peer": address_of(sender), "truncated": len(data) > size,
                  "emulated": ["truncated"]}
        if args.get("trunc", bool, False):
            result["length"] = len(data)
            result["emulated"] = ["length", "truncated"]
        return result

    # -- multicast (1.7, multicast.py): the endpoint's socket, as for options -------------------

    async def op_udp_join(self, args: Args) -> dict:
        return self._membership(args, join=True)

    async def op_udp_leave(self, args: Args) -> dict:
        return self._membership(args, join=False)

    def _membership(self, args: Args, join: bool) -> dict:
        sock = socket_of(self._get(args, Datagram))
        group, where = args.get("group", str), args.get("interface", dict, None)
        with _closed_by_the_loop("setsockopt"):
            membership(sock, group, where, join)
        return {}

    # -- addresses and options ------------------------------------------------------------------

    async def op_addr_local(self, args: Args) -> dict:
        thing = self._get(args, object)
        if isinstance(thing, Echo):  # the address the server reported when it started, kept
            local = address_of(thing.local) if isinstance(thing.local, tuple) else unix_address_of(thing.local)
            return {**local, "emulated": sorted(local)}
        if isinstance(thing, Listener):
            return address_of(thing.server.sockets[0].getsockname())
        return address_of(transport_of(thing).get_extra_info("sockname"))

    async def op_addr_peer(self, args: Args) -> dict:
        thing = self._get(args, object)
        if isinstance(thing, (Listener, Echo)):  # a Server has no peer to ask for (tcp.listener-io)
            raise OpError(UNSUPPORTED, "an asyncio.Server has no peer")
        peer = transport_of(thing).get_extra_info("peername")
        if peer is None:
            raise supply("ENOTCONN", "getpeername: not connected (asyncio's peername is None)")
        return address_of(peer)

    async def op_opt_set(self, args: Args) -> dict:
        sock = socket_of(self._get(args, (Listener, Stream, Datagram)))
        # dict: an interface (multicast_if, 1.7)
        name, value = args.get("name", str), args.get("value", (bool, int, float, str, dict, type(None)))
        with _closed_by_the_loop("setsockopt"):
            set_option(sock, name, value)
        return {}

    async def op_opt_get(self, args: Args) -> dict:
        sock = socket_of(self._get(args, (Listener, Stream, Datagram)))
        with _closed_by_the_loop("getsockopt"):
            return {"value": get_option(sock, args.get("name", str))}


@contextmanager
def _closed_by_the_loop(context: str):
    """uvloop's PseudoSocket of a transport it closed itself (a reset, a fatal error) has fd -1
    and raises ValueError("negative file descriptor"); the standard library's TransportSocket
    gets the kernel's EBADF."""
    try:
        yield
    except ValueError as exc:
        raise supply("EBADF", f"{context}: the loop closed this socket ({exc})") from None


_OPERATIONS = operation_table(AsyncioAdapter)

# The flags of protocol 1.5 (§6 "Flags and blocking calls") asyncio's streams and datagram
# endpoints have no way to pass: peek, waitall, dontwait and oob are recv(2)/send(2) flags,
# and asyncio reads and writes the socket itself (a StreamReader, a DatagramProtocol); blocking
# calls are not asyncio's model at all. Only trunc is honoured (udp.recvfrom, flag.trunc).
_UNDECLARED_FLAGS = ("peek", "waitall", "dontwait", "oob", "blocking")


def _refuse_undeclared_flags(op: str, args: Args) -> None:
    if op not in ("stream.recv", "stream.send", "udp.recvfrom", "udp.sendto"):
        return
    for flag in _UNDECLARED_FLAGS:
        if args.get(flag, bool, False):
            raise OpError(UNSUPPORTED, f"asyncio's {'streams' if op.startswith('stream') else 'datagram endpoints'} "
                                       f"take no {flag} flag (flag.{flag} not declared)")


# -- features -------------------------------------------------------------------------------

def _features(unix: list[str]) -> list[str]:
    # Not declared: tcp.socket (no unconnected stream socket in asyncio), stream.shutdown.read
    # (write_eof only), udp.connect (an endpoint takes its remote address only when created),
    # raw, ping-socket; of the Unix features (1.4, unix.py) unix.seqpacket, unix.autobind,
    # unix.peercred, unix.rights, unix.credentials. Of protocol 1.5 (README "Protocol 1.5"):
    # the options (OPTION_NAMES includes options15.NAMES) and flag.trunc only; not wait,
    # wait.rdhangup (a transport owns its socket's readiness), tcp.pending, tcp.connect-handle
    # (open_connection makes and connects its own socket, and waits), udp.disconnect,
    # udp.reconnect (no udp.connect), blocking, flag.peek, flag.waitall, flag.dontwait, flag.oob.
    # Of 1.7 (README "Protocol 1.7 and 1.8"): multicast and its options, recverr (the endpoint's
    # socket, as for every option); not udp.errqueue (a transport reads with recvfrom only) nor
    # nonblock (a transport's socket cannot be made blocking, and cannot tell its mode).
    features = ["tcp", "udp", "ipv4", "tcp.bind-connect", "stream.shutdown.write", "stream.abort", "nonblocking",
                "serve.tcp", "serve.udp", *unix, *(f"opt.{name}" for name in OPTION_NAMES if name != "v6only"),
                "flag.trunc", "multicast"]
    if ipv6_loopback_usable():
        features += ["ipv6", "ipv4-mapped", "opt.v6only"]
    return sorted(features)
