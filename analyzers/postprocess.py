"""Turn raw model output into the text to insert at the cursor, or reject it.

Owns :func:`postprocess` (final text) and :func:`make_stop_check` (early stop while streaming);
both read the output the same way:

1. Line endings are normalised to ``\\n`` while working and converted to the document's line
   ending at the end.
2. When the cursor line is blank before the cursor, leading blank lines and a lone comment
   marker line (``#``, ``//``, ``--``: small models often emit one first) are skipped, and the
   first non-blank generated line is aligned to the cursor: its indentation is replaced by the
   cursor's and every following line is shifted by the same amount.  (A first line that starts
   right away without indentation continued the prompt's indentation and is not shifted.)
3. ``SINGLE_LINE`` keeps the first line only.  ``MULTI_LINE`` cuts before the first line that
   dedents below the cursor's indentation, closes a bracket opened before the suggestion, starts
   a new definition after a blank line at or below the cursor's indentation, or repeats the lines
   that already follow the cursor; trailing blank lines are dropped.  When the cut line only
   closes blocks (``}``, ``end``) and the document lacks that closer (keeping the line lowers
   the syntax-error count), the line is kept.
4. Overlap with the text after the cursor on its line is removed (``foo(|)`` + ``a, b)`` gives
   ``a, b``; ``a, b):`` also gives ``a, b``, since the ``)`` is already there); when that text
   starts with a closing bracket, the suggestion ends before its own first unmatched closing
   bracket (``f(|)[0]`` + ``g())['k']`` gives ``g()``).
5. Runaway repetition is cut: a line, or a group of two or three lines, repeated three times in a
   row keeps one copy; a last line that ends in five or more copies of the same chunk keeps one.
6. An empty or whitespace-only result is rejected (None).
7. Parse validation (documents with a syntax tree only): a suggestion is rejected when inserting
   it makes a document that parsed cleanly fail to parse, or raises the syntax-error count of a
   document that already had errors.  A multi-line suggestion is first shortened line by line
   (up to eight times) to the longest prefix that passes.

Before all of this, invisible and control characters are removed from the output (C0/C1
controls other than tab and line breaks, bidi embeddings/overrides/isolates and marks, zero-width
spaces, Unicode tag characters U+E0000-U+E007F, U+2028/U+2029): they can hide what the code
does (Trojan Source) or smuggle text the user cannot see.

Text before the cursor is never changed: the result is only ever inserted at the cursor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from analyzers.completion_kind import CompletionKind
from analyzers.parsing import SourceDocument

__all__ = ["make_stop_check", "postprocess"]

_CLOSING = frozenset(")]}\"'`;,: \t")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = frozenset("([{")
_QUOTES = frozenset("\"'`")
_JUNK_LINES = frozenset({"#", "//", "--", "/*", "*", "///", "#!"})
_FOLLOWING_LINES = 3
_VALIDATION_ATTEMPTS = 8
_TAB_WIDTH = 4
_RUNAWAY_RE = re.compile(r"(.{3,}?)\1{4,}$")
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e"
    "\u2060\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)


@dataclass(frozen=True)
class _Site:
    blank_before: bool
    cursor_indent: str
    base_width: int
    after: str
    following: tuple[str, ...]
    line_ending: str
    line_comment: str | None
    definition_re: re.Pattern[str] | None
    quotes: frozenset[str]


def _width(indent: str) -> int:
    return len(indent.expandtabs(_TAB_WIDTH))


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _site(doc: SourceDocument, offset: int) -> _Site:
    text = doc.text
    lines = doc.lines
    offset = min(max(offset, 0), len(text))
    row = lines.line_of(offset)
    line_start = lines.line_start(row)
    line_end = lines.line_end(row)
    before = text[line_start:offset]
    blank_before = not before.strip()
    cursor_indent = before if blank_before else _leading(before)
    following: list[str] = []
    next_row = row + 1
    while next_row < lines.line_count and len(following) < _FOLLOWING_LINES:
        line_text = lines.line_text(next_row).rstrip()
        if line_text:
            following.append(line_text)
        next_row += 1
    spec = doc.language
    return _Site(
        blank_before=blank_before,
        cursor_indent=cursor_indent,
        base_width=_width(cursor_indent),
        after=text[offset:line_end],
        following=tuple(following),
        line_ending=doc.line_ending,
        line_comment=spec.line_comment if spec is not None else None,
        definition_re=re.compile(spec.definition_start) if spec is not None else None,
        # Rust lifetimes ('a) are not quotes.
        quotes=_QUOTES if spec is None or spec.name != "rust" else frozenset('"'),
    )


def _reindent(line: str, gen_indent: str, site: _Site) -> str:
    body = line.lstrip(" \t")
    if not body:
        return ""
    indent = line[: len(line) - len(body)]
    if indent.startswith(gen_indent):
        return site.cursor_indent + indent[len(gen_indent) :] + body
    width = max(site.base_width - (_width(gen_indent) - _width(indent)), 0)
    if "\t" in site.cursor_indent:
        return "\t" * (width // _TAB_WIDTH) + " " * (width % _TAB_WIDTH) + body
    return " " * width + body


def _prepare(raw: str, site: _Site) -> list[str]:
    """Normalised lines of ``raw``; the first one is the text that follows the cursor."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not site.blank_before:
        return lines
    i = 0
    while i < len(lines) - 1 and (not lines[i].strip() or lines[i].strip() in _JUNK_LINES):
        i += 1
    lines = lines[i:]
    first = lines[0]
    gen_indent = _leading(first)
    if i == 0 and not gen_indent:
        gen_indent = site.cursor_indent
    if gen_indent == site.cursor_indent:
        rest = lines[1:]
    else:
        rest = [_reindent(line, gen_indent, site) for line in lines[1:]]
    return [first.lstrip(" \t"), *rest]


