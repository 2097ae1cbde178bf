"""The LLM code review pipeline shared by the language server and the CLI.

document → review units (:mod:`analyzers.review`) → one background model request per unit whose
key has no cached result (at most ``grove.review.maxInFlight`` at once, one for the embedded
model; completions and commands go first, see :class:`~server.priority.PriorityGate`) → the
answer validated and anchored on quoted lines (:mod:`analyzers.review.answers`) → cached per
unit key → placed on the current text.

Results outlive edits: an unchanged unit keeps its key, so its findings are placed again where
the unit now is; a changed unit keeps those of its findings whose quoted lines are still there
(marked stale) until it is reviewed again. A unit's request is cancelled when the unit changes
and every request of a file when the file is closed (:meth:`Reviewer.note_change`,
:meth:`Reviewer.forget`). Files that are secret, ignored, binary, huge, generated or minified are
never reviewed. Nothing here knows LSP types.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from analyzers.languages import LanguageSpec
from analyzers.parsing import SourceDocument
from analyzers.review import ReviewUnit, code_block, finding_schema, review_units, skip_reason
from analyzers.review.answers import (
    MAX_PER_FILE,
    MAX_PER_UNIT,
    PlacedFinding,
    UnitAnswer,
    cap_file,
    place,
    read_answer,
    reanchor,
)
from server.backend import ModelBackend
from server.docstrings import use_chat_endpoint
from server.llm.templates import render_prompt
from server.priority import Preempted
from server.refusal import SendPolicy
from server.settings import Settings

log = logging.getLogger(__name__)


def review_trigger(settings: Settings, embedded: bool) -> str:
    """The review trigger in effect: ``auto`` is ``onSave`` with an endpoint, else ``manual``.

    On the embedded model a review of a saved file costs minutes of CPU, so it runs only when
    asked (the ``grove.review`` command, its code action, ``grove review FILE``) unless the user
    sets the trigger explicitly.
    """
    if settings.review_trigger == "auto":
        return "manual" if embedded else "onSave"
    return settings.review_trigger


def review_on_save(settings: Settings, embedded: bool) -> str:
    """Whether a save starts a review, and why (for ``grove.status``)."""
    if review_trigger(settings, embedded) == "onSave":
        return "on" if settings.review_trigger == "onSave" else "on (model endpoint)"
    if settings.review_trigger == "auto":
        return "off (embedded model; set grove.review.trigger to onSave to turn on)"
    return f"off (grove.review.trigger is {settings.review_trigger})"


MAX_TOKENS = 400
"""Tokens the model may write for the findings of one unit."""
EMBEDDED_MAX_TOKENS = 256
EMBEDDED_MAX_FINDINGS = 3
"""The small embedded model writes fewer findings (grammar-constrained decoding is slow)."""
EMBEDDED_MAX_UNIT_LINES = 60
ENDPOINT_MAX_UNIT_LINES = 120
ENDPOINT_PROMPT_TOKENS = 12_000
_PROMPT_MARGIN_TOKENS = 64
_MAX_PREEMPTIONS = 20
_RESULTS_PER_FILE = 1_024

Progress = Callable[[int, int], None]
"""(units done, units sent to the model) while a file is reviewed."""


@dataclass
class ReviewReport:
    """What one review of a file did."""

    units: int = 0
    requested: int = 0
    """Units sent to the model by this review (or already on their way from an earlier one)."""
    cached: int = 0
    """Units whose findings were already known."""
    failed: int = 0
    cancelled: int = 0
    proposed: int = 0
    """Findings the model proposed in the answers this review waited for."""
    kept: int = 0
    dropped: list[str] = field(default_factory=list)
    """One reason per dropped finding (or unusable answer)."""
    skipped: str | None = None
    """Why the file was not reviewed at all (one sentence for the user)."""


@dataclass
class _Job:
    """One unit's request in flight, and where its unit is in the live document."""

    unit: ReviewUnit
    task: asyncio.Task[UnitAnswer | None]
    start: int
    end: int
    version: int
    """The unit's text is ``[start, end)`` of the document at ``version``."""


@dataclass
class _Stored:
    """The validated answer for one unit key."""

    name: str
    answer: UnitAnswer


