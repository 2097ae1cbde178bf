"""Code structure per language: definitions, enclosing scopes, imports and comments.

Owns :class:`Scope` and the functions that read a document's structure through the queries in
``analyzers/queries/<language>.{definitions,imports,comments}.scm``:

* :func:`definitions` -- every function, method and class (nested ones included) in source order;
* :func:`enclosing_scopes` -- the definitions around an offset, innermost first;
* :func:`imports` / :func:`import_spans` -- import/include/use/require statements in order;
* :func:`comments` -- comment ranges, Python docstrings included.

A function is a ``"method"`` when the query says so (Go/Java/C#/PHP methods, Ruby ``def self.x``)
or when its nearest enclosing definition is a class, or when its name is qualified
(``Matrix::transpose`` in C++, ``Player:add`` in Lua).  Structs, interfaces, traits, enums,
``impl`` blocks and Ruby modules count as ``"class"``.

In Python an offset on a blank line after a block is inside every definition whose header line is
indented less than the cursor: the user is continuing that body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from analyzers.parsing import SourceDocument, SyntaxNode
from analyzers.positions import last_non_space

__all__ = [
    "ImportSpan",
    "Scope",
    "comments",
    "definitions",
    "enclosing_scopes",
    "import_spans",
    "imports",
    "indentation_of",
]

ScopeKind = Literal["function", "method", "class"]


@dataclass(frozen=True)
class Scope:
    """One definition; offsets are code points into the document text."""

    kind: ScopeKind
    name: str
    start: int
    """Start of the definition node (decorators and ``export`` excluded; see outer_start)."""
    end: int
    header: str
    """Signature text from ``start`` through the parameter list / header line(s)."""
    body_start: int
    docstring: str | None
    """Python docstring, or the comment block directly above the definition."""
    outer_start: int
    """Start including wrappers such as decorators, ``export`` or ``template <...>``."""


@dataclass(frozen=True)
class ImportSpan:
    """An import statement's range and text (trailing whitespace stripped)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Raw:
    node: SyntaxNode
    capture: str
    name: str
    header: str
    body_start: int
    body: SyntaxNode | None


_CAPTURE_KINDS: dict[str, ScopeKind] = {
    "definition.function": "function",
    "definition.method": "method",
    "definition.class": "class",
}


def indentation_of(doc: SourceDocument, offset: int) -> str:
    """Leading whitespace of the line containing ``offset``."""
    line = doc.lines.line_text(doc.lines.line_of(offset))
    return line[: len(line) - len(line.lstrip(" \t"))]


def _raw_from_match(doc: SourceDocument, captures: dict[str, list[SyntaxNode]]) -> _Raw | None:
    capture = next((c for c in captures if c in _CAPTURE_KINDS), None)
    if capture is None:
        return None
    node = captures[capture][0]
    name_nodes = captures.get("name")
    if not name_nodes:
        return None
    body_nodes = captures.get("body")
    body = body_nodes[0] if body_nodes else None
    start = node.start
    text = doc.text
    if body is None or body.start < start:
        line_end = doc.lines.line_end(doc.lines.line_of(start))
        header = text[start : min(line_end, node.end)].rstrip()
        body_start = start + len(header)
    else:
        body_start = body.start
        header_end = body_start
        comment_types = doc.language.comment_types if doc.language is not None else frozenset()
        name_end = name_nodes[0].end
        for child in node.children:
            if child.kind in comment_types and name_end <= child.start < header_end:
                header_end = child.start
                break
        segment = text[start:header_end]
        stripped = segment.rstrip()
        if header_end != body_start:
            segment = stripped
        if text.startswith("{", body_start) and "\n" not in segment[len(stripped) :]:
            header = segment + "{"
        else:
            header = stripped
    return _Raw(node, capture, name_nodes[0].text, header, body_start, body)


def _outer(doc: SourceDocument, node: SyntaxNode) -> SyntaxNode:
    spec = doc.language
    wrappers = spec.wrapper_types if spec is not None else frozenset()
    outer = node
    parent = outer.parent
    while parent is not None and parent.kind in wrappers:
        outer = parent
        parent = outer.parent
    return outer


def _comment_at(doc: SourceDocument, pos: int) -> SyntaxNode | None:
    spec = doc.language
    if spec is None:
        return None
    node = doc.node_spanning(pos, pos + 1)
    depth = 0
    while node is not None and depth < 4:
        if node.kind in spec.comment_types:
            return node
        node = node.parent
        depth += 1
    return None


def _plainly_code(doc: SourceDocument, stripped: str) -> bool:
    """Whether a line (stripped) cannot hold the end of a comment: it starts with a word.

    A cheap check before asking the tree (each ``parent`` step costs O(depth), which adds up
    over thousands of nested definitions).
    """
    spec = doc.language
    if spec is None or not (stripped[:1].isalnum() or stripped[:1] == "_"):
        return False
    block = spec.block_comment
    return not stripped.startswith(spec.line_comment) and not (
        block is not None and stripped.endswith(block[1])
    )


