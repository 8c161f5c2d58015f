"""Addresses: families, numeric hosts (never resolved), the protocol's {host, port} form."""

from __future__ import annotations

import socket

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


def address_of(sockaddr: tuple) -> dict:
    return {"host": sockaddr[0], "port": sockaddr[1]}


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
