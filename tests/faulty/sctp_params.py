"""Faulty targets of SCTP-018..029 (protocol 1.8 association parameters, loss and recovery,
packets out of the blue): each breaks one thing an SCTP stack or its binding could get wrong.

Where the fault is the stack's own (what it answers on the wire), the faulty target puts the
suite's UDP relay (fixtures/sctp_relay.py) in front of its usrsctp stack and reports the
relay's port as the listener's encapsulation port: the relay then plays a stack that answers,
accepts or changes what a correct one would not.
"""

from __future__ import annotations

import struct
import threading

from fixtures.sctp_relay import SctpRelay, chunk_spans, with_tag
from fixtures.wire_sctp import with_checksum
from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes

from .sctp import ListenDoesNotListen

# -- the API ------------------------------------------------------------------------------------


class ConnectIgnoresStreams(ReferenceAdapter):
    """sctp.connect ignores `streams`: the stack's defaults are offered."""
    def op_sctp_connect(self, args):
        raw = {key: value for key, value in args.raw.items() if key != "streams"}
        return super().op_sctp_connect(type(args)(raw))


class SendBeyondStreamsOnZero(ReferenceAdapter):
    """sctp.send sends a message for a stream the association does not have on stream 0."""
    def op_sctp_send(self, args):
        try:
            return super().op_sctp_send(args)
        except OpError as exc:
            if exc.code != "EINVAL":
                raise
            return super().op_sctp_send(args.changed(stream=0))


class SendFailsAfterSending(ReferenceAdapter):
    """sctp.send answers EINVAL for a stream the association does not have, but has sent the
    message on stream 0 first."""
    def op_sctp_send(self, args):
        try:
            return super().op_sctp_send(args)
        except OpError as exc:
            if exc.code != "EINVAL":
                raise
            super().op_sctp_send(args.changed(stream=0))
            raise


class StatusSaysCookieEchoed(ReferenceAdapter):
    """sctp.status names an established association "cookie-echoed" (a state table off by one)."""
    def op_sctp_status(self, args):
        result = super().op_sctp_status(args)
        return {**result, "state": "cookie-echoed" if result["state"] == "established" else result["state"]}


class StatusPrimaryIsLocal(ReferenceAdapter):
    """sctp.status reports the socket's own address as the primary path."""
    def op_sctp_status(self, args):
        result = super().op_sctp_status(args)
        local = self._sctp(args).local()
        return {**result, "primary": {"host": local[0], "port": local[1]}}


