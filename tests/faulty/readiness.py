"""Faulty targets of readiness and non-blocking connects (TCP-READY-*, protocol 1.5), and the
faults of ``wait``, the pending error and flags that the other 1.5 areas reuse."""

from __future__ import annotations

import time

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .stream import PeerAddressIsLocal

# -- wait -------------------------------------------------------------------------------------


class WaitAlwaysReady(ReferenceAdapter):
    """wait answers every condition asked for at once, whatever holds (readiness assumed)."""
    def op_wait(self, args):
        self._socket(args)
        return {"events": [e for e in ("read", "write", "rdhangup") if e in args.get("events", list)]}


class WaitNeverFires(ReferenceAdapter):
    """wait sleeps out its timeout and reports nothing (a readiness source never registered)."""
    def op_wait(self, args):
        self._socket(args)
        time.sleep(min(args.timeout(), 1.0))
        return {"events": []}


class WaitDropsErrorAndHangup(ReferenceAdapter):
    """wait reports only what was asked: never POLLERR or POLLHUP."""
    def op_wait(self, args):
        result = super().op_wait(args)
        return {"events": [e for e in result["events"] if e not in ("error", "hangup")]}


class WaitNoRdhangup(ReferenceAdapter):
    """wait never asks the system for POLLRDHUP: a peer's half-close goes unseen."""
    def op_wait(self, args):
        events = [e for e in args.get("events", list) if e != "rdhangup"]
        if not events:
            self._socket(args)
            time.sleep(min(args.timeout(), 1.0))
            return {"events": []}
        return super().op_wait(args.changed(events=events))


class WaitIgnoresRead(ReferenceAdapter):
    """wait never registers for reading (only writability is watched)."""
    def op_wait(self, args):
        events = [e for e in args.get("events", list) if e != "read"]
        if not events:
            self._socket(args)
            time.sleep(min(args.timeout(), 1.0))
            return {"events": []}
        return super().op_wait(args.changed(events=events))


class WaitEdgeTriggered(ReferenceAdapter):
    """Readability is reported once per arrival (edge-triggered), not while data stays unread."""
    def __init__(self):
        super().__init__()
        self._reported: set[int] = set()

    def op_wait(self, args):
        result = super().op_wait(args)
        handle = args.get("handle", int)
        if "read" in result["events"] and handle in self._reported:
            return {"events": [e for e in result["events"] if e != "read"]}
        if "read" in result["events"]:
            self._reported.add(handle)
        return result

    def op_stream_recv(self, args):
        self._reported.discard(args.get("handle", int))
        return super().op_stream_recv(args)


class WaitRemembersReadiness(ReferenceAdapter):
    """wait adds every condition it ever reported for a handle (a cached readiness never cleared)."""
    def __init__(self):
        super().__init__()
        self._seen: dict[int, list[str]] = {}

    def op_wait(self, args):
        result = super().op_wait(args)
        seen = self._seen.setdefault(args.get("handle", int), [])
        seen += [e for e in result["events"] if e not in seen]
        asked = args.get("events", list)
        return {"events": [e for e in seen if e in asked or e in ("error", "hangup")]}


class WaitZeroTimeoutTimesOut(ReferenceAdapter):
    """wait with timeout 0 answers ETIMEDOUT instead of the conditions (none)."""
    def op_wait(self, args):
        result = super().op_wait(args)
        if args.timeout() == 0 and not result["events"]:
            raise OpError("ETIMEDOUT", "wait: timed out")
        return result


class WaitOnClosedReportsNothing(ReferenceAdapter):
    """wait on a closed handle answers 'nothing fired' instead of EBADF."""
    def op_wait(self, args):
        try:
            return super().op_wait(args)
        except OpError as exc:
            if exc.code != "EBADF":
                raise
            return {"events": []}


# -- pending connects and SO_ERROR ---------------------------------------------------------------


class PendingConnectAnswersEINPROGRESS(ReferenceAdapter):
    """A connect asked to be left pending fails with EINPROGRESS (the socket abandoned)."""
    def op_tcp_connect(self, args):
        if args.get("pending", bool, False):
            raise OpError("EINPROGRESS", "connect: in progress")
        return super().op_tcp_connect(args)


class ErrorOptionNeverNull(ReferenceAdapter):
    """SO_ERROR with nothing pending reads EINPROGRESS (the connect's first answer, kept)."""
    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        if args.get("name", str) == "error" and result["value"] is None:
            return {"value": "EINPROGRESS"}
        return result


