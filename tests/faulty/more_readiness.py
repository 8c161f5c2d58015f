"""Faulty targets of datagram readiness (UDP-READY-*) and of the later stream readiness
behaviours (TCP-READY-015 to -020)."""

from __future__ import annotations

import fcntl
import socket
import struct
import termios

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .datagram import ConnectDoesNotFilter, ReportsOwnAddressAsSender
from .flags import PeekConsumes, PeekCorrupts
from .readiness import (
    PendingConnectAnswersEINPROGRESS,
    RecvEndAsError,
    WaitDropsErrorAndHangup,
    WaitEdgeTriggered,
    WaitNeverFires,
    WaitRemembersReadiness,
)

# -- wait ---------------------------------------------------------------------------------------


class WaitReadNeedsBytes(ReferenceAdapter):
    """Readability is judged by the bytes available (FIONREAD > 0): a queued zero-length
    datagram goes unseen."""
    def op_wait(self, args):
        result = super().op_wait(args)
        sock = self._socket(args)
        if "read" in result["events"] and sock.type == socket.SOCK_DGRAM:
            available = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
            if available == 0:
                return {"events": [e for e in result["events"] if e != "read"]}
        return result


class WaitAnswersFirstCondition(ReferenceAdapter):
    """wait answers only the first condition that holds (a loop that returns on its first event)."""
    def op_wait(self, args):
        result = super().op_wait(args)
        return {"events": result["events"][:1]}


class WaitNotReadableAfterEnd(ReferenceAdapter):
    """Once a receive returned end of stream the socket is dropped from the poller: no more read."""
    def __init__(self):
        super().__init__()
        self._ended: set[int] = set()

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(args.get("handle", int))
        return result

    def op_wait(self, args):
        result = super().op_wait(args)
        if args.get("handle", int) in self._ended:
            return {"events": [e for e in result["events"] if e != "read"]}
        return result


class WaitNotWritableAfterShutdown(ReferenceAdapter):
    """shutdown of the write side drops the socket's write interest: it is never writable again."""
    def __init__(self):
        super().__init__()
        self._shut: set[int] = set()

    def op_stream_shutdown(self, args):
        result = super().op_stream_shutdown(args)
        if args.get("how", str) in ("write", "both"):
            self._shut.add(args.get("handle", int))
        return result

    def op_wait(self, args):
        result = super().op_wait(args)
        if args.get("handle", int) in self._shut:
            return {"events": [e for e in result["events"] if e != "write"]}
        return result


# -- receives -----------------------------------------------------------------------------------


class RecvAfterEndFails(ReferenceAdapter):
    """After one end of stream the adapter closes its side: later receives fail with EBADF."""
    def __init__(self):
        super().__init__()
        self._ended: set[int] = set()

    def op_stream_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._ended:
            raise OpError("EBADF", "recv: closed at end of stream")
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(handle)
        return result


class RecvfromSkipsEmpty(ReferenceAdapter):
    """A zero-length datagram is taken for nothing: the receive waits for a non-empty one."""
    def op_udp_recvfrom(self, args):
        while True:
            result = super().op_udp_recvfrom(args)
            if result["data"]:
                return result


class RecvfromFirstIsPeek(ReferenceAdapter):
    """A socket's first datagram receive only peeks (the datagram stays queued)."""
    def __init__(self):
        super().__init__()
        self._peeked: set[int] = set()

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        if handle not in self._peeked:
            self._peeked.add(handle)
            return super().op_udp_recvfrom(args.changed(peek=True))
        return super().op_udp_recvfrom(args)


