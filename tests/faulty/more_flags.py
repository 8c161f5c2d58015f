"""Faulty targets of the flags and timeouts added in issue 13 (TCP-FLAGS-013..019,
UDP-FLAGS-009..012, TCP-OPTS-013..015)."""

from __future__ import annotations

import socket
import struct

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.options15 import TIMEOUTS

from .flags import (
    DontwaitAlwaysEAGAIN,
    DontwaitIgnored,
    OobinlineIgnored,
    OobReadSkipsNext,
    OobRecvFails,
    OobRecvInventsByte,
    OobSendFails,
    OobSentInline,
    PeekConsumes,
    PeekCorrupts,
    PeekRemembered,
    RcvtimeoIgnored,
    TruncLengthIsCopied,
)
from .options15 import AcceptconnAlwaysFalse, TypeAlwaysDgram
from .readiness import WaitNoRdhangup
from .teardown import AbortIsGraceful


class WaitallPeekConsumes(ReferenceAdapter):
    """A wait-all receive drops MSG_PEEK (the library loops plain receives to fill the buffer)."""
    def op_stream_recv(self, args):
        if args.get("waitall", bool, False):
            args = args.changed(peek=False)
        return super().op_stream_recv(args)


class DontwaitPeekConsumes(ReferenceAdapter):
    """A don't-wait receive drops MSG_PEEK: the peek removes what it returns."""
    def op_stream_recv(self, args):
        if args.get("dontwait", bool, False):
            args = args.changed(peek=False)
        return super().op_stream_recv(args)

    def op_udp_recvfrom(self, args):
        if args.get("dontwait", bool, False):
            args = args.changed(peek=False)
        return super().op_udp_recvfrom(args)


class DatagramDontwaitAlwaysEAGAIN(ReferenceAdapter):
    """A datagram receive with MSG_DONTWAIT always answers EAGAIN, a datagram queued or not."""
    def op_udp_recvfrom(self, args):
        if args.get("dontwait", bool, False):
            self._socket(args)
            raise OpError("EAGAIN", "recvfrom: would block")
        return super().op_udp_recvfrom(args)


class PeekSticks(ReferenceAdapter):
    """A peek's flag stays set for the next receive on the same socket (kept in a per-socket
    field): the receive after a peek peeks again and removes nothing."""
    def __init__(self):
        super().__init__()
        self._sticky: set[int] = set()

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        if args.get("peek", bool, False):
            self._sticky.add(handle)
        elif handle in self._sticky:
            self._sticky.discard(handle)
            args = args.changed(peek=True)
        return super().op_udp_recvfrom(args)


class DontwaitSendSwallowsErrors(ReferenceAdapter):
    """A don't-wait send that the kernel refuses for any reason but EAGAIN reports one byte sent."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args)
        except OpError as exc:
            if exc.code == "EAGAIN" or not args.get("dontwait", bool, False):
                raise
            return {"sent": 1}


class BrokenAfterEPIPE(ReferenceAdapter):
    """After a send that failed with EPIPE or ECONNRESET the adapter answers nothing more but
    that error (its signal handling left it broken)."""
    def __init__(self):
        super().__init__()
        self._broken: str | None = None

    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args)
        except OpError as exc:
            if exc.code in ("EPIPE", "ECONNRESET"):
                self._broken = exc.code
            raise

    def op_hello(self, args):
        if self._broken:
            raise OpError(self._broken, "the adapter is broken since a failed send")
        return super().op_hello(args)


def _timeout_in_centiseconds(name: str):
    class TimeoutInCentiseconds(ReferenceAdapter):
        """The timeout is kept in whole centiseconds, truncated: 1.5 ms becomes 0 (no timeout)."""
        def op_opt_set(self, args):
            if args.get("name", str) == name:
                args = args.changed(value=int(args.get("value", (int, float)) * 100) / 100)
            return super().op_opt_set(args)
    TimeoutInCentiseconds.__name__ = TimeoutInCentiseconds.__qualname__ = f"{name.capitalize()}InCentiseconds"
    return TimeoutInCentiseconds


RcvtimeoInCentiseconds = _timeout_in_centiseconds("rcvtimeo")
SndtimeoInCentiseconds = _timeout_in_centiseconds("sndtimeo")


def _not_inherited(name: str):
    class TimeoutNotInherited(ReferenceAdapter):
        """An accepted connection starts with the timeout off, whatever its listener had
        (the library keeps timeouts per socket object, and a new object starts at 0)."""
        def op_tcp_accept(self, args):
            result = super().op_tcp_accept(args)
            sock = self._sockets[result["handle"]]
            sock.setsockopt(socket.SOL_SOCKET, TIMEOUTS[name], struct.pack("ll", 0, 0))
            return result
    TimeoutNotInherited.__name__ = TimeoutNotInherited.__qualname__ = f"{name.capitalize()}NotInherited"
    return TimeoutNotInherited


RcvtimeoNotInherited = _not_inherited("rcvtimeo")
SndtimeoNotInherited = _not_inherited("sndtimeo")


class DatagramTimeoutByDefault(ReferenceAdapter):
    """New datagram sockets get a one-second receive timeout of the library's own."""
    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
        return result


