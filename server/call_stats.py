"""How long recent completion calls took and how big their prompts were, for ``grove.status``.

Owns :class:`CallStats`: the last :data:`KEPT` completion calls that reached the model and came
back (a call cancelled by the next keystroke has no duration and is not counted), summarised as
p50 / p95 of the model's time and of the prompt tokens sent.  This is the latency a user waits
when a suggestion cannot come from the cache.
"""

from __future__ import annotations

from collections import deque

from analyzers.bench.metrics import percentile

__all__ = ["KEPT", "CallStats"]

KEPT = 500
"""Calls remembered."""


class CallStats:
    """A bounded record of (milliseconds, prompt tokens) per finished completion call."""

    def __init__(self) -> None:
        self._calls: deque[tuple[float, int]] = deque(maxlen=KEPT)

    def record(self, seconds: float, prompt_tokens: int) -> None:
        """Note one finished call."""
        self._calls.append((seconds * 1000, prompt_tokens))

    def summary(self) -> dict[str, float | int]:
        """``{"n", "p50Ms", "p95Ms", "promptTokensP50"}`` (only ``n`` before the first call)."""
        if not self._calls:
            return {"n": 0}
        times = [ms for ms, _ in self._calls]
        tokens = [float(count) for _, count in self._calls]
        return {
            "n": len(self._calls),
            "p50Ms": round(percentile(times, 0.5), 1),
            "p95Ms": round(percentile(times, 0.95), 1),
            "promptTokensP50": round(percentile(tokens, 0.5)),
        }
