"""Faulty targets of raw sockets and ICMP (ICMP-ECHO-*) and of ping programs (ICMP-PING-*)."""

from __future__ import annotations

import socket

from reference_impl import icmp
from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .common import BadAdapterProgram, BadPing

# -- raw sockets and ICMP --------------------------------------------------------------------------

def _icmp_offset(data: bytes) -> int:
    return (data[0] & 0x0F) * 4 if data and data[0] >> 4 == 4 else 0


def _with_raw_data(result: dict, change) -> dict:
    return {**result, "data": encode_bytes(change(decode_bytes(result["data"])))}


class RewritesEchoIdentifier(ReferenceAdapter):
    """Replaces the identifier of every echo request it sends (checksum fixed up)."""
    def op_raw_send(self, args):
        data = bytearray(args.data())
        if data and data[0] in (icmp.ECHO_REQUEST, icmp.ECHO_REQUEST_V6):
            data[4:6] = bytes([data[4] ^ 0x5A, data[5]])
            data[2:4] = b"\0\0"
            if data[0] == icmp.ECHO_REQUEST:
                data[2:4] = icmp.internet_checksum(bytes(data)).to_bytes(2, "big")
        return super().op_raw_send(args.changed(data=encode_bytes(bytes(data))))


class RewritesEchoSequence(ReferenceAdapter):
    """Sends every echo request with its sequence number one higher (checksum fixed up)."""
    def op_raw_send(self, args):
        data = bytearray(args.data())
        if len(data) >= 8 and data[0] in (icmp.ECHO_REQUEST, icmp.ECHO_REQUEST_V6):
            data[6:8] = ((int.from_bytes(data[6:8], "big") + 1) & 0xFFFF).to_bytes(2, "big")
            data[2:4] = b"\0\0"
            if data[0] == icmp.ECHO_REQUEST:
                data[2:4] = icmp.internet_checksum(bytes(data)).to_bytes(2, "big")
        return super().op_raw_send(args.changed(data=encode_bytes(bytes(data))))


class DamagesEchoPayload(ReferenceAdapter):
    """Delivers echo replies with the last byte of their payload flipped."""
    def op_raw_recv(self, args):
        def damage(data):
            at = _icmp_offset(data)
            if len(data) > at + 8 and data[at] in (icmp.ECHO_REPLY, icmp.ECHO_REPLY_V6):
                return data[:-1] + bytes([data[-1] ^ 0xFF])
            return data
        return _with_raw_data(super().op_raw_recv(args), damage)


class CorruptsIcmpChecksum(ReferenceAdapter):
    """Delivers ICMP messages with their checksum damaged."""
    def op_raw_recv(self, args):
        def damage(data):
            at = _icmp_offset(data) + 2
            return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        return _with_raw_data(super().op_raw_recv(args), damage)


class TruncatesRawReceive(ReferenceAdapter):
    """Never delivers more than 1 KiB of a raw packet."""
    def op_raw_recv(self, args):
        return super().op_raw_recv(args.changed(max=min(1024, args.get("max", int, 65535))))


class FixesChecksums(ReferenceAdapter):
    """Recomputes the checksum of every ICMP message it sends, so a broken one goes out right."""
    def op_raw_send(self, args):
        data = bytearray(args.data())
        if data and data[0] == icmp.ECHO_REQUEST:
            data[2:4] = b"\0\0"
            data[2:4] = icmp.internet_checksum(bytes(data)).to_bytes(2, "big")
        return super().op_raw_send(args.changed(data=encode_bytes(bytes(data))))


class StripsIpHeader(ReferenceAdapter):
    """Delivers IPv4 raw packets without their IP header."""
    def op_raw_recv(self, args):
        return _with_raw_data(super().op_raw_recv(args), lambda data: data[_icmp_offset(data):])


class HidesUnreachables(ReferenceAdapter):
    """Filters destination-unreachable messages out of raw receives."""
    def op_raw_recv(self, args):
        while True:
            result = super().op_raw_recv(args)
            data = decode_bytes(result["data"])
            if data[_icmp_offset(data)] not in (icmp.DEST_UNREACHABLE, icmp.DEST_UNREACHABLE_V6):
                return result


class MisquotesUnreachables(ReferenceAdapter):
    """Delivers destination-unreachable messages quoting protocol TCP instead of the packet's own."""
    def op_raw_recv(self, args):
        def damage(data):
            at = _icmp_offset(data)
            if len(data) > at + 8 and data[at] == icmp.DEST_UNREACHABLE:
                quoted = at + 8
                return data[:quoted + 9] + bytes([6]) + data[quoted + 10:]
            if len(data) > at + 8 and data[at] == icmp.DEST_UNREACHABLE_V6:
                quoted = at + 8
                return data[:quoted + 6] + bytes([6]) + data[quoted + 7:]
            return data
        return _with_raw_data(super().op_raw_recv(args), damage)


class RawTtlIgnored(ReferenceAdapter):
    """Drops the ttl option when opening raw sockets."""
    def op_raw_open(self, args):
        options = {k: v for k, v in args.get("options", dict, {}).items() if k != "ttl"}
        return super().op_raw_open(args.changed(options=options))


class OnlyFirstRawSocketReceives(ReferenceAdapter):
    """Only the first raw socket opened ever receives anything."""
    def __init__(self):
        super().__init__()
        self._first = None

    def op_raw_open(self, args):
        result = super().op_raw_open(args)
        self._first = self._first or result["handle"]
        return result

    def op_raw_recv(self, args):
        if args.get("handle", int) != self._first:
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        return super().op_raw_recv(args)


