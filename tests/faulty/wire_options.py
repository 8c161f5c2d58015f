"""Faulty targets for the options seen on the wire (TCP-WIRE-*, UDP-WIRE-*; issue 13, phase 2):
PROOFS maps each check to its fault."""

from __future__ import annotations

import socket
import struct
import time

from reference_impl.engine import ReferenceAdapter

from .options15 import option_ignored
from .teardown import CloseIsNoop

TCP_FIN_WAIT2 = 5


def _set_ip(sock: socket.socket, v4: int, v6: int, value: int) -> None:
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, v6, value)
    else:
        sock.setsockopt(socket.IPPROTO_IP, v4, value)


class TtlOnEverySocket(ReferenceAdapter):
    """Every new socket gets a TTL (hop limit) of 128, not the system's default."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        if "ttl" not in options:
            _set_ip(sock, socket.IP_TTL, socket.IPV6_UNICAST_HOPS, 128)
        return sock


class TosOnEverySocket(ReferenceAdapter):
    """Every new socket gets TOS (traffic class) 0x10 (low delay), not 0."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        _set_ip(sock, socket.IP_TOS, socket.IPV6_TCLASS, 0x10)
        return sock


class CreationIgnoresTtl(ReferenceAdapter):
    """The ttl given when a socket is made (listen, bind) is dropped."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "ttl"})


class TtlOnlyUntilConnected(ReferenceAdapter):
    """A ttl given at connect is taken back once connected (the system's default again)."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        if "ttl" in self._options(args):
            _set_ip(self._sockets[result["handle"]], socket.IP_TTL, socket.IPV6_UNICAST_HOPS, -1)
        return result


class SmallMss(ReferenceAdapter):
    """Every new stream socket clamps its MSS to 1000 (TCP_MAXSEG), so its SYN advertises 1000."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1000)
        return sock


class KeepaliveOnByDefault(ReferenceAdapter):
    """Every new stream socket, accepted ones too, has keep-alive on."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return result


class KeepaliveOffIgnored(ReferenceAdapter):
    """Switching keep-alive off answers ok and leaves it on."""
    def op_opt_set(self, args):
        if args.get("name", str) == "keepalive" and args.raw.get("value") is False:
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class SmallSendsHeld(ReferenceAdapter):
    """A send of up to 16 bytes is kept in the wrapper until the next send, which takes both."""
    def __init__(self):
        super().__init__()
        self._held: dict[int, bytes] = {}

    def op_stream_send(self, args):
        handle, data = args.get("handle", int), args.data()
        if handle not in self._held and 0 < len(data) <= 16:
            self._held[handle] = data
            return {"sent": len(data)}
        self._socket(args).sendall(self._held.pop(handle, b"") + data)
        return {"sent": len(data)}


class LaterSendsSplit(ReferenceAdapter):
    """Every send after a socket's first leaves in two pieces: its first byte, then the rest."""
    def __init__(self):
        super().__init__()
        self._sent: set[int] = set()

    def op_stream_send(self, args):
        handle, data, sock = args.get("handle", int), args.data(), self._socket(args)
        if handle in self._sent and len(data) > 1:
            sock.sendall(data[:1])
            sock.sendall(data[1:])
            return {"sent": len(data)}
        self._sent.add(handle)
        return super().op_stream_send(args)


class LargeSendsLoseTail(ReferenceAdapter):
    """A send of more than 1000 bytes drops its last 100 and still reports every byte sent."""
    def op_stream_send(self, args):
        data = args.data()
        if len(data) <= 1000:
            return super().op_stream_send(args)
        self._socket(args).sendall(data[:-100])
        return {"sent": len(data)}


class CloseSendsFinThenRst(ReferenceAdapter):
    """close() of a connection shuts its write side, waits until that FIN is acknowledged,
    then resets it (SO_LINGER 0): a FIN and a RST both leave."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.getpeername()
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                return super().op_close(args)
            deadline = time.monotonic() + 5.0
            while sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_FIN_WAIT2 \
                    and time.monotonic() < deadline:
                time.sleep(0.01)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return super().op_close(args)


class EmptyDatagramsDropped(ReferenceAdapter):
    """A zero-length datagram is not sent (the send still answers 0)."""
    def op_udp_sendto(self, args):
        if not args.data():
            self._socket(args)
            return {"sent": 0}
        return super().op_udp_sendto(args)


def _proofs() -> dict[str, dict]:
    proofs: dict[str, dict] = {
        "TCP-WIRE-001": {"TTL of the data segments sent after setting ttl #": option_ignored("ttl")},
        "TCP-WIRE-003": {"DS field of the data segments sent after setting tos #": option_ignored("tos")},
        "TCP-WIRE-004": {"TTL of the SYN-ACK": CreationIgnoresTtl, "DS field of the SYN-ACK": option_ignored("tos")},
        "TCP-WIRE-012": {"TTL of the SYN of a connection made with ttl #": CreationIgnoresTtl,
                         "TTLs of every later segment it sent": TtlOnlyUntilConnected},
        "TCP-WIRE-006": {
            "the first segment after # s idle (sequence against SND.NXT), and the peer's answer":
                option_ignored("keepalive")},
        "TCP-WIRE-008": {
            "the first segment after # s idle (sequence against SND.NXT), and the peer's answer":
                option_ignored("keepalive"),
            "segments the idle client sent in # s after keepalive was switched off": KeepaliveOffIgnored},
        "TCP-WIRE-009": {
            "data segments of the first #-byte send, before anything else is sent": SmallSendsHeld,
            "data segments of both #-byte sends": LaterSendsSplit},
        "TCP-WIRE-010": {
            "what the peer read": LargeSendsLoseTail,
            "the FIN the closing end sent (its sequence number against the end of the data)": CloseIsNoop,
            "segments carrying RST (either end)": CloseSendsFinThenRst},
        "TCP-WIRE-011": {
            "flags of the segments carrying RST the closing end sent": option_ignored("linger"),
            "flags of the segments carrying FIN the closing end sent": CloseSendsFinThenRst},
        "UDP-WIRE-001": {
            "TTL of a datagram from a socket made with ttl #": CreationIgnoresTtl,
            "TTL of a datagram sent after setting ttl #": option_ignored("ttl")},
        "UDP-WIRE-002": {
            "TTL of a datagram, nothing set (the system's default is #)": TtlOnEverySocket,
            "TOS (traffic class) byte of a datagram, nothing set": TosOnEverySocket},
        "UDP-WIRE-003": {"TOS (traffic class) byte of a datagram sent after setting tos #": option_ignored("tos")},
        "UDP-WIRE-004": {"the datagrams the sends left as: length, from, to": EmptyDatagramsDropped},
        "TCP-WIRE-002": {}, "TCP-WIRE-005": {}, "TCP-WIRE-007": {},
    }
    for seat in ("client", "server"):
        proofs["TCP-WIRE-002"][f"TTLs of every segment the {seat} sent (the system's default is #)"] = TtlOnEverySocket
        proofs["TCP-WIRE-002"][f"DS fields of every segment the {seat} sent"] = TosOnEverySocket
        proofs["TCP-WIRE-007"][f"segments the idle {seat} sent in # s, keepalive never set"] = KeepaliveOnByDefault
    for handshake in ("SYN", "SYN-ACK"):
        proofs["TCP-WIRE-005"][f"MSS option of the {handshake} (loopback MTU less the headers: #)"] = SmallMss
    return proofs


PROOFS: dict[str, dict] = _proofs()
