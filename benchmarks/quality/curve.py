"""Edit similarity against cold cost over context budgets: the curve that sets the default.

Run: ``python -m benchmarks.quality.curve --split dev --tasks 80 --budgets 128,256,512,1024``

Runs the harness (:mod:`benchmarks.quality.run`) once with the peers' layouts (at
``--peer-budget``) and Grove at the first budget, then Grove alone at each other budget on the
same tasks (the peers' outcomes are reused: a greedy model answers the same prompt the same
way), and writes
``benchmarks/results/quality-curve-<split>.json`` / ``.md`` / ``.svg``: per point, edit
similarity, exact match, empty share, cold model time p50 / p95, and the prompt tokens sent and
read.  ``--from FILE...`` draws the curve from earlier result files (and the ``.tasks.json``
beside each) instead of running, over their first ``--tasks`` tasks; the peers' points come from
the first file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from analyzers.bench.metrics import percentile
from benchmarks.quality.llama_timings import private_model_environment
from benchmarks.quality.run import GROVE, RESULTS, run

__all__ = ["Point", "points_of", "svg"]

Point = dict[str, Any]

_PEERS = ("prefix-only", "lines-20-20")
_WIDTH, _HEIGHT = 640, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 150, 30, 50


def _p(values: Sequence[float], q: float) -> float | None:
    return round(percentile(values, q), 1) if values else None


def points_of(
    meta: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    peers: bool,
    limit: int | None = None,
) -> list[Point]:
    """The curve's points in one harness run (its meta and per-task rows, the first ``limit``):
    Grove's, and the peers' when ``peers``."""
    rows = list(rows)[:limit]
    out: list[Point] = []
    for name in (GROVE, *(_PEERS if peers else ())):
        outcomes = [r["outcomes"][name] for r in rows if name in r["outcomes"]]
        fresh = [o for o in outcomes if not o.get("reused")]
        totals = [o["model_ms"] for o in fresh if o.get("model_ms")]
        if not totals:
            continue
        firsts = [o["first_token_ms"] for o in fresh if o.get("first_token_ms")]
        sent = [float(o["prompt_tokens"]) for o in fresh if o.get("prompt_tokens")]
        read = [float(o["tokens_read"]) for o in fresh if o.get("tokens_read") is not None]
        count = len(outcomes)
        out.append(
            {
                "strategy": name,
                "budget": meta.get("grove_budget_tokens", meta["budget_tokens"])
                if name == GROVE
                else meta["budget_tokens"],
                "tasks": count,
                "edit_similarity": round(sum(o["similarity"] for o in outcomes) / count, 1),
                "exact_match": round(100 * sum(o["exact"] for o in outcomes) / count, 1),
                "empty": round(100 * sum(o["empty"] for o in outcomes) / count, 1),
                "model_total_p50_ms": _p(totals, 0.5),
                "model_total_p95_ms": _p(totals, 0.95),
                "first_token_p50_ms": _p(firsts, 0.5),
                "tokens_sent_p50": _p(sent, 0.5),
                "tokens_read_p50": _p(read, 0.5),
            }
        )
    return out


def markdown(points: Sequence[Point], split: str) -> str:
    """The curve as a table, Grove's budgets first."""
    rows = [
        f"Split `{split}`, {points[0]['tasks'] if points else 0} tasks, embedded SmolLM2-135M.",
        "",
        "| strategy | budget | edit similarity | exact match % | empty % | model total p50 / p95 "
        "(cold) | first token p50 | tokens sent p50 | tokens read p50 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        budget = p["budget"] if p["strategy"] != "lines-20-20" else "-"
        rows.append(
            f"| {p['strategy']} | {budget} | {p['edit_similarity']} | {p['exact_match']} "
            f"| {p['empty']} | {p['model_total_p50_ms']:.0f} / {p['model_total_p95_ms']:.0f} ms "
            f"| {p['first_token_p50_ms']:.0f} ms | {p['tokens_sent_p50']} "
            f"| {p['tokens_read_p50']} |"
        )
    return "\n".join(rows) + "\n"


def svg(points: Sequence[Point], title: str) -> str:
    """A self-contained SVG: edit similarity (y) against the prompt tokens read p50 (x).

    Tokens read, not seconds: they are what a cold request's wait is made of on this machine
    (about 4 ms each on 2 cores) and, unlike seconds, do not move with the machine's load.
    """
    xs = [p["tokens_read_p50"] for p in points] or [1.0]
    ys = [p["edit_similarity"] for p in points] or [1.0]
    x_max = float(max(xs)) * 1.15
    y_low, y_high = float(min(ys)) - 3, float(max(ys)) + 3
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x_of(tokens: float) -> float:
        return _LEFT + plot_w * tokens / x_max

    def y_of(similarity: float) -> float:
        return _TOP + plot_h * (1 - (similarity - y_low) / (y_high - y_low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="black"/>',
        f'<text x="{_LEFT + plot_w / 2}" y="{_HEIGHT - 12}" text-anchor="middle">'
        "prompt tokens llama.cpp read, p50 (cold request)</text>",
        f'<text x="16" y="{_TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + plot_h / 2})">edit similarity</text>',
    ]
    steps = 5
    for i in range(steps + 1):
        tokens = x_max * i / steps
        similarity = y_low + (y_high - y_low) * i / steps
        parts.append(
            f'<text x="{x_of(tokens):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{tokens:.0f}</text>"
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y_of(similarity) + 4:.1f}" text-anchor="end">'
            f"{similarity:.0f}</text>"
        )
    grove = sorted((p for p in points if p["strategy"] == GROVE), key=lambda p: p["budget"])
    if len(grove) > 1:
        path = " ".join(
            f"{x_of(p['tokens_read_p50']):.1f},{y_of(p['edit_similarity']):.1f}" for p in grove
        )
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2b7a3d" stroke-width="2"/>')
    for p in points:
        x, y = x_of(p["tokens_read_p50"]), y_of(p["edit_similarity"])
        is_grove = p["strategy"] == GROVE
        color = "#2b7a3d" if is_grove else "#a33"
        label = f"grove {p['budget']}" if is_grove else p["strategy"]
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
        parts.append(f'<text x="{x + 7:.1f}" y="{y - 6:.1f}" fill="{color}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _write(points: Sequence[Point], split: str, sources: Sequence[str]) -> str:
    base = RESULTS / f"quality-curve-{split}"
    base.with_suffix(".json").write_text(
        json.dumps({"split": split, "sources": list(sources), "points": list(points)}, indent=1)
        + "\n"
    )
    text = markdown(points, split)
    base.with_suffix(".md").write_text(text)
    title = f"Edit similarity vs prompt tokens read, {split} split (embedded SmolLM2-135M)"
    base.with_suffix(".svg").write_text(svg(points, title))
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--tasks", type=int, default=80)
    parser.add_argument("--budgets", default="256,128,512,1024", help="Grove's budgets")
    parser.add_argument("--peer-budget", type=int, default=600)
    parser.add_argument("--from", dest="sources", nargs="+", type=Path)
    args = parser.parse_args(argv)
    private_model_environment()
    runs: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = []
    if args.sources:
        for path in args.sources:
            meta = json.loads(path.read_text("utf-8"))["meta"]
            rows = json.loads(path.with_suffix(".tasks.json").read_text("utf-8"))
            runs.append((meta, rows))
    else:
        budgets = [int(b) for b in args.budgets.split(",") if b]
        first = asyncio.run(
            run(
                split=args.split,
                tasks=args.tasks,
                budget=args.peer_budget,
                grove_budget=budgets[0],
                strategies=[GROVE, *_PEERS],
                progress=lambda line: print(line, file=sys.stderr, flush=True),
            )
        )
        rows = first["tasks"]
        assert isinstance(rows, list) and isinstance(first["meta"], dict)
        earlier = {row["id"]: row["outcomes"] for row in rows}
        runs.append((first["meta"], rows))
        for budget in budgets[1:]:
            later = asyncio.run(
                run(
                    split=args.split,
                    tasks=args.tasks,
                    budget=args.peer_budget,
                    grove_budget=budget,
                    strategies=[GROVE],
                    progress=lambda line: print(line, file=sys.stderr, flush=True),
                    baselines=earlier,
                )
            )
            assert isinstance(later["tasks"], list) and isinstance(later["meta"], dict)
            runs.append((later["meta"], later["tasks"]))
    points: list[Point] = []
    for number, (meta, rows) in enumerate(runs):
        points.extend(points_of(meta, rows, peers=number == 0, limit=args.tasks))
    sources = [str(p) for p in args.sources] if args.sources else ["run"]
    print(_write(points, args.split, sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
