"""Decide whether an inline completion should be offered, and how much of one.

Owns :class:`CompletionKind` and :func:`completion_kind`.  The rules, in order:

1. ``NONE`` when text after the cursor on its line would collide with a suggestion: it must be
   whitespace and closing characters ``) ] } > " ' ` ; , :`` only, or start (after spaces) with
   a closing character or with ``then``/``do`` -- the holes of a condition or an argument list,
   such as ``if (|) {``, ``f(|)[0]`` or ``if | then``.  So ``foo(|)`` is allowed, ``fo|o`` and
   ``f(|x)`` are not.
2. ``SINGLE_LINE`` when the line has non-blank text before the cursor (mid-statement or at the
   end of a non-empty line) or a closing character after it.  Comments and strings are
   completed too, as single lines.
3. On a blank (whitespace-only) line: ``MULTI_LINE`` where a new statement can start -- right
   after a block opener (``{``, ``:`` before a block, ``do``, ``then``, a Ruby/Lua header line,
   an empty body), or after a complete statement inside a block or at top level.  ``SINGLE_LINE``
   inside expressions that span lines (argument lists, literals), block comments and multi-line
   strings.

Without a syntax tree (unknown language, parse timeout, or an ERROR node at the cursor) the
same decision is taken from the previous non-blank line's text.
"""

from __future__ import annotations

import enum
import re

from analyzers.languages import LanguageSpec
from analyzers.parsing import SourceDocument, SyntaxNode
from analyzers.positions import last_non_space

__all__ = ["CompletionKind", "completion_kind"]

_CLOSERS = frozenset(")]}>\"'`;,: \t")
# Text after the cursor that closes the hole the cursor is in: ``) {``, ``)[0]``, `` then``.
_HOLE_BEFORE = re.compile(r"[ \t]*[)\]}>\"'`;,:]|[ \t]+(?:then|do)\b")
_TEXT_OPENERS = ("{", ":", "(", "[", "do", "then", "else", "->", "=>", "begin")
_TEXT_CONTINUATIONS = (",", "(", "[", "=", "+", "-", "*", "/", "%", "&", "|", "\\", ".", "?")
_MAX_STEPS = 64


class CompletionKind(enum.Enum):
    """How much text a completion at a position should produce."""

    NONE = "none"
    SINGLE_LINE = "single_line"
    MULTI_LINE = "multi_line"


def completion_kind(doc: SourceDocument, offset: int) -> CompletionKind:
    """Classify the completion that fits at ``offset``."""
    text = doc.text
    offset = min(max(offset, 0), len(text))
    lines = doc.lines
    line = lines.line_of(offset)
    line_start = lines.line_start(line)
    line_end = lines.line_end(line)
    if offset > line_end:
        offset = line_end
    before = text[line_start:offset]
    after = text[offset:line_end]
    if not _CLOSERS.issuperset(after) and not _HOLE_BEFORE.match(after):
        return CompletionKind.NONE
    if before.strip() or after.strip():
        return CompletionKind.SINGLE_LINE
    previous = _previous_line_text(doc, line_start)
    if previous is not None and previous.endswith("\\"):
        return CompletionKind.SINGLE_LINE
    spec = doc.language
    if spec is None or not doc.has_tree:
        return _from_text(doc, line_start)
    if _inside_comment_or_string(doc, spec, offset):
        return CompletionKind.SINGLE_LINE
    return _from_tree(doc, spec, offset, line_start)


def _inside_comment_or_string(doc: SourceDocument, spec: LanguageSpec, offset: int) -> bool:
    node = doc.node_at(offset, named=False)
    steps = 0
    while node is not None and steps < _MAX_STEPS:
        if node.kind in spec.comment_types or node.kind in spec.string_types:
            return node.start < offset < node.end
        node = node.parent
        steps += 1
    return False


def _previous_line_text(doc: SourceDocument, line_start: int) -> str | None:
    lines = doc.lines
    row = lines.line_of(line_start) - 1
    while row >= 0:
        line_text = lines.line_text(row).strip()
        if line_text:
            return line_text
        row -= 1
    return None


def _from_text(doc: SourceDocument, line_start: int) -> CompletionKind:
    previous = _previous_line_text(doc, line_start)
    if previous is None:
        return CompletionKind.MULTI_LINE
    spec = doc.language
    if spec is not None and spec.line_comment and spec.line_comment in previous:
        code = previous.split(spec.line_comment, 1)[0].rstrip()
        if not code:
            return CompletionKind.MULTI_LINE
        previous = code
    if previous.endswith(_TEXT_OPENERS):
        return CompletionKind.MULTI_LINE
    if previous.endswith(_TEXT_CONTINUATIONS):
        return CompletionKind.SINGLE_LINE
    return CompletionKind.MULTI_LINE


def _previous_token(doc: SourceDocument, spec: LanguageSpec, line_start: int) -> SyntaxNode | None:
    """The last non-comment leaf before ``line_start``."""
    text = doc.text
    pos = last_non_space(text, line_start)
    steps = 0
    while pos > 0 and steps < _MAX_STEPS:
        steps += 1
        leaf = doc.node_spanning(pos - 1, pos, named=False)
        if leaf is None:
            return None
        comment = _comment_ancestor(leaf, spec)
        if comment is None:
            return leaf
        pos = last_non_space(text, comment.start)
    return None


def _comment_ancestor(node: SyntaxNode, spec: LanguageSpec) -> SyntaxNode | None:
    steps = 0
    current: SyntaxNode | None = node
    while current is not None and steps < 4:
        if current.kind in spec.comment_types:
            return current
        current = current.parent
        steps += 1
    return None


def _from_tree(
    doc: SourceDocument, spec: LanguageSpec, offset: int, line_start: int
) -> CompletionKind:
    token = _previous_token(doc, spec, line_start)
    if token is None:
        return CompletionKind.MULTI_LINE
    if any(a.is_error for a in token.ancestors(include_self=True)):
        return _from_text(doc, line_start)
    # Climb while the token is the last piece of the node: a node that ends with the token and
    # sits in a statement container is a complete statement (or the container's opener).
    node = token
    steps = 0
    while steps < _MAX_STEPS:
        steps += 1
        parent = node.parent
        if parent is None:
            return CompletionKind.MULTI_LINE
        if parent.kind in spec.block_types:
            return CompletionKind.MULTI_LINE
        if not parent.ends_with(token) and not parent.is_empty:
            break
        node = parent
    # The token ends ``node`` but not its parent: a header followed by a body (possibly empty).
    sibling = _next_sibling(node, spec)
    if sibling is None:
        return CompletionKind.SINGLE_LINE
    if sibling.kind in spec.closer_keywords:
        return CompletionKind.MULTI_LINE
    if sibling.kind in spec.block_types and (sibling.is_empty or sibling.start >= offset):
        return CompletionKind.MULTI_LINE
    return CompletionKind.SINGLE_LINE


def _next_sibling(node: SyntaxNode, spec: LanguageSpec) -> SyntaxNode | None:
    """The next non-comment sibling, zero-width ones included (tree-sitter skips those)."""
    parent = node.parent
    if parent is None:
        return None
    found = False
    for child in parent.children:
        if found and child.kind not in spec.comment_types:
            return child
        if child == node:
            found = True
    return None
