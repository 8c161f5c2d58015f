"""Echo servers the reference adapter runs beside its request loop (``serve.start``).

Each runs reference_impl.echo_server's loop on a thread of its own; stopping it writes a
byte to a socket pair the loop watches, so the loop ends, closes what it owns, and the
thread is joined before ``serve.stop`` answers. A server on a pathname Unix socket removes
its socket file when it stops, as a well-kept server does (UNIX-NAME-014).
"""

from __future__ import annotations

import os
import socket
import threading

from . import echo_server


class EchoService:
    def __init__(self, sock: socket.socket, kind: str, socket_file: bytes | None = None) -> None:
        self.sock = sock
        self.socket_file = socket_file  # a Unix server's own file, removed when it stops
        self._wake, self._stop = socket.socketpair()
        serve = echo_server.serve_tcp if kind == "tcp" else echo_server.serve_udp
        self.served = 0
        self._thread = threading.Thread(target=self._run, args=(serve,), name=f"reference {kind} echo",
                                        daemon=True)
        self._thread.start()

    def _run(self, serve) -> None:
        try:
            self.served = serve(self.sock, self._stop)
        finally:
            self.sock.close()

    def stop(self) -> int:
        """Stop serving and close every socket of the server; how many sessions it had."""
        self._wake.send(b"x")
        self._thread.join(timeout=10)
        self._wake.close()
        self._stop.close()
        if self.socket_file is not None:
            try:
                os.unlink(self.socket_file)
            except FileNotFoundError:
                pass  # someone removed it already: nothing is left, which is what stopping owes
        return self.served
