"""Faulty echo servers of the session area (TCP-SESSION-*): programs with one classic bug
(tests/faulty/programs/bad_echo.py), and adapters whose own server (serve.start) has one."""

from __future__ import annotations

import selectors
import socket
import threading

from reference_impl.engine import ReferenceAdapter

from .common import BadEcho


class _CrosstalkService:
    """An echo loop on a thread that sends each chunk to the newest session, not its own."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self._wake, self._stop = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="crosstalk echo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ)
        selector.register(self._stop, selectors.EVENT_READ)
        sessions: list[socket.socket] = []
        try:
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._stop:
                        return
                    if key.fileobj is self.listener:
                        conn, _ = self.listener.accept()
                        sessions.append(conn)
                        selector.register(conn, selectors.EVENT_READ)
                        continue
                    data = key.fileobj.recv(65536)
                    if data:
                        sessions[-1].sendall(data)  # the bug: the newest session, not this one
                    else:
                        selector.unregister(key.fileobj)
                        sessions.remove(key.fileobj)
                        key.fileobj.close()
        finally:
            for conn in sessions:
                conn.close()
            self.listener.close()
            selector.close()

    def stop(self) -> int:
        self._wake.send(b"x")
        self._thread.join(timeout=10)
        self._wake.close()
        self._stop.close()
        return 0


class ServesWithCrosstalk(ReferenceAdapter):
    """An adapter whose own echo server (serve.start kind=tcp) crosses its sessions' bytes."""

    def op_serve_start(self, args):
        result = super().op_serve_start(args)
        if args.get("kind", str) == "tcp":
            service = self._services[result["handle"]]
            service.stop()  # the reference's loop gives way to the faulty one, on a fresh listener
            family = socket.AF_INET6 if ":" in result["local"]["host"] else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((result["local"]["host"], 0))
            listener.listen(1024)
            self._services[result["handle"]] = _CrosstalkService(listener)
            result = {**result, "local": {"host": result["local"]["host"], "port": listener.getsockname()[1]}}
        return result


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-SESSION-001': {
        'what each client got back': BadEcho('crosstalk'),
    },
    'TCP-SESSION-002': {
        'what each client got back': BadEcho('crosstalk'),
    },
    'TCP-SESSION-003': {
        'what each client got back': BadEcho('crosstalk'),
    },
    'TCP-SESSION-004': {
        'what the third client got back': BadEcho('blocking'),
    },
    'TCP-SESSION-005': {
        'what the half-closed client got back': BadEcho('drops-tail'),
        'then end of stream': BadEcho('leaks'),
        'what the others got back': BadEcho('one-shot'),
    },
    'TCP-SESSION-006': {
        'what the others got back': BadEcho('fragile'),
    },
    'TCP-SESSION-007': {
        'what the others got back': BadEcho('one-shot'),
    },
    'TCP-SESSION-008': {
        'what each client got back': BadEcho('sequential'),
        'server-side sockets left in ESTABLISHED or CLOSE-WAIT': BadEcho('leaks'),
    },
    'TCP-SESSION-009': {
        'what the first session got back': BadEcho('framed'),
        'what the later session got back': BadEcho('stale'),
        'and nothing more': BadEcho('stale-late'),
    },
    'TCP-SESSION-010': {
        'the whole echo arrives': BadEcho('drops-tail'),
        'then end of stream': BadEcho('leaks'),
    },
    'TCP-SESSION-011': {
        'what each session got back': BadEcho('exhausts'),
    },
    'TCP-SESSION-012': {
        'what each client got back': ServesWithCrosstalk,
        "server-side sockets at the server's address, peer by peer": BadEcho('one-reply'),
    },
    'TCP-SESSION-013': {
        'the whole echo arrives': BadEcho('abandons-owed'),
        'then end of stream': BadEcho('leaks'),
    },
    'TCP-SESSION-014': {
        'what each client got after its half-close': BadEcho('drops-tail'),
    },
    'TCP-SESSION-015': {
        'what a new client got back': BadEcho('exhausts'),
    },
}
