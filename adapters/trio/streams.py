"""TCP and stream operations (docs/protocol.md §6) with trio's high-level networking API.

- ``tcp.listen``: ``trio.open_tcp_listeners(port, host=, backlog=)``, the first (only, for a
  numeric host) ``SocketListener``. With ``options``: a trio.socket socket, the options, bind,
  listen, wrapped in ``trio.SocketListener`` (trio's openers take no socket options).
- ``tcp.connect``: ``trio.open_tcp_stream(host, port, local_address=)``. With ``options`` or a
  ``bind`` port other than 0 (``local_address`` is an IP only): a trio.socket socket, the
  options, bind, ``connect``, wrapped in ``trio.SocketStream``.
- ``tcp.accept``: ``SocketListener.accept()``.
- ``stream.recv``: ``SocketStream.receive_some(max)``; ``b""`` is end of stream.
- ``stream.send``: ``SocketStream.socket.send(data)`` -- trio.socket, one send(2) with trio's
  wait: ``send_all`` sends every byte or waits, and when its wait is cancelled it does not say
  how many bytes went out (trio's docs: a cancelled send_all leaves the stream in an unknown
  state), while the protocol answers the count taken without waiting again.
- ``stream.shutdown`` (write): ``SocketStream.send_eof()``. trio has no read-side shutdown.
- ``stream.abort``: ``SocketStream.setsockopt(SO_LINGER, on, 0)`` then ``aclose()``.
"""

from __future__ import annotations

import socket
from typing import Any

import trio

from .addresses import address_of, family_of, inet_sockaddr, inet_target
from .errors import FAILURES, OpError, supply, translate
from .handles import Listener, Server, Socket, Stream
from .options import apply_options, linger_zero
from .waits import within
from .wire import UNSUPPORTED, Args, BadRequest, b64


# Flags of protocol 1.5 trio has no honest way to give (README "Protocol 1.5"): trio.socket's
# sockets are non-blocking and trio waits whenever a call would block, so MSG_DONTWAIT is no
# different from no flag and MSG_WAITALL returns what is queued; trio has no blocking calls.
_UNDECLARED_FLAGS = ("waitall", "dontwait", "blocking")


def refuse_flags(args: Args, op: str) -> None:
    for flag in _UNDECLARED_FLAGS:
        if args.get(flag, bool, False):
            raise OpError(UNSUPPORTED, f"{op}: trio gives no {flag} (not declared)")


def endpoints(stream: trio.SocketStream) -> dict:
    try:
        return {"local": address_of(stream.socket.getsockname()), "peer": address_of(stream.socket.getpeername())}
    except OSError as exc:  # e.g. reset before the answer: the kernel's ENOTCONN
        stream.socket.close()
        raise translate(exc, "getsockname/getpeername") from None


