"""Faulty targets of passive and active sockets (TCP-PASSIVE-*)."""

from __future__ import annotations

import select
import socket

from reference_impl.engine import (
    ReferenceAdapter,
    address_of,
    family_of,
    numeric_sockaddr,
)
from reference_impl.errors import OpError

from .common import _connected, _is_listener, _unmapped
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


class ListenReportsWildcardHost(ReferenceAdapter):
    """listen() reports the wildcard address, not the one it bound."""
    def op_tcp_listen(self, args):
        result = super().op_tcp_listen(args)
        wildcard = "::" if ":" in result["local"]["host"] else "0.0.0.0"
        return {**result, "local": {**result["local"], "host": wildcard}}


class LocalPortByteSwapped(ReferenceAdapter):
    """getsockname() reports the port in network byte order (a missing ntohs)."""
    def op_addr_local(self, args):
        result = super().op_addr_local(args)
        port = result["port"]
        return {**result, "port": ((port & 0xFF) << 8) | (port >> 8)}


class ListenSkippedForPortZero(ReferenceAdapter):
    """A listener asked for port 0 is bound but never put into listening: its ephemeral port refuses connections."""
    def op_tcp_listen(self, args):
        if args.get("port", int, 0) != 0:
            return super().op_tcp_listen(args)
        family = family_of(args)
        sock = self._new_socket(family, socket.SOCK_STREAM, self._options(args))
        sock.bind(numeric_sockaddr(family, args.get("host", str), 0))
        return {"handle": self._register(sock), "local": address_of(sock.getsockname())}


class RelistenReplacesListener(ReferenceAdapter):
    """Keeps one listener per port: a second listen() on a port closes the first listener."""
    def __init__(self):
        super().__init__()
        self._by_port = {}

    def op_tcp_listen(self, args):
        result = super().op_tcp_listen(args)
        old = self._by_port.get(result["local"]["port"])
        if old in self._sockets:
            self._sockets.pop(old).close()
        self._by_port[result["local"]["port"]] = result["handle"]
        return result


class AcceptsAtMost16(ReferenceAdapter):
    """accept() fails with EMFILE once 16 accepted connections are open (a fixed-size connection table)."""
    def __init__(self):
        super().__init__()
        self._accepted = set()

    def op_tcp_accept(self, args):
        if len(self._accepted & set(self._sockets)) >= 16:
            raise OpError("EMFILE", "accept: connection table full")
        result = super().op_tcp_accept(args)
        self._accepted.add(result["handle"])
        return result


class AcceptSwapsPairs(ReferenceAdapter):
    """Hands pending connections out in swapped pairs: each accepted handle reports the other one's peer."""
    def __init__(self):
        super().__init__()
        self._stash = {}

    def op_tcp_accept(self, args):
        listener = args.get("handle", int)
        if listener in self._stash:
            return self._stash.pop(listener)
        first = super().op_tcp_accept(args)
        try:
            second = super().op_tcp_accept(args.changed(timeout=0))
        except OpError:
            return first
        self._stash[listener] = {**first, "peer": second["peer"]}
        return {**second, "peer": first["peer"]}


class ConnectAwaitsGreeting(ReferenceAdapter):
    """connect() reports success only once the server has sent something (it waits for a greeting)."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        if not select.select([self._sockets[result["handle"]]], [], [], args.timeout())[0]:
            self._sockets.pop(result["handle"]).close()
            raise OpError("ETIMEDOUT", "connect: no greeting from the server")
        return result


class ClosingListenerShutsWriteSides(ReferenceAdapter):
    """Closing a listener shuts down the write side of every connection accepted from it."""
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
                self._sockets[child].shutdown(socket.SHUT_WR)
        return super().op_close(args)


class AcceptTimeoutClosesListener(ReferenceAdapter):
    """An accept that times out closes its listener (the timeout is handled as a fatal error)."""
    def op_tcp_accept(self, args):
        try:
            return super().op_tcp_accept(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                self._sockets.pop(args.get("handle", int)).close()
            raise


class UnmapsAcceptedLocal(ReferenceAdapter):
    """accept() reports its own address as plain IPv4 when it is IPv4-mapped."""
    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        return {**result, "local": _unmapped(result["local"])}


class MapsIPv4Peers(ReferenceAdapter):
    """Reports an IPv4 connection's peer as IPv4-mapped IPv6 (::ffff:a.b.c.d), keeping every address in IPv6 form."""
    @staticmethod
    def _mapped(result):
        peer = result["peer"]
        return result if ":" in peer["host"] else {**result, "peer": {**peer, "host": "::ffff:" + peer["host"]}}

    def op_tcp_connect(self, args):
        return self._mapped(super().op_tcp_connect(args))

    def op_tcp_accept(self, args):
        return self._mapped(super().op_tcp_accept(args))


