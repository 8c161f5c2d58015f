"""More receive and send flags (protocol 1.5): flags combined, urgent data read twice or sent
twice, a don't-wait send to a reset connection, and peeks at datagrams."""

import time

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair, datagram_pair, receive_outcome
from conformance.scenarios.flags.test_datagram_flags import flagged_datagram
from conformance.scenarios.flags.test_stream_flags import flagged_receive, timed_receive
from conformance.scenarios.readiness.steps import about, fired, outcome_of
from conformance.scenarios.stream.steps import receive_up_to
from reference_impl.protocol import PROTOCOL_VERSION


def _urgent(run, server, data):
    run.check(f"a send of the urgent byte {data!r}", outcome_of(run.server.send_flags, server, data, oob=True),
              equals="ok")


def _urgent_byte(run, client):
    """The urgent byte, read again while it has not arrived yet (EAGAIN), for up to 5 s: the
    urgent byte travels after "ab", which may be read before it arrives."""
    deadline = time.monotonic() + 5.0
    with run.client.summarised("read the urgent byte, again while it has not arrived (EAGAIN), for up to 5 s"):
        while True:
            got = flagged_receive(run.client, client, 4, oob=True)
            if got != "EAGAIN" or time.monotonic() > deadline:
                return got


@behaviour("TCP-FLAGS-013", seats=("client", "server"))
def test_the_urgent_byte_is_read_once(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"ab")
    _urgent(run, server, b"!")
    run.server.send_all(server, b"cd")
    run.check("normal data up to the urgent mark", flagged_receive(run.client, client, 4), equals=b"ab")
    run.check("the urgent byte, read apart", _urgent_byte(run, client), equals=b"!")
    run.check("reading urgent data a second time", flagged_receive(run.client, client, 4, oob=True),
              equals="EINVAL")
    run.check("normal data after the mark", receive_up_to(run.client, client, 2), equals=b"cd")


@behaviour("TCP-FLAGS-014", seats=("client",))
def test_peek_with_waitall(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"01234")
    run.server.send_all(server, b"56789")
    run.check("a wait-all peek of 10 bytes, sent in two parts",
              flagged_receive(run.client, client, 10, 5.0, peek=True, waitall=True), equals=b"0123456789")
    run.check("the receive after the wait-all peek", receive_up_to(run.client, client, 10), equals=b"0123456789")


@behaviour("TCP-FLAGS-015", seats=("client",))
def test_peek_with_dontwait(run):
    _, client, server = connect_pair(run)
    got, took = timed_receive(run.client, client, 64, 1.0, peek=True, dontwait=True)
    run.check("a don't-wait peek with nothing queued", (got, about(took, 1.0, 3.0)), equals=("EAGAIN", "at once"))
    run.server.send_all(server, b"queued")
    run.check("a peek that waits for the data", flagged_receive(run.client, client, 64, peek=True), equals=b"queued")
    run.check("a don't-wait peek with data queued", flagged_receive(run.client, client, 64, peek=True, dontwait=True),
              equals=b"queued")
    run.check("the receive after the peeks", flagged_receive(run.client, client, 64), equals=b"queued")


@behaviour("TCP-FLAGS-016", seats=("server", "client"))
def test_dontwait_send_to_a_reset_connection(run):
    _, client, server = connect_pair(run)
    run.client.abort(client)
    run.check("the reset is seen", receive_outcome(run.server, server, 5.0), equals="ECONNRESET")
    run.check("a don't-wait send on the reset connection",
              outcome_of(run.server.send_flags, server, b"x", dontwait=True), allowed={"EPIPE", "ECONNRESET"})
    code, _ = run.server.exchange("hello", protocol=PROTOCOL_VERSION)
    run.check("hello after the failed send", code, equals="ok")


@behaviour("TCP-FLAGS-017", seats=("client", "server"))
def test_every_urgent_byte_inline(run):
    _, client, server = connect_pair(run)
    run.client.set_option(client, "oobinline", True)
    run.server.send_all(server, b"a")
    _urgent(run, server, b"1")
    run.server.send_all(server, b"b")
    _urgent(run, server, b"2")
    run.server.send_all(server, b"c")
    run.check("the stream with two urgent bytes inline", receive_up_to(run.client, client, 5), equals=b"a1b2c")


def _send(run, sender, receiver, data):
    run.sender.sendto(sender, data, run.addr(receiver.local.port))


