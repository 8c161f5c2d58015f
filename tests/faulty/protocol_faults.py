"""Adapters that slip on the wire protocol itself: each must be caught by its ADAPTER check.

They are the reference with one protocol rule bent the way hand-written adapters go wrong
(a lenient base64 decoder, a handle table that reuses slots, a reset that forgets sockets
without closing them). Usable as ``--target python:tests.faulty.protocol_faults:NAME``.
"""

from __future__ import annotations

import base64
import itertools

from reference_impl.engine import Args, ReferenceAdapter
from reference_impl.errors import BADREQUEST, UNSUPPORTED, OpError
from reference_impl.protocol import encode_bytes


class HelloWithBlankImplementation(ReferenceAdapter):
    """hello names no implementation (an empty string)."""
    implementation = ""


class UnknownOperationIsBadRequest(ReferenceAdapter):
    """An unknown operation is answered BADREQUEST instead of UNSUPPORTED."""
    def handle(self, request: dict) -> dict:
        response = super().handle(request)
        if not response["ok"] and response["error"]["code"] == UNSUPPORTED:
            response["error"]["code"] = BADREQUEST
        return response


class IllTypedHandleIsEBADF(ReferenceAdapter):
    """A handle of the wrong type (or none) is looked up anyway and answered EBADF."""
    def _socket(self, args: Args):
        handle = args.raw.get("handle")
        if not isinstance(handle, int) or isinstance(handle, bool):
            raise OpError("EBADF", f"no open handle {handle!r}")
        return super()._socket(args)


class RejectsUnknownArguments(ReferenceAdapter):
    """Any argument field it does not know makes the request malformed."""
    KNOWN = {"family", "host", "port", "backlog", "options", "handle", "timeout", "bind", "data", "max", "how",
             "name", "value", "protocol", "kind"}

    def handle(self, request: dict) -> dict:
        args = request.get("args") or {}
        unknown = set(args) - self.KNOWN if isinstance(args, dict) else set()
        if unknown:
            return {"id": request.get("id"), "ok": False,
                    "error": {"code": BADREQUEST, "message": f"unknown fields {sorted(unknown)}"}}
        return super().handle(request)


class UrlSafeBase64(ReferenceAdapter):
    """Encodes received bytes with the URL-safe alphabet (- and _ for + and /)."""
    def op_stream_recv(self, args):
        data = base64.b64decode(super().op_stream_recv(args)["data"])
        return {"data": base64.urlsafe_b64encode(data).decode("ascii")}


class LenientBase64(ReferenceAdapter):
    """Decodes data leniently, dropping characters outside the alphabet (as many decoders do)."""
    def op_stream_send(self, args):
        text = "".join(c for c in args.get("data", str) if c.isalnum() or c in "+/=")
        lenient = base64.b64decode(text + "=" * (-len(text) % 4))
        return super().op_stream_send(args.changed(data=encode_bytes(lenient)))


class ReusesHandles(ReferenceAdapter):
    """Hands out the lowest free handle number again, as a plain slot table does."""
    def _register(self, sock) -> int:
        handle = next(h for h in itertools.count(1) if h not in self._sockets)
        self._sockets[handle] = sock
        return handle


class ResetForgetsSockets(ReferenceAdapter):
    """reset empties the handle table without closing the sockets (they stay open)."""
    def __init__(self) -> None:
        super().__init__()
        self._forgotten: list = []

    def op_reset(self, args):
        self._forgotten.extend(self._sockets.values())
        self._sockets = {}
        return {}

    def close_all(self) -> None:  # what the suite's teardown calls: the test run leaks nothing
        for sock in self._forgotten:
            sock.close()
        super().close_all()


class DeclaresTtlItCannotRead(ReferenceAdapter):
    """Declares opt.ttl but answers UNSUPPORTED when asked to read it."""
    def op_opt_get(self, args):
        if args.get("name", str) == "ttl":
            raise OpError(UNSUPPORTED, "ttl cannot be read")
        return super().op_opt_get(args)


FAULT_FOR_PROTOCOL = {
    "ADAPTER-001": HelloWithBlankImplementation,
    "ADAPTER-002": UnknownOperationIsBadRequest,
    "ADAPTER-003": IllTypedHandleIsEBADF,
    "ADAPTER-004": RejectsUnknownArguments,
    "ADAPTER-005": UrlSafeBase64,
    "ADAPTER-006": LenientBase64,
    "ADAPTER-007": ReusesHandles,
    "ADAPTER-008": ResetForgetsSockets,
    "ADAPTER-009": DeclaresTtlItCannotRead,
}


class DeclaresShutdownButNotRead(ReferenceAdapter):
    """Declares stream.shutdown (every how) but answers UNSUPPORTED to shutting the read side."""
    def op_stream_shutdown(self, args: Args) -> dict:
        if args.get("how", str) == "read":
            raise OpError(UNSUPPORTED, "shutdown: the library has no read-side shutdown")
        return super().op_stream_shutdown(args)


class DeclaresShutdownWriteOnly(DeclaresShutdownButNotRead):
    """The same library, declared honestly: stream.shutdown.write without stream.shutdown.read."""
    def __init__(self) -> None:
        super().__init__()
        self.features = sorted({*self.features, "stream.shutdown.write"} - {"stream.shutdown", "stream.shutdown.read"})


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'ADAPTER-001': {
        'implementation, version and language are non-empty strings': HelloWithBlankImplementation,
    },
    'ADAPTER-002': {
        'an unknown operation': UnknownOperationIsBadRequest,
    },
    'ADAPTER-003': {
        'addr.local without a handle': IllTypedHandleIsEBADF,
    },
    'ADAPTER-004': {
        'tcp.listen with unknown fields': RejectsUnknownArguments,
    },
    'ADAPTER-005': {
        '# byte(s) received by the target come back as standard base64': UrlSafeBase64,
    },
    'ADAPTER-006': {
        'stream.send with characters outside the alphabet': LenientBase64,
    },
    'ADAPTER-007': {
        'no handle given out twice (after close and after reset)': ReusesHandles,
    },
    'ADAPTER-008': {
        'the peer of a connection sees it end': ResetForgetsSockets,
    },
    'ADAPTER-009': {
        'declared features that do not work': DeclaresTtlItCannotRead,
    },
    'ADAPTER-010': {
        'requests of declared features answered UNSUPPORTED or BADREQUEST': DeclaresShutdownButNotRead,
    },
}
