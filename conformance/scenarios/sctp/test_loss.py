"""Loss and recovery: the suite's UDP relay (fixtures/sctp_relay.py) sits on loopback between
the client's stack and the server's, and holds back the DATA chunk of one chosen message
(SCTP over UDP only: RFC 6951)."""

from __future__ import annotations

import threading

from conformance.scenario import behaviour
from fixtures.sctp_relay import SctpRelay, chunk_spans, data_chunk, without_chunks

from .steps import accept, connect, listen, listener_encaps_port, recv_outcome, send

RETRANSMITTED = 30.0  # seconds for a retransmission to arrive: RTO ≥ 1 s, doubled on each expiry


class Holdback:
    """Drops the DATA chunks that carry ``payload`` while ``holding``; counts what it did, by TSN.
    ``once``: stop holding after the first chunk dropped; ``twice``: pass a chunk let through
    twice (a duplicate, as a network may deliver one)."""

    def __init__(self, payload: bytes, *, once: bool = False, twice: bool = False) -> None:
        self.payload, self.once, self.twice = payload, once, twice
        self.holding = True
        self.seen: list[tuple[int, str]] = []  # (TSN, "held back" | "let through")
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            self.holding = False

    def _ours(self, kind: int, chunk: bytes) -> bool:
        fields = data_chunk(chunk) if kind == 0 else None
        return fields is not None and fields["payload"] == self.payload

    def decide(self, direction: str, data: bytes) -> list[bytes]:
        if direction != "in" or len(data) < 12:
            return [data]
        ours = [data_chunk(data[start:end]) for kind, _, start, end in chunk_spans(data)
                if self._ours(kind, data[start:end])]
        if not ours:
            return [data]
        with self._lock:
            holding = self.holding
            if holding and self.once:
                self.holding = False
            self.seen += [(fields["tsn"], "held back" if holding else "let through") for fields in ours]
        if holding:
            rest = without_chunks(data, self._ours)
            return [rest] if rest is not None else []
        return [data, data] if self.twice else [data]

    def story(self) -> str:
        """What happened to the message's DATA chunk: "held back, then let through with the same TSN"."""
        with self._lock:
            seen = list(self.seen)
        held = [tsn for tsn, action in seen if action == "held back"]
        passed = [tsn for tsn, action in seen if action == "let through"]
        if not held:
            return "never held back" if passed else "never seen"
        if not passed:
            return "held back, never let through"
        return "held back, then let through with the same TSN" if set(passed) == set(held) \
            else "held back, then let through with another TSN"


def relayed(run, holdback: Holdback):
    """A listener on the server, an association from the client through the relay."""
    listener = listen(run, run.server)
    relay = SctpRelay(run.host, listener_encaps_port(listener), holdback.decide)
    run._held.append(relay)
    client = connect(run, run.client, listener.local, relay.port)
    return client, accept(run.server, listener)


def shown(message) -> str:
    if isinstance(message, str):
        return message
    return "EOF" if not message.data else f"{message.data.decode('latin-1')} on stream {message.stream}"


@behaviour("SCTP-023", seats=("server",))
def test_loss_on_one_stream_does_not_hold_up_another(run):
    """The target receives; the sender is the reference, with SCTP_NODELAY on so that the
    stream 1 message leaves while stream 0's is unacknowledged (usrsctp's Nagle-like bundling
    would hold it back until then)."""
    holdback = Holdback(b"on stream zero")
    client, server = relayed(run, holdback)
    run.client.call("opt.set", handle=client.handle, name="sctp_nodelay", value=True)
    send(run.client, client, b"on stream zero", stream=0)
    send(run.client, client, b"on stream one", stream=1)
    while_held = shown(recv_outcome(run.server, server))
    holdback.release()
    after = shown(recv_outcome(run.server, server, timeout=RETRANSMITTED))
    run.check("stream 0's DATA chunk at the relay, and what the server reads while it is held back and after",
              {"stream 0's DATA chunk": holdback.story(), "while held back": while_held, "after": after},
              equals={"stream 0's DATA chunk": "held back, then let through with the same TSN",
                      "while held back": "on stream one on stream 1", "after": "on stream zero on stream 0"})


@behaviour("SCTP-024")
def test_lost_data_is_retransmitted_and_delivered_once(run):
    holdback = Holdback(b"first", once=True, twice=True)
    client, server = relayed(run, holdback)
    sent = ("first", "second", "third")
    for text in sent:
        send(run.client, client, text.encode(), stream=0)
    reads = [shown(recv_outcome(run.server, server, timeout=RETRANSMITTED)) for _ in sent]
    send(run.client, client, b"end", stream=0)  # a duplicate "first" would be read before it
    reads.append(shown(recv_outcome(run.server, server)))
    run.check("the first message's DATA chunk at the relay (its retransmission passed twice), and the server's reads",
              {"first message's DATA chunk": holdback.story(), "reads": reads},
              equals={"first message's DATA chunk": "held back, then let through with the same TSN",
                      "reads": [f"{text} on stream 0" for text in (*sent, "end")]})
