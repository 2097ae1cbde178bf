"""Supersession: a newer request cancels the older one's model call and it answers empty."""

from __future__ import annotations

import asyncio

import pytest

from server.tasks import Superseded, TaskRegistry


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
