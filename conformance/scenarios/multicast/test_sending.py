"""The multicast sending options (UDP-MCAST): loopback, TTL (read back and on the wire) and the
interface; and broadcast. Every case runs the target alone in a namespace of its own (§7a)."""

from conformance.scenario import behaviour

from .link import (
    bound,
    captured_until,
    far_end_capture,
    first_after,
    group,
    interface,
    received,
)

SEATS = ("client",)
NETNS = {"seats": SEATS, "isolation": "netns"}
BROADCASTS = ("198.18.0.255", "127.255.255.255")
ZERO, ONE = b"sent with multicast TTL 0", b"TTL 1"


@behaviour("UDP-MCAST-007", **NETNS)
def test_multicast_loop_is_on_by_default(run):
    mc0, to = interface(run), group(run, 7)
    member, sender = bound(run), bound(run)
    run.check("multicast_loop of a new datagram socket", run.client.get_option(sender, "multicast_loop"), equals=True)
    run.client.udp_join(member, to, mc0)
    run.client.sendto(sender, b"looped back", run.addr(member.local.port, to))
    run.check("what a member on the sending host receives", received(run, member, b"looped back"), equals="whole")


@behaviour("UDP-MCAST-008", **NETNS)
def test_without_multicast_loop_the_hosts_members_receive_nothing(run):
    mc0, to = interface(run), group(run, 8)
    member, sender = bound(run), bound(run)
    run.client.udp_join(member, to, mc0)
    run.client.set_option(sender, "multicast_loop", False)
    run.check("multicast_loop after it was set to false", run.client.get_option(sender, "multicast_loop"),
              equals=False)
    run.client.sendto(sender, b"not looped back", run.addr(member.local.port, to))
    run.check("what the member on the sending host receives first", first_after(run, member, sender),
              equals="the marker", rule="the unicast marker sent after it: the group's datagram never arrives")


@behaviour("UDP-MCAST-009", **NETNS)
def test_multicast_ttl_defaults_to_one_and_reads_back(run):
    interface(run)
    sock = bound(run)
    run.check("multicast_ttl of a new datagram socket", run.client.get_option(sock, "multicast_ttl"), equals=1)
    for value in (5, 255, 0):
        run.client.set_option(sock, "multicast_ttl", value)
        run.check(f"multicast_ttl after it was set to {value}", run.client.get_option(sock, "multicast_ttl"),
                  equals=value)


@behaviour("UDP-MCAST-010", **NETNS)
def test_datagrams_to_a_group_carry_the_multicast_ttl(run):
    interface(run)
    to = group(run, 10)
    sender, port_holder = bound(run), bound(run)
    with far_end_capture(run, port_holder.local.port) as wire:
        run.client.sendto(sender, b"default", run.addr(port_holder.local.port, to))
        seen = captured_until(run, wire, 1)
        run.check("the TTL of the first datagram to leave by mc0", seen[0].ttl if seen else "none captured", equals=1)
        run.client.set_option(sender, "multicast_ttl", 7)
        run.client.sendto(sender, b"seven", run.addr(port_holder.local.port, to))
        seen = captured_until(run, wire, 2)
        run.check("the TTL of the next, after multicast_ttl 7", seen[1].ttl if len(seen) > 1 else "none captured",
                  equals=7)


@behaviour("UDP-MCAST-012", **NETNS)
def test_multicast_if_reads_back_as_set(run):
    mc0 = interface(run)
    unset, chosen = ("0.0.0.0", mc0["address"]) if run.family == "ipv4" else (0, mc0["index"])
    sock = bound(run)
    run.check("multicast_if of a new datagram socket", run.client.get_option(sock, "multicast_if"), equals=unset)
    run.client.set_option(sock, "multicast_if", mc0)
    run.check("multicast_if after it was set to mc0", run.client.get_option(sock, "multicast_if"), equals=chosen,
              rule="mc0's address (IPv4) or index (IPv6)")
    run.client.set_option(sock, "multicast_if", None)
    run.check("multicast_if after it was set to null", run.client.get_option(sock, "multicast_if"), equals=unset)


@behaviour("UDP-MCAST-016", **NETNS)
def test_a_datagram_with_ttl_zero_stays_on_the_host(run):
    mc0, to = interface(run), group(run, 16)
    member, sender = bound(run), bound(run)
    run.client.udp_join(member, to, mc0)
    with far_end_capture(run, member.local.port) as wire:
        run.client.set_option(sender, "multicast_ttl", 0)
        run.client.sendto(sender, ZERO, run.addr(member.local.port, to))
        run.check("what the member on the host receives of the TTL-0 datagram", received(run, member, ZERO),
                  equals="whole")
        run.client.set_option(sender, "multicast_ttl", 1)
        run.client.sendto(sender, ONE, run.addr(member.local.port, to))
        seen = captured_until(run, wire, 1)
        run.check("the first datagram to leave by mc0",
                  f"TTL {seen[0].ttl}, {seen[0].payload_length} bytes" if seen else "none captured",
                  equals=f"TTL 1, {len(ONE)} bytes", rule="the TTL-1 datagram: the TTL-0 one never left the host")


@behaviour("UDP-MCAST-013", seats=SEATS, families=("ipv4",), isolation="netns")
def test_broadcast_without_so_broadcast_is_eacces(run):
    interface(run)
    receiver, sender = bound(run), bound(run)
    for address in BROADCASTS:
        run.check(f"a send to {address} without broadcast",
                  run.outcome(run.client.sendto, sender, b"broadcast", run.addr(receiver.local.port, address)),
                  equals="EACCES")


@behaviour("UDP-MCAST-014", seats=SEATS, families=("ipv4",), isolation="netns")
def test_with_so_broadcast_a_broadcast_arrives(run):
    interface(run)
    receiver, sender = bound(run), bound(run)
    run.client.set_option(sender, "broadcast", True)
    for address in BROADCASTS:
        data = f"to {address}".encode()
        run.client.sendto(sender, data, run.addr(receiver.local.port, address))
        run.check(f"what the socket bound to the port receives of a send to {address}",
                  received(run, receiver, data), equals="whole")
