"""Datagram echo servers (udp-echo: programs, or the target serving echo itself).

What comes back is recorded as observed (the datagram, whole or cut, someone else's, or
nothing), so a broken server fails the check that judges it, never stops the scenario.
UDP may drop a datagram when a buffer is full: bursts that must all come back are kept
well inside a default receive buffer, and larger ones are judged only on what does.

Over the family "unix" the same scenarios judge a Unix-domain datagram echo server
(unixgram-echo: programs, or serve.start kind "unixgram"); each client binds a name of its
own in the case's directory, since an unnamed sender could not be answered.
"""

import time

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import (MAX_DATAGRAM, NOTHING, Echo, datagram_received, outcome_summary, payload,
                                          what_came_back)
from fixtures.endpoint import QUIET_WINDOW, Endpoint
from reference_impl.errors import OpError

ROOMY = {"rcvbuf": 1 << 22}  # the client's buffer holds every echo of a burst (the kernel may cap it)
SIZES = (0, 1, 2, 511, 512, 513, 1472, 1473, 4096, 8192, 8193, 16384, 32768)  # then the maximum - 1, maximum


def client_socket(run, options=None):
    if run.family == "unix":
        sock = run.client.unix_bind("dgram", run.unix_path(run.numbered("client")))
        for name, value in (options or {}).items():
            run.client.set_option(sock, name, value)
        return sock
    return run.client.udp_bind(run.family, run.host, options=options)


def send_to_echo(run, sock, data):
    if run.family == "unix":
        run.client.unix_sendto(sock, data, run.echo.address)
    else:
        run.client.sendto(sock, data, run.echo.address)


def next_echo(run, sock, timeout=None):
    """The next datagram the client receives, or None if none comes in time."""
    try:
        if run.family == "unix":
            return run.client.unix_recvfrom(sock, 65536, timeout=timeout)
        return run.client.recvfrom(sock, 65536, timeout)
    except OpError as exc:
        if exc.code not in NOTHING:
            raise
        return None


def echo_of(run, sock, data):
    send_to_echo(run, sock, data)
    return next_echo(run, sock)


def burst(run, sock, datagrams, what: str) -> list[bytes]:
    """Send ``datagrams`` back to back, then receive echoes until as many came back or the
    server has been quiet for one operation's timeout; the echoes' bytes, in arrival order."""
    with run.client.summarised(f"send {len(datagrams)} {what} back to back"):
        for data in datagrams:
            send_to_echo(run, sock, data)
    echoes = []
    with run.client.summarised("receive the echoes"):
        while len(echoes) < len(datagrams) and (got := next_echo(run, sock)) is not None:
            echoes.append(got.data)
    run.trace.add_op("client", f"({len(echoes)} of {len(datagrams)} echoes came back)")
    return echoes


def came_back(echoes: list, sent: list) -> str:
    return f"{len(echoes)} of {len(sent)}"


@behaviour("UDP-DGRAM-013", echo="udp", families=WITH_UNIX)
def test_echo_replies_from_the_address_sent_to(run):
    sock = client_socket(run)
    reply = echo_of(run, sock, b"where from?")
    run.check("where the reply came from", reply.peer if reply else "nothing came back", equals=run.echo.address)


@behaviour("UDP-DGRAM-014", echo="udp")
def test_echo_returns_each_datagram_whole(run):
    sock = client_socket(run, ROOMY)
    maximum = MAX_DATAGRAM[run.family]
    for size in (*SIZES, maximum - 1, maximum):
        data = payload(size, seed=size + 1)
        run.check(f"{size}-byte datagram comes back", datagram_received(echo_of(run, sock, data), data),
                  equals="whole")


@behaviour("UDP-DGRAM-015", echo="udp", families=WITH_UNIX)
def test_echo_keeps_clients_apart(run):
    socks = [client_socket(run) for _ in range(3)]
    messages = [b"client %d" % index for index in range(3)]
    for sock, message in zip(socks, messages):
        send_to_echo(run, sock, message)
    outcomes = [what_came_back(datagram_echo(next_echo(run, sock)), message, messages)
                for sock, message in zip(socks, messages)]
    run.check("what each client got back", outcome_summary(outcomes), equals="all 3 ok",
              rule="each client gets its own datagram back")


def datagram_echo(got) -> Echo:
    """A datagram as an echo observation (whole, or nothing)."""
    return Echo(got.data, "complete") if got is not None else Echo(b"", "nothing")


# Bursts are not sent over unix: a Unix datagram socket queues 10 datagrams (net.unix.max_dgram_qlen),
# then its sender waits; a client that sends a burst before reading and a server that waits for
# room would wait on each other.
@behaviour("UDP-DGRAM-021", echo="udp")
def test_echo_keeps_up_with_a_burst(run):
    sock = client_socket(run, ROOMY)
    datagrams = [b"burst %02d " % index + payload(55, seed=index) for index in range(64)]
    run.check("datagrams of the burst that came back", came_back(burst(run, sock, datagrams, "64-byte datagrams"),
                                                                   datagrams), equals="64 of 64")


@behaviour("UDP-DGRAM-022", echo="udp")
def test_echoes_of_a_large_burst_are_whole(run):
    sock = client_socket(run, ROOMY)
    sizes = (64, 512, 1472, 8192)
    datagrams = [payload(sizes[index % 4], seed=1000 + index) for index in range(256)]
    echoes = burst(run, sock, datagrams, "datagrams of 64 to 8192 bytes")
    run.check("what each echo that came back is", what_the_echoes_are(echoes, datagrams),
              equals="each one datagram sent, whole")


