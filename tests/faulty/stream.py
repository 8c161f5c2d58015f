"""Faulty targets of the stream area (TCP-STREAM-*): addresses, transfer, errors, options."""

from __future__ import annotations

import select
import socket

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .common import BadEcho, _connected, _unmapped

# -- stream: addresses --------------------------------------------------------------------

class AcceptSwapsAddresses(ReferenceAdapter):
    """accept() reports its local and peer addresses the wrong way round."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        return {**result, "local": result["peer"], "peer": result["local"]}


class PeerAddressIsLocal(ReferenceAdapter):
    """getpeername() answers with the socket's own address."""
    def op_addr_peer(self, args):
        return self.op_addr_local(args)


class BindIgnored(ReferenceAdapter):
    """connect() ignores the local address it was asked to bind."""
    def op_tcp_connect(self, args):
        return super().op_tcp_connect(args.changed(bind=None))


class UnmapsAddresses(ReferenceAdapter):
    """IPv4-mapped IPv6 addresses are reported as plain IPv4."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        return {**result, "local": _unmapped(result["local"]), "peer": _unmapped(result["peer"])}

    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        return {**result, "local": _unmapped(result["local"]), "peer": _unmapped(result["peer"])}


# -- stream: transfer ----------------------------------------------------------------------

class CorruptsLargeReceives(ReferenceAdapter):
    """Flips the first byte of every receive of more than 1000 bytes."""
    def op_stream_recv(self, args):
        data = decode_bytes(super().op_stream_recv(args)["data"])
        if len(data) > 1000:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return {"data": encode_bytes(data)}


class HalfDuplex(ReferenceAdapter):
    """Refuses to send while received data waits to be read."""
    def op_stream_send(self, args):
        readable, _, _ = select.select([self._socket(args)], [], [], 0)
        if readable:
            raise OpError("EAGAIN", "half duplex: unread data pending")
        return super().op_stream_send(args)


class DropsAfterOneMiB(ReferenceAdapter):
    """Reports every byte sent, but silently drops all after the first MiB."""
    def __init__(self):
        super().__init__()
        self._totals = {}

    def op_stream_send(self, args):
        handle, data = args.get("handle", int), args.data()
        total = self._totals.get(handle, 0)
        self._totals[handle] = total + len(data)
        if total >= 1 << 20:
            return {"sent": len(data)}
        return super().op_stream_send(args)


class FramesMessages(ReferenceAdapter):
    """A message transport posing as a stream: each send is framed, each receive returns one
    whole message (caught when it sits on both ends, and garbles data against any peer)."""
    def op_stream_send(self, args):
        data = args.data()
        framed = len(data).to_bytes(4, "big") + data
        self._send_all(args, framed)
        return {"sent": len(data)}

    def _send_all(self, args, framed):
        sock = self._socket(args)
        sock.setblocking(True)
        try:
            sock.sendall(framed)
        finally:
            sock.setblocking(False)

    def op_stream_recv(self, args):
        sock = self._socket(args)
        sock.setblocking(True)
        sock.settimeout(args.get("timeout", (int, float), 5.0) or 0.001)
        try:
            header = sock.recv(4, socket.MSG_WAITALL)
            if len(header) < 4:
                return {"data": ""}
            size = int.from_bytes(header, "big")
            return {"data": encode_bytes(sock.recv(size, socket.MSG_WAITALL) if size else b"")}
        except TimeoutError:
            raise OpError("ETIMEDOUT", "recv: timed out") from None
        finally:
            sock.setblocking(False)


class RecvIgnoresMax(ReferenceAdapter):
    """Returns up to twice the bytes asked for."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(max=2 * args.get("max", int)))


class ZeroSendShutsDown(ReferenceAdapter):
    """A zero-length send shuts the write side down, so the peer sees end of stream."""
    def op_stream_send(self, args):
        if not args.data():
            self._socket(args).shutdown(socket.SHUT_WR)
            return {"sent": 0}
        return super().op_stream_send(args)


class HoldsSmallWrites(ReferenceAdapter):
    """Buffers writes under 32 bytes until the next send: a writer that never flushes."""
    def __init__(self):
        super().__init__()
        self._held = {}

    def op_stream_send(self, args):
        handle, data = args.get("handle", int), args.data()
        pending = self._held.pop(handle, b"") + data
        if len(pending) < 32:
            self._held[handle] = pending
            return {"sent": len(data)}
        super().op_stream_send(args.changed(data=encode_bytes(pending)))
        return {"sent": len(data)}


