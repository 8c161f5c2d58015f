"""Steps the Unix-domain scenarios share."""

from __future__ import annotations

import os
import stat
import string

from conformance.scenario import Run
from fixtures.endpoint import Endpoint, Socket, UnixAddr, UnixDatagram
from reference_impl.errors import UNSUPPORTED, OpError

FAMILIES = ("unix",)
NOTHING = "nothing"  # what a check records when no datagram or file was there


def file_type(address: UnixAddr) -> str:
    """What stat() says is at a path: "socket", "regular file", "directory", … or "nothing"."""
    try:
        mode = os.lstat(address.path).st_mode
    except FileNotFoundError:
        return NOTHING
    for test, name in ((stat.S_ISSOCK, "socket"), (stat.S_ISREG, "regular file"), (stat.S_ISDIR, "directory"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISLNK, "symbolic link")):
        if test(mode):
            return name
    return f"mode {oct(mode)}"


def host_listing(run: Run, address: UnixAddr) -> str:
    """How the host lists a socket bound to ``address`` (Linux /proc/net/unix): "@name" for an
    abstract name, a path as the trace shows it, or "not listed"."""
    wanted = address.abstract
    with open("/proc/net/unix") as table:
        next(table)
        for line in table:
            fields = line.split(None, 7)
            if len(fields) < 8:
                continue
            shown = fields[7].rstrip("\n")
            if shown.startswith("@") and shown[1:] == wanted:
                return run.unix_name(UnixAddr(abstract=wanted))
            if not shown.startswith("@") and os.path.basename(shown) == os.path.basename(wanted or ""):
                return f"a file: {run.unix_name(UnixAddr(path=shown))}"
    return "not listed"


def autobind_form(address: UnixAddr) -> str:
    """The form of an autobound address (its name differs every time)."""
    if address.abstract is None:
        return f"not abstract: {address}"
    name = address.abstract
    if name and all(c in string.hexdigits.lower()[:16] for c in name):
        return f"abstract, {len(name)} characters of [0-9a-f]"
    return f"abstract, {len(name)} characters: {name!r}"


def outcome_of(operation, *args, **kwargs):
    """The result of one operation, or its error code (UNSUPPORTED still ends the case)."""
    try:
        return operation(*args, **kwargs)
    except OpError as exc:
        if exc.code == UNSUPPORTED:
            raise
        return exc.code


def stream_connection(run: Run, kind: str = "stream", name: str = "s", server: Endpoint | None = None,
                      client: Endpoint | None = None, backlog: int = 16) -> tuple[Socket, Socket, Socket]:
    """Listener, client side and accepted side of one Unix connection at ``name``."""
    server = server or run.server
    client = client or run.client
    path = run.unix_path(name)
    listener = server.unix_listen(kind, path, backlog)
    outgoing = client.unix_connect(kind, path)
    incoming = server.unix_accept(listener)
    return listener, outgoing, incoming


def datagram(endpoint: Endpoint, sock: Socket, max: int = 65536, timeout: float = 1.0,
             maxfds: int = 0) -> UnixDatagram | str:
    """One unix.recvfrom, or its error code."""
    return outcome_of(endpoint.unix_recvfrom, sock, max, maxfds=maxfds, timeout=timeout)


def data_of(got: UnixDatagram | str) -> bytes | str:
    return got.data if isinstance(got, UnixDatagram) else got


def record_outcome(got: UnixDatagram | str) -> bytes | str:
    """A record read on a connection: its bytes, "EOF" for end of stream, or the error code."""
    if isinstance(got, UnixDatagram):
        return got.data if got.data else "EOF"
    return got
