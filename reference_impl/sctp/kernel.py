"""SCTP through the kernel, where it has it (Linux: the sctp module): the stdlib ``socket``
module with the RFC 6458 ancillary data, behind the same calls as ``sockets.SctpSocket``.

Not exercised on a kernel without SCTP; the suite then uses usrsctp (reference_impl.sctp.usrsctp).
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import time

from .sockets import Message

IPPROTO_SCTP = 132
SOL_SCTP = 132
SCTP_NODELAY, SCTP_RECVRCVINFO = 3, 32  # linux/sctp.h
SCTP_INITMSG, SCTP_PEER_ADDR_PARAMS, SCTP_STATUS, SCTP_GET_PEER_ADDR_INFO = 2, 9, 14, 15  # protocol 1.8
SPP_HB_ENABLE, SPP_HB_DISABLE, SPP_HB_TIME_IS_ZERO = 1, 2, 128
_INITMSG = struct.Struct("=HHHH")
_PADDRPARAMS = struct.Struct("=i128sIHIIIIBx")  # packed, aligned(4): 156 bytes
_PADDRINFO = struct.Struct("=i128siIIII")  # packed, aligned(4)
_STATUS = struct.Struct("=iiIHHHHI")  # followed by a struct sctp_paddrinfo
_STATES = {0: "closed", 1: "closed", 2: "cookie-wait", 3: "cookie-echoed", 4: "established", 5: "shutdown-pending",
           6: "shutdown-sent", 7: "shutdown-received", 8: "shutdown-ack-sent"}  # enum sctp_sstat_state
SCTP_SNDINFO, SCTP_RCVINFO = 2, 3  # cmsg types (enum sctp_cmsg_type)
SCTP_UNORDERED = 1  # snd_flags / rcv_flags
_SNDINFO = struct.Struct("=HHIIi")
_RCVINFO = struct.Struct("=HHHxxIIIIi")


def available() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP).close()
    except OSError:
        return False
    return True


def _wait(sock: socket.socket, events: int, deadline: float) -> None:
    """Wait for ``events`` until ``deadline``; one already passed is ``timeout: 0``: EAGAIN (§4)."""
    remaining = deadline - time.monotonic()
    poller = select.poll()
    poller.register(sock, events)
    if not poller.poll(max(0.0, remaining) * 1000):
        raise OSError(errno.EAGAIN if remaining <= 0 else errno.ETIMEDOUT, "would block" if remaining <= 0 else "timed out")


class KernelSctpSocket:
    encaps_port = None  # the kernel's SCTP runs straight over IP

    def __init__(self, family: int, kind: int = socket.SOCK_STREAM, sock: socket.socket | None = None) -> None:
        self.family = family
        self._sock = sock or socket.socket(family, kind, IPPROTO_SCTP)
        self._sock.setblocking(False)
        self._sock.setsockopt(SOL_SCTP, SCTP_RECVRCVINFO, 1)

    def set_nodelay(self, on: bool) -> None:
        self._sock.setsockopt(SOL_SCTP, SCTP_NODELAY, int(on))

    def nodelay(self) -> bool:
        return bool(self._sock.getsockopt(SOL_SCTP, SCTP_NODELAY))

    def set_remote_encaps_port(self, port: int) -> None:
        pass  # no encapsulation

    # -- association parameters (protocol 1.8) ---------------------------------------------

    def set_streams(self, outbound: int, inbound: int) -> None:
        self._sock.setsockopt(SOL_SCTP, SCTP_INITMSG, _INITMSG.pack(outbound, inbound, 0, 0))

    def set_hbinterval(self, milliseconds: int | None) -> None:
        if milliseconds is None:
            flags, interval = SPP_HB_DISABLE, 0
        else:
            flags, interval = SPP_HB_ENABLE | (SPP_HB_TIME_IS_ZERO if milliseconds == 0 else 0), milliseconds
        self._sock.setsockopt(SOL_SCTP, SCTP_PEER_ADDR_PARAMS,
                              _PADDRPARAMS.pack(0, b"", interval, 0, 0, 0, flags, 0, 0))

    def hbinterval(self) -> int | None:
        raw = self._sock.getsockopt(SOL_SCTP, SCTP_PEER_ADDR_PARAMS, _PADDRPARAMS.size)
        _, _, interval, _, _, _, flags, _, _ = _PADDRPARAMS.unpack_from(raw.ljust(_PADDRPARAMS.size, b"\0"))
        return None if flags & SPP_HB_DISABLE else interval

    def _storage(self, host: str, port: int) -> bytes:
        packed = socket.inet_pton(self.family, host)
        if self.family == socket.AF_INET:
            raw = struct.pack("=H", self.family) + struct.pack("!H", port) + packed
        else:
            raw = struct.pack("=H", self.family) + struct.pack("!HI", port, 0) + packed + struct.pack("=I", 0)
        return raw.ljust(128, b"\0")

    @staticmethod
    def _address(storage: bytes) -> tuple[str, int] | None:
        family = struct.unpack_from("=H", storage)[0]
        if family == socket.AF_INET:
            return socket.inet_ntop(family, storage[4:8]), struct.unpack_from("!H", storage, 2)[0]
        if family == socket.AF_INET6:
            return socket.inet_ntop(family, storage[8:24]), struct.unpack_from("!H", storage, 2)[0]
        return None

    def status(self, to: tuple[str, int] | None = None) -> dict:
        assoc_id = 0
        if to is not None:
            probe = _PADDRINFO.pack(0, self._storage(*to), 0, 0, 0, 0, 0)
            raw = self._getsockopt_in(SCTP_GET_PEER_ADDR_INFO, probe)  # the kernel reads the address in
            assoc_id = _PADDRINFO.unpack_from(raw)[0]
        size = _STATUS.size + _PADDRINFO.size
        # getsockopt reads sstat_assoc_id from the buffer it fills: Python's getsockopt cannot pass one in
        raw = self._getsockopt_in(SCTP_STATUS, _STATUS.pack(assoc_id, 0, 0, 0, 0, 0, 0, 0).ljust(size, b"\0"))
        _, state, rwnd, _, _, instreams, outstreams, _ = _STATUS.unpack_from(raw)
        primary = _PADDRINFO.unpack_from(raw, _STATUS.size)[1]
        return {"state": _STATES.get(state, f"unknown {state}"), "outstreams": outstreams, "instreams": instreams,
                "peer_rwnd": rwnd, "primary": self._address(primary)}

    def _getsockopt_in(self, name: int, buffer: bytes) -> bytes:
        """getsockopt with a buffer that carries input (libc's, through ctypes)."""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        data, size = ctypes.create_string_buffer(buffer, len(buffer)), ctypes.c_uint32(len(buffer))
        if libc.getsockopt(self._sock.fileno(), SOL_SCTP, name, data, ctypes.byref(size)) < 0:
            code = ctypes.get_errno()
            raise OSError(code, errno.errorcode.get(code, str(code)))
        return data.raw[:size.value]

    def local(self):
        return self._sock.getsockname()[:2]

    def peer(self):
        return self._sock.getpeername()[:2]

    def bind(self, host: str, port: int) -> None:
        self._sock.bind((host, port))

    def listen(self, backlog: int) -> None:
        self._sock.listen(backlog)

    def accept(self, deadline: float) -> KernelSctpSocket:
        _wait(self._sock, select.POLLIN, deadline)
        conn, _ = self._sock.accept()
        return KernelSctpSocket(self.family, sock=conn)

    def connect(self, host: str, port: int, deadline: float) -> None:
        code = self._sock.connect_ex((host, port))
        if code == errno.EINPROGRESS:
            _wait(self._sock, select.POLLOUT, deadline)
            code = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise OSError(code, errno.errorcode.get(code, str(code)))

    def send(self, data: bytes, stream: int, ppid: int, unordered: bool, deadline: float,
             to: tuple[str, int] | None = None) -> int:
        info = _SNDINFO.pack(stream, SCTP_UNORDERED if unordered else 0, socket.htonl(ppid), 0, 0)
        _wait(self._sock, select.POLLOUT, deadline)
        if to is not None:
            return self._sock.sendmsg([data], [(SOL_SCTP, SCTP_SNDINFO, info)], 0, to)
        return self._sock.sendmsg([data], [(SOL_SCTP, SCTP_SNDINFO, info)])

    def recv(self, size: int, deadline: float) -> Message:
        _wait(self._sock, select.POLLIN, deadline)
        data, ancillary, flags, source = self._sock.recvmsg(size, socket.CMSG_SPACE(_RCVINFO.size))
        stream = ppid = 0
        unordered = False
        for level, kind, payload in ancillary:
            if level == SOL_SCTP and kind == SCTP_RCVINFO and len(payload) >= _RCVINFO.size:
                stream, _, rflags, ppid, *_ = _RCVINFO.unpack_from(payload)
                ppid, unordered = socket.ntohl(ppid), bool(rflags & SCTP_UNORDERED)
        return Message(data, stream, ppid, unordered, bool(flags & socket.MSG_EOR),
                       source[:2] if self._sock.type == socket.SOCK_SEQPACKET and source else None)

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def abort(self) -> None:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()
