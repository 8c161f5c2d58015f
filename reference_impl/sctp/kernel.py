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
    poller = select.poll()
    poller.register(sock, events)
    if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
        raise OSError(errno.ETIMEDOUT, "timed out")


class KernelSctpSocket:
    encaps_port = None  # the kernel's SCTP runs straight over IP

    def __init__(self, family: int, kind: int = socket.SOCK_STREAM, sock: socket.socket | None = None) -> None:
        self.family = family
        self._sock = sock or socket.socket(family, kind, IPPROTO_SCTP)
        self._sock.setblocking(False)
        self._sock.setsockopt(SOL_SCTP, SCTP_RECVRCVINFO, 1)

    def set_nodelay(self, on: bool) -> None:
        self._sock.setsockopt(SOL_SCTP, SCTP_NODELAY, int(on))

    def set_remote_encaps_port(self, port: int) -> None:
        pass  # no encapsulation

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
