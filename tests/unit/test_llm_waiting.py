"""wait_within: a timeout that never loses a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from server.llm.waiting import wait_within


async def test_returns_the_result() -> None:
    assert await wait_within(asyncio.sleep(0, result=7), 1.0) == 7


async def test_times_out_and_cancels_the_inner_work() -> None:
    inner = asyncio.ensure_future(asyncio.sleep(30))
    with pytest.raises(asyncio.TimeoutError):
        await wait_within(inner, 0.01)
    assert inner.cancelled()


async def test_cancellation_wins_even_when_the_result_arrives_at_the_same_time() -> None:
    loop = asyncio.get_running_loop()
    for _ in range(20):
        inner: asyncio.Future[int] = loop.create_future()
        outer = asyncio.ensure_future(wait_within(inner, 10.0))
        await asyncio.sleep(0)
        inner.set_result(1)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
