"""Context from other workspace files for completions, gathered without ever blocking a request.

Owns :class:`FileFacts` (what the workspace index keeps per file: definition summaries and snippet
windows), :func:`analyze_file` (computes them on the index's worker thread) and
:class:`RelatedContext`, which turns the index into :class:`~analyzers.context.RelatedBlock` lists
for one cursor.  A module that is not indexed yet is skipped (its load is scheduled), so a request
never waits for disk or parsing.

The blocks for a document are kept while the cursor stays in the same 32-line cell and every
lookup they needed had been ready: the related part opens the prompt, so changing it on a
keystroke would throw away the model server's KV cache for the whole prompt.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from analyzers.context import RelatedBlock
from analyzers.crossfile import (
    DefinitionSummary,
    ImportedName,
    imported_names,
    module_paths,
    summarize_module,
)
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.related import select_related
from analyzers.snippets import Snippet, snippet_windows
from analyzers.structure import import_spans
from server.workspace import WorkspaceIndex

__all__ = ["FileFacts", "RelatedContext", "analyze_file"]

_CELL_LINES = 32
_CACHE_SECONDS = 120.0
_RECENT_FILES = 10


@dataclass(frozen=True)
class FileFacts:
    """What the index keeps about one file for context building."""

    path: str
    language: str
    definitions: Mapping[str, DefinitionSummary]
    windows: tuple[Snippet, ...] = field(default=())


def analyze_file(path: str, text: str) -> FileFacts | None:
    """Parse one file and summarise it; None for files in no supported language."""
    language = language_for(None, path)
    if language is None:
        return None
    doc = SourceDocument(text, language)
    return FileFacts(
        path=path,
        language=language.name,
        definitions=summarize_module(doc),
        windows=tuple(snippet_windows(path, text)),
    )


@dataclass
class _Cached:
    cell: int
    imports: int
    blocks: list[RelatedBlock]
    at: float


class RelatedContext:
    """Related blocks for a cursor from the workspace index, cached per document and cell."""

    def __init__(
        self,
        index: WorkspaceIndex[FileFacts],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.index = index
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    def forget(self, key: str) -> None:
        """Drop what is cached for a closed document."""
        self._cache.pop(key, None)

    def blocks(
        self, key: str, doc: SourceDocument, offset: int, path: str | None
    ) -> list[RelatedBlock]:
        """Blocks for a completion at ``offset`` (most relevant first); never waits."""
        if path is None or doc.language is None or self.index.is_ignored(path):
            return []
        cell = doc.lines.line_of(min(offset, len(doc.text))) // _CELL_LINES
        imports = hash(tuple(_import_texts(doc)))
        now = self._clock()
        cached = self._cache.get(key)
        if (
            cached is not None
            and cached.cell == cell
            and cached.imports == imports
            and now - cached.at < _CACHE_SECONDS
        ):
            return cached.blocks
        language = doc.language.name
        selection = select_related(
            doc,
            offset,
            path=path,
            lookup=lambda imported: self._lookup(path, imported, language),
            snippet_pool=self._snippet_pool(path, language),
            shown_path=self.display_path(path),
        )
        if selection.complete:
            self._cache[key] = _Cached(cell, imports, selection.blocks, now)
        else:
            self._cache.pop(key, None)
        return selection.blocks

    def prefetch(self, doc: SourceDocument, path: str | None) -> None:
        """Start indexing the modules ``doc`` imports (on opening it), without waiting."""
        if path is None or doc.language is None or self.index.is_ignored(path):
            return
        for imported in imported_names(doc):
            self._lookup(path, imported, doc.language.name)

    def _lookup(
        self, importer: str, imported: ImportedName, language: str
    ) -> tuple[str, Mapping[str, DefinitionSummary]] | None:
        roots = self.index.roots
        pending = False
        for candidate in module_paths(importer, imported, language, roots):
            if self.index.is_ignored(candidate):
                continue
            facts = self.index.peek(candidate)
            if facts is None:
                pending = pending or self.index.exists(candidate) is not False
                continue
            return self.display_path(candidate), facts.definitions
        if pending:
            return None
        return "", {}

    def _snippet_pool(self, path: str, language: str) -> list[Snippet]:
        pool: list[Snippet] = []
        for other, facts in self.index.recent(_RECENT_FILES):
            if other != path and facts.language == language:
                display = self.display_path(other)
                pool.extend(replace(s, path=display) for s in facts.windows)
        return pool

    def display_path(self, path: str) -> str:
        """``path`` relative to the workspace root holding it (else its file name), for prompts."""
        for root in self.index.roots:
            try:
                relative = os.path.relpath(path, root)
            except ValueError:
                continue
            if not relative.startswith(".."):
                return relative.replace(os.sep, "/")
        return os.path.basename(path)


def _import_texts(doc: SourceDocument) -> list[str]:
    return [span.text for span in import_spans(doc)]
