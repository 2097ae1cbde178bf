"""Completion latency with the embedded model: cold positions and typing forward.

Run: ``python benchmarks/latency.py [--requests 20] [--file PATH]``

Takes a real file (default: ``json/decoder.py`` of the running interpreter's standard library),
picks statement lines spread over the file, cuts each line in the middle and asks for the
completion there through the same pipeline as the editor (``CompletionEngine.suggest``, which
does not consult the suggestion cache):

* cold  — the first request at a new position (a different part of the file than the last
  request, so the model's KV cache shares only the stable prompt header);
* warm  — the user then types the next real character and the request is repeated: the prompt
  grows by one character, so llama.cpp reuses its KV cache for all but the last tokens;
* typed-ahead — the next keystroke matches the suggestion and is served by Grove's cache.

Writes ``benchmarks/results/latency.json`` and prints a Markdown table.
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
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.completion import CompletionEngine
from server.llm.embedded_install import embedded_model_path
from server.refusal import SendPolicy
from server.settings import resolve_settings

RESULTS = Path(__file__).resolve().parent / "results"


def pick_positions(text: str, count: int) -> list[int]:
    """Offsets in the middle of statement lines, spread evenly over the file."""
    offsets: list[int] = []
    position = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if (
            indent >= 4
            and 20 <= len(stripped) <= 80
            and not stripped.startswith(("#", '"', "'", "@", "def ", "class "))
        ):
            offsets.append(position + indent + len(stripped) // 2)
        position += len(line)
    step = max(1, len(offsets) // count)
    return offsets[::step][:count]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run(path: Path, requests: int) -> dict[str, object]:
    original = path.read_text("utf-8")
    settings = resolve_settings({})
    messages: list[str] = []
    backend = ModelBackend(settings, lambda level, message: messages.append(message))
    engine = CompletionEngine(backend, SendPolicy.outside_workspace())
    language = language_for(None, str(path))
    started = time.perf_counter()
    await backend.provider()
    startup = time.perf_counter() - started

    cold: list[float] = []
    warm: list[float] = []
    typed_ahead: list[float] = []
    empty = 0
    for offset in pick_positions(original, requests):
        line_end = original.find("\n", offset)
        text = original[:offset] + original[line_end:]
        source = SourceDocument(text, language)
        t0 = time.perf_counter()
        suggestion = await engine.suggest("bench", source, offset, str(path), settings)
        cold.append(time.perf_counter() - t0)
        if suggestion is None:
            empty += 1
        # Type the next real character and ask again (KV-cache reuse upstream).
        source.apply_change(offset, offset, original[offset])
        t0 = time.perf_counter()
        await engine.suggest("bench", source, offset + 1, str(path), settings)
        warm.append(time.perf_counter() - t0)
        if suggestion is not None and suggestion.text:
            typed = SourceDocument(text, language)
            typed.apply_change(offset, offset, suggestion.text[0])
            t0 = time.perf_counter()
            hit = engine.cached("bench", typed, offset + 1)
            if hit is not None:
                typed_ahead.append(time.perf_counter() - t0)
    await backend.aclose()

    model_path = embedded_model_path()
    model_hash = hashlib.sha256(model_path.read_bytes()).hexdigest()[:16] if model_path else None

    def summary(values: list[float]) -> dict[str, float | int]:
        if not values:
            return {"n": 0}
        return {
            "n": len(values),
            "median_ms": round(statistics.median(values) * 1000, 1),
            "p90_ms": round(percentile(values, 0.9) * 1000, 1),
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
        "startup_s": round(startup, 2),
        "cold": summary(cold),
        "warm_typing_forward": summary(warm),
        "typed_ahead_cache": summary(typed_ahead),
        "empty_suggestions": empty,
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
    (RESULTS / "latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print()
    print("| scenario | n | median | p90 |")
    print("|---|---|---|---|")
    for key in ("cold", "warm_typing_forward", "typed_ahead_cache"):
        row = result[key]
        assert isinstance(row, dict)
        if row.get("n"):
            print(f"| {key} | {row['n']} | {row['median_ms']} ms | {row['p90_ms']} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
