"""Faulty targets of the error queue (UDP-ERRQ-*), the non-blocking mode (NONBLOCK-*) and the
ICMPv6 hop limit on the wire (ICMP-ECHO-017)."""

from __future__ import annotations

import os
import socket
import time

from reference_impl import errqueue
from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError

from .icmp import RawTtlIgnored
from .readiness import WaitDropsErrorAndHangup, WaitRemembersReadiness

# -- recverr ----------------------------------------------------------------------------------


class RecverrOnByDefault(ReferenceAdapter):
    """Every datagram socket is made with recverr on (a library that always wants the queue)."""
    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        errqueue.set_option(self._sockets[result["handle"]], "recverr", True)
        return result


class RecverrSetOnIgnored(ReferenceAdapter):
    """Setting recverr on answers ok and does nothing."""
    def op_opt_set(self, args):
        if args.get("name", str) == "recverr" and args.get("value", bool) is True:
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class RecverrSetOffIgnored(ReferenceAdapter):
    """Setting recverr off answers ok and does nothing: once on, it stays on."""
    def op_opt_set(self, args):
        if args.get("name", str) == "recverr" and args.get("value", bool) is False:
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class RecverrOffKeepsQueue(ReferenceAdapter):
    """Before setting recverr off, the entries queued are read into the adapter's own backlog,
    which udp.errqueue answers first: switching the option off loses nothing."""
    def __init__(self):
        super().__init__()
        self._backlog: dict[int, list[dict]] = {}

    def op_opt_set(self, args):
        if args.get("name", str) == "recverr" and args.get("value", bool) is False:
            sock = self._socket(args)
            kept = self._backlog.setdefault(args.get("handle", int), [])
            while True:
                try:
                    kept.append(errqueue.read_entry(sock))
                except OpError:
                    break
        return super().op_opt_set(args)

    def op_udp_errqueue(self, args):
        kept = self._backlog.get(args.get("handle", int))
        if kept:
            return kept.pop(0)
        return super().op_udp_errqueue(args)


# -- reading the error queue ------------------------------------------------------------------


class ErrqueueDropsPayload(ReferenceAdapter):
    """udp.errqueue answers the entry without the datagram's payload."""
    def op_udp_errqueue(self, args):
        return {**super().op_udp_errqueue(args), "data": ""}


class ErrqueuePayloadOfFirstOnly(ReferenceAdapter):
    """Only a socket's first entry carries its payload (a buffer filled once, then reused empty)."""
    def __init__(self):
        super().__init__()
        self._read: set[int] = set()

    def op_udp_errqueue(self, args):
        result = super().op_udp_errqueue(args)
        handle = args.get("handle", int)
        if handle in self._read:
            result = {**result, "data": ""}
        self._read.add(handle)
        return result


class ErrqueueWaitsWhenEmpty(ReferenceAdapter):
    """udp.errqueue waits for an entry instead of answering EAGAIN at once, and then times out."""
    def op_udp_errqueue(self, args):
        sock = self._socket(args)
        deadline = time.monotonic() + 0.3
        while True:
            try:
                return errqueue.read_entry(sock)
            except OpError as exc:
                if exc.code != "EAGAIN" or time.monotonic() > deadline:
                    raise OpError("ETIMEDOUT", "errqueue: timed out") if exc.code == "EAGAIN" else exc from None
            time.sleep(0.01)


class ErrqueueRepeatsLastEntry(ReferenceAdapter):
    """An empty queue answers the last entry read again (a cached entry never cleared)."""
    def __init__(self):
        super().__init__()
        self._last: dict[int, dict] = {}

    def op_udp_errqueue(self, args):
        handle = args.get("handle", int)
        try:
            self._last[handle] = super().op_udp_errqueue(args)
        except OpError as exc:
            if exc.code != "EAGAIN" or handle not in self._last:
                raise
        return self._last[handle]


class ErrqueueNewestFirst(ReferenceAdapter):
    """udp.errqueue drains the queue and answers the newest entry first (a stack, not a queue)."""
    def __init__(self):
        super().__init__()
        self._stack: dict[int, list[dict]] = {}

    def op_udp_errqueue(self, args):
        sock, stack = self._socket(args), self._stack.setdefault(args.get("handle", int), [])
        while True:
            try:
                stack.append(errqueue.read_entry(sock))
            except OpError:
                break
        if not stack:
            raise OpError("EAGAIN", "errqueue: empty")
        return stack.pop()


class ErrqueueDrainsAll(ReferenceAdapter):
    """udp.errqueue reads every entry queued and answers the first: the rest are lost."""
    def op_udp_errqueue(self, args):
        result = super().op_udp_errqueue(args)
        sock = self._socket(args)
        while True:
            try:
                errqueue.read_entry(sock)
            except OpError:
                return result


