"""Echo servers with one classic bug each, for proving session checks can fail.

    python bad_echo.py MODE --host H --port P
    python bad_echo.py MODE --path P            (the same bug over a Unix-domain socket)

TCP modes:
  crosstalk      echoes each chunk to the newest session instead of its own
  sequential     serves one client at a time, to the end (others wait)
  blocking       one thread, blocking writes: a client that does not read stalls everyone
  drops-tail     echoes each chunk one read late, and on end of stream closes without the last
  fragile        an error on any session closes every session
  one-shot       when any client goes away, closes every session
  exhausts       after 50 sessions, closes every new connection at once
  framed         prefixes every echoed chunk with its length, as a message protocol would
  at-eof         echoes nothing until the client ends its stream, then all of it (half duplex)
  small-buffer   echoes at most 8 KiB of each read, as through a fixed 8 KiB buffer
  leaks          never closes a session's socket after its client has gone (CLOSE-WAIT)
  stale          greets each new session with the last bytes of the previous one
  stale-late     after a new session's first echo, sends the last bytes of the previous one
  one-reply      answers one read per connection, then closes it (one request per connection)
  abandons-owed  buffers what it cannot send yet; on end of stream closes at once, dropping it
  keeps-file     echoes correctly, and when stopped leaves its socket file behind (--path only)
  slow           no bug: echoes correctly, 50 ms after each read, as on a loaded machine
                 (a control: slowness alone must not fail a session behaviour)
UDP modes:
  wrong-source   replies from a fresh socket, not from the one the client sent to
  truncates      echoes at most 8 KiB of each datagram
  udp-crosstalk  replies to the previous sender
  slow-reader    a minimal receive buffer, and a pause before each reply (a lookup per sender)
  batches        reads datagrams two at a time and answers each sender with one datagram of its own
  deduplicates   ignores a datagram identical to its sender's previous one (a "retransmission")
  doubles        answers every datagram twice
  shared-buffer  reads two datagrams into one buffer, then answers both senders with what it holds
  drops-empty    never answers a zero-length datagram
  empty-ends-peer  takes a zero-length datagram as its sender's goodbye, and ignores it after
  peer-table     keeps a table of 256 peers and ignores any peer beyond it
  reorders       reads datagrams two at a time and answers them last first
"""

from __future__ import annotations

import argparse
import selectors
import socket
import time

UDP_MODES = ("wrong-source", "truncates", "udp-crosstalk", "slow-reader", "batches", "deduplicates", "doubles",
             "shared-buffer", "drops-empty", "empty-ends-peer", "peer-table", "reorders")


def bind(host: str, port: int, kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve_sequential(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass  # this client is gone: on to the next


def serve_events(listener: socket.socket, mode: str) -> None:
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    sessions: list[socket.socket] = []
    held: dict[socket.socket, bytes] = {}  # drops-tail: the chunk not yet echoed
    leaked: list[socket.socket] = []  # leaks: sockets kept open (Python would close them when dropped)
    previous = b""  # stale-late: the last bytes of the session before this one
    greeted: set[socket.socket] = set()
    last = b""  # stale: the previous session's last bytes
    served = 0  # exhausts: sessions so far
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                served += 1
                if mode == "exhausts" and served > 50:
                    conn.close()
                    continue
                if mode == "stale" and last:
                    conn.sendall(last)
                previous = last
                sessions.append(conn)
                selector.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = None
            if data:
                last = data
                if mode == "crosstalk":
                    sessions[-1].sendall(data)
                elif mode == "framed":
                    sock.sendall(len(data).to_bytes(4, "big") + data)
                elif mode == "at-eof":
                    held[sock] = held.get(sock, b"") + data
                elif mode == "small-buffer":
                    sock.sendall(data[:8192])
                elif mode == "drops-tail":
                    sock.sendall(held.get(sock, b""))
                    held[sock] = data
                elif mode == "stale-late":
                    sock.sendall(data)
                    if sock not in greeted and previous:
                        sock.sendall(previous)
                    greeted.add(sock)
                elif mode == "slow":
                    time.sleep(0.05)
                    sock.sendall(data)
                elif mode == "one-reply":
                    sock.sendall(data)
                    selector.unregister(sock)
                    sessions.remove(sock)
                    sock.close()
                    continue
                else:
                    try:
                        sock.sendall(data)  # blocking: one slow reader stalls the loop
                    except OSError:
                        data = None
            if not data:
                if mode == "at-eof" and data is not None:
                    sock.sendall(held.pop(sock, b""))
                if (data is None and mode == "fragile") or mode == "one-shot":
                    for other in sessions:
                        selector.unregister(other)
                        other.close()
                    sessions.clear()
                    continue
                selector.unregister(sock)
                sessions.remove(sock)
                if mode == "leaks":
                    leaked.append(sock)
                else:
                    sock.close()


def serve_abandoning(listener: socket.socket) -> None:
    """Non-blocking sessions with what is owed buffered; on end of stream, close at once."""
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    owed: dict[socket.socket, bytearray] = {}
    while True:
        for key, events in selector.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                owed[conn] = bytearray()
                selector.register(conn, selectors.EVENT_READ)
                continue
            try:
                if events & selectors.EVENT_READ:
                    data = sock.recv(65536)
                    if not data:  # the bug: what is still owed is dropped
                        raise ConnectionError
                    owed[sock] += data
                if owed[sock]:
                    del owed[sock][:sock.send(owed[sock])]
            except BlockingIOError:
                pass
            except OSError:
                selector.unregister(sock)
                del owed[sock]
                sock.close()
                continue
            selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if owed[sock] else 0))


