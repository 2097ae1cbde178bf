"""Incremental tree-sitter documents: the only module that imports ``tree_sitter``.

Owns :class:`SourceDocument` (text, line index, utf-8 byte <-> code-point mapping, incremental
reparse with a time bound), the :class:`SyntaxNode` wrapper that exposes nodes with code-point
offsets, and query loading (``analyzers/queries/<query_name>.<purpose>.scm``, compiled once per
language and purpose).

Rules the rest of the analyzers rely on:

* every offset in this API is a code-point offset into ``SourceDocument.text``;
* the tree is reparsed lazily, by the first call that needs it after a change;
* a parse that exceeds ``parse_timeout`` seconds is abandoned and the document keeps no tree
  (analysis falls back to text only) -- nothing here raises on hostile input, and every walk is
  iterative;
* after a timeout a fresh parse is retried after 1, 2, 4, ... (at most 64) further edits, or at
  once when the whole text is replaced;
* with a ``reparse_budget`` (the language server's documents: :data:`DEFAULT_REPARSE_BUDGET`)
  the first call that needs the tree after a change parses for at most that long. An edit that
  changes how the rest of the file parses (an unclosed bracket or quote: tree-sitter re-reads
  everything after it, 50-190 ms in a 10,000-line file) is cut there, and until the reparse is
  finished the document serves a *stale* tree: the previous tree with every edit since applied
  (``tree.edit``), so nodes away from the changed text keep their exact offsets and kinds.
  Changed text is tracked as one byte range; a node that covers part of it itself (a token, or
  a node whose own gap between children holds it) reads as an ERROR node (``kind``,
  ``is_error``; ``has_error`` is true for every node that touches it), and query matches that
  capture such a token are dropped, so no token is read as something its text no longer is.
  One attempt per change: later calls at the same version get the stale tree at once;
* a cut reparse is resumable (tree-sitter continues where it stopped while the text and tree are
  unchanged): :meth:`SourceDocument.finish_parse` continues it in slices (the server does so
  once the user pauses), the next change tries again within the budget (closing the bracket
  usually makes the reparse cheap again), and the whole-text verdicts (``has_syntax_errors``,
  ``error_count``, ``error_count_after_insertion``, ``sexp``, ``node_spans``) finish it first,
  up to ``parse_timeout`` in all; past that it is abandoned like any other parse. When a
  reparse completes after the stale state was read, ``memo`` values and ``scratch`` are dropped
  (they may hold what the stale tree said);
* whole-tree queries return nothing for trees whose root holds an ERROR node with thousands of
  children (what hostile nesting parses into): tree-sitter's query engine is quadratic there,
  and py-tree-sitter 0.26.1's query progress callback crashes, so queries cannot be timed out;
* the read callback returns ``bytes`` (a ``memoryview`` makes py-tree-sitter 0.26.1 crash when a
  query predicate reads node text), and nothing here calls ``Node.text``;
* :class:`SyntaxNode` objects are valid until the next :meth:`SourceDocument.apply_change`
  (or until a stale tree is replaced).
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TypeVar, cast

import tree_sitter as ts
import tree_sitter_language_pack as tslp

from analyzers.languages import LanguageSpec
from analyzers.positions import LineIndex, byte_line_starts, edit_byte_starts

__all__ = [
    "DEFAULT_PARSE_TIMEOUT",
    "DEFAULT_REPARSE_BUDGET",
    "QueryMatch",
    "SourceDocument",
    "SyntaxNode",
    "TextEdit",
    "grammar_has_node_type",
    "query_source",
]

DEFAULT_PARSE_TIMEOUT = 1.0
"""Seconds a single parse may take before it is abandoned."""

DEFAULT_REPARSE_BUDGET = 0.02
"""Seconds the first reparse after a change may take in the language server (per keystroke)."""

_CHUNK = 1 << 14
_EDIT_LOG_LIMIT = 64
_MAX_RETRY_GAP = 64
_WIDE_ERROR = 2048
_WIDE_SCAN_LIMIT = 20_000
_LONE_CR_RE = re.compile(r"\r(?!\n)")

T = TypeVar("T")


@cache
def _language(grammar: str) -> ts.Language:
    return tslp.get_language(cast("tslp.SupportedLanguage", grammar))


def query_source(query_name: str, purpose: str) -> str | None:
    """Text of ``queries/<query_name>.<purpose>.scm``, or None if there is no such file."""
    resource = resources.files("analyzers").joinpath(f"queries/{query_name}.{purpose}.scm")
    try:
        return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None


@cache
def _query(grammar: str, query_name: str, purpose: str) -> ts.Query | None:
    source = query_source(query_name, purpose)
    if source is None:
        return None
    query: ts.Query = ts.Query(_language(grammar), source)
    return query


def grammar_has_node_type(grammar: str, kind: str) -> bool:
    """Whether the grammar defines a named node type ``kind``."""
    return _language(grammar).id_for_node_kind(kind, True) is not None


def _utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _lone_cr_in(text: str, lo: int, hi: int) -> bool:
    """Whether ``text[lo:hi]`` holds a ``\\r`` not followed by ``\\n``."""
    segment = text[lo : hi + 1]
    return any(m.start() < hi - lo for m in _LONE_CR_RE.finditer(segment))


@dataclass(frozen=True)
class TextEdit:
    """One applied change: ``[start, old_end)`` of the old text became ``[start, new_end)``."""

    version: int
    start: int
    old_end: int
    new_end: int


class SyntaxNode:
    """A syntax node with code-point offsets; valid until the document changes."""

    __slots__ = ("_doc", "_node")

    def __init__(self, doc: SourceDocument, node: ts.Node) -> None:
        self._doc = doc
        self._node = node

    def __repr__(self) -> str:
        return f"SyntaxNode({self.kind!r}, {self.start}, {self.end})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SyntaxNode) and self._node == other._node

    def __hash__(self) -> int:
        return hash(self._node)

    @property
    def kind(self) -> str:
        """Grammar node type, e.g. ``"function_definition"`` or ``"{"``.

        ``"ERROR"`` for a node of a stale tree that covers changed text itself (module docs).
        """
        if self._doc._dirty is not None and self._doc._reads_as_error(self._node):
            return "ERROR"
        return self._node.type

    @property
    def is_named(self) -> bool:
        """Whether this is a named node (not anonymous punctuation/keyword)."""
        if self._doc._dirty is not None and self._doc._reads_as_error(self._node):
            return True
        return self._node.is_named

    @property
    def is_error(self) -> bool:
        """Whether this is an ERROR node (or reads as one: see :attr:`kind`)."""
        if self._doc._dirty is not None and self._doc._reads_as_error(self._node):
            return True
        return self._node.is_error

    @property
    def is_missing(self) -> bool:
        """Whether the parser inserted this node to recover from an error."""
        return self._node.is_missing

    @property
    def has_error(self) -> bool:
        """Whether this node or a descendant is an ERROR or MISSING node.

        In a stale tree, also whether the node touches text changed since it was parsed.
        """
        if self._doc._dirty is not None and self._doc._touches_dirty(self._node):
            return True
        return self._node.has_error

    @property
    def start(self) -> int:
        """Code-point offset of the node's first character."""
        return self._doc._to_offset(self._node.start_byte)

    @property
    def end(self) -> int:
        """Code-point offset just past the node's last character."""
        return self._doc._to_offset(self._node.end_byte)

    @property
    def is_empty(self) -> bool:
        """Whether the node spans no text."""
        return self._node.start_byte == self._node.end_byte

    @property
    def text(self) -> str:
        """The node's source text."""
        return self._doc.text[self.start : self.end]

    @property
    def parent(self) -> SyntaxNode | None:
        """The parent node, or None at the root."""
        parent = self._node.parent
        return None if parent is None else SyntaxNode(self._doc, parent)

    @property
    def children(self) -> list[SyntaxNode]:
        """All children, named and anonymous."""
        return [SyntaxNode(self._doc, c) for c in self._node.children]

    @property
    def named_children(self) -> list[SyntaxNode]:
        """Named children only."""
        return [SyntaxNode(self._doc, c) for c in self._node.named_children]

    @property
    def child_count(self) -> int:
        """Number of children."""
        return self._node.child_count

    def child_by_field(self, name: str) -> SyntaxNode | None:
        """The child stored under field ``name``."""
        child = self._node.child_by_field_name(name)
        return None if child is None else SyntaxNode(self._doc, child)

    @property
    def next_sibling(self) -> SyntaxNode | None:
        """The next sibling (named or not)."""
        sib = self._node.next_sibling
        return None if sib is None else SyntaxNode(self._doc, sib)

    @property
    def prev_sibling(self) -> SyntaxNode | None:
        """The previous sibling (named or not)."""
        sib = self._node.prev_sibling
        return None if sib is None else SyntaxNode(self._doc, sib)

    @property
    def next_named_sibling(self) -> SyntaxNode | None:
        """The next named sibling."""
        sib = self._node.next_named_sibling
        return None if sib is None else SyntaxNode(self._doc, sib)

    @property
    def prev_named_sibling(self) -> SyntaxNode | None:
        """The previous named sibling."""
        sib = self._node.prev_named_sibling
        return None if sib is None else SyntaxNode(self._doc, sib)

    def ancestors(self, *, include_self: bool = False) -> Iterator[SyntaxNode]:
        """Ancestors from the parent (or this node) up to the root.

        tree-sitter finds a node's parent by descending from the root, so walking up with
        ``parent`` costs O(depth) per step -- quadratic on hostile nesting (10,000 brackets:
        seconds). The chain is built in one descent from the root instead.
        """
        if include_self:
            yield self
        for node in reversed(self._doc._ancestor_chain(self._node)):
            yield SyntaxNode(self._doc, node)

    def ends_with(self, other: SyntaxNode) -> bool:
        """Whether this node ends where ``other`` ends."""
        return self._node.end_byte == other._node.end_byte

    def sexp(self) -> str:
        """The node's S-expression (recursive in C: only for moderately deep trees)."""
        return str(self._node)


