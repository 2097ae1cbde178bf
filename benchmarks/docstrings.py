"""Docstring benchmark: share of model answers that validate (first try / after the retry).

Takes functions from the standard library, strips their docstrings, and runs Grove's docstring
pipeline on each with the configured model (the embedded SmolLM2 by default)::

    python -m benchmarks.docstrings --count 10 [--completions]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import importlib
import inspect
import textwrap

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.docstrings import generate_docstring
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
    args = parser.parse_args()
    backend = ModelBackend(resolve_settings({}), lambda level, message: None)
    tally: collections.Counter[str] = collections.Counter()
    try:
        for name, code in samples(args.count):
            doc = SourceDocument(code, language_for(None, "x.py"))
            result = await generate_docstring(
                backend, doc, code.index("def ") + 4, use_chat=not args.completions
            )
            tally[result.source] += 1
            print(f"{name:32} {result.source:8} {'; '.join(result.problems)[:100]}")
            if args.show:
                print(result.edit.text)
    finally:
        await backend.aclose()
    total = sum(tally.values())
    print(f"{total} functions: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    asyncio.run(main())
