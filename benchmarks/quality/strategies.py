"""Context strategies compared by the harness: what each one would send the model for a cursor.

Owns :class:`Layout` and the baseline strategies.  Every strategy gets the same document, cursor,
token budget and tokenizer, and returns the text before and after the cursor that it would send.
The budget covers what reaches the model: with a mode that sends no suffix (``prefix``, the
embedded SmolLM2's mode) a strategy's suffix costs nothing and is not sent.

* ``prefix-only``  -- whole lines before the cursor, nearest first, while they fit;
* ``lines-20-20`` / ``lines-256-64`` -- fixed line counts before/after the cursor (the layouts
  other assistants use), then cut to the budget: the suffix keeps at most a quarter of it (lines
  nearest the cursor), the prefix the rest (lines nearest the cursor);
* ``alternating``  -- one line before, one line after, and so on, while the total fits (the
  token-budgeted alternation of llm-ls);
* ``grove``        -- Grove's own context engine (:func:`server.completion.prepare_request`),
  built by the runner because it needs the workspace index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzers.parsing import SourceDocument

__all__ = ["BASELINES", "Layout", "alternating", "fixed_lines", "prefix_only"]

Count = Callable[[str], int]


@dataclass(frozen=True)
class Layout:
    """Text before and after the cursor as one strategy would send it."""

    prefix: str
    suffix: str


def _head(doc: SourceDocument, offset: int) -> tuple[int, str]:
    lines = doc.lines
    row = lines.line_of(offset)
    return row, doc.text[lines.line_start(row) : offset]


def _end(doc: SourceDocument, row: int) -> int:
    """Offset just past ``row``'s line break (or the end of the text)."""
    lines = doc.lines
    return lines.line_start(row + 1) if row + 1 < lines.line_count else len(doc.text)


def _tail(doc: SourceDocument, offset: int) -> tuple[int, str]:
    row = doc.lines.line_of(offset)
    return row, doc.text[offset : _end(doc, row)]


def _lines_before(
    doc: SourceDocument, row: int, head: str, budget: int, count: Count, limit: int
) -> str:
    """``head`` plus up to ``limit`` whole lines above ``row``, nearest first, within ``budget``."""
    lines = doc.lines
    used = count(head)
    start = row
    while start > 0 and row - start < limit:
        cost = count(doc.text[lines.line_start(start - 1) : lines.line_start(start)])
        if used + cost > budget:
            break
        used += cost
        start -= 1
    return doc.text[lines.line_start(start) : lines.line_start(row)] + head


def _lines_after(
    doc: SourceDocument, row: int, tail: str, budget: int, count: Count, limit: int
) -> str:
    """``tail`` plus up to ``limit`` whole lines below ``row``, nearest first, within ``budget``."""
    used = count(tail)
    if used > budget:
        return ""
    end = _end(doc, row)
    last = row
    while last + 1 < doc.lines.line_count and last - row < limit:
        piece_end = _end(doc, last + 1)
        cost = count(doc.text[end:piece_end])
        if used + cost > budget:
            break
        used += cost
        end = piece_end
        last += 1
    return tail + doc.text[_end(doc, row) : end]


def prefix_only(
    doc: SourceDocument, offset: int, budget: int, count: Count, sends_suffix: bool
) -> Layout:
    """Whole lines before the cursor while they fit; nothing after it."""
    row, head = _head(doc, offset)
    return Layout(_lines_before(doc, row, head, budget, count, doc.lines.line_count), "")


def fixed_lines(
    before: int, after: int
) -> Callable[[SourceDocument, int, int, Count, bool], Layout]:
    """A strategy sending ``before`` lines above and ``after`` lines below, cut to the budget."""

    def build(
        doc: SourceDocument, offset: int, budget: int, count: Count, sends_suffix: bool
    ) -> Layout:
        row, head = _head(doc, offset)
        _, tail = _tail(doc, offset)
        suffix = _lines_after(doc, row, tail, budget // 4, count, after) if sends_suffix else ""
        prefix = _lines_before(doc, row, head, budget - count(suffix), count, before)
        return Layout(prefix, suffix)

    return build


def alternating(
    doc: SourceDocument, offset: int, budget: int, count: Count, sends_suffix: bool
) -> Layout:
    """Lines added alternately before and after the cursor while the total fits."""
    lines = doc.lines
    row, head = _head(doc, offset)
    _, tail = _tail(doc, offset)
    used = count(head) + count(tail)
    start, last = row, row
    turn_before = True
    blocked_before = blocked_after = False
    while not (blocked_before and blocked_after):
        if turn_before and not blocked_before and start > 0:
            cost = count(doc.text[lines.line_start(start - 1) : lines.line_start(start)])
            if used + cost <= budget:
                used += cost
                start -= 1
            else:
                blocked_before = True
        elif not turn_before and not blocked_after and last + 1 < lines.line_count:
            cost = count(doc.text[_end(doc, last) : _end(doc, last + 1)])
            if used + cost <= budget:
                used += cost
                last += 1
            else:
                blocked_after = True
        else:
            if turn_before:
                blocked_before = True
            else:
                blocked_after = True
        turn_before = not turn_before
    prefix = doc.text[lines.line_start(start) : offset]
    suffix = doc.text[offset : _end(doc, last)] if sends_suffix else ""
    return Layout(prefix, suffix)


Builder = Callable[[SourceDocument, int, int, Count, bool], Layout]

BASELINES: dict[str, Builder] = {
    "prefix-only": prefix_only,
    "lines-20-20": fixed_lines(20, 20),
    "lines-256-64": fixed_lines(256, 64),
    "alternating": alternating,
}
"""The strategies other than Grove's own, by name."""
