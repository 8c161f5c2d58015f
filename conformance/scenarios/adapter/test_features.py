"""ADAPTER-010: every operation of every declared feature is exercised once.

A declared feature is a promise (docs/protocol.md §3): each of its operations must be
performed, whatever the socket library then answers. This walks the declared features in
turn, with a reference peer on the other end where one is needed, and collects every
request that was answered UNSUPPORTED or BADREQUEST: both mean the adapter does not do
what it declared. Socket errors (ECONNREFUSED, EAGAIN, …) are the library's business and
judged elsewhere.
"""

from __future__ import annotations

from conformance.scenario import behaviour
from reference_impl import icmp
from reference_impl.protocol import PROTOCOL_VERSION, encode_bytes

from .sctp_walks import SCTP_WALKS
from .test_protocol import ADAPTER_CASES
from .unix_walks import UNIX_WALKS

PROTOCOL_SLIPS = ("UNSUPPORTED", "BADREQUEST")


class FeatureWalk:
    """The target in the client seat, a reference peer in the server seat, and a record of
    every request made in the name of a feature."""

    def __init__(self, run, features: set[str]) -> None:
        self.run, self.features = run, features
        self.family = "ipv4" if "ipv4" in features else "ipv6"
        self.host = "127.0.0.1" if self.family == "ipv4" else "::1"
        self.slips: list[str] = []
        self.exercised: list[str] = []

    def ask(self, feature: str, op: str, **args) -> dict | None:
        """One request on behalf of ``feature``; its result, or None if it failed."""
        code, result = self.run.client.exchange(op, **args)
        self.exercised.append(f"{feature}: {op}")
        if code in PROTOCOL_SLIPS:
            self.slips.append(f"{feature}: {op} → {code}")
        return result if code == "ok" else None

    def connection(self, feature: str, **args) -> tuple[int | None, object]:
        """A connection from the target to a fresh reference listener: (handle, listener)."""
        listener = self.run.server.tcp_listen(self.family, self.host)
        result = self.ask(feature, "tcp.connect", family=self.family, host=self.host,
                          port=listener.local.port, timeout=2.0, **args)
        return (result or {}).get("handle"), listener

    def datagram_socket(self, feature: str) -> int | None:
        result = self.ask(feature, "udp.bind", family=self.family, host=self.host, port=0, options={})
        return (result or {}).get("handle")


def walk_tcp(walk: FeatureWalk) -> None:
    result = walk.ask("tcp", "tcp.listen", family=walk.family, host=walk.host, port=0, backlog=4, options={})
    if result is None:
        return
    listener = result["handle"]
    outgoing = walk.ask("tcp", "tcp.connect", family=walk.family, host=walk.host,
                        port=result["local"]["port"], timeout=2.0)
    incoming = walk.ask("tcp", "tcp.accept", handle=listener, timeout=2.0)
    if outgoing and incoming:
        walk.ask("tcp", "stream.send", handle=outgoing["handle"], data=encode_bytes(b"ping"), timeout=2.0)
        walk.ask("tcp", "stream.recv", handle=incoming["handle"], max=16, timeout=2.0)
        walk.ask("tcp", "addr.local", handle=incoming["handle"])
        walk.ask("tcp", "addr.peer", handle=incoming["handle"])
        walk.ask("tcp", "close", handle=incoming["handle"])
        walk.ask("tcp", "close", handle=outgoing["handle"])
    walk.ask("tcp", "close", handle=listener)


def walk_udp(walk: FeatureWalk) -> None:
    sock = walk.datagram_socket("udp")
    if sock is None:
        return
    peer = walk.run.server.udp_bind(walk.family, walk.host)
    walk.ask("udp", "udp.sendto", handle=sock, data=encode_bytes(b"ping"), host=walk.host,
             port=peer.local.port, timeout=2.0)
    reply = walk.run.server.recvfrom(peer, 64)
    walk.run.server.sendto(peer, b"pong", reply.peer)
    walk.ask("udp", "udp.recvfrom", handle=sock, max=64, timeout=2.0)
    walk.ask("udp", "addr.local", handle=sock)
    walk.ask("udp", "close", handle=sock)


