"""Faulty targets of the connect corners and of datagram peers over a socket's life
(TCP-CORNER-*, UDP-STATE-*, protocol 1.5): mostly wrappers that keep state of their own."""

from __future__ import annotations

import socket

from reference_impl.engine import ReferenceAdapter, numeric_sockaddr
from reference_impl.errors import OpError

from .readiness import (
    PendingConnectAnswersEINPROGRESS,
    RecvDropsFirstByte,
    RecvEndAsError,
    RecvResetAsEnd,
    WaitAlwaysReady,
    WaitDropsErrorAndHangup,
)


def _address(args) -> dict:
    return {"host": args.get("host", str), "port": args.get("port", int)}


class ReconnectSucceeds(ReferenceAdapter):
    """connect on a handle that is already connected answers success (the wrapper's own state)."""
    def op_tcp_connect(self, args):
        handle = args.get("handle", int, None)
        if handle is not None:
            sock = self._socket(args)
            try:
                sock.getpeername()
            except OSError:
                return super().op_tcp_connect(args)
            return {"handle": handle, "local": {"host": sock.getsockname()[0], "port": sock.getsockname()[1]},
                    "peer": {"host": sock.getpeername()[0], "port": sock.getpeername()[1]}}
        return super().op_tcp_connect(args)


class ReconnectAnswersEALREADY(ReferenceAdapter):
    """connect on a connected handle answers EALREADY."""
    def op_tcp_connect(self, args):
        if args.get("handle", int, None) is not None:
            try:
                self._socket(args).getpeername()
            except OSError:
                return super().op_tcp_connect(args)
            raise OpError("EALREADY", "connect: already in progress")
        return super().op_tcp_connect(args)


class ConnectWhilePendingRestarts(ReferenceAdapter):
    """connect on a handle whose connect is pending answers EINPROGRESS (started again)."""
    def op_tcp_connect(self, args):
        try:
            return super().op_tcp_connect(args)
        except OpError as exc:
            if exc.code == "EALREADY":
                raise OpError("EINPROGRESS", "connect: in progress") from None
            raise


class SelfConnectRefused(ReferenceAdapter):
    """A connect to the very address the socket is bound to is refused by the wrapper."""
    def op_tcp_connect(self, args):
        bind = args.get("bind", dict, None)
        if bind and bind.get("port") == args.get("port", int) and bind.get("host") == args.get("host", str):
            raise OpError("ECONNREFUSED", "connect: refused to connect to itself")
        return super().op_tcp_connect(args)


class ConnectPeerPortByteSwapped(ReferenceAdapter):
    """connect reports the peer's port in network byte order (a missing ntohs)."""
    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        if "peer" in result:
            port = result["peer"]["port"]
            result = {**result, "peer": {**result["peer"], "port": int.from_bytes(port.to_bytes(2, "big"), "little")}}
        return result


class ConnectRefusedAsTimeout(ReferenceAdapter):
    """A refused connect is reported as ETIMEDOUT."""
    def op_tcp_connect(self, args):
        try:
            return super().op_tcp_connect(args)
        except OpError as exc:
            if exc.code == "ECONNREFUSED":
                raise OpError("ETIMEDOUT", "connect: timed out") from None
            raise


class SocketUnusableAfterFailure(ReferenceAdapter):
    """A socket whose connect failed answers EINVAL to every later connect."""
    def __init__(self):
        super().__init__()
        self._failed: set[int] = set()

    def op_tcp_connect(self, args):
        handle = args.get("handle", int, None)
        if handle in self._failed:
            raise OpError("EINVAL", "connect: socket is unusable")
        try:
            return super().op_tcp_connect(args)
        except OpError:
            if handle is not None:
                self._failed.add(handle)
            raise


class ListenerConnectsEINVAL(ReferenceAdapter):
    """connect on a listening socket answers EINVAL."""
    def op_tcp_connect(self, args):
        if args.get("handle", int, None) is not None:
            sock = self._socket(args)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                raise OpError("EINVAL", "connect: invalid on a listener")
        return super().op_tcp_connect(args)


