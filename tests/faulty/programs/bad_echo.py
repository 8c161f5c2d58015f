"""Echo servers with one classic bug each, for proving session checks can fail.

    python bad_echo.py MODE --host H --port P

TCP modes:
  crosstalk      echoes each chunk to the newest session instead of its own
  sequential     serves one client at a time, to the end (others wait)
  blocking       one thread, blocking writes: a client that does not read stalls everyone
  drops-tail     echoes each chunk one read late, and on end of stream closes without the last
  fragile        an error on any session closes every session
  one-shot       when any client goes away, closes every session
  exhausts       after 50 sessions, closes every new connection at once
  framed         prefixes every echoed chunk with its length, as a message protocol would
  leaks          never closes a session's socket after its client has gone (CLOSE-WAIT)
  stale          greets each new session with the last bytes of the previous one
UDP modes:
  wrong-source   replies from a fresh socket, not from the one the client sent to
  truncates      echoes at most 8 KiB of each datagram
  udp-crosstalk  replies to the previous sender
"""

from __future__ import annotations

import argparse
import selectors
import socket

UDP_MODES = ("wrong-source", "truncates", "udp-crosstalk")


def bind(host: str, port: int, kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve_sequential(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)


def serve_events(listener: socket.socket, mode: str) -> None:
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    sessions: list[socket.socket] = []
    held: dict[socket.socket, bytes] = {}  # drops-tail: the chunk not yet echoed
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
                elif mode == "drops-tail":
                    sock.sendall(held.get(sock, b""))
                    held[sock] = data
                else:
                    try:
                        sock.sendall(data)  # blocking: one slow reader stalls the loop
                    except OSError:
                        data = None
            if not data:
                if (data is None and mode == "fragile") or mode == "one-shot":
                    for other in sessions:
                        selector.unregister(other)
                        other.close()
                    sessions.clear()
                    continue
                selector.unregister(sock)
                sessions.remove(sock)
                if mode != "leaks":
                    sock.close()


def serve_udp(sock: socket.socket, mode: str) -> None:
    previous = None
    while True:
        data, sender = sock.recvfrom(65535)
        if mode == "wrong-source":
            with socket.socket(sock.family, socket.SOCK_DGRAM) as other:
                other.sendto(data, sender)
        elif mode == "truncates":
            sock.sendto(data[:8192], sender)
        else:
            sock.sendto(data, previous or sender)
            previous = sender


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.mode in UDP_MODES:
        serve_udp(bind(args.host, args.port, socket.SOCK_DGRAM), args.mode)
        return
    listener = bind(args.host, args.port, socket.SOCK_STREAM)
    listener.listen(1024)
    if args.mode == "sequential":
        serve_sequential(listener)
    else:
        serve_events(listener, args.mode)


if __name__ == "__main__":
    main()
