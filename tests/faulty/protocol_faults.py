"""Adapters that slip on the wire protocol itself: each must be caught by its ADAPTER check.

They are the reference with one protocol rule bent the way hand-written adapters go wrong
(a lenient base64 decoder, a handle table that reuses slots, a reset that forgets sockets
without closing them). Usable as ``--target python:tests.faulty.protocol_faults:NAME``.
"""

from __future__ import annotations

import base64
import itertools

import socket

from reference_impl.engine import Args, BadRequest, ReferenceAdapter, address_of
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


# -- hello ------------------------------------------------------------------------------------

class HelloOnlyOnce(ReferenceAdapter):
    """Answers the first hello, then refuses any further one as a protocol error."""
    def __init__(self) -> None:
        super().__init__()
        self._greeted = False

    def op_hello(self, args: Args) -> dict:
        if self._greeted:
            raise OpError("EINVAL", "hello: already greeted")
        self._greeted = True
        return super().op_hello(args)


class HelloCountsRequests(ReferenceAdapter):
    """Puts a live figure in hello (its version names how many requests it has answered)."""
    def __init__(self) -> None:
        super().__init__()
        self._answered = 0

    def handle(self, request: dict) -> dict:
        self._answered += 1
        return super().handle(request)

    def op_hello(self, args: Args) -> dict:
        result = super().op_hello(args)
        return {**result, "version": f"{result['version']} ({self._answered} requests answered)"}


class HelloVersionIsANumber(ReferenceAdapter):
    """Gives its version as a number, not a string."""
    def op_hello(self, args: Args) -> dict:
        return {**super().op_hello(args), "version": 1.0}


class FeaturesAsOneString(ReferenceAdapter):
    """Gives its features as one comma-separated string instead of a list."""
    def op_hello(self, args: Args) -> dict:
        result = super().op_hello(args)
        return {**result, "features": ",".join(result["features"])}


# -- unknown options and malformed requests ----------------------------------------------------

class UnknownOptionReadIsEnoprotoopt(ReferenceAdapter):
    """Reading an option it does not know answers the kernel's ENOPROTOOPT, not UNSUPPORTED."""
    def op_opt_get(self, args: Args) -> dict:
        try:
            return super().op_opt_get(args)
        except OpError as exc:
            if exc.code == UNSUPPORTED:
                raise OpError("ENOPROTOOPT", "getsockopt: no such option") from None
            raise


class UnknownOptionSetIsIgnored(ReferenceAdapter):
    """Setting an option it does not know silently succeeds."""
    def op_opt_set(self, args: Args) -> dict:
        try:
            return super().op_opt_set(args)
        except OpError as exc:
            if exc.code == UNSUPPORTED:
                return {}
            raise


class CoercesStringHandles(ReferenceAdapter):
    """Accepts a handle given as a string of digits (a lenient parser)."""
    def _socket(self, args: Args):
        handle = args.raw.get("handle")
        if isinstance(handle, str) and handle.isdigit():
            args = args.changed(handle=int(handle))
        return super()._socket(args)


class CoercesStringPorts(ReferenceAdapter):
    """Accepts a port given as a string of digits (a lenient parser)."""
    def op_tcp_listen(self, args: Args) -> dict:
        port = args.raw.get("port")
        if isinstance(port, str) and port.isdigit():
            args = args.changed(port=int(port))
        return super().op_tcp_listen(args)


class DefaultsToIpv4(ReferenceAdapter):
    """A request without a family is taken as IPv4 instead of malformed."""
    def op_tcp_listen(self, args: Args) -> dict:
        return super().op_tcp_listen(args if "family" in args.raw else args.changed(family="ipv4"))


class ResetsAfterABadRequest(ReferenceAdapter):
    """Recovers from a malformed request by closing everything it has open."""
    def handle(self, request: dict) -> dict:
        response = super().handle(request)
        if not response["ok"] and response["error"]["code"] == BADREQUEST:
            self.close_all()
        return response


class RejectsUnknownFieldsOnQueries(RejectsUnknownArguments):
    """Strict about unknown argument fields on addr.* requests only."""
    def handle(self, request: dict) -> dict:
        if str(request.get("op", "")).startswith("addr."):
            return super().handle(request)
        return ReferenceAdapter.handle(self, request)


# -- bytes ------------------------------------------------------------------------------------

class SendsTextAsUtf8(ReferenceAdapter):
    """Decodes data to text (latin-1) and writes it out as UTF-8: bytes of 0x80 and up grow."""
    def op_stream_send(self, args: Args) -> dict:
        data = args.data()
        result = super().op_stream_send(args.changed(data=encode_bytes(data.decode("latin-1").encode("utf-8"))))
        return {"sent": min(result["sent"], len(data))}


class ReceivesAsText(ReferenceAdapter):
    """Reads bytes as UTF-8 text, replacing what does not decode, and encodes that back."""
    def op_stream_recv(self, args: Args) -> dict:
        data = base64.b64decode(super().op_stream_recv(args)["data"])
        text = data.decode("utf-8", errors="replace").encode("utf-8")[:len(data)]
        return {"data": encode_bytes(text)}


