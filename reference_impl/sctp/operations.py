"""The reference's ``sctp.*`` operations (protocol 1.6), mixed into ``ReferenceAdapter``.

Handles are shared with every other operation: ``close`` ends an SCTP socket too (a
graceful close: SHUTDOWN when the association is up).
"""

from __future__ import annotations

import platform
import socket
import time
from typing import Any

from ..errors import UNSUPPORTED, OpError, from_oserror
from ..protocol import encode_bytes
from . import UNAVAILABLE, stack_name, usrsctp

_LOOPBACK = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}
_HOW = {"read": socket.SHUT_RD, "write": socket.SHUT_WR, "both": socket.SHUT_RDWR}


_STYLES = {"one-to-one": socket.SOCK_STREAM, "one-to-many": socket.SOCK_SEQPACKET}


def _new(family: int, kind: int = socket.SOCK_STREAM) -> Any:
    stack = stack_name()
    if stack is None:
        raise OpError(UNSUPPORTED, UNAVAILABLE)
    try:
        if stack == "kernel":
            from .kernel import KernelSctpSocket
            return KernelSctpSocket(family, kind)
        from .sockets import SctpSocket
        return SctpSocket(family, kind)
    except OSError as exc:
        raise from_oserror(exc, "socket") from None


def _addr(pair: Any) -> dict | None:
    return None if pair is None else {"host": pair[0], "port": pair[1]}


def _stream_counts(args: Any) -> tuple[int, int] | None:
    """``streams`` (1.8): the outbound streams asked for and the inbound streams accepted, set
    before setup (SCTP_INITMSG); a number left out is 0, which keeps the stack's default."""
    from ..engine import Args, BadRequest
    streams = args.get("streams", dict, None)
    if streams is None:
        return None
    if set(streams) - {"out", "in"}:
        raise BadRequest(f"unknown streams field(s) {sorted(set(streams) - {'out', 'in'})}")
    counts = Args(streams)
    outbound, inbound = counts.get("out", int, 0), counts.get("in", int, 0)
    if any(name in streams and not 1 <= value <= 0xFFFF for name, value in (("out", outbound), ("in", inbound))):
        raise OpError("EINVAL", "stream counts are 1..65535")
    return outbound, inbound


# SCTP options (1.8, docs/protocol.md §7), on SCTP handles
OPTION_NAMES = ("sctp_hbinterval", "sctp_nodelay")


def set_option(sock: Any, name: str, value: Any) -> None:
    from ..engine import BadRequest
    if name == "sctp_nodelay":
        if not isinstance(value, bool):
            raise BadRequest("option 'sctp_nodelay' takes a bool")
        call, what = (lambda: sock.set_nodelay(value)), "SCTP_NODELAY"
    elif name == "sctp_hbinterval":
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise BadRequest("option 'sctp_hbinterval' takes null or integer milliseconds")
        if value is not None and not 0 <= value <= 0xFFFFFFFF:
            raise OpError("EINVAL", "sctp_hbinterval is 0..2^32-1 milliseconds")
        call, what = (lambda: sock.set_hbinterval(value)), "SCTP_PEER_ADDR_PARAMS"
    else:
        raise OpError("ENOPROTOOPT", f"option {name!r} is not one of an SCTP socket here")
    try:
        call()
    except OSError as exc:
        raise from_oserror(exc, f"setsockopt {what}") from None


def get_option(sock: Any, name: str) -> Any:
    try:
        if name == "sctp_nodelay":
            return sock.nodelay()
        if name == "sctp_hbinterval":
            return sock.hbinterval()
    except OSError as exc:
        raise from_oserror(exc, f"getsockopt {name}") from None
    raise OpError("ENOPROTOOPT", f"option {name!r} is not one of an SCTP socket here")


