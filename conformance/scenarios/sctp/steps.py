"""Steps the SCTP scenarios share: associations, messages, the wire, crafted packets."""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from conformance.scenario import NotApplicable, Run
from fixtures.endpoint import Addr, Endpoint
from fixtures.wire_sctp import SctpPacket, SctpWireObserver, parse_sctp, with_checksum
from reference_impl.errors import UNSUPPORTED, OpError
from reference_impl.protocol import decode_bytes, encode_bytes

WAIT = 5.0  # for events that happen at once on loopback; generous for a loaded machine
NO_LISTENER = 9  # an SCTP port nothing in the suite listens on (the discard port)


@dataclass(frozen=True)
class Listener:
    handle: int
    local: Addr
    encaps_port: int | None


@dataclass(frozen=True)
class Association:
    handle: int
    local: Addr
    peer: Addr


@dataclass(frozen=True)
class Message:
    data: bytes
    stream: int
    ppid: int
    flags: tuple[str, ...]


def _addr(raw: dict) -> Addr:
    return Addr(str(raw["host"]), int(raw["port"]))


def listen(run: Run, endpoint: Endpoint, streams: dict | None = None) -> Listener:
    extra = {"streams": streams} if streams is not None else {}
    result = endpoint.call("sctp.listen", family=run.family, host=run.host, port=0, **extra)
    return Listener(result["handle"], _addr(result["local"]), result.get("encaps_port"))


def connect(run: Run, endpoint: Endpoint, to: Addr, encaps_port: int | None,
            streams: dict | None = None) -> Association:
    extra = {"streams": streams} if streams is not None else {}
    result = endpoint.call("sctp.connect", WAIT, family=run.family, host=to.host, port=to.port,
                           encaps_port=encaps_port, **extra)
    return Association(result["handle"], _addr(result["local"]), _addr(result["peer"]))


def accept(endpoint: Endpoint, listener: Listener) -> Association:
    result = endpoint.call("sctp.accept", WAIT, handle=listener.handle)
    return Association(result["handle"], _addr(result["local"]), _addr(result["peer"]))


def associate(run: Run) -> tuple[Listener, Association, Association]:
    """The server's listener, and one association: the client's end and the server's."""
    listener = listen(run, run.server)
    client = connect(run, run.client, listener.local, listener.encaps_port)
    return listener, client, accept(run.server, listener)


def send(endpoint: Endpoint, assoc: Association, data: bytes, stream: int = 0, ppid: int = 0,
         unordered: bool = False) -> int:
    args = {"handle": assoc.handle, "data": encode_bytes(data), "stream": stream, "ppid": ppid}
    if unordered:
        args["unordered"] = True
    return endpoint.call("sctp.send", WAIT, **args)["sent"]


def recv(endpoint: Endpoint, assoc: Association, max: int = 65536, timeout: float = WAIT) -> Message:
    result = endpoint.call("sctp.recv", timeout, handle=assoc.handle, max=max)
    return Message(decode_bytes(result["data"]), result["stream"], result["ppid"], tuple(result["flags"]))


def recv_outcome(endpoint: Endpoint, assoc: Association, max: int = 65536, timeout: float = WAIT) -> Message | str:
    """The next read, or the error code that ended it (an observation, never a stop)."""
    try:
        return recv(endpoint, assoc, max, timeout)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def read_message(endpoint: Endpoint, assoc: Association, reads: int = 64) -> tuple[bytes, int] | str:
    """One whole message (reads until "eor"), and how many reads it took; or what cut it short."""
    data = b""
    for count in range(1, reads + 1):
        got = recv_outcome(endpoint, assoc)
        if isinstance(got, str):
            return got
        if not got.data:
            return "EOF"
        data += got.data
        if "eor" in got.flags:
            return data, count
    return "no end of record"


def outcome(call, *args, **kwargs) -> str:
    try:
        call(*args, **kwargs)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code
    return "ok"


def stack(endpoint: Endpoint) -> dict:
    return endpoint.call("sctp.stack")