class FirstRawSocketDeaf(ReferenceAdapter):
    """The first raw socket opened never receives anything; later ones do."""
    def __init__(self):
        super().__init__()
        self._first = None

    def op_raw_open(self, args):
        result = super().op_raw_open(args)
        self._first = self._first or result["handle"]
        return result

    def op_raw_recv(self, args):
        if args.get("handle", int) == self._first:
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        return super().op_raw_recv(args)


class RawReceivesNothing(ReferenceAdapter):
    """Raw receives always time out, whatever arrived."""
    def op_raw_recv(self, args):
        raise OpError("ETIMEDOUT", "recvfrom: timed out")


class DuplicatesRawPackets(ReferenceAdapter):
    """Delivers every raw packet twice."""
    def __init__(self):
        super().__init__()
        self._again = {}

    def op_raw_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._again:
            return self._again.pop(handle)
        self._again[handle] = result = super().op_raw_recv(args)
        return result


class RawPeerUnknown(ReferenceAdapter):
    """Reports the wildcard address as every raw packet's sender."""
    def op_raw_recv(self, args):
        result = super().op_raw_recv(args)
        wildcard = "0.0.0.0" if self._socket(args).family == socket.AF_INET else "::"
        return {**result, "peer": {"host": wildcard, "port": 0}}


class CorruptsIpv4Header(ReferenceAdapter):
    """Damages the IPv4 header checksum of raw packets it delivers."""
    def op_raw_recv(self, args):
        def damage(data):
            return data[:10] + bytes([data[10] ^ 0xFF]) + data[11:] if data and data[0] >> 4 == 4 else data
        return _with_raw_data(super().op_raw_recv(args), damage)


class CutsOversizedIcmp(ReferenceAdapter):
    """Cuts an oversized ICMP message down instead of failing."""
    def op_raw_send(self, args):
        data = args.data()
        limit = 65515 if self._socket(args).family == socket.AF_INET else 65535
        return super().op_raw_send(args.changed(data=encode_bytes(data[:limit])))


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'ICMP-ECHO-001': {
        "the reply's identifier": RewritesEchoIdentifier,
        "the reply's sequence number": RewritesEchoSequence,
        "the reply's payload": DamagesEchoPayload,
    },
    'ICMP-ECHO-002': {
        "the reply's checksum": CorruptsIcmpChecksum,
    },
    'ICMP-ECHO-003': {
        "the reply's payload to a #-byte request": TruncatesRawReceive,
    },
    'ICMP-ECHO-004': {
        'replies to the request with a bad checksum (#.# s)': FixesChecksums,
        'the reply to a correct request sent next: its sequence number': RawReceivesNothing,
    },
    'ICMP-ECHO-005': {
        'what the receive starts with': StripsIpHeader,
    },
    'ICMP-ECHO-006': {
        'the ICMP message the datagram draws (type, code)': HidesUnreachables,
        'what it quotes of the datagram': MisquotesUnreachables,
    },
    'ICMP-ECHO-007': {
        "the request's TTL on the wire": RawTtlIgnored,
    },
    'ICMP-ECHO-008': {
        'replies the first raw socket receives (by sequence number)': FirstRawSocketDeaf,
        'replies the second raw socket receives (by sequence number)': OnlyFirstRawSocketReceives,
    },
    'ICMP-ECHO-009': {
        'sequence numbers of the replies': DuplicatesRawPackets,
    },
    'ICMP-ECHO-010': {
        "the reply's source": RawPeerUnknown,
    },
    'ICMP-ECHO-011': {
        'the IPv4 header delivered with the reply': CorruptsIpv4Header,
    },
    'ICMP-ECHO-012': {
        'send of the maximum + # bytes': CutsOversizedIcmp,
    },
    'ICMP-ECHO-013': {
        'raw.open without CAP_NET_RAW': BadAdapterProgram('stand-in', 'raw.open'),
    },
    'ICMP-ECHO-014': {
        "the reply's identifier": BadAdapterProgram('claims-id', 'raw.recv'),
    },
    'ICMP-ECHO-015': {
        "the first socket's reply: its sequence number": BadAdapterProgram('renumbers', 'raw.recv'),
        'what the second socket receives meanwhile': BadAdapterProgram('leaks', 'raw.recv'),
        "the second socket's reply: its sequence number": BadAdapterProgram('shared-queue', 'raw.open'),
        'what the first socket receives meanwhile': BadAdapterProgram('leaks-to-first', 'raw.recv'),
    },
    'ICMP-ECHO-016': {
        'the message the receive starts with': BadAdapterProgram('ip-header', 'raw.recv'),
        "the reply's checksum": BadAdapterProgram('bad-checksum', 'raw.recv'),
    },
    'ICMP-PING-001': {
        'forms the requests took (type, code, checksum)': BadPing('bad-checksum'),
    },
    'ICMP-PING-002': {
        'distinct identifiers among the requests': BadPing('new-identifier'),
    },
    'ICMP-PING-003': {
        'steps between consecutive sequence numbers': BadPing('skips'),
    },
    'ICMP-PING-004': {
        'requests sent when asked for #': BadPing('one-extra'),
        'requests answered by a reply echoing their payload': BadPing('bad-checksum'),
    },
    'ICMP-PING-005': {
        'exit status': BadPing('exits-1'),
    },
}
