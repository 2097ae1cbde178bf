"""Explanation streaming benchmark: when the first words show, against when the answer is done.

Explains the first ``--functions`` functions of a real standard-library file through Grove's
explanation pipeline (:func:`server.explain.explain`, as the editor commands use it) with the
configured model (the embedded SmolLM2 by default), and records for each:

* ``first_text_s``: when the first text reached the editor (the first ``on_text`` call, which
  the server relays as a ``grove/explanationProgress`` notification);
* ``done_s``: when the finished explanation came back (what a panel showed before streaming);
* how many updates the panel got.

::

    python -m benchmarks.explain_stream [--file PATH] [--functions 8] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sysconfig
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.explain import ExplainError, ExplainRequest, ExplanationStore, explain
from server.refusal import SendPolicy
from server.settings import resolve_settings

DEFAULT_FILE = Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py"
RESULTS = Path(__file__).resolve().parent / "results" / "explain_stream.json"


def _function_starts(source: SourceDocument, count: int) -> list[tuple[str, int]]:
    """(name, offset inside the body) of the first ``count`` top-level or method definitions."""
    found: list[tuple[str, int]] = []
    for line_no, line in enumerate(source.text.splitlines()):
        stripped = line.lstrip()
        if stripped.startswith("def ") and not stripped.startswith("def _"):
            name = stripped[4:].split("(", 1)[0]
            offset = source.lines.offset_at(line_no, len(line) - len(stripped) + 4)
            found.append((name, offset))
            if len(found) == count:
                break
    return found


@dataclass(frozen=True)
class Run:
    """One explanation: when its first text and its end came (seconds), or why it failed."""

    function: str
    first_text_s: float | None = None
    done_s: float | None = None
    updates: int = 0
    chars: int = 0
    error: str | None = None


def _timer(into: list[float], started: float) -> Callable[[str], None]:
    """An ``on_text`` that records when each update came, in seconds since ``started``."""

    def on_text(_text: str) -> None:
        into.append(time.perf_counter() - started)

    return on_text


def _p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--functions", type=int, default=8)
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--settings", default="{}", help="JSON object of grove settings")
    args = parser.parse_args()
    settings = resolve_settings(json.loads(args.settings))
    path = str(args.file)
    source = SourceDocument(args.file.read_text("utf-8"), language_for(None, path))
    backend = ModelBackend(settings, lambda level, message: print(f"[{level}] {message}"))
    runs: list[Run] = []
    try:
        await backend.warm_up()
        for name, offset in _function_starts(source, args.functions):
            updates: list[float] = []
            started = time.perf_counter()
            request = ExplainRequest(source=source, start=offset, end=offset, path=path)
            try:
                result = await explain(
                    backend,
                    settings,
                    request,
                    ExplanationStore(),
                    SendPolicy.outside_workspace(),
                    on_text=_timer(updates, started),
                )
            except ExplainError as error:
                runs.append(Run(name, error=str(error)))
                continue
            done = time.perf_counter() - started
            first_text = round(updates[0], 2) if updates else None
            runs.append(Run(name, first_text, round(done, 2), len(updates), len(result.markdown)))
            print(runs[-1])
    finally:
        await backend.aclose()
    finished = [r for r in runs if r.done_s is not None]
    figures = {
        "file": f"{args.file.name} (Python {sysconfig.get_python_version()} standard library)",
        "model": backend.target.label,
        "explained": len(finished),
        "failed": len(runs) - len(finished),
        "first_text_s_p50": _p50([r.first_text_s for r in finished if r.first_text_s is not None]),
        "done_s_p50": _p50([r.done_s for r in finished if r.done_s is not None]),
        "updates_p50": _p50([float(r.updates) for r in finished]),
        "runs": [asdict(r) for r in runs],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
