"""Keystroke latency while an unclosed bracket is typed into a 10,000-line file.

Run: ``python -m benchmarks.keystroke_reparse [--repeat 3] [--sites 4] [--json PATH]``

What the language server does on its event loop for one keystroke, measured the way a user
feels it:

* ``didChange``: :meth:`server.lsp.documents.DocumentStore.change` (the text, the line index and
  ``tree.edit``), with the position converted from UTF-16 as a client sends it;
* the automatic inline completion that follows: :func:`server.completion.prepare_request` with
  the default settings (completion kind + the budgeted context window). It is the first call
  that needs the syntax tree after the change, so the incremental reparse happens inside it.

Two documents of about 10,000 lines of real code: Python (``_pydecimal.py`` + ``typing.py`` +
``bisect.py`` of the running interpreter, no syntax error) and JavaScript (``argparse.js``,
written without semicolons, + ``commander/lib/command.js`` + ``lodash/core.js`` from the VS Code
extension's ``node_modules``: run ``npm ci`` in ``editors/vscode`` first; tree-sitter misreads
three spots of argparse's semicolon-free code, so that file has syntax errors, as real ones do).
At ``--sites`` functions near the top of each file (``return`` lines in the first fifth) the
replay opens a new line above the ``return`` (Enter, the editor's auto-indent) and types
``result = foo(self, 'key', 1)`` (JavaScript: ``const result = foo(this, 'key', 1);``) one
character at a time, pausing after the bracket (waiting for a suggestion) and at the end of
the line: the bracket stays unclosed for 15 keystrokes. At each pause, with the budget on, the
server finishes a cut reparse in idle slices (:meth:`DocumentStore.finish_parse`); each slice
is timed.

Modes, run alternately on the same machine state, ``--repeat`` times:

* ``before``: ``DocumentStore(reparse_budget=None)`` -- every reparse runs to the end before the
  completion can be prepared (the behaviour before the reparse budget);
* ``after``: ``DocumentStore()`` -- the server's default reparse budget.

Reports p50/p95/max per keystroke (change + first tree access), the worst keystroke, how many
keystrokes were served a stale (edited, not yet reparsed) tree, how many prepared requests
differ from the ``before`` run, and whether the tree after the pause equals a fresh parse.
Writes ``benchmarks/results/keystroke_reparse.json`` (with the command that produced it).
Timing only: nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import sysconfig
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from lsprotocol import types

from analyzers.languages import language_for
from analyzers.parsing import DEFAULT_REPARSE_BUDGET, SourceDocument
from analyzers.positions import Encoding
from server.completion import prepare_request
from server.lsp.documents import DocumentStore
from server.settings import Settings, resolve_settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
NODE_MODULES = ROOT / "editors" / "vscode" / "node_modules"

PYTHON_SOURCES = ("_pydecimal.py", "typing.py", "bisect.py")
JS_SOURCES = ("argparse/argparse.js", "commander/lib/command.js", "lodash/core.js")
TYPED = {
    "python": "result = foo(self, 'key', 1)",
    "javascript": "const result = foo(this, 'key', 1);",
}
ENCODING: Encoding = "utf-16"
BUDGET_TOKENS = 1024
"""The context budget for an endpoint model (``grove.context.budgetTokens: auto``)."""


@dataclass
class Keystroke:
    """One keystroke's event-loop work."""

    site: int
    index: int
    typed: str
    change_ms: float
    access_ms: float
    stale: bool
    request: tuple[str, str, str] | None

    @property
    def total_ms(self) -> float:
        return self.change_ms + self.access_ms


@dataclass
class Run:
    """One replay of all sites in one mode."""

    keystrokes: list[Keystroke] = field(default_factory=list)
    pause_slices_ms: list[list[float]] = field(default_factory=list)
    matches_fresh: list[bool] = field(default_factory=list)


