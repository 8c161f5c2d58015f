"""Steps the readiness, flags and corner scenarios share (protocol 1.5)."""

from __future__ import annotations

from conformance.scenario import Run
from fixtures.endpoint import QUIET_WINDOW, Addr, Endpoint, Socket
from reference_impl.errors import UNSUPPORTED, OpError

FILL_LIMIT = 64 * 1024 * 1024
BLOCK = 256 * 1024


def outcome_of(operation, *args, **kwargs) -> str:
    """``"ok"`` or the error code of one operation (UNSUPPORTED propagates)."""
    try:
        operation(*args, **kwargs)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return "ok"


def fired(endpoint: Endpoint, sock: Socket, events: list[str], timeout: float | None = None) -> list[str] | str:
    """What one wait reports: the conditions that held, or its error code."""
    try:
        return endpoint.wait(sock, events, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def quiet(endpoint: Endpoint, sock: Socket, events: list[str]) -> list[str] | str:
    """What a wait over the quiet window reports ([] when nothing holds)."""
    return fired(endpoint, sock, events, QUIET_WINDOW)


def fill(endpoint: Endpoint, sock: Socket, **flags: bool) -> tuple[int, str]:
    """Send without waiting (``timeout: 0``, or the flags given, e.g. ``dontwait``) until the
    socket takes no more: the bytes taken and how it ended (``"EAGAIN"`` when full)."""
    block = bytes(BLOCK)
    sent, ending = 0, f"all {FILL_LIMIT // (1024 * 1024)} MiB taken"
    with endpoint.summarised("send without waiting until the socket takes no more"):
        while sent < FILL_LIMIT:
            try:
                sent += endpoint.send_flags(sock, block, 0 if not flags else 1.0, **flags) if flags \
                    else endpoint.send(sock, block, 0)
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                ending = exc.code
                break
    return sent, ending


def drain(endpoint: Endpoint, sock: Socket, size: int) -> int:
    """Receive ``size`` bytes (or what comes): how many arrived."""
    got = 0
    with endpoint.summarised(f"receive {size} bytes"):
        while got < size:
            try:
                chunk = endpoint.recv(sock, 4 * BLOCK)
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                break
            if not chunk:
                break
            got += len(chunk)
    return got


def about(seconds: float, expected: float, ceiling: float) -> str:
    """How long an operation took against the time it should have taken: ``"at once"``,
    ``"about the set time"`` (from 90 % of it up to ``ceiling``), or how long."""
    if seconds < 0.5 * expected:
        return "at once"
    if 0.9 * expected <= seconds <= ceiling:
        return "about the set time"
    return f"after {seconds:.2f} s (set {expected:g} s)"


def pending_connect(run: Run, endpoint: Endpoint, to: Addr, handle: Socket | None = None
                    ) -> tuple[str, Socket | None]:
    """A connect started without waiting: ``("pending", sock)``, ``("established", sock)`` or
    ``(error code, None)``."""
    try:
        sock, pending = endpoint.tcp_connect_pending(run.family, to, handle=handle)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, None
    return ("pending" if pending else "established"), sock
