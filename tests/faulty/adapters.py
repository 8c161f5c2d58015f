"""Deliberately wrong targets: each breaks one socket behaviour the suite must catch.

Each is the reference with one operation bent the way real implementations go wrong
(a swapped address, a lost error, a buffer that never flushes). They are in-process
adapters, usable as ``--target python:tests.faulty.adapters:NAME``.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from reference_impl import icmp
from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes

from .protocol_faults import FAULT_FOR_PROTOCOL


def _unmapped(address: dict) -> dict:
    return {**address, "host": address["host"].removeprefix("::ffff:")}


def _is_listener(sock: socket.socket) -> bool:
    return sock.type == socket.SOCK_STREAM and bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


# -- stream: addresses --------------------------------------------------------------------

class AcceptSwapsAddresses(ReferenceAdapter):
    """accept() reports its local and peer addresses the wrong way round."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        return {**result, "local": result["peer"], "peer": result["local"]}


class PeerAddressIsLocal(ReferenceAdapter):
    """getpeername() answers with the socket's own address."""
    def op_addr_peer(self, args):
        return self.op_addr_local(args)


class BindIgnored(ReferenceAdapter):
    """connect() ignores the local address it was asked to bind."""
    def op_tcp_connect(self, args):
        return super().op_tcp_connect(args.changed(bind=None))


class UnmapsAddresses(ReferenceAdapter):
    """IPv4-mapped IPv6 addresses are reported as plain IPv4."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        return {**result, "local": _unmapped(result["local"]), "peer": _unmapped(result["peer"])}

    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        return {**result, "local": _unmapped(result["local"]), "peer": _unmapped(result["peer"])}


# -- stream: transfer ----------------------------------------------------------------------

class CorruptsLargeReceives(ReferenceAdapter):
    """Flips the first byte of every receive of more than 1000 bytes."""
    def op_stream_recv(self, args):
        data = decode_bytes(super().op_stream_recv(args)["data"])
        if len(data) > 1000:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return {"data": encode_bytes(data)}


class HalfDuplex(ReferenceAdapter):
    """Refuses to send while received data waits to be read."""
    def op_stream_send(self, args):
        readable, _, _ = select.select([self._socket(args)], [], [], 0)
        if readable:
            raise OpError("EAGAIN", "half duplex: unread data pending")
        return super().op_stream_send(args)


class DropsAfterOneMiB(ReferenceAdapter):
    """Reports every byte sent, but silently drops all after the first MiB."""
    def __init__(self):
        super().__init__()
        self._totals = {}

    def op_stream_send(self, args):
        handle, data = args.get("handle", int), args.data()
        total = self._totals.get(handle, 0)
        self._totals[handle] = total + len(data)
        if total >= 1 << 20:
            return {"sent": len(data)}
        return super().op_stream_send(args)


class FramesMessages(ReferenceAdapter):
    """A message transport posing as a stream: each send is framed, each receive returns one
    whole message (caught when it sits on both ends, and garbles data against any peer)."""
    def op_stream_send(self, args):
        data = args.data()
        framed = len(data).to_bytes(4, "big") + data
        self._send_all(args, framed)
        return {"sent": len(data)}

    def _send_all(self, args, framed):
        sock = self._socket(args)
        sock.setblocking(True)
        try:
            sock.sendall(framed)
        finally:
            sock.setblocking(False)

    def op_stream_recv(self, args):
        sock = self._socket(args)
        sock.setblocking(True)
        sock.settimeout(args.get("timeout", (int, float), 5.0) or 0.001)
        try:
            header = sock.recv(4, socket.MSG_WAITALL)
            if len(header) < 4:
                return {"data": ""}
            size = int.from_bytes(header, "big")
            return {"data": encode_bytes(sock.recv(size, socket.MSG_WAITALL) if size else b"")}
        except TimeoutError:
            raise OpError("ETIMEDOUT", "recv: timed out") from None
        finally:
            sock.setblocking(False)


class RecvIgnoresMax(ReferenceAdapter):
    """Returns up to twice the bytes asked for."""
    def op_stream_recv(self, args):
        return super().op_stream_recv(args.changed(max=2 * args.get("max", int)))


class ZeroSendShutsDown(ReferenceAdapter):
    """A zero-length send shuts the write side down, so the peer sees end of stream."""
    def op_stream_send(self, args):
        if not args.data():
            self._socket(args).shutdown(socket.SHUT_WR)
            return {"sent": 0}
        return super().op_stream_send(args)


class HoldsSmallWrites(ReferenceAdapter):
    """Buffers writes under 32 bytes until the next send: a writer that never flushes."""
    def __init__(self):
        super().__init__()
        self._held = {}

    def op_stream_send(self, args):
        handle, data = args.get("handle", int), args.data()
        pending = self._held.pop(handle, b"") + data
        if len(pending) < 32:
            self._held[handle] = pending
            return {"sent": len(data)}
        super().op_stream_send(args.changed(data=encode_bytes(pending)))
        return {"sent": len(data)}


class NeverBlocksSend(ReferenceAdapter):
    """When the socket is full, reports the bytes as sent anyway (and drops them)."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args.changed(timeout=0))
        except OpError as exc:
            if exc.code in ("ETIMEDOUT", "EAGAIN"):
                return {"sent": len(args.data())}
            raise


