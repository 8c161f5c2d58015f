"""ADAPTER-010's walks of the Unix-domain features (protocol 1.4): each operation of each
declared feature once, the target's requests made in the feature's name, a reference peer
on the other end where one is needed. Paths live in the case's own directory."""

from __future__ import annotations

from fixtures.endpoint import UnixAddr

from reference_impl.protocol import encode_bytes


def _stream_kind(walk) -> str:
    """A connection-oriented kind the target declared (stream first)."""
    return "stream" if "unix.stream" in walk.features else "seqpacket"


def _path(walk, stem: str) -> UnixAddr:
    return walk.run.unix_path(walk.run.numbered(stem))


def _connected(walk, feature: str, kind: str, address: UnixAddr | None = None) -> int | None:
    """The target's socket connected to a fresh reference listener of ``kind``."""
    address = address or _path(walk, "peer")
    walk.run.server.unix_listen(kind, address)
    result = walk.ask(feature, "unix.connect", kind=kind, address=address.wire(), timeout=2.0)
    return (result or {}).get("handle")


def walk_connections(kind: str):
    """unix.listen, unix.connect, unix.accept, and the stream operations on what they made."""
    def walk_it(walk) -> None:
        feature = f"unix.{kind}"
        address = _path(walk, "listener")
        listener = walk.ask(feature, "unix.listen", kind=kind, address=address.wire(), backlog=4)
        if listener is None:
            return
        outgoing = walk.ask(feature, "unix.connect", kind=kind, address=address.wire(), timeout=2.0)
        incoming = walk.ask(feature, "unix.accept", handle=listener["handle"], timeout=2.0)
        if outgoing is None or incoming is None:
            return
        walk.ask(feature, "stream.send", handle=outgoing["handle"], data=encode_bytes(b"ping"), timeout=2.0)
        walk.ask(feature, "stream.recv", handle=incoming["handle"], max=16, timeout=2.0)
        if kind == "seqpacket":
            walk.ask(feature, "unix.sendto", handle=incoming["handle"], data=encode_bytes(b"pong"), timeout=2.0)
            walk.ask(feature, "unix.recvfrom", handle=outgoing["handle"], max=16, timeout=2.0)
        walk.ask(feature, "addr.local", handle=outgoing["handle"])
        walk.ask(feature, "addr.peer", handle=incoming["handle"])
        for handle in (outgoing["handle"], incoming["handle"], listener["handle"]):
            walk.ask(feature, "close", handle=handle)
        walk.ask(feature, "unix.unlink", address=address.wire())
    return walk_it


def walk_dgram(walk) -> None:
    """unix.bind, unix.sendto, unix.recvfrom, and unix.connect's default destination."""
    own, peer = _path(walk, "own"), _path(walk, "peer")
    reference = walk.run.server.unix_bind("dgram", peer)
    bound = walk.ask("unix.dgram", "unix.bind", kind="dgram", address=own.wire())
    if bound is None:
        return
    walk.ask("unix.dgram", "unix.sendto", handle=bound["handle"], data=encode_bytes(b"ping"), address=peer.wire(),
             timeout=2.0)
    walk.run.server.unix_sendto(reference, b"pong", own)
    walk.ask("unix.dgram", "unix.recvfrom", handle=bound["handle"], max=16, timeout=2.0)
    connected = walk.ask("unix.dgram", "unix.connect", kind="dgram", address=peer.wire(), timeout=2.0)
    if connected is not None:
        walk.ask("unix.dgram", "unix.sendto", handle=connected["handle"], data=encode_bytes(b"to my peer"),
                 timeout=2.0)


def walk_abstract(walk) -> None:
    name = walk.run.unix_abstract(walk.run.numbered("abstract"))
    if "unix.stream" in walk.features or "unix.seqpacket" in walk.features:
        kind = _stream_kind(walk)
        listener = walk.ask("unix.abstract", "unix.listen", kind=kind, address=name.wire(), backlog=4)
        if listener is not None:
            walk.ask("unix.abstract", "unix.connect", kind=kind, address=name.wire(), timeout=2.0)
    else:
        walk.ask("unix.abstract", "unix.bind", kind="dgram", address=name.wire())


