"""Steps the stream scenarios share.

They never stop a scenario over lost or late bytes: what arrived is returned, so the check
that judges it fails with what came beside what the reference got.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from conformance.scenario import Run
from fixtures.endpoint import CHUNK, QUIET_WINDOW, Endpoint, Socket
from reference_impl.errors import UNSUPPORTED, OpError

NOTHING = ("EAGAIN", "ETIMEDOUT")  # a wait that ended with nothing (more) arriving


def check_keeps(run: Run, name: str, value: Any, keeps: Callable[[Any], bool], rule: str) -> bool:
    """Judge an observation by its rule alone: every value that keeps the rule is an allowed
    outcome, so one other than the reference's is an allowed divergence, not a failure
    (``satisfies=`` would also hold it to the reference's value; Java, for one, halves the
    buffer sizes Linux doubles)."""
    return run.check(name, value, allowed=[value] if keeps(value) else [], rule=rule)


def receive_up_to(endpoint: Endpoint, sock: Socket, size: int) -> bytes:
    """Receive ``size`` bytes, or what came before the stream ended or nothing more arrived
    within one operation's timeout."""
    with endpoint.summarised(f"receive {size} bytes"):
        return _receive_up_to(endpoint, sock, size)


def _receive_up_to(endpoint: Endpoint, sock: Socket, size: int) -> bytes:
    received = bytearray()
    while len(received) < size:
        try:
            chunk = endpoint.recv(sock, min(CHUNK, size - len(received)))
        except OpError as exc:
            if exc.code not in NOTHING:
                raise
            break
        if not chunk:
            break
        received += chunk
    return bytes(received)


def first_receive(endpoint: Endpoint, sock: Socket, max: int = CHUNK) -> tuple[str, bytes]:
    """One receive, waiting up to one operation's timeout: ``("data", bytes)``, ``("EOF", b"")``
    or ``(error code, b"")``."""
    try:
        data = endpoint.recv(sock, max)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, b""
    return ("data" if data else "EOF"), data


def sent_or_error(endpoint: Endpoint, sock: Socket, data: bytes) -> int | str:
    """What one send reports: the number of bytes it took, or its error code."""
    try:
        return endpoint.send(sock, data)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def timed_receive_outcome(endpoint: Endpoint, sock: Socket, timeout: float) -> str:
    """What a receive with ``timeout`` sees when nothing is queued: its outcome (``"data"``,
    ``"EOF"`` or the error code), with the time it took when it gave up well before its timeout."""
    started = time.monotonic()
    try:
        data = endpoint.recv(sock, 65536, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        outcome = exc.code
    else:
        return "data" if data else "EOF"
    waited = time.monotonic() - started
    # Timers may round a little; "at once" is far below 90 % of the timeout.
    return outcome if waited >= 0.9 * timeout else f"{outcome} after {waited:.3f} s of a {timeout:g} s timeout"


# A pumped transfer's piece: one an empty AF_UNIX socket takes whole (Linux's default send
# buffer, 212992 bytes, holds about 214 KB of a stream), and TCP's does too.
PIECE = 128 * 1024


def pumped_transfer(sender: Endpoint, outgoing: Socket, receiver: Endpoint, incoming: Socket,
                    data: bytes) -> bytes:
    """Move ``data`` across one connection, sending and receiving in turn; what arrived.

    One adapter process answers one request at a time, so a large transfer is pumped: send
    what the socket takes, receive what has arrived, repeat. Bytes reported sent that never
    arrive end it (after one operation's timeout) with what did.

    A library whose send writes a whole buffer or waits for its deadline (Go's Write) waits
    out the timeout whenever a piece is more than the socket takes, as nobody reads while it
    waits: 4 MiB in 256 KiB pieces over a Unix socket took Go 58 s. So the pieces are small
    enough for an empty socket, and a piece an empty socket took only in part (a smaller
    buffer) sets the size of the next ones.
    """
    received = bytearray()
    sent = 0
    piece = PIECE
    with sender.summarised(f"send {len(data)} bytes (pumped)"), \
            receiver.summarised(f"receive {len(data)} bytes (pumped)"):
        while len(received) < len(data):
            if sent < len(data):
                backlog = sent > len(received)
                offered = data[sent:sent + piece]
                try:
                    taken = sender.send(outgoing, offered, QUIET_WINDOW if backlog else None)
                except OpError as exc:
                    if exc.code != "ETIMEDOUT" or not backlog:
                        raise
                else:
                    sent += taken
                    if not backlog and 0 < taken < len(offered):
                        piece = taken
            if len(received) < sent:
                try:
                    chunk = receiver.recv(incoming, 4 * CHUNK)
                except OpError as exc:
                    if exc.code not in NOTHING:
                        raise
                    break
                if not chunk:
                    break
                received += chunk
    return bytes(received)


def stream_difference(received: bytes, expected: bytes) -> dict:
    """How the bytes that arrived differ from those expected: how many are missing (or extra,
    as a negative number) and the offset of the first wrong byte (None: every byte that came
    is right)."""
    return {"missing": len(expected) - len(received), "first wrong byte": _first_difference(received, expected)}


def _first_difference(received: bytes, expected: bytes, block: int = 65536) -> int | None:
    """The offset of the first byte that differs in the common length, or None. Blocks are
    compared whole first (in C), and only the block that differs is scanned byte by byte:
    a generator over 8 MiB took seconds per case."""
    common = min(len(received), len(expected))
    for start in range(0, common, block):
        end = min(start + block, common)
        ours, theirs = received[start:end], expected[start:end]
        if ours != theirs:
            return start + next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b)
    return None


def echo_in_turn(run: Run, sock: Socket, data: bytes, chunk: int) -> bytes:
    """Send ``data`` a chunk at a time, receiving each chunk's echo before sending the next;
    the echo that came (it ends early when a chunk's echo falls short)."""
    received = bytearray()
    sent = 0
    with run.client.summarised(f"send {len(data)} bytes and receive the echo, in turn"):
        while sent < len(data):
            sent += run.client.send(sock, data[sent:sent + chunk])
            received += _receive_up_to(run.client, sock, sent - len(received))
            if len(received) < sent:
                break
    return bytes(received)
