"""ICMP and ICMPv6 messages, the Internet checksum, and IPv4 headers (standard library only).

- RFC 1071: the Internet checksum (one's complement sum of 16-bit words).
- RFC 791: the IPv4 header.
- RFC 792: ICMP echo request/reply (types 8/0), destination unreachable (type 3) quoting
  the original IP header and the first 8 bytes of its payload.
- RFC 4443: ICMPv6 echo request/reply (128/129), destination unreachable (type 1); the
  checksum covers an IPv6 pseudo-header (RFC 8200 §8.1).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

ECHO_REQUEST, ECHO_REPLY, DEST_UNREACHABLE = 8, 0, 3
ECHO_REQUEST_V6, ECHO_REPLY_V6, DEST_UNREACHABLE_V6 = 128, 129, 1
PORT_UNREACHABLE, PORT_UNREACHABLE_V6 = 3, 4
IPPROTO_ICMPV6, IPPROTO_UDP = 58, 17
_ICMP_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
_IPV4_HEADER = struct.Struct("!BBHHHBBH4s4s")
_UDP_HEADER = struct.Struct("!HHHH")


class MalformedPacket(ValueError):
    pass


def internet_checksum(data: bytes) -> int:
    """RFC 1071: the one's complement of the one's complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"  # an odd final byte is padded with a zero byte
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv6_pseudo_header(source: str, destination: str, length: int, next_header: int = IPPROTO_ICMPV6) -> bytes:
    """RFC 8200 §8.1: what upper-layer checksums over IPv6 also cover."""
    return (ipaddress.IPv6Address(source).packed + ipaddress.IPv6Address(destination).packed
            + struct.pack("!I3xB", length, next_header))


@dataclass(frozen=True)
class Echo:
    """An echo request or reply (ICMP or ICMPv6)."""
    type: int
    code: int
    identifier: int
    sequence: int
    payload: bytes
    checksum: int = 0

    @property
    def is_request(self) -> bool:
        return self.type in (ECHO_REQUEST, ECHO_REQUEST_V6)


def encode_echo(echo: Echo, *, v6_source: str | None = None, v6_destination: str | None = None,
                checksum: int | None = None) -> bytes:
    """Encode an echo message. ICMP checksums cover the message; ICMPv6 ones also the
    pseudo-header, so give both addresses for v6 (or leave the checksum to the kernel: 0)."""
    unsummed = _ICMP_HEADER.pack(echo.type, echo.code, 0, echo.identifier, echo.sequence) + echo.payload
    if checksum is None:
        if echo.type in (ECHO_REQUEST_V6, ECHO_REPLY_V6):
            if v6_source is None or v6_destination is None:
                checksum = 0
            else:
                pseudo = ipv6_pseudo_header(v6_source, v6_destination, len(unsummed))
                checksum = internet_checksum(pseudo + unsummed)
        else:
            checksum = internet_checksum(unsummed)
    return unsummed[:2] + struct.pack("!H", checksum) + unsummed[4:]


def decode_echo(data: bytes) -> Echo:
    if len(data) < _ICMP_HEADER.size:
        raise MalformedPacket(f"an echo message has at least 8 bytes, got {len(data)}")
    kind, code, checksum, identifier, sequence = _ICMP_HEADER.unpack_from(data)
    if kind not in (ECHO_REQUEST, ECHO_REPLY, ECHO_REQUEST_V6, ECHO_REPLY_V6):
        raise MalformedPacket(f"ICMP type {kind} is not an echo message")
    return Echo(kind, code, identifier, sequence, bytes(data[8:]), checksum)


def checksum_valid(message: bytes, *, v6_source: str | None = None, v6_destination: str | None = None) -> bool:
    """Whether a whole ICMP (or, with addresses, ICMPv6) message carries a correct checksum."""
    covered = message if v6_source is None else ipv6_pseudo_header(v6_source, v6_destination, len(message)) + message
    return internet_checksum(covered) == 0


@dataclass(frozen=True)
class IPv4Header:
    version: int
    header_length: int  # bytes
    tos: int
    total_length: int
    identification: int
    flags: int
    fragment_offset: int
    ttl: int
    protocol: int
    checksum: int
    source: str
    destination: str
    checksum_ok: bool


def parse_ipv4_header(data: bytes) -> IPv4Header:
    if len(data) < _IPV4_HEADER.size:
        raise MalformedPacket(f"an IPv4 header has at least 20 bytes, got {len(data)}")
    (version_ihl, tos, total, ident, flags_fragment, ttl, protocol, checksum, source,
     destination) = _IPV4_HEADER.unpack_from(data)
    version, length = version_ihl >> 4, (version_ihl & 0x0F) * 4
    if version != 4 or length < 20 or len(data) < length:
        raise MalformedPacket(f"not an IPv4 header (version {version}, header length {length})")
    return IPv4Header(version, length, tos, total, ident, flags_fragment >> 13, flags_fragment & 0x1FFF, ttl,
                      protocol, checksum, str(ipaddress.IPv4Address(source)),
                      str(ipaddress.IPv4Address(destination)), internet_checksum(data[:length]) == 0)


@dataclass(frozen=True)
class Unreachable:
    """A destination-unreachable message and what it quotes of the packet that caused it."""
    code: int
    quoted_header: IPv4Header | None  # ICMP (IPv4) quotes the IPv4 header
    quoted_v6_source: str | None  # ICMPv6 quotes the IPv6 header
    quoted_v6_destination: str | None
    quoted_protocol: int
    quoted_ports: tuple[int, int] | None  # from the quoted UDP/TCP header's first 8 bytes


def parse_unreachable(message: bytes) -> Unreachable:
    """Parse ICMP type 3 (quoting IPv4 header + 8 bytes) or ICMPv6 type 1 (quoting the IPv6 packet)."""
    if len(message) < 8:
        raise MalformedPacket("a destination-unreachable message has at least 8 bytes")
    kind, code = message[0], message[1]
    quoted = message[8:]
    if kind == DEST_UNREACHABLE:
        header = parse_ipv4_header(quoted)
        rest = quoted[header.header_length:]
        ports = struct.unpack_from("!HH", rest) if len(rest) >= 4 else None
        return Unreachable(code, header, None, None, header.protocol, ports)
    if kind == DEST_UNREACHABLE_V6:
        if len(quoted) < 40 or quoted[0] >> 4 != 6:
            raise MalformedPacket("ICMPv6 destination unreachable does not quote an IPv6 header")
        rest = quoted[40:]
        ports = struct.unpack_from("!HH", rest) if len(rest) >= 4 else None
        return Unreachable(code, None, str(ipaddress.IPv6Address(quoted[8:24])),
                           str(ipaddress.IPv6Address(quoted[24:40])), quoted[6], ports)
    raise MalformedPacket(f"ICMP type {kind} is not destination unreachable")
