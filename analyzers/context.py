"""Context window v1: what the model sees around the cursor, under a token budget.

Owns :class:`ContextWindow`, :func:`build_context` and the :func:`estimate_tokens` heuristic.

Layout, stable parts first so consecutive keystrokes share the longest prompt prefix (the model
server reuses its KV cache for that shared prefix):

0. ``related`` -- context from other files, chosen by the caller (definitions of imported symbols,
   similar snippets from open files), each block under a path comment, most relevant last so it
   sits nearest the code; blocks are dropped from the front until they fit ``related_share`` of
   the budget, and the space they take is rounded up to a quantum so small changes in them do not
   move the prefix start;
1. ``header`` -- a path comment in the language's syntax (``# path: src/app.py``), the file's
   imports that lie before the near prefix, then the header lines of the enclosing scopes that
   start before the near prefix (outermost first, with their indentation);
2. ``prefix`` -- whole lines from a start line up to exactly the cursor;
3. ``suffix`` -- from exactly the cursor to the end of its line plus whole following lines.

Budget: the header may use at most a third of the budget (imports are dropped first, then outer
scopes, then the path line), and a tenth of the budget is always set aside for scope headers; the
suffix gets ``suffix_share`` of what remains and the prefix the rest, plus the suffix's unused
share rounded down to a coarse quantum.

Stability: the prefix's start line is snapped to a grid and is the earliest grid line that fits,
so it moves only when the text typed since the last move overflows the budget, not on every
keystroke.  The grid is 32 lines for budgets of 1024 tokens and more, and shrinks with smaller
budgets (``budget / 32`` lines, a power of two); when even the cursor's own grid cell does not
fit, a grid a quarter that size is tried, then single lines.  The price is up to one grid cell
of unused budget.  The header depends only on the imports, the enclosing scopes and the prefix
start, which do not change while typing inside one scope; the header is budgeted only for parts
before the cursor's grid cell, so scopes that appear and disappear inside the cell while typing
do not move the prefix.  On a blank line of an indentation-scoped language the scopes are those
of the code above the cursor, whatever the indentation typed so far.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analyzers.languages import LanguageSpec
from analyzers.parsing import SourceDocument
from analyzers.positions import last_non_space
from analyzers.structure import enclosing_scopes, import_spans

__all__ = ["ContextWindow", "RelatedBlock", "build_context", "estimate_tokens"]

_GRIDS = (32, 16, 8, 4, 2)
_TOKENS_PER_GRID_LINE = 32
_HEADER_SHARE = 3
_SCOPE_RESERVE_SHARE = 10
_MIN_QUANTUM = 16
_RELATED_QUANTUM = 64

_PLAIN_COMMENTS: dict[str, tuple[str, str]] = {
    ".md": ("<!--", " -->"),
    ".markdown": ("<!--", " -->"),
    ".html": ("<!--", " -->"),
    ".htm": ("<!--", " -->"),
    ".xml": ("<!--", " -->"),
    ".vue": ("<!--", " -->"),
    ".svelte": ("<!--", " -->"),
    ".yaml": ("#", ""),
    ".yml": ("#", ""),
    ".toml": ("#", ""),
    ".cfg": ("#", ""),
    ".conf": ("#", ""),
    ".ini": (";", ""),
    ".r": ("#", ""),
    ".pl": ("#", ""),
    ".pm": ("#", ""),
    ".ex": ("#", ""),
    ".exs": ("#", ""),
    ".sql": ("--", ""),
    ".hs": ("--", ""),
    ".kt": ("//", ""),
    ".kts": ("//", ""),
    ".swift": ("//", ""),
    ".scala": ("//", ""),
    ".dart": ("//", ""),
    ".zig": ("//", ""),
    ".css": ("/*", " */"),
    ".scss": ("//", ""),
    "makefile": ("#", ""),
    "dockerfile": ("#", ""),
}


def estimate_tokens(text: str) -> int:
    """Estimate BPE tokens: one per 3.2 characters, plus one per extra 2 UTF-8 bytes (CJK, emoji).

    Code tokenizers average 3-4 characters per token on ASCII code; non-ASCII characters cost
    roughly a token each or more.  Always an upper-leaning estimate; O(1) for ASCII text.
    """
    n = len(text)
    estimate = (n * 10 + 31) // 32
    if text.isascii():
        return estimate
    extra = len(text.encode("utf-8", "surrogatepass")) - n
    return estimate + (extra + 1) // 2


@dataclass(frozen=True)
class RelatedBlock:
    """Code from another file to show the model: ``text`` under a path comment."""

    path: str
    text: str
    kind: str = "definition"
    """``definition`` (of an imported symbol) or ``snippet`` (similar code)."""


@dataclass(frozen=True)
class ContextWindow:
    """Prompt pieces around a cursor; ``prompt_prefix`` ends exactly at the cursor."""

    header: str
    prefix: str
    suffix: str
    cursor_line_prefix: str
    prefix_start: int = 0
    """Offset in the document where ``prefix`` starts."""
    suffix_end: int = 0
    """Offset in the document where ``suffix`` ends."""
    related: str = ""
    """Rendered blocks from other files, placed before the header."""
    related_blocks: tuple[RelatedBlock, ...] = ()
    """The blocks that fit, in prompt order."""

    @property
    def prompt_prefix(self) -> str:
        """Related blocks, header, then the near prefix."""
        return self.related + self.header + self.prefix


@dataclass(frozen=True)
class _Part:
    kind: str
    start: int
    text: str


def _path_line(language: LanguageSpec | None, path: str | None) -> str | None:
    marker = _comment_marker(language, path)
    if not path or marker is None:
        return None
    return f"{marker[0]} path: {path}{marker[1]}"


def _comment_marker(language: LanguageSpec | None, path: str | None) -> tuple[str, str] | None:
    if language is not None:
        return language.line_comment, ""
    if not path:
        return None
    base = os.path.basename(path.replace("\\", "/")).lower()
    return _PLAIN_COMMENTS.get(os.path.splitext(base)[1]) or _PLAIN_COMMENTS.get(base)


def _render_related(blocks: list[RelatedBlock], marker: tuple[str, str]) -> str:
    out: list[str] = []
    for block in blocks:
        out.append(f"{marker[0]} path: {block.path}{marker[1]}")
        out.append(block.text.rstrip("\n"))
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _fit_related(
    blocks: Sequence[RelatedBlock],
    marker: tuple[str, str] | None,
    cap: int,
    count: Callable[[str], int],
) -> tuple[list[RelatedBlock], str, int]:
    """Blocks (most relevant first) that fit ``cap``, in prompt order, rendered, and their cost."""
    if marker is None or cap <= 0 or not blocks:
        return [], "", 0
    kept: list[RelatedBlock] = []
    used = 0
    for block in blocks:
        cost = count(_render_related([block], marker))
        if used + cost <= cap:
            kept.append(block)
            used += cost
    kept.reverse()
    rendered = _render_related(kept, marker)
    used = count(rendered)
    while kept and used > cap:
        kept.pop(0)
        rendered = _render_related(kept, marker)
        used = count(rendered)
    return kept, rendered, used


def _render_header(parts: list[_Part]) -> str:
    if not parts:
        return ""
    out: list[str] = []
    previous = ""
    for part in parts:
        if part.kind == "scope" and previous in ("path", "import"):
            out.append("")
        out.append(part.text)
        previous = part.kind
    return "\n".join(out) + "\n"


def _fit_header(parts: list[_Part], cap: int, count: Callable[[str], int]) -> list[_Part]:
    """Drop header parts until the header fits ``cap`` tokens."""
    parts = list(parts)
    # Cheap pass on per-part costs (one extra token per line break), then exact checks.
    costs = {id(p): count(p.text) + 1 for p in parts}
    total = sum(costs.values()) + 1
    while parts and total > cap:
        victim = _pick_victim(parts)
        parts.remove(victim)
        total -= costs[id(victim)]
    while parts and count(_render_header(parts)) > cap:
        parts.remove(_pick_victim(parts))
    return parts


def _pick_victim(parts: list[_Part]) -> _Part:
    imports = [p for p in parts if p.kind == "import"]
    if imports:
        return imports[-1]
    scopes = [p for p in parts if p.kind == "scope"]
    if len(scopes) > 1:
        return scopes[0]
    paths = [p for p in parts if p.kind == "path"]
    if paths:
        return paths[0]
    return parts[0]


def _truncate_left(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The longest suffix of ``text`` that fits ``budget`` tokens."""
    if budget <= 0:
        return ""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi) // 2
        if count(text[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return text[lo:]


def _truncate_right(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The longest prefix of ``text`` that fits ``budget`` tokens."""
    if budget <= 0:
        return ""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def _take_suffix(
    doc: SourceDocument, offset: int, budget: int, count: Callable[[str], int]
) -> tuple[int, int]:
    """End offset and token count of the suffix starting at ``offset``."""
    text = doc.text
    lines = doc.lines
    line = lines.line_of(offset)
    rest_end = lines.line_end(line)
    used = count(text[offset:rest_end])
    if used > budget:
        cut = _truncate_right(text[offset:rest_end], budget, count)
        return offset + len(cut), count(cut)
    end = rest_end
    row = line + 1
    last = lines.line_count
    while row < last:
        piece_end = lines.line_end(row)
        cost = count(text[end:piece_end])
        if used + cost > budget:
            break
        used += cost
        end = piece_end
        row += 1
    return end, used


def _grids(budget: int) -> tuple[int, ...]:
    """Grid sizes (in lines) for the prefix start, coarsest first; depends on the budget only."""
    top = next((g for g in _GRIDS if g * _TOKENS_PER_GRID_LINE <= budget), 1)
    return tuple(sorted({top, max(top // 4, 1), 1}, reverse=True))


def _line_head(doc: SourceDocument, offset: int) -> str:
    """Text of offset's line before it: indentation, or wrappers such as ``export``."""
    lines = doc.lines
    return doc.text[lines.line_start(lines.line_of(offset)) : offset]


def _choose_prefix_start(
    doc: SourceDocument,
    offset: int,
    budget: int,
    count: Callable[[str], int],
    grids: tuple[int, ...],
) -> int:
    """Offset where the near prefix starts: a grid-aligned line start that fits ``budget``."""
    text = doc.text
    lines = doc.lines
    cursor_line = lines.line_of(offset)
    line_start = lines.line_start(cursor_line)
    if count(text[line_start:offset]) > budget:
        return offset - len(_truncate_left(text[line_start:offset], budget, count))
    for grid in grids:
        first = cursor_line // grid * grid
        used = count(text[lines.line_start(first) : offset])
        if used > budget:
            continue
        start = first
        while start > 0:
            previous = max(start - grid, 0)
            cost = count(text[lines.line_start(previous) : lines.line_start(start)])
            if used + cost > budget:
                break
            used += cost
            start = previous
        return lines.line_start(start)
    return line_start


def _layout(
    doc: SourceDocument,
    offset: int,
    candidates: list[_Part],
    budget: int,
    share: float,
    count: Callable[[str], int],
    grids: tuple[int, ...],
) -> tuple[list[_Part], int, int]:
    """Fit the header parts, then the suffix, then choose the prefix start."""
    header_parts = _fit_header(candidates, budget // _HEADER_SHARE, count)
    header_tokens = count(_render_header(header_parts)) if header_parts else 0
    fixed = [p for p in header_parts if p.kind != "scope"]
    fixed_tokens = count(_render_header(fixed)) if fixed else 0
    # Scope headers come and go while the tree is broken mid-typing; reserving a fixed share
    # for them keeps the prefix budget (and so the prefix start) from moving with them.
    reserved = max(header_tokens, fixed_tokens + budget // _SCOPE_RESERVE_SHARE)
    remaining = max(budget - reserved, 0)
    suffix_budget = int(remaining * share)
    suffix_end, suffix_tokens = _take_suffix(doc, offset, suffix_budget, count)
    quantum = max(_MIN_QUANTUM, suffix_budget // 4)
    unused = (suffix_budget - suffix_tokens) // quantum * quantum
    prefix_budget = remaining - suffix_budget + unused
    start = _choose_prefix_start(doc, offset, prefix_budget, count, grids)
    return header_parts, start, suffix_end


def build_context(
    doc: SourceDocument,
    offset: int,
    *,
    path: str | None,
    budget_tokens: int,
    count_tokens: Callable[[str], int] = estimate_tokens,
    suffix_share: float = 0.25,
    related: Sequence[RelatedBlock] = (),
    related_share: float = 0.25,
) -> ContextWindow:
    """Build the context window for a completion at ``offset`` within ``budget_tokens``.

    ``related`` blocks come most relevant first; those that fit ``related_share`` of the budget
    are shown before the header.
    """
    text = doc.text
    offset = min(max(offset, 0), len(text))
    lines = doc.lines
    cursor_line = lines.line_of(offset)
    cursor_line_start = lines.line_start(cursor_line)
    cursor_line_prefix = text[cursor_line_start:offset]
    budget = max(budget_tokens, 0)
    share = min(max(suffix_share, 0.0), 1.0)
    related_cap = int(budget * min(max(related_share, 0.0), 1.0))
    related_kept, related_text, related_tokens = _fit_related(
        related, _comment_marker(doc.language, path), related_cap, count_tokens
    )
    if related_tokens:
        reserved = -(-related_tokens // _RELATED_QUANTUM) * _RELATED_QUANTUM
        budget -= min(reserved, related_cap)

    candidates: list[_Part] = []
    path_line = _path_line(doc.language, path)
    if path_line is not None:
        candidates.append(_Part("path", -1, path_line))
    candidates.extend(
        _Part("import", span.start, span.text)
        for span in import_spans(doc)
        if span.end <= cursor_line_start
    )
    scope_offset = offset
    if doc.language is not None and doc.language.indent_scoped and not cursor_line_prefix.strip():
        # On a blank line, keep the scopes of the code above: they would otherwise come and go
        # while the user types the indentation.
        scope_offset = last_non_space(text, offset)
    scopes = [s for s in enclosing_scopes(doc, scope_offset) if s.start < cursor_line_start]
    candidates.extend(
        _Part("scope", scope.start, _line_head(doc, scope.start) + scope.header)
        for scope in reversed(scopes)
    )
    # Budget the header for the parts before the cursor's 32-line grid cell only: parts inside
    # the cell always end up in the prefix, and letting them count would make the prefix budget
    # (and so its start line) flicker while they come and go during typing.
    grids = _grids(budget)
    cell_start = lines.line_start(cursor_line // grids[0] * grids[0])
    header_parts, prefix_start, suffix_end = _layout(
        doc,
        offset,
        [p for p in candidates if p.start < cell_start],
        budget,
        share,
        count_tokens,
        grids,
    )
    if prefix_start > cell_start:
        header_parts, prefix_start, suffix_end = _layout(
            doc, offset, candidates, budget, share, count_tokens, grids
        )

    kept = [p for p in header_parts if p.start < prefix_start]
    header = _render_header(kept)
    prefix = text[prefix_start:offset]
    suffix = text[offset:suffix_end]
    total = count_tokens(header) + count_tokens(prefix) + count_tokens(suffix)
    while total > budget and prefix:
        # Only reachable with a tokenizer whose count of a whole exceeds the sum of its parts.
        newline = prefix.find("\n")
        prefix = prefix[newline + 1 :] if 0 <= newline < len(prefix) - 1 else ""
        prefix_start = offset - len(prefix)
        total = count_tokens(header) + count_tokens(prefix) + count_tokens(suffix)
    if total > budget:
        header = ""
        suffix = _truncate_right(suffix, budget, count_tokens)
        suffix_end = offset + len(suffix)
    return ContextWindow(
        header=header,
        prefix=prefix,
        suffix=suffix,
        cursor_line_prefix=cursor_line_prefix,
        prefix_start=prefix_start,
        suffix_end=suffix_end,
        related=related_text,
        related_blocks=tuple(related_kept),
    )
