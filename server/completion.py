"""The inline-completion pipeline shared by the language server and the CLI.

document + cursor → completion kind → cache → context window → model (streamed, stopped
early) → post-processing and validation → a suggestion to insert at the cursor. Nothing here
knows LSP types; the feature module converts offsets to positions. A document the send policy
refuses (secret, ignored, binary, huge) raises :class:`~server.refusal.Refused` before any
request is built.

An automatic request gets one suggestion from one model call (:meth:`CompletionEngine.suggest`);
an explicit one gets up to three distinct candidates (:meth:`CompletionEngine.candidates`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from analyzers.completion_kind import CompletionKind, completion_kind
from analyzers.context import RelatedBlock, build_context, estimate_tokens
from analyzers.parsing import SourceDocument
from analyzers.postprocess import make_stop_check, postprocess
from analyzers.token_healing import (
    heal_split,
    healed_answer,
    healing_grammar,
    healing_stop_check,
)
from server.backend import ModelBackend
from server.completion_cache import CompletionCache
from server.llm.provider import CompletionRequest, CompletionResult
from server.llm.waiting import wait_within
from server.model_choice import context_budget
from server.refusal import SendPolicy
from server.settings import Settings

log = logging.getLogger(__name__)

# Longest cursor line we complete on: longer lines are minified or generated code.
MAX_LINE_CHARS = 2_000

# Modes whose prompt shows the model the code after the cursor; the others spend the whole
# budget on what comes before it.
_MODES_WITHOUT_SUFFIX = frozenset({"prefix"})

# Modes whose prompt ends at the cursor, where token healing can apply (a FIM prompt ends with the
# middle marker, after the suffix).
_HEALED_MODES = frozenset({"prefix"})

_HEALING_TOKENS = 2
"""Extra answer tokens allowed for retyping the healed text."""

CANDIDATES = 3
"""The most suggestions an explicit request (the user asked, or cycles through them) offers."""

SAMPLE_TEMPERATURE = 0.7
"""Temperature of an explicit request's extra samples (the first candidate is the greedy one)."""

_SAMPLE_CALLS_PER_CANDIDATE = 2
"""Model calls allowed per missing candidate (samples may repeat one another)."""

RelatedSource = Callable[[str, SourceDocument, int, "str | None"], Sequence[RelatedBlock]]
"""(document key, document, offset, path) → blocks from other files, most relevant first."""


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at ``offset`` (code points)."""

    text: str
    offset: int
    kind: CompletionKind
    from_cache: bool
    elapsed_s: float


@dataclass(frozen=True)
class PreparedRequest:
    """What would be sent to the model for one cursor position."""

    kind: CompletionKind
    request: CompletionRequest
    healed: str = ""
    """Text cut from the prompt's end by token healing, which the answer must start with."""

    def stop_check(self, source: SourceDocument, offset: int) -> Callable[[str], bool]:
        """When the raw answer streamed so far is enough (or has left the healed text)."""
        return healing_stop_check(self.healed, make_stop_check(source, offset, self.kind))

    def answer(self, raw: str) -> str | None:
        """The model's raw answer as text to insert at the cursor; None: it left the healed text."""
        return healed_answer(raw, self.healed)

    def finish(self, raw: str, source: SourceDocument, offset: int) -> str:
        """The suggestion shown for the model's raw answer (``""``: none), judged on ``source``."""
        answer = self.answer(raw)
        return (postprocess(answer, source, offset, self.kind) or "") if answer else ""


