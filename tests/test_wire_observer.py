"""The wire observer sees exactly one port's segments, once each, with their flags."""

import socket

import pytest

from fixtures.wire import WireObserver, capture_available

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
