"""Completion quality and latency per context strategy: the harness's one command.

Run: ``python -m benchmarks.quality.run [--split test] [--tasks 120] [--budget 600]
[--grove-budget N]``

``--budget`` is the peers' token budget (``prefix-only`` is the last ~600 tokens of llm-ls and
Continue at 600); Grove uses ``grove.context.budgetTokens``: ``auto`` (what a user gets) unless
``--grove-budget`` sets a number.

For each masked task (see :mod:`analyzers.bench.tasks`) and each strategy (see
:mod:`benchmarks.quality.strategies`), the same model, token budget, tokenizer, generation limits,
stop rule and post-processing as the editor produce a suggestion; it is scored against the
masked text (exact match, edit similarity, parseable, empty).  Grove's own strategy runs the
editor's context engine with a workspace index over the task's source tree: the modules the file
imports are indexed first (a warm index, as after the server's background indexing) and up to
five sibling files of the task's directory stand for the user's other open files.

Latency is reported separately: context build time per strategy, time to first token (prompt
processing) and total model time, cold (a new position) and warm (the same request after typing
the target's first character, so the model server reuses its KV cache).  Two strategies that
send the same prompt get the same answer from a greedy model, so it is asked once (their
latencies are counted once).

The baselines do not change when Grove's engine does, and a greedy model answers a prompt the
same way every time: ``--baselines-from FILE`` (an earlier ``.tasks.json`` of the same split,
seed and budget) takes the other strategies' outcomes from that run for the tasks it holds, so
only the strategies named in ``--strategies`` are asked again.  The result records the file and
its sha256.

Writes ``benchmarks/results/quality-<split>.json`` (summary and provenance), ``.md`` (and
``.png`` when matplotlib is installed), and every prediction to ``quality-<split>.tasks.json``
(not committed: it quotes third-party code); prints the Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from analyzers.bench.metrics import paired_bootstrap, percentile
from analyzers.bench.scoring import MaskedTask, score
from analyzers.bench.tasks import Task, build_tasks
from analyzers.completion_kind import CompletionKind, completion_kind
from analyzers.crossfile import imported_names, module_paths
from analyzers.parsing import SourceDocument
from benchmarks.quality.llama_timings import LlamaTimings, private_model_environment
from benchmarks.quality.sources import SourceFile, collect_sources
from benchmarks.quality.strategies import BASELINES
from server.backend import ModelBackend
from server.completion import CompletionEngine, PreparedRequest
from server.context_sources import FileFacts, RelatedContext, analyze_file
from server.llm.embedded_install import embedded_model_path
from server.llm.provider import CompletionRequest
from server.model_choice import context_budget
from server.refusal import SendPolicy
from server.settings import Settings, resolve_settings
from server.workspace import WorkspaceIndex

RESULTS = Path(__file__).resolve().parents[1] / "results"
GROVE = "grove"
_SIBLINGS = 5
_SINGLE_LINE_MAX_TOKENS = 48


@dataclass
class Outcome:
    """One strategy's answer on one task, scored."""

    prediction: str
    exact: bool
    similarity: float
    parseable: bool | None
    empty: bool
    context_ms: float
    first_token_ms: float | None = None
    model_ms: float | None = None
    prompt_chars: int = 0
    reused: bool = False
    prompt_tokens: int = 0
    """Tokens sent (the model's own tokenizer)."""
    tokens_read: int | None = None
    """Prompt tokens llama.cpp evaluated, from its log (the rest came from its KV cache)."""
    raw: str = ""
    """The model's answer before post-processing (after the healed text; all of it when it left
    the healed text)."""
    why_empty: str = ""
    """For an empty prediction: see :func:`why_empty`."""


@dataclass(frozen=True)
class Asked:
    """One model call's answer."""

    final: str
    raw: str
    why_empty: str
    first_token_ms: float | None
    model_ms: float | None
    tokens_read: int | None
    reused: bool = False


