"""Readiness (protocol 1.5, docs/protocol.md §6 "Readiness and connects"): ``wait`` answered by poll(2).

The reference waits the plain POSIX way: one poll of the handle's descriptor for the events
asked, and the conditions that held when it returned. POLLERR and POLLHUP are reported
whatever was asked, as poll does; POLLRDHUP only when asked (Linux).
"""

from __future__ import annotations

import select
from typing import Any

from .errors import OpError

WAIT_EVENTS = {"read": select.POLLIN, "write": select.POLLOUT, "rdhangup": getattr(select, "POLLRDHUP", 0x2000)}
# Fired conditions, in the order the protocol lists them.
FIRED = (("read", select.POLLIN), ("write", select.POLLOUT), ("error", select.POLLERR),
         ("hangup", select.POLLHUP), ("rdhangup", WAIT_EVENTS["rdhangup"]))


def poll_mask(events: Any) -> int:
    from .engine import BadRequest
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise BadRequest("events is a list of names")
    unknown = sorted(set(events) - set(WAIT_EVENTS))
    if unknown:
        raise BadRequest(f"unknown events {unknown}")
    mask = 0
    for name in events:
        mask |= WAIT_EVENTS[name]
    return mask


def fired(revents: int, mask: int) -> list[str]:
    """The protocol's names of what poll reported (read/write/rdhangup only when asked)."""
    always = select.POLLERR | select.POLLHUP
    return [name for name, bit in FIRED if revents & bit and (bit & mask or bit & always)]


def wait(fd: Any, events: Any, timeout: float) -> list[str]:
    """Poll ``fd`` once for ``events``, up to ``timeout`` seconds: what fired ([] for nothing)."""
    mask = poll_mask(events)
    poller = select.poll()
    poller.register(fd, mask)
    try:
        ready = poller.poll(timeout * 1000)
    except OSError as exc:  # pragma: no cover - poll on a valid descriptor does not fail
        raise OpError("EINVAL", f"poll: {exc}") from None
    return fired(ready[0][1], mask) if ready else []


class ReadinessOperations:
    """``wait``, mixed into ``ReferenceAdapter``."""

    def op_wait(self, args: Any) -> dict:
        sock = self._socket(args)  # type: ignore[attr-defined]
        return {"events": wait(sock, args.get("events", list), args.timeout())}
