"""Supersession: a newer request cancels the older one's model call and it answers empty."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from server.tasks import RequestedAt, Superseded, TaskRegistry, Ticket


async def test_newer_ticket_cancels_older_inner_work() -> None:
    registry = TaskRegistry()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    first = registry.begin("doc")

    async def first_request() -> str | None:
        try:
            return await registry.run(first, slow())
        except Superseded:
            return None
        finally:
            registry.end(first)

    task = asyncio.ensure_future(first_request())
    await started.wait()
    second = registry.begin("doc")
    assert await task is None
    assert cancelled.is_set()
    assert await registry.run(second, asyncio.sleep(0, result="fresh")) == "fresh"
    registry.end(second)
    assert registry.in_flight == 0


async def test_debounce_raises_when_superseded() -> None:
    registry = TaskRegistry()
    first = registry.begin("doc")
    waiting = asyncio.ensure_future(registry.debounce(first, 0.05))
    await asyncio.sleep(0)
    registry.begin("doc")
    with pytest.raises(Superseded):
        await waiting


async def test_other_documents_are_independent() -> None:
    registry = TaskRegistry()
    a = registry.begin("a")
    registry.begin("b")
    assert await registry.run(a, asyncio.sleep(0, result=1)) == 1


async def test_outer_cancellation_cancels_inner() -> None:
    registry = TaskRegistry()
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    ticket = registry.begin("doc")
    outer = asyncio.ensure_future(registry.run(ticket, slow()))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    await asyncio.sleep(0)
    assert cancelled.is_set()


async def test_close_cancels_running_work() -> None:
    registry = TaskRegistry()
    ticket = registry.begin("doc")
    running = asyncio.ensure_future(registry.run(ticket, asyncio.sleep(30)))
    await asyncio.sleep(0.01)
    registry.cancel("doc")
    with pytest.raises(Superseded):
        await running


# --- typing continuation: a model call survives keystrokes that type at its cursor ------------


class Gate:
    """Inner work that waits until released, recording whether it was cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False
        self.finished = False

    async def work(self) -> str:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished = True
        return "answer"


async def _answer(registry: TaskRegistry, ticket: Ticket, work: Awaitable[str]) -> str | None:
    try:
        return await registry.run(ticket, work)
    except Superseded:
        return None
    finally:
        registry.end(ticket)


async def _running(
    registry: TaskRegistry, text: str = "request-1"
) -> tuple[Gate, asyncio.Task[str | None]]:
    """A request for "doc" whose model call (a Gate) has started."""
    gate = Gate()
    ticket = registry.begin("doc")
    ticket.context = RequestedAt(text, 0)
    task = asyncio.ensure_future(_answer(registry, ticket, gate.work()))
    await gate.started.wait()
    return gate, task


async def test_typed_forward_keeps_the_superseded_call_running_for_the_next_request() -> None:
    registry = TaskRegistry()
    gate, task = await _running(registry)
    registry.keep_useful("doc", lambda context: context.text == "request-1")
    second = registry.begin("doc")
    assert await task is None  # the older request answers empty at once...
    assert not gate.cancelled  # ...but its model call goes on
    waiting = asyncio.ensure_future(registry.continued(second))
    await asyncio.sleep(0)
    assert not waiting.done()
    gate.release.set()
    assert await waiting is True
    assert gate.finished and registry.continued_count == 1
    assert await registry.continued(second) is False  # nothing left to wait for
    registry.end(second)


async def test_client_cancellation_after_typing_forward_continues_the_call() -> None:
    registry = TaskRegistry()
    gate, task = await _running(registry)
    registry.keep_useful("doc", lambda context: True)
    task.cancel()  # $/cancelRequest, as editors send on every keystroke
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not gate.cancelled
    second = registry.begin("doc")
    gate.release.set()
    assert await registry.continued(second) is True
    registry.end(second)


async def test_an_edit_elsewhere_cancels_the_continued_call() -> None:
    registry = TaskRegistry()
    gate, task = await _running(registry)
    registry.keep_useful("doc", lambda context: True)
    registry.begin("doc")
    await task
    registry.keep_useful("doc", lambda context: False)  # the user jumped somewhere else
    await asyncio.sleep(0)
    assert gate.cancelled


async def test_without_typing_forward_the_call_is_cancelled_and_closing_stops_all() -> None:
    registry = TaskRegistry()
    gate, task = await _running(registry)
    registry.keep_useful("doc", lambda context: False)
    second = registry.begin("doc")
    assert await task is None
    await asyncio.sleep(0)
    assert gate.cancelled
    assert await registry.continued(second) is False

    other, task = await _running(registry, "request-3")
    registry.keep_useful("doc", lambda context: True)
    registry.begin("doc")
    await task
    registry.cancel("doc")  # document closed
    await asyncio.sleep(0)
    assert other.cancelled
