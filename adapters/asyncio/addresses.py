"""Addresses: families, numeric hosts (never resolved), the protocol's {host, port} form."""

from __future__ import annotations

import os
import socket
from typing import Any

from .errors import OpError
from .wire import Args, BadRequest

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}


def family_of(args: Args) -> int:
    name = args.get("family", str)
    if name not in FAMILIES:
        raise BadRequest(f"unknown family {name!r}")
    return FAMILIES[name]


def numeric_sockaddr(family: int, host: str, port: int) -> tuple[str, int]:
    """(host, port) for a numeric host of the family; EINVAL for anything else (no DNS, ever)."""
    try:
        socket.inet_pton(family, host)
    except OSError:
        raise OpError("EINVAL", f"not a numeric address for this family: {host!r}") from None
    if not 0 <= port <= 65535:
        raise OpError("EINVAL", f"port out of range: {port}")
    return host, port


def address_of(sockaddr: Any) -> dict:
    """The protocol's form of a socket address: {host, port}, or a Unix address (1.4)."""
    if isinstance(sockaddr, tuple):
        return {"host": sockaddr[0], "port": sockaddr[1]}
    return unix_address_of(sockaddr)


def unix_address_of(sockaddr: Any) -> dict:
    """asyncio's (the socket module's) form back to the protocol's: a str path, bytes or a str
    starting with NUL for an abstract name, '' or None for an unnamed socket."""
    if sockaddr is None or sockaddr in ("", b""):
        return {"unnamed": True}
    if isinstance(sockaddr, bytes):
        if sockaddr[:1] == b"\0":
            return {"abstract": sockaddr[1:].decode("utf-8", "surrogateescape")}
        return {"path": os.fsdecode(sockaddr)}
    if sockaddr.startswith("\0"):
        return {"abstract": sockaddr[1:]}
    return {"path": sockaddr}


def ipv6_loopback_usable() -> bool:
    """Whether this host can bind ::1 (an asyncio listener on ::1 needs nothing more)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True
