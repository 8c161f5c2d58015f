"""Faulty targets for more options seen on the wire (TCP-WIRE-013..016: Nagle, cork, the user
timeout behind a closed window and on a cut path): PROOFS maps each check to its fault."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError
from reference_impl.protocol import encode_bytes

from .common import PROGRAMS
from .options15 import option_ignored

UserTimeoutIgnored = option_ignored("user_timeout")  # by name: the program below can serve it


@dataclass(frozen=True)
class WireFault:
    """A fault of this module as a program target, for behaviours that run the target's netns twin."""
    name: str

    def target_spec(self) -> str:
        return f"bad-{self.name}=cmd:{sys.executable} {PROGRAMS / 'fault_adapter.py'} more_wire {self.name}"


class NodelayOnEveryStream(ReferenceAdapter):
    """Every new stream socket (and what it accepts) has nodelay on: Nagle never holds a send."""
    def _new_socket(self, family, kind, options):
        sock = super()._new_socket(family, kind, options)
        if sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class CorkedSendsTwice(ReferenceAdapter):
    """A send made while corked hands its bytes to the socket twice."""
    def op_stream_send(self, args):
        sock = self._socket(args)
        result = super().op_stream_send(args)
        if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK):
            sock.send(args.data())
        return result


class TimedOutReadsAsEnd(ReferenceAdapter):
    """A connection the system ended with ETIMEDOUT reads as an orderly end of stream."""
    def op_stream_recv(self, args):
        try:
            return super().op_stream_recv(args)
        except OpError as exc:
            if exc.code == "ETIMEDOUT":
                return {"data": encode_bytes(b"")}
            raise


class FullAtOnce(ReferenceAdapter):
    """A send without waiting answers EAGAIN at once, without sending anything."""
    def op_stream_send(self, args):
        if args.timeout() == 0:
            self._socket(args)
            raise OpError("EAGAIN", "send: the socket takes nothing (fault)")
        return super().op_stream_send(args)


PROOFS: dict[str, dict] = {
    "TCP-WIRE-013": {
        "data segments of five #-byte sends, the last four made before the first was acknowledged":
            NodelayOnEveryStream},
    "TCP-WIRE-014": {
        "data segments sent while corked (five small sends)": option_ignored("cork"),
        "data segments of the five sends once uncorked": CorkedSendsTwice},
    "TCP-WIRE-015": {
        "what a receive answers while the connection waits behind the closed window (user_timeout # ms, "
        "the receive's own deadline # s)": TimedOutReadsAsEnd,
        "the window the peer advertised last (it never reads)": FullAtOnce,
        "what a send answers afterwards (timeout #)": UserTimeoutIgnored},
    "TCP-WIRE-016": {
        "what a receive answers once the sent data stays unacknowledged (user_timeout # ms, the receive's own "
        "deadline # s)": WireFault("TimedOutReadsAsEnd"),
        "what a send answers afterwards (timeout #)": WireFault("UserTimeoutIgnored")},
}
