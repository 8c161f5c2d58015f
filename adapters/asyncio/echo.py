"""Echo servers in asyncio's own server model (docs/protocol.md §6, "Serving echo", 1.2).

Written the way the asyncio docs write servers, and run on the adapter's event loop next to
the request loop:

- TCP: ``asyncio.start_server(handle_client, host, port, backlog=...)`` with the streams
  echo of the docs ("TCP echo server using streams",
  https://docs.python.org/3/library/asyncio-stream.html#tcp-echo-server-using-streams), in a
  loop: ``data = await reader.read(n)``, ``writer.write(data)``, ``await writer.drain()``.
  ``drain()`` is asyncio's back-pressure: above the transport's high-water mark it waits,
  the handler stops reading, the StreamReader fills to its limit and asyncio stops reading
  the socket. At end of stream every echo byte has been written and drained; then
  ``writer.close(); await writer.wait_closed()`` (close flushes what is still buffered,
  then FIN). asyncio keeps the connection half-open after the client's EOF
  (StreamReaderProtocol.eof_received returns True), so the rest of the echo can go out.
  A connection error (reset, broken pipe) ends that handler only.
- UDP: ``loop.create_datagram_endpoint`` with a DatagramProtocol whose
  ``datagram_received`` does ``transport.sendto(data, addr)`` (the docs' "UDP Echo Server",
  https://docs.python.org/3/library/asyncio-protocol.html#udp-echo-server).
- Unix-domain (1.4): the same servers on Unix sockets. Stream: the TCP echo's handler on
  ``asyncio.start_unix_server(handle_client, path=..., backlog=...)``; datagrams: the UDP
  echo's protocol on ``loop.create_datagram_endpoint(family=AF_UNIX, local_addr=path)``
  where the loop can make one (unix.unix_features). A datagram from an unnamed sender has
  no address to answer and is dropped. Whether the socket file is removed on stop is the
  loop's business: the adapter unlinks nothing.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from contextlib import suppress

READ_SIZE = 65536
STOP_WAIT = 2.0  # serve.stop waits at most this long for sessions to finish


class TcpEcho:
    def __init__(self) -> None:
        self.server: asyncio.base_events.Server | None = None
        self.sessions: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self.accepted = 0
        self.closing = False

    async def start(self, host: str, port: int, family: int, backlog: int) -> tuple:
        self.server = await asyncio.start_server(self._accepted, host, port, family=family, backlog=backlog)
        return self.server.sockets[0].getsockname()

    async def start_unix(self, path: str, backlog: int) -> str | bytes:
        """The same server on a Unix-domain stream socket (``"\0name"``: an abstract name)."""
        self.server = await asyncio.start_unix_server(self._accepted, path=path, backlog=backlog)
        return self.server.sockets[0].getsockname()

    def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # start_server schedules a coroutine function's call as a Task by itself; this callback
        # does the same, so that the server knows every session from its first moment (a
        # stop right after a connect closes it too).
        self.accepted += 1
        task = asyncio.get_running_loop().create_task(self._handle_client(reader, writer))
        self.sessions[task] = writer
        task.add_done_callback(lambda done: self.sessions.pop(done, None))
        if self.closing:  # accepted by asyncio after server.close(): not served
            writer.transport.abort()

    @staticmethod
    async def _handle_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:  # the client's end of stream: everything was echoed and drained
                    break
                writer.write(data)
                await writer.drain()
        except OSError:  # ConnectionResetError, BrokenPipeError, ...: this session only
            pass
        finally:
            writer.close()
            with suppress(OSError):
                await writer.wait_closed()

    def close(self) -> None:
        """Stop accepting and close every session at once (as reset does)."""
        self.closing = True
        if self.server is not None:
            self.server.close()
        for writer in self.sessions.values():
            writer.transport.abort()

    async def stop(self) -> dict:
        self.close()
        if self.sessions:
            await asyncio.wait(list(self.sessions), timeout=STOP_WAIT)
        if self.server is not None:
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), STOP_WAIT)
        return {"sessions": self.accepted}


class _EchoProtocol(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.DatagramTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple | str | bytes | None) -> None:
        if not addr:  # an unnamed Unix sender ('' or None): nowhere to answer
            return
        self.transport.sendto(data, addr)

    def error_received(self, exc: Exception) -> None:
        print(f"asyncio adapter (serve udp): {exc!r}", file=sys.stderr)  # a server goes on serving


class UdpEcho:
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    async def start(self, host: str, port: int, family: int, backlog: int) -> tuple:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(_EchoProtocol, local_addr=(host, port),
                                                                family=family)
        return self.transport.get_extra_info("sockname")

    async def start_unix(self, path: str, backlog: int) -> str | bytes:
        """The same server on a Unix-domain datagram socket (``"\0name"``: an abstract name)."""
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(_EchoProtocol, local_addr=path,
                                                                family=socket.AF_UNIX)
        return self.transport.get_extra_info("sockname")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def stop(self) -> dict:
        self.close()
        await asyncio.sleep(0)  # connection_lost closes the socket on the next turn
        return {}
