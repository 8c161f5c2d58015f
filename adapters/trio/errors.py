"""Error names: what trio raises, turned into the protocol's POSIX errno names (§2.2).

The way a trio program meets a failure:
- ``OSError`` with ``errno``, from trio.socket (the kernel's errno, unchanged);
- ``trio.BrokenResourceError`` from a SocketStream, whose ``__cause__`` is that OSError;
- ``OSError`` without errno from ``open_tcp_stream`` ("all attempts to connect ... failed"),
  whose ``__cause__`` is an ExceptionGroup of each attempt's OSError (the kernel's errno), or,
  when its ``local_address`` bind failed, whose suppressed ``__context__`` is the bind's;
- ``trio.ClosedResourceError``: the resource was closed (or shut down) by this program, no
  errno at all.
An errno the adapter finds behind trio's own exception is the kernel's and not marked; a name
the adapter has to choose (trio gave none) is answered with ``"supplied": true``.
"""

from __future__ import annotations

import errno

import trio

_CANONICAL = {"EWOULDBLOCK": "EAGAIN", "ENOTSUP": "EOPNOTSUPP", "EDEADLOCK": "EDEADLK"}


class OpError(Exception):
    def __init__(self, code: str, message: str, supplied: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.supplied = code, message, supplied


def supply(code: str, message: str) -> OpError:
    """A name the adapter chose: trio reported no errno (protocol 1.3)."""
    return OpError(code, message, supplied=True)


def errno_name(number: int) -> str:
    name = errno.errorcode.get(number, f"ERRNO{number}")
    return _CANONICAL.get(name, name)


def _errno_behind(exc: BaseException | None, depth: int = 0) -> int | None:
    """The first errno in an exception, its cause/context chain, or a group's members."""
    if exc is None or depth > 6:
        return None
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    if isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            found = _errno_behind(member, depth + 1)
            if found:
                return found
    return _errno_behind(exc.__cause__ or exc.__context__, depth + 1)


def translate(exc: BaseException, context: str) -> OpError:
    """The protocol error for an exception trio (or trio.socket) raised."""
    number = _errno_behind(exc)
    if number:
        return OpError(errno_name(number), f"{context}: {type(exc).__name__}: {exc}")
    if isinstance(exc, trio.ClosedResourceError):
        # trio refuses before any system call: this program closed it (or sent EOF)
        return supply("EBADF", f"{context}: trio.ClosedResourceError: {exc}")
    if isinstance(exc, trio.BrokenResourceError):
        return supply("ECONNRESET", f"{context}: trio.BrokenResourceError without an OSError cause: {exc}")
    if isinstance(exc, TimeoutError):
        return supply("ETIMEDOUT", f"{context}: {exc}")
    return supply("EINVAL", f"{context}: {type(exc).__name__}: {exc}")


# What an operation may raise that translate() names.
FAILURES = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)