def _leading_comment(doc: SourceDocument, outer_start: int) -> str | None:
    lines = doc.lines
    text = doc.text
    line = lines.line_of(outer_start)
    if text[lines.line_start(line) : outer_start].strip():
        return None
    first: int | None = None
    last_end: int | None = None
    row = line - 1
    while row >= 0:
        line_text = lines.line_text(row)
        stripped = line_text.strip()
        if not stripped:
            break
        if first is None and stripped.startswith("#["):
            row -= 1
            continue
        if _plainly_code(doc, stripped):
            break
        pos = lines.line_start(row) + len(line_text) - len(line_text.lstrip())
        comment = _comment_at(doc, pos)
        if comment is None:
            break
        comment_line = lines.line_of(comment.start)
        if text[lines.line_start(comment_line) : comment.start].strip():
            break
        comment_end = comment.start + len(comment.text.rstrip())
        if text[comment_end : lines.line_end(lines.line_of(comment_end))].strip():
            break
        first = comment.start
        if last_end is None:
            last_end = comment_end
        row = lines.line_of(comment.start) - 1
    if first is None or last_end is None:
        return None
    return text[first:last_end]


def _python_docstring(body: SyntaxNode | None) -> str | None:
    if body is None:
        return None
    children = body.named_children
    first = next((c for c in children if c.kind != "comment"), None)
    if first is not None and first.kind == "expression_statement":
        inner = first.named_children
        first = inner[0] if len(inner) == 1 else None
    if first is not None and first.kind == "string":
        return first.text
    return None


def _qualified_method(doc: SourceDocument, name: str) -> bool:
    if "::" in name:
        return True
    spec = doc.language
    return spec is not None and spec.name == "lua" and ":" in name


def _make_scope(doc: SourceDocument, raw: _Raw, parent_kind: ScopeKind | None) -> Scope:
    kind = _CAPTURE_KINDS[raw.capture]
    if kind == "function" and (parent_kind == "class" or _qualified_method(doc, raw.name)):
        kind = "method"
    outer = _outer(doc, raw.node)
    spec = doc.language
    if spec is not None and spec.indent_scoped:
        docstring = _python_docstring(raw.body)
    else:
        docstring = _leading_comment(doc, outer.start)
    return Scope(
        kind=kind,
        name=raw.name,
        start=raw.node.start,
        end=raw.node.end,
        header=raw.header,
        body_start=raw.body_start,
        docstring=docstring,
        outer_start=outer.start,
    )


def _raws_for(doc: SourceDocument, node: SyntaxNode | None, depth: int | None) -> list[_Raw]:
    raws: list[_Raw] = []
    seen: set[tuple[int, int, str]] = set()
    for match in doc.query("definitions", node, max_start_depth=depth):
        raw = _raw_from_match(doc, match.captures)
        if raw is None:
            continue
        key = (raw.node.start, raw.node.end, raw.name)
        if key in seen:
            continue
        seen.add(key)
        raws.append(raw)
    return raws


def definitions(doc: SourceDocument) -> list[Scope]:
    """All functions, methods and classes in source order (nested ones included)."""
    return doc.memo("structure.definitions", lambda: _definitions(doc))


def _definitions(doc: SourceDocument) -> list[Scope]:
    raws = _raws_for(doc, None, None)
    raws.sort(key=lambda r: (r.node.start, -r.node.end))
    scopes: list[Scope] = []
    stack: list[tuple[int, int, ScopeKind]] = []
    for raw in raws:
        start, end = raw.node.start, raw.node.end
        while stack and not (
            stack[-1][0] <= start and end <= stack[-1][1] and (start, end) != stack[-1][:2]
        ):
            stack.pop()
        parent_kind = stack[-1][2] if stack else None
        scope = _make_scope(doc, raw, parent_kind)
        scopes.append(scope)
        stack.append((start, end, scope.kind))
    return scopes


