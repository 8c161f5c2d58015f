"""Steps the passive-socket scenarios share: connections made and accepted as observations."""

from __future__ import annotations

from conformance.scenario import Run
from fixtures.endpoint import Socket
from reference_impl.errors import UNSUPPORTED, OpError


def connect_outcome(run: Run, listener: Socket) -> tuple[str, Socket | None]:
    """A client connects to the listener: ``"ok"`` and its socket, or the error code."""
    try:
        return "ok", run.client.tcp_connect(run.family, listener.local)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, None


def new_connection(run: Run, listener: Socket, timeout: float | None = None
                   ) -> tuple[str, Socket | None, Socket | None]:
    """A client connects to the listener and the server accepts it: ``"ok"`` or the first
    error code (a refused connect, an accept that finds nothing), and both ends if made."""
    outcome, client = connect_outcome(run, listener)
    if client is None:
        return outcome, None, None
    try:
        return "ok", client, run.server.tcp_accept(listener, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, client, None


def listen_outcome(run: Run, port: int, options: dict) -> Socket | str:
    """A listener on this run's host and ``port``, or the error code of the attempt."""
    try:
        return run.server.tcp_listen(run.family, run.host, port, options=options)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def clients(run: Run, listener: Socket, count: int) -> list[Socket]:
    with run.client.summarised(f"{count} clients connect"):
        return [run.client.tcp_connect(run.family, listener.local) for _ in range(count)]


def accept_all(run: Run, listener: Socket, count: int) -> list[Socket]:
    """Up to ``count`` accepted sockets: accepting stops at the first that fails."""
    accepted = []
    try:
        with run.server.summarised(f"accept {count} connections"):
            for _ in range(count):
                accepted.append(run.server.tcp_accept(listener))
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
    return accepted
