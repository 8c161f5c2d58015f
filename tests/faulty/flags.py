"""Faulty targets of receive and send flags (TCP-FLAGS-*, UDP-FLAGS-*, protocol 1.5)."""

from __future__ import annotations

import time

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .readiness import WaitAlwaysReady, WaitIgnoresRead, WaitRemembersReadiness


def _reversed(result: dict) -> dict:
    return {**result, "data": encode_bytes(decode_bytes(result["data"])[::-1])}


# -- peek --------------------------------------------------------------------------------------


class PeekCorrupts(ReferenceAdapter):
    """A peek returns the bytes in reverse order (a buffer copied backwards)."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        return _reversed(result) if args.get("peek", bool, False) else result

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return _reversed(result) if args.get("peek", bool, False) else result


class PeekConsumes(ReferenceAdapter):
    """MSG_PEEK is dropped: a peek removes what it returns."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(peek=False))

    def op_udp_recvfrom(self, args):
        return super().op_udp_recvfrom(args.changed(peek=False))


class PeekIgnoresMax(ReferenceAdapter):
    """A peek returns everything queued (or the whole datagram), whatever max says."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(max=65536) if args.get("peek", bool, False) else args)

    def op_udp_recvfrom(self, args):
        return super().op_udp_recvfrom(args.changed(max=65536) if args.get("peek", bool, False) else args)


class PeekRemembered(ReferenceAdapter):
    """A wrapper keeps the datagram it peeked and hands it to the next receive, leaving the
    kernel's copy queued: the peeked datagram is received twice."""
    def __init__(self):
        super().__init__()
        self._peeked: dict[int, dict] = {}

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        if args.get("peek", bool, False):
            self._peeked[handle] = super().op_udp_recvfrom(args)
            return self._peeked[handle]
        if handle in self._peeked:
            return self._peeked.pop(handle)
        return super().op_udp_recvfrom(args)


class PeekEndAsEAGAIN(ReferenceAdapter):
    """A peek at end of stream answers EAGAIN (zero bytes read as 'nothing yet')."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if args.get("peek", bool, False) and result["data"] == "":
            raise OpError("EAGAIN", "recv: would block")
        return result


# -- wait-all and don't-wait ---------------------------------------------------------------------


class WaitallIgnored(ReferenceAdapter):
    """MSG_WAITALL is dropped: the receive returns what is queued at once."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(waitall=False))


class WaitallIgnoresEnd(ReferenceAdapter):
    """A wait-all receive that got fewer bytes waits out its timeout even when the stream ended."""
    def op_stream_recv(self, args):
        started = time.monotonic()
        result = super().op_stream_recv(args)
        if args.get("waitall", bool, False) and len(decode_bytes(result["data"])) < args.get("max", int):
            time.sleep(max(0.0, args.timeout() - (time.monotonic() - started)))
        return result


class WaitallAlwaysWaits(ReferenceAdapter):
    """A wait-all receive always waits out its timeout before answering."""
    def op_stream_recv(self, args):
        started = time.monotonic()
        result = super().op_stream_recv(args)
        if args.get("waitall", bool, False):
            time.sleep(max(0.0, args.timeout() - (time.monotonic() - started)))
        return result


class DontwaitIgnored(ReferenceAdapter):
    """MSG_DONTWAIT is dropped: the operation waits up to its timeout."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(dontwait=False))

    def op_stream_send(self, args):
        return super().op_stream_send(args.changed(dontwait=False))

    def op_udp_recvfrom(self, args):
        return super().op_udp_recvfrom(args.changed(dontwait=False))


class DontwaitAlwaysEAGAIN(ReferenceAdapter):
    """A receive with MSG_DONTWAIT always answers EAGAIN, data queued or not."""
    def op_stream_recv(self, args):
        if args.get("dontwait", bool, False):
            self._socket(args)
            raise OpError("EAGAIN", "recv: would block")
        return super().op_stream_recv(args)


class DontwaitSendtoFails(ReferenceAdapter):
    """A datagram send with MSG_DONTWAIT answers EAGAIN though the socket has room."""
    def op_udp_sendto(self, args):
        if args.get("dontwait", bool, False):
            self._socket(args)
            raise OpError("EAGAIN", "sendto: would block")
        return super().op_udp_sendto(args)


class DontwaitSendtoDrops(ReferenceAdapter):
    """A datagram send with MSG_DONTWAIT reports the bytes sent and sends nothing."""
    def op_udp_sendto(self, args):
        if args.get("dontwait", bool, False):
            self._socket(args)
            return {"sent": len(args.data())}
        return super().op_udp_sendto(args)


# -- urgent data -------------------------------------------------------------------------------


class OobSendFails(ReferenceAdapter):
    """Sending urgent data fails with EOPNOTSUPP."""
    def op_stream_send(self, args):
        if args.get("oob", bool, False):
            self._socket(args)
            raise OpError("EOPNOTSUPP", "send: MSG_OOB not supported")
        return super().op_stream_send(args)


class OobSentInline(ReferenceAdapter):
    """MSG_OOB is dropped on send: the 'urgent' byte goes as normal data."""
    def op_stream_send(self, args):
        return super().op_stream_send(args.changed(oob=False))


class OobRecvFails(ReferenceAdapter):
    """Reading urgent data always fails with EINVAL."""
    def op_stream_recv(self, args):
        if args.get("oob", bool, False):
            self._socket(args)
            raise OpError("EINVAL", "recv: no urgent data")
        return super().op_stream_recv(args)


class OobReadSkipsNext(ReferenceAdapter):
    """Reading the urgent byte also throws away the next byte of normal data."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if args.get("oob", bool, False):
            super().op_stream_recv(args.changed(oob=False, max=1))
        return result


