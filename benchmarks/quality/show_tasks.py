"""Show the masked tasks the quality harness would build from this machine's sources.

Run: ``python -m benchmarks.quality.show_tasks [--languages python lua] [--split test]``

Prints the number of tasks per language and kind, then the first few targets in full.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from analyzers.bench.tasks import KINDS, build_tasks
from benchmarks.quality.sources import LANGUAGES, collect_sources


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality.show_tasks", description="Show masked tasks."
    )
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--split", choices=("dev", "test"), default=None)
    parser.add_argument("--per-file", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--show", type=int, default=10, help="tasks to print in full")
    args = parser.parse_args(argv)
    collected = collect_sources(args.languages)
    for language, message in collected.missing.items():
        print(f"{language}: {message}")
    tasks = build_tasks(
        collected.all_files(),
        seed=args.seed,
        per_file=args.per_file,
        split=args.split,
        limit=args.limit,
    )
    counts = Counter((t.language, t.kind) for t in tasks)
    files = {language: len(group) for language, group in collected.files.items()}
    print(f"{len(tasks)} tasks")
    print("| language | files | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for language in collected.files:
        row = " | ".join(str(counts[(language, kind)]) for kind in KINDS)
        print(f"| {language} | {files[language]} | {row} |")
    for task in tasks[: args.show]:
        print(f"\n--- {task.id} [{task.language}, {task.split}]")
        print(task.target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
