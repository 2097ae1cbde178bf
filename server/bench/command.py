"""``grove bench [PATH]``: which model, mode and budget complete *your* code best.

Owns the command's arguments (:func:`add_arguments`) and its run (:func:`run_bench`): collect the
files under PATH by Grove's rules (:mod:`server.bench.files`), cut masked tasks from them
(:mod:`analyzers.bench.tasks`), run them with each variant's settings through the completion
pipeline (:mod:`server.bench.runner`), print the table (:mod:`server.bench.report`) and write
the plot (:mod:`server.bench.plot`) and, if asked, the JSON result.  Output goes through the
``out`` (the table) and ``err`` (progress) callables the entry point passes in.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from analyzers.bench.scoring import MaskedTask
from analyzers.bench.tasks import LANGUAGES, SourceFile, build_tasks
from server import __version__
from server.backend import Notify
from server.bench.files import Collection, collect_files
from server.bench.plot import svg
from server.bench.report import comparisons, markdown, result_json, summarize
from server.bench.runner import BenchStopped, Outcome, VariantRun, run_variant
from server.bench.variants import BadVariant, Variant, resolve_variants
from server.cli_workspace import open_workspace
from server.settings import resolve_settings

__all__ = ["DEFAULT_PLOT", "DEFAULT_TASKS", "add_arguments", "run_bench"]

DEFAULT_TASKS = 40
DEFAULT_PLOT = "grove-bench.svg"
_MAX_PER_FILE = 32

Write = Callable[[str], None]
Finish = Callable[[str | None], None]

DESCRIPTION = """\
Which model, mode and budget complete *your* code best? Cuts fill-in-the-middle tasks
from your code under PATH (a statement line, a condition, call arguments or the rest of
a function body, removed), asks the model your settings choose to fill each one through
Grove's real completion pipeline, and prints exact match, edit similarity, the share of
suggestions that keep the file parseable, the share of empty ones, and latency.

Files Grove never sends (.gitignore, .groveignore, grove.context.exclude, secret files,
binary or huge files) never become tasks; requests go only to your model, as completions
in the editor do."""

EPILOG = """\
examples:
  grove bench                                  40 tasks from ., the current settings
  grove bench src --tasks 100 --json bench.json
  grove bench --compare context.budgetTokens=256 --compare context.budgetTokens=1024
  grove bench --settings '{"endpoint": {"baseUrl": "http://127.0.0.1:8080/v1"}}' \\
      --compare completion.mode=prefix --compare completion.mode=qwen"""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _languages(text: str) -> list[str]:
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [language for language in wanted if language not in LANGUAGES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown language {', '.join(unknown) or repr(text)} (have: {', '.join(LANGUAGES)})"
        )
    return wanted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own arguments (the entry point adds ``--settings`` and ``--log-level``)."""
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="directory or file (default: .)"
    )
    parser.add_argument(
        "--tasks",
        type=_positive,
        default=DEFAULT_TASKS,
        metavar="N",
        help=f"how many tasks (default {DEFAULT_TASKS})",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="which tasks are cut (default 0)"
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="SETTING=VALUE[,SETTING=VALUE...]",
        help="one variant of the current settings, e.g. context.budgetTokens=256 (repeat to "
        "compare several on the same tasks; 'current' is the settings unchanged)",
    )
    parser.add_argument(
        "--plot", default=DEFAULT_PLOT, metavar="FILE", help=f"SVG plot (default {DEFAULT_PLOT})"
    )
    parser.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="write the full result: every task, target and suggestion",
    )
    parser.add_argument(
        "--languages", type=_languages, metavar="a,b", help=f"among {', '.join(LANGUAGES)}"
    )


def _tasks(files: Sequence[SourceFile], count: int, seed: int) -> list[MaskedTask]:
    """``count`` tasks spread over the files (more per file only when there are too few)."""
    per_file = max(1, math.ceil(count / max(len(files), 1)))
    while True:
        chosen = build_tasks(files, seed=seed, per_file=per_file, limit=count)
        if len(chosen) >= count or per_file >= _MAX_PER_FILE:
            break
        per_file *= 2
    by_path = {f.path: f for f in files}
    return [MaskedTask.of(task, by_path[task.path]) for task in chosen]


def _collect(args: argparse.Namespace, variants: Sequence[Variant], notify: Notify) -> Collection:
    """The files, judged by the rules of every variant (each one's excludes apply)."""
    excludes = list(dict.fromkeys(g for v in variants for g in v.settings.context_exclude))
    workspace = open_workspace(args.path, excludes, notify)
    try:
        return collect_files(
            args.path,
            workspace.policy,
            languages=args.languages or LANGUAGES,
            max_files=max(4 * args.tasks, 100),
            seed=args.seed,
        )
    finally:
        workspace.close()