def python_file() -> tuple[str, list[str]]:
    """Whole standard-library modules, about 10,000 lines."""
    return "".join((STDLIB / name).read_text("utf-8") for name in PYTHON_SOURCES), [
        f"stdlib/{name}" for name in PYTHON_SOURCES
    ]


def javascript_file() -> tuple[str, list[str]] | None:
    """Whole JavaScript modules from the extension's node_modules, about 10,000 lines."""
    paths = [NODE_MODULES / name for name in JS_SOURCES]
    if not all(path.is_file() for path in paths):
        return None
    return "".join(path.read_text("utf-8") for path in paths), [
        f"node_modules/{name}" for name in JS_SOURCES
    ]


def sites(text: str, count: int) -> list[int]:
    """Offsets of ``return`` lines (inside functions) spread over the first fifth of the file."""
    found: list[int] = []
    offset = 0
    lines = text.splitlines(keepends=True)
    for line in lines[: len(lines) // 5]:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if indent >= 4 and stripped.startswith("return ") and len(stripped) < 80:
            found.append(offset)
        offset += len(line)
    step = max(len(found) // count, 1)
    return found[::step][:count]


def make_store(mode: str) -> DocumentStore:
    """``after``: the server's store; ``before``: every reparse runs to the end."""
    return DocumentStore() if mode == "after" else DocumentStore(reparse_budget=None)


def replay(
    mode: str, language_id: str, path: str, text: str, count: int, settings: Settings
) -> Run:
    """Open the file, type the line at each site, pause; time every keystroke."""
    store = make_store(mode)
    uri = Path(path).as_uri()
    version = 1
    document = store.open(
        types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
    )
    assert document.source.has_tree
    run = Run()
    typed = TYPED[language_id]
    pause_at = typed.index("(") + 1  # keys[pause_at] types the bracket; the user waits there

    def pause() -> None:
        """The user pauses: the server finishes a cut reparse in idle slices."""
        slices: list[float] = []
        while mode == "after":
            t0 = time.perf_counter()
            done = store.finish_parse(uri)  # one slice, as the server's idle callback runs it
            slices.append((time.perf_counter() - t0) * 1000)
            if done:
                break
        run.pause_slices_ms.append(slices)

    # Sites are typed bottom-up so that earlier offsets stay valid.
    for site, line_start in enumerate(reversed(sites(text, count))):
        line = document.source.text[line_start : document.source.text.find("\n", line_start)]
        indent = line[: len(line) - len(line.lstrip())]
        keys = [indent + "\n", *typed]
        cursor = line_start
        for index, key in enumerate(keys):
            version += 1
            position = document.position_at(cursor, ENCODING)
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=position, end=position), text=key
            )
            identifier = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
            cursor += len(key) - (1 if index == 0 else 0)  # after Enter: the new line's indent
            t0 = time.perf_counter()
            store.change(identifier, [change], ENCODING)
            t1 = time.perf_counter()
            prepared = prepare_request(document.source, cursor, path, settings)
            t2 = time.perf_counter()
            request = None
            if prepared is not None:
                req = prepared.request
                request = (prepared.kind.value, req.prefix, req.suffix)
            run.keystrokes.append(
                Keystroke(
                    site=site,
                    index=index,
                    typed="".join(keys[1 : index + 1]) if index else "<Enter>",
                    change_ms=(t1 - t0) * 1000,
                    access_ms=(t2 - t1) * 1000,
                    stale=document.source.reparse_pending,
                    request=request,
                )
            )
            if index == pause_at:
                pause()
        pause()
        fresh = SourceDocument(document.source.text, document.source.language)
        run.matches_fresh.append(document.source.sexp() == fresh.sexp())
    return run


