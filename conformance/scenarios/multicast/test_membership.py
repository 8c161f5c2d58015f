"""Group membership (UDP-MCAST): joining, leaving, what members and non-members receive, and
the kernel's errors. Every case runs the target alone in a namespace of its own (§7a)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import datagram_outcome, receive_datagram
from fixtures.endpoint import QUIET_WINDOW

from .link import ARRIVAL, LINK_ADDRESS, bound, first_after, group, interface, received

SEATS = ("client",)
NETNS = {"seats": SEATS, "isolation": "netns"}


@behaviour("UDP-MCAST-001", **NETNS)
def test_a_member_receives_the_groups_datagrams(run):
    mc0, to = interface(run), group(run, 1)
    member, sender = bound(run), bound(run)
    run.client.udp_join(member, to, mc0)
    run.client.sendto(sender, b"to the group", run.addr(member.local.port, to))
    got = receive_datagram(run.client, member, timeout=ARRIVAL)
    run.check("what the member receives", "nothing came back" if got is None else got.data, equals=b"to the group")
    run.check("the datagram's source address", None if got is None else got.peer.host,
              equals=LINK_ADDRESS[run.family], rule="the sender's address on mc0, the interface the group's route uses")


@behaviour("UDP-MCAST-002", **NETNS)
def test_after_leaving_nothing_more_arrives(run):
    mc0, to = interface(run), group(run, 2)
    member, sender = bound(run), bound(run)
    run.client.udp_join(member, to, mc0)
    run.client.sendto(sender, b"while a member", run.addr(member.local.port, to))
    run.check("while a member", received(run, member, b"while a member"), equals="whole")
    run.check("udp.leave", run.outcome(run.client.udp_leave, member, to, mc0), equals="ok")
    run.client.sendto(sender, b"after leaving", run.addr(member.local.port, to))
    run.check("what the socket receives first after leaving", first_after(run, member, sender), equals="the marker",
              rule="the unicast marker sent after the group's datagram: the group's never arrives")


@behaviour("UDP-MCAST-003", **NETNS)
def test_a_socket_bound_to_the_group_without_members_receives_nothing(run):
    interface(run)  # the namespace has its multicast link
    to = group(run, 3)
    listener = bound(run, host=to)
    sender = bound(run)
    run.client.sendto(sender, b"nobody joined", run.addr(listener.local.port, to))
    run.check("what the socket bound to the group receives", datagram_outcome(run.client, listener, QUIET_WINDOW),
              equals="ETIMEDOUT", rule="nothing: no socket of the host joined the group")


@behaviour("UDP-MCAST-004", **NETNS)
def test_joining_twice_is_eaddrinuse(run):
    mc0, to = interface(run), group(run, 4)
    sock = bound(run)
    run.check("the first join", run.outcome(run.client.udp_join, sock, to, mc0), equals="ok")
    run.check("the same join again", run.outcome(run.client.udp_join, sock, to, mc0), equals="EADDRINUSE")


@behaviour("UDP-MCAST-005", **NETNS)
def test_leaving_a_group_not_joined_is_eaddrnotavail(run):
    mc0, to = interface(run), group(run, 5)
    sock = bound(run)
    run.check("leaving a group never joined", run.outcome(run.client.udp_leave, sock, to, mc0), equals="EADDRNOTAVAIL")


@behaviour("UDP-MCAST-006", **NETNS)
def test_joining_a_unicast_address_is_einval(run):
    mc0 = interface(run)
    sock = bound(run)
    run.check("joining the interface's own address, a unicast one",
              run.outcome(run.client.udp_join, sock, LINK_ADDRESS[run.family], mc0), equals="EINVAL")


@behaviour("UDP-MCAST-011", **NETNS)
def test_a_socket_on_the_port_receives_a_group_another_joined(run):
    mc0, to = interface(run), group(run, 11)
    member = bound(run, reuseaddr=True)
    bystander = bound(run, member.local.port, reuseaddr=True)
    sender = bound(run)
    run.client.udp_join(member, to, mc0)
    run.client.sendto(sender, b"to the group", run.addr(member.local.port, to))
    run.check("what the member receives", received(run, member, b"to the group"), equals="whole")
    run.check("what the socket that never joined receives", received(run, bystander, b"to the group"),
              equals="whole", rule="IP_MULTICAST_ALL is on: the group is joined on the host, the port is the socket's")


@behaviour("UDP-MCAST-015", **NETNS)
def test_joining_without_an_interface_uses_the_routes(run):
    interface(run)
    to = group(run, 15)
    member, sender = bound(run), bound(run)
    run.check("udp.join with interface null", run.outcome(run.client.udp_join, member, to, None), equals="ok")
    run.client.sendto(sender, b"to the group", run.addr(member.local.port, to))
    run.check("what the member receives", received(run, member, b"to the group"), equals="whole")
