"""The wire observer sees exactly one port's segments, once each, with their flags."""

import socket

import pytest

from fixtures.wire import UdpObserver, WireObserver, capture_available

pytestmark = pytest.mark.skipif(not capture_available(), reason="packet capture needs CAP_NET_RAW")


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_sees_its_port_only_with_fin_and_rst(family, host):
    with socket.socket(family) as listener, socket.socket(family) as other_listener:
        listener.bind((host, 0))
        listener.listen()
        other_listener.bind((host, 0))
        other_listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection((host, port))
        server, _ = listener.accept()
        observer = WireObserver(port)
        try:
            noise = socket.create_connection((host, other_listener.getsockname()[1]))
            noise.sendall(b"noise")
            client.sendall(b"hello")
            server.recv(5)
            client.close()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            server.close()
            segments = observer.segments()
        finally:
            observer.close()
            noise.close()
    assert segments and all(port in (s.source.port, s.destination.port) for s in segments)
    assert [s.payload_length for s in segments if s.payload_length] == [5]  # once, not twice
    assert any("FIN" in s.flags for s in segments if s.destination.port == port)
    assert any("RST" in s.flags for s in segments if s.source.port == port)


@pytest.mark.parametrize("family, host, ttl_option, tos_option", [
    (socket.AF_INET, "127.0.0.1", (socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IP, socket.IP_TOS)),
    (socket.AF_INET6, "::1", (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS), (socket.IPPROTO_IPV6, socket.IPV6_TCLASS)),
])
def test_sees_ip_fields_sequence_numbers_and_the_syn_mss(family, host, ttl_option, tos_option):
    with socket.socket(family) as listener:
        listener.bind((host, 0))
        listener.listen()
        port = listener.getsockname()[1]
        observer = WireObserver(port)
        try:
            client = socket.create_connection((host, port))
            server, _ = listener.accept()
            client.setsockopt(*ttl_option, 7)
            client.setsockopt(*tos_option, 0x28)
            client.sendall(b"hello")
            server.recv(5)
            client.close()
            server.close()
            segments = observer.segments()
        finally:
            observer.close()
    syn = next(s for s in segments if s.flags == {"SYN"})
    assert syn.mss and syn.mss > 1000 and syn.window > 0 and syn.next_seq == (syn.seq + 1) % (1 << 32)
    data = next(s for s in segments if s.payload_length)
    assert (data.ttl, data.tos & 0xFC, data.payload_length, data.seq) == (7, 0x28, 5, syn.next_seq)
    assert any(s.ack == data.next_seq for s in segments if s.source == data.destination)
    assert all(s.ttl == syn.ttl for s in segments if s.source == data.destination)  # the server's: untouched


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_udp_observer_sees_its_port_only_with_lengths_ttl_and_tos(family, host):
    with socket.socket(family, socket.SOCK_DGRAM) as receiver, socket.socket(family, socket.SOCK_DGRAM) as sender, \
            socket.socket(family, socket.SOCK_DGRAM) as other:
        receiver.bind((host, 0))
        other.bind((host, 0))
        port = receiver.getsockname()[1]
        observer = UdpObserver(port)
        try:
            sender.sendto(b"noise", other.getsockname()[:2])
            if family == socket.AF_INET:
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 9)
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x10)
            else:
                sender.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)
                sender.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x10)
            for data in (b"abc", b"", b"x" * 1000):
                sender.sendto(data, receiver.getsockname()[:2])
                receiver.recv(2000)
            datagrams = observer.datagrams()
        finally:
            observer.close()
    assert [(d.payload_length, d.ttl, d.tos) for d in datagrams] == [(3, 9, 0x10), (0, 9, 0x10), (1000, 9, 0x10)]
    assert all(d.destination.port == port and d.source == datagrams[0].source for d in datagrams)


def test_sent_on_keeps_to_one_connection_of_a_shared_port():
    """An accepted socket shares its port with its listener and every other accepted socket:
    sent_by(address) sees all of them, sent_on(socket) only what went to that socket's peer
    (a reset of another connection on the port is not this one's)."""
    from fixtures.endpoint import Addr, Socket
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        observer = WireObserver(port)
        try:
            first, second = socket.create_connection(("127.0.0.1", port)), socket.create_connection(("127.0.0.1", port))
            first.settimeout(5)
            served, _ = listener.accept()  # the accept queue is first come, first served
            other, _ = listener.accept()
            other.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            other.close()  # a reset from the shared port, to the other client
            served.sendall(b"mine")
            first.recv(4)
            segments_of = Socket(1, Addr(*served.getsockname()), Addr(*served.getpeername()))
            on = observer.sent_on(segments_of)
            by = observer.sent_by(segments_of.local)
        finally:
            observer.close()
            for sock in (first, second, served):
                sock.close()
    assert any("RST" in s.flags for s in by)
    assert on and all(s.destination == segments_of.peer for s in on)
    assert not any("RST" in s.flags for s in on) and [s.payload_length for s in on if s.payload_length] == [4]