def percentile(values: Sequence[float], q: float) -> float:
    """Linear between closest ranks (NumPy's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stats(values: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "max_ms": round(max(values), 2),
    }


def summarize(runs: list[Run], baseline: list[Run] | None) -> dict[str, object]:
    keystrokes = [k for run in runs for k in run.keystrokes]
    worst = max(keystrokes, key=lambda k: k.total_ms)
    out: dict[str, object] = {
        "keystroke_total": stats([k.total_ms for k in keystrokes]),
        "did_change": stats([k.change_ms for k in keystrokes]),
        "first_tree_access": stats([k.access_ms for k in keystrokes]),
        "worst_keystroke": {
            "site": worst.site,
            "typed_so_far": worst.typed,
            "total_ms": round(worst.total_ms, 2),
            "change_ms": round(worst.change_ms, 2),
            "access_ms": round(worst.access_ms, 2),
        },
        "keystrokes_served_a_stale_tree": sum(k.stale for k in keystrokes),
        "tree_after_pause_equals_fresh_parse": f"{sum(m for r in runs for m in r.matches_fresh)}"
        f"/{sum(len(r.matches_fresh) for r in runs)}",
    }
    slices = [s for run in runs for pause in run.pause_slices_ms for s in pause]
    if slices:
        per_pause = [pause for run in runs for pause in run.pause_slices_ms]
        out["idle_finish_after_pause"] = {
            "slice": stats(slices),
            "slices_per_pause_max": max(len(p) for p in per_pause),
            "total_per_pause": stats([sum(p) for p in per_pause]),
        }
    if baseline is not None:
        pairs = [
            (a, b)
            for run, base in zip(runs, baseline, strict=True)
            for a, b in zip(run.keystrokes, base.keystrokes, strict=True)
        ]
        differ = [a for a, b in pairs if a.request != b.request]
        out["requests_differing_from_before"] = f"{len(differ)}/{len(pairs)}"
        out["kinds_differing_from_before"] = sum(
            (a.request or ("",))[0] != (b.request or ("",))[0] for a, b in pairs
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="replays per mode (alternating)")
    parser.add_argument("--sites", type=int, default=4, help="functions typed into per file")
    parser.add_argument("--modes", default="before,after", help="before, after or both")
    parser.add_argument("--json", type=Path, default=RESULTS / "keystroke_reparse.json")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    settings = resolve_settings({})
    if not isinstance(settings.context_budget_tokens, int):
        settings = replace(settings, context_budget_tokens=BUDGET_TOKENS)
    files: dict[str, tuple[str, list[str]]] = {"python": python_file()}
    js = javascript_file()
    if js is None:
        print("JavaScript skipped: run `npm ci` in editors/vscode", file=sys.stderr)
    else:
        files["javascript"] = js
    load_before = os.getloadavg()
    results: dict[str, object] = {}
    for language_id, (text, sources) in files.items():
        path = str(ROOT / f"grove_keystroke_bench.{'py' if language_id == 'python' else 'js'}")
        assert language_for(language_id, path) is not None
        runs: dict[str, list[Run]] = {m: [] for m in modes}
        for _ in range(args.repeat):
            for mode in modes:
                runs[mode].append(replay(mode, language_id, path, text, args.sites, settings))
        results[language_id] = {
            "lines": text.count("\n"),
            "sources": sources,
            "typed": TYPED[language_id],
            **{
                mode: summarize(
                    runs[mode], runs["before"] if mode != "before" and "before" in runs else None
                )
                for mode in modes
            },
        }
        print(language_id, json.dumps(results[language_id], indent=2))
    out = {
        "command": " ".join(
            ["python -m benchmarks.keystroke_reparse", *(sys.argv[1:] if argv is None else argv)]
        ),
        "python": platform.python_version(),
        "tree_sitter": metadata.version("tree-sitter"),
        "tree_sitter_language_pack": metadata.version("tree-sitter-language-pack"),
        "machine": {
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "reparse_budget_ms": DEFAULT_REPARSE_BUDGET * 1000,
        "idle_finish": {
            "after_pause_ms": DocumentStore.FINISH_IDLE_S * 1000,
            "slice_ms": DocumentStore.FINISH_SLICE_S * 1000,
        },
        "settings": {"budget_tokens": settings.context_budget_tokens, "mode": "default"},
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