def status(endpoint: Endpoint, handle: Association | Listener) -> dict:
    """sctp.status (1.8): state, negotiated streams, the peer's rwnd, the primary path."""
    return endpoint.call("sctp.status", handle=handle.handle)


def set_option(endpoint: Endpoint, handle: Association | Listener, name: str, value) -> None:
    endpoint.call("opt.set", handle=handle.handle, name=name, value=value)


def get_option(endpoint: Endpoint, handle: Association | Listener, name: str):
    return endpoint.call("opt.get", handle=handle.handle, name=name)["value"]


# -- the wire ---------------------------------------------------------------------------------


def observe(run: Run, listener: Listener | int | None) -> SctpWireObserver:
    """Capture the SCTP packets of this listener's stack on lo (needs "host.capture"); every
    packet of its associations has its encapsulation port at one end."""
    port = listener.encaps_port if isinstance(listener, Listener) else listener
    observer = SctpWireObserver([port] if port else [])
    run._held.append(observer)  # released with the run, like run.observe_tcp's
    return observer


def between(wire: SctpWireObserver, *ends: Addr) -> list[SctpPacket]:
    ports = {end.port for end in ends}
    return wire.between(ports)


def chunks(packets: list[SctpPacket], sender: Addr | None = None):
    """(packet, chunk) pairs, in the order seen, of the packets ``sender`` sent (all if None)."""
    return [(packet, chunk) for packet in packets for chunk in packet.chunks
            if sender is None or packet.source.port == sender.port]


# -- crafted packets (SCTP over UDP only) -----------------------------------------------------


def encaps_port_of(run: Run, endpoint: Endpoint) -> int:
    """The UDP port of the endpoint's whole SCTP stack (sctp.stack)."""
    port = stack(endpoint).get("encaps_port")
    if not port:
        raise NotApplicable("the target's SCTP has no stack-wide UDP port to send to (SCTP straight over IP, "
                            "or a UDP socket per association)")
    return port


def listener_encaps_port(listener: Listener) -> int:
    """The UDP port a listener's INITs are sent to."""
    if not listener.encaps_port:
        raise NotApplicable("the target's SCTP runs straight over IP: no UDP encapsulation port to send to")
    return listener.encaps_port


def init_packet(source_port: int, destination_port: int, initiate_tag: int, *, bad_checksum: bool = False) -> bytes:
    """An INIT (RFC 9260 §3.3.2) with no optional parameters, its CRC32c right or wrong."""
    body = struct.pack("!IIHHI", initiate_tag, 65536, 10, 10, initiate_tag ^ 0x5A5A5A5A)
    raw = with_checksum(struct.pack("!HHII", source_port, destination_port, 0, 0) + struct.pack("!BBH", 1, 0, 20) + body)
    return raw[:8] + bytes([raw[8] ^ 0xFF]) + raw[9:] if bad_checksum else raw


class UdpPeer:
    """A UDP socket of the suite's own, speaking crafted SCTP to a stack's encapsulation port."""

    def __init__(self, run: Run) -> None:
        family = socket.AF_INET6 if run.family == "ipv6" else socket.AF_INET
        self.host = run.host
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.bind((run.host, 0))
        run._held.append(self)

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def send(self, packet: bytes, encaps_port: int) -> None:
        self._sock.sendto(packet, (self.host, encaps_port))

    def replies(self, until, timeout: float = WAIT) -> list[tuple[int, SctpPacket]]:
        """Every reply (its UDP source port and the packet) until ``until(replies)`` holds or
        the time is up."""
        got: list[tuple[int, SctpPacket]] = []
        deadline = time.monotonic() + timeout
        while not until(got):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._sock.settimeout(left)
            try:
                data, source = self._sock.recvfrom(65535)
            except TimeoutError:
                break
            packet = parse_sctp(data, source[0], self.host)
            if packet is not None:
                got.append((source[1], packet))
        return got

    def close(self) -> None:
        self._sock.close()
