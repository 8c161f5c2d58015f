"""Faulty targets for more_corners behaviours (issue 13, phase 2): PROOFS maps each check to its fault.

TCP-CORNER-009..012 (pending connects closed or timed out, a full accept queue, SHUT_RD with
data queued), TCP-PASSIVE-026..029 (IPV6_V6ONLY on ::, SO_REUSEPORT spreading), UDP-STATE-007..009
(ICMP errors on datagram sockets) and UDP-DGRAM-029..031 (SO_REUSEPORT on datagram sockets, port 0)."""

from __future__ import annotations

import ctypes
import select
import socket
import struct
import time

from reference_impl.engine import ReferenceAdapter, numeric_sockaddr
from reference_impl.errors import OpError

from .corners import DatagramSenderIsLocal
from .datagram import ReportsRefusalAtSend
from .readiness import (
    ErrorOptionAlwaysNull,
    ErrorOptionSticky,
    PendingConnectAnswersEINPROGRESS,
    WaitAlwaysReady,
    WaitDropsErrorAndHangup,
    WaitIgnoresRead,
    WaitNeverFires,
)
from .stream import LocalAddressIsPeer

_SO_ATTACH_REUSEPORT_CBPF = 51
_IP_RECVERR, _IPV6_RECVERR = 11, 25


def _pending(sock: socket.socket) -> bool:
    """Whether a stream socket's connect is still in progress (SYN-SENT)."""
    try:
        sock.getpeername()
    except OSError:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 2  # TCP_SYN_SENT
    return False


class _Leaking(ReferenceAdapter):
    """A wrapper that sometimes forgets a socket without closing it (closed at reset)."""
    def __init__(self):
        super().__init__()
        self._leaked: list[socket.socket] = []

    def close_all(self):
        super().close_all()
        for sock in self._leaked:
            sock.close()
        self._leaked.clear()


# -- TCP-CORNER-009..012 -------------------------------------------------------------------------


class ClosePendingRefused(ReferenceAdapter):
    """close of a socket whose connect is pending answers EINPROGRESS (the wrapper waits for the
    connect to settle first) and keeps it."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _pending(sock):
            raise OpError("EINPROGRESS", "close: connect in progress")
        return super().op_close(args)


class ClosePendingDeferred(_Leaking):
    """close of a pending connect answers success but keeps the handle and its socket until the
    connect settles (a deferred close that never comes)."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _pending(sock):
            return {}
        return super().op_close(args)


