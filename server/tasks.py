"""Per-document debounce and supersession of in-flight model work, with typing continuation.

Each request for a document takes a ticket. A newer ticket for the same document supersedes
the older one: the older request's model call (an inner task) is cancelled, which closes its
HTTP stream, and its handler answers with an empty result instead of an error. So a burst of
keystrokes produces one upstream request per debounce window and exactly one response per
LSP request.

One exception keeps typing fast: when the user types at exactly the position an in-flight
request was made for (:meth:`TaskRegistry.keep_useful`), that request's model call is
*continued* instead of cancelled -- whether the old request is superseded or cancelled by the
client (editors cancel the previous inline-completion request on every keystroke).  It finishes
in the background and fills the suggestion cache, and the newer request waits for it
(:meth:`TaskRegistry.continued`) before deciding whether it needs a model call of its own.  At
most one continued call exists per document; any edit elsewhere cancels it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


class Superseded(Exception):
    """The work was replaced by a newer request for the same document."""


class RequestedAt(NamedTuple):
    """Where a request was made: the document's text then, and the cursor's offset in it."""

    text: str
    offset: int


class _Continued(NamedTuple):
    """A model call kept running after its request ended, and where that request was made."""

    task: asyncio.Task[Any]
    context: RequestedAt


@dataclass
class Ticket:
    """One request's claim on a document."""

    key: str
    generation: int
    inner: asyncio.Task[Any] | None = field(default=None, repr=False)
    superseded: bool = False
    context: RequestedAt | None = None
    """Where the request was made, handed to the edit check (None: never continued)."""
    continuable: bool = False
    """The user typed forward from this request's position: keep its model call running."""
    _wake: asyncio.Future[None] | None = field(default=None, repr=False)

    def wake(self) -> asyncio.Future[None]:
        """A future that completes when the ticket is superseded."""
        if self._wake is None:
            self._wake = asyncio.get_running_loop().create_future()
            if self.superseded:
                self._wake.set_result(None)
        return self._wake


class TaskRegistry:
    """Tickets, in-flight inner tasks and continued model calls, per document key."""

    def __init__(self) -> None:
        self._generations: dict[str, int] = {}
        self._current: dict[str, Ticket] = {}
        self._continued: dict[str, _Continued] = {}
        self.upstream_started = 0
        self.superseded_count = 0
        self.continued_count = 0

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

    def current(self, key: str) -> Ticket | None:
        """The newest ticket for ``key`` still answering, if any."""
        return self._current.get(key)

    def keep_useful(self, key: str, useful: Callable[[RequestedAt], bool]) -> None:
        """Keep the model calls for ``key`` whose context is still ``useful``; cancel the rest.

        Called after every edit and before every request: ``useful(context)`` says whether
        the document now only has text typed at that call's cursor (or is unchanged there).
        The running request's call, if useful, is continued when superseded or cancelled; a
        continued call that is no longer useful is cancelled.
        """
        ticket = self._current.get(key)
        if ticket is not None and ticket.inner is not None and not ticket.inner.done():
            ticket.continuable = ticket.context is not None and useful(ticket.context)
        continued = self._continued.get(key)
        if continued is not None and not useful(continued.context):
            self._drop_continued(key)

    def end(self, ticket: Ticket) -> None:
        """Release a ticket when its request has answered."""
        if self._current.get(ticket.key) is ticket:
            del self._current[ticket.key]
        self._stop_inner(ticket)

    def cancel(self, key: str) -> None:
        """Cancel whatever runs for ``key`` (document closed)."""
        ticket = self._current.pop(key, None)
        if ticket is not None:
            ticket.continuable = False
            self._supersede(ticket)
        self._drop_continued(key)

    async def debounce(self, ticket: Ticket, seconds: float) -> None:
        """Wait ``seconds``; raise Superseded if a newer ticket arrived meanwhile."""
        if seconds > 0:
            await asyncio.sleep(seconds)
        if ticket.superseded:
            raise Superseded

    async def continued(self, ticket: Ticket) -> bool:
        """Wait for the document's continued model call; False if none; Superseded if replaced."""
        continued = self._continued.get(ticket.key)
        if continued is None or continued.task.done():
            return False
        waiters: set[asyncio.Future[Any]] = {continued.task, ticket.wake()}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if ticket.superseded:
            raise Superseded
        return True

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
        waiters: set[asyncio.Future[Any]] = {inner, ticket.wake()}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not inner.done():
                self._stop_inner(ticket)
        if not inner.done() or inner.cancelled():
            raise Superseded
        return inner.result()

    def _stop_inner(self, ticket: Ticket) -> None:
        """Cancel the ticket's model call, or continue it in the background if typed forward."""
        inner = ticket.inner
        if inner is None or inner.done():
            return
        if ticket.continuable and ticket.context is not None:
            continued = self._continued.get(ticket.key)
            if continued is None or continued.task is not inner:
                self._drop_continued(ticket.key)
                self._continued[ticket.key] = _Continued(inner, ticket.context)
                self.continued_count += 1
                inner.add_done_callback(lambda task: self._forget_continued(ticket.key, task))
            return
        inner.cancel()

    def _forget_continued(self, key: str, task: asyncio.Task[Any]) -> None:
        continued = self._continued.get(key)
        if continued is not None and continued.task is task:
            del self._continued[key]

    def _drop_continued(self, key: str) -> None:
        continued = self._continued.pop(key, None)
        if continued is not None and not continued.task.done():
            continued.task.cancel()

    def _supersede(self, ticket: Ticket) -> None:
        ticket.superseded = True
        self.superseded_count += 1
        if ticket._wake is not None and not ticket._wake.done():
            ticket._wake.set_result(None)
        self._stop_inner(ticket)

    @property
    def in_flight(self) -> int:
        """Documents with a request still running."""
        return len(self._current)
