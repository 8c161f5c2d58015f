"""Canonical error names, shared by every adapter (see docs/protocol.md §2.2)."""

from __future__ import annotations

import errno

# Codes that are not errno names but part of the protocol.
UNSUPPORTED = "UNSUPPORTED"
BADREQUEST = "BADREQUEST"

# Where two errno names share a value, the protocol names one of them.
_CANONICAL = {"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}


class OpError(Exception):
    """An operation failed with a canonical error code (an errno name or a protocol code)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message or code


def errno_name(number: int) -> str:
    name = errno.errorcode.get(number, f"ERRNO{number}")
    return _CANONICAL.get(name, name)


def from_oserror(exc: OSError, context: str) -> OpError:
    """Translate an OSError into the protocol's canonical code.

    Python reports an expired socket timeout as TimeoutError without an errno; the
    protocol calls that ETIMEDOUT as well.
    """
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return OpError("ETIMEDOUT", f"{context}: timed out")
    if exc.errno is None:
        return OpError("EINVAL", f"{context}: {exc}")
    return OpError(errno_name(exc.errno), f"{context}: {exc.strerror}")
