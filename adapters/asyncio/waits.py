"""Waiting: the protocol's blocking operations as awaitables with a deadline (docs/protocol.md §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from typing import Any

from .errors import OpError, from_oserror, supply


async def within(awaitable: Awaitable, timeout: float, context: str, zero_code: str = "EAGAIN") -> Any:
    """Await with a deadline. With timeout 0 the operation gets one turn of the loop: what is
    ready (a buffered read, a queued connection) completes, anything else is EAGAIN."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        if timeout == 0:  # asyncio has no "would block": not done in one turn of the loop
            raise supply(zero_code, f"{context}: would block (not done in one turn of the loop)")
        raise OpError("ETIMEDOUT", f"{context}: timed out after {timeout:g} s")
    try:
        return await task
    except OSError as exc:  # asyncio's own "Connection lost" carries no errno: errors.py names it
        raise from_oserror(exc, context) from None
