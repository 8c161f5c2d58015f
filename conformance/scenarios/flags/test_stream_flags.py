"""Receive and send flags on a connection (protocol 1.5): peek, wait-all, don't-wait, urgent data."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, received
from conformance.scenarios.readiness.steps import about, fill, outcome_of
from conformance.scenarios.stream.steps import receive_up_to
from reference_impl.errors import UNSUPPORTED, OpError


def flagged_receive(endpoint, sock, max, timeout=None, **flags):
    """What one flagged receive returns: the bytes, ``"EOF"`` or the error code."""
    try:
        data = endpoint.recv_flags(sock, max, timeout, **flags)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return data if data else "EOF"


def timed_receive(endpoint, sock, max, timeout, **flags):
    import time
    started = time.monotonic()
    got = flagged_receive(endpoint, sock, max, timeout, **flags)
    return got, time.monotonic() - started


@behaviour("TCP-FLAGS-001", seats=("client",))
def test_peek_leaves_data(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"hello")
    run.check("a peek", flagged_receive(run.client, client, 64, peek=True), equals=b"hello")
    run.check("the receive after the peek", flagged_receive(run.client, client, 64), equals=b"hello")


@behaviour("TCP-FLAGS-002", seats=("client",))
def test_short_peek_returns_a_prefix(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"hello")
    run.check("a peek of 2 bytes", flagged_receive(run.client, client, 2, peek=True), equals=b"he")
    run.check("the receive after the short peek", flagged_receive(run.client, client, 64), equals=b"hello")


@behaviour("TCP-FLAGS-003", seats=("client",))
def test_waitall_waits_for_the_full_amount(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"0123456789")
    got, took = timed_receive(run.client, client, 100, 0.5, waitall=True)
    run.check("a wait-all receive of 100 bytes with 10 arrived, timeout 0.5 s", (got, about(took, 0.5, 2.5)),
              equals=(b"0123456789", "about the set time"))


@behaviour("TCP-FLAGS-004", seats=("client",))
def test_waitall_returns_at_end_of_stream(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"0123456789")
    run.server.shutdown(server, "write")
    got, took = timed_receive(run.client, client, 100, 1.0, waitall=True)
    run.check("a wait-all receive of 100 bytes when the stream ends after 10", (got, about(took, 1.0, 3.0)),
              equals=(b"0123456789", "at once"))


@behaviour("TCP-FLAGS-005", seats=("client",))
def test_dontwait_on_an_empty_receive(run):
    _, client, _ = connect_pair(run)
    got, took = timed_receive(run.client, client, 64, 1.0, dontwait=True)
    run.check("a don't-wait receive with nothing queued", (got, about(took, 1.0, 3.0)), equals=("EAGAIN", "at once"))


@behaviour("TCP-FLAGS-006", seats=("client",))
def test_dontwait_returns_what_is_queued(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"queued")
    run.check("a don't-wait receive with data queued", flagged_receive(run.client, client, 64, dontwait=True),
              equals=b"queued")


@behaviour("TCP-FLAGS-007", seats=("client",))
def test_dontwait_on_a_full_send_buffer(run):
    _, client, _ = connect_pair(run)
    _, ending = fill(run.client, client, dontwait=True)
    run.check("don't-wait sends while the peer does not read", ending, equals="EAGAIN")


def _urgent_exchange(run, client, server):
    """The sender (server seat) sends "ab", the urgent byte "!", then "cd"."""
    run.server.send_all(server, b"ab")
    run.check("a send of the urgent byte", outcome_of(run.server.send_flags, server, b"!", oob=True), equals="ok")
    run.server.send_all(server, b"cd")


@behaviour("TCP-FLAGS-008", seats=("client", "server"))
def test_urgent_data_is_kept_apart(run):
    _, client, server = connect_pair(run)
    _urgent_exchange(run, client, server)
    run.check("normal data up to the urgent mark", flagged_receive(run.client, client, 4), equals=b"ab")
    run.check("the urgent byte, read apart", flagged_receive(run.client, client, 4, oob=True), equals=b"!")
    run.check("normal data after the mark", received(run.client, client, 2), equals=b"cd")


@behaviour("TCP-FLAGS-009", seats=("client", "server"))
def test_urgent_data_inline(run):
    _, client, server = connect_pair(run)
    run.client.set_option(client, "oobinline", True)
    _urgent_exchange(run, client, server)
    run.check("the stream with the urgent byte inline", receive_up_to(run.client, client, 5), equals=b"ab!cd")
    run.check("reading urgent data apart with oobinline on", flagged_receive(run.client, client, 4, oob=True),
              equals="EINVAL")


@behaviour("TCP-FLAGS-010", seats=("client",))
def test_no_urgent_data(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"plain")
    run.check("reading urgent data when none came", flagged_receive(run.client, client, 4, oob=True),
              equals="EINVAL")


@behaviour("TCP-FLAGS-011", seats=("client",))
def test_peek_at_end_of_stream(run):
    _, client, server = connect_pair(run)
    run.server.shutdown(server, "write")
    run.check("a peek at end of stream, then a receive",
              (flagged_receive(run.client, client, 64, peek=True), flagged_receive(run.client, client, 64)),
              equals=("EOF", "EOF"))


@behaviour("TCP-FLAGS-012", seats=("client",))
def test_waitall_with_the_full_amount_queued(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"0123456789")
    got, took = timed_receive(run.client, client, 10, 1.0, waitall=True)
    run.check("a wait-all receive of 10 bytes with 10 queued", (got, about(took, 1.0, 3.0)),
              equals=(b"0123456789", "at once"))