class ClosePendingDetaches(_Leaking):
    """close of a pending connect forgets the handle but leaves the socket connecting."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _pending(sock):
            self._leaked.append(self._sockets.pop(args.get("handle", int)))
            return {}
        return super().op_close(args)


class ConnectTimeoutAsRefused(ReferenceAdapter):
    """A connect that timed out is reported as ECONNREFUSED."""
    def op_tcp_connect(self, args):
        try:
            return super().op_tcp_connect(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                raise OpError("ECONNREFUSED", "connect: refused") from None
            raise


class ConnectTimeoutLeaksSocket(_Leaking):
    """A connect that times out answers ETIMEDOUT but leaves its socket connecting (the wrapper's
    deadline gives up on the wait, not on the socket)."""
    def op_tcp_connect(self, args):
        if args.get("handle", int, None) is not None or args.get("pending", bool, False):
            return super().op_tcp_connect(args)
        family = socket.AF_INET6 if args.get("family", str) == "ipv6" else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(numeric_sockaddr(family, args.get("host", str), args.get("port", int)))
        if not select.select([], [sock], [], args.timeout())[1]:
            self._leaked.append(sock)
            raise OpError("ETIMEDOUT", "connect: timed out")
        sock.close()
        return super().op_tcp_connect(args)


class ShutdownReadDiscards(ReferenceAdapter):
    """After shutdown of the read side, receives answer end of stream at once: the wrapper drops
    what was queued (as runtimes that mark the stream ended do)."""
    def __init__(self):
        super().__init__()
        self._shut: set[int] = set()

    def op_stream_shutdown(self, args):
        result = super().op_stream_shutdown(args)
        if args.get("how", str) in ("read", "both"):
            self._shut.add(args.get("handle", int))
        return result

    def op_stream_recv(self, args):
        if args.get("handle", int) in self._shut:
            self._socket(args)
            return {"data": ""}
        return super().op_stream_recv(args)


class ShutdownReadIsBoth(ReferenceAdapter):
    """shutdown of the read side shuts down both directions."""
    def op_stream_shutdown(self, args):
        if args.get("how", str) == "read":
            return super().op_stream_shutdown(args.changed(how="both"))
        return super().op_stream_shutdown(args)


# -- TCP-PASSIVE-026..029 ----------------------------------------------------------------------


class V6onlyOptionDropped(ReferenceAdapter):
    """The v6only option given at creation is dropped (the system's default, dual-stack, stays)."""
    def _new_socket(self, family, kind, options):
        return super()._new_socket(family, kind, {k: v for k, v in options.items() if k != "v6only"})


class V6onlyForced(ReferenceAdapter):
    """Every IPv6 socket is made v6only whatever was asked (as some runtimes do for \"tcp6\")."""
    def _new_socket(self, family, kind, options):
        if family == socket.AF_INET6:
            options = {**options, "v6only": True}
        return super()._new_socket(family, kind, options)


class ReservesTheIPv4Port(_Leaking):
    """A v6only listener on :: also binds (without listening) an IPv4 socket on its port, to
    reserve it: IPv4 connects are still refused, but nobody else can take the IPv4 port."""
    def op_tcp_listen(self, args):
        result = super().op_tcp_listen(args)
        if args.get("host", str) == "::" and self._options(args).get("v6only"):
            reserve = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            reserve.bind(("0.0.0.0", result["local"]["port"]))
            self._leaked.append(reserve)
        return result


class UnmapsAcceptedPeer(ReferenceAdapter):
    """An accepted peer ::ffff:a.b.c.d is reported as plain a.b.c.d."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        host = result["peer"]["host"]
        if host.startswith("::ffff:"):
            result = {**result, "peer": {**result["peer"], "host": host.removeprefix("::ffff:")}}
        return result


class _Sharers(ReferenceAdapter):
    """Knows which of its sockets joined a port another of its SO_REUSEPORT sockets held."""
    def __init__(self):
        super().__init__()
        self._joined: set[int] = set()
        self._first: dict[tuple, socket.socket] = {}

    def _note(self, result, kind, args):
        if self._options(args).get("reuseport"):
            key = (kind, result["local"]["host"], result["local"]["port"])
            if key in self._first:
                self._joined.add(result["handle"])
            else:
                self._first[key] = self._sockets[result["handle"]]
                self._joined_first(self._first[key])
        return result

    def _joined_first(self, sock):
        pass

    def op_tcp_listen(self, args):
        return self._note(super().op_tcp_listen(args), "tcp", args)

    def op_udp_bind(self, args):
        return self._note(super().op_udp_bind(args), "udp", args)

    def op_reset(self, args):
        self._joined.clear()
        self._first.clear()
        return super().op_reset(args)


class JoinedListenerNeverAccepts(_Sharers):
    """accept on a listener that joined a port through SO_REUSEPORT waits out its timeout: the
    connections the kernel gave it are stranded."""
    def op_tcp_accept(self, args):
        if args.get("handle", int) in self._joined:
            self._socket(args)
            time.sleep(min(args.timeout(), 1.0))
            raise OpError("ETIMEDOUT", "accept: timed out")
        return super().op_tcp_accept(args)


class JoinedSocketNeverReceives(_Sharers):
    """recvfrom on a datagram socket that joined a port through SO_REUSEPORT waits out its timeout."""
    def op_udp_recvfrom(self, args):
        if args.get("handle", int) in self._joined:
            self._socket(args)
            time.sleep(min(args.timeout(), 1.0))
            raise OpError("ETIMEDOUT", "recvfrom: timed out")
        return super().op_udp_recvfrom(args)


class ReuseportPinnedToFirst(_Sharers):
    """The first SO_REUSEPORT socket of a port gets a reuseport BPF program that always picks
    socket 0 of the group (SO_ATTACH_REUSEPORT_CBPF): every connection or datagram goes to it."""
    def _joined_first(self, sock):
        program = (ctypes.c_uint8 * 8)(*struct.pack("HBBI", 0x06, 0, 0, 0))  # BPF_RET | BPF_K, 0
        self._programs = getattr(self, "_programs", []) + [program]
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_REUSEPORT_CBPF,
                        struct.pack("HxxxxxxQ", 1, ctypes.addressof(program)))


class CloseLeaksListener(_Leaking):
    """close() forgets a listener's handle but leaves the socket listening."""
    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            self._leaked.append(self._sockets.pop(args.get("handle", int)))
            return {}
        return super().op_close(args)


# -- UDP-DGRAM-029..031 --------------------------------------------------------------------------


class DatagramReuseaddrAlways(ReferenceAdapter):
    """Every datagram socket gets SO_REUSEADDR (a wrapper's default): on Linux two sockets that
    both have it share a port, SO_REUSEPORT or not."""
    def _new_socket(self, family, kind, options):
        if kind == socket.SOCK_DGRAM:
            options = {**options, "reuseaddr": True}
        return super()._new_socket(family, kind, options)


class DatagramReuseportIgnored(ReferenceAdapter):
    """SO_REUSEPORT given at creation of a datagram socket is dropped."""
    def _new_socket(self, family, kind, options):
        if kind == socket.SOCK_DGRAM:
            options = {k: v for k, v in options.items() if k != "reuseport"}
        return super()._new_socket(family, kind, options)


class ReuseportInherited(_Sharers):
    """Once a port is shared through SO_REUSEPORT, the wrapper sets it on every later socket it
    binds to that port."""
    def op_udp_bind(self, args):
        port = args.get("port", int, 0)
        if port and any(key[0] == "udp" and key[2] == port for key in self._first):
            args = args.changed(options={**self._options(args), "reuseport": True})
        return super().op_udp_bind(args)


class PortZeroSentNowhere(ReferenceAdapter):
    """A datagram to port 0 is reported sent (the wrapper drops it)."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is not None and args.get("port", int) == 0:
            self._socket(args)
            return {"sent": len(args.data())}
        return super().op_udp_sendto(args)


# -- UDP-STATE-007..009 --------------------------------------------------------------------------


class SendRetriesAfterRefusal(ReferenceAdapter):
    """A send refused by an earlier ICMP error is tried again (the error swallowed)."""
    def op_udp_sendto(self, args):
        try:
            return super().op_udp_sendto(args)
        except OpError as exc:
            if exc.code != "ECONNREFUSED":
                raise
            return super().op_udp_sendto(args)


class RefusalSticky(ReferenceAdapter):
    """Once a send was refused, the wrapper refuses every later send on that socket."""
    def __init__(self):
        super().__init__()
        self._refused: set[int] = set()

    def op_udp_sendto(self, args):
        handle = args.get("handle", int)
        if handle in self._refused:
            raise OpError("ECONNREFUSED", "send: connection refused (remembered)")
        try:
            return super().op_udp_sendto(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                self._refused.add(handle)
            raise


class RecvErrEverywhere(ReferenceAdapter):
    """Every datagram socket has IP_RECVERR / IPV6_RECVERR set (unconnected sockets are then told
    of ICMP errors too)."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        if kind == socket.SOCK_DGRAM:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
            else:
                sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
        return sock


class SendtoReportsErrorsAtOnce(RecvErrEverywhere):
    """Every datagram socket has IP_RECVERR, and each send waits briefly for an ICMP error and
    reports it from the send itself (a wrapper after synchronous errors)."""
    def op_udp_sendto(self, args):
        result = super().op_udp_sendto(args)
        sock = self._socket(args)
        select.select([sock], [], [], 0.2)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            raise OpError("ECONNREFUSED", "send: connection refused")
        return result


class WaitErrorSticky(ReferenceAdapter):
    """wait keeps reporting "error" for a handle once it did (a readiness cache never cleared)."""
    def __init__(self):
        super().__init__()
        self._errored: set[int] = set()

    def op_wait(self, args):
        result = super().op_wait(args)
        handle = args.get("handle", int)
        if "error" in result["events"]:
            self._errored.add(handle)
        elif handle in self._errored:
            return {"events": [*result["events"], "error"]}
        return result


class ReconnectClearsError(ReferenceAdapter):
    """udp.connect reads SO_ERROR first (a wrapper checking the socket before it connects),
    which clears an error the old peer left pending."""
    def op_udp_connect(self, args):
        self._socket(args).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        return super().op_udp_connect(args)


class RefusalKeptForReceive(ReferenceAdapter):
    """The wrapper reads SO_ERROR (clearing it) but keeps the error and answers the next
    receive with it."""
    def __init__(self):
        super().__init__()
        self._kept: dict[int, str] = {}

    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        if args.get("name", str) == "error" and result["value"]:
            self._kept[args.get("handle", int)] = result["value"]
        return result

    def op_udp_recvfrom(self, args):
        kept = self._kept.pop(args.get("handle", int), None)
        if kept:
            raise OpError(kept, "recvfrom: error kept from SO_ERROR")
        return super().op_udp_recvfrom(args)


_ICMP_SHARED = {
    "the send to the closed port": ReportsRefusalAtSend,
    "readiness once the ICMP error came back": WaitDropsErrorAndHangup,
}

PROOFS: dict[str, dict] = {
    "TCP-CORNER-009": {
        "a connect started without waiting, the listener's queue full": PendingConnectAnswersEINPROGRESS,
        "closing it while it is pending": ClosePendingRefused,
        "a send on the closed handle": ClosePendingDeferred,
        "what the listener accepts next, within #.# s": ClosePendingDetaches,
    },
    "TCP-CORNER-010": {
        "a connect with a #.# s timeout, the listener's queue full": ConnectTimeoutAsRefused,
        "what the listener accepts next, within #.# s": ConnectTimeoutLeaksSocket,
    },
    "TCP-CORNER-011": {
        "a connect started without waiting, the listener's queue full": PendingConnectAnswersEINPROGRESS,
        "readiness to write while the queue is full": WaitAlwaysReady,
        "readiness to write once the listener made room, within # s": WaitNeverFires,
        "the connection the listener accepts next, and the connected socket's own address": LocalAddressIsPeer,
    },
    "TCP-CORNER-012": {
        "readiness once the peer's bytes are queued": WaitIgnoresRead,
        "what receives return after shutdown(SHUT_RD)": ShutdownReadDiscards,
        "the peer's send after the shutdown, then what the peer receives from the shut-down side": ShutdownReadIsBoth,
    },
    "TCP-PASSIVE-026": {
        "an IPv4 connect to #.#.#.# on its port": V6onlyOptionDropped,
        "an IPv4 listener on #.#.#.# on its port": ReservesTheIPv4Port,
    },
    "TCP-PASSIVE-027": {
        "an IPv4 listener on #.#.#.# on its port": V6onlyForced,
        "the accepted IPv4 client's address": UnmapsAcceptedPeer,
    },
    "TCP-PASSIVE-028": {
        "connections accepted in all": JoinedListenerNeverAccepts,
        "listeners that accepted at least one": ReuseportPinnedToFirst,
    },
    "TCP-PASSIVE-029": {"connections the remaining listener accepted": CloseLeaksListener},
    "UDP-DGRAM-029": {
        "the datagrams received in all": JoinedSocketNeverReceives,
        "sockets that received at least one": ReuseportPinnedToFirst,
    },
    "UDP-DGRAM-030": {
        "a SO_REUSEPORT socket joining a port held without it": DatagramReuseaddrAlways,
        "a second SO_REUSEPORT socket on a port shared that way": DatagramReuseportIgnored,
        "a socket without SO_REUSEPORT joining them": ReuseportInherited,
    },
    "UDP-DGRAM-031": {"a datagram to port #": PortZeroSentNowhere},
    "UDP-STATE-007": {
        **_ICMP_SHARED,
        "the next send": SendRetriesAfterRefusal,
        "the send after it": RefusalSticky,
    },
    "UDP-STATE-008": {
        "the send to a closed port": SendtoReportsErrorsAtOnce,
        "the send to a live peer after it": RecvErrEverywhere,
        "readiness once the peer replied": WaitIgnoresRead,
        "the next receive": DatagramSenderIsLocal,
    },
    "UDP-STATE-009": {
        **_ICMP_SHARED,
        "SO_ERROR": ErrorOptionAlwaysNull,
        "SO_ERROR read again": ErrorOptionSticky,
        "readiness after SO_ERROR was read": WaitErrorSticky,
        "a receive after it": RefusalKeptForReceive,
    },
    "UDP-STATE-010": {
        **_ICMP_SHARED,
        "readiness after connecting to a live peer": ReconnectClearsError,
        "the first send after reconnecting": SendRetriesAfterRefusal,
        "the send after it, and what the new peer receives": RefusalSticky,
    },
}
