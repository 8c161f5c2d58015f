"""Pingers with one bug each, for proving the ping checks can fail.

    python bad_ping.py MODE HOST COUNT

MODE: bad-checksum (requests carry a wrong checksum), new-identifier (each request its own
identifier), skips (sequence numbers 1, 3, 5, …), one-extra (sends COUNT + 1), exits-1
(correct traffic, exit status 1).
"""

import socket
import sys

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])

from reference_impl import icmp  # noqa: E402


def main() -> None:
    mode, host, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    protocol = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    kind = icmp.ECHO_REQUEST if family == socket.AF_INET else icmp.ECHO_REQUEST_V6
    sock = socket.socket(family, socket.SOCK_RAW, protocol)
    if mode == "bad-checksum" and family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, 7, -1)  # IPV6_CHECKSUM off: send our broken one
    sock.settimeout(1.0)
    for n in range(count + (1 if mode == "one-extra" else 0)):
        identifier = 4242 + (n if mode == "new-identifier" else 0)
        sequence = 2 * n + 1 if mode == "skips" else n + 1
        echo = icmp.Echo(kind, 0, identifier, sequence, b"bad ping %d" % n)
        data = icmp.encode_echo(echo, v6_source=host, v6_destination=host)
        if mode == "bad-checksum":
            data = data[:2] + bytes([data[2] ^ 0xFF]) + data[3:]
        sock.sendto(data, (host, 0))
        try:
            sock.recv(65535)
        except TimeoutError:
            pass
    sys.exit(1 if mode in ("exits-1", "bad-checksum") else 0)


if __name__ == "__main__":
    main()
