"""The blocking mode of a descriptor (NONBLOCK, protocol 1.7): option nonblock (O_NONBLOCK).

Checks record the mode as read (true / false), error names, and how long a blocking call took
by what it means ("at once" against "after its timeout"): the bound between them is half the
call's 10 s, far from both on any machine.
"""

import time

from conformance.scenario import behaviour
from reference_impl.errors import UNSUPPORTED, OpError

BLOCKING_TIMEOUT = 10.0  # the socket's own receive timeout: what a blocking receive takes if the mode is ignored
AT_ONCE = BLOCKING_TIMEOUT / 2
ARRIVAL = 5.0


def blocking_receive(endpoint, sock) -> tuple[str, bytes | None, float]:
    """One blocking receive: its outcome ("ok" or the code), the data, and the seconds it took."""
    started = time.monotonic()
    try:
        datagram, _ = endpoint.recvfrom_flags(sock, 100, BLOCKING_TIMEOUT, blocking=True)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code, None, time.monotonic() - started
    return "ok", datagram.data, time.monotonic() - started


@behaviour("NONBLOCK-001", seats=("client",), peers=("server",))
def test_new_sockets_are_blocking(run):
    datagram = run.client.udp_bind(run.family, run.host)
    run.check("nonblock of a new datagram socket", run.client.get_option(datagram, "nonblock"), equals=False)
    listener = run.client.tcp_listen(run.family, run.host)
    run.check("nonblock of a new listener", run.client.get_option(listener, "nonblock"), equals=False)
    peer = run.server.tcp_listen(run.family, run.host)
    connected = run.client.tcp_connect(run.family, peer.local)
    run.check("nonblock of a new connected stream socket", run.client.get_option(connected, "nonblock"),
              equals=False)


@behaviour("NONBLOCK-002", seats=("client",))
def test_the_mode_reads_back_as_set(run):
    for kind, sock in (("datagram socket", run.client.udp_bind(run.family, run.host)),
                       ("listener", run.client.tcp_listen(run.family, run.host))):
        run.client.set_option(sock, "nonblock", True)
        run.check(f"nonblock of the {kind} after setting it on", run.client.get_option(sock, "nonblock"),
                  equals=True)
        run.client.set_option(sock, "nonblock", False)
        run.check(f"nonblock of the {kind} after setting it off", run.client.get_option(sock, "nonblock"),
                  equals=False)


@behaviour("NONBLOCK-003", seats=("server",), peers=("client",))
def test_an_accepted_socket_does_not_inherit_the_mode(run):
    listener = run.server.tcp_listen(run.family, run.host)
    run.server.set_option(listener, "nonblock", True)
    run.client.tcp_connect(run.family, listener.local)
    accepted = run.server.tcp_accept(listener)
    run.check("nonblock of the accepted socket", run.server.get_option(accepted, "nonblock"), equals=False,
              rule="Linux: the accepted socket does not inherit O_NONBLOCK from its listener")
    run.check("nonblock of the listener after the accept", run.server.get_option(listener, "nonblock"),
              equals=True)


@behaviour("NONBLOCK-004", seats=("receiver",), peers=("sender",))
def test_a_blocking_receive_in_non_blocking_mode_fails_at_once(run):
    sock = run.receiver.udp_bind(run.family, run.host)
    run.receiver.set_option(sock, "rcvtimeo", BLOCKING_TIMEOUT)  # a blocking call is sent only with it (§6)
    run.receiver.set_option(sock, "nonblock", True)
    code, _, took = blocking_receive(run.receiver, sock)
    run.check("a blocking receive with nothing queued", (code, "at once" if took < AT_ONCE else "after its timeout"),
              equals=("EAGAIN", "at once"),
              rule=f"EAGAIN at once (within {AT_ONCE:g} s), not after waiting its {BLOCKING_TIMEOUT:g} s")
    peer = run.sender.udp_bind(run.family, run.host)
    run.sender.sendto(peer, b"nonblock-004", sock.local)
    deadline = time.monotonic() + ARRIVAL
    with run.receiver.summarised("blocking receives until the datagram has arrived"):
        while True:
            code, data, _ = blocking_receive(run.receiver, sock)
            if code != "EAGAIN" or time.monotonic() > deadline:
                break
            time.sleep(0.005)
    run.check("the blocking receive once a datagram is queued", data if code == "ok" else code,
              equals=b"nonblock-004")
