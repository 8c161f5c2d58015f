"""What a server owes each client: its own session, its own bytes, whatever the others do.

The server is the echo service: an echo-server program (tcp-echo:), or the target adapter
serving echo with its own library's server model (serve.start). Each check judges what the
clients observed (their bytes, a reset, nothing, someone else's bytes), so a broken server
shows as a failed check with that evidence, never as a stopped scenario.
"""

import time

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import (CHUNK, Echo, echo_client, echo_clients, echo_outcome, echo_round, outcome_summary,
                                          payload, receive_echo, send_message, what_came_back)
from fixtures.endpoint import Endpoint
from reference_impl.errors import UNSUPPORTED, OpError

MIB = 1024 * 1024
EVERY_CLIENT = "every client gets exactly its own bytes back"


def interleaved_sessions(run, count: int, rounds: int) -> str:
    """Every client sends its own message each round, then all wait for their echo.
    A client that went wrong keeps its first wrong outcome and sits out later rounds."""
    clients = echo_clients(run, count)
    outcomes = ["ok"] * count
    for round_ in range(rounds):
        active = [index for index in range(count) if outcomes[index] == "ok"]
        messages = [b"session %04d round %d %s" % (i, round_, b"x" * (i % 7)) for i in active]
        for index, outcome in zip(active, echo_round(run, [clients[i] for i in active], messages, f"round {round_}")):
            outcomes[index] = outcome if outcome == "ok" else _renumbered(outcome, active)
    return outcome_summary(outcomes)


def _renumbered(outcome: str, active: list[int]) -> str:
    """Outcomes name clients by their place in the round; name them by their own number."""
    if outcome.startswith("got client "):
        place = int(outcome.split()[2].removesuffix("'s"))
        return f"got client {active[place]}'s bytes"
    return outcome


@behaviour("TCP-SESSION-001", echo="tcp", families=WITH_UNIX)
def test_two_sessions(run):
    run.check("what each client got back", interleaved_sessions(run, 2, rounds=10), equals="all 2 ok",
              rule=EVERY_CLIENT)


@behaviour("TCP-SESSION-002", echo="tcp", families=WITH_UNIX)
def test_64_sessions(run):
    run.check("what each client got back", interleaved_sessions(run, 64, rounds=3), equals="all 64 ok",
              rule=EVERY_CLIENT)


@behaviour("TCP-SESSION-003", echo="tcp", families=WITH_UNIX)
def test_500_sessions(run):
    run.check("what each client got back", interleaved_sessions(run, 500, rounds=1), equals="all 500 ok",
              rule=EVERY_CLIENT)


def served_now(run, clients, tag: bytes) -> str:
    """Each client sends a message of its own and waits for it: what each got back."""
    return outcome_summary(echo_round(run, clients, [tag + b" %d" % i for i in range(len(clients))], tag.decode()))


@behaviour("TCP-SESSION-004", echo="tcp", families=WITH_UNIX)
def test_silent_or_slow_session_does_not_stall_others(run):
    silent, slow, active = echo_clients(run, 3)
    block = payload(256 * 1024, seed=40)
    sent, limit = 0, 64 * MIB
    with run.client.summarised("the slow client sends until blocked, and never reads"):
        while sent < limit:
            try:
                sent += run.client.send(slow, block, 0.1)
            except OpError as exc:
                if exc.code == UNSUPPORTED:
                    raise
                break  # blocked (ETIMEDOUT): the server has rightly stopped taking its bytes
    (outcome,) = echo_round(run, [active], [b"still here"], "the third client")
    run.check("what the third client got back", outcome, equals="ok",
              rule="the third client is served while the others are silent or blocked")


@behaviour("TCP-SESSION-005", echo="tcp", families=WITH_UNIX)
def test_half_close_leaves_others_untouched(run):
    closing, *others = echo_clients(run, 3)
    last_words = b"last words"
    send_message(run, closing, last_words)
    run.outcome(run.client.shutdown, closing, "write")
    run.check("what the half-closed client got back", what_came_back(receive_echo(run, closing, 10), last_words),
              equals="ok")
    run.check("then end of stream", echo_outcome(run, closing), equals="EOF")
    run.check("what the others got back", served_now(run, others, b"others"), equals="all 2 ok",
              rule="the others are still served")


@behaviour("TCP-SESSION-006", echo="tcp", families=WITH_UNIX)
def test_reset_leaves_others_untouched(run):
    resetting, *others = echo_clients(run, 3)
    send_message(run, resetting, b"about to vanish")
    run.client.abort(resetting)
    run.check("what the others got back", served_now(run, others, b"after a reset"), equals="all 2 ok",
              rule="the others are still served")