class StreamOperations:
    _handles: dict
    _register: Any
    _get: Any
    _forget: Any

    async def op_tcp_listen(self, args: Args) -> dict:
        family = family_of(args)
        host, port = inet_target(args, family, 0)
        backlog = args.get("backlog", int, 128)
        options = args.get("options", dict, {})
        try:
            if options:
                listener = await self._listener_with_options(family, host, port, backlog, options)
            else:
                listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
                listener, rest = listeners[0], listeners[1:]
                for extra in rest:
                    await extra.aclose()
        except FAILURES as exc:
            raise translate(exc, "listen") from None
        return {"handle": self._register(Listener(listener)),
                "local": address_of(listener.socket.getsockname())}

    @staticmethod
    async def _listener_with_options(family: int, host: str, port: int, backlog: int,
                                     options: dict) -> trio.SocketListener:
        sock = trio.socket.socket(family, socket.SOCK_STREAM)
        try:
            apply_options(sock, options)
            await sock.bind((host, port))
            sock.listen(backlog)
            return trio.SocketListener(sock)
        except BaseException:
            sock.close()
            raise

    async def op_tcp_socket(self, args: Args) -> dict:
        family = family_of(args)
        options = args.get("options", dict, {})
        try:
            sock = trio.socket.socket(family, socket.SOCK_STREAM)
        except FAILURES as exc:
            raise translate(exc, "socket") from None
        try:
            apply_options(sock, options)
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(Socket(sock, family, "stream"))}

    async def op_tcp_connect(self, args: Args) -> dict:
        family = family_of(args)
        host, port = inet_target(args, family)
        bind = args.get("bind", dict, None)
        local = None if bind is None else inet_target(Args(bind), family, 0)
        options = args.get("options", dict, {})
        timeout = args.timeout()
        if args.get("pending", bool, False):
            raise OpError(UNSUPPORTED, "trio's connect waits for its outcome: no connect started without "
                                       "waiting (tcp.pending not declared)")
        if args.has("handle"):
            return await self._connect_handle(args, local, options, (host, port), timeout)
        if options or (local is not None and local[1] != 0):
            sock = trio.socket.socket(family, socket.SOCK_STREAM)
            try:
                apply_options(sock, options)
                stream = await within(lambda: self._connect_socket(sock, local, (host, port)), timeout,
                                      "connect", zero_code="EINPROGRESS")
            except BaseException:
                sock.close()
                raise
        else:
            local_address = None if local is None else local[0]
            stream = await within(lambda: trio.open_tcp_stream(host, port, local_address=local_address),
                                  timeout, "connect", zero_code="EINPROGRESS")
        return {"handle": self._register(Stream(stream)), **endpoints(stream)}

    async def _connect_handle(self, args: Args, local: tuple | None, options: dict, remote: tuple,
                              timeout: float) -> dict:
        """tcp.connect of an existing stream socket (1.5, tcp.connect-handle): trio.socket's
        ``connect`` on it, again if it connected or failed before (the kernel answers: EISCONN,
        and a refused socket may connect again on Linux). A failure leaves the handle open; only
        a connect whose wait is cancelled (a timeout) is closed, by trio itself (its docs: the
        socket is in an indeterminate state)."""
        handle = args.get("handle", int)
        thing = self._get(args, Socket, Stream, Listener)
        if isinstance(thing, Socket) and thing.kind != "stream":
            raise supply("EOPNOTSUPP", "tcp.connect of a handle that is not a stream socket")
        sock = thing.sock
        apply_options(sock, options)
        if local is not None:
            try:
                await sock.bind(local)
            except FAILURES as exc:
                raise translate(exc, "bind") from None
        await within(lambda: sock.connect(remote), timeout, "connect", zero_code="EINPROGRESS")
        try:
            return {"handle": handle, "local": address_of(sock.getsockname()), "peer": address_of(sock.getpeername())}
        except FAILURES as exc:
            raise translate(exc, "getsockname/getpeername") from None

    @staticmethod
    async def _connect_socket(sock: Any, local: tuple | None, remote: tuple) -> trio.SocketStream:
        if local is not None:
            await sock.bind(local)
        await sock.connect(remote)
        return trio.SocketStream(sock)

    async def op_tcp_accept(self, args: Args) -> dict:
        listener = self._get(args, Listener)
        if listener.sock.family == socket.AF_UNIX:
            raise OpError("EINVAL", "tcp.accept of a Unix listener: use unix.accept")
        stream = await within(listener.listener.accept, args.timeout(), "accept")
        return {"handle": self._register(Stream(stream)), **endpoints(stream)}

    async def op_stream_send(self, args: Args) -> dict:
        thing = self._get(args, Stream, Socket)
        data = args.data()
        timeout = args.timeout()
        if not data:
            await trio.lowlevel.checkpoint()
            return {"sent": 0}
        refuse_flags(args, "stream.send")
        if args.get("oob", bool, False):  # MSG_OOB: the last byte is urgent (flag.oob)
            sent = await within(lambda: thing.sock.send(data, socket.MSG_OOB), timeout, "send")
            return {"sent": sent}
        sent = await within(lambda: thing.sock.send(data), timeout, "send")
        return {"sent": sent}

    async def op_stream_recv(self, args: Args) -> dict:
        thing = self._get(args, Stream, Socket)
        size = args.size()
        refuse_flags(args, "stream.recv")
        if args.get("oob", bool, False):
            # MSG_OOB never waits (§6): one attempt of trio.socket's recv (a would-block
            # is EAGAIN, supplied: trio waits instead of returning it, and that wait is cancelled)
            data = await within(lambda: thing.sock.recv(size, socket.MSG_OOB), 0, "recv")
        elif args.get("peek", bool, False):  # MSG_PEEK through trio.socket's recv(flags)
            data = await within(lambda: thing.sock.recv(size, socket.MSG_PEEK), args.timeout(), "recv")
        elif isinstance(thing, Stream):
            data = await within(lambda: thing.stream.receive_some(size), args.timeout(), "recv")
        else:
            data = await within(lambda: thing.sock.recv(size), args.timeout(), "recv")
        return {"data": b64(data)}

    async def op_stream_shutdown(self, args: Args) -> dict:
        thing = self._get(args, Stream, Socket)
        how = args.get("how", str)
        if how not in ("read", "write", "both"):
            raise BadRequest(f"how must be read, write or both, not {how!r}")
        if how != "write":
            raise OpError(UNSUPPORTED, "trio's SocketStream has send_eof only: no read-side shutdown "
                                       "(stream.shutdown.read not declared)")
        try:
            if isinstance(thing, Stream):
                await thing.stream.send_eof()
            else:
                thing.sock.shutdown(socket.SHUT_WR)
        except FAILURES as exc:
            raise translate(exc, "shutdown") from None
        return {}

    async def op_stream_abort(self, args: Args) -> dict:
        thing = self._get(args, Stream, Socket)
        self._forget(args)
        target = thing.stream if isinstance(thing, Stream) else thing.sock
        try:
            linger_zero(target)
        except FAILURES as exc:
            thing.sock.close()
            raise translate(exc, "abort: setsockopt SO_LINGER") from None
        if isinstance(thing, Stream):
            await thing.stream.aclose()
        else:
            thing.sock.close()
            await trio.lowlevel.checkpoint()
        return {}

    async def op_addr_local(self, args: Args) -> dict:
        thing = self._get(args)
        sock = thing.echo.socket() if isinstance(thing, Server) else thing.sock
        try:
            return address_of(sock.getsockname())
        except FAILURES as exc:
            raise translate(exc, "getsockname") from None

    async def op_addr_peer(self, args: Args) -> dict:
        thing = self._get(args)
        if isinstance(thing, (Listener, Server)):
            raise OpError(UNSUPPORTED, "a trio.SocketListener has no peer (tcp.listener-io not declared)")
        try:
            return address_of(thing.sock.getpeername())
        except FAILURES as exc:
            raise translate(exc, "getpeername") from None