@dataclass(frozen=True)
class QueryMatch:
    """One match of a query pattern: captures by name (names starting with ``_`` dropped)."""

    pattern: int
    captures: dict[str, list[SyntaxNode]] = field(default_factory=dict)

    def first(self, name: str) -> SyntaxNode | None:
        """The first node captured under ``name``."""
        nodes = self.captures.get(name)
        return nodes[0] if nodes else None


class SourceDocument:
    """A document's text with an incrementally maintained syntax tree."""

    def __init__(
        self,
        text: str,
        language: LanguageSpec | None,
        *,
        parse_timeout: float = DEFAULT_PARSE_TIMEOUT,
        reparse_budget: float | None = None,
    ) -> None:
        self.language = language
        self.parse_timeout = parse_timeout
        self.reparse_budget = reparse_budget
        """Seconds the first reparse after a change may take before a stale tree is served
        (None: every reparse runs to the end, up to ``parse_timeout``)."""
        self.scratch: dict[str, object] = {}
        """Per-document state other analyzers keep across versions (keyed by module); cleared
        when a reparse completes after the stale state was read."""
        self._version = 0
        self._memo: dict[str, object] = {}
        self._edits: list[TextEdit] = []
        self._edits_floor = 0
        self._parser: ts.Parser | None = None
        self._tree: ts.Tree | None = None
        self._stale = False
        """A reparse is owed: ``_tree`` (edited, or None) does not reflect the text."""
        self._dirty: tuple[int, int] | None = None
        """While ``_tree`` is stale: the byte range (current offsets) changed since its parse."""
        self._masks: dict[ts.Node, bool] = {}
        self._attempted = -1
        """The version whose budgeted reparse was tried (and cut)."""
        self._outstanding = False
        """The parser holds a cut parse of the current text and tree (resumable)."""
        self._spent = 0.0
        self._read_stale = False
        self._refreshes = 0
        self._failures = 0
        self._retry_in = 0
        self._set_text(text)
        if language is not None:
            self._parser = ts.Parser(_language(language.grammar))
            self._stale = True
            self._reparse(None)

    # ----------------------------------------------------------------- text state

    def _set_text(self, text: str) -> None:
        self._text = text
        self._lines = LineIndex(text)
        self._bytes = text.encode("utf-8", "surrogatepass")
        self._ascii = text.isascii()
        self._byte_starts: list[int] | None = None if self._ascii else byte_line_starts(self._bytes)
        self._lone_cr = "\r" in text and _LONE_CR_RE.search(text) is not None

    @property
    def text(self) -> str:
        """The current text."""
        return self._text

    @property
    def lines(self) -> LineIndex:
        """Line index of the current text."""
        return self._lines

    @property
    def version(self) -> int:
        """Incremented by every change."""
        return self._version

    @property
    def line_ending(self) -> str:
        """The document's line ending (that of its first line break; ``\\n`` if it has none)."""
        text = self._text
        i = text.find("\n")
        j = text.find("\r", 0, i if i >= 0 else len(text))
        if j >= 0:
            return "\r\n" if text.startswith("\r\n", j) else "\r"
        return "\n"

    # ------------------------------------------------------------- byte mapping

    def byte_offset(self, offset: int) -> int:
        """UTF-8 byte offset of a code-point offset (clamped)."""
        return self._to_byte(offset)

    def offset_of_byte(self, byte: int) -> int:
        """Code-point offset of a UTF-8 byte offset (clamped; inside a character rounds down)."""
        return self._to_offset(byte)

    def _to_byte(self, offset: int) -> int:
        if offset <= 0:
            return 0
        text = self._text
        if offset >= len(text):
            return len(self._bytes)
        if self._byte_starts is None:
            return offset
        line = bisect_right(self._lines.starts, offset) - 1
        start = self._lines.starts[line]
        return self._byte_starts[line] + _utf8_len(text[start:offset])

    def _to_offset(self, byte: int) -> int:
        if byte <= 0:
            return 0
        if byte >= len(self._bytes):
            return len(self._text)
        if self._byte_starts is None:
            return byte
        line = bisect_right(self._byte_starts, byte) - 1
        chunk = self._bytes[self._byte_starts[line] : byte]
        try:
            count = len(chunk.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:
            count = len(chunk.decode("utf-8", "ignore"))
        return self._lines.starts[line] + count

    def _ts_point(self, offset: int, byte: int) -> tuple[int, int]:
        """tree-sitter point (row by ``\\n`` only, byte column) of a position."""
        if self._lone_cr:
            data = self._bytes
            return (data.count(b"\n", 0, byte), byte - (data.rfind(b"\n", 0, byte) + 1))
        line = self._lines.line_of(offset)
        starts = self._lines.starts if self._byte_starts is None else self._byte_starts
        return (line, byte - starts[line])

    # ------------------------------------------------------------------ editing

    def apply_change(self, start: int | None, end: int | None, new_text: str) -> None:
        """Replace ``[start, end)`` (clamped) with ``new_text``; all of it when start is None."""
        self._version += 1
        self._memo = {}
        if self._outstanding:
            self._abandon_outstanding()
        if start is None:
            self._set_text(new_text)
            self._edits = []
            self._edits_floor = self._version
            if self._parser is not None:
                self._tree = None
                self._dirty = None
                self._stale = True
                self._reparse(None)
            return
        old_text = self._text
        length = len(old_text)
        start = min(max(start, 0), length)
        end = start if end is None else min(max(end, start), length)
        sb = self._to_byte(start)
        eb = self._to_byte(end)
        start_point = self._ts_point(start, sb)
        old_end_point = self._ts_point(end, eb)
        inserted = new_text.encode("utf-8", "surrogatepass")
        new_end = start + len(new_text)
        new_eb = sb + len(inserted)

        text = old_text[:start] + new_text + old_text[end:]
        data = self._bytes[:sb] + inserted + self._bytes[eb:]
        self._lines = self._lines.edited(text, start, end, new_end)
        was_ascii = self._ascii
        self._ascii = text.isascii()
        if self._ascii:
            self._byte_starts = None
        elif was_ascii or self._byte_starts is None:
            self._byte_starts = byte_line_starts(data)
        else:
            self._byte_starts = edit_byte_starts(self._byte_starts, data, sb, eb, new_eb)
        if self._lone_cr:
            self._lone_cr = _LONE_CR_RE.search(text) is not None
        elif "\r" in new_text or "\r" in old_text[max(start - 1, 0) : end + 1]:
            self._lone_cr = _lone_cr_in(text, max(start - 1, 0), new_end + 1)
        self._text = text
        self._bytes = data

        self._edits.append(TextEdit(self._version, start, end, new_end))
        if len(self._edits) > _EDIT_LOG_LIMIT:
            dropped = self._edits.pop(0)
            self._edits_floor = dropped.version

        if self._parser is None:
            return
        if self._tree is not None:
            new_end_point = self._ts_point(new_end, new_eb)
            self._tree.edit(sb, eb, new_eb, start_point, old_end_point, new_end_point)
            self._dirty = _grow_range(self._dirty, sb, eb, new_eb)
            self._masks = {}
            self._stale = True
        else:
            self._retry_in -= 1
            if self._retry_in <= 0:
                self._stale = True

    def edits_since(self, version: int) -> list[TextEdit] | None:
        """Edits applied after ``version``, or None when they are no longer known."""
        if version < self._edits_floor:
            return None
        return [e for e in self._edits if e.version > version]

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` memoised under ``key`` until the next change."""
        if key in self._memo:
            return cast(T, self._memo[key])
        refreshes = self._refreshes
        value = compute()
        if refreshes == self._refreshes:  # not computed partly from a stale tree since dropped
            self._memo[key] = value
        return value

    # ------------------------------------------------------------------ parsing

    def _parse(
        self,
        old_tree: ts.Tree | None,
        timeout: float,
        data: bytes | None = None,
        *,
        resume: bool = False,
    ) -> ts.Tree | None:
        """One parse call of at most ``timeout`` seconds; None when cut (the parser keeps it).

        ``resume`` continues the parser's outstanding (cut) parse; any other call drops it.
        """
        parser = self._parser
        if parser is None:
            return None
        if self._outstanding and not resume:
            self._abandon_outstanding()
        source = self._bytes if data is None else data

        # Plain bytes, not a memoryview: see the module docstring (py-tree-sitter#435).
        def read(offset: int, _point: ts.Point) -> bytes:
            return source[offset : offset + _CHUNK]

        deadline = time.monotonic() + timeout

        def progress(_offset: int, _has_error: bool) -> bool:
            return time.monotonic() >= deadline

        try:
            if old_tree is None:
                return parser.parse(read, progress_callback=progress)
            return parser.parse(read, old_tree, progress_callback=progress)
        except ValueError:  # py-tree-sitter's "Parsing failed": cut by the progress callback
            return None

    def _abandon_outstanding(self) -> None:
        if self._parser is not None:
            self._parser.reset()
        self._outstanding = False
        self._spent = 0.0

    def _reparse(self, budget: float | None) -> None:
        """Parse the text (from the edited tree) for at most ``budget`` s (None: to the end).

        A parse cut by the budget stays outstanding (resumable, the tree stays stale); one that
        has taken ``parse_timeout`` in all is abandoned and the document keeps no tree.
        """
        if not self._outstanding:
            self._spent = 0.0
        remaining = self.parse_timeout - self._spent
        limit = remaining if budget is None else min(budget, remaining)
        started = time.monotonic()
        tree = self._parse(self._tree, limit, resume=self._outstanding)
        self._spent += time.monotonic() - started
        if tree is None and budget is not None and self._spent < self.parse_timeout:
            self._outstanding = True
            return
        self._outstanding = False
        self._spent = 0.0
        if tree is None:
            if self._parser is not None:
                self._parser.reset()
            self._failures += 1
            self._retry_in = min(2 ** (self._failures - 1), _MAX_RETRY_GAP)
        else:
            self._failures = 0
        self._tree = tree
        self._stale = False
        self._dirty = None
        self._masks = {}
        if self._read_stale:
            # What was derived from the stale tree (or from no tree) is not worth keeping.
            self._read_stale = False
            self._refreshes += 1
            self._memo = {}
            self.scratch.clear()

    def _current_tree(self) -> ts.Tree | None:
        """The tree for analysis: reparsed first (within the budget once per version)."""
        if self._stale:
            if self.reparse_budget is None:
                self._reparse(None)
            elif self._attempted != self._version:
                self._attempted = self._version
                self._reparse(self.reparse_budget)
            if self._stale:
                self._read_stale = True
        return self._tree

    def _complete_tree(self) -> ts.Tree | None:
        """The tree of the current text, reparsed to the end if need be (whole-text verdicts)."""
        if self._stale:
            self._reparse(None)
        return self._tree

    @property
    def reparse_pending(self) -> bool:
        """Whether the tree does not reflect the text yet (a reparse is owed, or was cut)."""
        return self._stale

    def finish_parse(self, budget: float | None = None) -> bool:
        """Continue an owed reparse for up to ``budget`` seconds (None: to the end).

        True once the tree reflects the text -- or the parse was abandoned at ``parse_timeout``
        (the document then keeps no tree, as after any timeout).
        """
        if self._stale:
            self._reparse(budget)
        return not self._stale

    def _touches_dirty(self, node: ts.Node) -> bool:
        dirty = self._dirty
        return dirty is not None and node.start_byte <= dirty[1] and node.end_byte >= dirty[0]

    def _reads_as_error(self, node: ts.Node) -> bool:
        """Whether a node of the stale tree covers changed text itself (not only via a child)."""
        dirty = self._dirty
        if dirty is None or not (node.start_byte <= dirty[1] and node.end_byte >= dirty[0]):
            return False
        masked = self._masks.get(node)
        if masked is None:
            masked = not _child_touches(node, dirty[0], dirty[1])
            self._masks[node] = masked
        return masked

    @property
    def has_tree(self) -> bool:
        """Whether a syntax tree is available (a known language and no parse timeout)."""
        return self._current_tree() is not None

    @property
    def has_syntax_errors(self) -> bool:
        """Whether the tree contains ERROR or MISSING nodes (False without a tree).

        Judged on the tree of the current text: an owed reparse is finished first.
        """
        tree = self._complete_tree()
        return tree is not None and tree.root_node.has_error

    def error_count(self) -> int:
        """Number of ERROR and MISSING nodes (ERROR subtrees count once); 0 without a tree.

        Judged on the tree of the current text: an owed reparse is finished first.
        """
        tree = self._complete_tree()
        if tree is None:
            return 0
        return self.memo("parsing.error_count", lambda: _count_errors(tree.root_node))

    def error_count_after_insertion(self, offset: int, inserted: str) -> int | None:
        """Error count of the text with ``inserted`` at ``offset`` (None without a tree).

        Parses a copy incrementally; the document itself is not changed (an owed reparse of it
        is finished first).
        """
        tree = self._complete_tree()
        if tree is None:
            return None
        offset = min(max(offset, 0), len(self._text))
        sb = self._to_byte(offset)
        data = inserted.encode("utf-8", "surrogatepass")
        new_data = self._bytes[:sb] + data + self._bytes[sb:]
        row, column = self._ts_point(offset, sb)
        breaks = data.count(b"\n")
        if breaks:
            end_point = (row + breaks, len(data) - data.rfind(b"\n") - 1)
        else:
            end_point = (row, column + len(data))
        copy = tree.copy()
        copy.edit(sb, sb, sb + len(data), (row, column), (row, column), end_point)
        new_tree = self._parse(copy, self.parse_timeout, new_data)
        if new_tree is None:
            if self._parser is not None:
                self._parser.reset()
            return None
        return _count_errors(new_tree.root_node)

    # ---------------------------------------------------------------- node API

    def _ancestor_chain(self, target: ts.Node) -> list[ts.Node]:
        """The ancestors of ``target``, root first, found in one descent (O(depth))."""
        tree = self._tree
        chain: list[ts.Node] = []
        node: ts.Node | None = None if tree is None else tree.root_node
        while node is not None and node != target:
            chain.append(node)
            node = node.child_with_descendant(target)
        if node is None:  # not in the current tree: fall back to walking up
            chain = []
            parent = target.parent
            while parent is not None:
                chain.append(parent)
                parent = parent.parent
            chain.reverse()
        return chain

    @property
    def root(self) -> SyntaxNode | None:
        """Root node, or None without a tree."""
        tree = self._current_tree()
        return None if tree is None else SyntaxNode(self, tree.root_node)

    def node_at(self, offset: int, *, named: bool = True) -> SyntaxNode | None:
        """Smallest (named) node spanning the position ``offset``."""
        return self.node_spanning(offset, offset, named=named)

    def node_spanning(self, start: int, end: int, *, named: bool = True) -> SyntaxNode | None:
        """Smallest (named) node spanning ``[start, end]``."""
        tree = self._current_tree()
        if tree is None:
            return None
        sb = self._to_byte(start)
        eb = self._to_byte(max(start, end))
        root = tree.root_node
        if named:
            node = root.named_descendant_for_byte_range(sb, eb)
        else:
            node = root.descendant_for_byte_range(sb, eb)
        return None if node is None else SyntaxNode(self, node)

    def has_query(self, purpose: str) -> bool:
        """Whether the language ships a ``<purpose>`` query."""
        spec = self.language
        return spec is not None and _query(spec.grammar, spec.query_name, purpose) is not None

    def query(
        self,
        purpose: str,
        node: SyntaxNode | None = None,
        *,
        max_start_depth: int | None = None,
        within: tuple[int, int] | None = None,
    ) -> list[QueryMatch]:
        """Matches of the language's ``<purpose>`` query within ``node`` (default: the root).

        ``max_start_depth=0`` only matches patterns rooted at ``node`` itself; ``within``
        (code-point offsets) keeps only matches whose nodes intersect that range.
        """
        spec = self.language
        tree = self._current_tree()
        if spec is None or tree is None:
            return []
        query = _query(spec.grammar, spec.query_name, purpose)
        if query is None:
            return []
        if node is None and self.memo("parsing.wide_error", lambda: _has_wide_error(tree)):
            return []
        cursor = ts.QueryCursor(query)
        if max_start_depth is not None:
            cursor.set_max_start_depth(max_start_depth)
        if within is not None:
            cursor.set_byte_range(self._to_byte(within[0]), self._to_byte(within[1]))
        target = tree.root_node if node is None else node._node
        result = []
        for pattern, captures in cursor.matches(target):
            if self._dirty is not None and self._captures_changed_token(captures):
                continue
            wrapped = {
                name: [SyntaxNode(self, n) for n in nodes]
                for name, nodes in captures.items()
                if not name.startswith("_")
            }
            result.append(QueryMatch(pattern, wrapped))
        return result

    def _captures_changed_token(self, captures: dict[str, list[ts.Node]]) -> bool:
        return any(
            n.child_count == 0 and self._reads_as_error(n)
            for nodes in captures.values()
            for n in nodes
        )

    def sexp(self) -> str | None:
        """S-expression of the whole tree of the current text (None without a tree)."""
        tree = self._complete_tree()
        return None if tree is None else str(tree.root_node)

    def node_spans(self) -> list[tuple[str, int, int]]:
        """Every node as (kind, start byte, end byte) in pre-order (for tests and debugging).

        Of the tree of the current text, like :meth:`sexp`.
        """
        tree = self._complete_tree()
        if tree is None:
            return []
        out: list[tuple[str, int, int]] = []
        cursor = tree.walk()
        while True:
            node = cursor.node
            if node is not None:
                out.append((node.type, node.start_byte, node.end_byte))
            if cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return out


def _grow_range(dirty: tuple[int, int] | None, sb: int, eb: int, new_eb: int) -> tuple[int, int]:
    """The changed byte range after bytes ``[sb, eb)`` became ``[sb, new_eb)`` (one hull)."""
    if dirty is None:
        return (sb, new_eb)
    delta = new_eb - eb

    def moved(byte: int, inside: int) -> int:
        if byte <= sb:
            return byte
        return byte + delta if byte >= eb else inside

    return (min(moved(dirty[0], sb), sb), max(moved(dirty[1], new_eb), new_eb))


def _child_touches(node: ts.Node, lo: int, hi: int) -> bool:
    """Whether a child of ``node`` touches bytes ``[lo, hi]`` (ends at ``lo`` or later and
    starts at ``hi`` or earlier).

    A binary search over ``child(i)``: ``Node.first_child_for_byte`` would do, but
    py-tree-sitter 0.26.1 crashes when no child ends after the byte.
    """
    low, high = 0, node.child_count
    while low < high:
        mid = (low + high) // 2
        child = node.child(mid)
        if child is not None and child.end_byte < lo:
            low = mid + 1
        else:
            high = mid
    if low == node.child_count:
        return False
    child = node.child(low)
    return child is not None and child.start_byte <= hi


def _has_wide_error(tree: ts.Tree) -> bool:
    """Whether the root, or a child of it, is an ERROR node with very many children.

    Hostile input (100k unclosed brackets) parses into such a node, and tree-sitter's query
    engine is quadratic in its width; whole-tree queries are skipped for these trees.
    """
    root = tree.root_node
    if not root.has_error:
        return False
    if root.is_error:
        return root.child_count > _WIDE_ERROR
    cursor = root.walk()
    if not cursor.goto_first_child():
        return False
    for _ in range(_WIDE_SCAN_LIMIT):
        node = cursor.node
        if node is not None and node.is_error and node.child_count > _WIDE_ERROR:
            return True
        if not cursor.goto_next_sibling():
            return False
    return False


def _count_errors(root: ts.Node) -> int:
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            continue
        if node.has_error:
            stack.extend(node.children)
    return count