class PadsBase64(ReferenceAdapter):
    """Adds missing padding before decoding, so a base64 text of impossible length is accepted."""
    def op_stream_send(self, args: Args) -> dict:
        text = args.get("data", str)
        return super().op_stream_send(args.changed(data=text + "=" * (-len(text) % 4)))


class SendsBeforeValidating(ReferenceAdapter):
    """Decodes and sends base64 four characters at a time, so a bad tail is found too late."""
    def op_stream_send(self, args: Args) -> dict:
        text, sent = args.get("data", str), 0
        for start in range(0, len(text), 4):
            chunk = args.changed(data=text[start:start + 4])
            sent += super().op_stream_send(chunk)["sent"]
        return {"sent": sent}


# -- handles and reset --------------------------------------------------------------------------

class HandlesFromZero(ReferenceAdapter):
    """Numbers handles from 0 (a list index), not from 1."""
    def __init__(self) -> None:
        super().__init__()
        self._handle_ids = itertools.count(0)


class CachesAddresses(ReferenceAdapter):
    """Answers addr.local from a cache filled when the socket was made, even once it is closed."""
    def __init__(self) -> None:
        super().__init__()
        self._local: dict[int, dict] = {}

    def _register(self, sock) -> int:
        handle = super()._register(sock)
        self._local[handle] = address_of(sock.getsockname())
        return handle

    def op_addr_local(self, args: Args) -> dict:
        handle = args.get("handle", int)
        if handle in self._local:
            return self._local[handle]
        return super().op_addr_local(args)


class ResetKeepsAddressCache(CachesAddresses):
    """The cache of CachesAddresses, emptied on close but not on reset."""
    def op_close(self, args: Args) -> dict:
        self._local.pop(args.get("handle", int), None)
        return super().op_close(args)


class UnknownHandleIsEinval(ReferenceAdapter):
    """A handle it never gave out answers EINVAL; only closed ones answer EBADF."""
    def __init__(self) -> None:
        super().__init__()
        self._given: set[int] = set()

    def _register(self, sock) -> int:
        handle = super()._register(sock)
        self._given.add(handle)
        return handle

    def _socket(self, args: Args):
        handle = args.raw.get("handle")
        if isinstance(handle, int) and handle not in self._given:
            raise OpError("EINVAL", f"invalid handle {handle}")
        return super()._socket(args)


class ResetFailsWithOpenHandles(ReferenceAdapter):
    """Closes everything on reset, but answers an error when anything was open."""
    def op_reset(self, args: Args) -> dict:
        busy = bool(self._sockets)
        super().op_reset(args)
        if busy:
            raise OpError("EBUSY", "reset: handles were open")
        return {}


class ResetKeepsListeners(ReferenceAdapter):
    """reset closes connections and datagram sockets, but leaves listeners listening."""
    def op_reset(self, args: Args) -> dict:
        kept = {h: s for h, s in self._sockets.items()
                if s.type == socket.SOCK_STREAM and s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)}
        for handle in kept:
            del self._sockets[handle]
        super().op_reset(args)
        self._sockets.update(kept)
        return {}


class CoercesFractionalPorts(ReferenceAdapter):
    """Takes a port given as a fraction (5.0) as the integer (a JSON decoder into floats)."""
    def op_tcp_listen(self, args: Args) -> dict:
        port = args.raw.get("port")
        if isinstance(port, float) and port.is_integer():
            args = args.changed(port=int(port))
        return super().op_tcp_listen(args)


class RecvMaxZeroIsEmpty(ReferenceAdapter):
    """A receive of at most 0 bytes answers zero bytes (which reads as end of stream)."""
    def op_stream_recv(self, args: Args) -> dict:
        if args.raw.get("max") == 0:
            return {"data": ""}
        return super().op_stream_recv(args)


class PortRangeIsBadRequest(ReferenceAdapter):
    """Checks port ranges while parsing, and answers a port above 65535 as malformed."""
    def op_tcp_listen(self, args: Args) -> dict:
        port = args.raw.get("port")
        if isinstance(port, int) and not 0 <= port <= 65535:
            raise BadRequest(f"port {port} out of range")
        return super().op_tcp_listen(args)


class ResolvesNames(ReferenceAdapter):
    """Resolves a host name (getaddrinfo) instead of taking numeric addresses only."""
    def op_tcp_listen(self, args: Args) -> dict:
        host = args.raw.get("host")
        if isinstance(host, str) and host == "localhost":
            args = args.changed(host="127.0.0.1" if args.raw.get("family") == "ipv4" else "::1")
        return super().op_tcp_listen(args)


class FamilyFromTheHost(ReferenceAdapter):
    """Picks the family from the host's spelling, ignoring the family it was given."""
    def op_tcp_listen(self, args: Args) -> dict:
        host = args.raw.get("host")
        if isinstance(host, str):
            args = args.changed(family="ipv6" if ":" in host else "ipv4")
        return super().op_tcp_listen(args)


