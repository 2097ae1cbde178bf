"""The explanation pipeline shared by the language server and the CLI.

range or diagnostic → subject and context (:mod:`analyzers.explain`, the file's own definitions
and, through the workspace context engine, those of imported modules) → prompt
(``explain_system.txt`` + ``explain_code.txt`` / ``explain_diagnostic.txt``) → model text,
streamed to ``on_text`` → sanitised Markdown (:mod:`analyzers.markdown`) → for a diagnostic, the
model's ```` ```fix ```` block validated into an edit (never applied here).

Answers are cached by the content hash of the code and the diagnostic in an
:class:`ExplanationStore` (a bounded LRU that lives on the server object), which also keeps the
validated fixes the code-action listing offers. Files that are secret, ignored, binary or too
large are refused before anything is sent. Nothing here knows LSP types.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

from analyzers.explain import (
    FixEdit,
    Neighbourhood,
    Subject,
    bounded_code,
    code_subject,
    display_answer,
    extract_fix,
    fit_blocks,
    neighbourhood,
    own_definitions,
    scope_headers,
    validate_fix,
)
from analyzers.markdown import first_sentence, sanitize_markdown
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.context_sources import RelatedContext
from server.docstrings import use_chat_endpoint
from server.llm.templates import render_prompt
from server.refusal import SendPolicy
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_TOKENS = 400
"""Tokens the model may write for one explanation."""
_ENDPOINT_INPUT_TOKENS = 6000
_PROMPT_OVERHEAD_TOKENS = 350
_RELATED_WAIT_S = 1.5
_REPORT_EVERY_CHARS = 24
_MAX_MESSAGE_CHARS = 1000
_MAX_DIAGNOSTIC_LINES = 40
_STOPS = ("\n\n\n\n",)
_FENCE_RUN = re.compile(r"`{3,}")
_CUT_OFF = frozenset({"length", "time_limit", "output_cap"})


class ExplainError(Exception):
    """No explanation can be produced; the message is one sentence for the user."""


class NothingToExplain(ExplainError):
    """No code or diagnostic to explain at the position: an answer, not a failure."""


@dataclass(frozen=True)
class DiagnosticInfo:
    """A diagnostic as the pipeline needs it (offsets are code points into the document)."""

    message: str
    start: int
    end: int
    code: str | None = None
    source: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class ExplainRequest:
    """What to explain: a range of ``source``, or the ``diagnostic`` in it."""

    source: SourceDocument
    start: int
    end: int
    path: str | None = None
    """Filesystem path (for context from the workspace)."""
    shown_path: str | None = None
    """The path as prompts show it (relative to the workspace)."""
    language_id: str | None = None
    """The editor's language id, used when Grove has no grammar for the file."""
    diagnostic: DiagnosticInfo | None = None


@dataclass(frozen=True)
class Explanation:
    """A finished explanation."""

    markdown: str
    """Sanitised Markdown: a one-sentence summary first, then details and Grove's notes."""
    summary: str
    subject: str
    """What was explained: ``method area``, ``selection``, ``diagnostic``…"""
    fix: FixEdit | None
    """The model's fix for a diagnostic, validated against the document (None: no fix)."""
    fix_problems: tuple[str, ...]
    """Why a proposed fix is not offered (empty when there was none or it validated)."""
    cached: bool
    omitted_lines: int
    """Lines of code left out of the prompt to stay within the budget."""


@dataclass(frozen=True)
class _Answer:
    markdown: str
    proposal: str | None
    finish_reason: str | None = None


@dataclass(frozen=True)
class StoredFix:
    """A validated fix, offered while the document stays at ``version``."""

    version: int
    edit: FixEdit
    title: str