@behaviour("TCP-SESSION-007", echo="tcp", families=WITH_UNIX)
def test_disappearance_leaves_others_untouched(run):
    leaving, *others = echo_clients(run, 3)
    send_message(run, leaving, payload(64 * 1024, seed=41))
    run.client.close(leaving)
    run.check("what the others got back", served_now(run, others, b"after a disappearance"), equals="all 2 ok",
              rule="the others are still served")


@behaviour("TCP-SESSION-008", echo="tcp", families=WITH_UNIX)
def test_server_keeps_nothing_of_finished_sessions(run):
    clients = echo_clients(run, 5)
    run.check("what each client got back", served_now(run, clients, b"bye"), equals="all 5 ok",
              rule=EVERY_CLIENT)
    for client in clients:
        run.client.close(client)

    def left_over() -> list[str]:
        if run.family == "unix":  # no CLOSE-WAIT here: a session's socket is connected until closed
            sessions = run.unix_connections(run.echo.address)
            return [f"{sessions} connected socket(s) at the server's name"] if sessions else []
        return [f"client {index}: {state}" for index, client in enumerate(clients)
                for state in run.tcp_states(client.peer, client.local) if state in ("ESTAB", "CLOSE-WAIT")]
    run.eventually(lambda: not left_over())
    run.check("server-side sockets left in ESTABLISHED or CLOSE-WAIT", left_over() or "none", equals="none")


@behaviour("TCP-SESSION-009", echo="tcp", families=WITH_UNIX)
def test_ended_session_data_never_reaches_a_later_one(run):
    (first,) = echo_clients(run, 1)
    secret = b"first session's secret"
    send_message(run, first, secret)
    run.check("what the first session got back", what_came_back(receive_echo(run, first, len(secret)), secret),
              equals="ok")
    run.client.close(first)
    (later,) = echo_clients(run, 1)
    send_message(run, later, b"later")
    run.check("what the later session got back",
              what_came_back(receive_echo(run, later, 5), b"later", [secret], who="session"), equals="ok")
    run.check("and nothing more", echo_outcome(run, later), equals="ETIMEDOUT")


def send_in_turns_then_half_close(run, client, data: bytes, turn: int) -> bytes:
    """Send ``data`` a turn at a time, receiving each turn's echo before sending the next;
    the half-close follows the last turn at once, so its echo is still owed. Returns the
    echo received before the half-close."""
    received = bytearray()
    turns = [data[start:start + turn] for start in range(0, len(data), turn)]
    with run.client.summarised(f"send {len(data)} bytes in {turn}-byte turns, each echoed but the last"):
        for chunk in turns:
            if send_message(run, client, chunk) != "ok" or chunk is turns[-1]:
                break
            echo = receive_echo(run, client, len(chunk))
            received += echo.data
            if echo.ending != "complete":
                break  # the server stopped echoing: judged by what came back
    half_close(run, client, len(data) - len(received))
    return bytes(received)


def send_flat_out_then_half_close(run, client, data: bytes) -> bytes:
    """Send ``data`` as fast as the server takes it, reading the echo only while the send is
    blocked, and half-close right after the last byte: megabytes of echo may then be owed.
    Returns the echo received before the half-close."""
    received, sent = bytearray(), 0
    with run.client.summarised(f"send {len(data)} bytes, reading the echo only while blocked"):
        while sent < len(data):
            owed = sent - len(received)
            try:  # while echo is owed, never wait on a send: read instead
                sent += run.client.send(client, data[sent:sent + CHUNK], 0 if owed else None)
                continue
            except OpError as exc:
                if exc.code != "EAGAIN":
                    break  # the server stopped reading, or went away: judged by what came back
            echo = receive_echo(run, client, min(4 * CHUNK, owed))
            received += echo.data
            if echo.ending != "complete":
                break
    half_close(run, client, sent - len(received))
    return bytes(received)


def half_close(run, client, owed: int) -> None:
    run.outcome(run.client.shutdown, client, "write")
    run.trace.add_op("client", f"(half-closed with {owed} bytes of echo owed)")


def rest_of_echo(run, client, data: bytes, received: bytes) -> str:
    """Wait for the rest of the echo (a generous deadline: megabytes may be owed)."""
    deadline = time.monotonic() + 2 * Endpoint.default_timeout
    rest = receive_echo(run, client, len(data) - len(received), deadline)
    return what_came_back(Echo(received + rest.data, rest.ending), data)


