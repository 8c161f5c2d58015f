"""Faulty targets of passive and active sockets (TCP-PASSIVE-*)."""

from __future__ import annotations

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError

from .common import _is_listener
from .stream import (
    AcceptSwapsAddresses,
    UnmapsAddresses,
    V6onlyIgnored,
    V6onlyReadsFalse,
)

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


# Which fault makes which check the first one a target gets wrong (tests/check_proof.py).
PROOFS: dict[str, dict] = {
    'TCP-PASSIVE-001': {
        'receive on the listener': ListenerRecvIsEOF,
    },
    'TCP-PASSIVE-002': {
        'send on the listener': ListenerSendClaimsSuccess,
    },
    'TCP-PASSIVE-003': {
        'getpeername() on the listener': ListenerPeerIsLocal,
    },
    'TCP-PASSIVE-004': {
        'listener port is not #': ListenReportsRequestedPort,
    },
    'TCP-PASSIVE-005': {
        'the ports differ': ListenReportsStalePort,
    },
    'TCP-PASSIVE-006': {
        'second listener on the same port': ListenersShareSilently,
    },
    'TCP-PASSIVE-007': {
        'second listener with SO_REUSEADDR on both': ReuseaddrImpliesReuseport,
    },
    'TCP-PASSIVE-009': {
        'SO_REUSEPORT listener joining a port held without it': ListenersShareSilently,
    },
    'TCP-PASSIVE-010': {
        "every accepted socket's local address is the listener's": AcceptSwapsAddresses,
    },
    'TCP-PASSIVE-011': {
        'accepted peers are distinct': AcceptReportsStalePeer,
    },
    'TCP-PASSIVE-014': {
        'accept order is connect order': AcceptsNewestFirst,
    },
    'TCP-PASSIVE-016': {
        'connect after the listener closed': CloseLeaksListener,
    },
    'TCP-PASSIVE-017': {
        'listen on a non-local address': ForeignBindFallsBack,
    },
    'TCP-PASSIVE-018': {
        'accept with nothing pending': AcceptNeverWaits,
    },
    'TCP-PASSIVE-019': {
        'non-blocking accept': NonblockingAcceptWaits,
    },
    'TCP-PASSIVE-020': {
        'accepted peer host': UnmapsAddresses,
    },
    'TCP-PASSIVE-021': {
        'v6only listen on ::ffff:#.#.#.#': V6onlyIgnored,
    },
    'TCP-PASSIVE-022': {
        'v6only connect to ::ffff:#.#.#.#': V6onlyIgnored,
    },
    'TCP-PASSIVE-023': {
        "client's local host": UnmapsAddresses,
    },
    'TCP-PASSIVE-024': {
        'v6only reads back #': V6onlyReadsFalse,
    },
}
