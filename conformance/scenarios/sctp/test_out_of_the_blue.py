"""Packets the suite crafts that a stack must not take for its association's: out of the blue
(no association), with the wrong verification tag, with a tampered State Cookie. Sent inside
UDP to the target's stack (RFC 6951); the answers are seen on the suite's own UDP socket."""

import struct
import threading

from conformance.scenario import behaviour
from fixtures.sctp_relay import SctpRelay
from fixtures.wire_sctp import parse_sctp, with_checksum

from .steps import (
    WAIT,
    UdpPeer,
    accept,
    connect,
    init_packet,
    listen,
    listener_encaps_port,
    recv_outcome,
    send,
)

OOTB_TAG, ABORT_TAG = 0x0B0B0B0B, 0x0A0A0A0A
TAG_A, TAG_B = 0x7A7A0001, 0x7B7B0002


def packet(source_port: int, destination_port: int, tag: int, chunk_type: int, flags: int, body: bytes) -> bytes:
    chunk = struct.pack("!BBH", chunk_type, flags, 4 + len(body)) + body
    chunk += b"\0" * (-len(chunk) % 4)
    return with_checksum(struct.pack("!HHII", source_port, destination_port, tag, 0) + chunk)


def data_packet(source_port: int, destination_port: int, tag: int, tsn: int, ssn: int, payload: bytes) -> bytes:
    """One DATA chunk (RFC 9260 §3.3.1), stream 0, B and E bits set (a whole message)."""
    return packet(source_port, destination_port, tag, 0, 0x03, struct.pack("!IHHI", tsn, 0, ssn, 0) + payload)


def shown(message) -> str:
    if isinstance(message, str):
        return message
    return "EOF" if not message.data else message.data.decode("latin-1")


@behaviour("SCTP-025", seats=("server",))
def test_ootb_data_is_answered_with_abort(run):
    listener = listen(run, run.server)
    encaps = listener_encaps_port(listener)
    peer = UdpPeer(run)
    peer.send(data_packet(peer.port, listener.local.port, OOTB_TAG, 1, 0, b"out of the blue"), encaps)
    replies = peer.replies(lambda got: bool(got))
    run.check("chunks answering a DATA chunk out of the blue", [kind for _, p in replies for kind in p.kinds],
              equals=["ABORT"])
    run.check("the answer's verification tag and T bit",
              [f"{'the DATA packet' if p.verification_tag == OOTB_TAG else 'another'} tag, "
               f"{'T bit set' if 'T' in chunk.flag_names() else 'T bit clear'}"
               for _, p in replies for chunk in p.chunks if chunk.kind == "ABORT"],
              equals=["the DATA packet tag, T bit set"])


@behaviour("SCTP-026", seats=("server",))
def test_ootb_abort_is_discarded(run):
    listener = listen(run, run.server)
    encaps = listener_encaps_port(listener)
    peer = UdpPeer(run)
    # The same UDP socket, the same stack: the ABORT is handled before the DATA, whose answer
    # (if the stack answers it at all) marks that the ABORT's would have come by then.
    peer.send(packet(peer.port, listener.local.port, ABORT_TAG, 6, 0, b""), encaps)
    peer.send(data_packet(peer.port, listener.local.port, OOTB_TAG, 1, 0, b"out of the blue"), encaps)
    replies = peer.replies(lambda got: any(p.verification_tag == OOTB_TAG for _, p in got))
    run.check("chunks answering an ABORT out of the blue",
              [kind for _, p in replies if p.verification_tag != OOTB_TAG for kind in p.kinds], equals=[])


class Tap:
    """What passes the relay: each packet's direction, tag and chunks, in order."""

    def __init__(self) -> None:
        self.packets: list[tuple[str, int, list]] = []
        self._lock = threading.Lock()

    def decide(self, direction: str, data: bytes) -> list[bytes]:
        packet = parse_sctp(data, "", "")
        if packet is not None:
            with self._lock:
                self.packets.append((direction, packet.verification_tag, list(packet.chunks)))
        return [data]

    def seen(self) -> list[tuple[str, int, list]]:
        with self._lock:
            return list(self.packets)


