"""IPv6 sockets and IPv4 peers: IPV6_V6ONLY on and off (RFC 3493).

Only the loopback is used: a dual-stack listener binds ::ffff:127.0.0.1, never the
wildcard address, so nothing listens beyond this machine.
"""

from conformance.scenario import behaviour
from conformance.scenarios.common import delivered
from fixtures.endpoint import Addr

MAPPED, IPV4 = "::ffff:127.0.0.1", "127.0.0.1"


@behaviour("TCP-PASSIVE-020", seats=("server", "client"), families=("ipv4-mapped",))
def test_dual_stack_listener_sees_ipv4_clients_as_mapped(run):
    listener = run.server.tcp_listen("ipv6", MAPPED, options={"v6only": False})
    client = run.client.tcp_connect("ipv4", Addr(IPV4, listener.local.port))
    server = run.server.tcp_accept(listener)
    run.check("accepted peer", server.peer, equals=Addr(MAPPED, client.local.port),
              rule="must be the client's address, IPv4-mapped")
    run.check("accepted local address", server.local, equals=listener.local,
              rule="must be the listener's address, IPv4-mapped")
    run.check("client's peer is plain IPv4", client.peer, equals=Addr(IPV4, listener.local.port))
    run.check("data flows", delivered(run.client, client, run.server, server, b"v4"), equals=b"v4")


@behaviour("TCP-PASSIVE-021", seats=("server",), families=("ipv4-mapped",))
def test_v6only_listener_cannot_bind_a_mapped_address(run):
    outcome = run.outcome(run.server.tcp_listen, "ipv6", MAPPED, options={"v6only": True})
    run.check("v6only listen on ::ffff:127.0.0.1", outcome, allowed={"EINVAL", "EADDRNOTAVAIL", "EAFNOSUPPORT"})


@behaviour("TCP-PASSIVE-022", seats=("client",), families=("ipv4-mapped",))
def test_v6only_client_cannot_reach_a_mapped_address(run):
    listener = run.server.tcp_listen("ipv4", IPV4)
    outcome = run.outcome(run.client.tcp_connect, "ipv6", Addr(MAPPED, listener.local.port),
                          options={"v6only": True})
    run.check("v6only connect to ::ffff:127.0.0.1", outcome,
              allowed={"ENETUNREACH", "EINVAL", "EAFNOSUPPORT", "EADDRNOTAVAIL"})


@behaviour("TCP-PASSIVE-023", seats=("client", "server"), families=("ipv4-mapped",))
def test_dual_stack_client_reaches_an_ipv4_listener(run):
    listener = run.server.tcp_listen("ipv4", IPV4)
    client = run.client.tcp_connect("ipv6", Addr(MAPPED, listener.local.port), options={"v6only": False})
    server = run.server.tcp_accept(listener)
    run.check("client's local host", client.local.host, equals=MAPPED)
    run.check("server sees a plain IPv4 peer", server.peer, equals=Addr(IPV4, client.local.port),
              rule="must be the client's address as plain IPv4, on the client's port")


@behaviour("TCP-PASSIVE-024", seats=("server",), families=("ipv6",))
def test_v6only_can_be_set_and_read(run):
    # Read on an unbound socket: Linux marks a socket bound to a specific IPv6 address v6-only.
    sock = run.server.tcp_socket("ipv6")
    for value in (True, False, True):
        run.server.set_option(sock, "v6only", value)
        run.check(f"v6only reads back {value}", run.server.get_option(sock, "v6only"), equals=value)
