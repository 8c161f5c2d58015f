"""Pending connects that are closed or time out, a full accept queue, and a read side shut
down with data queued (issue 13, phase 2)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import delivered
from conformance.scenarios.readiness.steps import fired, pending_connect, quiet
from reference_impl.errors import UNSUPPORTED, OpError

# Past the first SYN retransmission (Linux: 1 s after the SYN), so that a connect that was not
# really abandoned has had its chance to complete once the listener's queue has room again.
ABANDONED_WINDOW = 2.5
# A pending connect completes at one of its SYN's retransmissions (1 s, 3 s, 7 s after the SYN).
COMPLETION_WINDOW = 10.0


def _full_listener(run):
    """A reference listener with backlog 0 whose accept queue is already full: one connection
    waits in it, so further SYNs are dropped (Linux does not refuse them)."""
    listener = run.server.tcp_listen(run.family, run.host, backlog=0)
    to = run.addr(listener.local.port)
    run.server.tcp_connect(run.family, to)
    return listener, to


def _next_accepted(run, listener, timeout):
    """What the listener accepts within ``timeout``: ``"nothing"`` or the peer's address."""
    try:
        return run.server.tcp_accept(listener, timeout).peer
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return "nothing" if exc.code in ("ETIMEDOUT", "EAGAIN") else exc.code


@behaviour("TCP-CORNER-009", seats=("client",))
def test_closing_a_pending_connect(run):
    listener, to = _full_listener(run)
    state, sock = pending_connect(run, run.client, to)
    run.check("a connect started without waiting, the listener's queue full", state, equals="pending")
    if sock is None:
        return
    run.check("closing it while it is pending", run.outcome(run.client.close, sock), equals="ok")
    run.check("a send on the closed handle", run.outcome(run.client.send, sock, b"x"), equals="EBADF")
    run.server.tcp_accept(listener)  # the connection ahead of it: the queue has room again
    run.check(f"what the listener accepts next, within {ABANDONED_WINDOW} s",
              _next_accepted(run, listener, ABANDONED_WINDOW), equals="nothing")


@behaviour("TCP-CORNER-010", seats=("client",))
def test_a_connect_to_a_full_queue_times_out(run):
    listener, to = _full_listener(run)
    run.check("a connect with a 0.5 s timeout, the listener's queue full",
              run.outcome(run.client.tcp_connect, run.family, to, timeout=0.5), equals="ETIMEDOUT")
    run.server.tcp_accept(listener)  # the connection ahead of it: the queue has room again
    run.check(f"what the listener accepts next, within {ABANDONED_WINDOW} s",
              _next_accepted(run, listener, ABANDONED_WINDOW), equals="nothing")


@behaviour("TCP-CORNER-011", seats=("client",))
def test_a_connect_beyond_the_backlog_waits(run):
    listener, to = _full_listener(run)
    state, sock = pending_connect(run, run.client, to)
    run.check("a connect started without waiting, the listener's queue full", state, equals="pending")
    if sock is None:
        return
    # A refused connect would be writable at once, with its error shown.
    run.check("readiness to write while the queue is full", quiet(run.client, sock, ["write"]), equals=[])
    run.server.tcp_accept(listener)  # the connection ahead of it: the queue has room again
    run.check(f"readiness to write once the listener made room, within {COMPLETION_WINDOW:g} s",
              fired(run.client, sock, ["write"], COMPLETION_WINDOW), equals=["write"],
              rule="must be ['write']: connected, no error shown")
    try:
        local = run.client.local_address(sock)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        local = exc.code
    run.check("the connection the listener accepts next, and the connected socket's own address",
              (_next_accepted(run, listener, COMPLETION_WINDOW), local),
              satisfies=lambda pair: pair[0] == pair[1] and pair[0] != "nothing",
              rule="the listener accepts it from the address the socket reports")


def _until_end(endpoint, sock, limit=8):
    """Receive until end of stream or an error (at most ``limit`` receives): the bytes, and how it ended."""
    got = bytearray()
    with endpoint.summarised("receive until end of stream"):
        for _ in range(limit):
            try:
                chunk = endpoint.recv(sock, 1024)
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                return bytes(got), exc.code
            if not chunk:
                return bytes(got), "EOF"
            got += chunk
    return bytes(got), "still data"


@behaviour("TCP-CORNER-012", seats=("client",))
def test_shutting_down_the_read_side_with_data_queued(run):
    listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    server = run.server.tcp_accept(listener)
    run.server.send_all(server, b"queued")
    run.check("readiness once the peer's bytes are queued", fired(run.client, client, ["read"]), equals=["read"])
    run.client.shutdown(client, "read")
    run.check("what receives return after shutdown(SHUT_RD)", _until_end(run.client, client),
              equals=(b"queued", "EOF"))
    sent = run.outcome(run.server.send_all, server, b"more")
    run.check("the peer's send after the shutdown, then what the peer receives from the shut-down side",
              (sent, delivered(run.client, client, run.server, server, b"reply")), equals=("ok", b"reply"))
