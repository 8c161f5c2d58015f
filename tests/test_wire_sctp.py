"""The SCTP wire decoder (fixtures/wire_sctp.py) on hand-built packets: the common header,
the CRC32c (a bad one is seen as bad), the chunks the SCTP behaviours judge, and frames of
SCTP inside UDP (RFC 6951) and straight over IP."""

from __future__ import annotations

import socket
import struct

from fixtures.wire_sctp import _filter, crc32c, parse_frame, parse_sctp, with_checksum


def chunk(kind: int, flags: int, body: bytes) -> bytes:
    raw = struct.pack("!BBH", kind, flags, 4 + len(body)) + body
    return raw + b"\0" * (-len(raw) % 4)


def packet(*chunks: bytes, tag: int = 0x01020304, ports: tuple[int, int] = (5000, 6000)) -> bytes:
    return with_checksum(struct.pack("!HHII", *ports, tag, 0) + b"".join(chunks))


def data_chunk(flags: int, tsn: int, stream: int, ssn: int, ppid: int, payload: bytes) -> bytes:
    return chunk(0, flags, struct.pack("!IHHI", tsn, stream, ssn, ppid) + payload)


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283  # RFC 3720 B.4 / the CRC-32C check value


def test_init_header_and_parameters():
    init = struct.pack("!IIHHI", 0xA1B2C3D4, 65536, 10, 2048, 77) + struct.pack("!HHI", 12, 8, 0x00050006)
    decoded = parse_sctp(packet(chunk(1, 0, init), tag=0), "127.0.0.1", "127.0.0.1")
    assert (decoded.source.port, decoded.destination.port, decoded.verification_tag) == (5000, 6000, 0)
    assert decoded.checksum_ok and decoded.kinds == ["INIT"]
    assert decoded.chunks[0].fields == {"initiate_tag": 0xA1B2C3D4, "a_rwnd": 65536, "outbound_streams": 10,
                                        "inbound_streams": 2048, "initial_tsn": 77, "parameters": [12]}


def test_a_bad_crc32c_is_seen():
    good = packet(chunk(11, 0, b""))
    bad = good[:8] + bytes([good[8] ^ 0xFF]) + good[9:]
    assert parse_sctp(good, "::1", "::1").checksum_ok
    assert not parse_sctp(bad, "::1", "::1").checksum_ok
    corrupted_body = good[:-1] + b"\x01"
    assert not parse_sctp(corrupted_body, "::1", "::1").checksum_ok


def test_data_chunks_flags_and_fields_several_per_packet():
    raw = packet(data_chunk(0b010, 9, 3, 4, 51, b"abc"), data_chunk(0b101, 10, 1, 0, 7, b"z"), chunk(3, 0, struct.pack("!I", 8)))
    decoded = parse_sctp(raw, "127.0.0.1", "127.0.0.1")
    assert decoded.kinds == ["DATA", "DATA", "SACK"]
    first, second, sack = decoded.chunks
    assert first.flag_names() == ["B"] and second.flag_names() == ["U", "E"]
    assert (first.fields["tsn"], first.fields["stream"], first.fields["ssn"], first.fields["ppid"],
            first.fields["payload"]) == (9, 3, 4, 51, b"abc")
    assert sack.fields == {"cumulative_tsn": 8}


def test_teardown_chunks_and_the_t_bit():
    raw = packet(chunk(7, 0, struct.pack("!I", 5)), chunk(8, 0, b""), chunk(14, 1, b""), chunk(6, 0, b""),
                 chunk(4, 0, b"\0\1\0\x08abcd"), chunk(10, 0, b"cookie"), chunk(2, 0, b""), chunk(99, 0, b""))
    decoded = parse_sctp(raw, "127.0.0.1", "127.0.0.1")
    assert decoded.kinds == ["SHUTDOWN", "SHUTDOWN-ACK", "SHUTDOWN-COMPLETE", "ABORT", "HEARTBEAT", "COOKIE-ECHO",
                             "INIT-ACK", "TYPE-99"]
    assert decoded.chunks[2].flag_names() == ["T"] and decoded.chunks[3].flag_names() == []
    assert decoded.chunks[5].fields == {"cookie": b"cookie"}


def ethernet(ethertype: int, ip: bytes) -> bytes:
    return b"\0" * 12 + struct.pack("!H", ethertype) + ip


def ipv4(protocol: int, payload: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, protocol, 0,
                       socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.2")) + payload


def ipv6(next_header: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64,
                       socket.inet_pton(socket.AF_INET6, "::1"), socket.inet_pton(socket.AF_INET6, "::1")) + payload


def udp(source: int, destination: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", source, destination, 8 + len(payload), 0) + payload


def test_frames_of_sctp_over_udp_and_over_ip():
    sctp = packet(chunk(11, 0, b""))
    over_udp = parse_frame(ethernet(0x0800, ipv4(17, udp(9899, 9900, sctp))))
    assert over_udp.udp == (9899, 9900) and over_udp.kinds == ["COOKIE-ACK"]
    assert (over_udp.source.host, over_udp.destination.host) == ("127.0.0.1", "127.0.0.2")
    over_udp6 = parse_frame(ethernet(0x86DD, ipv6(17, udp(1, 2, sctp))))
    assert over_udp6.udp == (1, 2) and over_udp6.source.host == "::1"
    over_ip = parse_frame(ethernet(0x86DD, ipv6(132, sctp)))
    assert over_ip.udp is None and over_ip.kinds == ["COOKIE-ACK"]
    assert parse_frame(ethernet(0x0800, ipv4(6, b"\0" * 20))) is None


def test_the_filter_is_a_whole_program():
    for ports in ((9899,), (1, 2, 3)):
        program = _filter(ports)
        assert len(program) % 8 == 0
        count = len(program) // 8
        for index in range(count):
            code, jt, jf, _ = struct.unpack_from("HBBI", program, index * 8)
            if code == 0x15:  # every jump lands inside the program
                assert index + 1 + max(jt, jf) < count
