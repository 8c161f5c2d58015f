"""What a server owes each client: its own session, its own bytes, whatever the others do.

The server is the echo service: an echo-server program (tcp-echo:), or the target adapter
serving echo with its own library's server model (serve.start).
"""

from conformance.scenario import behaviour
from conformance.scenarios.common import await_echo, echo_clients, echo_in_turn, echo_outcome, payload
from reference_impl.errors import OpError

MIB = 1024 * 1024


def interleaved_sessions(run, count: int, rounds: int) -> int:
    """Every client sends its own message each round; returns how many echoes came back wrong."""
    clients = echo_clients(run, count)
    wrong = 0
    for round_ in range(rounds):
        messages = [b"session %04d round %d %s" % (i, round_, b"x" * (i % 7)) for i in range(count)]
        with run.client.summarised(f"round {round_}: {count} clients send"):
            for client, message in zip(clients, messages):
                run.client.send_all(client, message)
        run.echo.pump()
        with run.client.summarised(f"round {round_}: {count} clients receive their echo"):
            for client, message in zip(clients, messages):
                wrong += await_echo(run, client, len(message)) != message
    return wrong


@behaviour("TCP-SESSION-001", echo="tcp")
def test_two_sessions(run):
    run.check("echoes that were wrong or crossed", interleaved_sessions(run, 2, rounds=10), equals=0)


@behaviour("TCP-SESSION-002", echo="tcp")
def test_64_sessions(run):
    run.check("echoes that were wrong or crossed", interleaved_sessions(run, 64, rounds=3), equals=0)


@behaviour("TCP-SESSION-003", echo="tcp")
def test_500_sessions(run):
    run.check("echoes that were wrong or crossed", interleaved_sessions(run, 500, rounds=1), equals=0)


def still_served(run, clients, tag: bytes) -> bool:
    for index, client in enumerate(clients):
        message = tag + b" %d" % index
        run.client.send_all(client, message)
    run.echo.pump()
    return all(await_echo(run, c, len(tag) + len(b" %d" % i)) == tag + b" %d" % i for i, c in enumerate(clients))


@behaviour("TCP-SESSION-004", echo="tcp")
def test_silent_or_slow_session_does_not_stall_others(run):
    silent, slow, active = echo_clients(run, 3)
    block = payload(256 * 1024, seed=40)
    sent, limit = 0, 64 * MIB
    with run.client.summarised("the slow client sends until blocked, and never reads"):
        while sent < limit:
            run.echo.pump()
            try:
                sent += run.client.send(slow, block, 0.1)
            except OpError as exc:
                if exc.code != "ETIMEDOUT":
                    raise
                break  # the server has rightly stopped taking its bytes
    run.check("the third client is still served", still_served(run, [active], b"still here"), equals=True)


@behaviour("TCP-SESSION-005", echo="tcp")
def test_half_close_leaves_others_untouched(run):
    closing, *others = echo_clients(run, 3)
    run.client.send_all(closing, b"last words")
    run.client.shutdown(closing, "write")
    run.echo.pump()
    run.check("the half-closed client gets its whole echo", await_echo(run, closing, 10), equals=b"last words")
    run.check("then end of stream", echo_outcome(run, closing), equals="EOF")
    run.check("the others are still served", still_served(run, others, b"others"), equals=True)


@behaviour("TCP-SESSION-006", echo="tcp")
def test_reset_leaves_others_untouched(run):
    resetting, *others = echo_clients(run, 3)
    run.client.send_all(resetting, b"about to vanish")
    run.client.abort(resetting)
    run.echo.pump()
    run.check("the others are still served", still_served(run, others, b"after a reset"), equals=True)


@behaviour("TCP-SESSION-007", echo="tcp")
def test_disappearance_leaves_others_untouched(run):
    leaving, *others = echo_clients(run, 3)
    run.client.send_all(leaving, payload(64 * 1024, seed=41))
    run.client.close(leaving)
    run.echo.pump()
    run.check("the others are still served", still_served(run, others, b"after a disappearance"), equals=True)


@behaviour("TCP-SESSION-008", echo="tcp")
def test_server_keeps_nothing_of_finished_sessions(run):
    clients = echo_clients(run, 5)
    run.check("all served", still_served(run, clients, b"bye"), equals=True)
    for client in clients:
        run.client.close(client)

    def nothing_left() -> bool:
        run.echo.pump()
        return not any(state in ("ESTAB", "CLOSE-WAIT")
                       for c in clients for state in run.tcp_states(c.peer, c.local))
    run.check("no server-side socket left in ESTABLISHED or CLOSE-WAIT", run.eventually(nothing_left),
              equals=True)


@behaviour("TCP-SESSION-009", echo="tcp")
def test_ended_session_data_never_reaches_a_later_one(run):
    (first,) = echo_clients(run, 1)
    secret = b"first session's secret"
    run.client.send_all(first, secret)
    run.echo.pump()
    run.check("the first session is served", await_echo(run, first, len(secret)), equals=secret)
    run.client.close(first)
    run.echo.pump()
    (later,) = echo_clients(run, 1)
    run.client.send_all(later, b"later")
    run.echo.pump()
    run.check("the later session gets only its own bytes", await_echo(run, later, 5), equals=b"later")
    run.check("and nothing more", echo_outcome(run, later), equals="ETIMEDOUT")


@behaviour("TCP-SESSION-010", echo="tcp")
def test_echo_server_flushes_before_closing(run):
    (client,) = echo_clients(run, 1)
    data = payload(MIB, seed=42)
    received = echo_in_turn(run, client, data, 64 * 1024)
    run.client.shutdown(client, "write")
    received += await_echo(run, client, len(data) - len(received))
    run.check("the whole echo arrives", received, equals=data)
    run.check("then end of stream", echo_outcome(run, client), equals="EOF")


@behaviour("TCP-SESSION-011", echo="tcp")
def test_sessions_one_after_another(run):
    wrong = 0
    with run.client.summarised("100 sessions, one after another"):
        for index in range(100):
            (client,) = echo_clients(run, 1)
            message = b"short session %03d" % index
            run.client.send_all(client, message)
            run.echo.pump()
            wrong += await_echo(run, client, len(message)) != message
            run.client.close(client)
            run.echo.pump()
    run.check("sessions not served correctly", wrong, equals=0)


@behaviour("TCP-SESSION-012", echo="tcp")
def test_each_session_has_its_own_four_tuple(run):
    clients = echo_clients(run, 8)
    run.check("all served", still_served(run, clients, b"tuple"), equals=True)
    server_sides = [run.tcp_states(c.peer, c.local) for c in clients]
    run.check("one established server-side socket per client, at the server's address",
              server_sides, equals=[["ESTAB"]] * 8)