@dataclass
class _FileState:
    """One file's results (by unit key, least recently used first) and requests."""

    results: OrderedDict[str, _Stored] = field(default_factory=OrderedDict)
    latest: dict[str, str] = field(default_factory=dict)
    """Unit name → key of its newest result (to carry findings over a change)."""
    jobs: dict[str, _Job] = field(default_factory=dict)


class _Slots:
    """At most ``limit()`` holders at a time; the limit may change between acquisitions."""

    def __init__(self) -> None:
        self.busy = 0
        self._condition: asyncio.Condition | None = None

    @contextlib.asynccontextmanager
    async def hold(self, limit: Callable[[], int]) -> AsyncIterator[None]:
        """Wait for a free slot and hold it for the block."""
        if self._condition is None:
            self._condition = asyncio.Condition()
        condition = self._condition
        async with condition:
            await condition.wait_for(lambda: self.busy < max(1, limit()))
            self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1
            async with condition:
                condition.notify_all()


def response_format(
    setting: str, backend: ModelBackend, use_chat: bool, max_findings: int = MAX_PER_UNIT
) -> dict[str, Any] | None:
    """The ``response_format`` of a review request (see ``grove.review.constrainedDecoding``)."""
    if not use_chat or setting == "off":
        return None
    if setting == "jsonObject" or (setting == "auto" and backend.target.embedded):
        schema = finding_schema(bounded=True, max_findings=max_findings)
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "grove_review",
            "strict": True,
            "schema": finding_schema(bounded=False),
        },
    }


_KIND_WORDS = {"function": "function", "method": "method", "module": "code"}


def build_messages(
    unit: ReviewUnit, language: str, path: str | None, max_findings: int = MAX_PER_UNIT
) -> list[dict[str, str]]:
    """System and user messages for one unit; the code is delimited and declared data."""
    opening, closing = code_block(unit.text + "\n" + unit.context)
    system = render_prompt(
        "review_system.txt",
        language=language,
        open=opening,
        close=closing,
        max_findings=str(max_findings),
    )
    user = render_prompt(
        "review_unit.txt",
        kind=_KIND_WORDS[unit.kind],
        file_name=PurePath(path).name if path else "a file",
        context=f" (inside `{unit.context}`)" if unit.context else "",
        open=opening,
        code=unit.text,
        close=closing,
    )
    return [
        {"role": "system", "content": system.strip()},
        {"role": "user", "content": user.strip()},
    ]


@dataclass
class Schedule:
    """What the language server keeps per file around reviews: tasks, timers, published ids."""

    file_tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    """The running review of each file."""
    again: set[str] = field(default_factory=set)
    """Files to review once more when their running review ends."""
    idle_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    republish_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)
    """The result id of the diagnostics the client has, per file."""
    refresh_pending: bool = False
    """A refresh was sent and the client has not pulled since."""

    def cancel(self, key: str) -> None:
        """Stop everything scheduled for a file."""
        for timers in (self.idle_timers, self.republish_timers):
            timer = timers.pop(key, None)
            if timer is not None:
                timer.cancel()
        task = self.file_tasks.pop(key, None)
        if task is not None:
            task.cancel()
        self.again.discard(key)
        self.published.pop(key, None)