@behaviour("UDP-FLAGS-009", seats=("receiver",), peers=("sender",))
def test_peek_with_trunc(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, bytes(range(100)))
    _send(run, sender, receiver, b"next")
    run.check("a peek of 10 bytes with the real length, of a 100-byte datagram",
              flagged_datagram(run.receiver, receiver, 10, peek=True, trunc=True), equals=(bytes(range(10)), True, 100))
    run.check("the receive after the peek", flagged_datagram(run.receiver, receiver, 200),
              equals=(bytes(range(100)), False, None))
    run.check("the receive after that", flagged_datagram(run.receiver, receiver, 200), equals=(b"next", False, None))


@behaviour("UDP-FLAGS-010", seats=("receiver",), peers=("sender",))
def test_whole_peek_then_short_receive(run):
    sender, receiver = datagram_pair(run)
    _send(run, sender, receiver, b"datagram")
    _send(run, sender, receiver, b"next")
    run.check("a peek of up to 64 bytes", flagged_datagram(run.receiver, receiver, 64, peek=True),
              equals=(b"datagram", False, None))
    run.check("a receive of 3 bytes after the peek", flagged_datagram(run.receiver, receiver, 3),
              equals=(b"dat", True, None))
    run.check("the receive after that", flagged_datagram(run.receiver, receiver, 64), equals=(b"next", False, None))


@behaviour("UDP-FLAGS-011", seats=("receiver",), peers=("sender",))
def test_peek_with_dontwait_on_datagrams(run):
    sender, receiver = datagram_pair(run)
    started = time.monotonic()
    got = flagged_datagram(run.receiver, receiver, 64, 1.0, peek=True, dontwait=True)
    run.check("a don't-wait peek with nothing queued", (got, about(time.monotonic() - started, 1.0, 3.0)),
              equals=("EAGAIN", "at once"))
    _send(run, sender, receiver, b"queued")
    run.check("a peek that waits for the datagram", flagged_datagram(run.receiver, receiver, 64, peek=True),
              equals=(b"queued", False, None))
    run.check("a don't-wait peek with a datagram queued",
              flagged_datagram(run.receiver, receiver, 64, peek=True, dontwait=True), equals=(b"queued", False, None))
    run.check("the receive after the peeks", flagged_datagram(run.receiver, receiver, 64),
              equals=(b"queued", False, None))


@behaviour("TCP-FLAGS-018", seats=("client", "server"))
def test_a_second_urgent_byte_replaces_the_first(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"a")
    _urgent(run, server, b"1")
    run.server.send_all(server, b"b")
    _urgent(run, server, b"2")
    run.server.send_all(server, b"c")
    run.server.shutdown(server, "write")
    # The end of stream comes after every byte: once it is seen, both urgent bytes arrived.
    run.check("read hang-up once the sender shut its write side", fired(run.client, client, ["rdhangup"]),
              equals=["rdhangup"])
    run.check("the urgent byte, read apart", flagged_receive(run.client, client, 4, oob=True), equals=b"2")
    run.check("the normal stream to its end", receive_up_to(run.client, client, 64), equals=b"a1bc")


@behaviour("TCP-FLAGS-019", seats=("client",))
def test_dontwait_overrides_waitall(run):
    _, client, server = connect_pair(run)
    run.server.send_all(server, b"0123456789")
    run.check("a wait-all peek until the 10 bytes arrived", flagged_receive(run.client, client, 10, 5.0, peek=True, waitall=True),
              equals=b"0123456789")
    got, took = timed_receive(run.client, client, 100, 1.0, waitall=True, dontwait=True)
    run.check("a wait-all, don't-wait receive of 100 bytes with 10 queued", (got, about(took, 1.0, 3.0)),
              equals=(b"0123456789", "at once"))


@behaviour("UDP-FLAGS-012", seats=("receiver",), peers=("sender",))
def test_datagram_socket_keeps_its_receive_timeout(run):
    _, receiver = datagram_pair(run)
    near = lambda value: isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value - 0.25) <= 0.02
    run.check("rcvtimeo of a new datagram socket", run.receiver.get_option(receiver, "rcvtimeo"), equals=0)
    run.receiver.set_option(receiver, "rcvtimeo", 0.25)
    run.check("rcvtimeo after setting 0.25 s", run.receiver.get_option(receiver, "rcvtimeo"), satisfies=near,
              rule="about 0.25 (within 0.02 s)")
    run.receiver.set_option(receiver, "rcvtimeo", 0)
    run.check("rcvtimeo after setting 0", run.receiver.get_option(receiver, "rcvtimeo"), equals=0)
