"""The reference ICMP codec against published vectors, and against the kernel itself."""

import os
import socket

import pytest

from reference_impl import icmp

# RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement), checksum 220d.
RFC1071_BYTES = bytes.fromhex("0001f203f4f5f6f7")
# The classic IPv4 header example (192.168.0.1 -> 192.168.0.199, UDP, checksum b861).
IPV4_HEADER = bytes.fromhex("450000730000400040 11b861c0a80001c0a800c7".replace(" ", ""))


def test_rfc1071_example():
    assert icmp.internet_checksum(RFC1071_BYTES) == 0x220D
    assert icmp.internet_checksum(RFC1071_BYTES + (0x220D).to_bytes(2, "big")) == 0


def test_odd_length_is_padded_with_zero():
    assert icmp.internet_checksum(b"\x01") == 0xFEFF


def test_ipv4_header_vector():
    header = icmp.parse_ipv4_header(IPV4_HEADER)
    assert (header.version, header.header_length, header.total_length, header.ttl, header.protocol) == (
        4, 20, 0x73, 64, 17)
    assert (header.source, header.destination, header.checksum) == ("192.168.0.1", "192.168.0.199", 0xB861)
    assert header.checksum_ok
    zeroed = IPV4_HEADER[:10] + b"\0\0" + IPV4_HEADER[12:]
    assert icmp.internet_checksum(zeroed) == 0xB861
    assert not icmp.parse_ipv4_header(IPV4_HEADER[:11] + b"\0" + IPV4_HEADER[12:]).checksum_ok


def test_echo_round_trip_and_checksum():
    echo = icmp.Echo(icmp.ECHO_REQUEST, 0, 0x1234, 7, b"payload")
    wire = icmp.encode_echo(echo)
    assert icmp.checksum_valid(wire)
    decoded = icmp.decode_echo(wire)
    assert (decoded.type, decoded.identifier, decoded.sequence, decoded.payload) == (8, 0x1234, 7, b"payload")
    assert not icmp.checksum_valid(wire[:-1] + bytes([wire[-1] ^ 1]))


def test_icmpv6_checksum_covers_the_pseudo_header():
    echo = icmp.Echo(icmp.ECHO_REQUEST_V6, 0, 1, 1, b"abc")
    wire = icmp.encode_echo(echo, v6_source="::1", v6_destination="::1")
    assert icmp.checksum_valid(wire, v6_source="::1", v6_destination="::1")
    assert not icmp.checksum_valid(wire, v6_source="::1", v6_destination="::2")


def test_unreachable_quotes_the_original_header_and_ports():
    udp = (5353).to_bytes(2, "big") + (9).to_bytes(2, "big") + b"\0\x08\0\0"
    quoted = IPV4_HEADER + udp
    message = bytes([icmp.DEST_UNREACHABLE, icmp.PORT_UNREACHABLE, 0, 0, 0, 0, 0, 0]) + quoted
    parsed = icmp.parse_unreachable(message)
    assert parsed.code == icmp.PORT_UNREACHABLE and parsed.quoted_protocol == 17
    assert parsed.quoted_ports == (5353, 9) and parsed.quoted_header.destination == "192.168.0.199"


@pytest.mark.parametrize("data", [b"", b"\x08\x00", IPV4_HEADER[:19]])
def test_malformed_input_is_rejected(data):
    with pytest.raises(icmp.MalformedPacket):
        icmp.decode_echo(data) if len(data) < 8 else icmp.parse_ipv4_header(data)


def raw_socket(family, proto):
    try:
        return socket.socket(family, socket.SOCK_RAW, proto)
    except PermissionError:
        pytest.skip("raw sockets need CAP_NET_RAW (run as root to cross-check with the kernel)")


def test_the_kernel_answers_our_echo_request_and_its_reply_checks_out():
    """Linux only replies to a request whose checksum is right: the kernel is the vector."""
    with raw_socket(socket.AF_INET, socket.IPPROTO_ICMP) as sock:
        sock.settimeout(2)
        identifier = os.getpid() & 0xFFFF
        sock.sendto(icmp.encode_echo(icmp.Echo(icmp.ECHO_REQUEST, 0, identifier, 42, b"sockspec")),
                    ("127.0.0.1", 0))
        while True:
            packet = sock.recv(65535)
            header = icmp.parse_ipv4_header(packet)
            message = packet[header.header_length:]
            echo = icmp.decode_echo(message)
            if echo.type == icmp.ECHO_REPLY and (echo.identifier, echo.sequence) == (identifier, 42):
                break
        assert header.checksum_ok and icmp.checksum_valid(message) and echo.payload == b"sockspec"


def test_the_kernel_answers_our_icmpv6_echo_request():
    """The kernel fills in ICMPv6 checksums of raw sockets itself; the check here is that our
    pseudo-header arithmetic agrees with the kernel's on its reply."""
    with raw_socket(socket.AF_INET6, socket.IPPROTO_ICMPV6) as sock:
        sock.settimeout(2)
        identifier = os.getpid() & 0xFFFF
        request = icmp.encode_echo(icmp.Echo(icmp.ECHO_REQUEST_V6, 0, identifier, 43, b"sockspec"),
                                   v6_source="::1", v6_destination="::1")
        sock.sendto(request, ("::1", 0))
        while True:
            message = sock.recv(65535)  # ICMPv6 raw sockets deliver no IP header
            echo = icmp.decode_echo(message)
            if echo.type == icmp.ECHO_REPLY_V6 and (echo.identifier, echo.sequence) == (identifier, 43):
                break
        assert icmp.checksum_valid(message, v6_source="::1", v6_destination="::1")