def _zero_timeout_times_out(op_name: str, doc: str):
    """A fault whose ``op_name`` treats timeout 0 as a timed wait that ran out (ETIMEDOUT)."""
    def operation(self, args: Args) -> dict:
        if args.raw.get("timeout") == 0:
            raise OpError("ETIMEDOUT", f"{op_name}: timed out after 0 s")
        return getattr(ReferenceAdapter, op_name)(self, args)
    return type(doc.split()[0], (ReferenceAdapter,), {op_name: operation, "__doc__": doc})


ConnectZeroTimeoutTimesOut = _zero_timeout_times_out(
    "op_tcp_connect", "ConnectZeroTimeoutTimesOut: a connect with timeout 0 answers ETIMEDOUT, not EINPROGRESS.")
AcceptZeroTimeoutTimesOut = _zero_timeout_times_out(
    "op_tcp_accept", "AcceptZeroTimeoutTimesOut: an accept with timeout 0 answers ETIMEDOUT, not EAGAIN.")
RecvZeroTimeoutTimesOut = _zero_timeout_times_out(
    "op_stream_recv", "RecvZeroTimeoutTimesOut: a receive with timeout 0 answers ETIMEDOUT, not EAGAIN.")
RecvfromZeroTimeoutTimesOut = _zero_timeout_times_out(
    "op_udp_recvfrom", "RecvfromZeroTimeoutTimesOut: a datagram receive with timeout 0 answers ETIMEDOUT.")


class MisfitOptionUnsupported(ReferenceAdapter):
    """Answers UNSUPPORTED for a declared option on a socket it does not apply to (v6only on IPv4)."""
    def op_opt_get(self, args: Args) -> dict:
        if args.get("name", str) == "v6only" and self._socket(args).family == socket.AF_INET:
            raise OpError(UNSUPPORTED, "v6only applies to IPv6 sockets only")
        return super().op_opt_get(args)


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
        'hello answers': HelloOnlyOnce,
        'fields that differ from the previous hello': HelloCountsRequests,
    },
    'ADAPTER-002': {
        'an unknown operation': UnknownOperationIsBadRequest,
        'opt.get of an unknown option': UnknownOptionReadIsEnoprotoopt,
        'opt.set of an unknown option': UnknownOptionSetIsIgnored,
    },
    'ADAPTER-003': {
        'addr.local without a handle': IllTypedHandleIsEBADF,
        'addr.local with the handle as a string': CoercesStringHandles,
        'tcp.listen with the port as a string': CoercesStringPorts,
        'tcp.listen without a family': DefaultsToIpv4,
        'tcp.listen with the port as a fraction': CoercesFractionalPorts,
        'stream.recv with max #': RecvMaxZeroIsEmpty,
        'the adapter still answers well-formed requests': ResetsAfterABadRequest,
    },
    'ADAPTER-004': {
        'tcp.listen with unknown fields': RejectsUnknownArguments,
        'addr.local with unknown fields': RejectsUnknownFieldsOnQueries,
    },
    'ADAPTER-005': {
        '# byte(s) sent by the target arrive unchanged': SendsTextAsUtf8,
        '# byte(s) received by the target: answers that are not standard base64': UrlSafeBase64,
        '# byte(s) received by the target are unchanged': ReceivesAsText,
    },
    'ADAPTER-006': {
        'stream.send with characters outside the alphabet': LenientBase64,
        'stream.send with an impossible length': PadsBase64,
        'the peer received nothing': SendsBeforeValidating,
    },
    'ADAPTER-007': {
        'no handle given out twice (after close and after reset)': ReusesHandles,
        'a closed handle': CachesAddresses,
        'a handle from before reset': ResetKeepsAddressCache,
        'a handle never given out': UnknownHandleIsEinval,
    },
    'ADAPTER-008': {
        'reset answers': ResetFailsWithOpenHandles,
        'the peer of a connection sees it end': ResetForgetsSockets,
        'connecting to a listener opened before reset': ResetKeepsListeners,
        'handles from before reset': ResetKeepsAddressCache,
    },
    'ADAPTER-009': {
        'declared features that do not work': DeclaresTtlItCannotRead,
    },
    'ADAPTER-011': {
        'tcp.listen on port #': PortRangeIsBadRequest,
        'tcp.listen on a host name': ResolvesNames,
        'tcp.listen on an address of the other family': FamilyFromTheHost,
    },
    'ADAPTER-012': {
        'tcp.connect with timeout #': ConnectZeroTimeoutTimesOut,
        'tcp.accept with timeout # and nothing pending': AcceptZeroTimeoutTimesOut,
        'stream.recv with timeout # and nothing arrived': RecvZeroTimeoutTimesOut,
        'udp.recvfrom with timeout # and nothing arrived': RecvfromZeroTimeoutTimesOut,
    },
    'ADAPTER-010': {
        'requests of declared features answered UNSUPPORTED or BADREQUEST': DeclaresShutdownButNotRead,
    },
}
