"""Errors: the protocol's error codes and Python's OSErrors turned into POSIX errno names."""

from __future__ import annotations

import errno

# Where two errno names share a value, the protocol names one of them (docs/protocol.md §2.2).
_CANONICAL = {"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}


class OpError(Exception):
    """An operation failed with a protocol error code (an errno name, UNSUPPORTED, ...)."""

    def __init__(self, code: str, message: str = "", supplied: bool = False) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message or code
        self.supplied = supplied  # the adapter chose the name: asyncio gave no errno (1.3, §2.2)


def supply(code: str, message: str) -> OpError:
    """An errno name the adapter chose itself, answered with ``"supplied": true``."""
    return OpError(code, message, supplied=True)


def errno_name(number: int) -> str:
    name = errno.errorcode.get(number, f"ERRNO{number}")
    return _CANONICAL.get(name, name)


def from_oserror(exc: OSError, context: str) -> OpError:
    """The errno name behind an OSError. asyncio raises a few OSErrors of its own without an
    errno: "Connection lost" (ConnectionResetError) and a closed pipe (BrokenPipeError) are
    named after their class, anything else is EINVAL; each of those names is supplied."""
    if exc.errno:
        return OpError(errno_name(exc.errno), f"{context}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionResetError):
        return supply("ECONNRESET", f"{context}: {exc} (no errno)")
    if isinstance(exc, BrokenPipeError):
        return supply("EPIPE", f"{context}: {exc} (no errno)")
    if isinstance(exc, TimeoutError):
        return supply("ETIMEDOUT", f"{context}: timed out (no errno)")
    return supply("EINVAL", f"{context}: {exc} (no errno)")