class NeverBlocksSend(ReferenceAdapter):
    """When the socket is full, reports the bytes as sent anyway (and drops them)."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args.changed(timeout=0))
        except OpError as exc:
            if exc.code in ("ETIMEDOUT", "EAGAIN"):
                return {"sent": len(args.data())}
            raise


# -- stream: errors ------------------------------------------------------------------------

class RefusedAsTimeout(ReferenceAdapter):
    """A refused connect is reported as a timeout."""
    def op_tcp_connect(self, args):
        try:
            return super().op_tcp_connect(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                raise OpError("ETIMEDOUT", "connect: timed out") from None
            raise


class SendsWhenUnconnected(ReferenceAdapter):
    """send() on an unconnected socket claims success."""
    def op_stream_send(self, args):
        if not _connected(self._socket(args)):
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class UnconnectedRecvIsEOF(ReferenceAdapter):
    """recv() on an unconnected socket reports end of stream."""
    def op_stream_recv(self, args):
        if not _connected(self._socket(args)):
            return {"data": ""}
        return super().op_stream_recv(args)


class EmptyQueueIsEOF(ReferenceAdapter):
    """A non-blocking receive with nothing queued reports end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "EAGAIN":
                return {"data": ""}
            raise


class TimeoutIsEOF(ReferenceAdapter):
    """A receive that times out reports end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                return {"data": ""}
            raise


# -- stream: options -------------------------------------------------------------------------

class _IgnoresOption(ReferenceAdapter):
    ignored = ""

    def op_opt_set(self, args):
        if args.get("name", str) == self.ignored:
            return {}
        return super().op_opt_set(args)


class NodelayIgnored(_IgnoresOption):
    """Setting TCP_NODELAY does nothing."""
    ignored = "nodelay"


class RcvbufIgnored(_IgnoresOption):
    """Setting SO_RCVBUF does nothing."""
    ignored = "rcvbuf"


class SndbufIgnored(_IgnoresOption):
    """Setting SO_SNDBUF does nothing."""
    ignored = "sndbuf"


class KeepaliveOnByDefault(ReferenceAdapter):
    """Turns keep-alives on for every new connection."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return result

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return result


class TtlAlways64(ReferenceAdapter):
    """Reads the TTL back as 64 whatever was set."""
    def op_opt_get(self, args):
        return {"value": 64} if args.get("name", str) == "ttl" else super().op_opt_get(args)


class LingerReadsOff(ReferenceAdapter):
    """Reads SO_LINGER back as off whatever was set."""
    def op_opt_get(self, args):
        return {"value": None} if args.get("name", str) == "linger" else super().op_opt_get(args)


class V6onlyReadsFalse(ReferenceAdapter):
    """Reads IPV6_V6ONLY back as false whatever was set."""
    def op_opt_get(self, args):
        return {"value": False} if args.get("name", str) == "v6only" else super().op_opt_get(args)


class V6onlyIgnored(ReferenceAdapter):
    """Drops IPV6_V6ONLY from the options given at creation."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "v6only"})


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-STREAM-001': {
        "client's peer is the server's local address": AcceptSwapsAddresses,
    },
    'TCP-STREAM-002': {
        "client getpeername() = connect's peer": PeerAddressIsLocal,
        "server getpeername() = accept's peer": PeerAddressIsLocal,
    },
    'TCP-STREAM-003': {
        "client receives the server's bytes": CorruptsLargeReceives,
        "server receives the client's bytes": CorruptsLargeReceives,
    },
    'TCP-STREAM-004': {
        'the echo flowed back while the client was still sending': BadEcho('framed'),
    },
    'TCP-STREAM-005': {
        'the echo is every byte, in order': BadEcho('framed'),
    },
    'TCP-STREAM-006': {
        '# one-byte sends come back as the same # bytes': BadEcho('framed'),
        'bytes arrive in order': FramesMessages,
        'receive sizes ignored the send boundaries': FramesMessages,
    },
    'TCP-STREAM-007': {
        'first receive returns #..# bytes': RecvIgnoresMax,
    },
    'TCP-STREAM-008': {
        'peer sees no data and no end of stream': ZeroSendShutsDown,
    },
    'TCP-STREAM-009': {
        'connect outcome': RefusedAsTimeout,
    },
    'TCP-STREAM-010': {
        'send outcome': SendsWhenUnconnected,
    },
    'TCP-STREAM-011': {
        'receive outcome': UnconnectedRecvIsEOF,
    },
    'TCP-STREAM-012': {
        "client's non-blocking receive": EmptyQueueIsEOF,
        "server's non-blocking receive": EmptyQueueIsEOF,
    },
    'TCP-STREAM-013': {
        "server's receive with nothing sent": TimeoutIsEOF,
    },
    'TCP-STREAM-014': {
        'nodelay reads back after setting #': NodelayIgnored,
    },
    'TCP-STREAM-015': {
        'keepalive on a new connection': KeepaliveOnByDefault,
    },
    'TCP-STREAM-016': {
        'rcvbuf reads back at least #': RcvbufIgnored,
    },
    'TCP-STREAM-017': {
        'sndbuf: the larger setting reads back larger': SndbufIgnored,
    },
    'TCP-STREAM-018': {
        'ttl reads back after setting #': TtlAlways64,
    },
    'TCP-STREAM-019': {
        'linger reads back after setting #': LingerReadsOff,
    },
    'TCP-STREAM-021': {
        "client's local port is the bound port": BindIgnored,
    },
    'TCP-STREAM-022': {
        'sender blocked before # MiB while the peer did not read': NeverBlocksSend,
    },
}
