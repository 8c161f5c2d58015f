"""Multicast and broadcast faults (UDP-MCAST): the reference with one slip each, run as a
program (tests/faulty/programs/fault_adapter.py) so that it can be a netns twin."""

from __future__ import annotations

import socket
import struct
import sys
from dataclasses import dataclass
from typing import ClassVar

from reference_impl.engine import ReferenceAdapter

from .common import PROGRAMS

IP_MULTICAST_ALL = 49


@dataclass(frozen=True)
class McastFault:
    """A fault of this module as a program target (its netns twin is what the behaviours run)."""
    name: str

    def target_spec(self) -> str:
        return f"bad-{self.name}=cmd:{sys.executable} {PROGRAMS / 'fault_adapter.py'} multicast {self.name}"


def _is_group(host) -> bool:
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host) and (
            host.lower().startswith("ff") or 224 <= int(host.split(".")[0]) <= 239)
    except (OSError, ValueError):
        return False


class JoinIgnored(ReferenceAdapter):
    """udp.join answers {} and joins nothing."""
    def op_udp_join(self, args):
        self._socket(args)
        return {}


class JoinNullIgnored(ReferenceAdapter):
    """udp.join with interface null answers {} and joins nothing."""
    def op_udp_join(self, args):
        if args.raw.get("interface") is None:
            self._socket(args)
            return {}
        return super().op_udp_join(args)


class JoinNullRefused(ReferenceAdapter):
    """udp.join with interface null is refused (EINVAL), as if an interface were required."""
    def op_udp_join(self, args):
        if args.raw.get("interface") is None:
            from reference_impl.errors import OpError
            raise OpError("EINVAL", "an interface is required")
        return super().op_udp_join(args)


class JoinTwiceSucceeds(ReferenceAdapter):
    """A join of a group already joined answers {} (EADDRINUSE swallowed)."""
    def op_udp_join(self, args):
        response = self.handle({"op": "udp.leave", "args": args.raw})  # drop it first, then join again
        del response
        return super().op_udp_join(args)


class JoinRefused(ReferenceAdapter):
    """Every udp.join answers EADDRINUSE."""
    def op_udp_join(self, args):
        from reference_impl.errors import OpError
        raise OpError("EADDRINUSE", "join: refused")


class JoinAcceptsUnicast(ReferenceAdapter):
    """udp.join of an address that is not a group answers {} without asking the kernel."""
    def op_udp_join(self, args):
        if not _is_group(args.raw.get("group", "")):
            self._socket(args)
            return {}
        return super().op_udp_join(args)


class LeaveIgnored(ReferenceAdapter):
    """udp.leave answers {} and leaves nothing."""
    def op_udp_leave(self, args):
        self._socket(args)
        return {}


class LeaveRefused(ReferenceAdapter):
    """udp.leave answers EADDRNOTAVAIL and stays a member."""
    def op_udp_leave(self, args):
        from reference_impl.errors import OpError
        raise OpError("EADDRNOTAVAIL", "leave: refused")


class SourceRewritten(ReferenceAdapter):
    """Datagrams received report the loopback address as their source."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        result["peer"] = {**result["peer"], "host": "::1" if ":" in result["peer"]["host"] else "127.0.0.1"}
        return result


class BindToGroupJoins(ReferenceAdapter):
    """A datagram socket bound to a group address joins the group as well."""
    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        host = args.raw.get("host", "")
        if _is_group(host):
            self.op_udp_join(args.changed(handle=result["handle"], group=host, interface=None))
        return result


class _Preset(ReferenceAdapter):
    """Sets a socket option on every new datagram socket (``PRESET``: level, option, value)."""
    PRESET: ClassVar[dict] = {}

    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        sock = self._sockets[result["handle"]]
        level, option, value = self.PRESET[sock.family]
        sock.setsockopt(level, option, value)
        return result


class LoopOffByDefault(_Preset):
    """New datagram sockets have multicast loopback off."""
    PRESET: ClassVar[dict] = {socket.AF_INET: (socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0),
              socket.AF_INET6: (socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)}


class LoopSilentlyOff(LoopOffByDefault):
    """New datagram sockets have multicast loopback off, and multicast_loop reads true all the same."""
    def op_opt_get(self, args):
        if args.raw.get("name") == "multicast_loop":
            self._socket(args)
            return {"value": True}
        return super().op_opt_get(args)


class TtlDefaultFive(_Preset):
    """New datagram sockets send to groups with TTL 5."""
    PRESET: ClassVar[dict] = {socket.AF_INET: (socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 5),
              socket.AF_INET6: (socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 5)}


class MulticastAllOff(_Preset):
    """New datagram sockets have IP_MULTICAST_ALL off (as Java's do): only their own groups."""
    PRESET: ClassVar[dict] = {socket.AF_INET: (socket.IPPROTO_IP, IP_MULTICAST_ALL, 0),
              socket.AF_INET6: (socket.IPPROTO_IPV6, 29, 0)}  # IPV6_MULTICAST_ALL


class BroadcastAlwaysOn(_Preset):
    """New datagram sockets have SO_BROADCAST on."""
    PRESET: ClassVar[dict] = {socket.AF_INET: (socket.SOL_SOCKET, socket.SO_BROADCAST, 1),
              socket.AF_INET6: (socket.SOL_SOCKET, socket.SO_BROADCAST, 1)}


class IfPresetAtBind(ReferenceAdapter):
    """New datagram sockets send to groups by mc0 (IP_MULTICAST_IF set at once)."""
    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        sock = self._sockets[result["handle"]]
        index = socket.if_nametoindex("mc0")
        if sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        else:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.18.0.1"))
        return result


class _Ignores(ReferenceAdapter):
    """opt.set of option ``NAME`` answers {} and changes nothing (with ``VALUES``: only those)."""
    NAME: ClassVar[str] = ""
    VALUES: ClassVar[tuple] = ()

    def op_opt_set(self, args):
        if args.raw.get("name") == self.NAME and (not self.VALUES or args.raw.get("value") in self.VALUES):
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class LoopSetIgnored(_Ignores):
    NAME = "multicast_loop"


class TtlSetIgnored(_Ignores):
    NAME = "multicast_ttl"


class IfNullIgnored(_Ignores):
    NAME, VALUES = "multicast_if", (None,)


class TtlZeroRaisedToOne(ReferenceAdapter):
    """multicast_ttl 0 is set as 1: TTL-0 datagrams leave the host."""
    def op_opt_set(self, args):
        if args.raw.get("name") == "multicast_ttl" and args.raw.get("value") == 0:
            return super().op_opt_set(args.changed(value=1))
        return super().op_opt_set(args)


class LoopKeptOn(ReferenceAdapter):
    """multicast_loop false is remembered and read back, but never given to the kernel."""
    def __init__(self):
        super().__init__()
        self._loop: dict[int, bool] = {}

    def op_opt_set(self, args):
        if args.raw.get("name") == "multicast_loop":
            self._socket(args)
            self._loop[args.raw["handle"]] = args.raw["value"]
            return {}
        return super().op_opt_set(args)

    def op_opt_get(self, args):
        if args.raw.get("name") == "multicast_loop" and args.raw.get("handle") in self._loop:
            return {"value": self._loop[args.raw["handle"]]}
        return super().op_opt_get(args)


class IfIndexOnly(ReferenceAdapter):
    """multicast_if is set by index alone (struct ip_mreqn without the address; IPv6 index 0)."""
    def op_opt_set(self, args):
        value = args.raw.get("value")
        if args.raw.get("name") == "multicast_if" and isinstance(value, dict):
            sock = self._socket(args)
            if sock.family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, 0)
            else:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", bytes(4), bytes(4),
                                                                                        value["index"]))
            return {}
        return super().op_opt_set(args)


