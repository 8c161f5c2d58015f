"""Faulty targets of SCTP (SCTP-*, protocol 1.6): each breaks one thing an SCTP stack or its
binding could get wrong, on top of the reference's SCTP (usrsctp in-process, or the kernel's)."""

from __future__ import annotations

import random
import socket
import struct

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import decode_bytes, encode_bytes
from reference_impl.sctp import usrsctp
from reference_impl.sctp.operations import _new

# -- addresses and data --------------------------------------------------------------------------


class ConnectPeerIsLocal(ReferenceAdapter):
    """sctp.connect reports the socket's own address as its peer."""
    def op_sctp_connect(self, args):
        result = super().op_sctp_connect(args)
        return {**result, "peer": result["local"]}


class AcceptPeerIsLocal(ReferenceAdapter):
    """sctp.accept reports the socket's own address as its peer."""
    def op_sctp_accept(self, args):
        result = super().op_sctp_accept(args)
        return {**result, "peer": result["local"]}


class SendDropsFirstByte(ReferenceAdapter):
    """sctp.send leaves out a message's first byte."""
    def op_sctp_send(self, args):
        return super().op_sctp_send(args.changed(data=encode_bytes(args.data()[1:] or b"?")))


class SendFlipsLastByte(ReferenceAdapter):
    """sctp.send corrupts a message's last byte (the size stays right)."""
    def op_sctp_send(self, args):
        data = args.data()
        return super().op_sctp_send(args.changed(data=encode_bytes(data[:-1] + bytes([data[-1] ^ 1]))))


class RecvDropsEor(ReferenceAdapter):
    """sctp.recv never reports the end of a message (MSG_EOR lost)."""
    def op_sctp_recv(self, args):
        result = super().op_sctp_recv(args)
        return {**result, "flags": [flag for flag in result["flags"] if flag != "eor"]}


class RecvSwapsFirstTwo(ReferenceAdapter):
    """sctp.recv hands the first two messages of an association over in the wrong order."""
    def __init__(self):
        super().__init__()
        self._held = {}

    def op_sctp_recv(self, args):
        handle = args.get("handle", int)
        if handle in self._held:
            return self._held.pop(handle) or super().op_sctp_recv(args)
        first = super().op_sctp_recv(args)
        self._held[handle] = first
        return super().op_sctp_recv(args)


class SendOnStreamZero(ReferenceAdapter):
    """sctp.send ignores the stream number: every message goes on stream 0."""
    def op_sctp_send(self, args):
        return super().op_sctp_send(args.changed(stream=0))


class SendPpidInHostOrder(ReferenceAdapter):
    """sctp.send passes the PPID without converting it to network order (a classic slip)."""
    def op_sctp_send(self, args):
        swapped = struct.unpack("<I", struct.pack(">I", args.get("ppid", int, 0)))[0]
        return super().op_sctp_send(args.changed(ppid=swapped))


class SendIgnoresUnordered(ReferenceAdapter):
    """sctp.send ignores `unordered`: every message is sent ordered."""
    def op_sctp_send(self, args):
        return super().op_sctp_send(args.changed(unordered=False))