def what_the_echoes_are(echoes: list[bytes], sent: list[bytes]) -> str:
    """``each one datagram sent, whole``, or which echoes were not and what they were."""
    whole = set(sent)
    wrong = [(index, _what_this_is(echo, sent)) for index, echo in enumerate(echoes) if echo not in whole]
    if not wrong:
        return "each one datagram sent, whole"
    shown = "; ".join(f"echo {index}: {what}" for index, what in wrong[:3])
    return f"{len(wrong)} of {len(echoes)} are not: {shown}" + ("; …" if len(wrong) > 3 else "")


def _what_this_is(echo: bytes, sent: list[bytes]) -> str:
    for index, data in enumerate(sent):
        if echo.startswith(data):  # several datagrams run together?
            parts, rest = [index], echo[len(data):]
            while rest and parts[-1] + 1 < len(sent) and rest.startswith(sent[parts[-1] + 1]):
                rest = rest[len(sent[parts[-1] + 1]):]
                parts.append(parts[-1] + 1)
            if not rest:
                return "datagrams " + "+".join(map(str, parts)) + " merged"
        if echo and data.startswith(echo):
            return f"datagram {index} cut to {len(echo)} bytes"
    return f"{len(echo)} bytes never sent"


@behaviour("UDP-DGRAM-023", echo="udp", families=WITH_UNIX)
def test_identical_datagrams_are_each_echoed(run):
    sock = client_socket(run, ROOMY)
    same = [b"the same bytes"] * 8
    run.check("copies that came back", came_back(burst(run, sock, same, "identical datagrams"), same),
              equals="8 of 8")
    run.check("and then", "datagram" if next_echo(run, sock, 3 * QUIET_WINDOW) else "ETIMEDOUT", equals="ETIMEDOUT",
              rule="nothing more comes back")


@behaviour("UDP-DGRAM-024", echo="udp", families=WITH_UNIX)
def test_many_clients_at_once_each_get_their_own(run):
    socks = [client_socket(run) for _ in range(32)]
    messages = [[b"client %02d datagram %d" % (client, index) for index in range(4)] for client in range(32)]
    with run.client.summarised("32 clients each send 4 datagrams, interleaved"):
        for index in range(4):
            for sock, own in zip(socks, messages):
                send_to_echo(run, sock, own[index])
    owner = {message: client for client, own in enumerate(messages) for message in own}
    # A progress deadline: one timeout from the last echo, so a lost datagram costs one
    # timeout in all and a loaded machine's slow echoes cost none.
    deadline = time.monotonic() + Endpoint.default_timeout
    outcomes = []
    with run.client.summarised("each client receives its echoes"):
        for client, (sock, own) in enumerate(zip(socks, messages)):
            got = []
            while len(got) < 4 and (echo := next_echo(run, sock, max(0.0, deadline - time.monotonic()))):
                got.append(echo.data)
                deadline = time.monotonic() + Endpoint.default_timeout
            outcomes.append(_whose(got, own, owner, client))
    run.check("what each client got back", outcome_summary(outcomes), equals="all 32 ok",
              rule="each client gets its own 4 datagrams back, and no other client's")


def _whose(got: list[bytes], own: list[bytes], owner: dict, client: int) -> str:
    strangers = [owner.get(data) for data in got if owner.get(data) != client]
    if strangers:
        return f"got client {strangers[0]}'s bytes" if strangers[0] is not None else "got bytes nobody sent"
    return "ok" if sorted(got) == sorted(own) else f"{len(set(got))} of {len(own)} came back"


@behaviour("UDP-DGRAM-025", echo="udp", families=WITH_UNIX)
def test_an_empty_datagram_does_not_end_the_service(run):
    sock = client_socket(run)
    run.check("the empty datagram comes back", datagram_received(echo_of(run, sock, b""), b""), equals="whole")
    after = b"after the empty one"
    run.check("a datagram after it comes back", datagram_received(echo_of(run, sock, after), after),
              equals="whole")


@behaviour("UDP-DGRAM-026", echo="udp", families=WITH_UNIX)
def test_clients_one_after_another_are_each_answered(run):
    outcomes = []
    with run.client.summarised("300 clients, one after another: a datagram each, then gone"):
        for index in range(300):
            sock = client_socket(run)
            message = b"client %03d" % index
            outcomes.append(what_came_back(datagram_echo(echo_of(run, sock, message)), message))
            run.client.close(sock)
            if outcomes[-1] != "ok":
                break  # the server has stopped answering new clients: the rest would repeat it
    run.check("what each client got back", outcome_summary(outcomes), equals="all 300 ok",
              rule="every client gets its echo")


@behaviour("UDP-DGRAM-027", echo="udp")
def test_echoes_of_a_burst_come_back_in_order(run):
    sock = client_socket(run, ROOMY)
    datagrams = [b"in order %02d" % index for index in range(32)]
    echoes = burst(run, sock, datagrams, "numbered datagrams")
    order = [datagrams.index(echo) if echo in datagrams else -1 for echo in echoes]  # -1: never sent
    run.check("the order the echoes came back in", "the order sent" if order == sorted(set(order)) and -1 not in order
              else "order: " + ", ".join(map(str, order[:12])) + (", …" if len(order) > 12 else ""),
              equals="the order sent")


@behaviour("UDP-DGRAM-028", echo="udp", families=WITH_UNIX)
def test_each_datagram_is_answered_once(run):
    sock = client_socket(run)
    messages = [b"answer me once %d" % index for index in range(8)]
    outcomes = []
    with run.client.summarised("send 8 datagrams, one at a time, each after the last one's echo"):
        for message in messages:
            outcomes.append(what_came_back(datagram_echo(echo_of(run, sock, message)), message, messages,
                                           who="datagram"))
    run.check("what came back for each datagram", outcome_summary(outcomes, "datagram"), equals="all 8 ok",
              rule="each datagram's echo, not another copy of an earlier one")
