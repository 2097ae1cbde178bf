"""Inline completion (LSP 3.18 ``textDocument/inlineCompletion``) and its completion fallback."""

from __future__ import annotations

import logging
import re

from lsprotocol import types

from server.completion import Suggestion
from server.completion_cache import typed_forward
from server.lsp.documents import OpenDocument
from server.lsp.state import GroveServer
from server.refusal import Refused
from server.tasks import RequestedAt, Superseded

log = logging.getLogger(__name__)

_WORD_BEFORE_CURSOR = re.compile(r"[\w$]+$")


ACCEPTED = "grove.accepted"


def register(server: GroveServer) -> None:
    """Wire inline completion, its acceptance command and the fallback completion provider."""
    server.command(ACCEPTED)(accepted)
    server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(
        inline_completion
    )
    server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", "(", ","], resolve_provider=False),
    )(completion)


async def inline_completion(
    ls: GroveServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    """Ghost-text suggestion at the cursor."""
    await ls.wait_for_settings()
    document = _completable(ls, params.text_document.uri)
    if document is None:
        return types.InlineCompletionList(items=[])
    offset = document.offset_at(params.position, ls.encoding)
    if params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked:
        # Asked for explicitly (or the user cycles): several candidates to choose from.
        suggestions = await candidates_at(ls, document, offset)
    else:
        suggestion = await suggest_at(ls, document, offset)
        suggestions = [] if suggestion is None else [suggestion]
    return types.InlineCompletionList(items=[_inline_item(ls, document, s) for s in suggestions])


def _inline_item(
    ls: GroveServer, document: OpenDocument, suggestion: Suggestion
) -> types.InlineCompletionItem:
    position = document.position_at(suggestion.offset, ls.encoding)
    return types.InlineCompletionItem(
        insert_text=suggestion.text,
        range=types.Range(start=position, end=position),
        # Run by the editor after the user accepts the whole suggestion.
        command=types.Command(
            title="Grove: suggestion accepted",
            command=ACCEPTED,
            arguments=[document.uri, suggestion.offset, suggestion.text],
        ),
    )


async def completion(ls: GroveServer, params: types.CompletionParams) -> types.CompletionList:
    """The same suggestion as one completion item, for clients without inline completion."""
    empty = types.CompletionList(is_incomplete=True, items=[])
    await ls.wait_for_settings()
    mode = ls.settings.completion_fallback_items
    if mode == "never" or (mode == "auto" and ls.supports_inline_completion):
        return empty
    document = _completable(ls, params.text_document.uri)
    if document is None:
        return empty
    offset = document.offset_at(params.position, ls.encoding)
    suggestion = await suggest_at(ls, document, offset)
    if suggestion is None:
        return empty
    return types.CompletionList(
        is_incomplete=True, items=[_completion_item(ls, document, suggestion)]
    )


async def accepted(ls: GroveServer, *args: object) -> None:
    """A suggestion was accepted; with ``grove.completion.speculative``, prepare the next one."""
    ls.accepted_count += 1
    if not ls.settings.completion_speculative or len(args) != 3:
        return
    uri, offset, text = args
    if not isinstance(uri, str) or not isinstance(offset, int) or not isinstance(text, str):
        return
    document = _completable(ls, uri)
    end = offset + len(text)
    if document is None or document.source.text[offset:end] != text:
        return  # not applied (yet), edited since, or completions off for it: nothing to do
    if ls.tasks.current(uri) is not None:
        return  # the editor already asked for the next suggestion
    ls.speculative_count += 1
    ls.background(_speculate(ls, document, end))


async def _speculate(ls: GroveServer, document: OpenDocument, offset: int) -> None:
    """Run the next suggestion's model call now; the editor's request will join it."""
    await suggest_at(ls, document, offset, speculative=True)


async def suggest_at(
    ls: GroveServer, document: OpenDocument, offset: int, *, speculative: bool = False
) -> Suggestion | None:
    """Cached suggestion, or a debounced model call that a newer request can supersede.

    A speculative call (nobody is waiting yet) skips the debounce and the hit-rate count.
    Nothing is sent for a document the send policy refuses; the user is told why once.
    """
    found = await _suggestions_at(ls, document, offset, speculative=speculative)
    return found[0] if found else None


async def candidates_at(ls: GroveServer, document: OpenDocument, offset: int) -> list[Suggestion]:
    """Up to three distinct suggestions for an explicit request (no debounce).

    The first is what :func:`suggest_at` would give (from the cache when there); the others are
    extra model samples (:meth:`~server.completion.CompletionEngine.candidates`). A newer
    request supersedes them like any other; typing on does not continue them.
    """
    return await _suggestions_at(ls, document, offset, explicit=True)


async def _suggestions_at(
    ls: GroveServer,
    document: OpenDocument,
    offset: int,
    *,
    speculative: bool = False,
    explicit: bool = False,
) -> list[Suggestion]:
    why = ls.send_policy.refusal(document.source.text, document.path)
    if why is not None:
        # The engine would refuse it too; asking first skips the debounce and the task.
        ls.tell_refused(document.uri, document.path, why)
        return []
    key = document.uri
    version = document.version
    text = document.source.text
    # A model call still running for this text (typed forward from, or a speculative request
    # at, this very position) is worth waiting for rather than replacing.
    ls.tasks.keep_useful(
        key,
        lambda at: (
            offset == at.offset + len(text) - len(at.text)
            and typed_forward(at.text, at.offset, text, same=True)
        ),
    )
    ticket = ls.tasks.begin(key)
    try:
        cached = ls.engine.cached(key, document.source, offset, record=False)
        if cached is None:
            quick = speculative or explicit
            delay = 0.0 if quick else ls.settings.completion_debounce_ms / 1000
            await ls.tasks.debounce(ticket, delay)
            if document.version != version:
                return []
            # A model call continued from an earlier keystroke may answer this one too.
            if await ls.tasks.continued(ticket) and document.version == version:
                cached = ls.engine.cached(key, document.source, offset, record=False)
        if not speculative:
            ls.engine.cache.record(cached is not None)
        if document.version != version:
            return []
        if explicit:
            # No ticket context: typing on cancels the extra samples rather than continuing them.
            several = ls.engine.candidates(
                key, document.source, offset, document.path, ls.settings, first=cached
            )
            return await ls.tasks.run(ticket, several)
        if cached is not None:
            return [cached]
        ticket.context = RequestedAt(document.source.text, offset)
        work = ls.engine.suggest(key, document.source, offset, document.path, ls.settings)
        suggestion = await ls.tasks.run(ticket, work)
        return [] if suggestion is None else [suggestion]
    except Superseded:
        return []
    except Refused as refused:  # the text changed into a refused one during the debounce
        ls.tell_refused(document.uri, document.path, str(refused))
        return []
    finally:
        ls.tasks.end(ticket)


def _completable(ls: GroveServer, uri: str) -> OpenDocument | None:
    """The open document at ``uri``, if completions are on (for its languageId too)."""
    document = ls.documents.get(uri)
    if document is None or not ls.settings.completes(document.language_id):
        return None
    return document


def _completion_item(
    ls: GroveServer, document: OpenDocument, suggestion: Suggestion
) -> types.CompletionItem:
    """A completion item whose edit replaces the word before the cursor with word + suggestion."""
    line, column = document.source.lines.position_at(suggestion.offset)
    before = document.source.lines.line_text(line)[:column]
    match = _WORD_BEFORE_CURSOR.search(before)
    word = match.group(0) if match else ""
    start = document.position_at(suggestion.offset - len(word), ls.encoding)
    end = document.position_at(suggestion.offset, ls.encoding)
    new_text = word + suggestion.text
    first_line = new_text.strip().splitlines()[0] if new_text.strip() else new_text
    return types.CompletionItem(
        label=first_line[:80],
        kind=types.CompletionItemKind.Text,
        detail="Grove",
        documentation=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=f"```\n{new_text}\n```"
        ),
        filter_text=new_text,
        sort_text="0000",
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(range=types.Range(start=start, end=end), new_text=new_text),
    )