class SendSplitsLargeMessages(ReferenceAdapter):
    """sctp.send sends a message over 4 KiB as two messages."""
    def op_sctp_send(self, args):
        data = args.data()
        if len(data) <= 4096:
            return super().op_sctp_send(args)
        first = super().op_sctp_send(args.changed(data=encode_bytes(data[:len(data) // 2])))["sent"]
        return {"sent": first + super().op_sctp_send(args.changed(data=encode_bytes(data[len(data) // 2:])))["sent"]}


class RecvLosesLastByteOfMessage(ReferenceAdapter):
    """sctp.recv drops the last byte of a read of more than 4 KiB that ends a message."""
    def op_sctp_recv(self, args):
        result = super().op_sctp_recv(args)
        data = decode_bytes(result["data"])
        if "eor" in result["flags"] and len(data) > 4096:
            return {**result, "data": encode_bytes(data[:-1])}
        return result


# -- teardown ---------------------------------------------------------------------------------------


class ShutdownAborts(ReferenceAdapter):
    """sctp.shutdown aborts the association (ABORT) and keeps the handle."""
    def op_sctp_shutdown(self, args):
        self._sctp(args).abort()
        return {}


class ShutdownIsNoop(ReferenceAdapter):
    """sctp.shutdown does nothing at all."""
    def op_sctp_shutdown(self, args):
        self._sctp(args)
        return {}


class AbortIsGraceful(ReferenceAdapter):
    """sctp.abort shuts the association down gracefully instead."""
    def op_sctp_abort(self, args):
        self.op_sctp_shutdown(args.changed(how="write"))
        return self.op_close(args)


class RecvResetAsEnd(ReferenceAdapter):
    """sctp.recv reports an aborted association as an orderly end."""
    def op_sctp_recv(self, args):
        try:
            return super().op_sctp_recv(args)
        except OpError as exc:
            if exc.code != "ECONNRESET":
                raise
            return {"data": "", "stream": 0, "ppid": 0, "flags": []}


class RecvEndAsReset(ReferenceAdapter):
    """sctp.recv reports the orderly end of an association as ECONNRESET."""
    def op_sctp_recv(self, args):
        result = super().op_sctp_recv(args)
        if result["data"] == "":
            raise OpError("ECONNRESET", "recv: reset")
        return result


class SendAfterEndSucceeds(ReferenceAdapter):
    """sctp.send on an association that is over pretends the message went."""
    def op_sctp_send(self, args):
        try:
            return super().op_sctp_send(args)
        except OpError:
            return {"sent": len(args.data())}


# -- setup ------------------------------------------------------------------------------------------


class ConnectRetriesRefused(ReferenceAdapter):
    """sctp.connect tries once more when the first setup is refused."""
    def op_sctp_connect(self, args):
        try:
            return super().op_sctp_connect(args)
        except OpError as exc:
            if exc.code != "ECONNREFUSED":
                raise
            return super().op_sctp_connect(args)


class ConnectRefusalAsTimeout(ReferenceAdapter):
    """sctp.connect reports a refused setup (ABORT) as a timeout."""
    def op_sctp_connect(self, args):
        try:
            return super().op_sctp_connect(args)
        except OpError as exc:
            if exc.code != "ECONNREFUSED":
                raise
            raise OpError("ETIMEDOUT", "connect: timed out") from None


class ConnectSetsUpTwice(ReferenceAdapter):
    """sctp.connect sets up an association, aborts it, and sets up another from the same port."""
    def op_sctp_connect(self, args):
        first = super().op_sctp_connect(args)
        self.op_sctp_abort(args.changed(handle=first["handle"]))
        return super().op_sctp_connect(args.changed(bind={**first["local"]}))


class ConnectForgesAnInitFirst(ReferenceAdapter):
    """sctp.connect first sends, from the port it will use, an INIT with a nonzero
    verification tag (which RFC 9260 §8.5.1 forbids) through its stack's UDP port."""
    def op_sctp_connect(self, args):
        from fixtures.wire_sctp import with_checksum
        port = random.Random().randrange(20000, 30000)
        init = struct.pack("!BBHIIHHI", 1, 0, 20, 0x1234, 65536, 10, 10, 1)
        packet = with_checksum(struct.pack("!HHII", port, args.get("port", int), 0x5555, 0) + init)
        family = socket.AF_INET6 if args.get("family", str) == "ipv6" else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.sendto(packet, (args.get("host", str), args.get("encaps_port", int)))
        return super().op_sctp_connect(args.changed(bind={"host": args.get("host", str), "port": port}))


class ListenDoesNotListen(ReferenceAdapter):
    """sctp.listen binds the socket but never listens on it."""
    def op_sctp_listen(self, args):
        from reference_impl.engine import family_of
        family = family_of(args)
        sock = _new(family)
        sock.bind(args.get("host", str), args.get("port", int, 0))
        return {"handle": self._register(sock), "local": {"host": sock.local()[0], "port": sock.local()[1]},
                "encaps_port": sock.encaps_port}


class StackSkipsCrcOnLoopback(ReferenceAdapter):
    """The stack neither checks nor computes CRC32c on loopback: usrsctp's own default
    (sysctl sctp_no_csum_on_loopback = 1), which the reference turns off."""
    def op_sctp_listen(self, args):
        lib = usrsctp.library()
        if lib is not None:
            lib.usrsctp_sysctl_set_sctp_no_csum_on_loopback(1)
        return super().op_sctp_listen(args)

    def close_all(self):
        lib = usrsctp.library()
        if lib is not None:
            lib.usrsctp_sysctl_set_sctp_no_csum_on_loopback(0)
        super().close_all()


class ListenReportsAnotherPort(ReferenceAdapter):
    """sctp.listen reports a UDP port its stack does not listen on as the encapsulation port."""
    def __init__(self):
        super().__init__()
        self._decoy = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self._decoy.bind(("::", 0))

    def op_sctp_listen(self, args):
        return {**super().op_sctp_listen(args), "encaps_port": self._decoy.getsockname()[1]}


PROOFS: dict[str, dict] = {
    "SCTP-001": {
        "the client's peer": ConnectPeerIsLocal,
        "the server's peer": AcceptPeerIsLocal,
        "the message to the server": SendDropsFirstByte,
        "the message to the client": SendDropsFirstByte,
    },
    "SCTP-002": {
        "verification tags and cookie of the setup": ConnectForgesAnInitFirst,
        "chunks of the association, by sender, each once": ConnectSetsUpTwice,
    },
    "SCTP-003": {
        "each read: its size and whether it ends a message": RecvDropsEor,
        "the bytes of the three reads": SendFlipsLastByte,
    },
    "SCTP-004": {"the messages in the order received": RecvSwapsFirstTwo},
    "SCTP-005": {"each message's stream as received": SendOnStreamZero},
    "SCTP-006": {"each message's payload protocol identifier as received": SendPpidInHostOrder},
    "SCTP-007": {"each message marked unordered or not, as received": SendIgnoresUnordered},
    "SCTP-008": {"each message's DATA chunk": SendIgnoresUnordered},
    "SCTP-009": {
        "B and E bits of the message's DATA chunks, in TSN order": SendSplitsLargeMessages,
        "the message as received": RecvLosesLastByteOfMessage,
    },
    "SCTP-010": {"what the server reads, to the end": ShutdownAborts},
    "SCTP-011": {
        "packets that carried ABORT": ShutdownAborts,
        "teardown chunks, by sender (each once)": ShutdownIsNoop,
    },
    "SCTP-012": {
        "what the server reads": RecvEndAsReset,
        "a send from the server after the client's shutdown": SendAfterEndSucceeds,
    },
    "SCTP-013": {
        "teardown chunks, by sender": AbortIsGraceful,
        "the server's receive": RecvResetAsEnd,
    },
    "SCTP-014": {
        "what answered each INIT to the port (by its initiate tag)": ConnectRetriesRefused,
        "the connect": ConnectRefusalAsTimeout,
    },
    "SCTP-015": {
        "chunks answering the INIT with a bad CRC32c": StackSkipsCrcOnLoopback,
        "chunks answering the same INIT with the right CRC32c": ListenDoesNotListen,
    },
    "SCTP-016": {"the reply to an INIT from the suite's UDP port": ListenReportsAnotherPort},
}


class RecvPeerIsLocal(ReferenceAdapter):
    """sctp.recv on a one-to-many socket names the socket's own address as the sender."""
    def op_sctp_recv(self, args):
        result = super().op_sctp_recv(args)
        if "peer" in result:
            sock = self._sctp(args)
            result["peer"] = {"host": sock.local()[0], "port": sock.local()[1]}
        return result


class SendToTheFirstPeer(ReferenceAdapter):
    """sctp.send on a one-to-many socket sends every message to the first peer it was given."""
    def __init__(self):
        super().__init__()
        self._first = {}

    def op_sctp_send(self, args):
        if args.get("to", dict, None) is not None:
            first = self._first.setdefault(args.get("handle", int), args.get("to", dict))
            return super().op_sctp_send(args.changed(to=first))
        return super().op_sctp_send(args)


PROOFS["SCTP-017"] = {
    "the peer each message came from, as the one-to-many socket reports it": RecvPeerIsLocal,
    "what each client receives": SendToTheFirstPeer,
}