class ExplanationStore:
    """Cached answers (LRU by content hash) and the quick fixes they produced."""

    def __init__(self, max_answers: int = 64, max_fixes: int = 128) -> None:
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self._fixes: OrderedDict[Hashable, StoredFix] = OrderedDict()
        self._max_answers = max_answers
        self._max_fixes = max_fixes
        self.hits = 0

    def answer(self, key: str) -> _Answer | None:
        """The cached answer for ``key`` (refreshed as most recently used)."""
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
            self.hits += 1
        return found

    def remember(self, key: str, answer: _Answer) -> None:
        """Cache ``answer``; the least recently used one goes when full."""
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self._max_answers:
            self._answers.popitem(last=False)

    def remember_fix(self, key: Hashable, fix: StoredFix | None) -> None:
        """Offer ``fix`` for the diagnostic ``key`` (None withdraws it)."""
        if fix is None:
            self._fixes.pop(key, None)
            return
        self._fixes[key] = fix
        self._fixes.move_to_end(key)
        while len(self._fixes) > self._max_fixes:
            self._fixes.popitem(last=False)

    def fix(self, key: Hashable) -> StoredFix | None:
        """The fix offered for the diagnostic ``key``, if any."""
        return self._fixes.get(key)

    def __len__(self) -> int:
        return len(self._answers)


