"""The reference adapter: each protocol operation done the plain POSIX way.

``ReferenceAdapter.handle`` takes a request message (a decoded JSON object) and returns the
response message. It is used in-process by the suite, and behind stdin/stdout by
``python -m reference_impl.adapter``, so both carriers run the same code.
"""

from __future__ import annotations

import errno
import itertools
import os
import platform
import select
import socket
import struct
import time
from typing import Any, Callable

from . import __version__, errqueue, multicast, options15
from . import flags as _flags
from .connecting import ConnectingOperations
from .errqueue import ErrqueueOperations
from .errors import BADREQUEST, UNSUPPORTED, OpError, errno_name, from_oserror
from .protocol import (
    DEFAULT_TIMEOUT,
    FAMILIES,
    FEATURES,
    PROTOCOL_VERSION,
    SCTP_FEATURES,
    SCTP_FEATURES_18,
    decode_bytes,
    encode_bytes,
)
from .multicast import MulticastOperations
from .readiness import ReadinessOperations
from .sctp import operations as sctp_operations
from .sctp import stack_name as sctp_stack
from .sctp.operations import SctpOperations
from .serving import EchoService
from .unix import UnixOperations, unix_address_of

_SHUTDOWN = {"read": socket.SHUT_RD, "write": socket.SHUT_WR, "both": socket.SHUT_RDWR}
_BOOL_OPTIONS = {
    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "broadcast": (socket.SOL_SOCKET, socket.SO_BROADCAST),
    "nodelay": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "quickack": (socket.IPPROTO_TCP, socket.TCP_QUICKACK),  # 1.7: not sticky, Linux may switch it back
    "v6only": (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY),
    "passcred": (socket.SOL_SOCKET, socket.SO_PASSCRED),  # Unix sockets (1.4): SCM_CREDENTIALS
}
if hasattr(socket, "SO_REUSEPORT"):
    _BOOL_OPTIONS["reuseport"] = (socket.SOL_SOCKET, socket.SO_REUSEPORT)
_INT_OPTIONS = {
    "rcvbuf": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "sndbuf": (socket.SOL_SOCKET, socket.SO_SNDBUF),
}
_LINGER = struct.Struct("ii")


class BadRequest(Exception):
    """The request itself is malformed; answered with BADREQUEST."""


