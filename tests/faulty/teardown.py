"""Faulty targets of connection teardown (TCP-TEARDOWN-*)."""

from __future__ import annotations

import socket

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import encode_bytes

from .common import _connected

# -- teardown ------------------------------------------------------------------------------------

class CloseAborts(ReferenceAdapter):
    """close() resets the connection (SO_LINGER 0) instead of closing it in order."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _connected(sock):
            return self.op_stream_abort(args)
        return super().op_close(args)


class EndOfStreamOnlyOnce(ReferenceAdapter):
    """After reporting end of stream once, receives fail with ENOTCONN."""
    def __init__(self):
        super().__init__()
        self._ended = set()

    def op_stream_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._ended:
            raise OpError("ENOTCONN", "recv: connection ended")
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(handle)
        return result


class ShutdownWriteClosesBoth(ReferenceAdapter):
    """shutdown of the write side shuts both sides."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "write":
            args = args.changed(how="both")
        return super().op_stream_shutdown(args)


class SendAfterShutdownPretends(ReferenceAdapter):
    """send() after shutdown(SHUT_WR) claims success."""
    def __init__(self):
        super().__init__()
        self._shut = set()

    def op_stream_shutdown(self, args):
        if args.get("how", str) in ("write", "both"):
            self._shut.add(args.get("handle", int))
        return super().op_stream_shutdown(args)

    def op_stream_send(self, args):
        if args.get("handle", int) in self._shut:
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class ShutdownReadIgnored(ReferenceAdapter):
    """shutdown(SHUT_RD) does nothing."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "read":
            self._socket(args)
            return {}
        return super().op_stream_shutdown(args)


class AbortIsGraceful(ReferenceAdapter):
    """stream.abort closes in order (FIN) instead of resetting."""
    def op_stream_abort(self, args):
        return self.op_close(args)


class CloseDrainsFirst(ReferenceAdapter):
    """close() reads and discards unread data first, so the peer sees FIN, not RST."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM:
            try:
                while sock.recv(1 << 16):
                    pass
            except OSError:
                pass
        return super().op_close(args)


class HidesBrokenPipe(ReferenceAdapter):
    """A send to a peer that is gone claims success."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args)
        except OpError as exc:
            if exc.code in ("EPIPE", "ECONNRESET"):
                return {"sent": len(args.data())}
            raise


class CloseIsNoop(ReferenceAdapter):
    """close() answers ok and does nothing: the socket stays open and usable."""
    def op_close(self, args):
        self._socket(args)
        return {}


class ReuseaddrIgnored(ReferenceAdapter):
    """Drops SO_REUSEADDR from the options given at creation."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "reuseaddr"})

class ShutdownBothWritesOnly(ReferenceAdapter):
    """shutdown(SHUT_RDWR) shuts down the write side only."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "both":
            args = args.changed(how="write")
        return super().op_stream_shutdown(args)


class ShutdownUnconnectedSilently(ReferenceAdapter):
    """shutdown() on an unconnected socket claims success."""
    def op_stream_shutdown(self, args):
        if not _connected(self._socket(args)):
            return {}
        return super().op_stream_shutdown(args)


class LingerMeansAbort(ReferenceAdapter):
    """Closing a socket with SO_LINGER set resets the connection."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and self.op_opt_get(args.changed(name="linger"))["value"]:
            return self.op_stream_abort(args)
        return super().op_close(args)