class BroadcastSendsNothing(ReferenceAdapter):
    """A send to a broadcast address answers as sent and sends nothing."""
    def op_udp_sendto(self, args):
        if args.raw.get("host", "").endswith(".255"):
            self._socket(args)
            return {"sent": len(args.data())}
        return super().op_udp_sendto(args)


F = McastFault
# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    "UDP-MCAST-001": {
        "what the member receives": F("JoinIgnored"),
        "the datagram's source address": F("SourceRewritten"),
    },
    "UDP-MCAST-002": {
        "while a member": F("JoinIgnored"),
        "udp.leave": F("LeaveRefused"),
        "what the socket receives first after leaving": F("LeaveIgnored"),
    },
    "UDP-MCAST-003": {
        "what the socket bound to the group receives": F("BindToGroupJoins"),
    },
    "UDP-MCAST-004": {
        "the first join": F("JoinRefused"),
        "the same join again": F("JoinTwiceSucceeds"),
    },
    "UDP-MCAST-005": {
        "leaving a group never joined": F("LeaveIgnored"),
    },
    "UDP-MCAST-006": {
        "joining the interface's own address, a unicast one": F("JoinAcceptsUnicast"),
    },
    "UDP-MCAST-007": {
        "multicast_loop of a new datagram socket": F("LoopOffByDefault"),
        "what a member on the sending host receives": F("LoopSilentlyOff"),
    },
    "UDP-MCAST-008": {
        "multicast_loop after it was set to false": F("LoopSetIgnored"),
        "what the member on the sending host receives first": F("LoopKeptOn"),
    },
    "UDP-MCAST-009": {
        "multicast_ttl of a new datagram socket": F("TtlDefaultFive"),
        "multicast_ttl after it was set to #": F("TtlSetIgnored"),
    },
    "UDP-MCAST-010": {
        "the TTL of the first datagram to leave by mc0": F("TtlDefaultFive"),
        "the TTL of the next, after multicast_ttl #": F("TtlSetIgnored"),
    },
    "UDP-MCAST-011": {
        "what the member receives": F("JoinIgnored"),
        "what the socket that never joined receives": F("MulticastAllOff"),
    },
    "UDP-MCAST-012": {
        "multicast_if of a new datagram socket": F("IfPresetAtBind"),
        "multicast_if after it was set to mc0": F("IfIndexOnly"),
        "multicast_if after it was set to null": F("IfNullIgnored"),
    },
    "UDP-MCAST-013": {
        "a send to #.#.#.# without broadcast": F("BroadcastAlwaysOn"),
    },
    "UDP-MCAST-014": {
        "what the socket bound to the port receives of a send to #.#.#.#": F("BroadcastSendsNothing"),
    },
    "UDP-MCAST-015": {
        "udp.join with interface null": F("JoinNullRefused"),
        "what the member receives": F("JoinNullIgnored"),
    },
    "UDP-MCAST-016": {
        "what the member on the host receives of the TTL-# datagram": F("LoopSilentlyOff"),
        "the first datagram to leave by mc0": F("TtlZeroRaisedToOne"),
    },
}
