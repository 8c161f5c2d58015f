"""Passing descriptors (SCM_RIGHTS) and credentials (SCM_CREDENTIALS) over Unix sockets."""

from __future__ import annotations

from conformance.scenario import behaviour
from conformance.scenarios.common import delivered, receive_outcome
from fixtures.endpoint import QUIET_WINDOW, Addr, UnixDatagram

from .steps import FAMILIES, datagram, outcome_of

SEATS = ("client", "server")  # the client passes, the server receives
LOOPBACK = "127.0.0.1"


def channel(run):
    """A datagram receiver and a sender bound to names of their own (whether the sender is
    named does not matter to what is passed, and some libraries cannot make an unbound one)."""
    receiver = run.server.unix_bind("dgram", run.unix_path("r"))
    sender = run.client.unix_bind("dgram", run.unix_path("s"))
    return receiver, sender


def received_handles(got) -> list[int] | str:
    return list(got.fds) if isinstance(got, UnixDatagram) else got


@behaviour("UNIX-PASS-001", seats=SEATS, families=FAMILIES, peers=("peer",))
def test_a_passed_socket_is_the_same_open_socket(run):
    receiver, sender = channel(run)
    udp = run.client.udp_bind("ipv4", LOOPBACK)
    run.client.unix_sendto(sender, b"take this", run.unix_path("r"), fds=[udp])
    run.client.close(udp)  # the sender's own descriptor: the open socket lives on in the message
    got = datagram(run.server, receiver, maxfds=4)
    handles = received_handles(got)
    run.check("descriptors received", len(handles) if isinstance(handles, list) else handles, equals=1)
    if not isinstance(handles, list) or not handles:
        return
    new = handles[0]
    run.check("the new handle's own address", run.server.local_address(new), equals=udp.local)
    other = run.peer.udp_bind("ipv4", LOOPBACK)
    run.peer.sendto(other, b"to the passed socket", Addr(LOOPBACK, udp.local.port))
    got = outcome_of(run.server.recvfrom, new, timeout=1.0)
    run.check("a datagram sent to its port, received on the new handle", getattr(got, "data", got),
              equals=b"to the passed socket")


@behaviour("UNIX-PASS-002", seats=SEATS, families=FAMILIES)
def test_several_descriptors_arrive_in_order(run):
    receiver, sender = channel(run)
    sockets = [run.client.udp_bind("ipv4", LOOPBACK) for _ in range(3)]
    run.client.unix_sendto(sender, b"three", run.unix_path("r"), fds=sockets)
    got = datagram(run.server, receiver, maxfds=8)
    handles = received_handles(got)
    run.check("descriptors received", len(handles) if isinstance(handles, list) else handles, equals=3)
    if isinstance(handles, list):
        run.check("the new handles' addresses, in order", [run.server.local_address(h) for h in handles],
                  equals=[sock.local for sock in sockets])


@behaviour("UNIX-PASS-003", seats=SEATS, families=FAMILIES)
def test_too_small_a_control_buffer(run):
    receiver, sender = channel(run)
    (a1, b1), (a2, b2) = run.client.unix_socketpair("stream"), run.client.unix_socketpair("stream")
    run.client.unix_sendto(sender, b"two", run.unix_path("r"), fds=[b1, b2])
    run.client.close(b1)
    run.client.close(b2)
    got = datagram(run.server, receiver, maxfds=1)
    run.check("with room for one of two: (descriptors received, ctrunc)",
              (len(got.fds), got.ctrunc) if isinstance(got, UnixDatagram) else got, equals=(1, True))
    run.check("the other end of the descriptor cut off", receive_outcome(run.client, a2, 1.0), equals="EOF")
    run.check("the other end of the descriptor received", receive_outcome(run.client, a1, QUIET_WINDOW),
              equals="ETIMEDOUT")
    if isinstance(got, UnixDatagram) and got.fds:
        run.server.close(got.fds[0])
        run.check("the other end of the received one once the receiver closed it",
                  receive_outcome(run.client, a1, 1.0), equals="EOF")
    a3, b3 = run.client.unix_socketpair("stream")
    run.client.unix_sendto(sender, b"one", run.unix_path("r"), fds=[b3])
    run.client.close(b3)
    got = datagram(run.server, receiver, maxfds=0)
    run.check("with no room at all: (descriptors received, ctrunc)",
              (len(got.fds), got.ctrunc) if isinstance(got, UnixDatagram) else got, equals=(0, True))
    run.check("the other end of a descriptor sent to no room", receive_outcome(run.client, a3, 1.0), equals="EOF")


@behaviour("UNIX-PASS-004", seats=SEATS, families=FAMILIES)
def test_a_passed_connection_keeps_carrying_data(run):
    receiver, sender = channel(run)
    a, b = run.client.unix_socketpair("stream")
    run.client.unix_sendto(sender, b"a connection", run.unix_path("r"), fds=[b])
    run.client.close(b)
    handles = received_handles(datagram(run.server, receiver, maxfds=1))
    run.check("descriptors received", len(handles) if isinstance(handles, list) else handles, equals=1)
    if not isinstance(handles, list) or not handles:
        return
    new = handles[0]
    run.check("from the new handle to the other end", delivered(run.server, new, run.client, a, b"from the receiver"),
              equals=b"from the receiver")
    run.check("from the other end to the new handle", delivered(run.client, a, run.server, new, b"to the receiver"),
              equals=b"to the receiver")


@behaviour("UNIX-PASS-005", seats=SEATS, families=FAMILIES)
def test_credentials_when_the_receiver_asked(run):
    receiver, sender = channel(run)
    run.client.unix_sendto(sender, b"no credentials asked", run.unix_path("r"))
    got = datagram(run.server, receiver)
    run.check("credentials with SO_PASSCRED off", got.creds if isinstance(got, UnixDatagram) else got, equals=None)
    run.server.set_option(receiver, "passcred", True)
    run.check("passcred read back", run.server.get_option(receiver, "passcred"), equals=True)
    run.client.unix_sendto(sender, b"credentials asked", run.unix_path("r"))
    got = datagram(run.server, receiver)
    sender_ids = run.client.process_ids()
    creds = got.creds if isinstance(got, UnixDatagram) else got
    run.check("the credentials received with SO_PASSCRED on",
              "the sending process's pid, uid and gid" if creds == sender_ids else
              {"pid": creds[0], "uid": creds[1], "gid": creds[2]} if isinstance(creds, tuple) else creds,
              equals="the sending process's pid, uid and gid")


@behaviour("UNIX-PASS-006", seats=SEATS, families=FAMILIES)
def test_credentials_on_a_stream_connection(run):
    from .steps import stream_connection
    _, outgoing, incoming = stream_connection(run)
    run.server.set_option(incoming, "passcred", True)
    run.client.send_all(outgoing, b"who sent this")
    got = datagram(run.server, incoming)
    creds = got.creds if isinstance(got, UnixDatagram) else got
    run.check("the credentials received with the bytes",
              "the sending process's pid, uid and gid" if creds == run.client.process_ids() else
              {"pid": creds[0], "uid": creds[1], "gid": creds[2]} if isinstance(creds, tuple) else creds,
              equals="the sending process's pid, uid and gid")
