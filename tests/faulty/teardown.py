"""Faulty targets of connection teardown (TCP-TEARDOWN-*)."""

from __future__ import annotations

import socket

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError

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


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-TEARDOWN-001': {
        'then end of stream': CloseAborts,
    },
    'TCP-TEARDOWN-002': {
        'three receives after the peer closed': EndOfStreamOnlyOnce,
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
        'first failing send': HidesBrokenPipe,
    },
    'TCP-TEARDOWN-009': {
        'send on a closed socket': CloseIsNoop,
    },
    'TCP-TEARDOWN-010': {
        'the active closer is in TIME-WAIT': CloseAborts,
        'the passive end sees end of stream': CloseAborts,
    },
    'TCP-TEARDOWN-011': {
        'a new listener with SO_REUSEADDR': ReuseaddrIgnored,
    },
    'TCP-TEARDOWN-012': {
        'after it closes, nothing is in CLOSE-WAIT': CloseIsNoop,
        "the server's end waits in CLOSE-WAIT": CloseIsNoop,
    },
    'TCP-TEARDOWN-013': {
        "the socket's own receive": ShutdownBothWritesOnly,
    },
    'TCP-TEARDOWN-014': {
        'sending on the reset connection': HidesBrokenPipe,
    },
    'TCP-TEARDOWN-015': {
        'shutdown of a never-connected socket': ShutdownUnconnectedSilently,
    },
    'TCP-TEARDOWN-016': {
        'then end of stream, not a reset': LingerMeansAbort,
    },
    'TCP-TEARDOWN-017': {
        'the client sees end of stream': EndOfStreamAfterShutdownIsError,
        'the server sees end of stream': EndOfStreamAfterShutdownIsError,
    },
    'TCP-TEARDOWN-018': {
        'the client sent FIN': CloseAborts,
        'the server sent FIN': CloseAborts,
    },
    'TCP-TEARDOWN-019': {
        'the client sent RST': AbortIsGraceful,
    },
}
