"""``wait`` (protocol 1.5, docs/protocol.md §6 "Readiness and connects") with trio's own
readiness primitives, ``trio.lowlevel.wait_readable`` and ``trio.lowlevel.wait_writable``, on
the handle's trio.socket socket (a SocketStream's ``.socket``, a SocketListener's ``.socket``).

Each condition asked is one task blocked in trio's wait on the socket; the answer is every
wait that trio ended by the time the first ended and the loop had its turn to deliver the
events of the same poll (trio wakes the reader and the writer of a descriptor from one epoll
event). With ``timeout: 0`` the waits get those turns only: trio's run loop polls epoll
without blocking whenever a task is runnable, so a condition that holds ends its wait there.

What trio cannot say: its waits return nothing, not *why* they ended, so ``error``
(POLLERR) and ``hangup`` (POLLHUP) are never in an answer (an epoll event with EPOLLERR or
EPOLLHUP just wakes both waiters: trio/_core/_io_epoll.py ``process_events``), and
``rdhangup`` (feature ``wait.rdhangup``) is not declared.
"""

from __future__ import annotations

from typing import Any

import trio

from .errors import FAILURES, OpError, supply, translate
from .handles import Listener, Socket, Stream
from .wire import UNSUPPORTED, Args, BadRequest

_WAITS = {"read": trio.lowlevel.wait_readable, "write": trio.lowlevel.wait_writable}
_TURNS = 3  # scheduling turns for the events of one poll to reach every waiter


class ReadinessOperations:
    _get: Any

    async def op_wait(self, args: Args) -> dict:
        events = args.get("events", list)
        for event in events:
            if event == "rdhangup":
                raise OpError(UNSUPPORTED, "trio's waits say readable or writable, not a read hang-up "
                                           "(wait.rdhangup not declared)")
            if event not in _WAITS:
                raise BadRequest(f"unknown event {event!r}")
        timeout = args.timeout()
        thing = self._get(args, Listener, Stream, Socket)
        sock = thing.sock
        if sock.fileno() < 0:
            raise supply("EBADF", "wait: trio closed this socket (a cancelled connect)")
        held: set[str] = set()
        first = trio.Event()

        async def watch(event: str) -> None:
            await _WAITS[event](sock)
            held.add(event)
            first.set()

        try:
            async with trio.open_nursery() as nursery:
                for event in sorted(set(events)):
                    nursery.start_soon(watch, event)
                if timeout > 0:
                    with trio.move_on_after(timeout):
                        await first.wait()
                for _ in range(_TURNS):  # the rest of the same poll's wake-ups (timeout 0: the look)
                    await trio.lowlevel.checkpoint()
                nursery.cancel_scope.cancel()
        except FAILURES as exc:
            raise translate(exc, "wait") from None
        except trio.BusyResourceError as exc:  # another task of this adapter waits on it
            raise supply("EBUSY", f"wait: {exc}") from None
        return {"events": sorted(held)}