def _scan_brackets(
    line: str, comment: str | None, stack: list[str], quotes: frozenset[str] = _QUOTES
) -> int | None:
    """Update ``stack`` with the line's brackets; index of a closer with no opener, if any."""
    quote: str | None = None
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif comment and line.startswith(comment, i):
            return None
        elif ch in quotes:
            quote = ch
        elif ch in _OPENERS:
            stack.append(ch)
        elif ch in _PAIRS:
            if not stack:
                return i
            if stack[-1] == _PAIRS[ch]:
                stack.pop()
        i += 1
    return None


def _repeat_cut(lines: list[str], site: _Site) -> int | None:
    """Index after the first copy of a line group repeated three times in a row."""
    if lines and site.blank_before:
        lines = [site.cursor_indent + lines[0], *lines[1:]]
    lines = [line.rstrip() for line in lines]
    n = len(lines)
    for i in range(n):
        for period in (1, 2, 3):
            if i + 3 * period > n:
                break
            group = lines[i : i + period]
            if not any(g.strip() for g in group):
                continue
            if (
                group
                == lines[i + period : i + 2 * period]
                == lines[i + 2 * period : i + 3 * period]
            ):
                return i + period
    return None


def _multi_cut(lines: list[str], site: _Site) -> int | None:
    """Index of the first line that must not be part of a multi-line suggestion."""
    stack: list[str] = []
    previous_blank = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            previous_blank = True
            continue
        if site.following and (i > 0 or site.blank_before):
            full = line.rstrip() if i > 0 else site.cursor_indent + stripped
            if full == site.following[0]:
                return i
        if i > 0:
            width = _width(_leading(line))
            if width < site.base_width:
                return i
            if (
                previous_blank
                and width <= site.base_width
                and site.definition_re is not None
                and site.definition_re.match(stripped)
            ):
                return i
        unmatched = _scan_brackets(line, site.line_comment, stack, site.quotes)
        if unmatched is not None and i > 0:
            return i
        previous_blank = False
    return _repeat_cut(lines, site)


def make_stop_check(
    doc: SourceDocument, offset: int, kind: CompletionKind
) -> Callable[[str], bool]:
    """A predicate on the generated text so far: True once generation can stop."""
    site = _site(doc, offset)

    def check(generated: str) -> bool:
        if kind is CompletionKind.NONE:
            return True
        lines = _prepare(generated, site)
        complete = lines[:-1]
        if kind is CompletionKind.SINGLE_LINE:
            return bool(complete)
        if not complete:
            return False
        return _multi_cut(complete, site) is not None

    return check


