"""What cycling costs on the embedded model: an automatic request vs an explicit 3-candidate one.

Run: ``python benchmarks/candidates.py [--requests 20] [--file PATH]``

Takes a real file (default: ``json/decoder.py`` of the running interpreter's standard library),
picks statement lines spread over the file, cuts each line in the middle, and asks through the
editor's pipeline (:class:`~server.completion.CompletionEngine`, the embedded SmolLM2 model,
default settings):

* automatic — ``suggest`` at a new position: one greedy model call (what typing costs);
* cycle — right after it, at the same position, ``candidates`` with the shown suggestion as the
  first candidate (what the first press of a cycle key costs: extra samples only; the prompt is
  the one the model just processed, so llama.cpp reuses its KV cache);
* invoked — ``candidates`` at another new position with nothing shown (an explicit trigger
  before any suggestion: the greedy call, then the samples).

llama-cpp-python's server ignores ``n``, so the samples are sequential calls (temperature
:data:`~server.completion.SAMPLE_TEMPERATURE`), capped by ``grove.completion.timeoutMs``.
The model runs in a fresh runtime directory, so it is this benchmark's own (not shared with
other Grove servers). Reports latency (median, p90), model calls per request and how many
distinct candidates came back; a request during which a model call failed (timed out under
load) is counted apart and left out of the latencies. Writes
``benchmarks/results/candidates.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from benchmarks.latency import percentile, pick_positions
from server.backend import ModelBackend
from server.completion import CANDIDATES, SAMPLE_TEMPERATURE, CompletionEngine
from server.llm.embedded_install import embedded_model_path
from server.refusal import SendPolicy
from server.settings import resolve_settings

T = TypeVar("T")

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("automatic", "cycle", "invoked")


def _cut(original: str, offset: int) -> str:
    """The file with the rest of the line after ``offset`` removed (the text to complete)."""
    return original[:offset] + original[original.find("\n", offset) :]


async def run(path: Path, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="grove-bench-") as run_dir:
        # A model of its own: not the one the user's (or a test run's) Grove servers share.
        os.environ["GROVE_RUNTIME_DIR"] = run_dir
        os.environ["GROVE_EMBEDDED_IDLE_S"] = "2"
        return await _measure(path, requests)


async def _measure(path: Path, requests: int) -> dict[str, object]:
    original = path.read_text("utf-8")
    settings = resolve_settings({})
    messages: list[str] = []
    backend = ModelBackend(settings, lambda _level, message: messages.append(message))
    engine = CompletionEngine(backend, SendPolicy.outside_workspace())
    language = language_for(None, str(path))
    await backend.provider()

    seconds: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    calls: dict[str, list[int]] = {name: [] for name in SCENARIOS}
    found: dict[str, list[int]] = {name: [] for name in SCENARIOS}
    failed: dict[str, int] = dict.fromkeys(SCENARIOS, 0)

    async def measure(name: str, work: Awaitable[T]) -> T:
        # After a failure the fault gate holds calls back: wait, or nothing would be measured.
        blocked = backend.gate.blocked_until(time.monotonic())
        if blocked is not None:
            await asyncio.sleep(blocked - time.monotonic())
        before = backend.requests
        started = time.perf_counter()
        result = await work  # not started before the gate is free
        elapsed = time.perf_counter() - started
        if backend.last_error is not None:  # a model call failed (timed out): not a latency
            failed[name] += 1
        else:
            seconds[name].append(elapsed)
            calls[name].append(backend.requests - before)
        return result

    # Two interleaved sets of fresh positions: one for automatic + cycle, one for invoked.
    positions = pick_positions(original, 2 * requests)
    for number, (here, elsewhere) in enumerate(zip(positions[::2], positions[1::2], strict=False)):
        key = f"bench-{number}"
        source = SourceDocument(_cut(original, here), language)
        shown = await measure("automatic", engine.suggest(key, source, here, str(path), settings))
        found["automatic"].append(0 if shown is None else 1)
        first = engine.cached(key, source, here, record=False)
        several = await measure(
            "cycle",
            engine.candidates(key, source, here, str(path), settings, first=first),
        )
        found["cycle"].append(len(several))
        other = SourceDocument(_cut(original, elsewhere), language)
        several = await measure(
            "invoked",
            engine.candidates(f"{key}-invoked", other, elsewhere, str(path), settings),
        )
        found["invoked"].append(len(several))
    await backend.aclose()

    model_path = embedded_model_path()
    model_hash = hashlib.sha256(model_path.read_bytes()).hexdigest()[:16] if model_path else None

    def summary(name: str) -> dict[str, object]:
        values = seconds[name]
        if not values:
            return {"n": 0, "failed": failed[name]}
        return {
            "n": len(values),
            "failed": failed[name],
            "median_ms": round(statistics.median(values) * 1000, 1),
            "p90_ms": round(percentile(values, 0.9) * 1000, 1),
            "model_calls_mean": round(statistics.mean(calls[name]), 2),
            "candidates_mean": round(statistics.mean(found[name]), 2),
            "candidates_full": sum(1 for count in found[name] if count >= CANDIDATES),
            "requests": len(found[name]),
        }

    return {
        "file": str(path),
        "file_sha256": hashlib.sha256(original.encode()).hexdigest()[:16],
        "python": platform.python_version(),
        "machine": {"cores": os.cpu_count(), "load": os.getloadavg()},
        "versions": {
            name: metadata.version(name)
            for name in ("llama_cpp_python", "openai", "tree-sitter", "pygls")
        },
        "model": {"name": backend.target.model, "sha256": model_hash},
        "threads": settings.embedded_threads or os.cpu_count(),
        "budget_tokens": settings.context_budget_tokens,
        "candidates": CANDIDATES,
        "sample_temperature": SAMPLE_TEMPERATURE,
        "time_cap_ms": settings.completion_timeout_ms,
        **{name: summary(name) for name in SCENARIOS},
        "messages": messages,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    path = args.file or Path(json.__file__).parent / "decoder.py"
    result = asyncio.run(run(path, args.requests))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "candidates.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print()
    print("| request | n | failed | median | p90 | model calls | candidates (mean) | with 3 |")
    print("|---|---|---|---|---|---|---|---|")
    for name in SCENARIOS:
        row = result[name]
        assert isinstance(row, dict)
        if row.get("n"):
            print(
                f"| {name} | {row['n']} | {row['failed']} | {row['median_ms']} ms "
                f"| {row['p90_ms']} ms | {row['model_calls_mean']} | {row['candidates_mean']} "
                f"| {row['candidates_full']}/{row['requests']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
