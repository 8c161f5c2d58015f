"""The hop limit of ICMPv6 on the wire (ICMP-ECHO-017): the IPv6 variant of ICMP-ECHO-007.

A raw ICMPv6 socket never delivers the IPv6 header (RFC 3542 §3), so an observer socket cannot
read the hop limit as ICMP-ECHO-007 reads IPv4's TTL: the request is captured on lo instead
(fixtures.wire_icmp), filtered in the kernel by its identifier.
"""

from conformance.scenario import behaviour
from conformance.scenarios.icmp.test_echo import (
    NO_REPLY,
    SEATS,
    new_identifier,
    request,
)
from fixtures.wire_icmp import EchoRequestObserver

HOP_LIMIT = 7
ARRIVAL = 5.0


@behaviour("ICMP-ECHO-017", seats=SEATS, families=("ipv6",))
def test_hop_limit_set_on_a_raw_socket_is_on_the_wire(run):
    sock = run.pinger.raw_open(run.family, options={"ttl": HOP_LIMIT})
    identifier = new_identifier()
    wire = EchoRequestObserver(identifier)
    try:
        run.pinger.raw_send(sock, request(run, identifier, 3, b"hop limit"), run.host)
        run.eventually(lambda: any(r.sequence == 3 for r in wire.requests()), ARRIVAL)
        seen = [r.hop_limit for r in wire.requests() if r.sequence == 3]
    finally:
        wire.close()
    run.check("the request's hop limit on the wire", seen[0] if seen else NO_REPLY, equals=HOP_LIMIT,
              rule=f"the request leaves with the hop limit set on the socket ({HOP_LIMIT})")
