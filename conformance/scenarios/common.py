"""Steps many scenarios share."""

from __future__ import annotations

import hashlib
import random
import time

from conformance.scenario import Run
from fixtures.endpoint import CHUNK, QUIET_WINDOW, Endpoint, Socket
from reference_impl.errors import UNSUPPORTED, OpError


def connect_pair(run: Run, server: Endpoint | None = None, client: Endpoint | None = None
                 ) -> tuple[Socket, Socket, Socket]:
    """Listener, client side and server side of one fresh loopback connection."""
    server = server or run.server
    client = client or run.client
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


def transfer(sender: Endpoint, outgoing: Socket, receiver: Endpoint, incoming: Socket, data: bytes) -> bytes:
    """Move ``data`` across one connection, sending and receiving in turn.

    One adapter process answers one request at a time, so a large transfer is pumped: send
    what the socket takes, receive what has arrived, repeat.
    """
    received = bytearray()
    sent = 0
    with sender.summarised(f"send {len(data)} bytes (pumped)"), \
            receiver.summarised(f"receive {len(data)} bytes (pumped)"):
        while len(received) < len(data):
            if sent < len(data):
                backlog = sent > len(received)
                try:
                    sent += sender.send(outgoing, data[sent:sent + CHUNK], QUIET_WINDOW if backlog else None)
                except OpError as exc:
                    if exc.code != "ETIMEDOUT" or not backlog:
                        raise
            if len(received) < sent:
                piece = receiver.recv(incoming, 4 * CHUNK)
                if not piece:
                    break
                received += piece
    return bytes(received)


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


# -- echo services (run.echo) ------------------------------------------------------------------

def echo_clients(run: Run, count: int) -> list[Socket]:
    """``count`` clients connected to the echo service."""
    with run.client.summarised(f"{count} clients connect to the echo service"):
        clients = [run.client.tcp_connect(run.family, run.echo.address) for _ in range(count)]
    run.echo.pump()
    return clients


def await_echo(run: Run, sock: Socket, size: int) -> bytes:
    """Receive ``size`` echoed bytes (fewer if the stream ends)."""
    received = bytearray()
    deadline = time.monotonic() + Endpoint.default_timeout
    while len(received) < size:
        try:
            chunk = run.client.recv(sock, size - len(received), Endpoint.default_timeout)
        except OpError as exc:
            if exc.code not in ("EAGAIN", "ETIMEDOUT") or time.monotonic() > deadline:
                raise
            run.echo.pump()
            continue
        if not chunk:
            break
        received += chunk
    return bytes(received)


def echo_in_turn(run: Run, sock: Socket, data: bytes, chunk: int) -> bytes:
    """Send ``data`` a chunk at a time, receiving each chunk's echo before sending the next."""
    received = bytearray()
    sent = 0
    with run.client.summarised(f"send {len(data)} bytes and receive the echo, in turn"):
        while sent < len(data):
            sent += run.client.send(sock, data[sent:sent + chunk])
            run.echo.pump()
            received += await_echo(run, sock, sent - len(received))
    return bytes(received)


def echo_outcome(run: Run, sock: Socket) -> str:
    """What a client sees next from the echo service: ``"data"``, ``"EOF"`` or an error code."""
    run.echo.pump()
    # The server works on its own time: a longer window than between two of our own sockets.
    return receive_outcome(run.client, sock, QUIET_WINDOW * 10)
