"""What a handle stands for, and how each kind is closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio

from .options import linger_off


@dataclass
class Listener:
    """tcp.listen / unix.listen: a trio.SocketListener."""
    listener: trio.SocketListener

    @property
    def sock(self) -> Any:
        return self.listener.socket


@dataclass
class Stream:
    """A connection: a trio.SocketStream (TCP, or a Unix stream socket)."""
    stream: trio.SocketStream

    @property
    def sock(self) -> Any:
        return self.stream.socket


@dataclass
class Socket:
    """A trio.socket socket used as it is: UDP, Unix datagram and seqpacket, tcp.socket."""
    sock: Any
    family: int = 0
    kind: str = "dgram"


@dataclass
class Server:
    """An echo server of serve.start (echo.py)."""
    echo: Any
    local: tuple = field(default=())


def sock_of(thing: Any) -> Any:
    return thing.sock


def close_now(thing: Any, orderly: bool = False) -> None:
    """Close a handle's socket at once (the close of trio's aclose, without its checkpoint).
    ``orderly`` (reset): SO_LINGER off first, so that neither a wait nor an RST comes of it."""
    if isinstance(thing, Server):
        thing.echo.cancel()
        return
    sock = thing.sock
    if orderly and not isinstance(thing, Listener):
        linger_off(sock)
    sock.close()
