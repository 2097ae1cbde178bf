"""Choose the context from other files for one cursor: imported definitions and similar snippets.

Owns :func:`select_related`.  The caller supplies two things it knows about the workspace:
``lookup`` (an import → the summaries of the module it names, or None when that module is not
known or not loaded yet) and ``snippet_pool`` (windows of other open or recently edited files).
The result is a list of :class:`~analyzers.context.RelatedBlock`, most relevant first:

1. definitions of imported symbols that the code near the cursor uses, nearest use first, and
   (an outline) of the file's own definitions it uses that lie more than 60 lines away;
2. snippets of other files most similar to the code just before the cursor (Jaccard over
   identifier sets), near-duplicates removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from analyzers.context import RelatedBlock
from analyzers.crossfile import (
    DefinitionSummary,
    ImportedName,
    imported_names,
    summarize_module,
    used_names,
)
from analyzers.parsing import SourceDocument
from analyzers.snippets import Snippet, identifier_set, rank_snippets
from analyzers.structure import import_spans

__all__ = ["ModuleLookup", "RelatedSelection", "select_related"]

ModuleLookup = Callable[[ImportedName], "tuple[str, Mapping[str, DefinitionSummary]] | None"]
"""An import → (display path, definitions by name) of the module it names, or None."""

_USE_LINES_BEFORE = 40
_USE_LINES_AFTER = 10
_QUERY_LINES = 20
_OUTLINE_DISTANCE = 60


@dataclass(frozen=True)
class RelatedSelection:
    """The chosen blocks, and whether every import could be looked up (nothing pending)."""

    blocks: list[RelatedBlock]
    complete: bool


def _near_text(doc: SourceDocument, offset: int, before: int, after: int) -> str:
    """The lines around ``offset``, with import statements blanked out (they use nothing)."""
    lines = doc.lines
    row = lines.line_of(offset)
    start = lines.line_start(max(row - before, 0))
    end = lines.line_end(min(row + after, lines.line_count - 1))
    pieces: list[str] = []
    position = start
    for span in import_spans(doc):
        if span.end <= position or span.start >= end:
            continue
        pieces.append(doc.text[position : max(span.start, position)])
        position = min(span.end, end)
    pieces.append(doc.text[position:end])
    return "\n".join(pieces)


def _members_used(text: str, module: str) -> set[str]:
    """Names accessed as ``module.name`` (or ``module:name``, Lua methods) in ``text``."""
    pattern = re.compile(rf"(?<!\w){re.escape(module)}\s*[.:]\s*([A-Za-z_]\w*)")
    return {match.group(1) for match in pattern.finditer(text)}


def _definitions(
    doc: SourceDocument, offset: int, lookup: ModuleLookup, limit: int, own_path: str | None
) -> tuple[list[RelatedBlock], bool]:
    near = _near_text(doc, offset, _USE_LINES_BEFORE, _USE_LINES_AFTER)
    used = used_names(near)
    rank = {name: index for index, name in enumerate(used)}
    complete = True
    found: dict[tuple[str, str], tuple[int, DefinitionSummary]] = {}
    for imported in imported_names(doc):
        if imported.local not in rank:
            continue
        module = lookup(imported)
        if module is None:
            complete = False
            continue
        module_path, summaries = module
        if imported.name is not None and imported.name in summaries:
            found[(module_path, imported.name)] = (
                rank[imported.local],
                summaries[imported.name],
            )
            continue
        # A whole module (``import json.scanner``, ``from pkg import submodule``, ``require``):
        # its members that the nearby code reaches through the module's name.
        members = _members_used(near, imported.local)
        for name, summary in summaries.items():
            if name in members and name in rank:
                key = (module_path, name)
                if key not in found or rank[name] < found[key][0]:
                    found[key] = (rank[name], summary)
    if own_path is not None:
        # The file's own definitions that the nearby code uses but the near window is unlikely
        # to show (far above or below the cursor): an outline of just those.
        row = doc.lines.line_of(offset)
        for name, summary in summarize_module(doc).items():
            if name in rank and abs(summary.line - row) > _OUTLINE_DISTANCE:
                found.setdefault((own_path, name), (rank[name], summary))
    ordered = sorted(found.items(), key=lambda item: (item[1][0], item[0]))
    blocks = [
        RelatedBlock(
            path=module_path,
            text=summary.text,
            kind="outline" if module_path == own_path else "definition",
        )
        for (module_path, _), (_, summary) in ordered[:limit]
    ]
    return blocks, complete


def select_related(
    doc: SourceDocument,
    offset: int,
    *,
    path: str | None,
    lookup: ModuleLookup,
    snippet_pool: Iterable[Snippet] = (),
    max_definitions: int = 8,
    max_snippets: int = 2,
    shown_path: str | None = None,
) -> RelatedSelection:
    """Blocks from other files for a completion at ``offset``, most relevant first.

    With ``shown_path`` (the document's own path as prompts show it), the document's own
    definitions used near the cursor but defined far from it are included too.
    """
    offset = min(max(offset, 0), len(doc.text))
    definitions, complete = _definitions(doc, offset, lookup, max_definitions, shown_path)
    snippets: list[RelatedBlock] = []
    if max_snippets > 0:
        query = identifier_set(_near_text(doc, offset, _QUERY_LINES, 0))
        if query:
            pool = (s for s in snippet_pool if s.path != path)
            shown = {b.text for b in definitions}
            snippets = [
                RelatedBlock(path=s.path, text=s.shown, kind="snippet")
                for s in rank_snippets(query, pool, limit=max_snippets)
                if s.text not in shown
            ]
    return RelatedSelection(definitions + snippets, complete)
