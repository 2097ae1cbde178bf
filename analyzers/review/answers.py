"""LLM code review: the model's answer → validated findings anchored on quoted lines.

Nothing the model says is trusted. :func:`read_answer` takes the raw text (and the server's
``finish_reason``) for one :class:`~analyzers.review.ReviewUnit` and returns the findings that
survive every check, plus one reason per finding it dropped:

* the answer must be complete (``finish_reason`` ``length`` or a client-side cut: all dropped)
  and JSON (code fences tolerated) of the shape ``{"findings": [...]}`` (a bare list is read
  the same way); anything else: all dropped;
* each finding needs ``line`` (a quoted line of the unit), ``category`` (one of
  :data:`~analyzers.review.CATEGORIES`), ``message`` and an optional ``suggestion`` (strings);
  extra keys — line numbers included — are ignored: the range comes from the quote only;
* **anchoring**: the quote must be one of the unit's lines (whitespace runs compared as one
  space), several consecutive lines, or a distinctive part of one line; blank or
  punctuation-only quotes anchor nothing;
* messages are cleaned (control characters removed, one line, at most 300 characters);
  messages with links or that echo instructions, and findings anchored on a line that carries an
  instruction to the model ("ignore previous instructions"), are dropped;
* the same line with the same category (or the same message) twice is a duplicate;
* at most ``cap`` findings per unit; :func:`cap_file` bounds a whole file.

:func:`reanchor` moves a finding into a newer text of its unit by its quote, for edits made
before the unit is reviewed again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from analyzers.review.units import CATEGORIES, ReviewUnit

__all__ = [
    "MAX_PER_FILE",
    "MAX_PER_UNIT",
    "Finding",
    "PlacedFinding",
    "UnitAnswer",
    "cap_file",
    "place",
    "read_answer",
    "reanchor",
]

MAX_PER_UNIT = 5
MAX_PER_FILE = 50
MAX_MESSAGE_CHARS = 300
_MAX_ITEMS_READ = 100
_MIN_FRAGMENT_CHARS = 12
_TRUNCATED = frozenset({"length", "output_cap", "time_limit"})

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_LINK = re.compile(r"https?://|www\.|!\[|\]\(|<\s*(a|img|script)\b", re.IGNORECASE)
_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|your)"
    r"\s+(instructions|prompts?|rules)|you are now\b|new instructions\s*:|system prompt"
    r"|as an ai (language )?model",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```[\w-]*\s*$", re.MULTILINE)
_WORDY = re.compile(r"\w")


@dataclass(frozen=True)
class Finding:
    """One validated finding, placed relative to its unit (0-based lines, code-point columns)."""

    category: str
    message: str
    suggestion: str | None
    line: int
    """Unit line where the quoted text starts."""
    column: int
    end_line: int
    end_column: int
    quote: tuple[str, ...]
    """The anchored lines as they are in the unit, stripped (for re-anchoring after edits)."""
    indent: int
    """Indentation of the first anchored line (columns follow it when it changes)."""


@dataclass(frozen=True)
class UnitAnswer:
    """What was kept of one answer and why the rest was dropped."""

    findings: tuple[Finding, ...]
    proposed: int
    """How many findings the model proposed (0 when the answer itself was unusable)."""
    dropped: tuple[str, ...]
    """One reason per dropped finding, or the one reason the whole answer was dropped."""
    problem: str | None = None
    """Why the whole answer was unusable (truncated, not JSON, off-schema), else None."""


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _clean(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = _normal(_CONTROL.sub(" ", text))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _json_value(text: str) -> object:
    """The first JSON value in ``text`` (code fences and chatter around it tolerated)."""
    stripped = _FENCE.sub("", text).strip()
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i != -1]
    if not starts:
        raise ValueError("no JSON")
    value, _end = json.JSONDecoder().raw_decode(stripped, min(starts))
    return value


def read_answer(
    text: str, finish_reason: str | None, unit_lines: Sequence[str], cap: int = MAX_PER_UNIT
) -> UnitAnswer:
    """Validate and anchor one answer for a unit (see the module docstring for every rule)."""
    if finish_reason in _TRUNCATED:
        return UnitAnswer((), 0, ("truncated answer",), "the answer was cut off")
    try:
        value = _json_value(text)
    except ValueError:
        return UnitAnswer((), 0, ("answer is not JSON",), "the answer is not JSON")
    items = value.get("findings") if isinstance(value, dict) else value
    if not isinstance(items, list):
        return UnitAnswer((), 0, ("answer is off-schema",), "the answer does not follow the schema")
    normal_lines = [_normal(line) for line in unit_lines]
    kept: list[Finding] = []
    dropped: list[str] = []
    seen: set[tuple[int, str]] = set()
    for index, item in enumerate(items):
        if index >= _MAX_ITEMS_READ or len(kept) >= cap:
            dropped.append("over the per-unit cap")
            continue
        finding, reason = _finding(item, unit_lines, normal_lines)
        if finding is None:
            dropped.append(reason)
            continue
        keys = {(finding.line, finding.category), (finding.line, finding.message.lower())}
        if keys & seen:
            dropped.append("duplicate")
            continue
        seen |= keys
        kept.append(finding)
    return UnitAnswer(tuple(kept), len(items), tuple(dropped))


def _finding(
    item: object, unit_lines: Sequence[str], normal_lines: list[str]
) -> tuple[Finding | None, str]:
    if not isinstance(item, dict):
        return None, "off-schema finding"
    quote, category, message = item.get("line"), item.get("category"), item.get("message")
    suggestion = item.get("suggestion")
    if not (isinstance(quote, str) and isinstance(category, str) and isinstance(message, str)):
        return None, "off-schema finding"
    if suggestion is not None and not isinstance(suggestion, str):
        return None, "off-schema finding"
    category = category.strip().lower()
    if category not in CATEGORIES:
        return None, "unknown category"
    message = _clean(message)
    suggestion = _clean(suggestion) if suggestion else None
    if len(message) < 3:
        return None, "empty message"
    for said in (message, suggestion or ""):
        if _LINK.search(said):
            return None, "link in message"
        if _INJECTION.search(said):
            return None, "prompt injection"
    place = _anchor(quote, unit_lines, normal_lines)
    if place is None:
        return None, "quote not found"
    line, column, end_line, end_column = place
    for row in range(line, end_line + 1):
        if _INJECTION.search(unit_lines[row]):
            return None, "prompt injection"
    quoted = tuple(unit_lines[row].strip() for row in range(line, end_line + 1))
    indent = _indent(unit_lines[line])
    finding = Finding(
        category, message, suggestion, line, column, end_line, end_column, quoted, indent
    )
    return finding, ""


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _whole_lines(wanted: list[str], normal_lines: list[str], near: int) -> int | None:
    """First row of the run of lines equal to ``wanted`` nearest ``near``, if any."""
    count = len(wanted)
    starts = [
        row
        for row in range(len(normal_lines) - count + 1)
        if normal_lines[row : row + count] == wanted
    ]
    return min(starts, key=lambda r: (abs(r - near), r)) if starts else None


def _anchor(
    quote: str, unit_lines: Sequence[str], normal_lines: list[str]
) -> tuple[int, int, int, int] | None:
    """(line, column, end line, end column) of ``quote`` in the unit, or None.

    Whole lines first (several consecutive ones for a multi-line quote), then a distinctive
    fragment of one line (with the unit's own spacing).
    """
    wanted = [_normal(part) for part in _CONTROL.sub("", quote).splitlines()]
    wanted = [part for part in wanted if part]
    if not wanted or not any(_WORDY.search(part) for part in wanted):
        return None
    row = _whole_lines(wanted, normal_lines, 0)
    if row is not None:
        last = row + len(wanted) - 1
        return row, _indent(unit_lines[row]), last, len(unit_lines[last].rstrip())
    if len(wanted) != 1 or len(wanted[0]) < _MIN_FRAGMENT_CHARS:
        return None
    for row, text in enumerate(unit_lines):
        found = text.find(wanted[0])
        if found != -1:
            return row, found, row, found + len(wanted[0])
    return None


def reanchor(finding: Finding, unit_lines: Sequence[str]) -> Finding | None:
    """``finding`` moved into a newer text of its unit by its quoted lines, or None if gone.

    The occurrence nearest the old place wins; columns follow a change of indentation.
    """
    normal_lines = [_normal(line) for line in unit_lines]
    row = _whole_lines([_normal(q) for q in finding.quote], normal_lines, finding.line)
    if row is None:
        return None
    last = row + finding.end_line - finding.line
    shift = _indent(unit_lines[row]) - finding.indent
    line_length = len(unit_lines[last].rstrip())
    if last == row:
        end_column = min(max(finding.end_column + shift, 0), line_length)
    else:
        end_column = line_length
    return replace(
        finding,
        line=row,
        column=max(finding.column + shift, 0),
        end_line=last,
        end_column=end_column,
        indent=_indent(unit_lines[row]),
    )


@dataclass(frozen=True)
class PlacedFinding:
    """A finding on the document: 0-based lines, code-point columns."""

    unit: str
    finding: Finding
    line: int
    column: int
    end_line: int
    end_column: int
    stale: bool = False
    """Its unit changed since the review; the finding was found again by its quote."""


def place(unit: ReviewUnit, finding: Finding, *, stale: bool = False) -> PlacedFinding:
    """``finding`` (relative to ``unit``) in document coordinates."""
    first = unit.first_line
    return PlacedFinding(
        unit.name,
        finding,
        first + finding.line,
        finding.column,
        first + finding.end_line,
        finding.end_column,
        stale,
    )


def cap_file(findings: Sequence[PlacedFinding], limit: int = MAX_PER_FILE) -> list[PlacedFinding]:
    """At most ``limit`` findings: the most serious first, then in document order."""
    rank = {category: index for index, category in enumerate(CATEGORIES)}
    chosen = sorted(findings, key=lambda p: (rank[p.finding.category], p.line, p.column))[:limit]
    return sorted(chosen, key=lambda p: (p.line, p.column, rank[p.finding.category]))