def prepare_request(
    source: SourceDocument,
    offset: int,
    path: str | None,
    settings: Settings,
    *,
    mode: str = "",
    related: Callable[[], Sequence[RelatedBlock]] | None = None,
    count_tokens: Callable[[str], int] = estimate_tokens,
    heal: bool = False,
    budget_tokens: int | None = None,
) -> PreparedRequest | None:
    """Decide whether to complete here and build the model request; None: don't.

    ``related`` supplies blocks from other files; it is only called when a request is built.
    ``heal``: cut the prompt back to a token boundary (:mod:`analyzers.token_healing`) when the
    mode's prompt ends at the cursor. ``budget_tokens``: the context budget (default: the
    setting, ``auto`` read as for an endpoint).
    """
    line, _ = source.lines.position_at(offset)
    if len(source.lines.line_text(line)) > MAX_LINE_CHARS:
        return None
    kind = completion_kind(source, offset)
    if kind is CompletionKind.NONE:
        return None
    window = build_context(
        source,
        offset,
        path=path,
        budget_tokens=budget_tokens or context_budget(settings, None),
        count_tokens=count_tokens,
        suffix_share=0.0 if mode in _MODES_WITHOUT_SUFFIX else 0.25,
        related=related() if related is not None else (),
    )
    max_tokens = settings.completion_max_tokens
    if kind is CompletionKind.SINGLE_LINE:
        max_tokens = min(max_tokens, 48)
    language = source.language.name if source.language else ""
    prefix, healed = window.prompt_prefix, ""
    if heal and mode in _HEALED_MODES:
        prefix, healed = heal_split(prefix)
        if healed:
            max_tokens += _HEALING_TOKENS
    request = CompletionRequest(
        prefix=prefix,
        suffix=window.suffix,
        max_tokens=max_tokens,
        language=language,
        path=path or "",
    )
    return PreparedRequest(kind, request, healed)


