"""A reference pinger: COUNT echo requests to HOST, one stable identifier, sequence 1..COUNT.

    python -m reference_impl.ping HOST COUNT

Uses a ping socket (SOCK_DGRAM/IPPROTO_ICMP, allowed by net.ipv4.ping_group_range) when it
can, else a raw socket. Exit status 0 when every request got its reply, 1 otherwise.
"""

from __future__ import annotations

import os
import socket
import sys
import time

from .icmp import ECHO_REPLY, ECHO_REPLY_V6, ECHO_REQUEST, ECHO_REQUEST_V6, Echo, decode_echo, encode_echo


def open_socket(family: int) -> tuple[socket.socket, bool]:
    protocol = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        return socket.socket(family, socket.SOCK_DGRAM, protocol), True
    except OSError:
        return socket.socket(family, socket.SOCK_RAW, protocol), False


def ping(host: str, count: int, timeout: float = 2.0) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock, ping_socket = open_socket(family)
    identifier = os.getpid() & 0xFFFF
    request_type, reply_type = (ECHO_REQUEST, ECHO_REPLY) if family == socket.AF_INET else (
        ECHO_REQUEST_V6, ECHO_REPLY_V6)
    answered = 0
    for sequence in range(1, count + 1):
        payload = b"sockspec reference ping %04d" % sequence
        sock.sendto(encode_echo(Echo(request_type, 0, identifier, sequence, payload),
                                v6_source=host, v6_destination=host), (host, 0))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(65535)
            except TimeoutError:
                break
            if family == socket.AF_INET and not ping_socket:
                data = data[(data[0] & 0x0F) * 4:]  # raw IPv4 sockets deliver the IP header
            reply = decode_echo(data)
            # A ping socket's identifier is its port, rewritten by the kernel.
            if reply.type == reply_type and reply.sequence == sequence and (ping_socket or reply.identifier == identifier):
                answered += 1
                print(f"{len(data)} bytes from {host}: icmp_seq={sequence}", flush=True)
                break
    return 0 if answered == count else 1


def main() -> None:
    host, count = sys.argv[1], int(sys.argv[2])
    sys.exit(ping(host, count))


if __name__ == "__main__":
    main()
