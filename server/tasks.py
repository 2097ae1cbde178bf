"""Per-document debounce and supersession of in-flight model work.

Each request for a document takes a ticket. A newer ticket for the same document supersedes
the older one: the older request's model call (an inner task) is cancelled, which closes its
HTTP stream, and its handler answers with an empty result instead of an error. So a burst of
keystrokes produces one upstream request per debounce window and exactly one response per
LSP request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class Superseded(Exception):
    """The work was replaced by a newer request for the same document."""


@dataclass
class Ticket:
    """One request's claim on a document."""

    key: str
    generation: int
    inner: asyncio.Task[Any] | None = field(default=None, repr=False)
    superseded: bool = False


class TaskRegistry:
    """Tickets and in-flight inner tasks, per document key."""

    def __init__(self) -> None:
        self._generations: dict[str, int] = {}
        self._current: dict[str, Ticket] = {}
        self.upstream_started = 0
        self.superseded_count = 0

    def begin(self, key: str) -> Ticket:
        """Take a ticket for ``key``, superseding the previous one."""
        generation = self._generations.get(key, 0) + 1
        self._generations[key] = generation
        previous = self._current.get(key)
        if previous is not None:
            self._supersede(previous)
        ticket = Ticket(key, generation)
        self._current[key] = ticket
        return ticket

    def end(self, ticket: Ticket) -> None:
        """Release a ticket when its request has answered."""
        if self._current.get(ticket.key) is ticket:
            del self._current[ticket.key]
        if ticket.inner is not None and not ticket.inner.done():
            ticket.inner.cancel()

    def cancel(self, key: str) -> None:
        """Cancel whatever runs for ``key`` (document closed)."""
        ticket = self._current.pop(key, None)
        if ticket is not None:
            self._supersede(ticket)

    async def debounce(self, ticket: Ticket, seconds: float) -> None:
        """Wait ``seconds``; raise Superseded if a newer ticket arrived meanwhile."""
        if seconds > 0:
            await asyncio.sleep(seconds)
        if ticket.superseded:
            raise Superseded

    async def run(self, ticket: Ticket, work: Awaitable[T]) -> T:
        """Run ``work`` as the ticket's cancellable inner task; Superseded if replaced."""
        if ticket.superseded:
            if isinstance(work, asyncio.Future | asyncio.Task):
                work.cancel()
            elif hasattr(work, "close"):
                work.close()
            raise Superseded
        inner: asyncio.Task[T] = asyncio.ensure_future(work)
        ticket.inner = inner
        self.upstream_started += 1
        try:
            await asyncio.wait({inner})
        finally:
            if not inner.done():
                inner.cancel()
        if inner.cancelled():
            raise Superseded
        return inner.result()

    def _supersede(self, ticket: Ticket) -> None:
        ticket.superseded = True
        self.superseded_count += 1
        if ticket.inner is not None and not ticket.inner.done():
            ticket.inner.cancel()

    @property
    def in_flight(self) -> int:
        """Documents with a request still running."""
        return len(self._current)
