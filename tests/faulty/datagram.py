"""Faulty targets of datagram semantics (UDP-DGRAM-*)."""

from __future__ import annotations

import select
import socket

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .common import BadEcho, _connected
from .stream import PeerAddressIsLocal
from .teardown import BroadcastOnByDefault, ConnectedSendNeedsAddress, DatagramPortsShared, RedirectsToPeer

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


class RefusesEmptyDatagrams(ReferenceAdapter):
    """Refuses to send a zero-length datagram (EINVAL), as if it were nothing to send."""
    def op_udp_sendto(self, args):
        if not args.data():
            raise OpError("EINVAL", "sendto: nothing to send")
        return super().op_udp_sendto(args)


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


class ReportsShortSends(ReferenceAdapter):
    """Sends a large datagram whole but reports at most 8 KiB sent (a capped return value)."""
    def op_udp_sendto(self, args):
        result = super().op_udp_sendto(args)
        return {**result, "sent": min(result["sent"], 8192)}


class TimeoutIsEmptyDatagram(ReferenceAdapter):
    """A receive that times out returns an empty datagram instead of an error."""
    def op_udp_recvfrom(self, args):
        try:
            return super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code != "ETIMEDOUT":
                raise
            return {"data": "", "peer": self.op_addr_local(args), "truncated": False}


class RecvfromIgnoresMax(ReferenceAdapter):
    """Returns the whole datagram whatever receive size was asked for."""
    def op_udp_recvfrom(self, args):
        return _datagram(super().op_udp_recvfrom(args.changed(max=65536)), truncated=False)


class KeepsTheRest(ReferenceAdapter):
    """A short receive keeps the rest of the datagram for the next receive, as a stream would."""
    def __init__(self):
        super().__init__()
        self._rest = {}

    def op_udp_recvfrom(self, args):
        handle, size = args.get("handle", int), args.get("max", int)
        if handle in self._rest:
            data, peer = self._rest.pop(handle)
        else:
            result = super().op_udp_recvfrom(args.changed(max=65536))
            data, peer = decode_bytes(result["data"]), result["peer"]
        if len(data) > size:
            self._rest[handle] = (data[size:], peer)
        return {"data": encode_bytes(data[:size]), "peer": peer, "truncated": len(data) > size}


class EmptyDatagramIsEndOfStream(ReferenceAdapter):
    """Takes a zero-length datagram as end of stream: afterwards the socket hears nothing."""
    def __init__(self):
        super().__init__()
        self._ended = set()

    def op_udp_recvfrom(self, args):
        if args.get("handle", int) in self._ended:
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        result = super().op_udp_recvfrom(args)
        if not result["data"]:
            self._ended.add(args.get("handle", int))
        return result


class SendersPortByteSwapped(ReferenceAdapter):
    """Reports each sender's port in network byte order (a missing ntohs)."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        port = result["peer"]["port"]
        return _datagram(result, peer={**result["peer"], "port": int.from_bytes(port.to_bytes(2, "big"), "little")})


class ReportsFirstSenderOnly(ReferenceAdapter):
    """Reports the first peer a socket heard from as the sender of every datagram."""
    def __init__(self):
        super().__init__()
        self._first = {}

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return _datagram(result, peer=self._first.setdefault(args.get("handle", int), result["peer"]))


class PrefersThePeer(ReferenceAdapter):
    """udp.connect only remembers the peer; a receive hands out the peer's queued datagrams
    first, then anyone else's."""
    def __init__(self):
        super().__init__()
        self._peers, self._held = {}, {}

    def op_udp_connect(self, args):
        self._peers[args.get("handle", int)] = {"host": args.get("host", str), "port": args.get("port", int)}
        return {"local": self.op_addr_local(args), "peer": self._peers[args.get("handle", int)]}

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        held = self._held.setdefault(handle, [])
        while True:
            try:
                held.append(super().op_udp_recvfrom(args.changed(timeout=0)))
            except OpError:
                break
        if not held:
            held.append(super().op_udp_recvfrom(args))
        peer = self._peers.get(handle)
        chosen = next((d for d in held if peer and d["peer"]["port"] == peer["port"]), held[0])
        held.remove(chosen)
        return chosen


class ReportsRefusalAtSend(ReferenceAdapter):
    """A connected datagram send waits for an ICMP error and reports it from the send itself."""
    def op_udp_sendto(self, args):
        result = super().op_udp_sendto(args)
        sock = self._socket(args)
        if _connected(sock):
            select.select([sock], [], [], 0.2)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                raise OpError("ECONNREFUSED", "send: connection refused")
        return result


class DuplicatesDatagrams(ReferenceAdapter):
    """Hands out the last datagram again when nothing new has arrived."""
    def __init__(self):
        super().__init__()
        self._last = {}

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        try:
            self._last[handle] = super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code != "ETIMEDOUT" or handle not in self._last:
                raise
        return self._last[handle]