def walk_udp_connect(walk: FeatureWalk) -> None:
    sock = walk.datagram_socket("udp.connect")
    if sock is not None:
        peer = walk.run.server.udp_bind(walk.family, walk.host)
        walk.ask("udp.connect", "udp.connect", handle=sock, host=walk.host, port=peer.local.port)
        walk.ask("udp.connect", "udp.sendto", handle=sock, data=encode_bytes(b"ping"), timeout=2.0)


def walk_tcp_socket(walk: FeatureWalk) -> None:
    walk.ask("tcp.socket", "tcp.socket", family=walk.family, options={})


def walk_bind_connect(walk: FeatureWalk) -> None:
    walk.connection("tcp.bind-connect", bind={"host": walk.host, "port": 0})


def walk_shutdown(how: str):
    def walk_it(walk: FeatureWalk) -> None:
        handle, _ = walk.connection(f"stream.shutdown.{how}")
        if handle is not None:
            walk.ask(f"stream.shutdown.{how}", "stream.shutdown", handle=handle, how=how)
    return walk_it


def walk_abort(walk: FeatureWalk) -> None:
    handle, _ = walk.connection("stream.abort")
    if handle is not None:
        walk.ask("stream.abort", "stream.abort", handle=handle)


def walk_nonblocking(walk: FeatureWalk) -> None:
    """timeout 0 on each blocking operation of the declared socket kinds."""
    if "tcp" in walk.features:
        result = walk.ask("nonblocking", "tcp.listen", family=walk.family, host=walk.host, port=0, options={})
        if result:
            walk.ask("nonblocking", "tcp.accept", handle=result["handle"], timeout=0)
            walk.ask("nonblocking", "tcp.connect", family=walk.family, host=walk.host,
                     port=result["local"]["port"], timeout=0)
        handle, _ = walk.connection("nonblocking")
        if handle is not None:
            walk.ask("nonblocking", "stream.recv", handle=handle, max=16, timeout=0)
            walk.ask("nonblocking", "stream.send", handle=handle, data=encode_bytes(b"x"), timeout=0)
    if "udp" in walk.features:
        sock = walk.datagram_socket("nonblocking")
        if sock is not None:
            walk.ask("nonblocking", "udp.recvfrom", handle=sock, max=16, timeout=0)
            walk.ask("nonblocking", "udp.sendto", handle=sock, data=encode_bytes(b"x"), host=walk.host,
                     port=walk.run.server.udp_bind(walk.family, walk.host).local.port, timeout=0)


def walk_serve(kind: str):
    def walk_it(walk: FeatureWalk) -> None:
        feature = f"serve.{kind}"
        result = walk.ask(feature, "serve.start", kind=kind, family=walk.family, host=walk.host, port=0,
                          backlog=16)
        if result is None:
            return
        address = walk.run.addr(int(result["local"]["port"]), walk.host)
        if kind == "tcp":
            client = walk.run.server.tcp_connect(walk.family, address)
            walk.run.server.send_all(client, b"echo?")
            walk.run.server.recv_exactly(client, 5)
        else:
            client = walk.run.server.udp_bind(walk.family, walk.host)
            walk.run.server.sendto(client, b"echo?", address)
            walk.run.server.recvfrom(client, 64)
        walk.ask(feature, "serve.stop", handle=result["handle"])
    return walk_it


def walk_raw(kind: str):
    def walk_it(walk: FeatureWalk) -> None:
        feature = "raw" if kind == "raw" else "ping-socket"
        protocol = "icmp" if walk.family == "ipv4" else "icmpv6"
        result = walk.ask(feature, "raw.open", family=walk.family, protocol=protocol, kind=kind, options={})
        if result is None:
            return
        echo_type = icmp.ECHO_REQUEST if walk.family == "ipv4" else icmp.ECHO_REQUEST_V6
        request = icmp.encode_echo(icmp.Echo(echo_type, 0, 0x5050, 1, b"sockspec"))
        walk.ask(feature, "raw.send", handle=result["handle"], data=encode_bytes(request), host=walk.host,
                 timeout=2.0)
        walk.ask(feature, "raw.recv", handle=result["handle"], max=2048, timeout=2.0)
    return walk_it


# -- protocol 1.5: readiness, connects, flags ------------------------------------------------

def _a_connection(walk: FeatureWalk, feature: str) -> tuple[int | None, int | None]:
    """A connection from the target to a reference listener: (target's handle, peer's handle)."""
    listener = walk.run.server.tcp_listen(walk.family, walk.host)
    result = walk.ask(feature, "tcp.connect", family=walk.family, host=walk.host, port=listener.local.port,
                      timeout=2.0)
    if result is None:
        return None, None
    return result["handle"], walk.run.server.tcp_accept(listener).handle


