"""What a handle stands for, one class per kind, and how each kind is closed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .addresses import address_of
from .echo import TcpEcho, UdpEcho


@dataclass
class Listener:
    server: asyncio.base_events.Server
    accepted: asyncio.Queue  # (reader, writer) pairs asyncio has already accepted


@dataclass
class Stream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


class DatagramQueue(asyncio.DatagramProtocol):
    """What the transport delivers, in order: datagrams and the errors it reports."""

    def __init__(self) -> None:
        self.items: asyncio.Queue = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.items.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:
        self.items.put_nowait(exc)


@dataclass
class Datagram:
    transport: asyncio.DatagramTransport
    protocol: DatagramQueue
    family: int


@dataclass
class Echo:
    """An echo server of serve.start (echo.py)."""
    server: TcpEcho | UdpEcho
    local: tuple | str | bytes  # (host, port, ...), or a Unix address as the socket module gives it


def transport_of(thing: Any) -> asyncio.BaseTransport:
    return thing.writer.transport if isinstance(thing, Stream) else thing.transport


def socket_of(thing: Any) -> Any:
    """WORKAROUND (asyncio has no socket-option API): the socket under a server or transport,
    an asyncio.trsock.TransportSocket, for setsockopt/getsockopt (options.py)."""
    if isinstance(thing, Listener):
        return thing.server.sockets[0]
    return transport_of(thing).get_extra_info("socket")


def close_handle(thing: Any, abort: bool) -> None:
    if isinstance(thing, Echo):
        thing.server.close()
    elif isinstance(thing, Listener):
        thing.server.close()
        while not thing.accepted.empty():  # connections asyncio accepted that nobody took
            thing.accepted.get_nowait()[1].transport.abort()
    elif abort:
        transport_of(thing).abort()
    elif isinstance(thing, Stream):
        thing.writer.close()  # flushes what asyncio still buffers, then closes
    else:
        thing.transport.close()


def endpoints(writer: asyncio.StreamWriter) -> dict:
    return {"local": address_of(writer.get_extra_info("sockname")), "peer": address_of(writer.get_extra_info("peername"))}
