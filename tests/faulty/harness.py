"""Targets that are not socket faults: allowed variants, and adapters that fail as programs."""

from __future__ import annotations

import threading

from reference_impl.engine import ReferenceAdapter
from reference_impl.errors import OpError

from .common import _connected

# -- allowed variants: different from the reference, but within the rules --------------------

class PosixUnconnectedSend(ReferenceAdapter):
    """send() on an unconnected socket fails with POSIX's ENOTCONN instead of Linux's EPIPE."""
    def op_stream_send(self, args):
        if not _connected(self._socket(args)):
            raise OpError("ENOTCONN", "send: not connected")
        return super().op_stream_send(args)


# -- adapters that fail as programs, not as sockets ---------------------------------------------

class HangsOnAccept(ReferenceAdapter):
    """Never answers tcp.accept (an in-process target that hangs)."""
    def op_tcp_accept(self, args):
        threading.Event().wait()