class Reviewer:
    """Per-file unit caches, the request queue and its in-flight limit."""

    def __init__(
        self, backend: ModelBackend, settings: Callable[[], Settings], policy: SendPolicy
    ) -> None:
        self._backend = backend
        self._settings = settings
        self._policy = policy
        self._files: dict[str, _FileState] = {}
        self._slots = _Slots()
        self.on_result: Callable[[str], None] | None = None
        """Called with the file key each time a unit's findings are stored."""
        self.last_error: str | None = None
        self.requests = 0
        self.schedule = Schedule()

    # ------------------------------------------------------------------------------ status

    @property
    def queue_length(self) -> int:
        """Unit reviews waiting for a slot or running."""
        return sum(
            not job.task.done() for state in self._files.values() for job in state.jobs.values()
        )

    @property
    def in_flight(self) -> int:
        """Unit reviews talking to the model now."""
        return self._slots.busy

    def _limit(self) -> int:
        return 1 if self._backend.target.embedded else self._settings().review_max_in_flight

    # ------------------------------------------------------------------------------- units

    def units(self, source: SourceDocument, path: str | None) -> list[ReviewUnit]:
        """The review units of a document, sized for the current model."""
        embedded = self._backend.target.embedded
        max_lines = EMBEDDED_MAX_UNIT_LINES if embedded else ENDPOINT_MAX_UNIT_LINES
        return review_units(source, path, max_lines=max_lines)

    def why_not_reviewed(self, source: SourceDocument, path: str | None) -> str | None:
        """Why this file is never reviewed, else None."""
        refused = self._policy.refusal(source.text, path)
        if refused is not None:
            return refused
        name = PurePath(path).name if path else "this document"
        if source.language is None:
            return f"Grove does not review {name}: it cannot parse this file type."
        why = skip_reason(source.text, path)
        if why is not None:
            return f"Grove does not review {name}: {why}."
        return None

    # ------------------------------------------------------------------------------ review

    async def review(
        self,
        key: str,
        source: SourceDocument,
        path: str | None,
        *,
        progress: Progress | None = None,
    ) -> ReviewReport:
        """Review the units of ``source`` that have no cached findings; wait for them."""
        report = ReviewReport()
        report.skipped = self.why_not_reviewed(source, path)
        if report.skipped is not None:
            self.cancel_requests(key)
            self._files.pop(key, None)
            return report
        state = self._files.setdefault(key, _FileState())
        units = self.units(source, path)
        report.units = len(units)
        waiting: list[asyncio.Task[UnitAnswer | None]] = []
        for unit in units:
            if unit.key in state.results:
                report.cached += 1
                continue
            job = state.jobs.get(unit.key)
            if job is None:
                job = self._start(key, state, unit, source, path)
            waiting.append(job.task)
        report.requested = len(waiting)
        pending = set(waiting)
        if progress is not None:
            progress(0, len(waiting))
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                self._account(task, report)
            if progress is not None:
                progress(len(waiting) - len(pending), len(waiting))
        return report

    def _account(self, task: asyncio.Task[UnitAnswer | None], report: ReviewReport) -> None:
        if task.cancelled():
            report.cancelled += 1
            return
        answer = task.result()
        if answer is None:
            report.failed += 1
            return
        report.proposed += answer.proposed
        report.kept += len(answer.findings)
        report.dropped.extend(answer.dropped)

    def _start(
        self,
        key: str,
        state: _FileState,
        unit: ReviewUnit,
        source: SourceDocument,
        path: str | None,
    ) -> _Job:
        lines = source.lines
        task = asyncio.ensure_future(self._run(key, state, unit, source.language, path))
        job = _Job(
            unit,
            task,
            lines.line_start(unit.first_line),
            lines.line_end(unit.last_line),
            source.version,
        )
        state.jobs[unit.key] = job
        task.add_done_callback(lambda _task: self._job_done(state, unit.key, job))
        return job

    def _job_done(self, state: _FileState, unit_key: str, job: _Job) -> None:
        if state.jobs.get(unit_key) is job:
            del state.jobs[unit_key]

    async def _run(
        self,
        key: str,
        state: _FileState,
        unit: ReviewUnit,
        language: LanguageSpec | None,
        path: str | None,
    ) -> UnitAnswer | None:
        """One unit: wait for a slot, ask the model (again if preempted), validate, store."""
        backend = self._backend
        use_chat = use_chat_endpoint(backend)
        embedded = backend.target.embedded
        max_tokens = EMBEDDED_MAX_TOKENS if embedded else MAX_TOKENS
        cap = EMBEDDED_MAX_FINDINGS if embedded else MAX_PER_UNIT
        messages = build_messages(unit, language.name if language else "source", path, cap)
        if not self._fits(messages, max_tokens):
            answer = UnitAnswer((), 0, ("unit too long for the model",), "too long")
            self._store(key, state, unit, answer)
            return answer
        if not use_chat:
            messages.append({"role": "assistant", "content": "JSON:\n"})
        setting = self._settings().review_constrained_decoding
        fmt = response_format(setting, backend, use_chat, cap)
        async with self._slots.hold(self._limit):
            result = None
            for _attempt in range(_MAX_PREEMPTIONS):
                try:
                    self.requests += 1
                    result = await backend.generate_result(
                        messages,
                        max_tokens,
                        use_chat=use_chat,
                        stop=("\n\n\n",),
                        response_format=fmt,
                        background=True,
                    )
                    break
                except Preempted:
                    log.debug("review of %s gave way to a completion", unit.name)
        if result is None:
            self.last_error = backend.last_error or "the model did not answer"
            return None
        answer = read_answer(result.text, result.finish_reason, unit.lines, cap)
        if answer.problem is not None:
            self.last_error = f"review of {unit.name}: {answer.problem}"
        log.info(
            "reviewed %s: %d proposed, %d kept%s",
            unit.name,
            answer.proposed,
            len(answer.findings),
            f" ({answer.problem})" if answer.problem else "",
        )
        self._store(key, state, unit, answer)
        return answer

    def _fits(self, messages: list[dict[str, str]], max_tokens: int) -> bool:
        """Whether the prompt leaves room for the answer in the model's context."""
        if self._backend.target.embedded:
            budget = self._settings().embedded_context_size - max_tokens - _PROMPT_MARGIN_TOKENS
        else:
            budget = ENDPOINT_PROMPT_TOKENS
        count = self._backend.count_tokens
        return sum(count(m["content"]) + 4 for m in messages) <= budget

    def _store(self, key: str, state: _FileState, unit: ReviewUnit, answer: UnitAnswer) -> None:
        state.results[unit.key] = _Stored(unit.name, answer)
        state.results.move_to_end(unit.key)
        state.latest[unit.name] = unit.key
        while len(state.results) > _RESULTS_PER_FILE:
            state.results.popitem(last=False)
        if self._files.get(key) is state and self.on_result is not None:
            self.on_result(key)

    # ------------------------------------------------------------------------ edits, close

    def note_change(self, key: str, source: SourceDocument) -> None:
        """Cancel the requests of units the latest edits touched; track the others."""
        state = self._files.get(key)
        if state is None:
            return
        for unit_key, job in list(state.jobs.items()):
            edits = source.edits_since(job.version)
            touched = edits is None
            for edit in edits or ():
                if edit.start <= job.end and edit.old_end >= job.start:
                    touched = True
                    break
                if edit.old_end < job.start:
                    delta = edit.new_end - edit.old_end
                    job.start += delta
                    job.end += delta
            job.version = source.version
            if touched:
                log.debug("unit %s changed: its review is cancelled", job.unit.name)
                job.task.cancel()
                del state.jobs[unit_key]

    def forget(self, key: str) -> None:
        """Cancel every request of a file and drop its findings (file closed)."""
        self.schedule.cancel(key)
        self.cancel_requests(key)
        self._files.pop(key, None)

    def cancel_requests(self, key: str) -> None:
        """Cancel the file's unit requests (kept findings stay)."""
        state = self._files.get(key)
        if state is not None:
            for job in list(state.jobs.values()):
                job.task.cancel()

    def clear(self) -> None:
        """Forget every cached finding (the model changed)."""
        for state in self._files.values():
            state.results.clear()
            state.latest.clear()

    def has_results(self, key: str) -> bool:
        """Whether a file has findings (or reviews) to place."""
        state = self._files.get(key)
        return state is not None and bool(state.results)

    # ---------------------------------------------------------------------------- findings

    def findings(
        self,
        key: str,
        source: SourceDocument,
        path: str | None,
        *,
        hidden: frozenset[str] = frozenset(),
        limit: int = MAX_PER_FILE,
    ) -> list[PlacedFinding]:
        """The file's findings placed on its current text (categories in ``hidden`` left out)."""
        state = self._files.get(key)
        if state is None or not state.results:
            return []
        placed: list[PlacedFinding] = []
        for unit in self.units(source, path):
            stored = state.results.get(unit.key)
            if stored is not None:
                placed.extend(place(unit, finding) for finding in stored.answer.findings)
                continue
            old_key = state.latest.get(unit.name)
            old = state.results.get(old_key) if old_key is not None else None
            if old is None:
                continue
            for finding in old.answer.findings:
                moved = reanchor(finding, unit.lines)
                if moved is not None:
                    placed.append(place(unit, moved, stale=True))
        return cap_file([p for p in placed if p.finding.category not in hidden], limit)
