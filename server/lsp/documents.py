"""Open documents: text, version, syntax tree and the LSP position codec.

Grove keeps its own copy of every open document so that each incremental change can be applied
to the text and to the tree-sitter tree together (``tree.edit`` + reparse). Positions from the
client arrive in the negotiated encoding (utf-16 by default) and are converted to code-point
offsets here, once, so everything below works on plain ``str`` offsets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from analyzers.languages import LanguageSpec, language_for
from analyzers.parsing import SourceDocument
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

    def __init__(self) -> None:
        self._documents: dict[str, OpenDocument] = {}

    def open(self, item: types.TextDocumentItem) -> OpenDocument:
        """Start tracking a document."""
        path = uri_to_path(item.uri)
        language = self._language(item.language_id, path, item.text)
        document = OpenDocument(
            uri=item.uri,
            language_id=item.language_id,
            version=item.version,
            source=SourceDocument(item.text, language),
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
        return document

    def close(self, uri: str) -> None:
        """Forget a document."""
        self._documents.pop(uri, None)

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
