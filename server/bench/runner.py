"""Masked tasks through Grove's real completion pipeline, timed and scored.

Owns :func:`run_task` (one task: context, model call, post-processing, score -- what the editor
does for an inline completion, minus the cache, since every task is a new position) and
:func:`run_variant` (every task with one variant's settings: its own model backend, chosen as
the other commands choose it, and its own workspace, so its ignore rules and cross-file context
apply).  Latency is cold: each task is a position the model has not seen (the previous request
was another task), measured from building the context to the post-processed suggestion; the
model's own time to first token and total come from the streamed answer.

A variant stops (:class:`BenchStopped`) when its first model call fails -- the endpoint is
unreachable or misconfigured, and every other task would fail the same way -- or after
:data:`MAX_FAILURES_IN_A_ROW` failed calls.  While the endpoint asks to wait (429, back-off)
the next task waits instead of counting as empty.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from analyzers.bench.scoring import MaskedTask, score
from server.backend import ModelBackend, Notify
from server.cli_workspace import CliWorkspace, open_workspace
from server.completion import CompletionEngine
from server.llm.provider import LLMError
from server.refusal import Refused
from server.settings import Settings

__all__ = ["MAX_FAILURES_IN_A_ROW", "BenchStopped", "Outcome", "VariantRun", "run_task"]

MAX_FAILURES_IN_A_ROW = 3
"""Failed model calls in a row after which a variant stops."""

Progress = Callable[[int, MaskedTask, "Outcome"], None]
"""(1-based task number, task, outcome) after each task."""


class BenchStopped(Exception):
    """The model cannot be used for this variant; ``str()`` is the one sentence that says why."""


@dataclass
class Outcome:
    """One task's suggestion under one variant, scored and timed."""

    prediction: str
    exact: bool
    similarity: float
    parseable: bool | None
    empty: bool
    context_ms: float
    """Deciding and building the prompt (completion kind, context window, cross-file blocks)."""
    asked: bool = False
    """Whether the model was called (not when Grove would not complete here)."""
    first_token_ms: float | None = None
    model_ms: float | None = None
    total_ms: float | None = None
    """From building the context to the post-processed suggestion (what the user waits)."""
    prompt_chars: int = 0
    max_tokens: int = 0
    error: str | None = None
    """The model call failed, or the document was refused (then nothing was sent)."""


def _outcome(prediction: str, masked: MaskedTask, context_ms: float) -> Outcome:
    scored = score(prediction, masked)
    return Outcome(
        prediction=prediction,
        exact=scored.exact,
        similarity=scored.similarity,
        parseable=scored.parseable,
        empty=scored.empty,
        context_ms=context_ms,
    )


async def run_task(engine: CompletionEngine, settings: Settings, masked: MaskedTask) -> Outcome:
    """One task through the pipeline: ``engine.prepare`` → the model → post-processing → score.

    The engine's send policy is asked first (a refused document sends nothing and scores as
    empty with the refusal as its error).  Cross-file context is whatever ``engine.related``
    finds ready (the caller warms the index).
    """
    task, doc = masked.task, masked.document
    backend = engine.backend
    started = time.perf_counter()
    try:
        prepared = engine.prepare(task.path, doc, task.offset, task.path, settings)
    except Refused as refused:
        outcome = _outcome("", masked, (time.perf_counter() - started) * 1000)
        outcome.error = str(refused)
        return outcome
    context_ms = (time.perf_counter() - started) * 1000
    if prepared is None:
        return _outcome("", masked, context_ms)
    result = await engine.ask(prepared, doc, task.offset)
    final = prepared.finish(result.text, doc, task.offset) if result is not None else ""
    total_ms = (time.perf_counter() - started) * 1000
    outcome = _outcome(final, masked, context_ms)
    outcome.asked = True
    outcome.total_ms = total_ms
    outcome.prompt_chars = len(prepared.request.prefix) + len(prepared.request.suffix)
    outcome.max_tokens = prepared.request.max_tokens
    if result is None:
        outcome.error = backend.last_error or "no answer from the model"
    else:
        if result.first_token_s is not None:
            outcome.first_token_ms = result.first_token_s * 1000
        if result.total_s is not None:
            outcome.model_ms = result.total_s * 1000
    return outcome


@dataclass
class VariantRun:
    """Every task's outcome under one variant, and which model answered."""

    name: str
    model: str = ""
    """The model target's label (``qwen2.5-coder @ http://… (qwen)``)."""
    mode: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    startup_s: float = 0.0
    """Choosing the model and starting it (the embedded model boots here)."""


async def _warm(workspace: CliWorkspace, settings: Settings, masked: MaskedTask) -> None:
    """Index what the task's file imports, as ``grove complete`` does, and forget older blocks."""
    related = workspace.related
    related.forget(masked.task.path)
    if settings.context_cross_file:
        related.prefetch(masked.document, masked.task.path)
        await workspace.index.idle()


async def _wait_for_gate(backend: ModelBackend) -> None:
    """Wait while the endpoint asked for a pause (rate limit, back-off after failures)."""
    while (until := backend.gate.blocked_until(time.monotonic())) is not None:
        await asyncio.sleep(max(until - time.monotonic(), 0.0) + 0.01)


async def run_variant(
    name: str,
    settings: Settings,
    tasks: Sequence[MaskedTask],
    base: str,
    notify: Notify,
    progress: Progress | None = None,
    started_model: Callable[[VariantRun], None] | None = None,
) -> VariantRun:
    """Run every task with one variant's settings; raises :class:`BenchStopped`.

    ``started_model`` is called once the model is chosen and running, before the first task.
    """
    run = VariantRun(name)
    started = time.perf_counter()
    backend = ModelBackend(settings, notify)
    workspace = open_workspace(base, settings.context_exclude, notify)
    engine = CompletionEngine(
        backend,
        workspace.policy,
        related=workspace.related.blocks if settings.context_cross_file else None,
        display_path=workspace.related.display_path,
    )
    try:
        await backend.choose_target()
        try:
            await backend.provider()  # (starts the embedded model before the clock runs)
        except LLMError as error:
            raise BenchStopped(error.user_message) from error
        run.model, run.mode = backend.target.label, backend.target.mode
        run.startup_s = time.perf_counter() - started
        if started_model is not None:
            started_model(run)
        answered, failures = False, 0
        for number, masked in enumerate(tasks, 1):
            await _warm(workspace, settings, masked)
            await _wait_for_gate(backend)
            outcome = await run_task(engine, settings, masked)
            run.outcomes.append(outcome)
            if progress is not None:
                progress(number, masked, outcome)
            if not outcome.asked:
                continue
            if outcome.error is None:
                answered, failures = True, 0
                continue
            failures += 1
            if not answered:
                raise BenchStopped(outcome.error)
            if failures >= MAX_FAILURES_IN_A_ROW:
                raise BenchStopped(f"{failures} model calls failed in a row: {outcome.error}")
    finally:
        workspace.close()
        await backend.aclose()
    return run
