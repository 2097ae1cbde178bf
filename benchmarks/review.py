"""Review benchmark: model requests for a first review and a one-line edit; findings dropped.

Runs Grove's review pipeline (the same :class:`server.review.Reviewer` as the editor and the
CLI) on a real standard-library file of 500+ lines with the configured model (the embedded
SmolLM2 by default)::

    python -m benchmarks.review [--file PATH] [--units 40] [--json benchmarks/results/review.json]

To bound the run, only the file's first ``--units`` review units are reviewed (the text up to
the end of the last of them). Reported: units of the whole file (= requests of its first full
review: one per unit), requests of the bounded first review, requests after a one-line edit in
one function, a second review with no edit (0 expected), and how many of the model's proposed
findings validation dropped, with the reasons.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sysconfig
import time
from pathlib import Path

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.refusal import SendPolicy
from server.review import Reviewer, ReviewReport
from server.settings import resolve_settings

DEFAULT_FILE = Path(sysconfig.get_paths()["stdlib"]) / "argparse.py"
RESULTS = Path(__file__).resolve().parent / "results" / "review.json"


def _bounded(text: str, path: str, units: int, reviewer: Reviewer) -> tuple[SourceDocument, int]:
    """The document cut after its first ``units`` review units, and the whole file's count."""
    language = language_for(None, path)
    whole = SourceDocument(text, language)
    all_units = reviewer.units(whole, path)
    if len(all_units) <= units:
        return whole, len(all_units)
    cut = whole.lines.line_end(all_units[units - 1].last_line)
    return SourceDocument(text[:cut] + "\n", language), len(all_units)


def _edit_one_line(source: SourceDocument, reviewer: Reviewer, path: str) -> str:
    """Append a comment to one line in the middle of the middle function; its unit's name."""
    units = reviewer.units(source, path)
    functions = [u for u in units if u.kind != "module"] or units
    unit = functions[len(functions) // 2]
    row = unit.first_line + len(unit.lines) // 2
    end = source.lines.line_end(row)
    source.apply_change(end, end, "  # edited")
    return unit.name


def _tally(report: ReviewReport, drops: collections.Counter[str]) -> None:
    drops.update(report.dropped)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--timeout-ms", type=int, default=60_000)
    parser.add_argument("--settings", default="{}", help="JSON object of grove settings")
    args = parser.parse_args()
    raw = json.loads(args.settings)
    raw.setdefault("completion", {}).setdefault("timeoutMs", args.timeout_ms)
    settings = resolve_settings(raw)
    path = str(args.file)
    text = args.file.read_text("utf-8")
    backend = ModelBackend(settings, lambda level, message: print(f"[{level}] {message}"))
    reviewer = Reviewer(backend, lambda: settings, SendPolicy.outside_workspace())
    source, whole_units = _bounded(text, path, args.units, reviewer)
    drops: collections.Counter[str] = collections.Counter()
    try:
        await backend.warm_up()
        started = time.perf_counter()
        before = reviewer.requests
        first = await reviewer.review(path, source, path)
        first_requests = reviewer.requests - before
        first_s = time.perf_counter() - started
        _tally(first, drops)
        kept = len(reviewer.findings(path, source, path, limit=10_000))

        edited = _edit_one_line(source, reviewer, path)
        before = reviewer.requests
        second = await reviewer.review(path, source, path)
        edit_requests = reviewer.requests - before
        _tally(second, drops)

        before = reviewer.requests
        third = await reviewer.review(path, source, path)
        unchanged_requests = reviewer.requests - before
    finally:
        await backend.aclose()
    proposed = first.proposed + second.proposed
    kept_findings = first.kept + second.kept
    answer_problems = {
        reason: count
        for reason, count in drops.items()
        if reason in ("truncated answer", "answer is not JSON", "answer is off-schema")
    }
    dropped_findings = proposed - kept_findings
    figures = {
        "file": f"{args.file.name} (Python {sysconfig.get_python_version()} standard library)",
        "file_lines": text.count("\n") + 1,
        "file_units": whole_units,
        "full_first_review_requests": whole_units,
        "reviewed_units": first.units,
        "reviewed_lines": source.lines.line_count,
        "model": backend.target.label,
        "first_review": {
            "requests": first_requests,
            "failed": first.failed,
            "seconds": round(first_s, 1),
            "seconds_per_request": round(first_s / max(first_requests, 1), 2),
        },
        "one_line_edit": {"unit": edited, "requests": edit_requests, "cached": second.cached},
        "unchanged_second_review_requests": unchanged_requests,
        "third_review_cached": third.cached,
        "findings": {
            "proposed": proposed,
            "kept": kept_findings,
            "dropped": dropped_findings,
            "dropped_share": round(dropped_findings / proposed, 3) if proposed else None,
            "dropped_reasons": {
                reason: count for reason, count in drops.items() if reason not in answer_problems
            },
            "published_after_first_review": kept,
        },
        "answers": {
            "total": first_requests + edit_requests,
            "unusable": sum(answer_problems.values()),
            "unusable_reasons": answer_problems,
        },
    }
    print(json.dumps(figures, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