class PeerRemembered(ReferenceAdapter):
    """A wrapper remembers each socket's peer (the address it connected to or accepted from) and
    answers getpeername from that memory when the system has no peer."""
    def __init__(self):
        super().__init__()
        self._peers: dict[int, dict] = {}

    def op_tcp_connect(self, args):
        try:
            result = super().op_tcp_connect(args)
        except OpError:
            if args.get("handle", int, None) is not None:
                self._peers[args.get("handle", int)] = _address(args)
            raise
        self._peers[result["handle"]] = result.get("peer", _address(args))
        return result

    def op_tcp_accept(self, args):
        result = super().op_tcp_accept(args)
        self._peers[result["handle"]] = result["peer"]
        return result

    def op_udp_connect(self, args):
        result = super().op_udp_connect(args)
        self._peers[args.get("handle", int)] = result["peer"]
        return result

    def op_addr_peer(self, args):
        try:
            return super().op_addr_peer(args)
        except OpError as exc:
            if exc.code == "ENOTCONN" and args.get("handle", int) in self._peers:
                return self._peers[args.get("handle", int)]
            raise


class PeerKeptForTheResetError(ReferenceAdapter):
    """Once a receive reported ECONNRESET, the wrapper answers getpeername with the peer it kept
    for that error's message."""
    def __init__(self):
        super().__init__()
        self._peers: dict[int, dict] = {}
        self._reset: set[int] = set()

    def op_tcp_connect(self, args):
        result = super().op_tcp_connect(args)
        if "peer" in result:
            self._peers[result["handle"]] = result["peer"]
        return result

    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "ECONNRESET":
                self._reset.add(args.get("handle", int))
            raise

    def op_addr_peer(self, args):
        handle = args.get("handle", int)
        if handle in self._reset and handle in self._peers:
            return self._peers[handle]
        return super().op_addr_peer(args)


class PeerForgottenAtEnd(ReferenceAdapter):
    """Once a receive returned end of stream, getpeername answers ENOTCONN (the wrapper drops the peer)."""
    def __init__(self):
        super().__init__()
        self._ended: set[int] = set()

    def op_stream_recv(self, args):
        result = super().op_stream_recv(args)
        if result["data"] == "":
            self._ended.add(args.get("handle", int))
        return result

    def op_addr_peer(self, args):
        if args.get("handle", int) in self._ended:
            raise OpError("ENOTCONN", "getpeername: not connected")
        return super().op_addr_peer(args)


# -- datagram peers -----------------------------------------------------------------------------


class RepliesToLastSender(ReferenceAdapter):
    """An unaddressed send on an unconnected socket goes to whoever the socket last heard from
    (a peek included)."""
    def __init__(self):
        super().__init__()
        self._last: dict[int, dict] = {}

    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        self._last[args.get("handle", int)] = result["peer"]
        return result

    def op_udp_sendto(self, args):
        handle = args.get("handle", int)
        if args.get("host", str, None) is None and handle in self._last:
            try:
                self._socket(args).getpeername()
            except OSError:
                return super().op_udp_sendto(args.changed(**self._last[handle]))
        return super().op_udp_sendto(args)


class RepliesToLastReceived(RepliesToLastSender):
    """As RepliesToLastSender, but only a datagram actually received (not peeked) sets the
    destination."""
    def op_udp_recvfrom(self, args):
        if args.get("peek", bool, False):
            return ReferenceAdapter.op_udp_recvfrom(self, args)
        return super().op_udp_recvfrom(args)


class DatagramSenderIsLocal(ReferenceAdapter):
    """A received datagram's sender is reported as the socket's own address."""
    def op_udp_recvfrom(self, args):
        result = super().op_udp_recvfrom(args)
        name = self._socket(args).getsockname()
        return {**result, "peer": {"host": name[0], "port": name[1]}}


