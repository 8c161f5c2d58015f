"""Deadlines (docs/protocol.md §4) as trio cancel scopes.

- ``timeout > 0``: the operation runs under ``trio.move_on_after(timeout)``; cancelled means
  ETIMEDOUT. trio's socket operations try the system call first and wait only if it would
  block, and a cancelled trio.socket operation has had no effect.
- ``timeout == 0``: trio has no "do not wait" call. A cancel scope whose deadline has already
  passed would not even try (trio checks for cancellation before the system call), so the
  operation runs in a task of its own, started with ``nursery.start``: the task makes trio's
  first attempt in the same step (the system call, before any wait), and when the request
  resumes the attempt has been made, so cancelling the task's scope now only stops its wait.
  Cancelled that way, the answer is EAGAIN (EINPROGRESS for a connect), a name the adapter
  chose (supplied): trio swallowed the system call's EAGAIN and waited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from .errors import FAILURES, OpError, supply, translate


async def within(operation: Callable[[], Awaitable[Any]], timeout: float, context: str,
                 zero_code: str = "EAGAIN") -> Any:
    try:
        if timeout == 0:
            return await _one_attempt(operation, context, zero_code)
        with trio.move_on_after(timeout):
            return await operation()
        raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")
    except FAILURES as exc:
        raise translate(exc, context) from None


async def _one_attempt(operation: Callable[[], Awaitable[Any]], context: str, zero_code: str) -> Any:
    scope = trio.CancelScope()
    outcome: dict = {}

    async def attempt(task_status=trio.TASK_STATUS_IGNORED) -> None:
        with scope:
            task_status.started()
            try:
                outcome["value"] = await operation()
            except FAILURES as exc:
                outcome["error"] = exc

    async with trio.open_nursery() as nursery:
        await nursery.start(attempt)
        scope.cancel()
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome:
        raise supply(zero_code, f"{context}: would block (trio's first attempt did not complete; "
                                "its wait was cancelled)")
    return outcome["value"]
