"""TrioAdapter: trio running on a thread of its own, the suite's requests run as trio tasks.

``handle(request)`` (called on the suite's thread) hands the request to trio with
``trio.from_thread.run`` and the loop's ``TrioToken``; the request runs as a task of that
trio run, alongside the echo servers (serve.*), which live in the run's main nursery.
"""

from __future__ import annotations

import itertools
import platform
import threading
from typing import Any

import trio

from .addresses import ipv6_usable
from .datagrams import DatagramOperations
from .errors import OpError, supply
from .handles import Listener, Server, Socket, Stream, close_now
from .options import NAMES as OPTION_NAMES
from .options import get_option, set_option
from .raw import RawOperations
from .readiness import ReadinessOperations
from .raw import features as raw_features
from .serve import ServeOperations
from .streams import StreamOperations
from .unix import FEATURES as UNIX_FEATURES
from .unix import UnixOperations
from .wire import BADREQUEST, PROTOCOL_VERSION, UNSUPPORTED, Args, BadRequest, failed, ok


class TrioAdapter(StreamOperations, DatagramOperations, UnixOperations, RawOperations, ServeOperations,
                  ReadinessOperations):
    implementation = "python-trio"

    def __init__(self) -> None:
        self._handles: dict[int, Any] = {}
        self._ids = itertools.count(1)  # never reused (§2.1)
        self.features = features()
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        started = threading.Event()
        self._thread = threading.Thread(target=trio.run, args=(self._main, started),
                                        name="sockspec-trio", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("trio did not start within 10 s")

    async def _main(self, started: threading.Event) -> None:
        async with trio.open_nursery() as nursery:  # echo servers run in here
            self._nursery = nursery
            self._token = trio.lowlevel.current_trio_token()
            started.set()
            await trio.sleep_forever()

    def shutdown(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            trio.from_thread.run(self.op_reset, Args({}), trio_token=self._token)
        except Exception:
            pass
        try:
            trio.from_thread.run_sync(self._nursery.cancel_scope.cancel, trio_token=self._token)
        except trio.RunFinishedError:
            pass
        self._thread.join(timeout=5)

    # -- message level --------------------------------------------------------------------

    def handle(self, request: dict) -> dict:
        return trio.from_thread.run(self._dispatch, request, trio_token=self._token)

    async def _dispatch(self, request: Any) -> dict:
        # One scheduling turn first (an I/O poll), as any trio task's checkpoint gives.
        await trio.lowlevel.checkpoint()
        request_id = request.get("id") if isinstance(request, dict) else None
        try:
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise BadRequest("a request is an object with a string 'op'")
            name = OPERATIONS.get(request["op"])
            if name is None:  # anything unknown
                raise OpError(UNSUPPORTED, f"no operation {request['op']!r} in this adapter")
            return ok(request_id, await getattr(self, name)(Args(request.get("args"))))
        except OpError as exc:
            return failed(request_id, exc.code, exc.message, exc.supplied)
        except BadRequest as exc:
            return failed(request_id, BADREQUEST, str(exc))

    # -- handles ----------------------------------------------------------------------------

    def _register(self, thing: Any) -> int:
        handle = next(self._ids)
        self._handles[handle] = thing
        return handle

    def _get(self, args: Args, *kinds: type) -> Any:
        handle = args.get("handle", int)
        thing = self._handles.get(handle)
        if thing is None:
            raise OpError("EBADF", f"no open handle {handle}")
        if kinds and not isinstance(thing, kinds):
            if isinstance(thing, Listener) and Stream in kinds:
                # a trio.SocketListener has accept and aclose only (tcp.listener-io not declared)
                raise OpError(UNSUPPORTED, "a trio.SocketListener cannot send, receive or name a peer")
            raise supply("EOPNOTSUPP", f"trio has no such operation on a {type(thing).__name__.lower()}")
        return thing

    def _forget(self, args: Args) -> Any:
        thing = self._get(args)
        del self._handles[args.get("handle", int)]
        return thing

    # -- session ------------------------------------------------------------------------------

    async def op_hello(self, args: Args) -> dict:
        return {"protocol": PROTOCOL_VERSION, "implementation": self.implementation,
                "version": f"trio {trio.__version__} (CPython {platform.python_version()})",
                "language": "python", "features": list(self.features)}

    async def op_reset(self, args: Args) -> dict:
        things, self._handles = list(self._handles.values()), {}
        for thing in things:
            close_now(thing, orderly=True)
        for thing in things:
            if isinstance(thing, Server):
                await thing.echo.stopped()
        await trio.lowlevel.checkpoint()
        return {}

    async def op_close(self, args: Args) -> dict:
        thing = self._forget(args)
        if isinstance(thing, Server):
            thing.echo.cancel()
            await thing.echo.stopped()
        elif isinstance(thing, Listener):
            await thing.listener.aclose()
        elif isinstance(thing, Stream):
            await thing.stream.aclose()
        else:
            thing.sock.close()
            await trio.lowlevel.checkpoint()
        return {}

    # -- options -------------------------------------------------------------------------------

    def _option_target(self, args: Args) -> tuple[Any, bool]:
        thing = self._get(args, Listener, Stream, Socket)
        target = thing.stream if isinstance(thing, Stream) else thing.sock
        unix = thing.sock.family == trio.socket.AF_UNIX
        return target, unix and "unix.credentials" in self.features

    async def op_opt_set(self, args: Args) -> dict:
        target, passcred = self._option_target(args)
        name = args.get("name", str)
        if "value" not in args.raw:  # null is a value (linger off); absent is malformed
            raise BadRequest("argument 'value' is required")
        # dict: an interface (multicast_if, 1.7)
        set_option(target, name, args.get("value", (bool, int, float, str, dict, type(None)), None), passcred)
        return {}

    async def op_opt_get(self, args: Args) -> dict:
        target, passcred = self._option_target(args)
        return {"value": get_option(target, args.get("name", str), passcred)}


OPERATIONS = {name[3:].replace("_", ".", 1): name for name in dir(TrioAdapter) if name.startswith("op_")}


def features() -> list[str]:
    found = ["tcp", "udp", "udp.connect", "ipv4", "tcp.socket", "tcp.bind-connect", "stream.shutdown.write",
             "stream.abort", "nonblocking", "serve.tcp", "serve.udp", *UNIX_FEATURES,
             *(f"opt.{name}" for name in OPTION_NAMES if name != "v6only"),
             # 1.5 (README "Protocol 1.5"): options (OPTION_NAMES), trio.lowlevel's waits,
             # trio.socket's flags and connect; not wait.rdhangup, tcp.pending, udp.disconnect,
             # blocking, flag.waitall, flag.dontwait
             "wait", "tcp.connect-handle", "udp.reconnect", "flag.peek", "flag.trunc", "flag.oob",
             # 1.7 (README "Protocol 1.7 and 1.8"): trio.socket's setsockopt and recvmsg with
             # MSG_ERRQUEUE (multicast.py); not opt.nonblock (trio.socket has no setblocking)
             "multicast", "udp.errqueue"]
    ipv6 = ipv6_usable()
    if ipv6:
        found += ["ipv6", "ipv4-mapped", "opt.v6only"]
    return sorted(found + raw_features(ipv6))