# -- stream: errors ------------------------------------------------------------------------

class RefusedAsTimeout(ReferenceAdapter):
    """A refused connect is reported as a timeout."""
    def op_tcp_connect(self, args):
        try:
            return super().op_tcp_connect(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                raise OpError("ETIMEDOUT", "connect: timed out") from None
            raise


class SendsWhenUnconnected(ReferenceAdapter):
    """send() on an unconnected socket claims success."""
    def op_stream_send(self, args):
        if not _connected(self._socket(args)):
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class UnconnectedRecvIsEOF(ReferenceAdapter):
    """recv() on an unconnected socket reports end of stream."""
    def op_stream_recv(self, args):
        if not _connected(self._socket(args)):
            return {"data": ""}
        return super().op_stream_recv(args)


class EmptyQueueIsEOF(ReferenceAdapter):
    """A non-blocking receive with nothing queued reports end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "EAGAIN":
                return {"data": ""}
            raise


class TimeoutIsEOF(ReferenceAdapter):
    """A receive that times out reports end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                return {"data": ""}
            raise


# -- stream: options -------------------------------------------------------------------------

class _IgnoresOption(ReferenceAdapter):
    ignored = ""

    def op_opt_set(self, args):
        if args.get("name", str) == self.ignored:
            return {}
        return super().op_opt_set(args)


class NodelayIgnored(_IgnoresOption):
    """Setting TCP_NODELAY does nothing."""
    ignored = "nodelay"


class RcvbufIgnored(_IgnoresOption):
    """Setting SO_RCVBUF does nothing."""
    ignored = "rcvbuf"


class SndbufIgnored(_IgnoresOption):
    """Setting SO_SNDBUF does nothing."""
    ignored = "sndbuf"


class KeepaliveOnByDefault(ReferenceAdapter):
    """Turns keep-alives on for every new connection."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return result

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._sockets[result["handle"]].setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return result


class TtlAlways64(ReferenceAdapter):
    """Reads the TTL back as 64 whatever was set."""
    def op_opt_get(self, args):
        return {"value": 64} if args.get("name", str) == "ttl" else super().op_opt_get(args)


class LingerReadsOff(ReferenceAdapter):
    """Reads SO_LINGER back as off whatever was set."""
    def op_opt_get(self, args):
        return {"value": None} if args.get("name", str) == "linger" else super().op_opt_get(args)


class V6onlyReadsFalse(ReferenceAdapter):
    """Reads IPV6_V6ONLY back as false whatever was set."""
    def op_opt_get(self, args):
        return {"value": False} if args.get("name", str) == "v6only" else super().op_opt_get(args)


class V6onlyIgnored(ReferenceAdapter):
    """Drops IPV6_V6ONLY from the options given at creation."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "v6only"})


# -- passive sockets ----------------------------------------------------------------------------

class ListenerRecvIsEOF(ReferenceAdapter):
    """recv() on a listening socket reports end of stream."""
    def op_stream_recv(self, args):
        if _is_listener(self._socket(args)):
            return {"data": ""}
        return super().op_stream_recv(args)


class ListenerSendClaimsSuccess(ReferenceAdapter):
    """send() on a listening socket claims success."""
    def op_stream_send(self, args):
        if _is_listener(self._socket(args)):
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class ListenerPeerIsLocal(ReferenceAdapter):
    """getpeername() on a listener answers with its own address."""
    def op_addr_peer(self, args):
        if _is_listener(self._socket(args)):
            return self.op_addr_local(args)
        return super().op_addr_peer(args)


class ListenReportsRequestedPort(ReferenceAdapter):
    """listen() reports the port it was asked for (0), not the one it got."""
    def op_tcp_listen(self, args):
        result = super().op_tcp_listen(args)
        return {**result, "local": {**result["local"], "port": args.get("port", int, 0)}}


class ListenReportsStalePort(ReferenceAdapter):
    """listen() on port 0 reports the first ephemeral port it ever got."""
    def __init__(self):
        super().__init__()
        self._first = None

    def op_tcp_listen(self, args):
        result = super().op_tcp_listen(args)
        self._first = self._first or result["local"]["port"]
        return {**result, "local": {**result["local"], "port": self._first}}


class ListenersShareSilently(ReferenceAdapter):
    """Every listener gets SO_REUSEPORT, asked for or not."""
    def op_tcp_listen(self, args):
        return super().op_tcp_listen(args.changed(options={**args.get("options", dict, {}), "reuseport": True}))


class ReuseaddrImpliesReuseport(ReferenceAdapter):
    """SO_REUSEADDR is implemented as SO_REUSEPORT, as on some platforms' wrappers."""
    def op_tcp_listen(self, args):
        options = dict(args.get("options", dict, {}))
        if options.get("reuseaddr"):
            options["reuseport"] = True
        return super().op_tcp_listen(args.changed(options=options))


class ReuseportIgnored(ReferenceAdapter):
    """Drops SO_REUSEPORT from the options given at creation."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "reuseport"})


class AcceptReportsStalePeer(ReferenceAdapter):
    """Every accept reports the peer of the first connection accepted."""
    def __init__(self):
        super().__init__()
        self._first_peer = None

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._first_peer = self._first_peer or result["peer"]
        return {**result, "peer": self._first_peer}


class CrossesConnections(ReferenceAdapter):
    """Every second accept hands out the previous connection's handle again."""
    def __init__(self):
        super().__init__()
        self._previous = None

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        previous, self._previous = self._previous, result["handle"]
        if previous is not None and result["handle"] % 2 == 0:
            return {**result, "handle": previous}
        return result


class AcceptDiscardsEarlyData(ReferenceAdapter):
    """accept() throws away data that arrived before it was called."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        try:
            self._sockets[result["handle"]].recv(1 << 16)
        except BlockingIOError:
            pass
        return result


class AcceptsNewestFirst(ReferenceAdapter):
    """Takes every pending connection and hands them out newest first (LIFO)."""
    def __init__(self):
        super().__init__()
        self._stack = {}

    def op_tcp_accept(self, args):
        handle = args.get("handle", int)
        stack = self._stack.setdefault(handle, [])
        while True:
            try:
                stack.append(super().op_tcp_accept(args.changed(timeout=0)))
            except OpError:
                break
        return stack.pop() if stack else super().op_tcp_accept(args)


class ClosingListenerClosesConnections(ReferenceAdapter):
    """Closing a listener also closes every connection accepted from it."""
    def __init__(self):
        super().__init__()
        self._children = {}

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._children.setdefault(args.get("handle", int), []).append(result["handle"])
        return result

    def op_close(self, args):
        for child in self._children.pop(args.get("handle", int), []):
            if child in self._sockets:
                self._sockets.pop(child).close()
        return super().op_close(args)


class CloseLeaksListener(ReferenceAdapter):
    """close() forgets a listener's handle but leaves the socket open."""
    def __init__(self):
        super().__init__()
        self._leaked = []

    def op_close(self, args):
        sock = self._socket(args)
        if _is_listener(sock):
            self._leaked.append(self._sockets.pop(args.get("handle", int)))
            return {}
        return super().op_close(args)

    def close_all(self):
        super().close_all()
        for sock in self._leaked:
            sock.close()
        self._leaked.clear()


class ClosingConnectionClosesListener(ReferenceAdapter):
    """Closing an accepted connection closes its listener too."""
    def __init__(self):
        super().__init__()
        self._parent = {}

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._parent[result["handle"]] = args.get("handle", int)
        return result

    def op_close(self, args):
        parent = self._parent.pop(args.get("handle", int), None)
        if parent in self._sockets:
            self._sockets.pop(parent).close()
        return super().op_close(args)


class ForeignBindFallsBack(ReferenceAdapter):
    """When the address is not local, listens on the loopback instead."""
    def op_tcp_listen(self, args):
        try:
            return super().op_tcp_listen(args)
        except OpError as exc:
            if exc.code != "EADDRNOTAVAIL":
                raise
            loopback = "::1" if args.get("family", str) == "ipv6" else "127.0.0.1"
            return super().op_tcp_listen(args.changed(host=loopback))


class AcceptNeverWaits(ReferenceAdapter):
    """accept() ignores its timeout and never waits."""
    def op_tcp_accept(self, args):
        return super().op_tcp_accept(args.changed(timeout=0))


class NonblockingAcceptWaits(ReferenceAdapter):
    """A non-blocking accept waits anyway (a little)."""
    def op_tcp_accept(self, args):
        if args.get("timeout", (int, float), 5.0) == 0:
            args = args.changed(timeout=0.05)
        return super().op_tcp_accept(args)



# -- datagrams ---------------------------------------------------------------------------------

def _datagram(result: dict, **changes) -> dict:
    return {**result, **changes}


class SplitsLargeDatagrams(ReferenceAdapter):
    """Never returns more than 8 KiB of a datagram, and does not say so."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args.changed(max=min(8192, args.get("max", int))))
        return _datagram(result, truncated=False)


class SendsOversizedPartly(ReferenceAdapter):
    """Cuts an oversized datagram down to the maximum instead of failing."""
    def op_udp_sendto(self, args):
        data = args.data()
        limit = 65507 if self._socket(args).family == socket.AF_INET else 65527
        if len(data) > limit:
            return super().op_udp_sendto(args.changed(data=encode_bytes(data[:limit])))
        return super().op_udp_sendto(args)


class HidesTruncation(ReferenceAdapter):
    """Never reports truncation."""
    def op_udp_recvfrom(self, args):
        return _datagram(super().op_udp_recvfrom(args), truncated=False)


class DropsEmptyDatagrams(ReferenceAdapter):
    """Treats a zero-length datagram as nothing to send."""
    def op_udp_sendto(self, args):
        if not args.data():
            return {"sent": 0}
        return super().op_udp_sendto(args)


class ReportsOwnAddressAsSender(ReferenceAdapter):
    """Reports the receiving socket's own address as each datagram's sender."""
    def op_udp_recvfrom(self, args):
        return _datagram(super().op_udp_recvfrom(args), peer=self.op_addr_local(args))


class RepliesToLastPeer(ReferenceAdapter):
    """Sends every datagram to the last peer heard from, whatever address it was given."""
    def __init__(self):
        super().__init__()
        self._last = {}

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        self._last[args.get("handle", int)] = result["peer"]
        return result

    def op_udp_sendto(self, args):
        last = self._last.get(args.get("handle", int))
        return super().op_udp_sendto(args.changed(**last) if last else args)


class ConnectDoesNotFilter(ReferenceAdapter):
    """udp.connect only remembers the peer as a default destination; everyone still gets in."""
    def __init__(self):
        super().__init__()
        self._peers = {}

    def op_udp_connect(self, args):
        self._peers[args.get("handle", int)] = {"host": args.get("host", str), "port": args.get("port", int)}
        return {"local": self.op_addr_local(args), "peer": self._peers[args.get("handle", int)]}

    def op_udp_sendto(self, args):
        peer = self._peers.get(args.get("handle", int))
        if peer and args.get("host", str, None) is None:
            args = args.changed(**peer)
        return super().op_udp_sendto(args)


class SwallowsAsyncErrors(ReferenceAdapter):
    """Hides ICMP-reported errors: a refused port just looks quiet."""
    def op_udp_recvfrom(self, args):
        try:
            return super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                raise OpError("ETIMEDOUT", "recvfrom: timed out") from None
            raise


class MergesDatagrams(ReferenceAdapter):
    """Returns every datagram already queued as one, like a stream would."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        data = decode_bytes(result["data"])
        while True:
            try:
                more = super().op_udp_recvfrom(args.changed(timeout=0))
            except OpError:
                break
            data += decode_bytes(more["data"])
        return _datagram(result, data=encode_bytes(data))


class Deduplicates(ReferenceAdapter):
    """Skips a datagram identical to the one before it from the same peer."""
    def __init__(self):
        super().__init__()
        self._previous = {}

    def op_udp_recvfrom(self, args):
        while True:
            result = super().op_udp_recvfrom(args)
            key = (args.get("handle", int), result["peer"]["host"], result["peer"]["port"])
            if self._previous.get(key) != result["data"]:
                self._previous[key] = result["data"]
                return result


class ReportsCongestion(ReferenceAdapter):
    """Fails every 50th large datagram with ENOBUFS, as a sender with its own flow control."""
    def __init__(self):
        super().__init__()
        self._large = 0

    def op_udp_sendto(self, args):
        if len(args.data()) >= 4096:
            self._large += 1
            if self._large % 50 == 0:
                raise OpError("ENOBUFS", "sendto: no buffer space")
        return super().op_udp_sendto(args)


class SendsNowhereSilently(ReferenceAdapter):
    """send() with no destination on an unconnected socket claims success."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is None and not _connected(self._socket(args)):
            return {"sent": len(args.data())}
        return super().op_udp_sendto(args)


# -- teardown ------------------------------------------------------------------------------------

class CloseAborts(ReferenceAdapter):
    """close() resets the connection (SO_LINGER 0) instead of closing it in order."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _connected(sock):
            return self.op_stream_abort(args)
        return super().op_close(args)


class EndOfStreamOnlyOnce(ReferenceAdapter):
    """After reporting end of stream once, receives fail with ENOTCONN."""
    def __init__(self):
        super().__init__()
        self._ended = set()

    def op_stream_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._ended:
            raise OpError("ENOTCONN", "recv: connection ended")
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(handle)
        return result


class ShutdownWriteClosesBoth(ReferenceAdapter):
    """shutdown of the write side shuts both sides."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "write":
            args = args.changed(how="both")
        return super().op_stream_shutdown(args)


class SendAfterShutdownPretends(ReferenceAdapter):
    """send() after shutdown(SHUT_WR) claims success."""
    def __init__(self):
        super().__init__()
        self._shut = set()

    def op_stream_shutdown(self, args):
        if args.get("how", str) in ("write", "both"):
            self._shut.add(args.get("handle", int))
        return super().op_stream_shutdown(args)

    def op_stream_send(self, args):
        if args.get("handle", int) in self._shut:
            return {"sent": len(args.data())}
        return super().op_stream_send(args)


class ShutdownReadIgnored(ReferenceAdapter):
    """shutdown(SHUT_RD) does nothing."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "read":
            self._socket(args)
            return {}
        return super().op_stream_shutdown(args)


class AbortIsGraceful(ReferenceAdapter):
    """stream.abort closes in order (FIN) instead of resetting."""
    def op_stream_abort(self, args):
        return self.op_close(args)


class CloseDrainsFirst(ReferenceAdapter):
    """close() reads and discards unread data first, so the peer sees FIN, not RST."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM:
            try:
                while sock.recv(1 << 16):
                    pass
            except OSError:
                pass
        return super().op_close(args)


class HidesBrokenPipe(ReferenceAdapter):
    """A send to a peer that is gone claims success."""
    def op_stream_send(self, args):
        try:
            return super().op_stream_send(args)
        except OpError as exc:
            if exc.code in ("EPIPE", "ECONNRESET"):
                return {"sent": len(args.data())}
            raise


class CloseIsNoop(ReferenceAdapter):
    """close() answers ok and does nothing: the socket stays open and usable."""
    def op_close(self, args):
        self._socket(args)
        return {}


class ReuseaddrIgnored(ReferenceAdapter):
    """Drops SO_REUSEADDR from the options given at creation."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "reuseaddr"})

class ShutdownBothWritesOnly(ReferenceAdapter):
    """shutdown(SHUT_RDWR) shuts down the write side only."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "both":
            args = args.changed(how="write")
        return super().op_stream_shutdown(args)


class ShutdownUnconnectedSilently(ReferenceAdapter):
    """shutdown() on an unconnected socket claims success."""
    def op_stream_shutdown(self, args):
        if not _connected(self._socket(args)):
            return {}
        return super().op_stream_shutdown(args)


class LingerMeansAbort(ReferenceAdapter):
    """Closing a socket with SO_LINGER set resets the connection."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and self.op_opt_get(args.changed(name="linger"))["value"]:
            return self.op_stream_abort(args)
        return super().op_close(args)


class ConnectedSendNeedsAddress(ReferenceAdapter):
    """A connected datagram socket still wants an address on every send."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is None:
            raise OpError("EDESTADDRREQ", "send: destination address required")
        return super().op_udp_sendto(args)


class RedirectsToPeer(ReferenceAdapter):
    """On a connected datagram socket, sendto() ignores its address and sends to the peer."""
    def op_udp_sendto(self, args):
        if _connected(self._socket(args)):
            return super().op_udp_sendto(args.changed(host=None, port=None))
        return super().op_udp_sendto(args)


class DatagramPortsShared(ReferenceAdapter):
    """Every datagram socket is bound with SO_REUSEADDR and SO_REUSEPORT."""
    def op_udp_bind(self, args):
        options = {**args.get("options", dict, {}), "reuseaddr": True, "reuseport": True}
        return super().op_udp_bind(args.changed(options=options))


class BroadcastOnByDefault(ReferenceAdapter):
    """Datagram sockets start with SO_BROADCAST on."""
    def op_udp_bind(self, args):
        return super().op_udp_bind(args.changed(options={"broadcast": True, **args.get("options", dict, {})}))

class EndOfStreamAfterShutdownIsError(ReferenceAdapter):
    """Once its own write side is shut, a socket reports the peer's end of stream as ENOTCONN."""
    def __init__(self):
        super().__init__()
        self._shut = set()

    def op_stream_shutdown(self, args):
        self._shut.add(args.get("handle", int))
        return super().op_stream_shutdown(args)

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "" and args.get("handle", int) in self._shut:
            raise OpError("ENOTCONN", "recv: not connected")
        return result


# -- raw sockets and ICMP --------------------------------------------------------------------------

def _icmp_offset(data: bytes) -> int:
    return (data[0] & 0x0F) * 4 if data and data[0] >> 4 == 4 else 0


def _with_raw_data(result: dict, change) -> dict:
    return {**result, "data": encode_bytes(change(decode_bytes(result["data"])))}


class RewritesEchoIdentifier(ReferenceAdapter):
    """Replaces the identifier of every echo request it sends (checksum fixed up)."""
    def op_raw_send(self, args):
        data = bytearray(args.data())
        if data and data[0] in (icmp.ECHO_REQUEST, icmp.ECHO_REQUEST_V6):
            data[4:6] = bytes([data[4] ^ 0x5A, data[5]])
            data[2:4] = b"\0\0"
            if data[0] == icmp.ECHO_REQUEST:
                data[2:4] = icmp.internet_checksum(bytes(data)).to_bytes(2, "big")
        return super().op_raw_send(args.changed(data=encode_bytes(bytes(data))))


class CorruptsIcmpChecksum(ReferenceAdapter):
    """Delivers ICMP messages with their checksum damaged."""
    def op_raw_recv(self, args):
        def damage(data):
            at = _icmp_offset(data) + 2
            return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        return _with_raw_data(super().op_raw_recv(args), damage)


class TruncatesRawReceive(ReferenceAdapter):
    """Never delivers more than 1 KiB of a raw packet."""
    def op_raw_recv(self, args):
        return super().op_raw_recv(args.changed(max=min(1024, args.get("max", int, 65535))))


class FixesChecksums(ReferenceAdapter):
    """Recomputes the checksum of every ICMP message it sends, so a broken one goes out right."""
    def op_raw_send(self, args):
        data = bytearray(args.data())
        if data and data[0] == icmp.ECHO_REQUEST:
            data[2:4] = b"\0\0"
            data[2:4] = icmp.internet_checksum(bytes(data)).to_bytes(2, "big")
        return super().op_raw_send(args.changed(data=encode_bytes(bytes(data))))


class StripsIpHeader(ReferenceAdapter):
    """Delivers IPv4 raw packets without their IP header."""
    def op_raw_recv(self, args):
        return _with_raw_data(super().op_raw_recv(args), lambda data: data[_icmp_offset(data):])


class HidesUnreachables(ReferenceAdapter):
    """Filters destination-unreachable messages out of raw receives."""
    def op_raw_recv(self, args):
        while True:
            result = super().op_raw_recv(args)
            data = decode_bytes(result["data"])
            if data[_icmp_offset(data)] not in (icmp.DEST_UNREACHABLE, icmp.DEST_UNREACHABLE_V6):
                return result


class RawTtlIgnored(ReferenceAdapter):
    """Drops the ttl option when opening raw sockets."""
    def op_raw_open(self, args):
        options = {k: v for k, v in args.get("options", dict, {}).items() if k != "ttl"}
        return super().op_raw_open(args.changed(options=options))


class OnlyFirstRawSocketReceives(ReferenceAdapter):
    """Only the first raw socket opened ever receives anything."""
    def __init__(self):
        super().__init__()
        self._first = None

    def op_raw_open(self, args):
        result = super().op_raw_open(args)
        self._first = self._first or result["handle"]
        return result

    def op_raw_recv(self, args):
        if args.get("handle", int) != self._first:
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        return super().op_raw_recv(args)


class DuplicatesRawPackets(ReferenceAdapter):
    """Delivers every raw packet twice."""
    def __init__(self):
        super().__init__()
        self._again = {}

    def op_raw_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._again:
            return self._again.pop(handle)
        self._again[handle] = result = super().op_raw_recv(args)
        return result


class RawPeerUnknown(ReferenceAdapter):
    """Reports the wildcard address as every raw packet's sender."""
    def op_raw_recv(self, args):
        result = super().op_raw_recv(args)
        wildcard = "0.0.0.0" if self._socket(args).family == socket.AF_INET else "::"
        return {**result, "peer": {"host": wildcard, "port": 0}}


class CorruptsIpv4Header(ReferenceAdapter):
    """Damages the IPv4 header checksum of raw packets it delivers."""
    def op_raw_recv(self, args):
        def damage(data):
            return data[:10] + bytes([data[10] ^ 0xFF]) + data[11:] if data and data[0] >> 4 == 4 else data
        return _with_raw_data(super().op_raw_recv(args), damage)


class CutsOversizedIcmp(ReferenceAdapter):
    """Cuts an oversized ICMP message down instead of failing."""
    def op_raw_send(self, args):
        data = args.data()
        limit = 65515 if self._socket(args).family == socket.AF_INET else 65535
        return super().op_raw_send(args.changed(data=encode_bytes(data[:limit])))

@dataclass(frozen=True)
class BadEcho:
    """An echo-server program with one classic bug (tests/faulty/programs/bad_echo.py)."""
    mode: str
    protocol: str = "tcp"

    def target_spec(self) -> str:
        program = Path(__file__).resolve().parent / "programs" / "bad_echo.py"
        return (f"bad-{self.mode}={self.protocol}-echo:{sys.executable} {program} {self.mode} "
                "--host {host} --port {port}")


@dataclass(frozen=True)
class BadAdapterProgram:
    """The reference over stdio, misbehaving on one operation (programs/misbehaving_adapter.py)."""
    mode: str
    op: str

    def target_spec(self) -> str:
        program = Path(__file__).resolve().parent / "programs" / "misbehaving_adapter.py"
        return f"bad-{self.mode}=cmd:{sys.executable} {program} {self.mode} {self.op}"


@dataclass(frozen=True)
class BadPing:
    """A pinger with one bug (tests/faulty/programs/bad_ping.py)."""
    mode: str

    def target_spec(self) -> str:
        program = Path(__file__).resolve().parent / "programs" / "bad_ping.py"
        return f"bad-{self.mode}=ping:{sys.executable} {program} {self.mode} {{host}} {{count}}"


# Which fault proves which behaviour's check can fail; a behaviour whose scenarios also run
# against echo programs gets a faulty program as well.
FAULT_FOR_BEHAVIOUR = {
    **FAULT_FOR_PROTOCOL,
    "TCP-STREAM-001": AcceptSwapsAddresses,
    "TCP-STREAM-002": PeerAddressIsLocal,
    "TCP-STREAM-003": CorruptsLargeReceives,
    "TCP-STREAM-004": (HalfDuplex, BadEcho("framed")),
    "TCP-STREAM-005": (DropsAfterOneMiB, BadEcho("framed")),
    "TCP-STREAM-006": (FramesMessages, BadEcho("framed")),
    "TCP-STREAM-007": RecvIgnoresMax,
    "TCP-STREAM-008": ZeroSendShutsDown,
    "TCP-STREAM-009": RefusedAsTimeout,
    "TCP-STREAM-010": SendsWhenUnconnected,
    "TCP-STREAM-011": UnconnectedRecvIsEOF,
    "TCP-STREAM-012": EmptyQueueIsEOF,
    "TCP-STREAM-013": TimeoutIsEOF,
    "TCP-STREAM-014": NodelayIgnored,
    "TCP-STREAM-015": KeepaliveOnByDefault,
    "TCP-STREAM-016": RcvbufIgnored,
    "TCP-STREAM-017": SndbufIgnored,
    "TCP-STREAM-018": TtlAlways64,
    "TCP-STREAM-019": LingerReadsOff,
    "TCP-STREAM-020": HoldsSmallWrites,
    "TCP-STREAM-021": BindIgnored,
    "TCP-STREAM-022": NeverBlocksSend,
    "TCP-PASSIVE-001": ListenerRecvIsEOF,
    "TCP-PASSIVE-002": ListenerSendClaimsSuccess,
    "TCP-PASSIVE-003": ListenerPeerIsLocal,
    "TCP-PASSIVE-004": ListenReportsRequestedPort,
    "TCP-PASSIVE-005": ListenReportsStalePort,
    "TCP-PASSIVE-006": ListenersShareSilently,
    "TCP-PASSIVE-007": ReuseaddrImpliesReuseport,
    "TCP-PASSIVE-008": ReuseportIgnored,
    "TCP-PASSIVE-009": ListenersShareSilently,
    "TCP-PASSIVE-010": AcceptSwapsAddresses,
    "TCP-PASSIVE-011": AcceptReportsStalePeer,
    "TCP-PASSIVE-012": CrossesConnections,
    "TCP-PASSIVE-013": AcceptDiscardsEarlyData,
    "TCP-PASSIVE-014": AcceptsNewestFirst,
    "TCP-PASSIVE-015": ClosingListenerClosesConnections,
    "TCP-PASSIVE-016": CloseLeaksListener,
    "TCP-PASSIVE-017": ForeignBindFallsBack,
    "TCP-PASSIVE-018": AcceptNeverWaits,
    "TCP-PASSIVE-019": NonblockingAcceptWaits,
    "TCP-PASSIVE-020": UnmapsAddresses,
    "TCP-PASSIVE-021": V6onlyIgnored,
    "TCP-PASSIVE-022": V6onlyIgnored,
    "TCP-PASSIVE-023": UnmapsAddresses,
    "TCP-PASSIVE-024": V6onlyReadsFalse,
    "TCP-PASSIVE-025": ClosingConnectionClosesListener,
    "UDP-DGRAM-001": SplitsLargeDatagrams,
    "UDP-DGRAM-002": SendsOversizedPartly,
    "UDP-DGRAM-003": HidesTruncation,
    "UDP-DGRAM-004": DropsEmptyDatagrams,
    "UDP-DGRAM-005": ReportsOwnAddressAsSender,
    "UDP-DGRAM-006": RepliesToLastPeer,
    "UDP-DGRAM-007": ConnectDoesNotFilter,
    "UDP-DGRAM-008": SwallowsAsyncErrors,
    "UDP-DGRAM-009": MergesDatagrams,
    "UDP-DGRAM-010": Deduplicates,
    "UDP-DGRAM-011": ReportsCongestion,
    "UDP-DGRAM-012": SendsNowhereSilently,
    "TCP-TEARDOWN-001": CloseAborts,
    "TCP-TEARDOWN-002": EndOfStreamOnlyOnce,
    "TCP-TEARDOWN-003": ShutdownWriteClosesBoth,
    "TCP-TEARDOWN-004": SendAfterShutdownPretends,
    "TCP-TEARDOWN-005": ShutdownReadIgnored,
    "TCP-TEARDOWN-006": AbortIsGraceful,
    "TCP-TEARDOWN-007": CloseDrainsFirst,
    "TCP-TEARDOWN-008": HidesBrokenPipe,
    "TCP-TEARDOWN-009": CloseIsNoop,
    "TCP-TEARDOWN-010": CloseAborts,
    "TCP-TEARDOWN-011": ReuseaddrIgnored,
    "TCP-TEARDOWN-012": CloseIsNoop,
    "TCP-SESSION-001": BadEcho("crosstalk"),
    "TCP-SESSION-002": BadEcho("crosstalk"),
    "TCP-SESSION-003": BadEcho("crosstalk"),
    "TCP-SESSION-004": BadEcho("blocking"),
    "TCP-SESSION-005": BadEcho("drops-tail"),
    "TCP-SESSION-006": BadEcho("fragile"),
    "TCP-SESSION-007": BadEcho("one-shot"),
    "TCP-SESSION-008": BadEcho("leaks"),
    "TCP-SESSION-009": BadEcho("stale"),
    "TCP-SESSION-010": BadEcho("drops-tail"),
    "UDP-DGRAM-013": BadEcho("wrong-source", "udp"),
    "UDP-DGRAM-014": BadEcho("truncates", "udp"),
    "UDP-DGRAM-015": BadEcho("udp-crosstalk", "udp"),
    "TCP-TEARDOWN-013": ShutdownBothWritesOnly,
    "TCP-TEARDOWN-014": HidesBrokenPipe,
    "TCP-TEARDOWN-015": ShutdownUnconnectedSilently,
    "TCP-TEARDOWN-016": LingerMeansAbort,
    "TCP-TEARDOWN-017": EndOfStreamAfterShutdownIsError,
    "TCP-TEARDOWN-018": CloseAborts,
    "TCP-TEARDOWN-019": AbortIsGraceful,
    "UDP-DGRAM-016": PeerAddressIsLocal,
    "UDP-DGRAM-017": ConnectedSendNeedsAddress,
    "UDP-DGRAM-018": RedirectsToPeer,
    "UDP-DGRAM-019": DatagramPortsShared,
    "UDP-DGRAM-020": BroadcastOnByDefault,
    "ICMP-ECHO-001": RewritesEchoIdentifier,
    "ICMP-ECHO-002": CorruptsIcmpChecksum,
    "ICMP-ECHO-003": TruncatesRawReceive,
    "ICMP-ECHO-004": FixesChecksums,
    "ICMP-ECHO-005": StripsIpHeader,
    "ICMP-ECHO-006": HidesUnreachables,
    "ICMP-ECHO-007": RawTtlIgnored,
    "ICMP-ECHO-008": OnlyFirstRawSocketReceives,
    "ICMP-ECHO-009": DuplicatesRawPackets,
    "ICMP-ECHO-010": RawPeerUnknown,
    "ICMP-ECHO-011": CorruptsIpv4Header,
    "ICMP-ECHO-012": CutsOversizedIcmp,
    "ICMP-ECHO-013": BadAdapterProgram("stand-in", "raw.open"),
    "ICMP-ECHO-014": BadAdapterProgram("claims-id", "raw.recv"),
    "ICMP-ECHO-015": BadAdapterProgram("shared-queue", "raw.open"),
    "ICMP-ECHO-016": BadAdapterProgram("ip-header", "raw.recv"),
    "ICMP-PING-001": BadPing("bad-checksum"),
    "ICMP-PING-002": BadPing("new-identifier"),
    "ICMP-PING-003": BadPing("skips"),
    "ICMP-PING-004": BadPing("one-extra"),
    "ICMP-PING-005": BadPing("exits-1"),
    "TCP-SESSION-011": BadEcho("exhausts"),
    "TCP-SESSION-012": BadEcho("sequential"),
}


# -- allowed variants: different from the reference, but within the rules --------------------

class PosixUnconnectedSend(ReferenceAdapter):
    """send() on an unconnected socket fails with POSIX's ENOTCONN instead of Linux's EPIPE."""
    def op_stream_send(self, args):
        if not _connected(self._socket(args)):
            raise OpError("ENOTCONN", "send: not connected")
        return super().op_stream_send(args)


# -- adapters that fail as programs, not as sockets ---------------------------------------------

class HangsOnAccept(ReferenceAdapter):
    """Never answers tcp.accept (an in-process target that hangs)."""
    def op_tcp_accept(self, args):
        threading.Event().wait()
