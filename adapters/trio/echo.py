"""Echo servers in trio's own server model (docs/protocol.md §6, "Serving echo", 1.2).

- TCP: ``trio.serve_tcp(handler, port, host=, backlog=)`` started in the adapter's main
  nursery (``nursery.start``, which hands back the listeners), with the handler of trio's
  tutorial echo server (https://trio.readthedocs.io/en/stable/tutorial.html#an-echo-server):
  ``async for data in stream: await stream.send_all(data)``, catching ``Exception`` so that
  one session's failure ends that session only. serve_tcp runs each handler in a task of its
  own and closes the stream when the handler returns (``aclose_forcefully``): after the
  client's end of stream the echo is complete, then FIN. Back-pressure is send_all's: it
  waits while the client does not read, and the handler stops receiving.
- UDP: trio has no datagram server; the trio.socket loop its docs imply:
  ``data, addr = await sock.recvfrom(65536)``, ``await sock.sendto(data, addr)``.
Each server runs inside a ``trio.CancelScope``; serve.stop cancels it: serve_tcp closes its
listeners and every handler is cancelled (its stream closed by serve_tcp).
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import trio

READ_SIZE = 65536
STOP_WAIT = 2.0


def _log(message: str) -> None:
    print(f"trio adapter (serve): {message}", file=sys.stderr)


class _Server:
    def __init__(self) -> None:
        self.scope = trio.CancelScope()
        self.finished = trio.Event()

    def cancel(self) -> None:
        self.scope.cancel()

    async def stopped(self) -> None:
        with trio.move_on_after(STOP_WAIT):
            await self.finished.wait()


class TcpEcho(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.listeners: list = []
        self.sessions = 0

    def socket(self) -> Any:
        return self.listeners[0].socket

    async def run(self, host: str, port: int, backlog: int, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            with self.scope:
                await trio.serve_tcp(self._echo, port, host=host, backlog=backlog, task_status=_Keep(self, task_status))
        finally:
            self.finished.set()

    async def _echo(self, stream: trio.SocketStream) -> None:
        self.sessions += 1
        try:
            async for data in stream:
                await stream.send_all(data)
        except Exception as exc:  # as trio's tutorial: a crashed session must not take the server down
            _log(f"session ended: {exc!r}")


class _Keep:
    """Keeps the listeners serve_tcp reports through task_status, and passes them on."""

    def __init__(self, server: TcpEcho, status: Any) -> None:
        self.server, self.status = server, status

    def started(self, listeners: Any = None) -> None:
        self.server.listeners = list(listeners)
        self.status.started(listeners)


class UdpEcho(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.sock: Any = None

    def socket(self) -> Any:
        return self.sock

    async def run(self, family: int, host: str, port: int, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            with self.scope:
                with trio.socket.socket(family, socket.SOCK_DGRAM) as sock:
                    self.sock = sock
                    await sock.bind((host, port))
                    task_status.started(sock.getsockname())
                    while True:
                        try:
                            data, sender = await sock.recvfrom(READ_SIZE)
                            await sock.sendto(data, sender)
                        except OSError as exc:  # an ICMP error of an earlier datagram: go on serving
                            _log(f"udp: {exc!r}")
        finally:
            self.finished.set()