# -- receives that see the error -------------------------------------------------------------


class RecvfromHidesRefused(ReferenceAdapter):
    """A receive that meets ECONNREFUSED ignores it and goes on waiting (until its timeout)."""
    def op_udp_recvfrom(self, args):
        deadline = time.monotonic() + args.timeout()
        while True:
            try:
                return super().op_udp_recvfrom(args.changed(timeout=max(0.0, deadline - time.monotonic())))
            except OpError as exc:
                if exc.code != "ECONNREFUSED":
                    raise
                if time.monotonic() >= deadline:
                    raise OpError("ETIMEDOUT", "recvfrom: timed out") from None


class RecvfromReportsRefusedOnce(RecvfromHidesRefused):
    """Only a socket's first ECONNREFUSED is reported; later ones are ignored as above."""
    def __init__(self):
        super().__init__()
        self._told: set[int] = set()

    def op_udp_recvfrom(self, args):
        handle = args.get("handle", int)
        if handle in self._told:
            return super().op_udp_recvfrom(args)
        try:
            return ReferenceAdapter.op_udp_recvfrom(self, args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                self._told.add(handle)
            raise


class RecvfromDrainsErrqueue(ReferenceAdapter):
    """A receive that meets ECONNREFUSED also reads the error queue (to log it), emptying it."""
    def op_udp_recvfrom(self, args):
        try:
            return super().op_udp_recvfrom(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                sock = self._socket(args)
                while True:
                    try:
                        errqueue.read_entry(sock)
                    except OpError:
                        break
            raise


class RecvfromReportsLastEntry(ReferenceAdapter):
    """After an entry was read, the next receive answers that entry's error again (a cached
    errno the library reports once more)."""
    def __init__(self):
        super().__init__()
        self._cached: dict[int, str] = {}

    def op_udp_errqueue(self, args):
        result = super().op_udp_errqueue(args)
        self._cached[args.get("handle", int)] = result["errno"]
        return result

    def op_udp_recvfrom(self, args):
        cached = self._cached.pop(args.get("handle", int), None)
        if cached is not None:
            self._socket(args)
            raise OpError(cached, "recvfrom: the last entry's error, again")
        return super().op_udp_recvfrom(args)


# -- nonblock -------------------------------------------------------------------------------


def _non_blocking_after(operation: str, kinds: tuple[int, ...] = (socket.SOCK_DGRAM, socket.SOCK_STREAM)):
    """A fault whose ``operation`` makes the socket it creates non-blocking for the program."""
    def run(self, args):
        result = getattr(ReferenceAdapter, operation)(self, args)
        sock = self._sockets[result["handle"]]
        if sock.type in kinds:
            errqueue.set_option(sock, "nonblock", True)
        return result
    return run


class NewDatagramSocketsNonBlocking(ReferenceAdapter):
    """Datagram sockets are made non-blocking (as an event loop makes every socket it drives)."""
    op_udp_bind = _non_blocking_after("op_udp_bind")


class NewListenersNonBlocking(ReferenceAdapter):
    """Listeners are made non-blocking."""
    op_tcp_listen = _non_blocking_after("op_tcp_listen")


class NewConnectionsNonBlocking(ReferenceAdapter):
    """Connected stream sockets are made non-blocking."""
    op_tcp_connect = _non_blocking_after("op_tcp_connect")


def _ignores_nonblock(value: bool, kinds: tuple[int, ...]):
    def op_opt_set(self, args):
        if args.get("name", str) == "nonblock" and args.get("value", bool) is value \
                and self._socket(args).type in kinds:
            return {}
        return ReferenceAdapter.op_opt_set(self, args)
    return op_opt_set


class NonblockOnIgnoredForDatagrams(ReferenceAdapter):
    """Setting nonblock on a datagram socket answers ok and does nothing."""
    op_opt_set = _ignores_nonblock(True, (socket.SOCK_DGRAM,))


class NonblockOffIgnoredForDatagrams(ReferenceAdapter):
    """Setting nonblock off a datagram socket answers ok and does nothing."""
    op_opt_set = _ignores_nonblock(False, (socket.SOCK_DGRAM,))


class NonblockOnIgnoredForStreams(ReferenceAdapter):
    """Setting nonblock on a stream socket (a listener) answers ok and does nothing."""
    op_opt_set = _ignores_nonblock(True, (socket.SOCK_STREAM,))


class NonblockOffIgnoredForStreams(ReferenceAdapter):
    """Setting nonblock off a stream socket (a listener) answers ok and does nothing."""
    op_opt_set = _ignores_nonblock(False, (socket.SOCK_STREAM,))


class AcceptInheritsNonblock(ReferenceAdapter):
    """An accepted socket takes its listener's mode (the BSD behaviour, not Linux's)."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        if errqueue.is_nonblocking(self._socket(args)):
            errqueue.set_option(self._sockets[result["handle"]], "nonblock", True)
        return result


class AcceptClearsListenerNonblock(ReferenceAdapter):
    """accept puts the listener back in blocking mode."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        errqueue.set_option(self._socket(args), "nonblock", False)
        return result


class BlockingCallIgnoresNonblock(ReferenceAdapter):
    """A blocking call switches the socket to blocking mode whatever the program set."""
    def op_udp_recvfrom(self, args):
        if not args.get("blocking", bool, False):
            return super().op_udp_recvfrom(args)
        sock = self._socket(args)
        was = errqueue.is_nonblocking(sock)
        errqueue.set_option(sock, "nonblock", False)
        try:
            return super().op_udp_recvfrom(args)
        finally:
            errqueue.set_option(sock, "nonblock", was)


class NonblockingRecvAlwaysEAGAIN(ReferenceAdapter):
    """A blocking receive on a non-blocking socket answers EAGAIN without trying."""
    def op_udp_recvfrom(self, args):
        sock = self._socket(args)
        if args.get("blocking", bool, False) and errqueue.is_nonblocking(sock):
            os.get_blocking(sock.fileno())
            raise OpError("EAGAIN", "recvmsg: would block")
        return super().op_udp_recvfrom(args)


PROOFS: dict[str, dict] = {
    "UDP-ERRQ-001": {
        "the entry the datagram leaves": ErrqueueDropsPayload,
    },
    "UDP-ERRQ-002": {
        "recverr of a new datagram socket": RecverrOnByDefault,
        "recverr after setting it on": RecverrSetOnIgnored,
        "recverr after setting it off": RecverrSetOffIgnored,
    },
    "UDP-ERRQ-003": {
        "a receive waiting after the datagram": RecvfromHidesRefused,
        "the error queue after the receive was told": RecvfromDrainsErrqueue,
        "the error queue after that": ErrqueueRepeatsLastEntry,
    },
    "UDP-ERRQ-004": {
        "the error queue before anything went wrong": ErrqueueWaitsWhenEmpty,
        "the entry the datagram leaves: its data": ErrqueueDropsPayload,
        "the error queue once the entry was read": ErrqueueRepeatsLastEntry,
    },
    "UDP-ERRQ-005": {
        "a receive waiting after the first datagram": RecvfromHidesRefused,
        "a receive waiting after the second datagram": RecvfromReportsRefusedOnce,
        "the first entry read: its data": ErrqueueNewestFirst,
        "a receive after the first entry was read": ErrqueueDrainsAll,
        "the second entry read: its data": ErrqueuePayloadOfFirstOnly,
        "a receive after the last entry was read": RecvfromReportsLastEntry,
    },
    "UDP-ERRQ-006": {
        "a receive waiting after the datagram": RecvfromHidesRefused,
        "the error queue once recverr was set off": RecverrOffKeepsQueue,
    },
    "UDP-ERRQ-007": {
        "a receive waiting after the datagram": RecvfromHidesRefused,
        "the error queue": RecverrOnByDefault,
    },
    "UDP-ERRQ-008": {
        "a receive waiting after the datagram": RecvfromHidesRefused,
        "readiness with the entry queued": WaitDropsErrorAndHangup,
        "the entry: its data": ErrqueueDropsPayload,
        "readiness once the entry was read": WaitRemembersReadiness,
    },
    "NONBLOCK-001": {
        "nonblock of a new datagram socket": NewDatagramSocketsNonBlocking,
        "nonblock of a new listener": NewListenersNonBlocking,
        "nonblock of a new connected stream socket": NewConnectionsNonBlocking,
    },
    "NONBLOCK-002": {
        "nonblock of the datagram socket after setting it on": NonblockOnIgnoredForDatagrams,
        "nonblock of the datagram socket after setting it off": NonblockOffIgnoredForDatagrams,
        "nonblock of the listener after setting it on": NonblockOnIgnoredForStreams,
        "nonblock of the listener after setting it off": NonblockOffIgnoredForStreams,
    },
    "NONBLOCK-003": {
        "nonblock of the accepted socket": AcceptInheritsNonblock,
        "nonblock of the listener after the accept": AcceptClearsListenerNonblock,
    },
    "NONBLOCK-004": {
        "a blocking receive with nothing queued": BlockingCallIgnoresNonblock,
        "the blocking receive once a datagram is queued": NonblockingRecvAlwaysEAGAIN,
    },
    "ICMP-ECHO-017": {
        "the request's hop limit on the wire": RawTtlIgnored,
    },
}
