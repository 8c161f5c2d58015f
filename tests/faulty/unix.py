"""Faulty targets of Unix-domain sockets (UNIX-*): one classic mistake each."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .common import BadAdapterProgram, BadEcho, _connected, _is_listener
from .teardown import CloseDrainsFirst, CloseIsNoop, HidesBrokenPipe, ShutdownReadIgnored


def _unix(sock: socket.socket) -> bool:
    return sock.family == socket.AF_UNIX


def _path_of(args, name: str = "address") -> str | None:
    address = args.get(name, dict, None)
    return address.get("path") if isinstance(address, dict) else None


# -- names ------------------------------------------------------------------------------------

class BindMakesNoFile(ReferenceAdapter):
    """unix.listen removes the socket file right after binding (a library that 'cleans up')."""
    def op_unix_listen(self, args):
        result = super().op_unix_listen(args)
        path = _path_of(args)
        if path:
            os.unlink(path)
        return result


class ListenReportsUnnamed(ReferenceAdapter):
    """unix.listen reports the listener as unnamed instead of its path."""
    def op_unix_listen(self, args):
        return {**super().op_unix_listen(args), "local": {"unnamed": True}}


class AddrLocalUnnamedOnUnix(ReferenceAdapter):
    """addr.local of any Unix socket answers unnamed."""
    def op_addr_local(self, args):
        if _unix(self._socket(args)):
            return {"unnamed": True}
        return super().op_addr_local(args)


class AddrLocalIsPeer(ReferenceAdapter):
    """addr.local of a connected Unix socket answers its peer's address."""
    def op_addr_local(self, args):
        sock = self._socket(args)
        if _unix(sock) and _connected(sock):
            return super().op_addr_peer(args)
        return super().op_addr_local(args)


class AddrPeerUnnamedOnUnix(ReferenceAdapter):
    """addr.peer of any Unix socket answers unnamed."""
    def op_addr_peer(self, args):
        if _unix(self._socket(args)):
            super().op_addr_peer(args)
            return {"unnamed": True}
        return super().op_addr_peer(args)


class AddrPeerIsLocal(ReferenceAdapter):
    """addr.peer of a Unix socket answers its own address."""
    def op_addr_peer(self, args):
        if _unix(self._socket(args)):
            super().op_addr_peer(args)
            return super().op_addr_local(args)
        return super().op_addr_peer(args)


class UnnamedReportedAsEmptyAbstract(ReferenceAdapter):
    """An unnamed Unix socket's own address is reported as the empty abstract name."""
    def op_addr_local(self, args):
        result = super().op_addr_local(args)
        return {"abstract": ""} if result == {"unnamed": True} else result


class ListenReplacesPath(ReferenceAdapter):
    """unix.listen unlinks whatever is at the path first (even a live socket's file)."""
    def op_unix_listen(self, args):
        path = _path_of(args)
        if path and os.path.exists(path):
            os.unlink(path)
        return super().op_unix_listen(args)