class CutsDatagramsSilently(ReferenceAdapter):
    """Returns at most 4 KiB of a datagram and does not say so."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args.changed(max=min(4096, args.get("max", int))))
        return _datagram(result, truncated=False)


class ConnectedPeerUnknown(ReferenceAdapter):
    """getpeername() on a connected datagram socket still fails with ENOTCONN."""
    def op_addr_peer(self, args):
        if self._socket(args).type == socket.SOCK_DGRAM:
            raise OpError("ENOTCONN", "getpeername: not connected")
        return super().op_addr_peer(args)


class RejectsOtherDestinations(ReferenceAdapter):
    """sendto() naming an address on a connected datagram socket fails with EINVAL."""
    def op_udp_sendto(self, args):
        if _connected(self._socket(args)) and args.get("host", str, None) is not None:
            raise OpError("EINVAL", "sendto: invalid argument")
        return super().op_udp_sendto(args)


class ReportsStaleDatagramPort(ReferenceAdapter):
    """udp.bind to port 0 reports the port of the socket bound before it."""
    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        previous, self._previous = getattr(self, "_previous", None), result["local"]
        if args.get("port", int, 0) == 0 and previous is not None:
            return {**result, "local": previous}
        return result


class BroadcastSetIgnored(ReferenceAdapter):
    """Setting SO_BROADCAST does nothing."""
    def op_opt_set(self, args):
        if args.get("name", str) == "broadcast":
            return {}
        return super().op_opt_set(args)


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'UDP-DGRAM-001': {
        '#-byte datagram: bytes sent': ReportsShortSends,
        '#-byte datagram arrives': SplitsLargeDatagrams,
    },
    'UDP-DGRAM-002': {
        'send of maximum + # bytes': SendsOversizedPartly,
        'nothing arrives': TimeoutIsEmptyDatagram,
    },
    'UDP-DGRAM-003': {
        'the first # bytes': RecvfromIgnoresMax,
        'truncation': HidesTruncation,
        'the next receive': KeepsTheRest,
    },
    'UDP-DGRAM-004': {
        'zero-length send': RefusesEmptyDatagrams,
        'received as': DropsEmptyDatagrams,
        "with its sender's address": ReportsOwnAddressAsSender,
        'a later datagram': EmptyDatagramIsEndOfStream,
    },
    'UDP-DGRAM-005': {
        'reported sender': ReportsOwnAddressAsSender,
    },
    'UDP-DGRAM-006': {
        'three distinct senders': ReportsFirstSenderOnly,
        "each datagram's reported sender, in the order the peers sent": SendersPortByteSwapped,
        'what each peer received': RepliesToLastPeer,
    },
    'UDP-DGRAM-007': {
        'the first datagram received': ConnectDoesNotFilter,
        "the stranger's never arrives": PrefersThePeer,
    },
    'UDP-DGRAM-008': {
        'send to the closed port': ReportsRefusalAtSend,
        'the next receive': SwallowsAsyncErrors,
    },
    'UDP-DGRAM-009': {
        'one message per receive': MergesDatagrams,
    },
    'UDP-DGRAM-010': {
        'all three copies arrive': Deduplicates,
        'and no more': DuplicatesDatagrams,
    },
    'UDP-DGRAM-011': {
        'every send succeeds (fire and forget)': ReportsCongestion,
        'kept datagrams that were not whole': CutsDatagramsSilently,
        'what was kept': DuplicatesDatagrams,
    },
    'UDP-DGRAM-012': {
        'send with no address on an unconnected socket': SendsNowhereSilently,
    },
    'UDP-DGRAM-013': {
        'where the reply came from': BadEcho('wrong-source', 'udp'),
    },
    'UDP-DGRAM-014': {
        '#-byte datagram comes back': BadEcho('truncates', 'udp'),
    },
    'UDP-DGRAM-015': {
        'what each client got back': BadEcho('udp-crosstalk', 'udp'),
    },
    'UDP-DGRAM-016': {
        'getpeername() before connect': PeerAddressIsLocal,
        'getpeername() after connect': ConnectedPeerUnknown,
    },
    'UDP-DGRAM-017': {
        'what the peer receives': ConnectedSendNeedsAddress,
    },
    'UDP-DGRAM-018': {
        'sendto another address': RejectsOtherDestinations,
        'it went to that address': RedirectsToPeer,
    },
    'UDP-DGRAM-019': {
        'second bind to the same port': DatagramPortsShared,
        'port # gives': ReportsStaleDatagramPort,
    },
    'UDP-DGRAM-020': {
        'SO_BROADCAST on a new socket': BroadcastOnByDefault,
        'reads back #': BroadcastSetIgnored,
    },
    'UDP-DGRAM-021': {
        'datagrams of the burst that came back': BadEcho('slow-reader', 'udp'),
    },
    'UDP-DGRAM-022': {
        'what each echo that came back is': BadEcho('batches', 'udp'),
    },
    'UDP-DGRAM-023': {
        'copies that came back': BadEcho('deduplicates', 'udp'),
        'and then': BadEcho('doubles', 'udp'),
    },
    'UDP-DGRAM-024': {
        'what each client got back': BadEcho('shared-buffer', 'udp'),
    },
    'UDP-DGRAM-025': {
        'the empty datagram comes back': BadEcho('drops-empty', 'udp'),
        'a datagram after it comes back': BadEcho('empty-ends-peer', 'udp'),
    },
    'UDP-DGRAM-026': {
        'what each client got back': BadEcho('peer-table', 'udp'),
    },
    'UDP-DGRAM-027': {
        'the order the echoes came back in': BadEcho('reorders', 'udp'),
    },
    'UDP-DGRAM-028': {
        'what came back for each datagram': BadEcho('doubles', 'udp'),
    },
}
