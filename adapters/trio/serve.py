"""serve.start / serve.stop (protocol 1.2): the echo servers of echo.py, run in the adapter's
main trio nursery next to the requests."""

from __future__ import annotations

from typing import Any

from .addresses import address_of, family_of, inet_target
from .echo import TcpEcho, UdpEcho
from .errors import OpError, supply, translate
from .handles import Server
from .wire import Args, BadRequest

SERVE_BACKLOG = 1024  # serve.start's default (§6)


class ServeOperations:
    _nursery: Any
    _register: Any
    _get: Any
    _handles: dict

    async def op_serve_start(self, args: Args) -> dict:
        kind = args.get("kind", str)
        if kind not in ("tcp", "udp"):
            raise BadRequest(f"kind must be tcp or udp, not {kind!r}")
        family = family_of(args)
        host, port = inet_target(args, family, 0)
        backlog = args.get("backlog", int, SERVE_BACKLOG)
        try:
            if kind == "tcp":
                echo: Any = TcpEcho()
                await self._nursery.start(echo.run, host, port, backlog)
            else:
                echo = UdpEcho()
                await self._nursery.start(echo.run, family, host, port)
        except Exception as exc:  # OSError, or a group holding one
            raise translate(exc, "serve.start") from None
        return {"handle": self._register(Server(echo)), "local": address_of(echo.socket().getsockname())}

    async def op_serve_stop(self, args: Args) -> dict:
        thing = self._get(args)
        if not isinstance(thing, Server):
            raise supply("EINVAL", "serve.stop: not a server of serve.start")
        del self._handles[args.get("handle", int)]
        thing.echo.cancel()
        await thing.echo.stopped()
        result: dict = {}
        if isinstance(thing.echo, TcpEcho):
            result["sessions"] = thing.echo.sessions
        return result