class CompletionEngine:
    """Runs the pipeline against a model backend, with a suggestion cache."""

    def __init__(
        self,
        backend: ModelBackend,
        policy: SendPolicy,
        cache: CompletionCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        related: RelatedSource | None = None,
        display_path: Callable[[str], str] | None = None,
    ) -> None:
        self.backend = backend
        self.policy = policy
        self.cache = cache or CompletionCache()
        self._clock = clock
        self.related = related
        """Context from other files for a completion (None: none)."""
        self.display_path = display_path
        """Maps a document's path to the one shown in prompts (workspace-relative)."""

    def prepare(
        self, key: str, source: SourceDocument, offset: int, path: str | None, settings: Settings
    ) -> PreparedRequest | None:
        """The model request for this cursor with all context sources, or None: don't complete.

        Raises :class:`~server.refusal.Refused` when the document must not be sent.
        """
        self.policy.check(source.text, path)
        source_of_related = self.related

        def related() -> Sequence[RelatedBlock]:
            # Only asked for once the completion kind says a request will be made.
            if source_of_related is None:
                return ()
            return source_of_related(key, source, offset, path)

        shown = self.display_path(path) if path and self.display_path is not None else path
        return prepare_request(
            source,
            offset,
            shown,
            settings,
            mode=self.backend.target.mode,
            related=related,
            count_tokens=self.backend.count_tokens,
            # Measured on the embedded model (benchmarks/quality); an endpoint's model in prefix
            # mode may be chat-tuned and is left as it is.
            heal=self.backend.target.embedded,
            budget_tokens=context_budget(settings, self.backend.target),
        )

    async def ask(
        self, prepared: PreparedRequest, source: SourceDocument, offset: int
    ) -> CompletionResult | None:
        """The model's answer to ``prepared`` (None: the call failed).

        A healed prompt whose answer left the healed text is asked once more under a grammar
        that makes the model retype it (llama.cpp, whose KV cache still holds the prompt).
        """
        stop_check = prepared.stop_check(source, offset)
        result = await self.backend.complete(prepared.request, stop_check)
        if result is None or not prepared.healed or prepared.answer(result.text) is not None:
            return result
        log.debug("the answer left the healed text; asking again with a grammar")
        forced = replace(prepared.request, grammar=healing_grammar(prepared.healed))
        return await self.backend.complete(forced, stop_check)

    def cached(
        self, key: str, source: SourceDocument, offset: int, *, record: bool = True
    ) -> Suggestion | None:
        """A suggestion served from the cache (repeat position or typed-ahead), if any."""
        started = self._clock()
        rest = self.cache.lookup(key, source.text, offset, started, record=record)
        if rest is None:
            return None
        kind = completion_kind(source, offset)
        return Suggestion(rest, offset, kind, True, self._clock() - started)

    async def suggest(
        self,
        key: str,
        source: SourceDocument,
        offset: int,
        path: str | None,
        settings: Settings,
    ) -> Suggestion | None:
        """A fresh suggestion from the model (no cache lookup), or None; may raise Refused."""
        started = self._clock()
        prepared = self.prepare(key, source, offset, path, settings)
        if prepared is None:
            return None
        # The document may change while the model runs; work on a snapshot of its text.
        text = source.text
        result = await self.ask(prepared, source, offset)
        if result is None or not result.text:
            return None
        changed = source.text != text
        # The user may have typed on while the model ran (a continued call): judge the answer
        # against the text it was asked for, and keep it for the requests that follow.
        basis = SourceDocument(text, source.language) if changed else source
        final = prepared.finish(result.text, basis, offset)
        if not final:
            log.debug("suggestion rejected by post-processing")
            return None
        self.cache.store(key, text, offset, final, self._clock())
        if changed:
            log.debug("document changed while the model ran; suggestion cached, not shown")
            return None
        return Suggestion(final, offset, prepared.kind, False, self._clock() - started)

    async def candidates(
        self,
        key: str,
        source: SourceDocument,
        offset: int,
        path: str | None,
        settings: Settings,
        *,
        count: int = CANDIDATES,
        first: Suggestion | None = None,
    ) -> list[Suggestion]:
        """Up to ``count`` distinct suggestions for an explicit request; may raise Refused.

        The first is the one an automatic request gives: ``first`` (the caller's cache hit), or
        a fresh greedy call. The others are samples at :data:`SAMPLE_TEMPERATURE`, asked for
        together (``n``) where the endpoint takes it, else one call at a time. Each goes through
        the same post-processing as a single suggestion; duplicates are dropped. Sampling stops
        ``completion.timeoutMs`` after the start (a running call is cancelled), after a failed
        call, or after two calls per missing candidate. The send policy is asked before every
        model call. Candidates cached at this position (an earlier explicit request) are
        offered again without a call; all of them are cached for the requests that follow.
        """
        started = self._clock()
        prepared = self.prepare(key, source, offset, path, settings)
        if prepared is None:
            return []
        text = source.text
        kind = prepared.kind
        stop_check = prepared.stop_check(source, offset)
        found: list[str] = []
        cached: set[str] = set()

        def add(final: str) -> bool:
            if not final or final.rstrip() in {known.rstrip() for known in found}:
                return False
            found.append(final)
            return True

        def add_answer(raw: str) -> None:
            # The document may change while the model runs: judge against the text asked for.
            basis = source if source.text == text else SourceDocument(text, source.language)
            if raw and not add(prepared.finish(raw, basis, offset)):
                log.debug("candidate rejected by post-processing or a duplicate")

        for known in ([first.text] if first is not None else []) + self.cache.lookup_all(
            key, text, offset, started
        ):
            if add(known):
                cached.add(known)
        if not found:
            result = await self.ask(prepared, source, offset)
            if result is None:
                return []
            add_answer(result.text)
        deadline = started + settings.completion_timeout_ms / 1000
        calls = 0
        while len(found) < count and calls < _SAMPLE_CALLS_PER_CANDIDATE * (count - 1):
            remaining = deadline - self._clock()
            if remaining <= 0:
                log.debug("candidate sampling stopped at the time cap")
                break
            self.policy.check(text, path)
            sample = replace(prepared.request, temperature=SAMPLE_TEMPERATURE, n=count - len(found))
            calls += 1
            try:
                result = await wait_within(self.backend.complete(sample, stop_check), remaining)
            except asyncio.TimeoutError:
                log.debug("candidate sampling cut at the time cap")
                break
            if result is None:
                break
            for raw in result.choices or (result.text,):
                add_answer(raw)
        now = self._clock()
        self.cache.store_many(key, text, offset, found, now)
        if source.text != text:
            log.debug("document changed while the model ran; candidates cached, not shown")
            return []
        return [Suggestion(t, offset, kind, t in cached, now - started) for t in found[:count]]
