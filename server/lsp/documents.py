"""Open documents: text, version, syntax tree and the LSP position codec.

Grove keeps its own copy of every open document so that each incremental change can be applied
to the text and to the tree-sitter tree together (``tree.edit`` + reparse). Positions from the
client arrive in the negotiated encoding (utf-16 by default) and are converted to code-point
offsets here, once, so everything below works on plain ``str`` offsets.

Each keystroke's first reparse runs within :data:`~analyzers.parsing.DEFAULT_REPARSE_BUDGET`
(an unclosed bracket would otherwise block the event loop for one full reparse of the rest of
the file); a reparse cut there is finished in slices once the user pauses typing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from analyzers.languages import LanguageSpec, language_for
from analyzers.parsing import DEFAULT_REPARSE_BUDGET, SourceDocument
from analyzers.positions import Encoding, column_to_units, units_to_column
from server.refusal import MAX_ANALYSED_CHARS

log = logging.getLogger(__name__)


def uri_to_path(uri: str) -> str | None:
    """The filesystem path of a ``file:`` URI, else None."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return str(Path(unquote(parsed.path)))


def encoding_of(kind: str | None) -> Encoding:
    """LSP ``PositionEncodingKind`` → analyzers encoding name."""
    if kind == types.PositionEncodingKind.Utf8:
        return "utf-8"
    if kind == types.PositionEncodingKind.Utf32:
        return "utf-32"
    return "utf-16"


@dataclass
class OpenDocument:
    """One document the client has opened."""

    uri: str
    language_id: str
    version: int
    source: SourceDocument

    @property
    def path(self) -> str | None:
        """Filesystem path, when the URI is a file."""
        return uri_to_path(self.uri)

    @property
    def too_large(self) -> bool:
        """Too big to analyse, or binary (NUL bytes): kept as text, never sent to a model."""
        text = self.source.text
        return len(text) > MAX_ANALYSED_CHARS or "\x00" in text

    def offset_at(self, position: types.Position, encoding: Encoding) -> int:
        """Client position → code-point offset, clamped into the document."""
        lines = self.source.lines
        line = min(max(position.line, 0), lines.line_count - 1)
        if position.line >= lines.line_count:
            return len(self.source.text)
        column = units_to_column(lines.line_text(line), max(position.character, 0), encoding)
        return lines.offset_at(line, column)

    def position_at(self, offset: int, encoding: Encoding) -> types.Position:
        """Code-point offset → client position in the negotiated encoding."""
        line, column = self.source.lines.position_at(offset)
        units = column_to_units(self.source.lines.line_text(line), column, encoding)
        return types.Position(line=line, character=units)


class DocumentStore:
    """The open documents, keyed by URI."""

    FINISH_IDLE_S = 0.2
    """Pause in a document's changes after which a cut reparse is finished."""
    FINISH_SLICE_S = 0.02
    """Longest the event loop is held per slice of that work."""

    def __init__(self, *, reparse_budget: float | None = DEFAULT_REPARSE_BUDGET) -> None:
        self._documents: dict[str, OpenDocument] = {}
        self._reparse_budget = reparse_budget
        self._finishers: dict[str, asyncio.Handle] = {}

    def open(self, item: types.TextDocumentItem) -> OpenDocument:
        """Start tracking a document."""
        path = uri_to_path(item.uri)
        language = self._language(item.language_id, path, item.text)
        document = OpenDocument(
            uri=item.uri,
            language_id=item.language_id,
            version=item.version,
            source=SourceDocument(item.text, language, reparse_budget=self._reparse_budget),
        )
        self._documents[item.uri] = document
        return document

    def change(
        self,
        identifier: types.VersionedTextDocumentIdentifier,
        changes: list[types.TextDocumentContentChangeEvent],
        encoding: Encoding,
    ) -> OpenDocument | None:
        """Apply a batch of content changes in order."""
        document = self._documents.get(identifier.uri)
        if document is None:
            log.warning("change for a document that is not open: %s", identifier.uri)
            return None
        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start = document.offset_at(change.range.start, encoding)
                end = document.offset_at(change.range.end, encoding)
                document.source.apply_change(min(start, end), max(start, end), change.text)
            else:
                document.source.apply_change(None, None, change.text)
        document.version = identifier.version
        self._finish_when_idle(identifier.uri)
        return document

    def close(self, uri: str) -> None:
        """Forget a document."""
        self._cancel_finisher(uri)
        self._documents.pop(uri, None)

    def finish_parse(self, uri: str, budget: float | None = FINISH_SLICE_S) -> bool:
        """Continue the document's owed reparse for up to ``budget`` seconds; True when done."""
        document = self._documents.get(uri)
        return document is None or document.source.finish_parse(budget)

    def _finish_when_idle(self, uri: str) -> None:
        """(Re)start the pause timer after which a cut reparse is finished, in slices."""
        self._cancel_finisher(uri)
        if self._reparse_budget is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (scripts, tests): finish_parse is theirs to call
            return
        self._finishers[uri] = loop.call_later(self.FINISH_IDLE_S, self._finish_slice, uri)

    def _finish_slice(self, uri: str) -> None:
        self._finishers.pop(uri, None)
        if not self.finish_parse(uri):
            # Yield between slices: a change that arrives meanwhile cancels the rest.
            self._finishers[uri] = asyncio.get_running_loop().call_soon(self._finish_slice, uri)

    def _cancel_finisher(self, uri: str) -> None:
        handle = self._finishers.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def get(self, uri: str) -> OpenDocument | None:
        """The open document at ``uri``, if any."""
        return self._documents.get(uri)

    def uris(self) -> list[str]:
        """The URIs of the open documents."""
        return list(self._documents)

    def __len__(self) -> int:
        return len(self._documents)

    @staticmethod
    def _language(language_id: str, path: str | None, text: str) -> LanguageSpec | None:
        if len(text) > MAX_ANALYSED_CHARS:
            log.info("document too large to analyse (%d chars): %s", len(text), path)
            return None
        if "\x00" in text:
            log.info("document holds NUL bytes (binary), not analysed: %s", path)
            return None
        return language_for(language_id, path)
