"""UDP (docs/protocol.md §6) with trio.socket, trio's own lower layer: trio has no high-level
datagram API, and its docs send datagrams with ``trio.socket.socket(AF_INET, SOCK_DGRAM)``,
``await sock.bind()``, ``await sock.sendto()``, ``await sock.recvfrom()``.

``udp.recvfrom`` uses ``await sock.recvmsg(max)``: the kernel's MSG_TRUNC flag says whether the
datagram was longer than ``max`` (nothing emulated).
"""

from __future__ import annotations

import socket
from typing import Any

import trio

from .addresses import address_of, family_of, inet_sockaddr, inet_target
from .errors import FAILURES, translate
from .handles import Socket
from .multicast import ERRQUEUE_CONTROL, error_entry, membership
from .options import apply_options
from .waits import within
from .streams import refuse_flags
from .wire import Args, b64


class DatagramOperations:
    _register: Any
    _get: Any

    async def op_udp_bind(self, args: Args) -> dict:
        family = family_of(args)
        address = inet_target(args, family, 0)
        options = args.get("options", dict, {})
        try:
            sock = trio.socket.socket(family, socket.SOCK_DGRAM)
        except FAILURES as exc:
            raise translate(exc, "socket") from None
        try:
            apply_options(sock, options)
            await sock.bind(address)
        except FAILURES as exc:
            sock.close()
            raise translate(exc, "bind") from None
        except BaseException:
            sock.close()
            raise
        return {"handle": self._register(Socket(sock, family, "udp")), "local": address_of(sock.getsockname())}

    def _udp(self, args: Args) -> Socket:
        return self._get(args, Socket)

    async def op_udp_connect(self, args: Args) -> dict:
        thing = self._udp(args)
        remote = inet_target(args, thing.family)
        try:
            await thing.sock.connect(remote)
            return {"local": address_of(thing.sock.getsockname()), "peer": address_of(thing.sock.getpeername())}
        except FAILURES as exc:
            raise translate(exc, "connect") from None

    async def op_udp_sendto(self, args: Args) -> dict:
        thing = self._udp(args)
        data = args.data()
        timeout = args.timeout()
        refuse_flags(args, "udp.sendto")
        if args.has("host"):
            remote = inet_sockaddr(thing.family, args.get("host", str), args.get("port", int))
            sent = await within(lambda: thing.sock.sendto(data, remote), timeout, "sendto")
        else:
            sent = await within(lambda: thing.sock.send(data), timeout, "send")
        return {"sent": sent}

    async def op_udp_recvfrom(self, args: Args) -> dict:
        thing = self._udp(args)
        size = args.size()
        refuse_flags(args, "udp.recvfrom")
        peek = socket.MSG_PEEK if args.get("peek", bool, False) else 0
        if args.get("trunc", bool, False):
            # MSG_TRUNC (flag.trunc): trio.socket's recvfrom_into returns the count the kernel
            # gave, the datagram's real length, while only ``size`` bytes are written
            buffer = bytearray(size)
            length, sender = await within(lambda: thing.sock.recvfrom_into(buffer, size, socket.MSG_TRUNC | peek),
                                          args.timeout(), "recvfrom")
            return {"data": b64(bytes(buffer[:min(length, size)])), "peer": address_of(sender),
                    "truncated": length > size, "length": length}
        data, _, flags, sender = await within(lambda: thing.sock.recvmsg(size, 0, peek), args.timeout(), "recvfrom")
        return {"data": b64(data), "peer": address_of(sender), "truncated": bool(flags & socket.MSG_TRUNC)}

    # -- multicast and the error queue (1.7, multicast.py) ----------------------------------

    async def op_udp_join(self, args: Args) -> dict:
        membership(self._udp(args).sock, args.get("group", str), args.get("interface", dict, None), join=True)
        return {}

    async def op_udp_leave(self, args: Args) -> dict:
        membership(self._udp(args).sock, args.get("group", str), args.get("interface", dict, None), join=False)
        return {}

    async def op_udp_errqueue(self, args: Args) -> dict:
        thing = self._udp(args)
        data, ancillary, _, sender = await within(
            lambda: thing.sock.recvmsg(65535, ERRQUEUE_CONTROL, socket.MSG_ERRQUEUE), 0, "recvmsg(MSG_ERRQUEUE)")
        return error_entry(data, ancillary, sender)
