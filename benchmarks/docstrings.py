"""Docstring benchmark: share of model answers that validate (first try / after the retry).

Takes functions from the standard library, strips their docstrings, and runs Grove's docstring
pipeline on each with the configured model (the embedded SmolLM2 by default)::

    python -m benchmarks.docstrings --count 50 [--completions] [--json FILE]

Prints one line per function and the shares of first-try, after-retry and skeleton results.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import importlib
import inspect
import json
import textwrap
from pathlib import Path

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.docstrings import generate_docstring
from server.refusal import SendPolicy
from server.settings import resolve_settings

MODULES = (
    "textwrap",
    "shlex",
    "fnmatch",
    "base64",
    "heapq",
    "glob",
    "statistics",
    "calendar",
    "string",
    "posixpath",
)


def samples(count: int) -> list[tuple[str, str]]:
    """(name, source without its docstring) of functions that have a docstring."""
    out: list[tuple[str, str]] = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ != module_name or not func.__doc__:
                continue
            try:
                code = textwrap.dedent(inspect.getsource(func))
            except (OSError, TypeError):
                continue
            tree = ast.parse(code)
            node = tree.body[0]
            if not isinstance(node, ast.FunctionDef) or len(node.body) < 2:
                continue
            doc_node = node.body[0]
            lines = code.splitlines(keepends=True)
            stripped = lines[: doc_node.lineno - 1] + lines[doc_node.end_lineno or 0 :]
            out.append((f"{module_name}.{name}", "".join(stripped)))
            if len(out) >= count:
                return out
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--completions", action="store_true", help="/completions, not chat")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--timeout-ms", type=int, default=60_000)
    args = parser.parse_args()
    # Validity, not latency: a generous timeout so a busy machine does not turn into skeletons.
    settings = resolve_settings({"completion": {"timeoutMs": args.timeout_ms}})
    backend = ModelBackend(settings, lambda level, message: None)
    tally: collections.Counter[str] = collections.Counter()
    rows: list[dict[str, object]] = []
    try:
        for name, code in samples(args.count):
            doc = SourceDocument(code, language_for(None, "x.py"))
            result = await generate_docstring(
                backend,
                SendPolicy.outside_workspace(),
                doc,
                code.index("def ") + 4,
                use_chat=not args.completions,
            )
            tally[result.source] += 1
            rows.append({"name": name, "source": result.source, "problems": list(result.problems)})
            print(f"{name:32} {result.source:8} {'; '.join(result.problems)[:100]}")
            if args.show:
                print(result.edit.text)
    finally:
        await backend.aclose()
    total = sum(tally.values())
    shares = {
        k: round(tally[k] / total, 3) if total else 0.0 for k in ("model", "retry", "skeleton")
    }
    print(f"{total} functions: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    print("shares: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    if args.json is not None:
        report = {
            "model": backend.target.label,
            "endpoint": "completions" if args.completions else "chat",
            "functions": total,
            "counts": {k: tally[k] for k in ("model", "retry", "skeleton")},
            "shares": shares,
            "results": rows,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