@behaviour("SCTP-027", seats=("client",))
def test_wrong_verification_tag_is_discarded(run):
    """The target (the client) receives, through the suite's relay, a DATA chunk with the next
    TSN and SSN of its association, the right ports, the wrong tag: as if the server sent it."""
    listener = listen(run, run.server)
    tap = Tap()
    relay = SctpRelay(run.host, listener_encaps_port(listener), tap.decide)
    run._held.append(relay)
    client = connect(run, run.client, listener.local, relay.port)
    server = accept(run.server, listener)
    send(run.server, server, b"first")
    recv_outcome(run.client, client)
    first = next(((tag, chunk) for direction, tag, chunks_ in tap.seen() if direction == "out"
                  for chunk in chunks_ if chunk.kind == "DATA" and chunk.fields["payload"] == b"first"), None)
    mark = len(tap.seen())
    if first is not None:
        tag, chunk = first
        relay.inject(data_packet(server.local.port, client.local.port, tag ^ 0xFFFFFFFF,
                                 (chunk.fields["tsn"] + 1) & 0xFFFFFFFF, (chunk.fields["ssn"] + 1) & 0xFFFF,
                                 b"forged"))
    send(run.server, server, b"second")
    got = shown(recv_outcome(run.client, client))
    run.check("what the client reads next: the server's message, or the one with the wrong tag",
              got if first is not None else "the first DATA chunk was never seen", equals="second")
    run.eventually(lambda: any(direction == "in" and any(c.kind == "SACK" for c in chunks_)
                               for direction, _, chunks_ in tap.seen()[mark:]), WAIT)
    before = [tag for direction, tag, _ in tap.seen()[:mark] if direction == "in"]
    own = before[-1] if before else None  # the tag the client's packets to the server carry
    run.check("chunks the client sent after the packet with the wrong tag, other than SACKs with its usual tag",
              [chunk.kind for direction, tag, chunks_ in tap.seen()[mark:] if direction == "in"
               for chunk in chunks_ if chunk.kind != "SACK" or tag != own],
              equals=[])


@behaviour("SCTP-028", seats=("server",))
def test_tampered_cookie_is_discarded(run):
    listener = listen(run, run.server)
    encaps = listener_encaps_port(listener)
    tampered_peer, intact_peer = UdpPeer(run), UdpPeer(run)
    ports = {TAG_A: 40000 + TAG_A % 9000, TAG_B: 40000 + TAG_B % 9000}  # SCTP ports of the two attempts
    tampered_peer.send(init_packet(ports[TAG_A], listener.local.port, TAG_A), encaps)
    intact_peer.send(init_packet(ports[TAG_B], listener.local.port, TAG_B), encaps)

    def init_ack(peer, tag):
        replies = peer.replies(lambda got: any("INIT-ACK" in p.kinds for _, p in got))
        return next((c for _, p in replies if p.verification_tag == tag for c in p.chunks if c.kind == "INIT-ACK"),
                    None)
    acks = {TAG_A: init_ack(tampered_peer, TAG_A), TAG_B: init_ack(intact_peer, TAG_B)}
    if all(ack is not None and ack.fields.get("cookie") for ack in acks.values()):
        cookie = bytearray(acks[TAG_A].fields["cookie"])
        cookie[len(cookie) // 2] ^= 0x01
        tampered_peer.send(packet(ports[TAG_A], listener.local.port, acks[TAG_A].fields["initiate_tag"], 10, 0,
                                  bytes(cookie)), encaps)
        intact_peer.send(packet(ports[TAG_B], listener.local.port, acks[TAG_B].fields["initiate_tag"], 10, 0,
                                acks[TAG_B].fields["cookie"]), encaps)
        intact = [k for _, p in intact_peer.replies(lambda got: any(p.verification_tag == TAG_B for _, p in got))
                  if p.verification_tag == TAG_B for k in p.kinds]
        tampered = [k for _, p in tampered_peer.replies(lambda _: False, timeout=1.0) for k in p.kinds]
    else:
        intact = tampered = ["no INIT-ACK with a State Cookie"]
    run.check("chunks answering the COOKIE-ECHO with the cookie as sent", intact, equals=["COOKIE-ACK"])
    run.check("chunks answering the COOKIE-ECHO with a cookie changed in one byte", tampered, equals=[])