class ConnectDoesNotFilter(ReferenceAdapter):
    """udp.connect is kept in the wrapper (a default destination and a reported peer) and never
    reaches the system: datagrams from other senders are not filtered."""
    def __init__(self):
        super().__init__()
        self._peers: dict[int, dict] = {}

    def op_udp_connect(self, args):
        sock = self._socket(args)
        numeric_sockaddr(sock.family, args.get("host", str), args.get("port", int))
        self._peers[args.get("handle", int)] = _address(args)
        name = sock.getsockname()
        return {"local": {"host": name[0], "port": name[1]}, "peer": _address(args)}

    def op_udp_sendto(self, args):
        peer = self._peers.get(args.get("handle", int))
        if args.get("host", str, None) is None and peer:
            return super().op_udp_sendto(args.changed(**peer))
        return super().op_udp_sendto(args)

    def op_addr_peer(self, args):
        peer = self._peers.get(args.get("handle", int))
        return peer if peer else super().op_addr_peer(args)


class PeerIsFirstDestination(ReferenceAdapter):
    """getpeername answers the first address the socket sent to (a wrapper's 'peer' cache)."""
    def __init__(self):
        super().__init__()
        self._first: dict[int, dict] = {}

    def op_udp_sendto(self, args):
        if args.get("host", str, None) is not None:
            self._first.setdefault(args.get("handle", int), _address(args))
        return super().op_udp_sendto(args)

    def op_addr_peer(self, args):
        first = self._first.get(args.get("handle", int))
        return first if first else super().op_addr_peer(args)


class ReconnectIgnored(ReferenceAdapter):
    """A second udp.connect answers success and changes nothing."""
    def op_udp_connect(self, args):
        sock = self._socket(args)
        try:
            peer = sock.getpeername()
        except OSError:
            return super().op_udp_connect(args)
        name = sock.getsockname()
        return {"local": {"host": name[0], "port": name[1]}, "peer": {"host": peer[0], "port": peer[1]}}


class SendsToFirstPeer(ReferenceAdapter):
    """Unaddressed sends go, explicitly, to the first address the socket was connected to."""
    def __init__(self):
        super().__init__()
        self._first: dict[int, dict] = {}

    def op_udp_connect(self, args):
        self._first.setdefault(args.get("handle", int), _address(args))
        return super().op_udp_connect(args)

    def op_udp_sendto(self, args):
        first = self._first.get(args.get("handle", int))
        if args.get("host", str, None) is None and first:
            sock = self._socket(args)
            address = numeric_sockaddr(sock.family, first["host"], first["port"])
            return {"sent": sock.sendto(args.data(), address)}
        return super().op_udp_sendto(args)


class RemembersDestination(ReferenceAdapter):
    """After a disconnect, unaddressed sends still go to the address last connected to."""
    def __init__(self):
        super().__init__()
        self._destination: dict[int, dict] = {}

    def op_udp_connect(self, args):
        self._destination[args.get("handle", int)] = _address(args)
        return super().op_udp_connect(args)

    def op_udp_sendto(self, args):
        try:
            return super().op_udp_sendto(args)
        except OpError as exc:
            destination = self._destination.get(args.get("handle", int))
            if exc.code != "EDESTADDRREQ" or not destination:
                raise
            return super().op_udp_sendto(args.changed(**destination))


class DisconnectOnlyForgets(ReferenceAdapter):
    """udp.disconnect forgets the peer in the wrapper only: the system keeps filtering senders."""
    def __init__(self):
        super().__init__()
        self._forgotten: set[int] = set()

    def op_udp_disconnect(self, args):
        self._socket(args)
        self._forgotten.add(args.get("handle", int))
        return {}

    def op_addr_peer(self, args):
        if args.get("handle", int) in self._forgotten:
            raise OpError("ENOTCONN", "getpeername: not connected")
        return super().op_addr_peer(args)

    def op_udp_sendto(self, args):
        if args.get("handle", int) in self._forgotten and args.get("host", str, None) is None:
            raise OpError("EDESTADDRREQ", "send: no destination")
        return super().op_udp_sendto(args)

    def op_udp_recvfrom(self, args):
        return super().op_udp_recvfrom(args)