def why_empty(answer: str | None, final: str) -> str:
    """Why a request gave no suggestion: ``""`` when it gave one.

    ``no answer`` (the model wrote nothing but blanks), ``left healed text`` (token healing
    rejected it), ``newline first`` / ``comment first`` (what the model began with, which
    post-processing cut to nothing), ``rejected`` (post-processing refused the rest).
    """
    if final:
        return ""
    if answer is None:
        return "left healed text"
    if not answer.strip():
        return "no answer"
    first = answer.lstrip(" \t")
    if first.startswith(("\n", "\r")):
        return "newline first"
    if first.startswith(("#", "//", "--", "/*")):
        return "comment first"
    return "rejected"


@dataclass
class TaskResult:
    """All strategies' outcomes on one task."""

    task: Task
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    warm_ms: float | None = None
    warm_tokens_read: int | None = None


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ("llama_cpp_python", "openai", "tree-sitter", "tree-sitter-language-pack", "pygls"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _model_hash(backend: ModelBackend) -> str | None:
    if not backend.target.embedded:
        return None
    path = embedded_model_path()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path else None


def _root_of(file: SourceFile) -> str:
    """The source tree a file belongs to: its path minus its relative path."""
    path = Path(file.path)
    parts = len(Path(file.relpath).parts)
    return str(path.parents[parts - 1])


class Harness:
    """Runs tasks through every strategy against one model backend."""

    def __init__(
        self,
        backend: ModelBackend,
        settings: Settings,
        strategies: Sequence[str],
        peer_budget: int,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.peer_budget = peer_budget
        self.strategies = list(strategies)
        self.index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file)
        self.related = RelatedContext(self.index)
        self.engine = CompletionEngine(
            backend,
            SendPolicy(self.index),
            related=self.related.blocks,
            display_path=self.related.display_path,
        )
        self._answers: dict[str, Asked] = {}
        self._opened: list[str] = []
        self.timings = LlamaTimings()

    async def _warm_index(self, file: SourceFile, doc: SourceDocument) -> None:
        """Index what the file imports and its siblings (the user's other open files)."""
        root = _root_of(file)
        self.index.set_roots([root])
        for path in self._opened:
            self.index.note_close(path)
        self._opened = []
        language = doc.language.name if doc.language else ""
        for imported in imported_names(doc):
            for candidate in module_paths(file.path, imported, language, [root]):
                if os.path.isfile(candidate):
                    await self.index.load(candidate)
                    break
        directory = Path(file.path).parent
        siblings = sorted(
            p for p in directory.iterdir() if p.is_file() and p.suffix == Path(file.path).suffix
        )
        for sibling in [p for p in siblings if str(p) != file.path][:_SIBLINGS]:
            try:
                self.index.note_open(str(sibling), sibling.read_text("utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            self._opened.append(str(sibling))
            await self.index.load(str(sibling))
        self.related.forget(file.path)

    async def _ask(self, prepared: PreparedRequest, doc: SourceDocument, offset: int) -> Asked:
        """The model's answer to one request, post-processed (a repeated prompt is asked once)."""
        request = prepared.request
        key = json.dumps([request.prefix, request.suffix, request.max_tokens, prepared.healed])
        if key in self._answers:
            return replace(self._answers[key], reused=True)
        self.timings.mark(self.backend.embedded_log())
        result = await self.engine.ask(prepared, doc, offset)
        read = self.timings.tokens_read(
            self.backend.embedded_log(), self.backend.count_tokens(request.prefix)
        )
        streamed = result.text if result is not None else ""
        answer = prepared.answer(streamed)
        final = prepared.finish(streamed, doc, offset)
        asked = Asked(
            final,
            streamed if answer is None else answer,
            why_empty(answer, final),
            None if result is None or result.first_token_s is None else result.first_token_s * 1000,
            None if result is None or result.total_s is None else result.total_s * 1000,
            read,
        )
        self._answers[key] = asked
        return asked

    async def run_task(self, task: Task, file: SourceFile) -> TaskResult:
        """Every strategy on one task, scored."""
        masked = MaskedTask.of(task, file)
        doc = masked.document
        language = doc.language
        kind = completion_kind(doc, task.offset)
        sends_suffix = self.backend.target.mode != "prefix"
        count = self.backend.count_tokens
        budget = self.peer_budget
        max_tokens = self.settings.completion_max_tokens
        if kind is CompletionKind.SINGLE_LINE:
            max_tokens = min(max_tokens, _SINGLE_LINE_MAX_TOKENS)
        result = TaskResult(task)
        self._answers = {}
        for name in self.strategies:
            started = time.perf_counter()
            prepared: PreparedRequest | None
            if name == GROVE:
                await self._warm_index(file, doc)
                started = time.perf_counter()
                prepared = self.engine.prepare(
                    file.path, doc, task.offset, file.path, self.settings
                )
            else:
                layout = BASELINES[name](doc, task.offset, budget, count, sends_suffix)
                request = CompletionRequest(
                    prefix=layout.prefix,
                    suffix=layout.suffix,
                    max_tokens=max_tokens,
                    language=language.name if language else "",
                    path=file.relpath,
                )
                prepared = PreparedRequest(kind, request)
            context_ms = (time.perf_counter() - started) * 1000
            if prepared is None or kind is CompletionKind.NONE:
                result.outcomes[name] = _score("", masked, context_ms)
                result.outcomes[name].why_empty = "no request"
                continue
            asked = await self._ask(prepared, doc, task.offset)
            outcome = _score(asked.final, masked, context_ms)
            outcome.first_token_ms, outcome.model_ms = asked.first_token_ms, asked.model_ms
            outcome.reused, outcome.raw, outcome.why_empty = (
                asked.reused,
                asked.raw,
                asked.why_empty,
            )
            sent = prepared.request.prefix + (prepared.request.suffix if sends_suffix else "")
            outcome.prompt_chars = len(sent)
            outcome.prompt_tokens = count(sent)
            outcome.tokens_read = asked.tokens_read
            result.outcomes[name] = outcome
            if name == GROVE and task.target:
                result.warm_ms, result.warm_tokens_read = await self._warm(doc, task, file)
        return result

    async def _warm(
        self, doc: SourceDocument, task: Task, file: SourceFile
    ) -> tuple[float | None, int | None]:
        """Model time and tokens read after typing the target's first character."""
        typed = SourceDocument(doc.text, doc.language)
        typed.apply_change(task.offset, task.offset, task.target[0])
        prepared = self.engine.prepare(file.path, typed, task.offset + 1, file.path, self.settings)
        if prepared is None:
            return None, None
        self.timings.mark(self.backend.embedded_log())
        started = time.perf_counter()
        await self.engine.ask(prepared, typed, task.offset + 1)
        elapsed = (time.perf_counter() - started) * 1000
        sent = self.backend.count_tokens(prepared.request.prefix)
        return elapsed, self.timings.tokens_read(self.backend.embedded_log(), sent)


def _score(prediction: str, masked: MaskedTask, context_ms: float) -> Outcome:
    scored = score(prediction, masked)
    return Outcome(
        prediction=prediction,
        exact=scored.exact,
        similarity=scored.similarity,
        parseable=scored.parseable,
        empty=scored.empty,
        context_ms=context_ms,
    )


def _stats(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(list(values), 0.5), 2),
        "p95_ms": round(percentile(list(values), 0.95), 2),
    }


def _counts(values: Sequence[int]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile([float(v) for v in values], 0.5), 1),
        "p95": round(percentile([float(v) for v in values], 0.95), 1),
        "mean": round(sum(values) / len(values), 1),
    }


def summarize(results: Sequence[TaskResult], strategies: Sequence[str]) -> dict[str, object]:
    """Per-strategy quality, paired comparisons against Grove, and latency."""
    quality: dict[str, dict[str, object]] = {}
    for name in strategies:
        outcomes = [r.outcomes[name] for r in results if name in r.outcomes]
        non_empty = [o for o in outcomes if not o.empty]
        by_language: dict[str, list[float]] = {}
        for r in results:
            if name in r.outcomes:
                by_language.setdefault(r.task.language, []).append(r.outcomes[name].similarity)
        quality[name] = {
            "n": len(outcomes),
            "exact_match": round(100 * sum(o.exact for o in outcomes) / max(len(outcomes), 1), 1),
            "edit_similarity": round(
                sum(o.similarity for o in outcomes) / max(len(outcomes), 1), 1
            ),
            "parseable": round(
                100 * sum(bool(o.parseable) for o in non_empty) / max(len(non_empty), 1), 1
            ),
            "empty": round(100 * sum(o.empty for o in outcomes) / max(len(outcomes), 1), 1),
            "empty_why": dict(sorted(Counter(o.why_empty for o in outcomes if o.empty).items())),
            "edit_similarity_by_language": {
                lang: round(sum(v) / len(v), 1) for lang, v in sorted(by_language.items())
            },
        }
    comparisons: dict[str, dict[str, float]] = {}
    if GROVE in strategies:
        grove = [r.outcomes[GROVE].similarity for r in results]
        for name in strategies:
            if name == GROVE:
                continue
            other = [r.outcomes[name].similarity for r in results]
            diff, low, high = paired_bootstrap(grove, other)
            comparisons[name] = {
                "mean_diff": round(diff, 2),
                "ci95_low": round(low, 2),
                "ci95_high": round(high, 2),
            }
    latency: dict[str, object] = {}
    for name in strategies:
        outcomes = [r.outcomes[name] for r in results if name in r.outcomes]
        fresh = [o for o in outcomes if not o.reused]
        latency[name] = {
            "context_build": _stats([o.context_ms for o in outcomes]),
            "first_token_cold": _stats([o.first_token_ms for o in fresh if o.first_token_ms]),
            "model_total_cold": _stats([o.model_ms for o in fresh if o.model_ms]),
            "prompt_tokens_sent": _counts([o.prompt_tokens for o in fresh if o.prompt_tokens]),
            "prompt_tokens_read": _counts(
                [o.tokens_read for o in fresh if o.tokens_read is not None]
            ),
        }
    latency["grove_warm_model_total"] = _stats([r.warm_ms for r in results if r.warm_ms])
    latency["grove_warm_tokens_read"] = _counts(
        [r.warm_tokens_read for r in results if r.warm_tokens_read is not None]
    )
    return {"quality": quality, "grove_vs": comparisons, "latency": latency}


def markdown(summary: Mapping[str, object], meta: Mapping[str, object]) -> str:
    """The Markdown tables for the README."""
    quality = summary["quality"]
    comparisons = summary["grove_vs"]
    latency = summary["latency"]
    assert isinstance(quality, dict) and isinstance(comparisons, dict)
    assert isinstance(latency, dict)
    out = [
        f"Split `{meta['split']}`, {meta['tasks']} tasks, Grove's budget "
        f"{meta.get('grove_budget_tokens', meta['budget_tokens'])} tokens, the peers' "
        f"{meta['budget_tokens']}, "
        f"model `{meta['model']}` ({meta['mode']} mode), {meta['threads']} threads.",
        *(
            [f"Baseline outcomes reused from `{reused['file']}` (`--baselines-from`)."]
            if isinstance(reused := meta.get("baselines_from"), dict)
            else []
        ),
        "",
        "| strategy | exact match % | edit similarity | parseable % | empty % | ES by language |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in quality.items():
        langs = ", ".join(f"{k} {v}" for k, v in row["edit_similarity_by_language"].items())
        out.append(
            f"| {name} | {row['exact_match']} | {row['edit_similarity']} | {row['parseable']} "
            f"| {row['empty']} | {langs} |"
        )
    if comparisons:
        out += ["", "| Grove vs | mean ES difference | 95 % CI |", "|---|---|---|"]
        for name, row in comparisons.items():
            out.append(
                f"| {name} | {row['mean_diff']:+} | [{row['ci95_low']}, {row['ci95_high']}] |"
            )
    out += [
        "",
        "| strategy | context build p50 / p95 | first token p50 / p95 (cold) "
        "| model total p50 / p95 (cold) | prompt tokens sent p50 | tokens read p50 |",
        "|---|---|---|---|---|---|",
    ]
    for name in quality:
        row = latency[name]
        cells = []
        for key in ("context_build", "first_token_cold", "model_total_cold"):
            stats = row[key]
            cells.append(
                f"{stats['p50_ms']} / {stats['p95_ms']} ms (n={stats['n']})"
                if stats.get("n")
                else "-"
            )
        for key in ("prompt_tokens_sent", "prompt_tokens_read"):
            counts = row[key]
            cells.append(f"{counts['p50']}" if counts.get("n") else "-")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    warm = latency.get("grove_warm_model_total")
    warm_read = latency.get("grove_warm_tokens_read")
    if isinstance(warm, dict) and warm.get("n"):
        read = (
            f", prompt tokens read p50 {warm_read['p50']}"
            if isinstance(warm_read, dict) and warm_read.get("n")
            else ""
        )
        out += [
            "",
            f"Grove warm (one character typed, KV cache reused): model total p50 "
            f"{warm['p50_ms']} ms, p95 {warm['p95_ms']} ms (n={warm['n']}){read}.",
        ]
    return "\n".join(out) + "\n"


def _plot(summary: Mapping[str, object], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    quality = summary["quality"]
    assert isinstance(quality, dict)
    names = list(quality)
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.bar(names, [quality[n]["edit_similarity"] for n in names])
    axis.set_ylabel("edit similarity (0-100)")
    axis.set_title("Completion quality by context strategy")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True


async def run(
    *,
    split: str,
    tasks: int,
    budget: int,
    strategies: Sequence[str],
    grove_budget: int | None = None,
    languages: Sequence[str] | None = None,
    select: Callable[[str], bool] | None = None,
    per_file: int = 2,
    seed: int = 0,
    options: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    baselines: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> dict[str, object]:
    """Run the harness and return the JSON-ready result.

    ``budget`` is the peers' budget, ``grove_budget`` Grove's (None: the setting's ``auto``).
    ``baselines`` maps task ids to earlier outcomes by strategy (``--baselines-from``): those
    strategies are scored from them instead of asked again.
    """
    collected = collect_sources(languages, select=select)
    files = collected.all_files()
    chosen = build_tasks(files, seed=seed, per_file=per_file, split=split or None, limit=tasks)
    by_path = {f.path: f for f in files}
    # A generous timeout: a loaded 2-core machine can take several seconds for a cold 1k-token
    # prompt, and a timed-out request would count as an empty suggestion.
    raw = {
        "grove": {
            "context": {"budgetTokens": grove_budget or "auto"},
            "completion": {"timeoutMs": 60_000},
            **dict(options or {}),
        }
    }
    settings = resolve_settings(raw)
    messages: list[str] = []
    backend = ModelBackend(settings, lambda level, message: messages.append(message), env=env)
    load_before = os.getloadavg()
    started = time.perf_counter()
    await backend.provider()
    startup_s = time.perf_counter() - started
    harness = Harness(backend, settings, strategies, budget)
    results: list[TaskResult] = []
    try:
        for number, task in enumerate(chosen, 1):
            results.append(await harness.run_task(task, by_path[task.path]))
            for name, earlier in (baselines or {}).get(task.id, {}).items():
                if name not in strategies:
                    results[-1].outcomes[name] = Outcome(**earlier)
            if progress is not None:
                row = results[-1].outcomes
                progress(
                    f"[{number}/{len(chosen)}] {task.id} "
                    + " ".join(f"{n}={o.similarity:.0f}" for n, o in row.items())
                )
    finally:
        harness.index.close()
        await backend.aclose()
    found = {n for r in results for n in r.outcomes}
    reused = [n for n in BASELINES if n in found and n not in strategies]
    summary = summarize(results, [*strategies, *reused])
    used_files = sorted({t.path for t in chosen})
    return {
        "meta": {
            "split": split,
            "tasks": len(results),
            "budget_tokens": budget,
            "grove_budget_tokens": context_budget(settings, backend.target),
            "seed": seed,
            "model": backend.target.model,
            "mode": backend.target.mode,
            "model_sha256": _model_hash(backend),
            "threads": settings.embedded_threads or os.cpu_count(),
            "python": platform.python_version(),
            "machine": {
                "cores": os.cpu_count(),
                "load_before": load_before,
                "load_after": os.getloadavg(),
                "platform": platform.platform(),
            },
            "versions": _versions(),
            "sources": collected.provenance,
            "files": {p: by_path[p].sha256 for p in used_files},
            "startup_s": round(startup_s, 2),
            "messages": messages,
        },
        "summary": summary,
        "tasks": [
            {
                "id": r.task.id,
                "language": r.task.language,
                "kind": r.task.kind,
                "target": r.task.target,
                "warm_ms": r.warm_ms,
                "warm_tokens_read": r.warm_tokens_read,
                "outcomes": {n: vars(o) for n, o in r.outcomes.items()},
            }
            for r in results
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--tasks", type=int, default=120)
    parser.add_argument("--budget", type=int, default=600, help="the peers' token budget")
    parser.add_argument("--grove-budget", type=int, help="Grove's budget (default: auto)")
    parser.add_argument("--per-file", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--languages", help="comma-separated, e.g. python,lua")
    parser.add_argument(
        "--strategies", default=",".join([GROVE, *BASELINES]), help="comma-separated"
    )
    parser.add_argument(
        "--baselines-from",
        type=Path,
        help="an earlier .tasks.json: reuse its outcomes for strategies not in --strategies",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    private_model_environment()
    strategies = [s for s in args.strategies.split(",") if s]
    unknown = [s for s in strategies if s != GROVE and s not in BASELINES]
    if unknown:
        parser.error(f"unknown strategies: {', '.join(unknown)}")
    baselines = None
    if args.baselines_from:
        rows = json.loads(args.baselines_from.read_text("utf-8"))
        baselines = {row["id"]: row["outcomes"] for row in rows}
    result = asyncio.run(
        run(
            split=args.split,
            tasks=args.tasks,
            budget=args.budget,
            grove_budget=args.grove_budget,
            strategies=strategies,
            languages=args.languages.split(",") if args.languages else None,
            per_file=args.per_file,
            seed=args.seed,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            baselines=baselines,
        )
    )
    if args.baselines_from:
        meta = result["meta"]
        assert isinstance(meta, dict)
        meta["baselines_from"] = {
            "file": args.baselines_from.name,
            "sha256": hashlib.sha256(args.baselines_from.read_bytes()).hexdigest(),
        }
    out = args.out or RESULTS / f"quality-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    # Predictions and targets quote third-party code: they go to a file git ignores.
    tasks = result.pop("tasks")
    out.with_suffix(".tasks.json").write_text(json.dumps(tasks, indent=1) + "\n")
    out.write_text(json.dumps(result, indent=1) + "\n")
    meta = result["meta"]
    summary = result["summary"]
    assert isinstance(meta, dict) and isinstance(summary, dict)
    text = markdown(summary, meta)
    out.with_suffix(".md").write_text(text)
    if _plot(summary, out.with_suffix(".png")):
        text += f"\n![edit similarity by strategy]({out.with_suffix('.png').name})\n"
        out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