class StatusRwndInKiB(ReferenceAdapter):
    """sctp.status reports the peer's window in KiB, not bytes."""
    def op_sctp_status(self, args):
        result = super().op_sctp_status(args)
        return {**result, "peer_rwnd": result["peer_rwnd"] // 1024}


class HbIntervalIgnored(ReferenceAdapter):
    """opt.set sctp_hbinterval does nothing (the stack keeps its 30 s default)."""
    def op_opt_set(self, args):
        if args.get("name", str) == "sctp_hbinterval":
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class HbDisableIgnored(ReferenceAdapter):
    """opt.set sctp_hbinterval null does nothing: heartbeats cannot be turned off."""
    def op_opt_set(self, args):
        if args.get("name", str) == "sctp_hbinterval" and args.raw.get("value") is None:
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class NodelayIgnored(ReferenceAdapter):
    """opt.set sctp_nodelay does nothing."""
    def op_opt_set(self, args):
        if args.get("name", str) == "sctp_nodelay":
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class RecvRepeatsFirst(ReferenceAdapter):
    """sctp.recv hands the first message of an association over twice."""
    def __init__(self):
        super().__init__()
        self._first: dict[int, dict | None] = {}

    def op_sctp_recv(self, args):
        handle = args.get("handle", int)
        if self._first.get(handle):
            first, self._first[handle] = self._first[handle], None
            return first
        result = super().op_sctp_recv(args)
        if handle not in self._first and decode_bytes(result["data"]):
            self._first[handle] = result
        return result


class RecvHoldsOtherStreamsBehindStreamZero(ReferenceAdapter):
    """sctp.recv hands over an association's messages on other streams only after its first
    stream 0 message: one queue for every stream, head-of-line blocking across streams."""
    def __init__(self):
        super().__init__()
        self._held: dict[int, list] = {}
        self._zero_seen: set[int] = set()

    def op_sctp_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._zero_seen:
            held = self._held.get(handle)
            return held.pop(0) if held else super().op_sctp_recv(args)
        while True:
            result = super().op_sctp_recv(args)  # ends with the recv's ETIMEDOUT if stream 0 stays empty
            if result["stream"] == 0 or not decode_bytes(result["data"]):
                self._zero_seen.add(handle)
                return result
            self._held.setdefault(handle, []).append(result)


# -- the stack's answers, played by a relay in front of it ---------------------------------------


class _Relayed(ReferenceAdapter):
    """sctp.listen reports a relay in front of the stack as the encapsulation port."""
    def __init__(self):
        super().__init__()
        self._relays: list[SctpRelay] = []
        self._lock = threading.Lock()

    def decide(self, direction: str, data: bytes) -> list[bytes]:
        return [data]

    def answer(self, direction: str, data: bytes) -> bytes | None:
        return None

    def op_sctp_listen(self, args):
        result = super().op_sctp_listen(args)
        relay = SctpRelay(args.get("host", str), result["encaps_port"], self.decide, self.answer)
        self._relays.append(relay)
        return {**result, "encaps_port": relay.port}

    def close_all(self):
        relays, self._relays = self._relays, []
        for relay in relays:
            relay.close()
        super().close_all()


def _kinds(data: bytes) -> list[int]:
    return [kind for kind, _, _, _ in chunk_spans(data)]


def _abort_reflecting(data: bytes) -> bytes:
    """An ABORT (T bit set) answering ``data``, its ports swapped and its tag reflected."""
    source, destination, tag = struct.unpack_from("!HHI", data)
    return with_checksum(struct.pack("!HHII", destination, source, tag, 0) + struct.pack("!BBH", 6, 1, 4))


class StackIgnoresOotb(_Relayed):
    """The stack answers nothing out of the blue (its ABORTs never leave)."""
    def decide(self, direction, data):
        return [] if direction == "out" and 6 in _kinds(data) else [data]


class StackOotbAbortWithoutT(_Relayed):
    """The stack's ABORTs have the T bit clear, even when it reflects the tag."""
    def decide(self, direction, data):
        if direction != "out" or 6 not in _kinds(data):
            return [data]
        out = bytearray(data)
        for kind, _, start, _ in chunk_spans(data):
            if kind == 6:
                out[start + 1] &= 0xFE
        return [with_checksum(bytes(out))]


class StackAnswersOotbAbort(_Relayed):
    """The stack answers an ABORT out of the blue with an ABORT of its own (RFC 9260 §8.4
    item 2 forbids it: two such stacks would abort each other forever)."""
    def answer(self, direction, data):
        return _abort_reflecting(data) if direction == "in" and len(data) >= 16 and _kinds(data) == [6] else None


class _TagAware(_Relayed):
    """Knows each association's right tag: the initiate tag of the INIT-ACK the stack sent to
    that SCTP port (and the State Cookie it carried)."""
    def __init__(self):
        super().__init__()
        self.tags: dict[int, int] = {}
        self.cookies: dict[int, bytes] = {}

    def learn(self, data: bytes) -> None:
        from fixtures.wire_sctp import parse_sctp
        packet = parse_sctp(data, "", "")
        for chunk in packet.chunks if packet else ():
            if chunk.kind == "INIT-ACK":
                self.tags[packet.destination.port] = chunk.fields["initiate_tag"]
                if chunk.fields.get("cookie"):
                    self.cookies[packet.destination.port] = chunk.fields["cookie"]


class _RelayedClient(ReferenceAdapter):
    """sctp.connect goes through a relay in front of the client's own stack: what comes from
    the peer passes it in the direction "out"."""
    def __init__(self):
        super().__init__()
        self._relays: list[SctpRelay] = []
        self.own_tag: int | None = None  # the tag the client's INIT asked its peer to use

    def decide(self, direction: str, data: bytes) -> list[bytes]:
        if direction == "in" and 1 in _kinds(data) and len(data) >= 20:
            self.own_tag = struct.unpack_from("!I", data, 16)[0]  # the INIT's initiate tag
        return [data]

    def answer(self, direction: str, data: bytes) -> bytes | None:
        return None

    def wrong_tag(self, direction: str, data: bytes) -> bool:
        """A packet from the peer whose tag is not the association's (INIT and ABORT aside)."""
        kinds = _kinds(data)
        return direction == "out" and self.own_tag is not None and 1 not in kinds and 6 not in kinds \
            and struct.unpack_from("!I", data, 4)[0] != self.own_tag

    def op_sctp_connect(self, args):
        relay = SctpRelay(args.get("host", str), args.get("encaps_port", int), self.decide, self.answer)
        self._relays.append(relay)
        return super().op_sctp_connect(args.changed(encaps_port=relay.port))

    def close_all(self):
        relays, self._relays = self._relays, []
        for relay in relays:
            relay.close()
        super().close_all()


class StackSkipsTagCheck(_RelayedClient):
    """The stack takes a packet with the wrong verification tag for its association's (the
    relay puts the right one in)."""
    def decide(self, direction, data):
        super().decide(direction, data)
        return [with_tag(data, self.own_tag)] if self.wrong_tag(direction, data) else [data]


class StackAbortsWrongTag(_RelayedClient):
    """The stack answers a packet with the wrong verification tag with ABORT (and drops it)."""
    def decide(self, direction, data):
        super().decide(direction, data)
        return [] if self.wrong_tag(direction, data) else [data]

    def answer(self, direction, data):
        return _abort_reflecting(data) if self.wrong_tag(direction, data) else None


class StackSkipsCookieMac(_TagAware):
    """The stack takes a tampered State Cookie (the relay puts the one it sent back)."""
    def decide(self, direction, data):
        if direction == "out":
            self.learn(data)
            return [data]
        source = struct.unpack_from("!H", data)[0]
        cookie = self.cookies.get(source)
        if cookie is None or 10 not in _kinds(data):
            return [data]
        out = data[:12]
        for kind, flags, start, end in chunk_spans(data):
            out += struct.pack("!BBH", 10, flags, 4 + len(cookie)) + cookie + b"\0" * (-len(cookie) % 4) \
                if kind == 10 else data[start:end]
        return [with_checksum(out)]


class StackChangesHeartbeatInfo(_Relayed):
    """The stack's HEARTBEAT-ACKs do not carry back the HEARTBEAT's information unchanged."""
    def decide(self, direction, data):
        if direction != "out" or 5 not in _kinds(data):
            return [data]
        out = bytearray(data)
        for kind, _, start, end in chunk_spans(data):
            if kind == 5 and end - start > 8:
                out[start + 8] ^= 0xFF  # the first byte of the Heartbeat Information's value
        return [with_checksum(bytes(out))]


PROOFS: dict[str, dict] = {
    "SCTP-018": {"negotiated streams, as each end's status reports them": ConnectIgnoresStreams},
    "SCTP-019": {
        "sends on streams #, # and # of an association with # outbound streams": SendBeyondStreamsOnZero,
        "what the server receives, up to the message sent after them": SendFailsAfterSending,
    },
    "SCTP-020": {
        "each end's state": StatusSaysCookieEchoed,
        "each end's primary path": StatusPrimaryIsLocal,
        "each end's peer_rwnd against the a_rwnd its peer advertised at setup (nothing sent since)": StatusRwndInKiB,
    },
    "SCTP-021": {
        "HEARTBEATs each end sent within # s of an interval of # ms (at least two)": HbIntervalIgnored,
        "the HEARTBEAT-ACKs each end's HEARTBEATs got back": StackChangesHeartbeatInfo,
    },
    "SCTP-022": {
        "HEARTBEATs each end sent in the # s from #.# s after heartbeats were turned off": HbDisableIgnored,
    },
    "SCTP-023": {
        "stream #'s DATA chunk at the relay, and what the server reads while it is held back and after":
            RecvHoldsOtherStreamsBehindStreamZero,
    },
    "SCTP-024": {
        "the first message's DATA chunk at the relay (its retransmission passed twice), and the server's reads":
            RecvRepeatsFirst,
    },
    "SCTP-025": {
        "chunks answering a DATA chunk out of the blue": StackIgnoresOotb,
        "the answer's verification tag and T bit": StackOotbAbortWithoutT,
    },
    "SCTP-026": {"chunks answering an ABORT out of the blue": StackAnswersOotbAbort},
    "SCTP-027": {
        "what the client reads next: the server's message, or the one with the wrong tag": StackSkipsTagCheck,
        "chunks the client sent after the packet with the wrong tag, other than SACKs with its usual tag":
            StackAbortsWrongTag,
    },
    "SCTP-028": {
        "chunks answering the COOKIE-ECHO with the cookie as sent": ListenDoesNotListen,
        "chunks answering the COOKIE-ECHO with a cookie changed in one byte": StackSkipsCookieMac,
    },
    "SCTP-029": {
        "sctp_hbinterval read back after setting #, null, #": HbDisableIgnored,
        "sctp_nodelay read back after setting true, false": NodelayIgnored,
    },
}