def walk_wait(walk: FeatureWalk) -> None:
    if "tcp" in walk.features:
        handle, _ = _a_connection(walk, "wait")
        if handle is not None:
            walk.ask("wait", "wait", handle=handle, events=["read", "write"], timeout=1.0)
    if "udp" in walk.features:
        sock = walk.datagram_socket("wait")
        if sock is not None:
            walk.ask("wait", "wait", handle=sock, events=["read", "write"], timeout=0)


def walk_wait_rdhangup(walk: FeatureWalk) -> None:
    handle, _ = _a_connection(walk, "wait.rdhangup")
    if handle is not None:
        walk.ask("wait.rdhangup", "wait", handle=handle, events=["rdhangup"], timeout=0)


def walk_pending(walk: FeatureWalk) -> None:
    listener = walk.run.server.tcp_listen(walk.family, walk.host)
    walk.ask("tcp.pending", "tcp.connect", family=walk.family, host=walk.host, port=listener.local.port,
             pending=True, timeout=2.0)


def walk_connect_handle(walk: FeatureWalk) -> None:
    sock = walk.ask("tcp.connect-handle", "tcp.socket", family=walk.family, options={}) \
        if "tcp.socket" in walk.features else None
    listener = walk.run.server.tcp_listen(walk.family, walk.host)
    if sock is None:
        result = walk.ask("tcp.connect-handle", "tcp.connect", family=walk.family, host=walk.host,
                          port=listener.local.port, timeout=2.0)
        handle = (result or {}).get("handle")
    else:
        handle = sock["handle"]
    if handle is not None:  # again on a connected socket: EISCONN, or connected if it was not
        walk.ask("tcp.connect-handle", "tcp.connect", family=walk.family, host=walk.host,
                 port=listener.local.port, handle=handle, timeout=2.0)


def walk_udp_disconnect(walk: FeatureWalk) -> None:
    sock = walk.datagram_socket("udp.disconnect")
    if sock is not None:
        walk.ask("udp.disconnect", "udp.disconnect", handle=sock)


def walk_udp_reconnect(walk: FeatureWalk) -> None:
    sock = walk.datagram_socket("udp.reconnect")
    if sock is not None:
        for _ in range(2):
            peer = walk.run.server.udp_bind(walk.family, walk.host)
            walk.ask("udp.reconnect", "udp.connect", handle=sock, host=walk.host, port=peer.local.port)


def walk_udp_errqueue(walk: FeatureWalk) -> None:
    """1.7: read the error queue once (empty: EAGAIN is an answer, not a slip)."""
    sock = walk.datagram_socket("udp.errqueue")
    if sock is not None:
        walk.ask("udp.errqueue", "udp.errqueue", handle=sock)


def walk_flag(feature: str):
    """Each operation that takes the flag, once, with it set."""
    flag = feature.removeprefix("flag.")

    def walk_it(walk: FeatureWalk) -> None:
        stream_recv = flag in ("peek", "waitall", "dontwait", "oob", "blocking")
        stream_send = flag in ("dontwait", "oob", "blocking")
        if "tcp" in walk.features and (stream_recv or stream_send):
            handle, peer = _a_connection(walk, feature)
            if handle is not None:
                # A blocking call is sent only to a socket whose own timeout can end it (§6): with
                # the option undeclared, that direction is not walked.
                send_ok = flag != "blocking" or _timeout_set(walk, feature, handle, "sndtimeo")
                receive_ok = flag != "blocking" or _timeout_set(walk, feature, handle, "rcvtimeo")
                walk.run.server.send_all(peer, b"walk")
                if stream_send and send_ok:
                    walk.ask(feature, "stream.send", handle=handle, data=encode_bytes(b"!"), timeout=1.0,
                             **{flag: True})
                if stream_recv and receive_ok:
                    walk.ask(feature, "stream.recv", handle=handle, max=4, timeout=1.0, **{flag: True})
        if "udp" in walk.features and flag in ("peek", "trunc", "dontwait", "blocking"):
            sock = walk.datagram_socket(feature)
            if sock is None:
                return
            local = walk.run.server.udp_bind(walk.family, walk.host)
            if flag == "blocking" and not _timeout_set(walk, feature, sock, "rcvtimeo"):
                return
            if flag == "dontwait":
                walk.ask(feature, "udp.sendto", handle=sock, data=encode_bytes(b"walk"), host=walk.host,
                         port=local.local.port, timeout=1.0, dontwait=True)
            address = walk.ask(feature, "addr.local", handle=sock)
            if address:
                walk.run.server.sendto(local, b"walk", walk.run.addr(int(address["port"]), walk.host))
            walk.ask(feature, "udp.recvfrom", handle=sock, max=2, timeout=1.0, **{flag: True})
    return walk_it


