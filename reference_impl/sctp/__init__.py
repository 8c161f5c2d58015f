"""SCTP for the reference (protocol 1.6, docs/protocol.md "SCTP (1.6)").

Where the kernel has SCTP the reference uses it through the stdlib ``socket`` module
(``kernel``); where it does not, usrsctp through ``ctypes`` with UDP encapsulation on
loopback (``usrsctp``, ``sockets``). ``operations`` is the engine's glue.
"""

from __future__ import annotations

import functools

from . import kernel, usrsctp


@functools.lru_cache(maxsize=1)
def stack_name() -> str | None:
    """"kernel", "usrsctp", or None where this host has no SCTP at all."""
    if kernel.available():
        return "kernel"
    if usrsctp.library() is not None:
        return "usrsctp"
    return None


UNAVAILABLE = f"no SCTP: the kernel has none and usrsctp is not installed (Debian: {usrsctp.PACKAGE})"
