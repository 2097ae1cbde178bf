"""Context build time per keystroke on a 10,000-line file, with every context source on.

Run: ``python -m benchmarks.context_build [--lines 10000] [--keystrokes 400]``

Builds a 10,000-line Python file from real standard-library code (whole files concatenated, the
last one cut at a line boundary), opens it together with five other standard-library files (the
user's other open files, for similar snippets) in a workspace index over the standard library
(for imported definitions), and types real lines at several places in the file one character at a
time.  For every keystroke it times, separately:

* the incremental reparse (``tree.edit`` + reparse after the edit);
* the context build -- completion kind, related blocks from other files, and the token-budgeted
  window -- exactly what :meth:`server.completion.CompletionEngine.prepare` does before a request,
  with the embedded model's real tokenizer when the ``local`` extra is installed.

The first build at each position (a cold tokenizer memo and related-blocks cache) is reported on
its own.  Writes ``benchmarks/results/context_build.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path

from analyzers.bench.metrics import percentile
from analyzers.context import estimate_tokens
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.completion import CompletionEngine
from server.context_sources import FileFacts, RelatedContext, analyze_file
from server.refusal import SendPolicy
from server.settings import resolve_settings
from server.workspace import WorkspaceIndex

RESULTS = Path(__file__).resolve().parent / "results"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SOURCES = ("_pydecimal.py", "typing.py", "argparse.py", "inspect.py", "subprocess.py")
OPEN_FILES = ("json/decoder.py", "json/encoder.py", "decimal.py", "numbers.py", "fractions.py")


def big_file(lines: int) -> str:
    """Real code: standard-library files concatenated up to ``lines`` lines."""
    out: list[str] = []
    for name in SOURCES:
        out.extend((STDLIB / name).read_text("utf-8").splitlines(keepends=True))
        if len(out) >= lines:
            break
    return "".join(out[:lines])


def positions(text: str, count: int) -> list[tuple[int, str]]:
    """(offset after indentation, line text) of statement lines spread over the file."""
    found: list[tuple[int, str]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent >= 8 and 30 <= len(stripped) <= 70 and not stripped.startswith(("#", '"')):
            found.append((offset + indent, stripped))
        offset += len(line)
    step = max(len(found) // count, 1)
    return found[::step][:count]


async def run(lines: int, keystrokes: int) -> dict[str, object]:
    """Type at several places and time each keystroke's reparse and context build."""
    text = big_file(lines)
    path = str(STDLIB / "grove_context_bench.py")
    language = language_for(None, path)
    settings = resolve_settings({})
    backend = ModelBackend(settings, lambda level, message: None)
    await backend.load_tokenizer()
    real_tokenizer = backend.count_tokens is not estimate_tokens
    index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file)
    index.set_roots([str(STDLIB)])
    related = RelatedContext(index)
    engine = CompletionEngine(
        backend, SendPolicy(index), related=related.blocks, display_path=related.display_path
    )
    for name in OPEN_FILES:
        other = STDLIB / name
        index.note_open(str(other), other.read_text("utf-8"))
        await index.load(str(other))

    started = time.perf_counter()
    doc = SourceDocument(text, language)
    assert doc.has_tree
    first_parse_ms = (time.perf_counter() - started) * 1000

    sites = positions(text, 8)
    per_site = max(keystrokes // len(sites), 1)
    reparse: list[float] = []
    build: list[float] = []
    first_build: list[float] = []
    for offset, line in sites:
        # Start a fresh line above the statement, then type the statement again.
        line_start = doc.text.rfind("\n", 0, offset) + 1
        indent = doc.text[line_start:offset]
        doc.apply_change(line_start, line_start, indent + "\n")
        cursor = line_start + len(indent)
        # Let the index load what this region imports (the server does it in the background).
        engine.prepare(path, doc, cursor, path, settings)
        await index.idle()
        related.forget(path)
        t0 = time.perf_counter()
        engine.prepare(path, doc, cursor, path, settings)
        first_build.append((time.perf_counter() - t0) * 1000)
        for char in line[:per_site]:
            t0 = time.perf_counter()
            doc.apply_change(cursor, cursor, char)
            assert doc.has_tree
            t1 = time.perf_counter()
            cursor += 1
            engine.prepare(path, doc, cursor, path, settings)
            t2 = time.perf_counter()
            reparse.append((t1 - t0) * 1000)
            build.append((t2 - t1) * 1000)
    index.close()

    def stats(values: list[float]) -> dict[str, float | int]:
        return {
            "n": len(values),
            "p50_ms": round(percentile(values, 0.5), 3),
            "p95_ms": round(percentile(values, 0.95), 3),
            "max_ms": round(max(values), 3),
        }

    return {
        "lines": doc.lines.line_count,
        "python": platform.python_version(),
        "machine": {"cores": os.cpu_count(), "load": os.getloadavg()},
        "tokenizer": "SmolLM2 (llama.cpp vocab, per-line memo)" if real_tokenizer else "estimate",
        "budget_tokens": settings.context_budget_tokens,
        "first_parse_ms": round(first_parse_ms, 1),
        "incremental_reparse": stats(reparse),
        "context_build": stats(build),
        "context_build_first_at_a_position": stats(first_build),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--keystrokes", type=int, default=400)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.lines, args.keystrokes))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "context_build.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
