"""Reference echo servers: what a correct server owes each client.

    python -m reference_impl.echo_server tcp --host 127.0.0.1 --port 7000
    python -m reference_impl.echo_server udp --host ::1 --port 7000
    python -m reference_impl.echo_server unix --path /tmp/echo.sock      (Unix-domain stream)
    python -m reference_impl.echo_server unixgram --name my-echo         (datagrams, abstract name)

TCP: one session per accepted connection, each echoing exactly its own bytes, in order;
on the client's half-close it flushes everything still owed, then closes its side. UDP:
each datagram goes back whole to its sender, from the socket it arrived on. One thread,
one selector: a slow or silent session never stalls the others.

The same servers run inside the reference adapter (``serve.start``): ``stop`` is then the
read end of a socket pair, and a byte written to the other end ends the loop and closes
every socket the server owns.
"""

from __future__ import annotations

import argparse
import os
import select
import selectors
import signal
import socket
import sys

READ_SIZE = 1 << 16
MAX_OWED = 1 << 20  # stop reading a session that owes this much: back-pressure


class _Session:
    """One client's connection and the bytes still owed to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.owed = bytearray()
        self.client_done = False  # the client has shut down its write side


def serve_tcp(listener: socket.socket, stop: socket.socket | None = None) -> int:
    """Serve until ``stop`` is readable (or forever); returns how many sessions were accepted."""
    selector = selectors.DefaultSelector()
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ, None)
    if stop is not None:
        selector.register(stop, selectors.EVENT_READ, "stop")
    accepted = 0
    try:
        while True:
            for key, events in selector.select():
                if key.data == "stop":
                    return accepted
                if key.data is None:
                    accepted += _accept(listener, selector)
                else:
                    _service(key.data, events, selector)
    finally:
        for key in list(selector.get_map().values()):
            if isinstance(key.data, _Session):
                key.data.sock.close()
        selector.close()


def _accept(listener: socket.socket, selector: selectors.BaseSelector) -> int:
    accepted = 0
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return accepted
        except OSError:  # e.g. the connection was reset before accept
            return accepted
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ, _Session(conn))
        accepted += 1


def _service(session: _Session, events: int, selector: selectors.BaseSelector) -> None:
    try:
        if events & selectors.EVENT_READ and not session.client_done and len(session.owed) < MAX_OWED:
            data = session.sock.recv(READ_SIZE)
            if data:
                session.owed += data
            else:
                session.client_done = True
        if session.owed:
            sent = session.sock.send(session.owed)
            del session.owed[:sent]
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:  # reset or gone: this session ends, the others go on
        _end(session, selector)
        return
    if session.client_done and not session.owed:
        _end(session, selector)
        return
    reading = not session.client_done and len(session.owed) < MAX_OWED
    wanted = (selectors.EVENT_READ if reading else 0) | (selectors.EVENT_WRITE if session.owed else 0)
    selector.modify(session.sock, wanted, session)


def _end(session: _Session, selector: selectors.BaseSelector) -> None:
    selector.unregister(session.sock)
    session.sock.close()


def serve_udp(sock: socket.socket, stop: socket.socket | None = None) -> int:
    """Echo every datagram until ``stop`` is readable (or forever); returns how many came."""
    watched = [sock] if stop is None else [sock, stop]
    echoed = 0
    while True:
        readable, _, _ = select.select(watched, [], [])
        if stop is not None and stop in readable:
            return echoed
        try:
            data, sender = sock.recvfrom(65535)
        except OSError:
            continue  # an ICMP error queued on the socket: not this server's problem
        echoed += 1
        try:
            sock.sendto(data, sender)
        except OSError:
            pass  # fire and forget: a peer that is gone is not the server's problem


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", choices=("tcp", "udp", "unix", "unixgram"))
    parser.add_argument("--host", help="tcp, udp: numeric address to bind, e.g. 127.0.0.1 or ::1")
    parser.add_argument("--port", type=int, help="tcp, udp: the port")
    parser.add_argument("--path", help="unix, unixgram: the socket file to make (removed when stopped)")
    parser.add_argument("--name", help="unix, unixgram: an abstract name instead of a path")
    args = parser.parse_args(argv)
    unix = args.protocol.startswith("unix")
    if unix and (args.path is None) == (args.name is None):
        parser.error(f"{args.protocol} needs --path or --name")
    if not unix and (args.host is None or args.port is None):
        parser.error(f"{args.protocol} needs --host and --port")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stream = args.protocol in ("tcp", "unix")
    if unix:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
        sock.bind(args.path if args.path is not None else "\0" + args.name)
    else:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET,
                             socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
    try:
        if stream:
            sock.listen(1024)
            serve_tcp(sock)
        else:
            sock.setblocking(False)  # an echo that finds no room is dropped, never waited for
            serve_udp(sock)
    finally:  # a server that made a socket file removes it when it stops (unix(7) leaves that to it)
        if args.path is not None:
            os.unlink(args.path)


if __name__ == "__main__":
    main()