class Args:
    """Typed access to a request's ``args``; a missing or ill-typed field is BADREQUEST."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise BadRequest("args must be an object")
        self._raw = raw

    @property
    def raw(self) -> dict:
        return dict(self._raw)

    def changed(self, **fields: Any) -> "Args":
        """A copy with some fields replaced (used by wrappers that adjust a request)."""
        return Args({**self._raw, **fields})

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self._raw or self._raw[name] is None and default is not ...:
            if default is ...:
                raise BadRequest(f"missing argument {name!r}")
            return default
        value = self._raw[name]
        # bool is an int in Python; the protocol keeps them apart.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise BadRequest(f"argument {name!r} has the wrong type")
        return value

    def timeout(self) -> float:
        value = self.get("timeout", (int, float), DEFAULT_TIMEOUT)
        if value < 0:
            raise BadRequest("timeout must be >= 0")
        return float(value)

    def data(self) -> bytes:
        try:
            return decode_bytes(self.get("data", str))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def address_of(sockaddr: Any) -> dict:
    """An address as the protocol writes it: host and port, or a Unix address (1.4)."""
    if not isinstance(sockaddr, tuple):  # AF_UNIX: a path (str), an abstract name (bytes), unnamed
        return unix_address_of(sockaddr)
    return {"host": sockaddr[0], "port": sockaddr[1]}


def numeric_sockaddr(family: int, host: str, port: int) -> tuple:
    """Validate a numeric host for the family; never resolve names (no DNS, ever)."""
    try:
        socket.inet_pton(family, host)
    except OSError:
        raise OpError("EINVAL", f"not a numeric address for this family: {host!r}") from None
    if not 0 <= port <= 65535:
        raise OpError("EINVAL", f"port out of range: {port}")
    return (host, port) if family == socket.AF_INET else (host, port, 0, 0)


def family_of(args: Args) -> int:
    name = args.get("family", str)
    if name not in FAMILIES:
        raise BadRequest(f"unknown family {name!r}")
    return FAMILIES[name]


def new_socket(family: int, kind: int, options: dict, protocol: int = 0) -> socket.socket:
    """A non-blocking socket with ``options`` applied in the order given (before any bind)."""
    sock = _call(socket.socket, family, kind, protocol, context="socket")
    sock.setblocking(False)  # waiting is done by _waiting, with the operation's own timeout
    try:
        for name, value in options.items():
            set_option(sock, name, value)
    except BaseException:
        sock.close()
        raise
    return sock


def parse_request(request: Any) -> tuple[str, Args]:
    """The name of the ``op_*`` method that performs a request, and its arguments."""
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        raise BadRequest("a request is an object with a string 'op'")
    method = _OPERATIONS.get(request["op"])
    if method is None:
        raise OpError(UNSUPPORTED, f"unknown operation {request['op']!r}")
    return method, Args(request.get("args"))


class ReferenceAdapter(UnixOperations, ReadinessOperations, ConnectingOperations, SctpOperations,
                       MulticastOperations, ErrqueueOperations):
    """Protocol v1 over the stdlib ``socket`` module (``unix.*``: reference_impl.unix;
    ``wait``: reference_impl.readiness; 1.5 connects: reference_impl.connecting; flags:
    reference_impl.flags; 1.5 options: reference_impl.options15; ``sctp.*`` (1.6): the kernel's
    SCTP or usrsctp, reference_impl.sctp; multicast (1.7): reference_impl.multicast; the error queue and
    nonblock (1.7): reference_impl.errqueue)."""

    implementation = "python-reference"
    language = "python"

    def __init__(self) -> None:
        self._sockets: dict[int, socket.socket] = {}
        self._services: dict[int, EchoService] = {}
        self._handle_ids = itertools.count(1)  # never reused (docs/protocol.md §2.1)
        self.features = sorted(_host_features())

    # -- message level ----------------------------------------------------------------

    def handle(self, request: dict) -> dict:
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            method, args = parse_request(request)
            return {"id": request_id, "ok": True, "result": getattr(self, method)(args)}
        except OpError as exc:
            return error_response(request_id, exc.code, exc.message)
        except BadRequest as exc:
            return error_response(request_id, BADREQUEST, str(exc))

    def close_all(self) -> None:
        services, self._services = self._services, {}
        for service in services.values():
            service.stop()
        sockets, self._sockets = self._sockets, {}
        for sock in sockets.values():
            sock.close()

    # -- helpers -----------------------------------------------------------------------

    def _register(self, sock: socket.socket) -> int:
        handle = next(self._handle_ids)
        self._sockets[handle] = sock
        return handle

    def _socket(self, args: Args) -> socket.socket:
        handle = args.get("handle", int)
        try:
            return self._sockets[handle]
        except KeyError:
            raise OpError("EBADF", f"no open handle {handle}") from None

    def _new_socket(self, family: int, kind: int, options: dict) -> socket.socket:
        return new_socket(family, kind, options)

    @staticmethod
    def _options(args: Args) -> dict:
        return args.get("options", dict, {})

    # -- session -----------------------------------------------------------------------

    def op_hello(self, args: Args) -> dict:
        return {
            "protocol": PROTOCOL_VERSION,
            "implementation": self.implementation,
            "version": f"{__version__} (CPython {platform.python_version()})",
            "language": self.language,
            "features": list(self.features),
        }

    def op_reset(self, args: Args) -> dict:
        self.close_all()
        return {}

    def op_close(self, args: Args) -> dict:
        if args.get("handle", int) in self._services:
            return self.op_serve_stop(args)
        sock = self._socket(args)
        del self._sockets[args.get("handle", int)]
        sock.close()
        return {}

    # -- stream ------------------------------------------------------------------------

    def op_tcp_listen(self, args: Args) -> dict:
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        backlog = args.get("backlog", int, 128)
        sock = self._new_socket(family, socket.SOCK_STREAM, self._options(args))
        try:
            _call(sock.bind, address, context="bind")
            _call(sock.listen, backlog, context="listen")
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(sock), "local": address_of(sock.getsockname())}

    def op_tcp_socket(self, args: Args) -> dict:
        sock = self._new_socket(family_of(args), socket.SOCK_STREAM, self._options(args))
        return {"handle": self._register(sock)}

    def op_tcp_connect(self, args: Args) -> dict:
        if args.get("handle", int, None) is not None or args.get("pending", bool, False):
            return self._connect_15(args)  # 1.5: an existing handle, a connect left pending
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int))
        bind = args.get("bind", dict, None)
        timeout = args.timeout()
        sock = self._new_socket(family, socket.SOCK_STREAM, self._options(args))
        try:
            if bind is not None:
                local = Args(bind)
                _call(sock.bind, numeric_sockaddr(family, local.get("host", str), local.get("port", int, 0)), context="bind")
            _connect(sock, address, timeout)
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(sock), **_endpoints(sock)}

    def op_tcp_accept(self, args: Args) -> dict:
        listener = self._socket(args)
        conn, _ = _waiting(listener, select.POLLIN, args.timeout(), listener.accept, context="accept")
        errqueue.accepted(listener, conn)  # 1.7: the mode accept gave it (nonblock)
        conn.setblocking(False)
        return {"handle": self._register(conn), **_endpoints(conn)}

    def op_stream_send(self, args: Args) -> dict:
        sock, data = self._socket(args), args.data()
        flags = _flags.flags_of(args, _flags.STREAM_SEND_FLAGS)
        if flags:  # 1.5
            return _flags.stream_send(sock, data, flags, args.timeout())
        if not data:
            return {"sent": 0}
        # One non-blocking send(2) takes what fits without waiting again (docs/protocol.md §6).
        return {"sent": _waiting(sock, select.POLLOUT, args.timeout(), sock.send, data, context="send")}

    def op_stream_recv(self, args: Args) -> dict:
        sock = self._socket(args)
        size = args.get("max", int)
        if size < 1:
            raise BadRequest("max must be >= 1")
        flags = _flags.flags_of(args, _flags.STREAM_RECV_FLAGS)
        if flags:  # 1.5
            return _flags.stream_recv(sock, size, flags, args.timeout())
        return {"data": encode_bytes(_waiting(sock, select.POLLIN, args.timeout(), sock.recv, size, context="recv"))}

    def op_stream_shutdown(self, args: Args) -> dict:
        sock = self._socket(args)
        how = args.get("how", str)
        if how not in _SHUTDOWN:
            raise BadRequest(f"unknown shutdown direction {how!r}")
        _call(sock.shutdown, _SHUTDOWN[how], context="shutdown")
        return {}

    def op_stream_abort(self, args: Args) -> dict:
        sock = self._socket(args)
        # SO_LINGER on with a zero timeout: close(2) discards unsent data and sends RST.
        _call(sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.pack(1, 0), context="setsockopt")
        del self._sockets[args.get("handle", int)]
        sock.close()
        return {}

    # -- echo service (serve.*) ---------------------------------------------------------

    def op_serve_start(self, args: Args) -> dict:
        kind = args.get("kind", str)
        if kind in ("unix", "unixgram"):
            return self._serve_unix(kind, args)
        if kind not in ("tcp", "udp"):
            raise BadRequest(f"unknown serve kind {kind!r}")
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        sock = self._new_socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM, {})
        try:
            _call(sock.bind, address, context="bind")
            if kind == "tcp":
                _call(sock.listen, args.get("backlog", int, 1024), context="listen")
        except BaseException:
            sock.close()
            raise
        local = address_of(sock.getsockname())
        handle = next(self._handle_ids)
        self._services[handle] = EchoService(sock, kind)
        return {"handle": handle, "local": local}

    def _serve(self, sock: socket.socket, kind: str, socket_file: bytes | None = None) -> int:
        """Hand a bound (and listening) socket to an echo service: its handle."""
        handle = next(self._handle_ids)
        self._services[handle] = EchoService(sock, kind, socket_file)
        return handle

    def op_serve_stop(self, args: Args) -> dict:
        handle = args.get("handle", int)
        service = self._services.pop(handle, None)
        if service is None:
            raise OpError("EBADF", f"no echo service {handle}")
        return {"sessions": service.stop()}

    # -- datagram ----------------------------------------------------------------------

    def op_udp_bind(self, args: Args) -> dict:
        family = family_of(args)
        address = numeric_sockaddr(family, args.get("host", str), args.get("port", int, 0))
        sock = self._new_socket(family, socket.SOCK_DGRAM, self._options(args))
        try:
            _call(sock.bind, address, context="bind")
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(sock), "local": address_of(sock.getsockname())}

    def op_udp_connect(self, args: Args) -> dict:
        sock = self._socket(args)
        _call(sock.connect, numeric_sockaddr(sock.family, args.get("host", str), args.get("port", int)), context="connect")
        return _endpoints(sock)

    def op_udp_sendto(self, args: Args) -> dict:
        sock, data = self._socket(args), args.data()
        host = args.get("host", str, None)
        dontwait = args.get("dontwait", bool, False)  # 1.5
        if host is None:
            if dontwait:
                return _flags.udp_sendto(sock, data, None)
            return {"sent": _waiting(sock, select.POLLOUT, args.timeout(), sock.send, data, context="send")}
        address = numeric_sockaddr(sock.family, host, args.get("port", int))
        if dontwait:
            return _flags.udp_sendto(sock, data, address)
        return {"sent": _waiting(sock, select.POLLOUT, args.timeout(), sock.sendto, data, address, context="sendto")}

    def op_udp_recvfrom(self, args: Args) -> dict:
        sock = self._socket(args)
        size = args.get("max", int)
        if size < 0:
            raise BadRequest("max must be >= 0")
        flags = _flags.flags_of(args, _flags.UDP_RECV_FLAGS)
        if flags:  # 1.5
            return _flags.udp_recvfrom(sock, size, flags, args.timeout())
        data, _, flags, sender = _waiting(sock, select.POLLIN, args.timeout(), sock.recvmsg, size, context="recvmsg")
        return {
            "data": encode_bytes(data),
            "peer": address_of(sender),
            "truncated": bool(flags & socket.MSG_TRUNC),
        }

    # -- raw sockets and ICMP (protocol 1.1) ------------------------------------------------

    def op_raw_open(self, args: Args) -> dict:
        family = family_of(args)
        protocol = args.get("protocol", str)
        expected = "icmp" if family == socket.AF_INET else "icmpv6"
        if protocol != expected:
            raise BadRequest(f"protocol must be {expected!r} for this family")
        kind = args.get("kind", str, "raw")
        if kind not in ("raw", "ping"):
            raise BadRequest("kind is 'raw' or 'ping'")
        number = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
        sock_type = socket.SOCK_RAW if kind == "raw" else socket.SOCK_DGRAM
        return {"handle": self._register(new_socket(family, sock_type, self._options(args), number))}

    def op_raw_send(self, args: Args) -> dict:
        sock, data = self._socket(args), args.data()
        address = numeric_sockaddr(sock.family, args.get("host", str), 0)
        return {"sent": _waiting(sock, select.POLLOUT, args.timeout(), sock.sendto, data, address, context="sendto")}

    def op_raw_recv(self, args: Args) -> dict:
        sock = self._socket(args)
        size = args.get("max", int, 65535)
        data, sender = _waiting(sock, select.POLLIN, args.timeout(), sock.recvfrom, size, context="recvfrom")
        return {"data": encode_bytes(data), "peer": {"host": sender[0], "port": 0}}

    # -- addresses and options -----------------------------------------------------------

    def op_addr_local(self, args: Args) -> dict:
        return address_of(_call(self._socket(args).getsockname, context="getsockname"))

    def op_addr_peer(self, args: Args) -> dict:
        return address_of(_call(self._socket(args).getpeername, context="getpeername"))

    def op_opt_set(self, args: Args) -> dict:
        value = args.get("value", (bool, int, float, str, dict, type(None)))  # dict: an interface (1.7)
        set_option(self._socket(args), args.get("name", str), value)
        return {}

    def op_opt_get(self, args: Args) -> dict:
        return {"value": get_option(self._socket(args), args.get("name", str))}


def _waiting(sock: socket.socket, events: int, timeout: float, function: Callable, *args: Any,
             context: str) -> Any:
    """Attempt the operation at once; wait (up to ``timeout``) only if it would block.

    Attempting first matters: an operation that cannot succeed (send on a listener, recv on
    an unconnected socket) must report its error, not wait for a readiness that never comes.
    """
    deadline = time.monotonic() + timeout
    poller = None
    while True:
        try:
            return function(*args)
        except BlockingIOError:
            if timeout == 0:
                raise OpError("EAGAIN", f"{context}: would block") from None
        except OSError as exc:
            raise from_oserror(exc, context) from None
        remaining = deadline - time.monotonic()
        if poller is None:
            poller = select.poll()
            poller.register(sock, events)
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")


def error_response(request_id: Any, code: str, message: str) -> dict:
    return {"id": request_id, "ok": False, "error": {"code": code, "message": message}}


def _call(function: Callable, *args: Any, context: str) -> Any:
    try:
        return function(*args)
    except OSError as exc:
        raise from_oserror(exc, context) from None


def _connect(sock: socket.socket, address: tuple, timeout: float) -> None:
    """Non-blocking connect, then wait for the outcome (SO_ERROR) up to ``timeout``."""
    code = sock.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EAGAIN):
        if timeout == 0:
            raise OpError("EINPROGRESS", "connect: in progress")
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        if not poller.poll(timeout * 1000):
            raise OpError("ETIMEDOUT", f"connect: timed out after {timeout:g} s")
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OpError(errno_name(code), f"connect: {os.strerror(code)}")


def _endpoints(sock: socket.socket) -> dict:
    return {"local": address_of(sock.getsockname()), "peer": address_of(sock.getpeername())}


def _ttl_option(sock: socket.socket) -> tuple[int, int]:
    if sock.family == socket.AF_INET6:
        return socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS
    return socket.IPPROTO_IP, socket.IP_TTL


# SCTP options (1.8) asked of a socket that is not SCTP: IPPROTO_SCTP-level options, which the kernel refuses
_SCTP_OPTIONS = {"sctp_nodelay": (132, 3), "sctp_hbinterval": (132, 9)}


def set_option(sock: socket.socket, name: str, value: Any) -> None:
    if hasattr(sock, "encaps_port"):  # an SCTP socket (1.6): its options are the SCTP ones (1.8)
        return sctp_operations.set_option(sock, name, value)
    if name in _SCTP_OPTIONS:  # 1.8, on a socket that is not SCTP: the kernel's answer
        _call(sock.setsockopt, *_SCTP_OPTIONS[name], int(bool(value)), context=f"setsockopt {name}")
    elif name in _BOOL_OPTIONS:
        if not isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes a bool")
        _call(sock.setsockopt, *_BOOL_OPTIONS[name], int(value), context=f"setsockopt {name}")
    elif name in _INT_OPTIONS or name == "ttl":
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest(f"option {name!r} takes an integer")
        level, option = _ttl_option(sock) if name == "ttl" else _INT_OPTIONS[name]
        _call(sock.setsockopt, level, option, value, context=f"setsockopt {name}")
    elif name == "linger":
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise BadRequest("option 'linger' takes null or integer seconds")
        packed = _LINGER.pack(0, 0) if value is None else _LINGER.pack(1, value)
        _call(sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, packed, context="setsockopt linger")
    elif name in options15.NAMES:  # 1.5
        options15.set_option(sock, name, value)
    elif name in errqueue.NAMES:  # 1.7: recverr, nonblock
        errqueue.set_option(sock, name, value)
    elif name in multicast.NAMES:  # 1.7
        multicast.set_option(sock, name, value)
    else:
        raise OpError(UNSUPPORTED, f"unknown option {name!r}")


def get_option(sock: socket.socket, name: str) -> Any:
    if hasattr(sock, "encaps_port"):  # an SCTP socket (1.6): its options are the SCTP ones (1.8)
        return sctp_operations.get_option(sock, name)
    if name in _SCTP_OPTIONS:  # 1.8, on a socket that is not SCTP
        return _call(sock.getsockopt, *_SCTP_OPTIONS[name], context=f"getsockopt {name}")
    if name in _BOOL_OPTIONS:
        return bool(_call(sock.getsockopt, *_BOOL_OPTIONS[name], context=f"getsockopt {name}"))
    if name in _INT_OPTIONS or name == "ttl":
        level, option = _ttl_option(sock) if name == "ttl" else _INT_OPTIONS[name]
        return _call(sock.getsockopt, level, option, context=f"getsockopt {name}")
    if name == "linger":
        raw = _call(sock.getsockopt, socket.SOL_SOCKET, socket.SO_LINGER, _LINGER.size, context="getsockopt linger")
        onoff, seconds = _LINGER.unpack(raw)
        return seconds if onoff else None
    if name in options15.NAMES:  # 1.5
        return options15.get_option(sock, name)
    if name in errqueue.NAMES:  # 1.7: recverr, nonblock
        return errqueue.get_option(sock, name)
    if name in multicast.NAMES:  # 1.7
        return multicast.get_option(sock, name)
    raise OpError(UNSUPPORTED, f"unknown option {name!r}")


def _host_features() -> set[str]:
    """What this host lets the reference do: a feature the platform lacks is not claimed."""
    features = set(FEATURES)
    if not _can_open(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP):
        features.discard("raw")  # no CAP_NET_RAW
    if not _can_open(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP):
        features.discard("ping-socket")  # net.ipv4.ping_group_range excludes us
    if "reuseport" not in _BOOL_OPTIONS:
        features.discard("opt.reuseport")
    if not ipv6_loopback_usable():
        features -= {"ipv6", "ipv4-mapped", "opt.v6only"}
    if sctp_stack() is None:  # neither the kernel's SCTP nor usrsctp (1.6)
        features -= set(SCTP_FEATURES) | set(SCTP_FEATURES_18)
    return features


def _can_open(family: int, kind: int, protocol: int) -> bool:
    try:
        socket.socket(family, kind, protocol).close()
    except OSError:
        return False
    return True


def ipv6_loopback_usable() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# op name → method name, e.g. "tcp.listen" → "op_tcp_listen" (looked up on the instance,
# so subclasses such as the self-tests' faulty targets can override single operations)
_OPERATIONS: dict[str, str] = {
    name[3:].replace("_", ".", 1): name for name in dir(ReferenceAdapter) if name.startswith("op_")
}
