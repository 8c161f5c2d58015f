"""Steps many scenarios share."""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections import Counter
from dataclasses import dataclass

from conformance.scenario import Run
from fixtures.endpoint import CHUNK, QUIET_WINDOW, Datagram, Endpoint, Socket
from reference_impl.errors import UNSUPPORTED, OpError



def connect_pair(run: Run, server: Endpoint | None = None, client: Endpoint | None = None
                 ) -> tuple[Socket, Socket, Socket]:
    """Listener, client side and server side of one fresh loopback connection (over the
    family "unix", a Unix-domain stream connection to a listener in the case's directory)."""
    server = server or run.server
    client = client or run.client
    if run.family == "unix":
        listener = server.unix_listen("stream", run.unix_path(run.numbered("listener")))
        outgoing = client.unix_connect("stream", listener.local)
        return listener, outgoing, server.unix_accept(listener)
    listener = server.tcp_listen(run.family, run.host)
    outgoing = client.tcp_connect(run.family, run.addr(listener.local.port))
    incoming = server.tcp_accept(listener)
    return listener, outgoing, incoming


def payload(size: int, seed: int = 1) -> bytes:
    """Deterministic pseudo-random bytes: the same in the reference's and the target's run."""
    return random.Random(seed).randbytes(size)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def receive_outcome(endpoint: Endpoint, sock: Socket, timeout: float, max: int = 65536) -> str:
    """What one receive sees: ``"data"``, ``"EOF"`` or the error code."""
    try:
        data = endpoint.recv(sock, max, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return "data" if data else "EOF"


def received(endpoint: Endpoint, sock: Socket, size: int, timeout: float | None = None) -> bytes | str:
    """What a receive of ``size`` bytes gets: the bytes (fewer if the stream ends first), or
    the error code that cut it short; an observation to check, never a stop."""
    try:
        return endpoint.recv_exactly(sock, size, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def delivered(sender: Endpoint, outgoing: Socket, receiver: Endpoint, incoming: Socket, data: bytes) -> bytes | str:
    """What arrives of ``data`` sent one way over a connection: the bytes received, or the
    error code of the send or the receive that failed."""
    try:
        sender.send_all(outgoing, data)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return received(receiver, incoming, len(data))


MAX_DATAGRAM = {"ipv4": 65507, "ipv6": 65527}  # 65535 less the IPv4+UDP / UDP headers


def datagram_pair(run: Run) -> tuple[Socket, Socket]:
    """A bound datagram socket in the sender's seat and one in the receiver's."""
    sender = run.sender.udp_bind(run.family, run.host)
    receiver = run.receiver.udp_bind(run.family, run.host)
    return sender, receiver


def datagram_outcome(endpoint: Endpoint, sock: Socket, timeout: float, max: int = 65536) -> str:
    """What one datagram receive sees: ``"datagram"`` or the error code."""
    try:
        endpoint.recvfrom(sock, max, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return "datagram"


def receive_datagram(endpoint: Endpoint, sock: Socket, max: int = 65536, timeout: float | None = None
                     ) -> Datagram | None:
    """The next datagram, or None if none arrives in time."""
    try:
        return endpoint.recvfrom(sock, max, timeout)
    except OpError as exc:
        if exc.code not in ("EAGAIN", "ETIMEDOUT"):
            raise
        return None


def datagram_received(got: Datagram | None, sent: bytes) -> str:
    """What became of a datagram, in words: ``"whole"``, ``"nothing came back"``, ``"cut to
    N bytes"`` or ``"N other bytes"`` (and ``", marked truncated"`` if the receive said so)."""
    if got is None:
        return "nothing came back"
    if got.data == sent:
        what = "whole"
    elif sent.startswith(got.data):
        what = f"cut to {len(got.data)} bytes"
    else:
        what = f"{len(got.data)} other bytes"
    return what + (", marked truncated" if got.truncated else "")


# -- echo services (run.echo) ------------------------------------------------------------------
# The server serves by itself (a program, or the target's own serve.start): clients only send
# and wait. What a client got back is recorded as an observation, never raised, so a broken
# server fails the check that judges it, with what each client saw as the evidence.

NOTHING = ("EAGAIN", "ETIMEDOUT")  # a wait that ended with nothing (more) arriving


def echo_client(run: Run) -> Socket:
    """A new client of the echo service: TCP, or Unix-domain stream over the family "unix"."""
    if run.family == "unix":
        return run.client.unix_connect("stream", run.echo.address)
    return run.client.tcp_connect(run.family, run.echo.address)


def echo_clients(run: Run, count: int) -> list[Socket]:
    """``count`` clients connected to the echo service."""
    with run.client.summarised(f"{count} clients connect to the echo service"):
        return [echo_client(run) for _ in range(count)]


@dataclass(frozen=True)
class Echo:
    """What one client got back: its bytes, and how the wait ended (``"complete"`` when
    ``size`` bytes came, else ``"EOF"``, ``"nothing"`` or the error code)."""
    data: bytes
    ending: str


def receive_echo(run: Run, sock: Socket, size: int, deadline: float | None = None) -> Echo:
    """Wait for ``size`` bytes of echo until ``deadline`` (default: one operation's timeout)."""
    deadline = time.monotonic() + Endpoint.default_timeout if deadline is None else deadline
    received = bytearray()
    while len(received) < size:
        try:
            chunk = run.client.recv(sock, min(CHUNK, size - len(received)),
                                    max(0.0, deadline - time.monotonic()))
        except OpError as exc:
            if exc.code == UNSUPPORTED:
                raise
            return Echo(bytes(received), "nothing" if exc.code in NOTHING else exc.code)
        if not chunk:
            return Echo(bytes(received), "EOF")
        received += chunk
    return Echo(bytes(received), "complete")


_ENDINGS = {"EOF": "closed", "ECONNRESET": "reset", "nothing": "nothing"}


def what_came_back(echo: Echo, own: bytes, others: list[bytes] | tuple[bytes, ...] = (), who: str = "client") -> str:
    """In words: ``"ok"``, ``"nothing"``, ``"reset"``, ``"closed"``, ``"got client 3's bytes"``,
    ``"short by 5 bytes, then closed"``, or the bytes that came instead of its own."""
    data, ended = echo.data, _ENDINGS.get(echo.ending, echo.ending)
    if data == own:
        return "ok"
    if not data:
        return ended
    for index, other in enumerate(others):
        shared = min(len(data), len(other))
        if other != own and data[:shared] == other[:shared]:
            return f"got {who} {index}'s bytes"
    if own.startswith(data):
        return f"short by {len(own) - len(data)} bytes" + ("" if ended == "complete" else f", then {ended}")
    return f"other bytes: {data[:24]!r}" + ("…" if len(data) > 24 else "")


def outcome_summary(outcomes: list[str], who: str = "client", shown: int = 3) -> str:
    """Many clients' outcomes in one line: counts per outcome, then the first few that went wrong.

    ``all 500 ok``, or ``497 ok, 2 nothing, 1 got another client's bytes; client 3: nothing; …``
    """
    wrong = [(index, outcome) for index, outcome in enumerate(outcomes) if outcome != "ok"]
    if not wrong:
        return f"all {len(outcomes)} ok"
    kinds = Counter(re.sub(r"(client|datagram) \d+'s", r"another \1's", re.sub(r"\d+ bytes", "N bytes", outcome))
                    for outcome in outcomes)
    counts = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    first = "; ".join(f"{who} {index}: {outcome}" for index, outcome in wrong[:shown])
    return f"{counts}; {first}" + ("; …" if len(wrong) > shown else "")


def send_message(run: Run, sock: Socket, message: bytes, deadline: float | None = None) -> str:
    """Send a whole message (by ``deadline``, if given): ``"ok"``, or how sending it failed
    (the server may be gone, or have stopped reading)."""
    try:
        run.client.send_all(sock, message, None if deadline is None else max(0.0, deadline - time.monotonic()))
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return f"send failed: {exc.code}"
    return "ok"


def echo_round(run: Run, clients: list[Socket], messages: list[bytes], label: str) -> list[str]:
    """Every client sends its message, then every client waits for its echo; what each got back.

    The wait has a progress deadline: one timeout from the last echo that came whole. A server
    that stops costs one timeout, not one per client (the clients after it find the deadline
    passed), and a server that keeps serving is never cut off because a loaded machine made
    500 echoes take longer than one timeout: the rule is about whose bytes come back, not
    how fast. The wait stays bounded: at most one timeout per client."""
    with run.client.summarised(f"{label}: {len(clients)} clients send"):
        outcomes = [send_message(run, client, message) for client, message in zip(clients, messages)]
    deadline = time.monotonic() + Endpoint.default_timeout
    with run.client.summarised(f"{label}: each client waits for its echo"):
        for index, (client, message) in enumerate(zip(clients, messages)):
            if outcomes[index] == "ok":
                echo = receive_echo(run, client, len(message), deadline)
                outcomes[index] = what_came_back(echo, message, messages)
                if echo.ending == "complete":
                    deadline = time.monotonic() + Endpoint.default_timeout
    return outcomes


def await_echo(run: Run, sock: Socket, size: int) -> bytes:
    """Receive ``size`` echoed bytes (fewer if the stream ends); ETIMEDOUT if they never come."""
    echo = receive_echo(run, sock, size)
    if echo.ending not in ("complete", "EOF"):
        code = "ETIMEDOUT" if echo.ending == "nothing" else echo.ending
        raise OpError(code, f"{size - len(echo.data)} of {size} echoed bytes never came")
    return echo.data


def echo_in_turn(run: Run, sock: Socket, data: bytes, chunk: int) -> bytes:
    """Send ``data`` a chunk at a time, receiving each chunk's echo before sending the next."""
    received = bytearray()
    sent = 0
    with run.client.summarised(f"send {len(data)} bytes and receive the echo, in turn"):
        while sent < len(data):
            sent += run.client.send(sock, data[sent:sent + chunk])
            received += await_echo(run, sock, sent - len(received))
    return bytes(received)


def echo_outcome(run: Run, sock: Socket) -> str:
    """What a client sees next from the echo service: ``"data"``, ``"EOF"`` or an error code."""
    # The server works on its own time: a longer window than between two of our own sockets.
    return receive_outcome(run.client, sock, QUIET_WINDOW * 10)