class ConnectedSendNeedsAddress(ReferenceAdapter):
    """A connected datagram socket still wants an address on every send."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is None:
            raise OpError("EDESTADDRREQ", "send: destination address required")
        return super().op_udp_sendto(args)


class RedirectsToPeer(ReferenceAdapter):
    """On a connected datagram socket, sendto() ignores its address and sends to the peer."""
    def op_udp_sendto(self, args):
        if _connected(self._socket(args)):
            return super().op_udp_sendto(args.changed(host=None, port=None))
        return super().op_udp_sendto(args)


class DatagramPortsShared(ReferenceAdapter):
    """Every datagram socket is bound with SO_REUSEADDR and SO_REUSEPORT."""
    def op_udp_bind(self, args):
        options = {**args.get("options", dict, {}), "reuseaddr": True, "reuseport": True}
        return super().op_udp_bind(args.changed(options=options))


class BroadcastOnByDefault(ReferenceAdapter):
    """Datagram sockets start with SO_BROADCAST on."""
    def op_udp_bind(self, args):
        return super().op_udp_bind(args.changed(options={"broadcast": True, **args.get("options", dict, {})}))

class EndOfStreamAfterShutdownIsError(ReferenceAdapter):
    """Once its own write side is shut, a socket reports the peer's end of stream as ENOTCONN."""
    def __init__(self):
        super().__init__()
        self._shut = set()

    def op_stream_shutdown(self, args):
        self._shut.add(args.get("handle", int))
        return super().op_stream_shutdown(args)

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "" and args.get("handle", int) in self._shut:
            raise OpError("ENOTCONN", "recv: not connected")
        return result


class BufferedCloseLosesTail(ReferenceAdapter):
    """Keeps the last 1 KiB of every send in a user-space buffer, flushed by the next send; close() and shutdown() forget to flush it."""
    HELD = 1024

    def __init__(self):
        super().__init__()
        self._held = {}

    def op_stream_send(self, args):
        handle = args.get("handle", int)
        self._socket(args)
        data = self._held.pop(handle, b"") + args.data()
        head, tail = data[:-self.HELD], data[-self.HELD:]
        if head:
            sent = super().op_stream_send(args.changed(data=encode_bytes(head)))["sent"]
            tail = head[sent:] + tail
        self._held[handle] = tail
        return {"sent": len(args.data())}

    def op_close(self, args):
        self._held.pop(args.get("handle", int), None)
        return super().op_close(args)


class ShutdownWriteIgnored(ReferenceAdapter):
    """shutdown(SHUT_WR) only marks the socket: no FIN goes out until it is closed."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "write":
            self._socket(args)
            return {}
        return super().op_stream_shutdown(args)


class ShutdownBothReadsOnly(ReferenceAdapter):
    """shutdown(SHUT_RDWR) shuts down the read side only."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "both":
            args = args.changed(how="read")
        return super().op_stream_shutdown(args)


class EndOfStreamAsReset(ReferenceAdapter):
    """Reports the peer's orderly close (end of stream) as ECONNRESET."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            raise OpError("ECONNRESET", "recv: connection closed by peer")
        return result


class ResetAsEndOfStream(ReferenceAdapter):
    """Reports a reset connection (ECONNRESET) as end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code != "ECONNRESET":
                raise
            return {"data": ""}


class ClosesOnEndOfStream(ReferenceAdapter):
    """Ends its side as soon as a receive sees end of stream (no half-open connections, as Node's allowHalfOpen: false)."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._socket(args).shutdown(socket.SHUT_WR)
        return result


class ClosedRecvIsEOF(ReferenceAdapter):
    """recv() on a closed handle reports end of stream instead of EBADF."""
    def op_stream_recv(self, args):
        if args.get("handle", int) not in self._sockets:
            return {"data": ""}
        return super().op_stream_recv(args)


class DoubleCloseSilent(ReferenceAdapter):
    """close() of an already closed handle succeeds (an idempotent close)."""
    def op_close(self, args):
        handle = args.get("handle", int)
        if handle not in self._sockets and handle not in self._services:
            return {}
        return super().op_close(args)


class LingerZeroAfterShutdown(ReferenceAdapter):
    """close() shuts the write side down, then resets the connection (SO_LINGER 0) to skip TIME-WAIT."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _connected(sock):
            sock.shutdown(socket.SHUT_WR)
            return self.op_stream_abort(args)
        return super().op_close(args)


class ReuseaddrAlways(ReferenceAdapter):
    """Every listener gets SO_REUSEADDR, asked for or not (as Go's net, Java's nio and Rust's std set it)."""
    def op_tcp_listen(self, args):
        return super().op_tcp_listen(args.changed(options={**args.get("options", dict, {}), "reuseaddr": True}))