class MappedPeerRefusedIO(ReferenceAdapter):
    """Refuses I/O (EAFNOSUPPORT) on a connection whose peer is IPv4-mapped: a family check takes the peer's family for the socket's."""
    def _check(self, args):
        sock = self._socket(args)
        if sock.family == socket.AF_INET6 and _connected(sock) and sock.getpeername()[0].startswith("::ffff:"):
            raise OpError("EAFNOSUPPORT", "an IPv4 peer on an IPv6 socket")

    def op_stream_send(self, args):
        self._check(args)
        return super().op_stream_send(args)

    def op_stream_recv(self, args):
        self._check(args)
        return super().op_stream_recv(args)


class ConnectionsKeyedByLocalAddress(ReferenceAdapter):
    """Keeps connection state by local address, which accepted sockets share: closing one makes every later one on that address EBADF."""
    def __init__(self):
        super().__init__()
        self._closed = set()

    def op_close(self, args):
        sock = self._socket(args)
        if sock.type == socket.SOCK_STREAM and _connected(sock):
            self._closed.add(sock.getsockname())
        return super().op_close(args)

    def _check(self, args):
        if self._socket(args).getsockname() in self._closed:
            raise OpError("EBADF", "connection closed")

    def op_stream_send(self, args):
        self._check(args)
        return super().op_stream_send(args)

    def op_stream_recv(self, args):
        self._check(args)
        return super().op_stream_recv(args)


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
        'listener host': ListenReportsWildcardHost,
        'listener address': ListenReportsRequestedPort,
        'getsockname() agrees': LocalPortByteSwapped,
    },
    'TCP-PASSIVE-005': {
        "the two listeners' addresses": ListenReportsStalePort,
        'listener accepts a connection': ListenSkippedForPortZero,
    },
    'TCP-PASSIVE-006': {
        'second listener on the same port': ListenersShareSilently,
    },
    'TCP-PASSIVE-007': {
        'second listener with SO_REUSEADDR on both': ReuseaddrImpliesReuseport,
    },
    'TCP-PASSIVE-008': {
        'second listener with SO_REUSEPORT': ReuseportIgnored,
        'accept on each listener': RelistenReplacesListener,
    },
    'TCP-PASSIVE-009': {
        'SO_REUSEPORT listener joining a port held without it': ListenersShareSilently,
    },
    'TCP-PASSIVE-010': {
        "every accepted socket's local address is the listener's": AcceptSwapsAddresses,
    },
    'TCP-PASSIVE-011': {
        "the peers are the clients' local addresses": AcceptReportsStalePeer,
    },
    'TCP-PASSIVE-012': {
        'connections accepted': AcceptsAtMost16,
        'connections whose bytes went astray': AcceptSwapsPairs,
    },
    'TCP-PASSIVE-013': {
        'connect before any accept': ConnectAwaitsGreeting,
        'data sent before accept is there': AcceptDiscardsEarlyData,
    },
    'TCP-PASSIVE-014': {
        'accept order is connect order': AcceptsNewestFirst,
    },
    'TCP-PASSIVE-015': {
        'server still receives': ClosingListenerClosesConnections,
        'client still receives': ClosingListenerShutsWriteSides,
    },
    'TCP-PASSIVE-016': {
        'connect after the listener closed': CloseLeaksListener,
    },
    'TCP-PASSIVE-017': {
        'listen on a non-local address': ForeignBindFallsBack,
    },
    'TCP-PASSIVE-018': {
        'accept with nothing pending': AcceptNeverWaits,
        'a later connection is accepted': AcceptTimeoutClosesListener,
    },
    'TCP-PASSIVE-019': {
        'non-blocking accept': NonblockingAcceptWaits,
    },
    'TCP-PASSIVE-020': {
        'accepted peer': UnmapsAddresses,
        'accepted local address': UnmapsAcceptedLocal,
        "client's peer is plain IPv4": MapsIPv4Peers,
        'data flows': MappedPeerRefusedIO,
    },
    'TCP-PASSIVE-021': {
        'v6only listen on ::ffff:#.#.#.#': V6onlyIgnored,
    },
    'TCP-PASSIVE-022': {
        'v6only connect to ::ffff:#.#.#.#': V6onlyIgnored,
    },
    'TCP-PASSIVE-023': {
        "client's local host": UnmapsAddresses,
        'server sees a plain IPv4 peer': MapsIPv4Peers,
    },
    'TCP-PASSIVE-024': {
        'v6only reads back #': V6onlyReadsFalse,
    },
    'TCP-PASSIVE-025': {
        'listener accepts again': ClosingConnectionClosesListener,
        'the new connection is served': ConnectionsKeyedByLocalAddress,
    },
}