class OobinlineIgnored(ReferenceAdapter):
    """Setting SO_OOBINLINE does nothing (urgent data stays apart)."""
    def op_opt_set(self, args):
        if args.get("name", str) == "oobinline":
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class OobRecvInventsByte(ReferenceAdapter):
    """Where the kernel says there is no urgent byte to read (EINVAL), the adapter answers the
    last byte it saw in the stream instead."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code != "EINVAL" or not args.get("oob", bool, False):
                raise
            return {"data": encode_bytes(b"!")}


# -- truncation ----------------------------------------------------------------------------------


class TruncCorrupts(ReferenceAdapter):
    """With MSG_TRUNC the bytes come back reversed."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return _reversed(result) if args.get("trunc", bool, False) else result


class TruncLengthIsCopied(ReferenceAdapter):
    """The real length reported is the number of bytes copied (MSG_TRUNC not passed down)."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        if "length" in result:
            result = {**result, "length": len(decode_bytes(result["data"]))}
        return result


class TruncLengthIsMax(ReferenceAdapter):
    """The real length reported is the buffer's size."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return {**result, "length": args.get("max", int)} if "length" in result else result


class TruncNotMarked(ReferenceAdapter):
    """A datagram received with MSG_TRUNC is never marked truncated."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        return {**result, "truncated": False} if "length" in result else result


class TruncOmitsZeroLength(ReferenceAdapter):
    """A zero length is left out of the result (treated as 'no length')."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        if result.get("length") == 0:
            result = {k: v for k, v in result.items() if k != "length"}
        return result


# -- timeouts ------------------------------------------------------------------------------------


class RcvtimeoIgnored(ReferenceAdapter):
    """Setting SO_RCVTIMEO does nothing: a blocking receive waits on."""
    def op_opt_set(self, args):
        if args.get("name", str) == "rcvtimeo":
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class SndtimeoIgnored(ReferenceAdapter):
    """Setting SO_SNDTIMEO does nothing: a blocking send waits on."""
    def op_opt_set(self, args):
        if args.get("name", str) == "sndtimeo":
            self._socket(args)
            return {}
        return super().op_opt_set(args)


PROOFS: dict[str, dict] = {
    "TCP-FLAGS-001": {"a peek": PeekCorrupts, "the receive after the peek": PeekConsumes},
    "TCP-FLAGS-002": {"a peek of # bytes": PeekIgnoresMax, "the receive after the short peek": PeekConsumes},
    "TCP-FLAGS-003": {"a wait-all receive of # bytes with # arrived, timeout #.# s": WaitallIgnored},
    "TCP-FLAGS-004": {"a wait-all receive of # bytes when the stream ends after #": WaitallIgnoresEnd},
    "TCP-FLAGS-005": {"a don't-wait receive with nothing queued": DontwaitIgnored},
    "TCP-FLAGS-006": {"a don't-wait receive with data queued": DontwaitAlwaysEAGAIN},
    "TCP-FLAGS-007": {"don't-wait sends while the peer does not read": DontwaitIgnored},
    "TCP-FLAGS-008": {
        "a send of the urgent byte": OobSendFails,
        "normal data up to the urgent mark": OobSentInline,
        "the urgent byte, read apart": OobRecvFails,
        "normal data after the mark": OobReadSkipsNext,
    },
    "TCP-FLAGS-009": {
        "a send of the urgent byte": OobSendFails,
        "the stream with the urgent byte inline": OobinlineIgnored,
        "reading urgent data apart with oobinline on": OobRecvInventsByte,
    },
    "TCP-FLAGS-010": {"reading urgent data when none came": OobRecvInventsByte},
    "TCP-FLAGS-011": {"a peek at end of stream, then a receive": PeekEndAsEAGAIN},
    "TCP-FLAGS-012": {"a wait-all receive of # bytes with # queued": WaitallAlwaysWaits},
    "UDP-FLAGS-001": {
        "the bytes returned of a #-byte datagram into #": TruncCorrupts,
        "the real length reported": TruncLengthIsCopied,
        "marked truncated": TruncNotMarked,
    },
    "UDP-FLAGS-002": {"a #-byte datagram into #": TruncLengthIsMax, "a zero-length datagram": TruncOmitsZeroLength},
    "UDP-FLAGS-003": {
        "a peek": PeekCorrupts,
        "the receive after the peek": PeekConsumes,
        "the receive after that": PeekRemembered,
    },
    "UDP-FLAGS-004": {"a peek of # bytes": PeekIgnoresMax, "the receive after the short peek": PeekConsumes},
    "UDP-FLAGS-005": {"a don't-wait receive with nothing queued": DontwaitIgnored},
    "UDP-FLAGS-006": {"a don't-wait send of # bytes": DontwaitSendtoFails, "what arrives": DontwaitSendtoDrops},
    "UDP-FLAGS-007": {"a blocking receive with rcvtimeo #.# s and nothing arriving": RcvtimeoIgnored},
    "UDP-FLAGS-008": {
        "readiness with nothing queued": WaitAlwaysReady,
        "readiness with a datagram queued": WaitIgnoresRead,
        "readiness once it was received": WaitRemembersReadiness,
    },
}
