"""Faulty targets of the stream area (TCP-STREAM-*): addresses, transfer, errors, options."""

from __future__ import annotations

import select
import socket
import time

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


class ConnectReportsLocalAsPeer(ReferenceAdapter):
    """connect() reports its own local address as the peer's (getsockname called twice)."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        return {**result, "peer": result["local"]}


class AcceptPeerPortByteSwapped(ReferenceAdapter):
    """accept() reports the peer's port in network byte order (a missing ntohs)."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        port = result["peer"]["port"]
        return {**result, "peer": {**result["peer"], "port": int.from_bytes(port.to_bytes(2, "big"), "little")}}


class LocalAddressIsPeer(ReferenceAdapter):
    """getsockname() answers with the peer's address."""
    def op_addr_local(self, args):
        return self.op_addr_peer(args)


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


class SendDiscardsUnread(ReferenceAdapter):
    """A send throws away received bytes not yet read (one buffer for both directions)."""
    def op_stream_send(self, args):
        sock = self._socket(args)
        try:
            while sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        return super().op_stream_send(args)


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


class RecvDiscardsExcess(ReferenceAdapter):
    """Reads up to 64 KiB, returns the bytes asked for and drops the rest of what it read."""
    def op_stream_recv(self, args):
        data = decode_bytes(super().op_stream_recv(args.changed(max=65536))["data"])
        return {"data": encode_bytes(data[:args.get("max", int)])}


class EmptySendRejected(ReferenceAdapter):
    """A zero-length send fails with EINVAL (a library that refuses empty buffers)."""
    def op_stream_send(self, args):
        if not args.data():
            raise OpError("EINVAL", "send: empty buffer")
        return super().op_stream_send(args)


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


class OverreportsPartialSend(ReferenceAdapter):
    """A send that takes only part of the data reports all of it as sent (the rest is lost)."""
    def op_stream_send(self, args):
        super().op_stream_send(args)
        return {"sent": len(args.data())}


class TimedOutSendHidesBytes(ReferenceAdapter):
    """Sends the whole buffer by the deadline; when it runs out, reports ETIMEDOUT and not the
    bytes it did send."""
    def op_stream_send(self, args):
        sock, data = self._socket(args), args.data()
        deadline = time.monotonic() + args.timeout()
        sent = 0
        while sent < len(data):
            try:
                sent += sock.send(data[sent:])
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [sock], [], remaining)[1]:
                    raise OpError("ETIMEDOUT", "send: timed out") from None
        return {"sent": sent}


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


class TimeoutIgnored(ReferenceAdapter):
    """A receive with nothing queued fails with ETIMEDOUT at once, without waiting its timeout."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args.changed(timeout=0))
        except OpError as exc:
            if exc.code == "EAGAIN" and args.timeout() > 0:
                raise OpError("ETIMEDOUT", "recv: timed out") from None
            raise


class TimeoutBreaksStream(ReferenceAdapter):
    """After a receive times out, every later receive reports end of stream (a buffered
    reader left unusable by a timeout)."""
    def __init__(self):
        super().__init__()
        self._timed_out = set()

    def op_stream_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._timed_out:
            return {"data": ""}
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                self._timed_out.add(handle)
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


class KeepaliveIgnored(_IgnoresOption):
    """Setting SO_KEEPALIVE does nothing."""
    ignored = "keepalive"


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
        "client's peer is the address it connected to": ConnectReportsLocalAsPeer,
        "server's local address is the client's peer": AcceptSwapsAddresses,
        "server's peer is the client's local address": AcceptPeerPortByteSwapped,
    },
    'TCP-STREAM-002': {
        "client getsockname() = connect's local": LocalAddressIsPeer,
        "client getpeername() = connect's peer": PeerAddressIsLocal,
        "server getsockname() = accept's local": LocalAddressIsPeer,
        "server getpeername() = accept's peer": PeerAddressIsLocal,
    },
    'TCP-STREAM-003': {
        "client receives the server's bytes": CorruptsLargeReceives,
        "server receives the client's bytes": CorruptsLargeReceives,
    },
    'TCP-STREAM-004': {
        "sends, in turn, while the other end's bytes wait unread": HalfDuplex,
        "client receives the server's bytes": SendDiscardsUnread,
        "server receives the client's bytes": SendDiscardsUnread,
        'the echo flows back while the client still has data to send': BadEcho('at-eof'),
        'the whole echo, in order': BadEcho('framed'),
    },
    'TCP-STREAM-005': {
        'byte count': DropsAfterOneMiB,
        'bytes identical and in order': CorruptsLargeReceives,
        'the echo is every byte, in order': BadEcho('framed'),
    },
    'TCP-STREAM-006': {
        'bytes arrive in order': FramesMessages,
        'receive sizes': FramesMessages,
        '# one-byte sends come back as the same # bytes': BadEcho('framed'),
        'one # KiB send comes back as the same bytes': BadEcho('small-buffer'),
    },
    'TCP-STREAM-007': {
        'size of a receive of up to # bytes': RecvIgnoresMax,
        'the rest follows in order': RecvDiscardsExcess,
    },
    'TCP-STREAM-008': {
        'zero-length send reports # bytes': EmptySendRejected,
        'peer sees no data and no end of stream': ZeroSendShutsDown,
        'later data arrives': HoldsSmallWrites,
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
        "server's receive with nothing sent": TimeoutIgnored,
        'data sent after the timeout arrives': TimeoutBreaksStream,
    },
    'TCP-STREAM-014': {
        'nodelay reads back after setting #': NodelayIgnored,
    },
    'TCP-STREAM-015': {
        'keepalive on a new connection': KeepaliveOnByDefault,
        'keepalive reads back after setting #': KeepaliveIgnored,
    },
    'TCP-STREAM-016': {
        'rcvbuf read back after setting #': RcvbufIgnored,
    },
    'TCP-STREAM-017': {
        'sndbuf read back after setting #': SndbufIgnored,
    },
    'TCP-STREAM-018': {
        'ttl reads back after setting #': TtlAlways64,
    },
    'TCP-STREAM-019': {
        'linger reads back after setting #': LingerReadsOff,
    },
    'TCP-STREAM-020': {
        'exchanges whose bytes were wrong or out of order': HoldsSmallWrites,
    },
    'TCP-STREAM-021': {
        "client's local address is the bound one": BindIgnored,
        "server sees the bound address as the peer's": AcceptPeerPortByteSwapped,
    },
    'TCP-STREAM-022': {
        'a send while the peer does not read, before # MiB': NeverBlocksSend,
        'every byte reported sent arrives, in order': OverreportsPartialSend,
        'nothing beyond what was reported sent': TimedOutSendHidesBytes,
    },
}