def _budgets(backend: ModelBackend, settings: Settings) -> tuple[int, int]:
    """(tokens for the code, tokens for definitions) of one prompt."""
    if backend.target.embedded:
        total = settings.embedded_context_size - MAX_TOKENS - _PROMPT_OVERHEAD_TOKENS
    else:
        total = _ENDPOINT_INPUT_TOKENS
    total = max(total, 256)
    # ``auto`` sizes an inline completion's prompt; an explanation's definitions get a quarter.
    chosen = settings.context_budget_tokens
    context = min(chosen, total // 4) if isinstance(chosen, int) else total // 4
    return total - context, context


def _fence(*texts: str) -> str:
    longest = max((len(run) for text in texts for run in _FENCE_RUN.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def _lines(first: int, last: int) -> str:
    return f"line {first + 1}" if first == last else f"lines {first + 1} to {last + 1}"


@dataclass(frozen=True)
class _Prompt:
    """Everything one explanation prompt is made of, before rendering."""

    language: str
    fence_lang: str
    location: str
    subject: Subject | None
    code: str
    omitted: int
    scope: list[str]
    definitions: list[str]
    diagnostic: DiagnosticInfo | None
    diagnostic_lines: str
    region: Neighbourhood | None


def _messages(prompt: _Prompt) -> list[dict[str, str]]:
    """System + user messages from the ``explain_*.txt`` templates."""
    fence = _fence(
        prompt.code, *prompt.scope, *prompt.definitions, prompt.region.text if prompt.region else ""
    )
    lang = prompt.fence_lang

    def block(title: str, body: str) -> str:
        return f"\n{title}\n{fence}{lang}\n{body}\n{fence}\n"

    scope = block("It is inside:", "\n".join(prompt.scope)) if prompt.scope else ""
    definitions = (
        block("Definitions it uses:", "\n\n".join(prompt.definitions)) if prompt.definitions else ""
    )
    shown = prompt.code.count("\n") + 1 if prompt.code else 0
    truncated = (
        f"(Only the first {shown} lines are shown; {prompt.omitted} more lines follow.)\n"
        if prompt.omitted
        else ""
    )
    diagnostic, region, subject = prompt.diagnostic, prompt.region, prompt.subject
    if diagnostic is None or region is None:
        user = render_prompt(
            "explain_code.txt",
            language=prompt.language,
            subject=subject.label if subject else "code",
            location=prompt.location,
            scope=scope,
            definitions=definitions,
            fence=fence,
            fence_lang=lang,
            code=prompt.code,
            truncated=truncated,
        )
    else:
        details = [
            f"{label} {value}"
            for label, value in (
                ("severity", diagnostic.severity),
                ("code", diagnostic.code),
                ("reported by", diagnostic.source),
            )
            if value
        ]
        code_section = ""
        if subject is not None and prompt.code:
            title = (
                f"The enclosing {subject.label} ({_lines(subject.first_line, subject.last_line)}):"
            )
            code_section = block(title, prompt.code) + truncated
        user = render_prompt(
            "explain_diagnostic.txt",
            language=prompt.language,
            location=prompt.location,
            message=diagnostic.message[:_MAX_MESSAGE_CHARS],
            details=", ".join(details) or "none",
            code_section=code_section,
            definitions=definitions,
            first_line=str(region.first_line + 1),
            last_line=str(region.last_line + 1),
            diagnostic_lines=prompt.diagnostic_lines,
            fence=fence,
            fence_lang=lang,
            neighbourhood=region.text,
        )
    return [
        {"role": "system", "content": render_prompt("explain_system.txt").strip()},
        {"role": "user", "content": user.strip()},
    ]


def _cache_key(backend: ModelBackend, prompt: _Prompt, code_full: str, budget: int) -> str:
    diagnostic = prompt.diagnostic
    region = prompt.region
    parts: list[object] = [
        backend.target.label,
        prompt.language,
        prompt.subject.kind if prompt.subject else None,
        budget,
        code_full,
    ]
    if diagnostic is not None and region is not None:
        parts += [
            diagnostic.message,
            diagnostic.code,
            diagnostic.source,
            diagnostic.severity,
            region.text,
            prompt.diagnostic_lines,
            region.first_line - (prompt.subject.first_line if prompt.subject else 0),
        ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8", "surrogatepass")).hexdigest()


async def _definitions(
    request: ExplainRequest,
    subject: Subject | None,
    code: str,
    offset: int,
    settings: Settings,
    related: RelatedContext | None,
    budget: int,
    count_tokens: Callable[[str], int],
) -> list[str]:
    """The file's own definitions the code uses, then those imported from workspace files."""
    doc = request.source
    blocks = own_definitions(doc, subject, code) if subject is not None else []
    spec = doc.language
    path = request.path
    if related is not None and settings.context_cross_file and path and spec is not None:
        related.prefetch(doc, path)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(related.index.idle(), _RELATED_WAIT_S)
        for found in related.blocks(f"explain:{path}", doc, offset, path):
            if found.kind == "definition":
                blocks.append(f"{spec.line_comment} {found.path}\n{found.text}")
    return fit_blocks(blocks, budget, count_tokens)


def _prompt_for(
    request: ExplainRequest, backend: ModelBackend, code_budget: int
) -> tuple[_Prompt, str]:
    """The prompt pieces (definitions still empty) and the subject's full code."""
    doc = request.source
    spec = doc.language
    language = spec.name if spec is not None else (request.language_id or "source")
    fence_lang = spec.name if spec is not None else (request.language_id or "")
    diagnostic = request.diagnostic
    count = backend.count_tokens
    region: Neighbourhood | None = None
    diagnostic_lines = ""
    if diagnostic is None:
        subject = code_subject(doc, request.start, request.end)
        if subject is None:
            raise NothingToExplain(
                "Nothing to explain here: select some code, or put the cursor inside a "
                "function or class."
            )
    else:
        lines = doc.lines
        # A diagnostic over a whole block or file: its first lines stand for it.
        limit = lines.line_end(lines.line_of(diagnostic.start) + _MAX_DIAGNOSTIC_LINES - 1)
        region = neighbourhood(doc, diagnostic.start, min(diagnostic.end, limit))
        end_line = lines.line_of(max(min(diagnostic.end, limit) - 1, diagnostic.start))
        diagnostic_lines = _lines(lines.line_of(diagnostic.start), end_line)
        code_budget -= count(region.text)
        found = code_subject(doc, diagnostic.start, diagnostic.start)
        subject = found if found is not None and found.kind != "selection" else None
        if subject is not None and subject.kind in ("statement", "line"):
            subject = None
    code_full = subject.code(doc) if subject is not None else ""
    code, omitted = bounded_code(code_full, max(code_budget, 64), count)
    where = f"`{request.shown_path}`" if request.shown_path else "a file"
    if subject is not None and diagnostic is None:
        where += f", {_lines(subject.first_line, subject.last_line)}"
    prompt = _Prompt(
        language=language,
        fence_lang=fence_lang,
        location=where,
        subject=subject,
        code=code,
        omitted=omitted,
        scope=scope_headers(doc, subject) if subject is not None else [],
        definitions=[],
        diagnostic=diagnostic,
        diagnostic_lines=diagnostic_lines,
        region=region,
    )
    return prompt, code_full


async def explain(
    backend: ModelBackend,
    settings: Settings,
    request: ExplainRequest,
    store: ExplanationStore,
    policy: SendPolicy,
    *,
    related: RelatedContext | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Explanation:
    """Explain the request's range or diagnostic (cached); raise :class:`ExplainError` if not.

    ``on_text`` receives the sanitised Markdown written so far while the model streams. A
    document the send policy refuses raises :class:`ExplainError` with its reason.
    """
    doc = request.source
    why = policy.refusal(doc.text, request.path)
    if why is not None:
        raise ExplainError(why)
    code_budget, context_budget = _budgets(backend, settings)
    prompt, code_full = _prompt_for(request, backend, code_budget)
    key = _cache_key(backend, prompt, code_full, code_budget)
    answer = store.answer(key)
    cached = answer is not None
    if answer is None:
        subject = prompt.subject
        if subject is not None:
            offset = subject.end
        else:
            offset = request.diagnostic.start if request.diagnostic else request.start
        definitions = await _definitions(
            request,
            subject,
            prompt.code,
            offset,
            settings,
            related,
            context_budget,
            backend.count_tokens,
        )
        prompt = replace(prompt, definitions=definitions)
        answer = await _ask(backend, prompt, on_text)
        if answer.finish_reason != "time_limit":  # a slow moment is not worth remembering
            store.remember(key, answer)
    fix: FixEdit | None = None
    problems: list[str] = []
    if answer.proposal is not None and prompt.region is not None:
        fix, problems = validate_fix(doc, prompt.region, answer.proposal)
        if problems:
            log.info("proposed fix rejected: %s", "; ".join(problems))
    markdown = _with_notes(answer, prompt, fix, problems)
    subject_label = (
        "diagnostic" if prompt.diagnostic else (prompt.subject.label if prompt.subject else "code")
    )
    return Explanation(
        markdown=markdown,
        summary=first_sentence(markdown),
        subject=subject_label,
        fix=fix,
        fix_problems=tuple(problems),
        cached=cached,
        omitted_lines=prompt.omitted,
    )


async def _ask(
    backend: ModelBackend, prompt: _Prompt, on_text: Callable[[str], None] | None
) -> _Answer:
    """One model call; the answer sanitised, its fix proposal kept apart."""
    messages = _messages(prompt)
    chat = use_chat_endpoint(backend)
    if not chat:
        messages.append({"role": "assistant", "content": "Answer:\n"})
    reported = 0

    def relay(text: str) -> None:
        nonlocal reported
        if on_text is None or len(text) - reported < _REPORT_EVERY_CHARS:
            return
        reported = len(text)
        on_text(sanitize_markdown(display_answer(text, prompt.fence_lang)))

    result = await backend.generate_result(
        messages, MAX_TOKENS, use_chat=chat, stop=_STOPS, on_text=relay
    )
    if result is None:
        why = backend.last_error or "the model endpoint is cooling down after an error"
        raise ExplainError(f"Grove could not get an explanation: {why}")
    raw = result.text
    markdown = sanitize_markdown(display_answer(raw, prompt.fence_lang))
    if not markdown.strip():
        raise ExplainError("Grove could not get an explanation: the model's answer was empty.")
    proposal = extract_fix(raw) if prompt.diagnostic is not None else None
    return _Answer(markdown, proposal, result.finish_reason)


def _with_notes(answer: _Answer, prompt: _Prompt, fix: FixEdit | None, problems: list[str]) -> str:
    """The answer plus Grove's own notes (truncation, whether the fix is offered)."""
    markdown = answer.markdown
    notes: list[str] = []
    if answer.finish_reason in _CUT_OFF:
        notes.append("*Note: the model's answer was cut off before it finished.*")
    if prompt.omitted:
        shown = prompt.code.count("\n") + 1 if prompt.code else 0
        notes.append(
            f"*Note: the code was too long; the model saw only its first {shown} lines "
            f"({prompt.omitted} more were left out).*"
        )
    if fix is not None:
        notes.append("*Grove checked this fix: it is offered as a quick fix on the diagnostic.*")
    elif problems:
        notes.append("*Grove does not offer this fix as a quick fix: " + "; ".join(problems) + ".*")
    if not notes:
        return markdown
    return markdown + "\n\n---\n\n" + "\n\n".join(notes)
