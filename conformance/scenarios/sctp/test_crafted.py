"""SCTP packets the suite crafts itself and sends inside UDP to the target's stack (RFC 6951):
what the stack answers, seen on the suite's own UDP socket."""

from conformance.scenario import behaviour

from .steps import UdpPeer, init_packet, listen, listener_encaps_port

BAD_TAG, GOOD_TAG = 0x0BAD0BAD, 0x600D600D


def answers(replies, tag: int) -> list[str]:
    return [chunk.kind for _, packet in replies if packet.verification_tag == tag for chunk in packet.chunks]


@behaviour("SCTP-015", seats=("server",))
def test_bad_crc32c_is_dropped(run):
    listener = listen(run, run.server)
    encaps = listener_encaps_port(listener)
    peer = UdpPeer(run)
    # The same UDP socket, the same stack's port: the bad INIT is handled before the good one.
    peer.send(init_packet(peer.port, listener.local.port, BAD_TAG, bad_checksum=True), encaps)
    peer.send(init_packet(peer.port, listener.local.port, GOOD_TAG), encaps)
    replies = peer.replies(lambda got: bool(answers(got, GOOD_TAG)))
    run.check("chunks answering the INIT with a bad CRC32c", answers(replies, BAD_TAG), equals=[])
    run.check("chunks answering the same INIT with the right CRC32c", answers(replies, GOOD_TAG),
              equals=["INIT-ACK"])


@behaviour("SCTP-016", seats=("server",))
def test_replies_go_to_the_sending_udp_port(run):
    listener = listen(run, run.server)
    encaps = listener_encaps_port(listener)
    peer = UdpPeer(run)
    peer.send(init_packet(peer.port, listener.local.port, GOOD_TAG), encaps)
    replies = peer.replies(lambda got: bool(answers(got, GOOD_TAG)))
    run.check("the reply to an INIT from the suite's UDP port",
              [f"{', '.join(packet.kinds)} from "
               f"{'the encapsulation port' if source == encaps else 'another port'}, checksum "
               f"{'right' if packet.checksum_ok else 'wrong'}"
               for source, packet in replies if packet.verification_tag == GOOD_TAG],
              equals=["INIT-ACK from the encapsulation port, checksum right"])
