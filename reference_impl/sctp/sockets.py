"""A socket-like wrapper of one usrsctp socket (one-to-one style, RFC 6458 §4): the calls
the reference's ``sctp.*`` operations make, raising ``OSError`` with the stack's errno.

Every socket is non-blocking; a call that must wait polls ``usrsctp_get_events`` until its
deadline (the stack's own threads do the work meanwhile).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import socket
import struct
import threading
import time
from dataclasses import dataclass

from . import usrsctp as u

_POLL_STEP = 0.002
_NOTHING = ctypes.create_string_buffer(1)  # usrsctp_sendv wants a buffer even for no data


@dataclass(frozen=True)
class Message:
    data: bytes
    stream: int
    ppid: int
    unordered: bool
    complete: bool  # MSG_EOR: the message's last byte is in this read
    peer: tuple[str, int] | None = None  # the sender (one-to-many sockets)


def _sockaddr(family: int, host: str, port: int) -> ctypes.Array:
    packed = socket.inet_pton(family, host)
    if family == socket.AF_INET:
        raw = struct.pack("=H", family) + struct.pack("!H", port) + packed + bytes(8)
    else:
        raw = struct.pack("=H", family) + struct.pack("!HI", port, 0) + packed + struct.pack("=I", 0)
    return ctypes.create_string_buffer(raw, len(raw))


def _address(pointer: int) -> tuple[str, int] | None:
    family = ctypes.c_uint16.from_address(pointer).value
    if family == socket.AF_INET:
        raw = ctypes.string_at(pointer, 16)
        return socket.inet_ntop(family, raw[4:8]), struct.unpack_from("!H", raw, 2)[0]
    if family == socket.AF_INET6:
        raw = ctypes.string_at(pointer, 28)
        return socket.inet_ntop(family, raw[8:24]), struct.unpack_from("!H", raw, 2)[0]
    return None


def _fail(context: str) -> OSError:
    code = u.errno_now() or errno.EIO
    return OSError(code, f"{context}: {errno.errorcode.get(code, code)}")


def _association_count(lib, so: int) -> int:
    """How many peer addresses the socket's association has: 0 once it is gone."""
    addrs = ctypes.c_void_p()
    count = lib.usrsctp_getpaddrs(so, 0, ctypes.byref(addrs))
    if count > 0 and addrs.value:
        lib.usrsctp_freepaddrs(addrs)
    return max(count, 0)


