"""What ``grove bench`` reports: per-variant numbers, the Markdown table, the JSON result.

Owns :func:`summarize` (one variant's numbers), :func:`comparisons` (each variant against the
first, paired on the same tasks, with a bootstrap interval), :func:`markdown` and
:func:`result_json`.  Quality: exact match (% of tasks), mean edit similarity (0-100), the share
of non-empty suggestions that keep the file parseable, the share of tasks with no suggestion.
Latency: p50 / p95 of the time from building the context to the post-processed suggestion,
over the tasks where the model was called and answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from analyzers.bench.metrics import mean, paired_bootstrap, percentile, share
from analyzers.bench.scoring import MaskedTask
from server.bench.runner import Outcome, VariantRun

__all__ = ["comparisons", "markdown", "result_json", "summarize"]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _latency(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {
        "n": len(values),
        "p50_ms": _round(percentile(values, 0.5)),
        "p95_ms": _round(percentile(values, 0.95)),
    }


def _by(keys: Sequence[str], outcomes: Sequence[Outcome]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for key, outcome in zip(keys, outcomes, strict=True):
        groups.setdefault(key, []).append(outcome.similarity)
    return {key: round(mean(values), 1) for key, values in sorted(groups.items())}


def summarize(run: VariantRun, tasks: Sequence[MaskedTask]) -> dict[str, Any]:
    """JSON-ready numbers of one variant (``tasks`` in the order of ``run.outcomes``)."""
    outcomes = run.outcomes
    non_empty = [o for o in outcomes if not o.empty]
    answered = [o for o in outcomes if o.asked and o.error is None]
    done = tasks[: len(outcomes)]
    return {
        "variant": run.name,
        "model": run.model,
        "mode": run.mode,
        "n": len(outcomes),
        "exact_match": round(share([o.exact for o in outcomes]), 1),
        "edit_similarity": round(mean([o.similarity for o in outcomes]), 1),
        "parseable": round(share([bool(o.parseable) for o in non_empty]), 1),
        "empty": round(share([o.empty for o in outcomes]), 1),
        "model_calls": sum(1 for o in outcomes if o.asked),
        "errors": sum(1 for o in outcomes if o.error is not None),
        "last_error": next((o.error for o in reversed(outcomes) if o.error is not None), None),
        "latency": _latency([o.total_ms for o in answered if o.total_ms is not None]),
        "first_token": _latency([o.first_token_ms for o in answered if o.first_token_ms]),
        "context_build": _latency([o.context_ms for o in outcomes]),
        "edit_similarity_by_language": _by([m.task.language for m in done], outcomes),
        "edit_similarity_by_kind": _by([m.task.kind for m in done], outcomes),
        "startup_s": round(run.startup_s, 2),
    }


def comparisons(runs: Sequence[VariantRun]) -> list[dict[str, Any]]:
    """Each later variant minus the first: mean edit similarity difference and its 95 % CI."""
    if len(runs) < 2:
        return []
    first = [o.similarity for o in runs[0].outcomes]
    out = []
    for run in runs[1:]:
        other = [o.similarity for o in run.outcomes]
        n = min(len(first), len(other))
        if n == 0:
            continue
        diff, low, high = paired_bootstrap(other[:n], first[:n])
        out.append(
            {
                "variant": run.name,
                "against": runs[0].name,
                "tasks": n,
                "mean_diff": round(diff, 2),
                "ci95_low": round(low, 2),
                "ci95_high": round(high, 2),
            }
        )
    return out


def _cell(value: object) -> str:
    return "-" if value is None else str(value).replace("|", "\\|")


def _ms(value: object) -> str:
    return "-" if value is None else f"{float(str(value)):.0f}"


def markdown(summaries: Sequence[Mapping[str, Any]], compared: Sequence[Mapping[str, Any]]) -> str:
    """The table (one row per variant) and, with several variants, the paired differences."""
    lines = [
        "| variant | model | n | exact match % | edit similarity | parseable % | empty % "
        "| latency p50 ms | latency p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summaries:
        latency = row["latency"]
        lines.append(
            f"| {_cell(row['variant'])} | {_cell(row['model'])} | {row['n']} "
            f"| {row['exact_match']} | {row['edit_similarity']} | {row['parseable']} "
            f"| {row['empty']} | {_ms(latency['p50_ms'])} | {_ms(latency['p95_ms'])} |"
        )
    if compared:
        lines += [
            "",
            "| variant | vs | edit similarity difference | 95 % CI |",
            "|---|---|---|---|",
        ]
        for row in compared:
            lines.append(
                f"| {_cell(row['variant'])} | {_cell(row['against'])} | {row['mean_diff']:+} "
                f"| [{row['ci95_low']}, {row['ci95_high']}] |"
            )
    failed = [row for row in summaries if row["errors"]]
    if failed:
        lines.append("")
    for row in failed:
        lines.append(
            f"{row['variant']}: {row['errors']} of {row['n']} tasks got no answer (counted as "
            f"empty); the last error: {row['last_error']}"
        )
    return "\n".join(lines) + "\n"


def result_json(
    meta: Mapping[str, Any],
    runs: Sequence[VariantRun],
    tasks: Sequence[MaskedTask],
) -> dict[str, Any]:
    """The full result: settings, summaries, comparisons and every task's outcomes."""
    return {
        "meta": dict(meta),
        "summary": [summarize(run, tasks) for run in runs],
        "comparisons": comparisons(runs),
        "tasks": [
            {
                "id": masked.task.id,
                "path": masked.task.relpath,
                "line": masked.line,
                "language": masked.task.language,
                "kind": masked.task.kind,
                "target": masked.task.target,
                "outcomes": {
                    run.name: asdict(run.outcomes[i]) for run in runs if i < len(run.outcomes)
                },
            }
            for i, masked in enumerate(tasks)
        ],
    }