class RecvfromDropsFirstByte(ReferenceAdapter):
    """Every datagram loses its first byte."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return {**result, "data": encode_bytes(decode_bytes(result["data"])[1:])}


class RecvfromZeroTimeoutTimesOut(ReferenceAdapter):
    """A datagram receive with timeout 0 and nothing queued answers ETIMEDOUT, not EAGAIN."""
    def op_udp_recvfrom(self, args):
        try:
            return super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code == "EAGAIN" and args.timeout() == 0:
                raise OpError("ETIMEDOUT", "recvfrom: timed out") from None
            raise


class SendAfterPeersEndFails(ReferenceAdapter):
    """Once a receive returned end of stream, sends fail with EPIPE (a half-close taken for a close)."""
    def __init__(self):
        super().__init__()
        self._ended: set[int] = set()

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(args.get("handle", int))
        return result

    def op_stream_send(self, args):
        if args.get("handle", int) in self._ended:
            raise OpError("EPIPE", "send: the peer ended the stream")
        return super().op_stream_send(args)


class SendAfterPeersEndDiscards(SendAfterPeersEndFails):
    """Once a receive returned end of stream, sends claim success and send nothing."""
    def op_stream_send(self, args):
        if args.get("handle", int) in self._ended:
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class WaitZeroTimeoutLooksNowhere(ReferenceAdapter):
    """wait with timeout 0 answers 'nothing' without looking (a zero deadline taken as expired)."""
    def op_wait(self, args):
        if args.timeout() == 0:
            self._socket(args)
            return {"events": []}
        return super().op_wait(args)


class PeekBufferPrepended(ReferenceAdapter):
    """A peek's bytes are kept in a buffer that the next plain receive returns ahead of what it
    reads: the peeked bytes come twice."""
    def __init__(self):
        super().__init__()
        self._peeked: dict[int, bytes] = {}

    def _kept(self, args, data: bytes) -> bytes:
        handle = args.get("handle", int)
        if args.get("peek", bool, False):
            self._peeked[handle] = data
            return data
        return self._peeked.pop(handle, b"") + data

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        return {**result, "data": encode_bytes(self._kept(args, decode_bytes(result["data"])))}

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return {**result, "data": encode_bytes(self._kept(args, decode_bytes(result["data"])))}


class StrayAfterTheLastDatagram(ReferenceAdapter):
    """Not a fault: the reference, in a noisy neighbourhood. Right after it receives
    UDP-READY-001's last datagram, another socket (a stray of someone else's traffic) sends
    one to the same port; the socket is then rightly readable, and the check must set the
    stray aside rather than blame the target."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        if decode_bytes(result["data"]) == b"second":
            sock = self._socket(args)
            with socket.socket(sock.family, socket.SOCK_DGRAM) as stray:
                stray.sendto(b"late echo", sock.getsockname()[:2])
        return result


PROOFS: dict[str, dict] = {
    "UDP-READY-001": {
        "readiness with two datagrams queued": WaitNeverFires,
        "the first datagram": RecvfromDropsFirstByte,
        "readiness with one datagram still queued": WaitEdgeTriggered,
        "the second datagram": RecvfromFirstIsPeek,
        "readiness once both were received": WaitRemembersReadiness,
    },
    "UDP-READY-002": {
        "readiness with a zero-length datagram queued": WaitReadNeedsBytes,
        "the zero-length datagram": RecvfromSkipsEmpty,
        "readiness once it was received": WaitRemembersReadiness,
    },
    "UDP-READY-003": {
        "a receive with timeout # and nothing queued": RecvfromZeroTimeoutTimesOut,
        "readiness once a datagram arrived": WaitNeverFires,
        "the datagram that arrived": RecvfromDropsFirstByte,
    },
    "UDP-READY-004": {
        "readiness once the only datagram was received": WaitRemembersReadiness,
        "readiness once the next datagram arrived": WaitEdgeTriggered,
        "the next datagram": RecvfromDropsFirstByte,
    },
    "UDP-READY-005": {
        "readiness after a stranger's datagram": ConnectDoesNotFilter,
        "readiness after the peer's datagram": WaitNeverFires,
        "the datagram received": ReportsOwnAddressAsSender,
    },
    "UDP-READY-006": {
        "the peek": PeekCorrupts,
        "readiness after the peek": PeekConsumes,
        "the receive after the peek": PeekBufferPrepended,
        "readiness once it was received": WaitRemembersReadiness,
    },
    "UDP-READY-007": {
        "a wait with timeout #, a datagram queued": WaitZeroTimeoutLooksNowhere,
    },
    "UDP-READY-008": {
        "readiness to read and write, a datagram queued": WaitAnswersFirstCondition,
    },
    "TCP-READY-015": {
        "readiness to read and write after the peer's half-close": WaitAnswersFirstCondition,
        "the receive": RecvEndAsError,
        "a send after the peer's half-close": SendAfterPeersEndFails,
        "what the peer receives after its half-close": SendAfterPeersEndDiscards,
    },
    "TCP-READY-016": {
        "first wait after the peer's close": WaitNeverFires,
        "second wait, the end of stream unread": WaitEdgeTriggered,
        "the receive": RecvEndAsError,
        "wait after the end of stream was read": WaitNotReadableAfterEnd,
        "a second receive": RecvAfterEndFails,
    },
    "TCP-READY-017": {
        "a connect started without waiting, to a refused port": PendingConnectAnswersEINPROGRESS,
        "readiness of the refused connect": WaitDropsErrorAndHangup,
    },
    "TCP-READY-018": {
        "readiness to write with its own write side shut": WaitNotWritableAfterShutdown,
    },
    "TCP-READY-020": {
        "readiness to write after the peer's reset": WaitNeverFires,
        "an error reported with it": WaitDropsErrorAndHangup,
    },
    "TCP-READY-019": {
        "the peek": PeekCorrupts,
        "readiness after the peek": PeekConsumes,
        "the receive after the peek": PeekBufferPrepended,
        "readiness once it was received": WaitRemembersReadiness,
    },
}