@behaviour("TCP-SESSION-010", echo="tcp", families=WITH_UNIX)
def test_echo_server_flushes_before_closing(run):
    (client,) = echo_clients(run, 1)
    data = payload(MIB, seed=42)
    received = send_in_turns_then_half_close(run, client, data, 64 * 1024)
    run.check("the whole echo arrives", rest_of_echo(run, client, data, received), equals="ok")
    run.check("then end of stream", echo_outcome(run, client), equals="EOF")


@behaviour("TCP-SESSION-011", echo="tcp", families=WITH_UNIX)
def test_sessions_one_after_another(run):
    outcomes = []
    with run.client.summarised("100 sessions, one after another: connect, echo, close"):
        for index in range(100):
            (client,) = echo_clients(run, 1)
            message = b"short session %03d" % index
            sent = send_message(run, client, message)
            outcomes.append(sent if sent != "ok" else what_came_back(receive_echo(run, client, len(message)), message))
            run.client.close(client)
            if outcomes[-1] != "ok":
                break  # the server is used up: later sessions would only repeat this
    run.check("what each session got back", outcome_summary(outcomes, "session"), equals="all 100 ok",
              rule="every session gets its echo")


@behaviour("TCP-SESSION-012", echo="tcp")
def test_each_session_has_its_own_four_tuple(run):
    clients = echo_clients(run, 8)
    run.check("what each client got back", served_now(run, clients, b"tuple"), equals="all 8 ok", rule=EVERY_CLIENT)
    server_sides = [run.tcp_states(c.peer, c.local) for c in clients]
    run.check("server-side sockets at the server's address, peer by peer",
              outcome_summary(["ok" if states == ["ESTAB"] else f"{states or 'none'}" for states in server_sides]),
              equals="all 8 ok", rule="exactly one ESTABLISHED server-side socket per client")


@behaviour("TCP-SESSION-013", echo="tcp")
def test_large_echo_owed_at_half_close_is_delivered(run):
    # The kernel takes megabytes of echo off the server's hands (a send buffer grows to 4 MiB
    # on Linux): a small receive buffer and 8 MiB leave megabytes of it the server's own to send
    # when the client half-closes.
    client = run.client.tcp_connect(run.family, run.echo.address, options={"rcvbuf": 64 * 1024})
    data = payload(8 * MIB, seed=43)
    received = send_flat_out_then_half_close(run, client, data)
    run.check("the whole echo arrives", rest_of_echo(run, client, data, received), equals="ok")
    run.check("then end of stream", echo_outcome(run, client), equals="EOF")


@behaviour("TCP-SESSION-014", echo="tcp", families=WITH_UNIX)
def test_many_clients_half_close_at_once(run):
    clients = echo_clients(run, 32)
    messages = [payload(128 * 1024, seed=100 + index) for index in range(len(clients))]
    deadline = time.monotonic() + 2 * Endpoint.default_timeout
    with run.client.summarised("32 clients each send 128 KiB, then all half-close"):
        outcomes = [send_message(run, client, message, deadline) for client, message in zip(clients, messages)]
        for client in clients:
            run.outcome(run.client.shutdown, client, "write")
    deadline = time.monotonic() + 2 * Endpoint.default_timeout
    with run.client.summarised("each client waits for its whole echo, then end of stream"):
        for index, (client, message) in enumerate(zip(clients, messages)):
            if outcomes[index] == "ok":
                outcomes[index] = echo_then_end(run, client, message, deadline)
                if outcomes[index] == "ok":  # progress: the next client's wait starts afresh
                    deadline = time.monotonic() + 2 * Endpoint.default_timeout
    run.check("what each client got after its half-close", outcome_summary(outcomes), equals="all 32 ok",
              rule="each client gets its whole echo, then end of stream")


def echo_then_end(run, client, message: bytes, deadline: float) -> str:
    echo = receive_echo(run, client, len(message) + 1, deadline)  # one more: the end must come next
    if echo.data == message and echo.ending == "EOF":
        return "ok"
    if echo.data == message:
        return {"nothing": "whole echo, but no end of stream"}.get(echo.ending, f"whole echo, then {echo.ending}")
    return what_came_back(echo, message)


@behaviour("TCP-SESSION-015", echo="tcp", families=WITH_UNIX)
def test_clients_that_vanish_at_once_do_not_use_the_server_up(run):
    with run.client.summarised("200 clients connect and reset at once"):
        for _ in range(200):
            run.client.abort(echo_client(run))
    with run.client.summarised("200 more connect and close at once"):
        for _ in range(200):
            run.client.close(echo_client(run))
    (outcome,) = echo_round(run, echo_clients(run, 1), [b"anyone there?"], "a new client")
    run.check("what a new client got back", outcome, equals="ok", rule="a client arriving afterwards is served")