class ListenReplacesStalePath(ReferenceAdapter):
    """unix.listen unlinks a stale socket file (nobody listening) before binding."""
    def op_unix_listen(self, args):
        path = _path_of(args)
        if path and os.path.exists(path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
            except ConnectionRefusedError:
                os.unlink(path)
            except OSError:
                pass
            finally:
                probe.close()
        return super().op_unix_listen(args)


class UnlinkDoesNothing(ReferenceAdapter):
    """unix.unlink answers ok and removes nothing."""
    def op_unix_unlink(self, args):
        return {}


class UnlinkMissingOk(ReferenceAdapter):
    """unix.unlink of a path where nothing is answers ok."""
    def op_unix_unlink(self, args):
        try:
            return super().op_unix_unlink(args)
        except OpError as exc:
            if exc.code == "ENOENT":
                return {}
            raise


class UnlinkAbstractOk(ReferenceAdapter):
    """unix.unlink of an abstract name answers ok."""
    def op_unix_unlink(self, args):
        if "abstract" in args.get("address", dict):
            return {}
        return super().op_unix_unlink(args)


class CloseUnlinks(ReferenceAdapter):
    """close() of a pathname Unix socket also removes its file."""
    def op_close(self, args):
        sock = self._socket(args)
        name = sock.getsockname() if _unix(sock) else None
        result = super().op_close(args)
        if isinstance(name, str) and name and os.path.exists(name):
            os.unlink(name)
        return result


class StaleConnectIsMissing(ReferenceAdapter):
    """unix.connect reports a refused connect as ENOENT."""
    def op_unix_connect(self, args):
        try:
            return super().op_unix_connect(args)
        except OpError as exc:
            raise OpError("ENOENT", "connect: refused") if exc.code == "ECONNREFUSED" else exc from None


class MissingIsRefused(ReferenceAdapter):
    """unix.connect reports a missing path as ECONNREFUSED."""
    def op_unix_connect(self, args):
        try:
            return super().op_unix_connect(args)
        except OpError as exc:
            raise OpError("ECONNREFUSED", "connect: missing") if exc.code == "ENOENT" else exc from None


class FileIsNotSocket(ReferenceAdapter):
    """unix.connect to an existing file that is no socket answers ENOTSOCK."""
    def op_unix_connect(self, args):
        path = _path_of(args)
        if path and os.path.isfile(path):
            raise OpError("ENOTSOCK", "connect: not a socket file")
        return super().op_unix_connect(args)


class PathLimit100(ReferenceAdapter):
    """Paths longer than 100 bytes are refused (a library with a smaller buffer)."""
    def op_unix_listen(self, args):
        path = _path_of(args)
        if path and len(os.fsencode(path)) > 100:
            raise OpError("ENAMETOOLONG", "path too long")
        return super().op_unix_listen(args)


class LongPathsMissing(ReferenceAdapter):
    """Paths of 108 bytes or more answer ENOENT (cut, and the cut name looked up)."""
    def op_unix_listen(self, args):
        path = _path_of(args)
        if path and len(os.fsencode(path)) >= 108:
            raise OpError("ENOENT", "no such path")
        return super().op_unix_listen(args)


class AbstractAsPath(ReferenceAdapter):
    """An abstract name is bound as a file of that name (in a directory of the adapter's own)
    and still reported as the abstract name."""
    def __init__(self):
        super().__init__()
        self._dir = tempfile.mkdtemp(prefix="sockspec-fault-")

    def _as_path(self, args):
        address = args.get("address", dict)
        if "abstract" in address:
            return args.changed(address={"path": os.path.join(self._dir, address["abstract"])}), address
        return args, None

    def op_unix_listen(self, args):
        changed, abstract = self._as_path(args)
        result = super().op_unix_listen(changed)
        return {**result, "local": abstract} if abstract else result

    def close_all(self):
        super().close_all()
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = tempfile.mkdtemp(prefix="sockspec-fault-")

    def __del__(self):
        shutil.rmtree(self._dir, ignore_errors=True)


class CloseKeepsAbstractName(ReferenceAdapter):
    """close() of a socket with an abstract name keeps a copy of it open (the name stays)."""
    def __init__(self):
        super().__init__()
        self._kept = []

    def op_close(self, args):
        sock = self._socket(args)
        if _unix(sock) and isinstance(sock.getsockname(), bytes) and sock.getsockname()[:1] == b"\0":
            self._kept.append(sock.dup())
        return super().op_close(args)

    def close_all(self):
        super().close_all()
        for sock in self._kept:
            sock.close()
        self._kept.clear()


class AbstractRebindRefused(ReferenceAdapter):
    """An abstract name once used by this adapter is refused ever after (EADDRINUSE)."""
    def __init__(self):
        super().__init__()
        self._used = set()

    def op_unix_listen(self, args):
        address = args.get("address", dict)
        name = address.get("abstract")
        if name is not None and name in self._used:
            raise OpError("EADDRINUSE", "bind: name was in use")
        result = super().op_unix_listen(args)
        if name is not None:
            self._used.add(name)
        return result


class AbstractInUseSilently(ReferenceAdapter):
    """A bind to an abstract name in use answers ok, with an autobound socket instead."""
    def op_unix_listen(self, args):
        try:
            return super().op_unix_listen(args)
        except OpError as exc:
            if exc.code == "EADDRINUSE" and "abstract" in args.get("address", dict):
                return super().op_unix_listen(args.changed(address={"autobind": True}))
            raise


class AutobindIsUnnamed(ReferenceAdapter):
    """{"autobind": true} leaves the socket unbound."""
    def op_unix_bind(self, args):
        if args.get("address", dict).get("autobind") is True:
            args = args.changed(address={"unnamed": True})
        return super().op_unix_bind(args)


class UnnamedBindsAutobind(ReferenceAdapter):
    """A datagram socket asked to stay unnamed is autobound."""
    def op_unix_bind(self, args):
        if args.get("address", dict).get("unnamed") is True:
            args = args.changed(address={"autobind": True})
        return super().op_unix_bind(args)


class ConnectIgnoresBind(ReferenceAdapter):
    """unix.connect ignores its bind argument."""
    def op_unix_connect(self, args):
        return super().op_unix_connect(args.changed(bind=None))


class UnlinkClosesConnections(ReferenceAdapter):
    """unix.unlink also shuts down every connection accepted at that path."""
    def op_unix_unlink(self, args):
        result = super().op_unix_unlink(args)
        path = _path_of(args)
        for sock in list(self._sockets.values()):
            if _unix(sock) and not _is_listener(sock) and sock.type == socket.SOCK_STREAM \
                    and sock.getsockname() == path:
                sock.shutdown(socket.SHUT_RDWR)
        return result


class ServerRemovesItsFileAtOnce(ReferenceAdapter):
    """serve.start kind unix unlinks its socket file right after binding: it "cleans up" early,
    and nobody new can find the server."""
    def op_serve_start(self, args):
        result = super().op_serve_start(args)
        path = _path_of(args)
        if args.get("kind", str) == "unix" and path:
            os.unlink(path)
        return result


# -- connections ----------------------------------------------------------------------------

class UnixSendDropsLastByte(ReferenceAdapter):
    """stream.send on a Unix socket drops the last byte of what it was given."""
    def op_stream_send(self, args):
        sock, data = self._socket(args), args.data()
        if _unix(sock) and len(data) > 1:
            result = super().op_stream_send(args.changed(data=encode_bytes(data[:-1])))
            return {"sent": result["sent"] + 1 if result["sent"] == len(data) - 1 else result["sent"]}
        return super().op_stream_send(args)


class AcceptedSendDropsByte(UnixSendDropsLastByte):
    """stream.send on an accepted Unix socket drops the last byte."""
    def __init__(self):
        super().__init__()
        self._accepted = set()

    def op_unix_accept(self, args):
        result = super().op_unix_accept(args)
        self._accepted.add(result["handle"])
        return result

    def op_stream_send(self, args):
        if args.get("handle", int) in self._accepted:
            return super().op_stream_send(args)
        return ReferenceAdapter.op_stream_send(self, args)


class SecondPairEndSendDrops(UnixSendDropsLastByte):
    """stream.send on the second end of a socketpair drops the last byte."""
    def __init__(self):
        super().__init__()
        self._second = set()

    def op_unix_socketpair(self, args):
        result = super().op_unix_socketpair(args)
        self._second.add(result["handles"][1])
        return result

    def op_stream_send(self, args):
        if args.get("handle", int) in self._second:
            return super().op_stream_send(args)
        return ReferenceAdapter.op_stream_send(self, args)


class UnixRecvDropsFirstByte(ReferenceAdapter):
    """stream.recv on a Unix socket loses the first byte of a connection."""
    def __init__(self):
        super().__init__()
        self._started = set()

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        handle = args.get("handle", int)
        if _unix(self._socket(args)) and handle not in self._started and result["data"]:
            self._started.add(handle)
            return {"data": encode_bytes(decode_bytes(result["data"])[1:])} if len(decode_bytes(result["data"])) > 1 \
                else super().op_stream_recv(args)
        return result


class UnixEofOnlyOnce(ReferenceAdapter):
    """After end of stream on a Unix socket, receives fail with ENOTCONN."""
    def __init__(self):
        super().__init__()
        self._ended = set()

    def op_stream_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._ended:
            raise OpError("ENOTCONN", "recv: ended")
        result = super().op_stream_recv(args)
        if result["data"] == "" and _unix(self._socket(args)):
            self._ended.add(handle)
        return result


class UnixEofIsReset(ReferenceAdapter):
    """End of stream on a Unix socket is reported as ECONNRESET."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "" and _unix(self._socket(args)):
            raise OpError("ECONNRESET", "recv: peer gone")
        return result


class UnixShutdownWriteIgnored(ReferenceAdapter):
    """shutdown(SHUT_WR) of a Unix socket does nothing."""
    def op_stream_shutdown(self, args):
        if _unix(self._socket(args)) and args.get("how", str) == "write":
            return {}
        return super().op_stream_shutdown(args)


class UnixShutdownWriteClosesBoth(ReferenceAdapter):
    """shutdown(SHUT_WR) of a Unix socket shuts down both directions."""
    def op_stream_shutdown(self, args):
        if _unix(self._socket(args)) and args.get("how", str) == "write":
            args = args.changed(how="both")
        return super().op_stream_shutdown(args)


class ListenerCloseDrainsBacklog(ReferenceAdapter):
    """Closing a Unix listener first accepts and closes (in order) every pending connection."""
    def op_close(self, args):
        sock = self._socket(args)
        if _unix(sock) and _is_listener(sock):
            while True:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    break
                conn.close()
        return super().op_close(args)


class ConnectInProgress(ReferenceAdapter):
    """unix.connect with timeout 0 on a full backlog answers EINPROGRESS (TCP's answer)."""
    def op_unix_connect(self, args):
        try:
            return super().op_unix_connect(args)
        except OpError as exc:
            raise OpError("EINPROGRESS", "connect: in progress") if exc.code == "EAGAIN" else exc from None


class BacklogIgnored(ReferenceAdapter):
    """unix.listen ignores the backlog asked for and uses 8."""
    def op_unix_listen(self, args):
        return super().op_unix_listen(args.changed(backlog=8))


class TimedConnectDoesNotWait(ReferenceAdapter):
    """A timed unix.connect to a full backlog answers EAGAIN at once instead of waiting."""
    def op_unix_connect(self, args):
        return super().op_unix_connect(args.changed(timeout=0))


class _RemembersTimeouts(ReferenceAdapter):
    """After an operation to an address timed out, later ones to it answer EAGAIN untried."""
    def __init__(self):
        super().__init__()
        self._full = set()

    def _remembering(self, operation, args, refusal: str):
        path = _path_of(args)
        if path in self._full:
            raise OpError("EAGAIN", refusal)
        try:
            return operation(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                self._full.add(path)
            raise


class RemembersFullBacklog(_RemembersTimeouts):
    """Once a connect to a path timed out, later connects to it answer EAGAIN without trying."""
    def op_unix_connect(self, args):
        return self._remembering(super().op_unix_connect, args, "connect: backlog was full")


class PeercredPidZero(ReferenceAdapter):
    """unix.peercred answers pid 0."""
    def op_unix_peercred(self, args):
        return {**super().op_unix_peercred(args), "pid": 0}


class TruncatedFlagLost(ReferenceAdapter):
    """unix.recvfrom never reports truncation."""
    def op_unix_recvfrom(self, args):
        return {**super().op_unix_recvfrom(args), "truncated": False}


class TruncationKeepsRest(ReferenceAdapter):
    """A truncated message's rest is returned by the next receive instead of discarded."""
    def __init__(self):
        super().__init__()
        self._rest = {}

    def op_unix_recvfrom(self, args):
        handle = args.get("handle", int)
        if self._rest.get(handle):
            result = self._rest.pop(handle)
            return result
        size = args.get("max", int)
        result = super().op_unix_recvfrom(args.changed(max=size + 65536))
        data = decode_bytes(result["data"])
        if len(data) > size:
            self._rest[handle] = {**result, "data": encode_bytes(data[size:]), "truncated": False}
            return {**result, "data": encode_bytes(data[:size]), "truncated": True}
        return result


class UnixRecvfromDropsFirstByte(ReferenceAdapter):
    """unix.recvfrom drops the first byte of every message longer than one byte."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        data = decode_bytes(result["data"])
        return {**result, "data": encode_bytes(data[1:])} if len(data) > 1 else result


class UnixRecvfromEofIsReset(ReferenceAdapter):
    """unix.recvfrom reports end of stream as ECONNRESET."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        sock = self._socket(args)
        if result["data"] == "" and sock.type != socket.SOCK_DGRAM:
            raise OpError("ECONNRESET", "recvmsg: peer gone")
        return result


class UnixSendtoHides(ReferenceAdapter):
    """unix.sendto claims success where it failed with one of CODES."""
    CODES: tuple[str, ...] = ()

    def op_unix_sendto(self, args):
        try:
            return super().op_unix_sendto(args)
        except OpError as exc:
            if exc.code in self.CODES:
                return {"sent": len(args.data())}
            raise


class UnixSendtoHidesBrokenPipe(UnixSendtoHides):
    """unix.sendto claims success where it failed with EPIPE."""
    CODES = ("EPIPE",)


class HidesRefused(UnixSendtoHides):
    """unix.sendto claims success where it was refused (ECONNREFUSED)."""
    CODES = ("ECONNREFUSED",)


class HidesEperm(UnixSendtoHides):
    """unix.sendto claims success where it was not permitted (EPERM)."""
    CODES = ("EPERM",)


class HidesNotConnected(UnixSendtoHides):
    """unix.sendto without an address on an unconnected socket claims success."""
    CODES = ("ENOTCONN", "EDESTADDRREQ")


class DropsWhenFull(UnixSendtoHides):
    """unix.sendto to a full receiver drops the datagram and claims success (UDP's way)."""
    CODES = ("EAGAIN",)


class MissingPathRefused(ReferenceAdapter):
    """unix.sendto to a missing path answers ECONNREFUSED."""
    def op_unix_sendto(self, args):
        try:
            return super().op_unix_sendto(args)
        except OpError as exc:
            raise OpError("ECONNREFUSED", "sendto: missing") if exc.code == "ENOENT" else exc from None


class NonblockingSendAlwaysEagain(ReferenceAdapter):
    """unix.sendto with timeout 0 always answers EAGAIN."""
    def op_unix_sendto(self, args):
        if args.timeout() == 0:
            self._socket(args)
            raise OpError("EAGAIN", "sendto: would block")
        return super().op_unix_sendto(args)


class TimedSendDoesNotWait(ReferenceAdapter):
    """A timed unix.sendto to a full receiver answers EAGAIN at once instead of waiting."""
    def op_unix_sendto(self, args):
        return super().op_unix_sendto(args.changed(timeout=0))


class RemembersFullReceiver(_RemembersTimeouts):
    """Once a send to an address timed out, later sends to it answer EAGAIN without trying."""
    def op_unix_sendto(self, args):
        return self._remembering(super().op_unix_sendto, args, "sendto: receiver was full")


class LosesEveryFifthDatagram(ReferenceAdapter):
    """unix.recvfrom on a datagram socket silently skips every fifth datagram."""
    def __init__(self):
        super().__init__()
        self._count = 0

    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        if self._socket(args).type == socket.SOCK_DGRAM:
            self._count += 1
            if self._count % 5 == 0:
                return super().op_unix_recvfrom(args)
        return result


class DropsEmptySends(ReferenceAdapter):
    """unix.sendto of zero bytes sends nothing and answers sent 0."""
    def op_unix_sendto(self, args):
        if not args.data():
            self._socket(args)
            return {"sent": 0}
        return super().op_unix_sendto(args)


class RecvfromPeerUnnamed(ReferenceAdapter):
    """unix.recvfrom always reports the sender as unnamed."""
    def op_unix_recvfrom(self, args):
        return {**super().op_unix_recvfrom(args), "peer": {"unnamed": True}}


class SplitsLargeDatagrams(ReferenceAdapter):
    """A datagram too large for the send buffer is cut to 64 KiB and sent anyway."""
    def op_unix_sendto(self, args):
        try:
            return super().op_unix_sendto(args)
        except OpError as exc:
            if exc.code == "EMSGSIZE":
                super().op_unix_sendto(args.changed(data=encode_bytes(args.data()[:65536])))
                return {"sent": len(args.data())}
            raise


class UdpSizeLimitOnUnix(ReferenceAdapter):
    """Unix datagrams above 65507 bytes (UDP's limit) are refused with EMSGSIZE."""
    def op_unix_sendto(self, args):
        if len(args.data()) > 65507:
            self._socket(args)
            raise OpError("EMSGSIZE", "sendto: too large")
        return super().op_unix_sendto(args)


class PrototypeAsRefused(ReferenceAdapter):
    """unix.connect to a socket of another type answers ECONNREFUSED."""
    def op_unix_connect(self, args):
        try:
            return super().op_unix_connect(args)
        except OpError as exc:
            raise OpError("ECONNREFUSED", "connect: refused") if exc.code == "EPROTOTYPE" else exc from None


class PeercredOwnProcess(ReferenceAdapter):
    """unix.peercred answers the target's own ids, as SO_PEERCRED read on the listener does
    (the ids recorded at listen()): right only when both ends are the same user."""
    def op_unix_peercred(self, args):
        self._socket(args)
        return {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid()}


# -- passing descriptors and credentials -------------------------------------------------------

class NoRightsReceived(ReferenceAdapter):
    """unix.recvfrom offers no room for descriptors, whatever maxfds says."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args.changed(maxfds=0))
        return {**result, "ctrunc": False}


class PassesTheChannelItself(ReferenceAdapter):
    """unix.sendto passes the sending socket's own descriptor instead of the handles given."""
    def op_unix_sendto(self, args):
        if args.get("fds", list, []):
            args = args.changed(fds=[args.get("handle", int)] * len(args.get("fds", list)))
        return super().op_unix_sendto(args)


class OnlyFirstDescriptorSent(ReferenceAdapter):
    """unix.sendto passes only the first of several descriptors."""
    def op_unix_sendto(self, args):
        fds = args.get("fds", list, [])
        return super().op_unix_sendto(args.changed(fds=fds[:1]) if fds else args)


class ReversesDescriptors(ReferenceAdapter):
    """Descriptors received are handed out in reverse order."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        return {**result, "fds": list(reversed(result["fds"]))}


class _AdoptedHandles(ReferenceAdapter):
    def __init__(self):
        super().__init__()
        self._adopted = set()

    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        self._adopted.update(result["fds"])
        return result


class ReceivedSocketsNeverReady(_AdoptedHandles):
    """udp.recvfrom on a received socket never sees data (never registered with the loop)."""
    def op_udp_recvfrom(self, args):
        if args.get("handle", int) in self._adopted:
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        return super().op_udp_recvfrom(args)


class AdoptedSendDropsByte(_AdoptedHandles):
    """stream.send on a received socket drops the last byte."""
    def op_stream_send(self, args):
        if args.get("handle", int) in self._adopted and len(args.data()) > 1:
            data = args.data()
            super().op_stream_send(args.changed(data=encode_bytes(data[:-1])))
            return {"sent": len(data)}
        return super().op_stream_send(args)


class AdoptedRecvDropsByte(_AdoptedHandles):
    """stream.recv on a received socket drops the first byte of what it reads."""
    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if args.get("handle", int) in self._adopted:
            data = decode_bytes(result["data"])
            return {"data": encode_bytes(data[1:])} if len(data) > 1 else result
        return result


class RoomForMoreThanMaxfds(ReferenceAdapter):
    """unix.recvfrom offers room for 16 descriptors, whatever maxfds says."""
    def op_unix_recvfrom(self, args):
        return super().op_unix_recvfrom(args.changed(maxfds=16))


class LeaksCutDescriptors(ReferenceAdapter):
    """unix.recvfrom takes every descriptor, hands out maxfds of them and keeps the rest open,
    reporting ctrunc as if the kernel had cut them."""
    def __init__(self):
        super().__init__()
        self._leaked = []

    def op_unix_recvfrom(self, args):
        maxfds = args.get("maxfds", int, 0)
        result = super().op_unix_recvfrom(args.changed(maxfds=16))
        kept, cut = result["fds"][:maxfds], result["fds"][maxfds:]
        self._leaked += [self._sockets.pop(handle) for handle in cut]
        return {**result, "fds": kept, "ctrunc": result["ctrunc"] or bool(cut)}

    def close_all(self):
        super().close_all()
        for sock in self._leaked:
            sock.close()
        self._leaked.clear()


class LeaksWhenNoRoom(LeaksCutDescriptors):
    """With maxfds 0, unix.recvfrom still takes the descriptors and keeps them open."""
    def op_unix_recvfrom(self, args):
        if args.get("maxfds", int, 0) == 0:
            return super().op_unix_recvfrom(args)
        return ReferenceAdapter.op_unix_recvfrom(self, args)


class ClosesReceivedDescriptors(ReferenceAdapter):
    """Descriptors received are closed at once (their handles still given out)."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        for handle in result["fds"]:
            self._sockets[handle].close()
        return result


class CloseKeepsReceivedDescriptors(_AdoptedHandles):
    """close() of a received socket keeps a copy of its descriptor open."""
    def __init__(self):
        super().__init__()
        self._kept = []

    def op_close(self, args):
        if args.get("handle", int) in self._adopted:
            self._kept.append(self._socket(args).dup())
        return super().op_close(args)

    def close_all(self):
        super().close_all()
        for sock in self._kept:
            sock.close()
        self._kept.clear()


class CtruncOnlyWithSome(ReferenceAdapter):
    """ctrunc is reported only when some descriptors came through."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        return {**result, "ctrunc": result["ctrunc"] and bool(result["fds"])}


class AlwaysPasscred(ReferenceAdapter):
    """Every Unix datagram socket gets SO_PASSCRED on at creation."""
    def op_unix_bind(self, args):
        result = super().op_unix_bind(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        return result


class PasscredReadsFalse(ReferenceAdapter):
    """opt.get passcred always answers false."""
    def op_opt_get(self, args):
        if args.get("name", str) == "passcred":
            self._socket(args)
            return {"value": False}
        return super().op_opt_get(args)


class CredsPidZero(ReferenceAdapter):
    """Credentials received are reported with pid 0."""
    def op_unix_recvfrom(self, args):
        result = super().op_unix_recvfrom(args)
        if "creds" in result:
            result["creds"] = {**result["creds"], "pid": 0}
        return result


PROOFS = {
    "UNIX-NAME-001": {
        "what stat reports at the path": BindMakesNoFile,
        "the address unix.listen reported": ListenReportsUnnamed,
        "the listener's own address (addr.local)": AddrLocalUnnamedOnUnix,
    },
    "UNIX-NAME-002": {
        "binding the path of a listening socket": ListenReplacesPath,
        "binding the path of a closed socket": ListenReplacesStalePath,
        "binding it after unix.unlink": UnlinkDoesNothing,
    },
    "UNIX-NAME-003": {"what stat reports at the path after close": CloseUnlinks},
    "UNIX-NAME-004": {
        "connect to the path of a closed socket": StaleConnectIsMissing,
        "connect to a path where nothing is": MissingIsRefused,
        "connect to a regular file": FileIsNotSocket,
    },
    "UNIX-NAME-005": {
        "binding a #-byte path": PathLimit100,
        "binding a #-byte path (no room for the NUL)": LongPathsMissing,
    },
    "UNIX-NAME-006": {
        "how the host lists the socket (/proc/net/unix)": AbstractAsPath,
        "the listener's own address (addr.local)": AddrLocalUnnamedOnUnix,
        "a connect to the name after the socket closed": CloseKeepsAbstractName,
        "binding the name again": AbstractRebindRefused,
    },
    "UNIX-NAME-007": {
        "binding the abstract name another socket holds": AbstractInUseSilently,
        "bytes sent on the connection to the name reach the holder": UnixSendDropsLastByte,
    },
    "UNIX-NAME-008": {
        "the autobound address": AutobindIsUnnamed,
        "addr.local against the address unix.bind reported": AddrLocalUnnamedOnUnix,
        "a datagram sent to the autobound name": UnixRecvfromDropsFirstByte,
    },
    "UNIX-NAME-009": {
        "the client's own address": AddrLocalIsPeer,
        "the client's peer": AddrPeerUnnamedOnUnix,
        "the accepted socket's own address": AddrLocalUnnamedOnUnix,
        "the accepted socket's peer": AddrPeerIsLocal,
    },
    "UNIX-NAME-010": {
        "the client's own address": ConnectIgnoresBind,
        "the accepted socket's peer": AddrPeerUnnamedOnUnix,
    },
    "UNIX-NAME-011": {
        "what stat reports at the path after unix.unlink": UnlinkDoesNothing,
        "the connection made before still carries data": UnlinkClosesConnections,
    },
    "UNIX-NAME-012": {
        "connect without write permission on the socket file (mode #)": BadAdapterProgram("stand-in", "unix.connect"),
        "connect without search permission on its directory": BadAdapterProgram("unsearchable-is-missing",
                                                                                "unix.connect"),
        "connect with write permission (mode #)": BadAdapterProgram("refuses", "unix.connect"),
    },
    "UNIX-NAME-013": {
        "unix.unlink of a path where nothing is": UnlinkMissingOk,
        "unix.unlink of an abstract name": UnlinkAbstractOk,
    },
    "UNIX-NAME-014": {
        "what stat reports at the server's path while it serves": ServerRemovesItsFileAtOnce,
        "what is at the server's path once it has stopped": BadEcho("keeps-file", "unix"),
    },
    "UNIX-STREAM-001": {
        "client to server: the bytes received": UnixSendDropsLastByte,
        "server to client: the bytes received": AcceptedSendDropsByte,
    },
    "UNIX-STREAM-002": {
        "data sent before the close": UnixRecvDropsFirstByte,
        "three receives after it": UnixEofOnlyOnce,
    },
    "UNIX-STREAM-003": {
        "the server receives the request": UnixRecvDropsFirstByte,
        "then end of stream": UnixShutdownWriteIgnored,
        "the half-closed client still receives": UnixShutdownWriteClosesBoth,
    },
    "UNIX-STREAM-004": {"the peer's receive": CloseDrainsFirst},
    "UNIX-STREAM-005": {
        "the peer's close is seen": UnixEofIsReset,
        "a send after the peer closed": HidesBrokenPipe,
    },
    "UNIX-STREAM-006": {"the not-yet-accepted client's receive": ListenerCloseDrainsBacklog},
    "UNIX-STREAM-007": {
        "the connect that finds the backlog full (timeout #)": ConnectInProgress,
        "connects admitted before it": BacklogIgnored,
        "a connect with a #.# s timeout while it is full": TimedConnectDoesNotWait,
        "a connect once one was accepted": RemembersFullBacklog,
    },
    "UNIX-STREAM-008": {"the peer credentials the target's end reports": PeercredPidZero},
    "UNIX-STREAM-017": {"the peer credentials the target's end reports": PeercredOwnProcess},
    "UNIX-STREAM-009": {"the peer's send after the read side was shut down": ShutdownReadIgnored},
    "UNIX-STREAM-010": {"three receives, one record each": UnixRecvfromDropsFirstByte},
    "UNIX-STREAM-011": {
        "a #-byte record read with room for # (data, truncated)": TruncatedFlagLost,
        "the next receive": TruncationKeepsRest,
    },
    "UNIX-STREAM-012": {
        "the record sent before the close": UnixRecvfromDropsFirstByte,
        "the next receive": UnixRecvfromEofIsReset,
        "a send to the closed peer": UnixSendtoHidesBrokenPipe,
    },
    "UNIX-STREAM-013": {
        "a to b": UnixSendDropsLastByte,
        "b to a": SecondPairEndSendDrops,
        "each end's own address and peer": UnnamedReportedAsEmptyAbstract,
        "b's receive after a closed": CloseIsNoop,
    },
    "UNIX-STREAM-014": {
        "three receives on b": UnixRecvfromDropsFirstByte,
        "a send on b after a closed": HidesRefused,
    },
    "UNIX-STREAM-015": {
        "three receives on b": UnixRecvfromDropsFirstByte,
        "b's receive after a closed": CloseIsNoop,
    },
    "UNIX-STREAM-016": {"the peer credentials of each end": PeercredPidZero},
    "UNIX-DGRAM-001": {"three receives, one datagram each": UnixRecvfromDropsFirstByte},
    "UNIX-DGRAM-002": {
        "the datagram's source": RecvfromPeerUnnamed,
        "the reply sent to that source": UnixRecvfromDropsFirstByte,
    },
    "UNIX-DGRAM-003": {"the source of a datagram from an unbound sender": UnnamedBindsAutobind},
    "UNIX-DGRAM-004": {
        "the send that finds the receiver full (timeout #)": DropsWhenFull,
        "datagrams accepted before it": NonblockingSendAlwaysEagain,
        "a send with a #.# s timeout while it is full": TimedSendDoesNotWait,
        "what the receiver then gets of the datagrams accepted": LosesEveryFifthDatagram,
        "a send once the receiver drained": RemembersFullReceiver,
    },
    "UNIX-DGRAM-005": {
        "a #-byte datagram read with room for # (data, truncated)": TruncatedFlagLost,
        "the next receive": TruncationKeepsRest,
    },
    "UNIX-DGRAM-006": {"three receives": DropsEmptySends},
    "UNIX-DGRAM-007": {
        "the connected socket's peer (addr.peer)": AddrPeerUnnamedOnUnix,
        "a stranger's send to the connected socket": HidesEperm,
        "what the connected socket receives (data, source)": RecvfromPeerUnnamed,
    },
    "UNIX-DGRAM-008": {
        "a send to the path of a closed socket": HidesRefused,
        "a send to a path where nothing is": MissingPathRefused,
    },
    "UNIX-DGRAM-009": {"a send after the peer closed": HidesRefused},
    "UNIX-DGRAM-010": {
        "a datagram as large as the send buffer (SO_SNDBUF read back)": SplitsLargeDatagrams,
        "a # KiB datagram, as received": UdpSizeLimitOnUnix,
    },
    "UNIX-DGRAM-013": {
        "the receiver's own address (addr.local)": AddrLocalUnnamedOnUnix,
        "the datagram sent to the abstract name": UnixRecvfromDropsFirstByte,
    },
    "UNIX-DGRAM-011": {"a send without an address on an unconnected socket": HidesNotConnected},
    "UNIX-DGRAM-012": {"a datagram socket's connect to a stream listener's path": PrototypeAsRefused},
    "UNIX-PASS-001": {
        "descriptors received": NoRightsReceived,
        "the new handle's own address": PassesTheChannelItself,
        "a datagram sent to its port, received on the new handle": ReceivedSocketsNeverReady,
    },
    "UNIX-PASS-002": {
        "descriptors received": OnlyFirstDescriptorSent,
        "the new handles' addresses, in order": ReversesDescriptors,
    },
    "UNIX-PASS-003": {
        "with room for one of two: (descriptors received, ctrunc)": RoomForMoreThanMaxfds,
        "the other end of the descriptor cut off": LeaksCutDescriptors,
        "the other end of the descriptor received": ClosesReceivedDescriptors,
        "the other end of the received one once the receiver closed it": CloseKeepsReceivedDescriptors,
        "with no room at all: (descriptors received, ctrunc)": CtruncOnlyWithSome,
        "the other end of a descriptor sent to no room": LeaksWhenNoRoom,
    },
    "UNIX-PASS-004": {
        "descriptors received": NoRightsReceived,
        "from the new handle to the other end": AdoptedSendDropsByte,
        "from the other end to the new handle": AdoptedRecvDropsByte,
    },
    "UNIX-PASS-005": {
        "credentials with SO_PASSCRED off": AlwaysPasscred,
        "passcred read back": PasscredReadsFalse,
        "the credentials received with SO_PASSCRED on": CredsPidZero,
    },
    "UNIX-PASS-006": {"the credentials received with the bytes": CredsPidZero},
}