class LocalAddressCached(ReferenceAdapter):
    """A wrapper caches each socket's local address when it is bound and answers getsockname from it."""
    def __init__(self):
        super().__init__()
        self._local: dict[int, dict] = {}

    def op_udp_bind(self, args):
        result = super().op_udp_bind(args)
        self._local[result["handle"]] = result["local"]
        return result

    def op_addr_local(self, args):
        return self._local.get(args.get("handle", int)) or super().op_addr_local(args)


class SendtoWhileConnectedEINVAL(ReferenceAdapter):
    """A send to an address on a connected datagram socket answers EINVAL."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is not None:
            try:
                self._socket(args).getpeername()
            except OSError:
                return super().op_udp_sendto(args)
            raise OpError("EINVAL", "sendto: socket is connected")
        return super().op_udp_sendto(args)


class SendtoGoesToPeer(ReferenceAdapter):
    """On a connected datagram socket the address given to sendto is ignored: it goes to the peer."""
    def op_udp_sendto(self, args):
        if args.get("host", str, None) is not None:
            try:
                self._socket(args).getpeername()
            except OSError:
                return super().op_udp_sendto(args)
            return super().op_udp_sendto(args.changed(host=None, port=None))
        return super().op_udp_sendto(args)


PROOFS: dict[str, dict] = {
    "TCP-CORNER-001": {"connecting it again": ReconnectAnswersEALREADY, "and once more": ReconnectSucceeds},
    "TCP-CORNER-002": {
        "a connect started without waiting, the listener's queue full": PendingConnectAnswersEINPROGRESS,
        "readiness to write while it is pending": WaitAlwaysReady,
        "connecting it again while pending": ConnectWhilePendingRestarts,
    },
    "TCP-CORNER-003": {
        "connecting to its own address": SelfConnectRefused,
        "its peer and its own address": ConnectPeerPortByteSwapped,
        "bytes it sent to itself": RecvDropsFirstByte,
    },
    "TCP-CORNER-004": {
        "a connect to a refused port": ConnectRefusedAsTimeout,
        "connects to a listener afterwards, until one succeeds": SocketUnusableAfterFailure,
    },
    "TCP-CORNER-005": {"connecting a listening socket": ListenerConnectsEINVAL},
    "TCP-CORNER-006": {
        "readiness once the peer reset the connection": WaitDropsErrorAndHangup,
        "the peer once the reset arrived": PeerRemembered,
        "the receive after the peer's reset": RecvResetAsEnd,
        "the peer after the receive reported the reset": PeerKeptForTheResetError,
    },
    "TCP-CORNER-007": {"the receive after the peer's close": RecvEndAsError, "the peer after its close": PeerForgottenAtEnd},
    "TCP-CORNER-008": {
        "a connect to a refused port": ConnectRefusedAsTimeout,
        "the peer after the refused connect": PeerRemembered,
    },
    "UDP-STATE-001": {
        "a send without an address after a peek": RepliesToLastSender,
        "a send without an address after receiving": RepliesToLastReceived,
    },
    "UDP-STATE-002": {
        "the peer after connecting to B": PeerIsFirstDestination,
        "the sender of the first datagram received": DatagramSenderIsLocal,
        "what arrives after it (A's datagram)": ConnectDoesNotFilter,
    },
    "UDP-STATE-003": {
        "the peer after connecting again": ReconnectIgnored,
        "where a send without an address goes": SendsToFirstPeer,
        "a datagram from the first peer": ConnectDoesNotFilter,
    },
    "UDP-STATE-004": {
        "the peer after disconnecting": PeerRemembered,
        "a send without an address after disconnecting": RemembersDestination,
        "a datagram from another sender": DisconnectOnlyForgets,
    },
    "UDP-STATE-005": {"a send to B while connected to A": SendtoWhileConnectedEINVAL, "where it went": SendtoGoesToPeer},
    "UDP-STATE-006": {"the local port after disconnecting": LocalAddressCached},
}