def _progress(err: Write, letter: str, total: int) -> Callable[[int, MaskedTask, Outcome], None]:
    def show(number: int, masked: MaskedTask, outcome: Outcome) -> None:
        task = masked.task
        if outcome.error is not None:
            result = "failed"
        elif not outcome.asked:
            result = f"ES {outcome.similarity:.0f}  (Grove would not complete here)"
        else:
            result = f"ES {outcome.similarity:.0f}  {outcome.total_ms or 0:.0f} ms"
        err(f"[{letter}{number}/{total}] {task.relpath}:{masked.line} {task.kind}  {result}")

    return show


def _announce(err: Write, letter: str) -> Callable[[VariantRun], None]:
    def show(run: VariantRun) -> None:
        err(f"grove bench: {letter}{run.name}: {run.model}, ready in {run.startup_s:.1f} s")

    return show


def _meta(
    args: argparse.Namespace,
    collection: Collection,
    runs: Sequence[VariantRun],
    variants: Sequence[Variant],
    tasks: Sequence[MaskedTask],
) -> dict[str, Any]:
    return {
        "grove": __version__,
        "path": args.path,
        "seed": args.seed,
        "tasks": len(tasks),
        "kinds": dict(Counter(m.task.kind for m in tasks)),
        "files": {
            "used": len(collection.files),
            "skipped": dict(collection.skipped),
            "other_languages": collection.other_languages,
            "summary": collection.summary(),
        },
        "variants": [
            {"name": v.name, "overrides": dict(v.overrides), "model": r.model, "mode": r.mode}
            for v, r in zip(variants, runs, strict=False)
        ],
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


async def run_bench(
    args: argparse.Namespace, *, notify: Notify, finish: Finish, out: Write, err: Write
) -> int:
    """Run the command; the exit code (0 done, 1 nothing to run or no model, 2 bad arguments)."""
    try:
        base = json.loads(args.settings) if args.settings else {}
    except json.JSONDecodeError as error:
        err(f"grove: --settings is not JSON: {error}")
        return 2
    base = base if isinstance(base, dict) else {}
    current = resolve_settings(base)
    if current.endpoint_error is not None:
        err(f"grove: {current.endpoint_error}")
        return 2
    try:
        variants = resolve_variants(base, args.compare)
    except BadVariant as error:
        err(f"grove: {error}")
        return 2
    for problem in current.problems:
        err(f"grove: setting ignored: {problem}")
    if not Path(args.path).exists():
        err(f"grove: {args.path} does not exist")
        return 2
    collection = _collect(args, variants, notify)
    err(f"grove bench: {args.path}: {collection.summary()}")
    if not collection.files:
        finish(f"grove: no file under {args.path} can be used for tasks")
        return 1
    tasks = _tasks(collection.files, args.tasks, args.seed)
    if not tasks:
        finish(f"grove: no task could be cut from the {len(collection.files)} files")
        return 1
    kinds = Counter(m.task.kind for m in tasks)
    err(f"grove bench: {len(tasks)} tasks ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
    runs: list[VariantRun] = []
    for i, variant in enumerate(variants):
        letter = f"{chr(ord('A') + i)} " if len(variants) > 1 else ""
        try:
            run = await run_variant(
                variant.name,
                variant.settings,
                tasks,
                args.path,
                notify,
                _progress(err, letter, len(tasks)),
                _announce(err, letter),
            )
        except BenchStopped as stopped:
            finish(f"grove: bench stopped ({variant.name}): {stopped}")
            return 1
        runs.append(run)
    summaries = [summarize(run, tasks) for run in runs]
    out(
        f"{len(tasks)} tasks from {len(collection.files)} files under {args.path} "
        f"(seed {args.seed})\n"
    )
    out(markdown(summaries, comparisons(runs)))
    out(
        "Latency: from building the context to the post-processed suggestion, cold (a new "
        "position each time), over the tasks the model answered."
    )
    title = f"grove bench: {len(tasks)} tasks under {args.path}"
    try:
        Path(args.plot).write_text(svg(summaries, title), encoding="utf-8")
        if args.json_file:
            result = result_json(_meta(args, collection, runs, variants, tasks), runs, tasks)
            Path(args.json_file).write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    except OSError as error:
        finish(f"grove: cannot write the result: {error}")
        return 1
    written = ", ".join(p for p in (args.plot, args.json_file) if p)
    err(f"grove bench: wrote {written}")
    return 0