def enclosing_scopes(doc: SourceDocument, offset: int) -> list[Scope]:
    """Definitions that contain ``offset``, innermost first."""
    spec = doc.language
    if spec is None or offset <= 0 or not doc.has_tree:
        return []
    text = doc.text
    offset = min(offset, len(text))
    lines = doc.lines
    if spec.indent_scoped:
        anchor = last_non_space(text, offset)
        if anchor == 0:
            return []
        node = doc.node_spanning(anchor - 1, anchor, named=False)
        line = lines.line_of(offset)
        before = text[lines.line_start(line) : offset]
        if not before.strip():
            column = len(before.expandtabs(4))
        else:
            column = len(indentation_of(doc, offset).expandtabs(4))
    else:
        node = doc.node_spanning(offset - 1, offset, named=False)
        column = 0
    if node is None:
        return []
    chain: list[_Raw] = []
    for ancestor in node.ancestors(include_self=True):
        if ancestor.kind not in spec.definition_types:
            continue
        for raw in _raws_for(doc, ancestor, 0):
            if raw.node == ancestor:
                chain.append(raw)
                break
    scopes: list[Scope] = []
    kinds: list[ScopeKind | None] = []
    for raw in reversed(chain):
        parent_kind = kinds[-1] if kinds else None
        scope = _make_scope(doc, raw, parent_kind)
        kinds.append(scope.kind)
        scopes.append(scope)
    result: list[Scope] = []
    for scope in reversed(scopes):
        if not scope.start < offset:
            continue
        if offset < scope.end or (offset == scope.end and spec.indent_scoped):
            result.append(scope)
        elif spec.indent_scoped:
            header_indent = len(indentation_of(doc, scope.start).expandtabs(4))
            if header_indent < column:
                result.append(scope)
    return result


# ------------------------------------------------------------------------------ imports


@dataclass
class _ImportCache:
    version: int
    spans: list[ImportSpan]


_IMPORT_CACHE_KEY = "structure.imports"


def imports(doc: SourceDocument) -> list[str]:
    """Texts of the import/include/use/require statements, in source order."""
    return [span.text for span in import_spans(doc)]


def import_spans(doc: SourceDocument) -> list[ImportSpan]:
    """Import statements with their ranges, in source order.

    Cached across edits: an edit that touches no import and adds no line that could hold one
    only shifts the cached ranges, so typing inside a function costs no query; an edit that
    could add or change one re-queries just the lines it touched.
    """
    spec = doc.language
    if spec is None or not doc.has_tree:
        return []
    cached = doc.scratch.get(_IMPORT_CACHE_KEY)
    if isinstance(cached, _ImportCache):
        if cached.version == doc.version:
            return cached.spans
        updated = _update_imports(doc, cached, spec.import_hint, spec.import_depth)
        if updated is not None:
            cached.spans = updated
            cached.version = doc.version
            return updated
    spans = _query_imports(doc, spec.import_depth)
    doc.scratch[_IMPORT_CACHE_KEY] = _ImportCache(doc.version, spans)
    return spans


def _update_imports(
    doc: SourceDocument, cache: _ImportCache, hint: str, depth: int
) -> list[ImportSpan] | None:
    """The cached spans after one edit, or None when only a full query can tell."""
    edits = doc.edits_since(cache.version)
    if edits is None or len(edits) != 1:
        return None
    edit = edits[0]
    delta = edit.new_end - edit.old_end
    lines = doc.lines
    start = lines.line_start(lines.line_of(edit.start))
    end = lines.line_end(lines.line_of(edit.new_end))
    touched = False
    for span in cache.spans:
        if span.start <= edit.old_end and span.end >= edit.start:
            touched = True
            start = min(start, span.start)
            end = max(end, span.end + delta)
    if not touched and re.search(hint, doc.text[start:end], re.MULTILINE) is None:
        if not delta:
            return cache.spans
        return [
            span
            if span.end < edit.start
            else ImportSpan(span.start + delta, span.end + delta, span.text)
            for span in cache.spans
        ]
    kept = []
    for span in cache.spans:
        if span.start > edit.old_end:
            span = ImportSpan(span.start + delta, span.end + delta, span.text)
        elif span.end >= edit.start:
            continue  # touched by the edit: the region query finds what is left of it
        if span.end < start or span.start > end:
            kept.append(span)
    found = _query_imports(doc, depth, (start, end))
    known = {(span.start, span.end) for span in kept}
    merged = kept + [span for span in found if (span.start, span.end) not in known]
    return sorted(merged, key=lambda span: span.start)


def _query_imports(
    doc: SourceDocument, depth: int, within: tuple[int, int] | None = None
) -> list[ImportSpan]:
    nodes = [
        node
        for match in doc.query("imports", max_start_depth=depth, within=within)
        for node in match.captures.get("import", [])
    ]
    ranges = sorted({(n.start, n.end) for n in nodes}, key=lambda r: (r[0], -r[1]))
    spans: list[ImportSpan] = []
    last_end = -1
    for start, end in ranges:
        if start < last_end:
            continue
        text = doc.text[start:end].rstrip()
        spans.append(ImportSpan(start, start + len(text), text))
        last_end = end
    return spans


# ----------------------------------------------------------------------------- comments


def comments(doc: SourceDocument) -> list[tuple[int, int]]:
    """Ranges of all comments (Python docstrings included), in source order."""
    return doc.memo("structure.comments", lambda: _comments(doc))


def _comments(doc: SourceDocument) -> list[tuple[int, int]]:
    ranges = {
        (node.start, node.end)
        for match in doc.query("comments")
        for node in match.captures.get("comment", [])
    }
    return sorted(ranges)
