"""ICMP port unreachable on datagram sockets, connected and not (issue 13, phase 2): who is
told, by which call, and how SO_ERROR collects it."""

from conformance.scenario import behaviour
from conformance.scenarios.common import NOTHING, datagram_outcome, receive_datagram
from conformance.scenarios.readiness.steps import fired, quiet
from fixtures.endpoint import QUIET_WINDOW
from reference_impl.errors import UNSUPPORTED, OpError


def _option(endpoint, sock, name):
    try:
        return endpoint.get_option(sock, name)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return f"fails: {exc.code}"


def _shows_an_error(events) -> bool:
    return isinstance(events, list) and "error" in events


def _sent_to_a_closed_port(run):
    """A connected datagram socket that sent one datagram to a port nobody has bound."""
    sock = run.sender.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, run.addr(run.free_port()))
    run.check("the send to the closed port", run.outcome(run.sender.sendto, sock, b"anyone?"), equals="ok")
    # Event-driven: the ICMP port unreachable has arrived once the socket shows an error.
    run.check("readiness once the ICMP error came back", fired(run.sender, sock, ["read"]),
              satisfies=_shows_an_error, rule="an error shown (POLLERR; readable may come with it)")
    return sock


@behaviour("UDP-STATE-007", seats=("sender",))
def test_the_next_send_reports_a_closed_port_once(run):
    sock = _sent_to_a_closed_port(run)
    run.check("the next send", run.outcome(run.sender.sendto, sock, b"again?"), equals="ECONNREFUSED")
    run.check("the send after it", run.outcome(run.sender.sendto, sock, b"once more?"), equals="ok")


@behaviour("UDP-STATE-008", seats=("sender",), peers=("receiver",))
def test_an_unconnected_socket_is_not_told(run):
    sock = run.sender.udp_bind(run.family, run.host)
    peer = run.receiver.udp_bind(run.family, run.host)
    run.check("the send to a closed port", run.outcome(run.sender.sendto, sock, b"anyone?", run.addr(run.free_port())),
              equals="ok")
    run.check("the send to a live peer after it", run.outcome(run.sender.sendto, sock, b"ping", peer.local),
              equals="ok")
    got = receive_datagram(run.receiver, peer)
    if got is not None:
        run.receiver.sendto(peer, b"pong", got.peer)
    run.check("readiness once the peer replied", fired(run.sender, sock, ["read"]), equals=["read"])
    try:
        reply = run.sender.recvfrom(sock, 100)
        outcome = (reply.data, reply.peer)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        outcome = exc.code
    run.check("the next receive", outcome, equals=(b"pong", peer.local))


@behaviour("UDP-STATE-009", seats=("sender",))
def test_so_error_collects_the_icmp_error(run):
    sock = _sent_to_a_closed_port(run)
    run.check("SO_ERROR", _option(run.sender, sock, "error"), equals="ECONNREFUSED")
    run.check("SO_ERROR read again", _option(run.sender, sock, "error"), equals=None)
    run.check("readiness after SO_ERROR was read", quiet(run.sender, sock, ["read"]), equals=[])
    run.check("a receive after it", datagram_outcome(run.sender, sock, QUIET_WINDOW), allowed=NOTHING)


@behaviour("UDP-STATE-010", seats=("sender",), peers=("receiver",))
def test_the_old_peers_error_survives_a_reconnect(run):
    sock = _sent_to_a_closed_port(run)
    peer = run.receiver.udp_bind(run.family, run.host)
    run.sender.udp_connect(sock, peer.local)
    run.check("readiness after connecting to a live peer", fired(run.sender, sock, ["read"]),
              satisfies=_shows_an_error, rule="the old peer's error still shown")
    run.check("the first send after reconnecting", run.outcome(run.sender.sendto, sock, b"first"),
              equals="ECONNREFUSED")
    sent = run.outcome(run.sender.sendto, sock, b"second")
    got = receive_datagram(run.receiver, peer) if sent == "ok" else None
    run.check("the send after it, and what the new peer receives",
              (sent, (got.data, got.peer) if got else "nothing"), equals=("ok", (b"second", sock.local)))
