"""A timeout for awaitables that never swallows a cancellation.

``asyncio.wait_for`` on Python < 3.12 can lose a cancellation that arrives just as the inner
awaitable finishes (bpo-42130); a cancelled completion would then keep streaming. Grove's model
calls use :func:`wait_within` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_within(awaitable: Awaitable[T], timeout: float) -> T:
    """Await ``awaitable`` for at most ``timeout`` s (asyncio.TimeoutError after that)."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(timeout, 0.0))
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait({task})
        raise
    if not done:
        task.cancel()
        await asyncio.wait({task})
        raise asyncio.TimeoutError
    return task.result()