class ErrorOptionAlwaysNull(ReferenceAdapter):
    """SO_ERROR always reads null: the pending error is never fetched."""
    def op_opt_get(self, args):
        if args.get("name", str) == "error":
            self._socket(args)
            return {"value": None}
        return super().op_opt_get(args)


class ErrorOptionSticky(ReferenceAdapter):
    """SO_ERROR is cached once read: reading it does not clear it."""
    def __init__(self):
        super().__init__()
        self._errors: dict[int, str] = {}

    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        if args.get("name", str) == "error":
            handle = args.get("handle", int)
            if result["value"] is not None:
                self._errors[handle] = result["value"]
            return {"value": self._errors.get(handle)}
        return result


# -- sends and receives --------------------------------------------------------------------------


class RecvDropsFirstByte(ReferenceAdapter):
    """Every receive loses its first byte (an off-by-one in the buffer)."""
    def op_stream_recv(self, args):
        data = decode_bytes(super().op_stream_recv(args)["data"])
        return {"data": encode_bytes(data[1:] if len(data) > 1 else data)}


class RecvEndAsError(ReferenceAdapter):
    """End of stream is reported as ECONNRESET."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            raise OpError("ECONNRESET", "recv: connection reset")
        return result


class RecvResetAsEnd(ReferenceAdapter):
    """A reset is reported as end of stream (the error swallowed)."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code != "ECONNRESET":
                raise
            return {"data": ""}


class SendZeroTimeoutTimesOut(ReferenceAdapter):
    """A send with timeout 0 that would block answers ETIMEDOUT, not EAGAIN."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args)
        except OpError as exc:
            if exc.code == "EAGAIN" and args.timeout() == 0:
                raise OpError("ETIMEDOUT", "send: timed out") from None
            raise


PROOFS: dict[str, dict] = {
    "TCP-READY-001": {
        "a connect started without waiting": PendingConnectAnswersEINPROGRESS,
        "readiness of the connect": WaitNeverFires,
        "pending error once connected": ErrorOptionNeverNull,
        "peer once connected": PeerAddressIsLocal,
    },
    "TCP-READY-002": {
        "a connect started without waiting, to a refused port": PendingConnectAnswersEINPROGRESS,
        "readiness of the refused connect": WaitNeverFires,
        "pending error": ErrorOptionAlwaysNull,
        "pending error read a second time": ErrorOptionSticky,
    },
    "TCP-READY-003": {
        "readiness to read with nothing queued": WaitAlwaysReady,
        "readiness to read once data arrived": WaitNeverFires,
        "the receive after readiness": RecvDropsFirstByte,
    },
    "TCP-READY-004": {
        "readiness to read after the peer's end of stream": WaitNeverFires,
        "the receive after readiness": RecvEndAsError,
    },
    "TCP-READY-005": {
        "readiness to read after the peer's reset": WaitNeverFires,
        "an error reported with it": WaitDropsErrorAndHangup,
        "the receive after readiness": RecvResetAsEnd,
    },
    "TCP-READY-006": {
        "sends without waiting while the peer does not read": SendZeroTimeoutTimesOut,
        "readiness to write with the buffers full": WaitAlwaysReady,
        "readiness to write once the peer read everything": WaitNeverFires,
    },
    "TCP-READY-007": {
        "listener readiness with no connection waiting": WaitAlwaysReady,
        "listener readiness with a connection waiting": WaitNeverFires,
        "listener readiness once it was accepted": WaitRemembersReadiness,
    },
    "TCP-READY-008": {
        "readiness with only its own write side shut": WaitAlwaysReady,
        "readiness once the peer shut its side too": WaitDropsErrorAndHangup,
    },
    "TCP-READY-009": {
        "read hang-up while the peer's side is open": WaitAlwaysReady,
        "read hang-up once the peer shut its write side": WaitNoRdhangup,
    },
    "TCP-READY-010": {
        "first wait with data unread": WaitNeverFires,
        "second wait, the data still unread": WaitEdgeTriggered,
        "wait once the data was read": WaitRemembersReadiness,
    },
    "TCP-READY-011": {
        "readiness of a new connection": WaitAlwaysReady,
    },
    "TCP-READY-012": {
        "readiness of the accepted connection": WaitIgnoresRead,
        "its data": RecvDropsFirstByte,
    },
    "TCP-READY-013": {
        "a wait with timeout # and nothing queued": WaitZeroTimeoutTimesOut,
    },
    "TCP-READY-014": {
        "a wait on a closed socket": WaitOnClosedReportsNothing,
    },
}