def _trim_line_overlap(line: str, after: str) -> str:
    """Drop the end of ``line`` that the text after the cursor already provides."""
    existing = after.strip()
    if not existing:
        return line
    body = line.rstrip()
    if body.endswith(existing):
        return body[: len(body) - len(existing)]
    if existing[0] in _PAIRS:
        # The cursor sits in a hole that ``existing`` closes: the suggestion ends where it
        # closes that bracket itself (``getpwuid(|)[5]`` + ``os.getuid())['x']`` → ``os.getuid()``).
        unmatched = _scan_brackets(body, None, [])
        if unmatched is not None and body[unmatched] == existing[0]:
            return body[:unmatched]
    k = len(body)
    while k > 0 and body[k - 1] in _CLOSING:
        k -= 1
    if k == len(body):
        return line
    stack: list[str] = []
    _scan_brackets(body[:k], None, stack)
    j = k
    while j < len(body) and body[j] in _PAIRS and stack and stack[-1] == _PAIRS[body[j]]:
        stack.pop()
        j += 1
    while j < len(body) and body[j] in " \t":
        j += 1
    if j < len(body) and body[j] == existing[0]:
        return body[:j]
    return line


def _is_closer_line(line: str, doc: SourceDocument) -> bool:
    """Whether a line only closes blocks (``}``, ``});``, ``end``, ``fi`` ...)."""
    stripped = line.strip()
    if not stripped:
        return False
    spec = doc.language
    if spec is not None and stripped in spec.closer_keywords:
        return True
    return all(ch in _CLOSING for ch in stripped) and any(ch in _PAIRS for ch in stripped)


def _cut_runaway(line: str) -> str:
    match = _RUNAWAY_RE.search(line)
    if match is None or not any(ch.isalnum() for ch in match.group(1)):
        return line
    return line[: match.start() + len(match.group(1))]


def _render(lines: list[str], site: _Site) -> str:
    return site.line_ending.join(lines)


def _passes(doc: SourceDocument, offset: int, insertion: str, before: int) -> bool:
    after = doc.error_count_after_insertion(offset, insertion)
    if after is None:
        return True
    if before == 0:
        return after == 0
    return after <= before


def postprocess(raw: str, doc: SourceDocument, offset: int, kind: CompletionKind) -> str | None:
    """The text to insert at ``offset`` for raw model output ``raw``, or None to reject it."""
    if kind is CompletionKind.NONE:
        return None
    offset = min(max(offset, 0), len(doc.text))
    site = _site(doc, offset)
    lines = _prepare(_INVISIBLE_RE.sub("", raw), site)
    closer: str | None = None
    if kind is CompletionKind.SINGLE_LINE:
        lines = lines[:1]
    else:
        cut = _multi_cut(lines, site)
        if cut is not None:
            if _is_closer_line(lines[cut], doc):
                closer = lines[cut].rstrip()
            lines = lines[:cut]
        while lines and not lines[-1].strip():
            lines.pop()
    if not lines:
        return None
    repeat = _repeat_cut(lines, site)
    if repeat is not None:
        lines = lines[:repeat]
    lines[-1] = _cut_runaway(lines[-1])
    lines[-1] = _trim_line_overlap(lines[-1], site.after).rstrip()
    if not "".join(lines).strip():
        return None

    if not doc.has_tree:
        return _render(lines, site)
    before = doc.error_count()
    if closer is not None and before > 0:
        with_closer = _render([*lines, closer], site)
        after = doc.error_count_after_insertion(offset, with_closer)
        if after is not None and after < before:
            return with_closer
    attempts = _VALIDATION_ATTEMPTS if kind is CompletionKind.MULTI_LINE else 1
    while lines and attempts > 0:
        attempts -= 1
        insertion = _render(lines, site)
        if _passes(doc, offset, insertion, before):
            return insertion
        lines = lines[:-1]
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            lines[-1] = lines[-1].rstrip()
    return None