class SctpOperations:
    """``sctp.stack``, ``sctp.listen``, ``sctp.connect``, ``sctp.accept``, ``sctp.send``,
    ``sctp.recv``, ``sctp.shutdown``, ``sctp.abort``."""

    _sockets: dict

    def _sctp(self, args: Any) -> Any:
        sock = self._socket(args)  # type: ignore[attr-defined]
        if not hasattr(sock, "encaps_port"):
            raise OpError("ENOTSOCK", "not an SCTP socket")
        return sock

    @staticmethod
    def _deadline(args: Any) -> float:
        return time.monotonic() + args.timeout()

    def op_sctp_stack(self, args: Any) -> dict:
        stack = stack_name()
        if stack is None:
            raise OpError(UNSUPPORTED, UNAVAILABLE)
        if stack == "kernel":
            return {"stack": "kernel", "version": f"{platform.system()} {platform.release()}", "encaps_port": None}
        try:
            _, port = usrsctp.stack()
        except OSError as exc:
            raise from_oserror(exc, "usrsctp_init") from None
        return {"stack": "usrsctp", "version": usrsctp.VERSION, "encaps_port": port}

    def op_sctp_listen(self, args: Any) -> dict:
        from ..engine import BadRequest, family_of, numeric_sockaddr
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))[:2]
        style = args.get("style", str, "one-to-one")
        if style not in _STYLES:
            raise BadRequest(f"unknown style {style!r}")
        streams = _stream_counts(args)
        sock = _new(family, _STYLES[style])
        try:
            if streams is not None:
                sock.set_streams(*streams)
            sock.bind(host, port)
            sock.listen(args.get("backlog", int, 16))
        except OSError as exc:
            sock.close()
            raise from_oserror(exc, "listen") from None
        return {"handle": self._register(sock), "local": _addr(sock.local()),  # type: ignore[attr-defined]
                "encaps_port": sock.encaps_port}

    def op_sctp_connect(self, args: Any) -> dict:
        from ..engine import Args, family_of, numeric_sockaddr
        family = family_of(args)
        host, port = numeric_sockaddr(family, args.get("host", str), args.get("port", int))[:2]
        encaps = args.get("encaps_port", int, None)
        bind = Args(args.get("bind", dict, {}))
        local_host = bind.get("host", str, _LOOPBACK[family])
        local = numeric_sockaddr(family, local_host, bind.get("port", int, 0))
        deadline = self._deadline(args)
        streams = _stream_counts(args)
        sock = _new(family)
        try:
            if streams is not None:
                sock.set_streams(*streams)
            if encaps is not None:
                sock.set_remote_encaps_port(encaps)
            sock.bind(*local[:2])  # on loopback: the association's only address (no multi-homing)
            sock.connect(host, port, deadline)
        except OSError as exc:
            sock.close()
            raise from_oserror(exc, "connect") from None
        # an association already over (the peer aborted at once) has no addresses left to ask for
        return {"handle": self._register(sock), "local": _addr(sock.local() or local[:2]),  # type: ignore[attr-defined]
                "peer": _addr(sock.peer() or (host, port)), "encaps_port": sock.encaps_port}

    def op_sctp_accept(self, args: Any) -> dict:
        listener = self._sctp(args)
        try:
            conn = listener.accept(self._deadline(args))
        except OSError as exc:
            raise from_oserror(exc, "accept") from None
        return {"handle": self._register(conn), "local": _addr(conn.local()),  # type: ignore[attr-defined]
                "peer": _addr(conn.peer_or_known() if hasattr(conn, "peer_or_known") else conn.peer())}

    def op_sctp_send(self, args: Any) -> dict:
        from ..engine import Args, numeric_sockaddr
        sock, data = self._sctp(args), args.data()
        stream, ppid = args.get("stream", int, 0), args.get("ppid", int, 0)
        if not 0 <= stream <= 0xFFFF or not 0 <= ppid <= 0xFFFFFFFF:
            raise OpError("EINVAL", "stream is 0..65535 and ppid 0..2^32-1")
        to = args.get("to", dict, None)
        if to is not None:  # one-to-many: the association is named by its peer's address
            to_args = Args(to)
            to = numeric_sockaddr(sock.family, to_args.get("host", str), to_args.get("port", int))[:2]
        try:
            sent = sock.send(data, stream, ppid, args.get("unordered", bool, False), self._deadline(args), to)
        except OSError as exc:
            raise from_oserror(exc, "send") from None
        return {"sent": sent}

    def op_sctp_recv(self, args: Any) -> dict:
        from ..engine import BadRequest
        sock = self._sctp(args)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        try:
            message = sock.recv(size, self._deadline(args))
        except OSError as exc:
            raise from_oserror(exc, "recv") from None
        flags = [name for name, on in (("unordered", message.unordered), ("eor", message.complete)) if on]
        result = {"data": encode_bytes(message.data), "stream": message.stream, "ppid": message.ppid, "flags": flags}
        if message.peer is not None:  # one-to-many: which association the message came on
            result["peer"] = _addr(message.peer)
        return result

    def op_sctp_status(self, args: Any) -> dict:
        """SCTP_STATUS (1.8): ``to`` names the association on a one-to-many socket."""
        from ..engine import Args, numeric_sockaddr
        sock = self._sctp(args)
        to = args.get("to", dict, None)
        if to is not None:
            to_args = Args(to)
            to = numeric_sockaddr(sock.family, to_args.get("host", str), to_args.get("port", int))[:2]
        try:
            status = sock.status(to)
        except OSError as exc:
            raise from_oserror(exc, "getsockopt SCTP_STATUS") from None
        return {**status, "primary": _addr(status["primary"])}

    def op_sctp_shutdown(self, args: Any) -> dict:
        from ..engine import BadRequest
        sock = self._sctp(args)
        how = args.get("how", str, "write")
        if how not in _HOW:
            raise BadRequest(f"unknown shutdown direction {how!r}")
        try:
            sock.shutdown(_HOW[how])
        except OSError as exc:
            raise from_oserror(exc, "shutdown") from None
        return {}

    def op_sctp_abort(self, args: Any) -> dict:
        sock = self._sctp(args)
        del self._sockets[args.get("handle", int)]
        try:
            sock.abort()
        except OSError as exc:
            raise from_oserror(exc, "abort") from None
        return {}