class _Reaper:
    """Frees retired usrsctp sockets once their association is over (or, failing that, after
    an ABORT), from one daemon thread."""

    GRACE = 10.0  # seconds a graceful shutdown may take before the association is aborted

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retired: list[tuple[ctypes.CDLL, int, float]] = []
        self._thread: threading.Thread | None = None

    def retire(self, lib: ctypes.CDLL, so: int) -> None:
        with self._lock:
            self._retired.append((lib, so, time.monotonic()))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="usrsctp reaper", daemon=True)
                self._thread.start()
        self.sweep()

    def sweep(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        kept = []
        for lib, so, since in retired:
            if _association_count(lib, so) == 0:
                lib.usrsctp_close(so)
            elif time.monotonic() - since > self.GRACE:
                info = u.SndInfo(snd_flags=u.SCTP_ABORT)
                lib.usrsctp_sendv(so, _NOTHING, 0, None, 0, ctypes.byref(info), ctypes.sizeof(info),
                                  u.SCTP_SENDV_SNDINFO, 0)
                kept.append((lib, so, time.monotonic()))
            else:
                kept.append((lib, so, since))
        with self._lock:
            self._retired.extend(kept)

    def _run(self) -> None:
        while True:
            time.sleep(0.05)
            self.sweep()


_REAPER = _Reaper()


class SctpSocket:
    def __init__(self, family: int, kind: int = socket.SOCK_STREAM, pointer: int | None = None) -> None:
        self._lib, self.encaps_port = u.stack()
        self.family, self.kind = family, kind
        if pointer is None:
            ctypes.set_errno(0)
            pointer = self._lib.usrsctp_socket(family, kind, u.IPPROTO_SCTP, None, None, 0, None)
            if not pointer:
                raise _fail("usrsctp_socket")
        self._so: int | None = pointer
        self._known: tuple = (None, None)  # local and peer address as accept reported them
        self._lib.usrsctp_set_non_blocking(pointer, 1)
        self._set_int(u.IPPROTO_SCTP, u.SCTP_RECVRCVINFO, 1)

    # -- options ---------------------------------------------------------------------------

    def _set(self, level: int, name: int, value: ctypes.Structure | ctypes.c_int) -> None:
        ctypes.set_errno(0)
        if self._lib.usrsctp_setsockopt(self.so, level, name, ctypes.byref(value), ctypes.sizeof(value)) < 0:
            raise _fail("usrsctp_setsockopt")

    def _set_int(self, level: int, name: int, value: int) -> None:
        self._set(level, name, ctypes.c_int(value))

    def set_nodelay(self, on: bool) -> None:
        self._set_int(u.IPPROTO_SCTP, u.SCTP_NODELAY, int(on))

    def _get(self, level: int, name: int, value: ctypes.Structure | ctypes.c_int) -> None:
        size = ctypes.c_uint32(ctypes.sizeof(value))
        ctypes.set_errno(0)
        if self._lib.usrsctp_getsockopt(self.so, level, name, ctypes.byref(value), ctypes.byref(size)) < 0:
            raise _fail("usrsctp_getsockopt")

    def nodelay(self) -> bool:
        value = ctypes.c_int(0)
        self._get(u.IPPROTO_SCTP, u.SCTP_NODELAY, value)
        return bool(value.value)

    # -- association parameters (protocol 1.8) ---------------------------------------------

    def set_streams(self, outbound: int, inbound: int) -> None:
        """The streams asked for in INIT / INIT-ACK (SCTP_INITMSG, RFC 6458 §8.1.3)."""
        self._set(u.IPPROTO_SCTP, u.SCTP_INITMSG, u.InitMsg(sinit_num_ostreams=outbound,
                                                            sinit_max_instreams=inbound))

    def set_hbinterval(self, milliseconds: int | None) -> None:
        """Heartbeats on every path of the association (or, on a listener, of the associations
        to come) every ``milliseconds``, or none (SCTP_PEER_ADDR_PARAMS, RFC 6458 §8.1.12)."""
        params = self._every_path()
        if milliseconds is None:
            params.spp_flags = u.SPP_HB_DISABLE
        else:
            params.spp_hbinterval = milliseconds
            params.spp_flags = u.SPP_HB_ENABLE | (u.SPP_HB_TIME_IS_ZERO if milliseconds == 0 else 0)
        self._set(u.IPPROTO_SCTP, u.SCTP_PEER_ADDR_PARAMS, params)

    def _every_path(self) -> u.PaddrParams:
        """Peer address parameters naming no one path (the family's wildcard address, assoc id
        0): every path of a one-to-one socket's association, or a listener's defaults."""
        params = u.PaddrParams()
        ctypes.c_uint16.from_address(ctypes.addressof(params.spp_address)).value = self.family
        return params

    def hbinterval(self) -> int | None:
        params = self._every_path()
        self._get(u.IPPROTO_SCTP, u.SCTP_PEER_ADDR_PARAMS, params)
        return None if params.spp_flags & u.SPP_HB_DISABLE else params.spp_hbinterval

    def _assoc_id(self, to: tuple[str, int]) -> int:
        """The id of the association whose peer is ``to`` (one-to-many sockets)."""
        info = u.PaddrInfo()
        address = _sockaddr(self.family, *to)
        ctypes.memmove(ctypes.addressof(info.spinfo_address), address, len(address))
        self._get(u.IPPROTO_SCTP, u.SCTP_GET_PEER_ADDR_INFO, info)
        return info.spinfo_assoc_id

    def status(self, to: tuple[str, int] | None = None) -> dict:
        """SCTP_STATUS (RFC 6458 §8.2.1): state, negotiated streams, the peer's rwnd, the primary path."""
        status = u.Status()
        if to is not None:
            status.sstat_assoc_id = self._assoc_id(to)
        self._get(u.IPPROTO_SCTP, u.SCTP_STATUS, status)
        return {"state": u.STATES.get(status.sstat_state, f"unknown {status.sstat_state:#x}"),
                "outstreams": status.sstat_outstrms, "instreams": status.sstat_instrms,
                "peer_rwnd": status.sstat_rwnd,
                "primary": _address(ctypes.addressof(status.sstat_primary.spinfo_address))}

    def set_remote_encaps_port(self, port: int) -> None:
        """The UDP port the peer's stack listens on (SCTP_REMOTE_UDP_ENCAPS_PORT, RFC 6951 §5.2)."""
        encaps = u.UdpEncaps()
        encaps.sue_port = socket.htons(port)
        self._set(u.IPPROTO_SCTP, u.SCTP_REMOTE_UDP_ENCAPS_PORT, encaps)

    def socket_error(self) -> int:
        value, size = ctypes.c_int(0), ctypes.c_uint32(ctypes.sizeof(ctypes.c_int))
        if self._lib.usrsctp_getsockopt(self.so, u.SOL_SOCKET, u.SO_ERROR, ctypes.byref(value), ctypes.byref(size)) < 0:
            return 0
        return value.value

    # -- addresses --------------------------------------------------------------------------

    @property
    def so(self) -> int:
        if self._so is None:
            raise OSError(errno.EBADF, "closed")
        return self._so

    def _addresses(self, get: str, free: str) -> tuple[str, int] | None:
        addrs = ctypes.c_void_p()
        count = getattr(self._lib, get)(self.so, 0, ctypes.byref(addrs))
        if count <= 0 or not addrs.value:
            return None
        try:
            return _address(addrs.value)
        finally:
            getattr(self._lib, free)(addrs)

    def local(self) -> tuple[str, int] | None:
        return self._addresses("usrsctp_getladdrs", "usrsctp_freeladdrs") or self._known[0]

    def peer(self) -> tuple[str, int] | None:
        return self._addresses("usrsctp_getpaddrs", "usrsctp_freepaddrs")

    def peer_or_known(self) -> tuple[str, int] | None:
        return self.peer() or self._known[1]

    # -- waiting --------------------------------------------------------------------------

    def wait(self, mask: int, deadline: float) -> int:
        """The events in ``mask`` (or an error) now pending; 0 when the deadline passed first."""
        while True:
            events = self._lib.usrsctp_get_events(self.so)
            if events & (mask | u.SCTP_EVENT_ERROR):
                return events
            if time.monotonic() >= deadline:
                return 0
            time.sleep(_POLL_STEP)

    def _retry(self, call, mask: int, deadline: float, context: str):
        """Run ``call`` (which returns None on EWOULDBLOCK) until it gives a result or time runs out
        (a deadline already passed on entry is ``timeout: 0``: EAGAIN, protocol §4)."""
        at_once = time.monotonic() >= deadline
        while True:
            result = call()
            if result is not None:
                return result
            if at_once:
                raise OSError(errno.EAGAIN, f"{context}: would block")
            if not self.wait(mask, deadline):
                raise OSError(errno.ETIMEDOUT, f"{context}: timed out")

    # -- calls ----------------------------------------------------------------------------

    def bind(self, host: str, port: int) -> None:
        address = _sockaddr(self.family, host, port)
        ctypes.set_errno(0)
        if self._lib.usrsctp_bind(self.so, address, len(address)) < 0:
            raise _fail("usrsctp_bind")

    def listen(self, backlog: int) -> None:
        ctypes.set_errno(0)
        if self._lib.usrsctp_listen(self.so, backlog) < 0:
            raise _fail("usrsctp_listen")

    def accept(self, deadline: float) -> SctpSocket:
        def attempt() -> SctpSocket | None:
            name, size = ctypes.create_string_buffer(128), ctypes.c_uint32(128)
            ctypes.set_errno(0)
            pointer = self._lib.usrsctp_accept(self.so, name, ctypes.byref(size))
            if pointer:
                conn = SctpSocket(self.family, pointer=pointer)
                # what accept said: an association already over has no addresses left to ask for
                conn._known = (self.local(), _address(ctypes.addressof(name)))
                return conn
            if u.errno_now() in (errno.EWOULDBLOCK, errno.EAGAIN, 0):
                return None
            raise _fail("usrsctp_accept")
        return self._retry(attempt, u.SCTP_EVENT_READ, deadline, "accept")

    def connect(self, host: str, port: int, deadline: float) -> None:
        address = _sockaddr(self.family, host, port)
        ctypes.set_errno(0)
        if self._lib.usrsctp_connect(self.so, address, len(address)) == 0:
            return
        if u.errno_now() != errno.EINPROGRESS:
            raise _fail("usrsctp_connect")
        events = self.wait(u.SCTP_EVENT_WRITE, deadline)
        if not events:
            raise OSError(errno.ETIMEDOUT, "connect: timed out")
        code = self.socket_error()
        if code:
            raise OSError(code, f"connect: {errno.errorcode.get(code, code)}")
        if events & u.SCTP_EVENT_ERROR and not events & u.SCTP_EVENT_WRITE:
            raise OSError(errno.ECONNREFUSED, "connect: the association was not set up")

    def send(self, data: bytes, stream: int, ppid: int, unordered: bool, deadline: float,
             to: tuple[str, int] | None = None) -> int:
        """One message; ``to``: the association's peer, on a one-to-many socket."""
        info = u.SndInfo(snd_sid=stream, snd_flags=u.SCTP_UNORDERED if unordered else 0,
                         snd_ppid=socket.htonl(ppid))
        address = _sockaddr(self.family, *to) if to is not None else None

        def attempt() -> int | None:
            ctypes.set_errno(0)
            sent = self._lib.usrsctp_sendv(self.so, data, len(data), address, 1 if to else 0, ctypes.byref(info),
                                           ctypes.sizeof(info), u.SCTP_SENDV_SNDINFO, 0)
            if sent >= 0:
                return sent
            if u.errno_now() in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            raise _fail("usrsctp_sendv")
        return self._retry(attempt, u.SCTP_EVENT_WRITE, deadline, "send")

    def recv(self, size: int, deadline: float) -> Message:
        buffer = ctypes.create_string_buffer(max(size, 1))
        info = u.RcvInfo()
        source = ctypes.create_string_buffer(128)

        def attempt() -> Message | None:
            info_size, info_type = ctypes.c_uint32(ctypes.sizeof(info)), ctypes.c_uint(0)
            from_size, flags = ctypes.c_uint32(ctypes.sizeof(source)), ctypes.c_int(0)
            ctypes.set_errno(0)
            got = self._lib.usrsctp_recvv(self.so, buffer, size, source, ctypes.byref(from_size), ctypes.byref(info),
                                          ctypes.byref(info_size), ctypes.byref(info_type), ctypes.byref(flags))
            if got < 0:
                if u.errno_now() in (errno.EWOULDBLOCK, errno.EAGAIN):
                    return None
                raise _fail("usrsctp_recvv")
            if flags.value & u.MSG_NOTIFICATION:
                return None  # none are subscribed; never handed on
            has_info = got > 0 and info_type.value == u.SCTP_RECVV_RCVINFO
            return Message(buffer.raw[:got], info.rcv_sid if has_info else 0,
                           socket.ntohl(info.rcv_ppid) if has_info else 0,
                           bool(has_info and info.rcv_flags & u.SCTP_UNORDERED), bool(flags.value & u.MSG_EOR),
                           _address(ctypes.addressof(source))
                           if from_size.value and self.kind == socket.SOCK_SEQPACKET else None)
        return self._retry(attempt, u.SCTP_EVENT_READ, deadline, "recv")

    def shutdown(self, how: int) -> None:
        ctypes.set_errno(0)
        if self._lib.usrsctp_shutdown(self.so, how) < 0:
            raise _fail("usrsctp_shutdown")

    def abort(self) -> None:
        """End the association with an ABORT (RFC 6458 §5.3.4, SCTP_ABORT), then close."""
        if self._so is not None and self.peer() is not None:
            info = u.SndInfo(snd_flags=u.SCTP_ABORT)
            ctypes.set_errno(0)
            if self._lib.usrsctp_sendv(self.so, _NOTHING, 0, None, 0, ctypes.byref(info), ctypes.sizeof(info),
                                       u.SCTP_SENDV_SNDINFO, 0) < 0:
                raise _fail("usrsctp_sendv(SCTP_ABORT)")
        self.close()

    def close(self) -> None:
        """A graceful close: SHUTDOWN when an association is up. The usrsctp socket itself is
        freed only once it has no association left (reaper below): usrsctp_close while the
        stack's timer thread runs a timer of the socket's association can abort the process
        (sctplab/usrsctp#383, #676)."""
        if self._so is None:
            return
        so, self._so = self._so, None
        if _association_count(self._lib, so) > 0:
            self._lib.usrsctp_shutdown(so, socket.SHUT_WR)
        _REAPER.retire(self._lib, so)
    def fileno(self) -> int:
        return -1

    def __del__(self) -> None:  # as a stdlib socket does: a forgotten socket is closed
        with contextlib.suppress(Exception):  # at interpreter exit the library may be gone
            self.close()
