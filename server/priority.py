"""Foreground model calls (completions, commands) first; background ones (reviews) wait.

See :class:`PriorityGate`. On the embedded model, which serves one request at a time, a
foreground call preempts a running background one, which then raises :class:`Preempted`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

__all__ = ["Preempted", "PriorityGate"]

T = TypeVar("T")


class Preempted(Exception):
    """A background model call gave way to a foreground one; try it again later."""


class PriorityGate:
    """Foreground model calls (completions, commands) first; background ones (reviews) wait.

    A background call starts only while no foreground call runs. A foreground call that starts
    with ``preempt`` (the embedded model serves one request at a time) cancels the running
    background calls, which then raise :class:`Preempted`.
    """

    def __init__(self) -> None:
        self.foreground_calls = 0
        self.background_calls = 0
        self._idle: asyncio.Event | None = None
        self._signals: set[asyncio.Future[None]] = set()

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            if not self.foreground_calls:
                self._idle.set()
        return self._idle

    @contextlib.contextmanager
    def foreground(self, *, preempt: bool) -> Iterator[None]:
        """Hold background calls back while the block runs (and preempt running ones)."""
        self.foreground_calls += 1
        self._event().clear()
        if preempt:
            for signal in self._signals:
                if not signal.done():
                    signal.set_result(None)
        try:
            yield
        finally:
            self.foreground_calls -= 1
            if not self.foreground_calls:
                self._event().set()

    async def background(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work()`` once no foreground call runs; :class:`Preempted` if one preempts it."""
        while self.foreground_calls:
            await self._event().wait()
        signal: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        inner = asyncio.ensure_future(work())
        self._signals.add(signal)
        self.background_calls += 1
        try:
            waiters: set[asyncio.Future[Any]] = {inner, signal}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._signals.discard(signal)
            self.background_calls -= 1
            if not inner.done():
                inner.cancel()
        if not inner.done():
            with contextlib.suppress(asyncio.CancelledError):
                await inner  # the HTTP stream is closed before the foreground call goes out
            raise Preempted
        return inner.result()
