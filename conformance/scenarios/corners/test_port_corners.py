"""Ports several sockets want (issue 13, phase 2): IPV6_V6ONLY on the IPv6 wildcard address,
and how Linux spreads connections and datagrams over SO_REUSEPORT sockets."""

import time

from conformance.scenario import behaviour
from fixtures.endpoint import QUIET_WINDOW, Addr
from reference_impl.errors import UNSUPPORTED, OpError

IPV4, MAPPED, WILDCARD = "127.0.0.1", "::ffff:127.0.0.1", "::"
SPREAD = 40  # all of 40 independent even choices land on one of two sockets with probability 2 * 2**-40
SPREAD_DEADLINE = 10.0
BATCH = 8  # datagrams in flight at once: a few KiB, which any receive buffer holds


# -- IPV6_V6ONLY on :: (the IPv6 socket is the target's; the IPv4 sockets are reference peers) ---
# The port is one the suite reserves (free on every address of both families); the wildcard
# listener lives only for the case, and only loopback traffic reaches it.

@behaviour("TCP-PASSIVE-026", seats=("server",), families=("ipv6",))
def test_a_v6only_wildcard_listener_leaves_ipv4_alone(run):
    port = run.free_port()
    run.server.tcp_listen("ipv6", WILDCARD, port, options={"v6only": True})
    run.check("an IPv4 connect to 127.0.0.1 on its port",
              run.outcome(run.client.tcp_connect, "ipv4", Addr(IPV4, port)), equals="ECONNREFUSED")
    run.check("an IPv4 listener on 127.0.0.1 on its port",
              run.outcome(run.client.tcp_listen, "ipv4", IPV4, port), equals="ok")


@behaviour("TCP-PASSIVE-027", seats=("server",), families=("ipv6",))
def test_a_dual_stack_wildcard_listener_takes_the_ipv4_port(run):
    port = run.free_port()
    listener = run.server.tcp_listen("ipv6", WILDCARD, port, options={"v6only": False})
    run.check("an IPv4 listener on 127.0.0.1 on its port",
              run.outcome(run.client.tcp_listen, "ipv4", IPV4, port), equals="EADDRINUSE")
    client = run.client.tcp_connect("ipv4", Addr(IPV4, port))
    try:
        peer = run.server.tcp_accept(listener).peer
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        peer = exc.code
    run.check("the accepted IPv4 client's address", peer, equals=Addr(MAPPED, client.local.port))


# -- SO_REUSEPORT -------------------------------------------------------------------------------

def _drain_accepts(run, listeners, expected):
    """Accept from each listener in turn until ``expected`` connections came in all (or the
    deadline passed): how many each accepted."""
    counts = [0] * len(listeners)
    deadline = time.monotonic() + SPREAD_DEADLINE
    with run.server.summarised(f"accept from {len(listeners)} listeners until {expected} connections came"):
        while sum(counts) < expected and time.monotonic() < deadline:
            for index, listener in enumerate(listeners):
                while sum(counts) < expected:
                    try:
                        run.server.tcp_accept(listener, QUIET_WINDOW)
                    except OpError as exc:
                        if exc.code not in ("ETIMEDOUT", "EAGAIN"):
                            raise
                        break
                    counts[index] += 1
    return counts


def _sharing_listeners(run):
    first = run.server.tcp_listen(run.family, run.host, backlog=64, options={"reuseport": True})
    second = run.server.tcp_listen(run.family, run.host, first.local.port, backlog=64, options={"reuseport": True})
    return first, second


@behaviour("TCP-PASSIVE-028", seats=("server",))
def test_reuseport_spreads_connections(run):
    first, second = _sharing_listeners(run)
    with run.client.summarised(f"{SPREAD} clients connect"):
        for _ in range(SPREAD):
            run.client.tcp_connect(run.family, first.local)
    counts = _drain_accepts(run, [first, second], SPREAD)
    run.check("connections accepted in all", sum(counts), equals=SPREAD)
    run.check("listeners that accepted at least one", sum(1 for count in counts if count), equals=2)


@behaviour("TCP-PASSIVE-029", seats=("server",))
def test_closing_one_reuseport_listener(run):
    first, second = _sharing_listeners(run)
    run.server.close(second)
    with run.client.summarised("8 clients connect"):
        for _ in range(8):
            run.outcome(run.client.tcp_connect, run.family, first.local)
    run.check("connections the remaining listener accepted", _drain_accepts(run, [first], 8), equals=[8])


@behaviour("UDP-DGRAM-029", seats=("receiver",), peers=("sender",))
def test_reuseport_spreads_datagrams(run):
    first = run.receiver.udp_bind(run.family, run.host, options={"reuseport": True})
    second = run.receiver.udp_bind(run.family, run.host, first.local.port, options={"reuseport": True})
    # In batches of 8, each received before the next is sent: the spreading is judged, not the
    # receive buffer (a library's small default buffer would drop a burst of 40 on one socket).
    received: list[list[int]] = [[], []]
    deadline = time.monotonic() + SPREAD_DEADLINE
    for batch in range(0, SPREAD, BATCH):
        with run.sender.summarised(f"{BATCH} senders send one datagram each"):
            for index in range(batch, batch + BATCH):
                sender = run.sender.udp_bind(run.family, run.host)
                run.sender.sendto(sender, b"%d" % index, first.local)
        with run.receiver.summarised(f"receive on both sockets until {batch + BATCH} datagrams came in all"):
            while sum(map(len, received)) < batch + BATCH and time.monotonic() < deadline:
                for index, sock in enumerate((first, second)):
                    while True:
                        try:
                            received[index].append(int(run.receiver.recvfrom(sock, 100, QUIET_WINDOW).data))
                        except OpError as exc:
                            if exc.code not in ("ETIMEDOUT", "EAGAIN"):
                                raise
                            break
    run.check("the datagrams received in all", sorted(received[0] + received[1]), equals=list(range(SPREAD)),
              rule=f"each of the {SPREAD} exactly once")
    run.check("sockets that received at least one", sum(1 for got in received if got), equals=2)


@behaviour("UDP-DGRAM-030", seats=("receiver",))
def test_reuseport_must_be_set_by_every_datagram_socket(run):
    plain = run.receiver.udp_bind(run.family, run.host)
    run.check("a SO_REUSEPORT socket joining a port held without it",
              run.outcome(run.receiver.udp_bind, run.family, run.host, plain.local.port, options={"reuseport": True}),
              equals="EADDRINUSE")
    first = run.receiver.udp_bind(run.family, run.host, options={"reuseport": True})
    run.check("a second SO_REUSEPORT socket on a port shared that way",
              run.outcome(run.receiver.udp_bind, run.family, run.host, first.local.port, options={"reuseport": True}),
              equals="ok")
    run.check("a socket without SO_REUSEPORT joining them",
              run.outcome(run.receiver.udp_bind, run.family, run.host, first.local.port), equals="EADDRINUSE")


@behaviour("UDP-DGRAM-031", seats=("sender",))
def test_a_datagram_to_port_zero(run):
    sock = run.sender.udp_bind(run.family, run.host)
    run.check("a datagram to port 0", run.outcome(run.sender.sendto, sock, b"nobody", run.addr(0)), equals="EINVAL")