def walk_autobind(walk) -> None:
    if "unix.dgram" in walk.features:
        walk.ask("unix.autobind", "unix.bind", kind="dgram", address={"autobind": True})
    else:
        walk.ask("unix.autobind", "unix.listen", kind=_stream_kind(walk), address={"autobind": True}, backlog=4)


def walk_socketpair(walk) -> None:
    kind = next(k for k in ("stream", "dgram", "seqpacket") if f"unix.{k}" in walk.features)
    walk.ask("unix.socketpair", "unix.socketpair", kind=kind)


def walk_peercred(walk) -> None:
    handle = _connected(walk, "unix.peercred", _stream_kind(walk))
    if handle is not None:
        walk.ask("unix.peercred", "unix.peercred", handle=handle)


def _message_pair(walk, feature: str) -> tuple[int | None, object, UnixAddr]:
    """A target socket that sends and receives whole messages, and the reference's end:
    datagram sockets where declared, else a seqpacket connection."""
    if "unix.dgram" in walk.features:
        own, peer = _path(walk, "own"), _path(walk, "peer")
        reference = walk.run.server.unix_bind("dgram", peer)
        result = walk.ask(feature, "unix.bind", kind="dgram", address=own.wire())
        return (result or {}).get("handle"), reference, own
    address = _path(walk, "listener")
    listener = walk.run.server.unix_listen("seqpacket", address)
    result = walk.ask(feature, "unix.connect", kind="seqpacket", address=address.wire(), timeout=2.0)
    return (result or {}).get("handle"), walk.run.server.unix_accept(listener), address


def walk_rights(walk) -> None:
    """fds on unix.sendto (the target passes its own socket) and maxfds on unix.recvfrom (it
    receives one the reference passes)."""
    handle, reference, own = _message_pair(walk, "unix.rights")
    if handle is None:
        return
    datagrams = "unix.dgram" in walk.features
    peer = walk.run.server.local_address(reference) if datagrams else None
    walk.ask("unix.rights", "unix.sendto", handle=handle, data=encode_bytes(b"a socket"), fds=[handle],
             timeout=2.0, **({"address": peer.wire()} if peer else {}))
    passed = walk.run.server.unix_bind("dgram", _path(walk, "passed"))
    walk.run.server.unix_sendto(reference, b"yours", own if datagrams else None, fds=[passed])
    walk.ask("unix.rights", "unix.recvfrom", handle=handle, max=16, maxfds=2, timeout=2.0)


def walk_credentials(walk) -> None:
    """Option passcred, and creds on what arrives after it."""
    handle, reference, own = _message_pair(walk, "unix.credentials")
    if handle is None:
        return
    walk.ask("unix.credentials", "opt.set", handle=handle, name="passcred", value=True)
    walk.ask("unix.credentials", "opt.get", handle=handle, name="passcred")
    walk.run.server.unix_sendto(reference, b"who", own if "unix.dgram" in walk.features else None)
    walk.ask("unix.credentials", "unix.recvfrom", handle=handle, max=16, timeout=2.0)


def walk_serve(kind: str):
    """serve.start with a Unix address, one echo through it, serve.stop."""
    def walk_it(walk) -> None:
        feature = f"serve.{kind}"
        address = _path(walk, "echo")
        result = walk.ask(feature, "serve.start", kind=kind, address=address.wire(), backlog=16)
        if result is None:
            return
        if kind == "unix":
            client = walk.run.server.unix_connect("stream", address)
            walk.run.server.send_all(client, b"echo?")
            walk.run.server.recv_exactly(client, 5)
        else:
            client = walk.run.server.unix_bind("dgram", _path(walk, "client"))
            walk.run.server.unix_sendto(client, b"echo?", address)
            walk.run.server.unix_recvfrom(client, 64, timeout=2.0)
        walk.ask(feature, "serve.stop", handle=result["handle"])
    return walk_it


UNIX_WALKS = {
    "unix.stream": walk_connections("stream"), "unix.seqpacket": walk_connections("seqpacket"),
    "unix.dgram": walk_dgram, "unix.abstract": walk_abstract, "unix.autobind": walk_autobind,
    "unix.socketpair": walk_socketpair, "unix.peercred": walk_peercred, "unix.rights": walk_rights,
    "unix.credentials": walk_credentials, "serve.unix": walk_serve("unix"), "serve.unixgram": walk_serve("unixgram"),
}