def _timeout_set(walk: FeatureWalk, feature: str, handle: int, name: str) -> bool:
    """Set the socket's own timeout ``name`` (50 ms) if the adapter declared it."""
    if f"opt.{name}" not in walk.features:
        return False
    walk.ask(feature, "opt.set", handle=handle, name=name, value=0.05)
    return True


# Each feature whose operations are walked here; options, raw.open and tcp.socket are also
# tried on every socket kind by ADAPTER-009.
WALKS = {
    "tcp": walk_tcp, "udp": walk_udp, "udp.connect": walk_udp_connect, "tcp.socket": walk_tcp_socket,
    "tcp.bind-connect": walk_bind_connect, "stream.shutdown.write": walk_shutdown("write"),
    "stream.shutdown.read": walk_shutdown("read"), "stream.abort": walk_abort,
    "nonblocking": walk_nonblocking, "serve.tcp": walk_serve("tcp"), "serve.udp": walk_serve("udp"),
    "raw": walk_raw("raw"), "ping-socket": walk_raw("ping"),
    # 1.5
    "wait": walk_wait, "wait.rdhangup": walk_wait_rdhangup, "tcp.pending": walk_pending,
    "tcp.connect-handle": walk_connect_handle, "udp.disconnect": walk_udp_disconnect,
    "udp.reconnect": walk_udp_reconnect,
    "udp.errqueue": walk_udp_errqueue,  # 1.7
    **{feature: walk_flag(feature) for feature in ("flag.peek", "flag.waitall", "flag.dontwait", "flag.trunc",
                                                   "flag.oob", "blocking")},
    **UNIX_WALKS,  # 1.4
    **SCTP_WALKS,  # 1.6, 1.8
}


@behaviour("ADAPTER-010", **ADAPTER_CASES)
def test_every_operation_of_every_declared_feature_is_performed(run):
    _, hello = run.client.exchange("hello", protocol=PROTOCOL_VERSION)
    declared = set(hello.get("features") or ())
    if "stream.shutdown" in declared:  # every `how`
        declared |= {"stream.shutdown.read", "stream.shutdown.write"}
    walk = FeatureWalk(run, declared)
    with run.client.summarised("every operation of every declared feature, once"):
        for feature in sorted(declared & set(WALKS)):
            WALKS[feature](walk)
    run.check("requests of declared features answered UNSUPPORTED or BADREQUEST", walk.slips, equals=[])


@behaviour("ADAPTER-012", **ADAPTER_CASES)
def test_timeout_zero_answers_at_once(run):
    """timeout 0 (§4): what is ready now, else EAGAIN; a connect not established at once is
    EINPROGRESS (and the adapter abandons it)."""
    listener = run.server.tcp_listen(run.family, run.host)
    code, _ = run.client.exchange("tcp.connect", family=run.family, host=run.host, port=listener.local.port,
                                  timeout=0)
    run.check("tcp.connect with timeout 0", code, allowed=("ok", "EINPROGRESS"))
    own = run.client.tcp_listen(run.family, run.host)
    code, _ = run.client.exchange("tcp.accept", handle=own.handle, timeout=0)
    run.check("tcp.accept with timeout 0 and nothing pending", code, equals="EAGAIN")
    connection = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    code, _ = run.client.exchange("stream.recv", handle=connection.handle, max=16, timeout=0)
    run.check("stream.recv with timeout 0 and nothing arrived", code, equals="EAGAIN")
    datagrams = run.client.udp_bind(run.family, run.host)
    code, _ = run.client.exchange("udp.recvfrom", handle=datagrams.handle, max=16, timeout=0)
    run.check("udp.recvfrom with timeout 0 and nothing arrived", code, equals="EAGAIN")
