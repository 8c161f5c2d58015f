"""Raw and ping sockets (protocol 1.1) with trio.socket: trio's lower layer makes any socket the
socket module can (``trio.socket.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)``) and sends and
receives on it with trio's waits; trio has nothing higher for ICMP.

Declared by what this process can open when the adapter starts (§7a).
"""

from __future__ import annotations

import socket
from typing import Any

import trio

from .addresses import family_of, inet_sockaddr
from .errors import FAILURES, translate
from .handles import Socket
from .options import apply_options
from .waits import within
from .wire import Args, BadRequest, b64

_PROTOCOLS = {socket.AF_INET: ("icmp", socket.IPPROTO_ICMP), socket.AF_INET6: ("icmpv6", socket.IPPROTO_ICMPV6)}
_KINDS = {"raw": socket.SOCK_RAW, "ping": socket.SOCK_DGRAM}


class RawOperations:
    _register: Any
    _get: Any

    async def op_raw_open(self, args: Args) -> dict:
        family = family_of(args)
        name, number = _PROTOCOLS[family]
        if args.get("protocol", str) != name:
            raise BadRequest(f"protocol must be {name!r} for this family")
        kind = args.get("kind", str, "raw")
        if kind not in _KINDS:
            raise BadRequest("kind must be raw or ping")
        options = args.get("options", dict, {})
        try:
            sock = trio.socket.socket(family, _KINDS[kind], number)
        except FAILURES as exc:
            raise translate(exc, "socket") from None
        try:
            apply_options(sock, options)
        except BaseException:
            sock.close()
            raise
        await trio.lowlevel.checkpoint()
        return {"handle": self._register(Socket(sock, family, kind))}

    async def op_raw_send(self, args: Args) -> dict:
        thing = self._get(args, Socket)
        data = args.data()
        address = inet_sockaddr(thing.family, args.get("host", str), 0)
        return {"sent": await within(lambda: thing.sock.sendto(data, address), args.timeout(), "sendto")}

    async def op_raw_recv(self, args: Args) -> dict:
        thing = self._get(args, Socket)
        size = args.get("max", int, 65535)
        if size < 1:
            raise BadRequest("max must be >= 1")
        data, sender = await within(lambda: thing.sock.recvfrom(size), args.timeout(), "recvfrom")
        return {"data": b64(data), "peer": {"host": sender[0], "port": 0}}


def features(ipv6: bool) -> list[str]:
    """raw / ping-socket when this process can open them now (IPv4; ICMPv6 too if IPv6 is usable)."""
    found = []
    for feature, kind in (("raw", socket.SOCK_RAW), ("ping-socket", socket.SOCK_DGRAM)):
        families = [socket.AF_INET] + ([socket.AF_INET6] if ipv6 else [])
        try:
            for family in families:
                socket.socket(family, kind, _PROTOCOLS[family][1]).close()
        except OSError:
            continue
        found.append(feature)
    return found