class AbortShutsDownFirst(ReferenceAdapter):
    """abort() shuts the write side down before resetting: a FIN goes out ahead of the RST."""
    def op_stream_abort(self, args):
        self._socket(args).shutdown(socket.SHUT_WR)
        return super().op_stream_abort(args)


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-TEARDOWN-001': {
        'all data sent before close arrives, in order': BufferedCloseLosesTail,
        'then end of stream': CloseAborts,
    },
    'TCP-TEARDOWN-002': {
        'three receives after the peer closed': EndOfStreamOnlyOnce,
    },
    'TCP-TEARDOWN-003': {
        'server receives the request': BufferedCloseLosesTail,
        'then end of stream': ShutdownWriteIgnored,
        'the half-closed client still receives': ShutdownWriteClosesBoth,
        'and sees end of stream when the server closes': CloseIsNoop,
    },
    'TCP-TEARDOWN-004': {
        'send after shutdown(SHUT_WR)': SendAfterShutdownPretends,
    },
    'TCP-TEARDOWN-005': {
        'receive after shutdown(SHUT_RD)': ShutdownReadIgnored,
    },
    'TCP-TEARDOWN-006': {
        "the peer's receive": AbortIsGraceful,
    },
    'TCP-TEARDOWN-007': {
        "the peer's receive": CloseDrainsFirst,
    },
    'TCP-TEARDOWN-008': {
        "the peer's close is seen": EndOfStreamAsReset,
        'first failing send': HidesBrokenPipe,
    },
    'TCP-TEARDOWN-009': {
        'send on a closed socket': CloseIsNoop,
        'receive on a closed socket': ClosedRecvIsEOF,
        'closing it again': DoubleCloseSilent,
    },
    'TCP-TEARDOWN-010': {
        'the passive end sees end of stream': CloseAborts,
        "the passive closer's socket is gone": CloseIsNoop,
        'the active closer is in TIME-WAIT': LingerZeroAfterShutdown,
    },
    'TCP-TEARDOWN-011': {
        "the server's end is in TIME-WAIT": LingerZeroAfterShutdown,
        'a new listener without SO_REUSEADDR': ReuseaddrAlways,
        'a new listener with SO_REUSEADDR': ReuseaddrIgnored,
    },
    'TCP-TEARDOWN-012': {
        "the server's end waits in CLOSE-WAIT": CloseAborts,
        'the server sees end of stream': EndOfStreamAsReset,
        'reading end of stream leaves it in CLOSE-WAIT': ClosesOnEndOfStream,
        'after it closes, its socket is gone': CloseIsNoop,
    },
    'TCP-TEARDOWN-013': {
        'the peer sees end of stream': ShutdownBothReadsOnly,
        "the socket's own receive": ShutdownBothWritesOnly,
        "the socket's own send": SendAfterShutdownPretends,
    },
    'TCP-TEARDOWN-014': {
        'the reset is seen': AbortIsGraceful,
        'sending on the reset connection': HidesBrokenPipe,
    },
    'TCP-TEARDOWN-015': {
        'shutdown of a never-connected socket': ShutdownUnconnectedSilently,
    },
    'TCP-TEARDOWN-016': {
        'all data arrives': BufferedCloseLosesTail,
        'then end of stream, not a reset': LingerMeansAbort,
    },
    'TCP-TEARDOWN-017': {
        'nothing is left half-closed': ShutdownWriteIgnored,
        'the client sees end of stream': EndOfStreamAfterShutdownIsError,
        'the server sees end of stream': EndOfStreamAfterShutdownIsError,
    },
    'TCP-TEARDOWN-018': {
        'no segment carried RST': CloseAborts,
        'the client sent FIN': CloseIsNoop,
        'the server sent FIN': CloseIsNoop,
    },
    'TCP-TEARDOWN-019': {
        'the client sent RST': AbortIsGraceful,
        'the client sent no FIN': AbortShutsDownFirst,
        "the server's receive": ResetAsEndOfStream,
    },
}