class ZeroTimeoutIgnored(ReferenceAdapter):
    """Setting a timeout to 0 is taken as "leave it as it is": it cannot be switched off."""
    def op_opt_set(self, args):
        if args.get("name", str) in TIMEOUTS and args.get("value", (int, float)) == 0:
            self._socket(args)
            return {}
        return super().op_opt_set(args)


PROOFS: dict[str, dict] = {
    "TCP-FLAGS-013": {
        "a send of the urgent byte b'!'": OobSendFails,
        "normal data up to the urgent mark": OobSentInline,
        "the urgent byte, read apart": OobRecvFails,
        "reading urgent data a second time": OobRecvInventsByte,
        "normal data after the mark": OobReadSkipsNext,
    },
    "TCP-FLAGS-014": {
        "a wait-all peek of # bytes, sent in two parts": PeekCorrupts,
        "the receive after the wait-all peek": WaitallPeekConsumes,
    },
    "TCP-FLAGS-015": {
        "a don't-wait peek with nothing queued": DontwaitIgnored,
        "a peek that waits for the data": PeekCorrupts,
        "a don't-wait peek with data queued": DontwaitAlwaysEAGAIN,
        "the receive after the peeks": DontwaitPeekConsumes,
    },
    "TCP-FLAGS-016": {
        "the reset is seen": AbortIsGraceful,
        "a don't-wait send on the reset connection": DontwaitSendSwallowsErrors,
        "hello after the failed send": BrokenAfterEPIPE,
    },
    "TCP-FLAGS-017": {
        "a send of the urgent byte b'#'": OobSendFails,
        "the stream with two urgent bytes inline": OobinlineIgnored,
    },
    "TCP-FLAGS-018": {
        "a send of the urgent byte b'#'": OobSendFails,
        "read hang-up once the sender shut its write side": WaitNoRdhangup,
        "the urgent byte, read apart": OobRecvFails,
        "the normal stream to its end": OobReadSkipsNext,
    },
    "TCP-FLAGS-019": {
        "a wait-all peek until the # bytes arrived": PeekCorrupts,
        "a wait-all, don't-wait receive of # bytes with # queued": DontwaitIgnored,
    },
    "UDP-FLAGS-012": {
        "rcvtimeo of a new datagram socket": DatagramTimeoutByDefault,
        "rcvtimeo after setting #.# s": RcvtimeoIgnored,
        "rcvtimeo after setting #": ZeroTimeoutIgnored,
    },
    "UDP-FLAGS-009": {
        "a peek of # bytes with the real length, of a #-byte datagram": TruncLengthIsCopied,
        "the receive after the peek": PeekConsumes,
        "the receive after that": PeekSticks,
    },
    "UDP-FLAGS-010": {
        "a peek of up to # bytes": PeekCorrupts,
        "a receive of # bytes after the peek": PeekRemembered,
        "the receive after that": PeekSticks,
    },
    "UDP-FLAGS-011": {
        "a don't-wait peek with nothing queued": DontwaitIgnored,
        "a peek that waits for the datagram": PeekCorrupts,
        "a don't-wait peek with a datagram queued": DatagramDontwaitAlwaysEAGAIN,
        "the receive after the peeks": DontwaitPeekConsumes,
    },
    "TCP-OPTS-013": {
        "rcvtimeo after setting #.# s": RcvtimeoInCentiseconds,
        "sndtimeo after setting #.# s": SndtimeoInCentiseconds,
    },
    "TCP-OPTS-015": {
        "rcvtimeo of an accepted connection, #.# s set on its listener": RcvtimeoNotInherited,
        "sndtimeo of an accepted connection, #.# s set on its listener": SndtimeoNotInherited,
    },
    "TCP-OPTS-014": {
        "type, acceptconn and pending error of an accepted connection": TypeAlwaysDgram,
        "acceptconn of its listener": AcceptconnAlwaysFalse,
    },
}
