"""Recent completion calls' durations and prompt sizes, as ``grove.status`` reports them."""

from __future__ import annotations

from server.call_stats import KEPT, CallStats


def test_nothing_is_reported_before_the_first_call() -> None:
    assert CallStats().summary() == {"n": 0}


def test_the_summary_gives_the_median_and_the_slow_tail() -> None:
    stats = CallStats()
    for ms in range(1, 101):
        stats.record(ms / 1000, prompt_tokens=200 + ms)
    summary = stats.summary()
    assert summary["n"] == 100
    assert summary["p50Ms"] == 50.5
    assert summary["p95Ms"] == 95.0  # 95.05, rounded to 0.1 ms
    assert summary["promptTokensP50"] == 250


def test_only_the_most_recent_calls_are_kept() -> None:
    stats = CallStats()
    for _ in range(KEPT):
        stats.record(9.0, 1000)
    for _ in range(KEPT):
        stats.record(0.1, 10)
    assert stats.summary() == {"n": KEPT, "p50Ms": 100.0, "p95Ms": 100.0, "promptTokensP50": 10}