def with_the_next(sock: socket.socket, first: tuple[bytes, tuple]) -> list[tuple[bytes, tuple]]:
    """The datagram just received and the next one. Waiting for the next (rather than taking
    whatever is queued) makes the bug show however fast the server keeps up: the scenarios
    that catch these modes send an even number of datagrams."""
    return [first, sock.recvfrom(65535)]


def serve_udp(sock: socket.socket, mode: str) -> None:
    if mode == "slow-reader":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    peers: dict[tuple, bytes | None] = {}  # deduplicates, empty-ends-peer, peer-table
    previous = None
    while True:
        data, sender = sock.recvfrom(65535)
        if mode == "wrong-source":
            with socket.socket(sock.family, socket.SOCK_DGRAM) as other:
                other.sendto(data, sender)
        elif mode == "truncates":
            sock.sendto(data[:8192], sender)
        elif mode == "slow-reader":
            time.sleep(0.005)
            sock.sendto(data, sender)
        elif mode == "batches":
            batches: dict[tuple, list[bytes]] = {}
            for each_data, each in with_the_next(sock, (data, sender)):
                batches.setdefault(each, []).append(each_data)
            for each, batch in batches.items():
                sock.sendto(b"".join(batch)[:65507], each)
        elif mode == "deduplicates":
            if peers.get(sender) != data:
                sock.sendto(data, sender)
            peers[sender] = data
        elif mode == "doubles":
            sock.sendto(data, sender)
            sock.sendto(data, sender)
        elif mode == "shared-buffer":
            queued = with_the_next(sock, (data, sender))
            for _, each in queued:
                sock.sendto(queued[-1][0], each)
        elif mode == "drops-empty":
            if data:
                sock.sendto(data, sender)
        elif mode == "empty-ends-peer":
            if sender not in peers:
                sock.sendto(data, sender)
            if not data:
                peers[sender] = None
        elif mode == "peer-table":
            if sender in peers or len(peers) < 256:
                peers[sender] = b""
                sock.sendto(data, sender)
        elif mode == "reorders":
            for each_data, each in reversed(with_the_next(sock, (data, sender))):
                sock.sendto(each_data, each)
        else:
            sock.sendto(data, previous or sender)
            previous = sender


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--path", help="serve a Unix-domain socket at this path instead (unix-echo:, unixgram-echo:)")
    args = parser.parse_args()
    kind = socket.SOCK_DGRAM if args.mode in UDP_MODES else socket.SOCK_STREAM
    if args.path is not None:
        sock = socket.socket(socket.AF_UNIX, kind)
        sock.bind(args.path)
    else:
        sock = bind(args.host, args.port, kind)
    if args.mode in UDP_MODES:
        serve_udp(sock, args.mode)
        return
    listener = sock
    listener.listen(1024)
    if args.mode == "sequential":
        serve_sequential(listener)
    elif args.mode == "abandons-owed":
        serve_abandoning(listener)
    else:
        serve_events(listener, args.mode)


if __name__ == "__main__":
    main()
