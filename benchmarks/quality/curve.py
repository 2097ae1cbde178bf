"""Edit similarity against cold latency over context budgets: the curve that sets the default.

Run: ``python -m benchmarks.quality.curve --split dev --tasks 80 --budgets 128,256,512,1024``

Runs the harness (:mod:`benchmarks.quality.run`) once with the peers' layouts (at
``--peer-budget``) and Grove at the first budget, then Grove alone at each other budget on the
same tasks (the peers' outcomes are reused: a greedy model answers the same prompt the same
way), and writes
``benchmarks/results/quality-curve-<split>.json`` / ``.md`` / ``.svg``: per point, edit
similarity, exact match, empty share, cold model time p50 / p95, and the prompt tokens sent and
read.  ``--from FILE...`` draws the curve from earlier result files instead of running (the
peers' points come from the first file).
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

from benchmarks.quality.llama_timings import private_model_environment
from benchmarks.quality.run import GROVE, RESULTS, run

__all__ = ["Point", "points_of", "svg"]

Point = dict[str, Any]

_PEERS = ("prefix-only", "lines-20-20")
_WIDTH, _HEIGHT = 640, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 150, 30, 50


def points_of(result: Mapping[str, Any], *, peers: bool) -> list[Point]:
    """The curve's points in one harness result: Grove's, and the peers' when ``peers``."""
    summary, meta = result["summary"], result["meta"]
    out: list[Point] = []
    for name, quality in summary["quality"].items():
        if name != GROVE and (not peers or name not in _PEERS):
            continue
        latency = summary["latency"].get(name, {})
        total = latency.get("model_total_cold", {})
        if not total.get("n"):
            continue
        sent = latency.get("prompt_tokens_sent", {})
        read = latency.get("prompt_tokens_read", {})
        out.append(
            {
                "strategy": name,
                "budget": meta.get("grove_budget_tokens", meta["budget_tokens"])
                if name == GROVE
                else meta["budget_tokens"],
                "tasks": meta["tasks"],
                "edit_similarity": quality["edit_similarity"],
                "exact_match": quality["exact_match"],
                "empty": quality["empty"],
                "model_total_p50_ms": total["p50_ms"],
                "model_total_p95_ms": total["p95_ms"],
                "first_token_p50_ms": latency.get("first_token_cold", {}).get("p50_ms"),
                "tokens_sent_p50": sent.get("p50"),
                "tokens_read_p50": read.get("p50"),
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
    """A self-contained SVG: edit similarity (y) against cold model time p50 (x)."""
    xs = [p["model_total_p50_ms"] / 1000 for p in points] or [1.0]
    ys = [p["edit_similarity"] for p in points] or [1.0]
    x_max = float(max(xs)) * 1.15
    y_low, y_high = float(min(ys)) - 3, float(max(ys)) + 3
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x_of(seconds: float) -> float:
        return _LEFT + plot_w * seconds / x_max

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
        "cold model time p50 (s)</text>",
        f'<text x="16" y="{_TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + plot_h / 2})">edit similarity</text>',
    ]
    steps = 5
    for i in range(steps + 1):
        seconds = x_max * i / steps
        similarity = y_low + (y_high - y_low) * i / steps
        parts.append(
            f'<text x="{x_of(seconds):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{seconds:.1f}</text>"
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y_of(similarity) + 4:.1f}" text-anchor="end">'
            f"{similarity:.0f}</text>"
        )
    grove = sorted((p for p in points if p["strategy"] == GROVE), key=lambda p: p["budget"])
    if len(grove) > 1:
        path = " ".join(
            f"{x_of(p['model_total_p50_ms'] / 1000):.1f},{y_of(p['edit_similarity']):.1f}"
            for p in grove
        )
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2b7a3d" stroke-width="2"/>')
    for p in points:
        x, y = x_of(p["model_total_p50_ms"] / 1000), y_of(p["edit_similarity"])
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
    title = f"Edit similarity vs cold latency, {split} split (embedded SmolLM2-135M, 2 cores)"
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
    results: list[Mapping[str, Any]] = []
    if args.sources:
        results = [json.loads(path.read_text("utf-8")) for path in args.sources]
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
        rows = first.pop("tasks")
        assert isinstance(rows, list)
        earlier = {row["id"]: row["outcomes"] for row in rows}
        results.append(first)
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
            later.pop("tasks")
            results.append(later)
    points: list[Point] = []
    for number, result in enumerate(results):
        points.extend(points_of(result, peers=number == 0))
    sources = [str(p) for p in args.sources] if args.sources else ["run"]
    print(_write(points, args.split, sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
