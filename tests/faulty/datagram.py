"""Faulty targets of datagram semantics (UDP-DGRAM-*)."""

from __future__ import annotations

import socket

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .common import BadEcho, _connected
from .stream import PeerAddressIsLocal
from .teardown import BroadcastOnByDefault, DatagramPortsShared, RedirectsToPeer

# -- datagrams ---------------------------------------------------------------------------------

def _datagram(result: dict, **changes) -> dict:
    return {**result, **changes}


class SplitsLargeDatagrams(ReferenceAdapter):
    """Never returns more than 8 KiB of a datagram, and does not say so."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args.changed(max=min(8192, args.get("max", int))))
        return _datagram(result, truncated=False)


class SendsOversizedPartly(ReferenceAdapter):
    """Cuts an oversized datagram down to the maximum instead of failing."""
    def op_udp_sendto(self, args):
        data = args.data()
        limit = 65507 if self._socket(args).family == socket.AF_INET else 65527
        if len(data) > limit:
            return super().op_udp_sendto(args.changed(data=encode_bytes(data[:limit])))
        return super().op_udp_sendto(args)


class HidesTruncation(ReferenceAdapter):
    """Never reports truncation."""
    def op_udp_recvfrom(self, args):
        return _datagram(super().op_udp_recvfrom(args), truncated=False)


class DropsEmptyDatagrams(ReferenceAdapter):
    """Treats a zero-length datagram as nothing to send."""
    def op_udp_sendto(self, args):
        if not args.data():
            return {"sent": 0}
        return super().op_udp_sendto(args)


class ReportsOwnAddressAsSender(ReferenceAdapter):
    """Reports the receiving socket's own address as each datagram's sender."""
    def op_udp_recvfrom(self, args):
        return _datagram(super().op_udp_recvfrom(args), peer=self.op_addr_local(args))


class RepliesToLastPeer(ReferenceAdapter):
    """Sends every datagram to the last peer heard from, whatever address it was given."""
    def __init__(self):
        super().__init__()
        self._last = {}

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        self._last[args.get("handle", int)] = result["peer"]
        return result

    def op_udp_sendto(self, args):
        last = self._last.get(args.get("handle", int))
        return super().op_udp_sendto(args.changed(**last) if last else args)


class ConnectDoesNotFilter(ReferenceAdapter):
    """udp.connect only remembers the peer as a default destination; everyone still gets in."""
    def __init__(self):
        super().__init__()
        self._peers = {}

    def op_udp_connect(self, args):
        self._peers[args.get("handle", int)] = {"host": args.get("host", str), "port": args.get("port", int)}
        return {"local": self.op_addr_local(args), "peer": self._peers[args.get("handle", int)]}

    def op_udp_sendto(self, args):
        peer = self._peers.get(args.get("handle", int))
        if peer and args.get("host", str, None) is None:
            args = args.changed(**peer)
        return super().op_udp_sendto(args)


class SwallowsAsyncErrors(ReferenceAdapter):
    """Hides ICMP-reported errors: a refused port just looks quiet."""
    def op_udp_recvfrom(self, args):
        try:
            return super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                raise OpError("ETIMEDOUT", "recvfrom: timed out") from None
            raise


class MergesDatagrams(ReferenceAdapter):
    """Returns every datagram already queued as one, like a stream would."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        data = decode_bytes(result["data"])
        while True:
            try:
                more = super().op_udp_recvfrom(args.changed(timeout=0))
            except OpError:
                break
            data += decode_bytes(more["data"])
        return _datagram(result, data=encode_bytes(data))


class Deduplicates(ReferenceAdapter):
    """Skips a datagram identical to the one before it from the same peer."""
    def __init__(self):
        super().__init__()
        self._previous = {}

    def op_udp_recvfrom(self, args):
        while True:
            result = super().op_udp_recvfrom(args)
            key = (args.get("handle", int), result["peer"]["host"], result["peer"]["port"])
            if self._previous.get(key) != result["data"]:
                self._previous[key] = result["data"]
                return result


class ReportsCongestion(ReferenceAdapter):
    """Fails every 50th large datagram with ENOBUFS, as a sender with its own flow control."""
    def __init__(self):
        super().__init__()
        self._large = 0

    def op_udp_sendto(self, args):
        if len(args.data()) >= 4096:
            self._large += 1
            if self._large % 50 == 0:
                raise OpError("ENOBUFS", "sendto: no buffer space")
        return super().op_udp_sendto(args)


class SendsNowhereSilently(ReferenceAdapter):
    """send() with no destination on an unconnected socket claims success."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is None and not _connected(self._socket(args)):
            return {"sent": len(args.data())}
        return super().op_udp_sendto(args)


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'UDP-DGRAM-001': {
        '#-byte datagram arrives whole': SplitsLargeDatagrams,
    },
    'UDP-DGRAM-002': {
        'send of maximum + # bytes': SendsOversizedPartly,
    },
    'UDP-DGRAM-003': {
        'truncation is reported': HidesTruncation,
    },
    'UDP-DGRAM-005': {
        'reported sender is the sending socket': ReportsOwnAddressAsSender,
    },
    'UDP-DGRAM-007': {
        "the first datagram received is the peer's": ConnectDoesNotFilter,
    },
    'UDP-DGRAM-008': {
        'the next receive': SwallowsAsyncErrors,
    },
    'UDP-DGRAM-011': {
        'every send succeeds (fire and forget)': ReportsCongestion,
    },
    'UDP-DGRAM-012': {
        'send with no address on an unconnected socket': SendsNowhereSilently,
    },
    'UDP-DGRAM-013': {
        'reply comes from the address the client sent to': BadEcho('wrong-source', 'udp'),
    },
    'UDP-DGRAM-014': {
        '#-byte datagram comes back whole': BadEcho('truncates', 'udp'),
    },
    'UDP-DGRAM-016': {
        'getpeername() before connect': PeerAddressIsLocal,
    },
    'UDP-DGRAM-018': {
        'it went to that address': RedirectsToPeer,
    },
    'UDP-DGRAM-019': {
        'second bind to the same port': DatagramPortsShared,
    },
    'UDP-DGRAM-020': {
        'SO_BROADCAST on a new socket': BroadcastOnByDefault,
    },
}
