"""Addresses: families, numeric hosts (never resolved), the protocol's address objects."""

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
        raise BadRequest(f"family must be ipv4 or ipv6, not {name!r}")
    return FAMILIES[name]


def inet_sockaddr(family: int, host: str, port: int) -> tuple[str, int]:
    """A numeric (host, port) of ``family``; EINVAL otherwise. Names are never resolved."""
    try:
        socket.inet_pton(family, host)
    except (OSError, ValueError):
        raise OpError("EINVAL", f"{host!r} is not a numeric address of this family") from None
    if not 0 <= port <= 65535:
        raise OpError("EINVAL", f"port {port} is outside 0-65535")
    return host, port


def inet_target(args: Args, family: int, port_default: Any = ...) -> tuple[str, int]:
    port = args.get("port", int) if port_default is ... else args.get("port", int, port_default)
    return inet_sockaddr(family, args.get("host", str), port)


def address_of(sockaddr: Any) -> dict:
    """A socket address as the protocol writes it: {host, port} or a Unix address (1.4)."""
    if isinstance(sockaddr, tuple):
        return {"host": sockaddr[0], "port": sockaddr[1]}
    if sockaddr is None or sockaddr in ("", b""):
        return {"unnamed": True}
    if isinstance(sockaddr, bytes):
        sockaddr = os.fsdecode(sockaddr) if sockaddr[:1] != b"\0" else "\0" + sockaddr[1:].decode("utf-8", "surrogateescape")
    if sockaddr.startswith("\0"):
        return {"abstract": sockaddr[1:]}
    return {"path": sockaddr}


def ipv6_usable() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True
