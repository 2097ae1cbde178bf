"""What to explain and with what context, and whether a model's proposed fix may be offered.

Owns the pure half of explanations (the server renders prompts and talks to the model):

* :func:`code_subject` -- the code to explain for a range: a non-blank selection as written,
  else the innermost function/method/class at the cursor, else the top-level statement on the
  cursor's line; None on a blank line outside any definition (cheap: used to list actions);
* :func:`bounded_code` -- code cut to a token budget at a line boundary (huge selections);
* :func:`neighbourhood` -- the whole lines around a diagnostic (shown to the model, and the only
  lines a proposed fix may replace);
* :func:`own_definitions` / :func:`fit_blocks` -- the file's definitions the code uses, within a
  budget (definitions from other files come from the workspace context engine);
* :func:`extract_fix` / :func:`validate_fix` -- the fenced ```` ```fix ```` block of an answer,
  accepted only if it changes something, stays inside the neighbourhood, looks like an edit of
  those lines and adds no syntax errors to the file;
* :func:`looks_binary` and :func:`short_message` -- input guards and action titles.

Offsets are code points into ``SourceDocument.text``; lines are 0-based.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from analyzers.crossfile import summarize_module, used_names
from analyzers.parsing import SourceDocument
from analyzers.structure import Scope, definitions, enclosing_scopes

__all__ = [
    "NEIGHBOUR_LINES",
    "FixEdit",
    "Neighbourhood",
    "Subject",
    "bounded_code",
    "code_subject",
    "display_answer",
    "extract_fix",
    "fit_blocks",
    "looks_binary",
    "neighbourhood",
    "own_definitions",
    "scope_headers",
    "short_message",
    "validate_fix",
]

NEIGHBOUR_LINES = 3
"""Lines shown (and open to a fix) above and below a diagnostic's range."""
MAX_ADDED_LINES = 6
"""A fix may make the neighbourhood at most this many lines longer."""
MIN_SIMILARITY = 0.3
"""A fix whose lines are less similar than this to the neighbourhood's is a rewrite, not a fix."""
MIN_FRAGMENT_SIMILARITY = 0.6
"""A fix of only some lines must be at least this similar to the lines it replaces."""

SubjectKind = Literal["selection", "function", "method", "class", "statement", "line"]

_NON_SPACE = re.compile(r"\S")
_FIX_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)$", re.MULTILINE)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Subject:
    """The code an explanation is about."""

    kind: SubjectKind
    name: str | None
    start: int
    end: int
    first_line: int
    last_line: int

    def code(self, doc: SourceDocument) -> str:
        """The subject's text with ``\\n`` line breaks."""
        return _lf(doc.text[self.start : self.end])

    @property
    def label(self) -> str:
        """``method area``, ``selection`` or ``statement`` (for titles and prompts)."""
        return f"{self.kind} {self.name}" if self.name else self.kind


@dataclass(frozen=True)
class Neighbourhood:
    """Whole lines ``first_line``..``last_line`` (inclusive) and their text (``\\n`` breaks)."""

    first_line: int
    last_line: int
    text: str


@dataclass(frozen=True)
class FixEdit:
    """Replace ``doc.text[start:end]`` by ``text`` (the document's own line endings)."""

    start: int
    end: int
    text: str
    first_line: int
    last_line: int
    """The lines the edit touches (0-based, inclusive; an insertion touches one)."""


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_binary(text: str) -> bool:
    """Whether ``text`` looks like a binary file decoded as text (NULs, many control chars)."""
    head = text[:8192]
    if "\x00" in head:
        return True
    controls = len(_CONTROL.findall(head)) - head.count("\r") - head.count("\f")
    return bool(head) and controls > len(head) // 20


def _clamp(doc: SourceDocument, offset: int) -> int:
    return min(max(offset, 0), len(doc.text))


def code_subject(doc: SourceDocument, start: int, end: int) -> Subject | None:
    """The code to explain for the range ``[start, end)`` (see the module docstring)."""
    text = doc.text
    start, end = sorted((_clamp(doc, start), _clamp(doc, end)))
    lines = doc.lines
    if start < end and _NON_SPACE.search(text, start, end) is not None:
        # A selection as written, minus surrounding blank space.
        first = _NON_SPACE.search(text, start, end)
        assert first is not None
        start = first.start()
        end = start + len(text[start:end].rstrip())
        return Subject(
            "selection", None, start, end, lines.line_of(start), lines.line_of(max(end - 1, start))
        )
    row = lines.line_of(start)
    line_text = lines.line_text(row)
    blank = not line_text.strip()
    probe = start
    if not blank:
        # The cursor in a line's indentation or on a definition's first character still means
        # that line's definition.
        indent = len(line_text) - len(line_text.lstrip())
        probe = max(start, lines.line_start(row) + indent + 1)
    scopes = enclosing_scopes(doc, probe) if doc.language is not None else []
    wrapped = [s for s in definitions(doc) if s.outer_start <= probe < s.start] if scopes else []
    if wrapped:
        # On a decorator (or ``export``, ``template <…>``): the definition it wraps.
        return _scope_subject(doc, wrapped[-1])
    if scopes:
        return _scope_subject(doc, scopes[0])
    if blank:
        return None
    statement = _statement_at(doc, lines.line_start(row) + len(line_text) - len(line_text.lstrip()))
    if statement is not None:
        s_start, s_end = statement
        return Subject(
            "statement",
            None,
            s_start,
            s_end,
            lines.line_of(s_start),
            lines.line_of(max(s_end - 1, s_start)),
        )
    line_start = lines.line_start(row)
    return Subject("line", None, line_start, line_start + len(line_text.rstrip()), row, row)


def _scope_subject(doc: SourceDocument, scope: Scope) -> Subject:
    """The definition from the start of its first line (indentation kept) to its last character."""
    lines = doc.lines
    end = scope.start + len(doc.text[scope.start : scope.end].rstrip())
    row = lines.line_of(scope.outer_start)
    start = lines.line_start(row)
    if doc.text[start : scope.outer_start].strip():
        start = scope.outer_start
    return Subject(scope.kind, scope.name, start, end, row, lines.line_of(max(end - 1, start)))


def _statement_at(doc: SourceDocument, offset: int) -> tuple[int, int] | None:
    """The top-level syntax node (a child of the root) that holds ``offset``."""
    root = doc.root
    if root is None:
        return None
    for child in root.named_children:
        if child.start <= offset < child.end:
            end = child.start + len(child.text.rstrip())
            return child.start, end
    return None


def scope_headers(doc: SourceDocument, subject: Subject) -> list[str]:
    """Headers of the definitions around ``subject``, outermost first (it excluded)."""
    if doc.language is None:
        return []
    if subject.kind == "selection":
        probe = subject.start + 1
    else:
        line = doc.lines.line_text(subject.first_line)
        probe = doc.lines.line_start(subject.first_line) + len(line) - len(line.lstrip())
    headers = [
        scope.header.strip()
        for scope in enclosing_scopes(doc, probe)
        if subject.kind == "selection"
        or not (scope.name == subject.name and scope.kind == subject.kind)
    ]
    return list(reversed(headers))


def bounded_code(text: str, budget: int, count_tokens: Callable[[str], int]) -> tuple[str, int]:
    """``text`` cut at a line boundary to fit ``budget`` tokens, and how many lines were cut.

    A single line longer than the budget is cut by characters (then counted as cut).
    """
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count_tokens(line + "\n")
        if used + cost > budget:
            if not kept:
                kept.append(line[: max(budget, 1) * 3])
            break
        kept.append(line)
        used += cost
    omitted = len(lines) - len(kept)
    if not omitted and kept and len(kept[-1]) < len(lines[len(kept) - 1]):
        omitted = 1
    return "\n".join(kept), omitted


def neighbourhood(
    doc: SourceDocument, start: int, end: int, radius: int = NEIGHBOUR_LINES
) -> Neighbourhood:
    """The whole lines from ``radius`` above ``start``'s line to ``radius`` below ``end``'s."""
    lines = doc.lines
    start, end = sorted((_clamp(doc, start), _clamp(doc, end)))
    top, bottom = lines.line_of(start), lines.line_of(end)
    first = max(top - radius, 0)
    last = min(bottom + radius, lines.line_count - 1)
    while first < top and not lines.line_text(first).strip():
        first += 1
    while last > bottom and not lines.line_text(last).strip():
        last -= 1
    text = "\n".join(lines.line_text(row) for row in range(first, last + 1))
    return Neighbourhood(first, last, _lf(text))


def own_definitions(doc: SourceDocument, subject: Subject, code: str) -> list[str]:
    """Compact renderings of the file's own definitions that ``code`` uses (defined elsewhere)."""
    summaries = summarize_module(doc)
    if not summaries:
        return []
    blocks: list[str] = []
    for name in reversed(used_names(code)):
        summary = summaries.get(name)
        if summary is None or subject.first_line <= summary.line <= subject.last_line:
            continue
        blocks.append(summary.text)
    return blocks


def fit_blocks(blocks: Sequence[str], budget: int, count_tokens: Callable[[str], int]) -> list[str]:
    """The first blocks (duplicates dropped) whose total fits ``budget`` tokens."""
    chosen: list[str] = []
    used = 0
    for block in dict.fromkeys(b.strip("\n") for b in blocks if b.strip()):
        cost = count_tokens(block + "\n\n")
        if used + cost > budget:
            continue
        chosen.append(block)
        used += cost
    return chosen


def short_message(message: str, limit: int = 60) -> str:
    """A diagnostic message on one line, cut to ``limit`` characters (for action titles)."""
    flat = " ".join(message.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------------ fixes


def _fix_block(answer: str) -> tuple[int, int, str] | None:
    """(start, end, body) of the last fenced block whose info string names ``fix``."""
    found: tuple[int, int, str] | None = None
    position = 0
    while True:
        opening = _FIX_FENCE.search(answer, position)
        if opening is None:
            return found
        fence = opening.group(1)
        closing = re.compile(
            r"^[ \t]{0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$",
            re.MULTILINE,
        )
        body_start = opening.end() + 1
        close = closing.search(answer, body_start) if body_start <= len(answer) else None
        if close is None:
            return found
        if "fix" in opening.group(2).lower().replace(",", " ").split():
            body = answer[body_start : close.start()]
            found = (opening.start(), close.end(), body[:-1] if body.endswith("\n") else body)
        position = close.end()


def extract_fix(answer: str) -> str | None:
    """The body of the answer's (last, closed) ```` ```fix ```` block, if it has one."""
    found = _fix_block(_lf(answer))
    return None if found is None else found[2]


def display_answer(answer: str, language: str) -> str:
    """The answer with its ``fix`` fence labelled with the language (so it is highlighted)."""
    answer = _lf(answer)
    found = _fix_block(answer)
    if found is None:
        return answer
    start = found[0]
    line_end = answer.find("\n", start)
    opening = _FIX_FENCE.match(answer, start, line_end)
    if opening is None:
        return answer
    label = f"{opening.group(1)}{language}"
    return answer[:start] + label + answer[line_end:]


def _blank_edges(lines: list[str]) -> tuple[int, int]:
    """(first, last+1) indices of the non-blank core of ``lines``."""
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    last = len(lines)
    while last > first and not lines[last - 1].strip():
        last -= 1
    return first, last


def _common_ends(old: Sequence[str], new: Sequence[str]) -> tuple[int, int]:
    """(common leading lines, common trailing lines) of two line lists, not overlapping."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    return prefix, suffix


def _similarity(old: Sequence[str], new: Sequence[str]) -> float:
    return difflib.SequenceMatcher(None, "\n".join(old), "\n".join(new)).ratio()


def _anchor(doc: SourceDocument, region: Neighbourhood, new: list[str]) -> tuple[int, list[str]]:
    """(first line, lines) of the document that ``new`` should be compared with.

    The region's non-blank core, widened by up to :data:`NEIGHBOUR_LINES` lines when the
    proposal starts or ends with a line found just outside it (a model that repeats context).
    """
    lines = doc.lines
    old = region.text.split("\n")
    core_first, core_last = _blank_edges(old)
    first = region.first_line + core_first
    last = region.first_line + core_last - 1
    if new[0].strip() and (core_first == core_last or new[0] != old[core_first]):
        for row in range(first - 1, max(first - 1 - NEIGHBOUR_LINES, -1), -1):
            if _lf(lines.line_text(row)) == new[0]:
                first = row
                break
    if new[-1].strip() and (core_first == core_last or new[-1] != old[core_last - 1]):
        for row in range(last + 1, min(last + 1 + NEIGHBOUR_LINES, lines.line_count)):
            if _lf(lines.line_text(row)) == new[-1]:
                last = row
                break
    return first, [_lf(lines.line_text(row)) for row in range(first, last + 1)]


def _indent(lines: Sequence[str]) -> str:
    """The leading whitespace every non-blank line shares."""
    indents = [line[: len(line) - len(line.lstrip())] for line in lines if line.strip()]
    if not indents:
        return ""
    shared = indents[0]
    for indent in indents[1:]:
        while not indent.startswith(shared):
            shared = shared[:-1]
    return shared


def _reindent(old: Sequence[str], new: list[str]) -> list[str]:
    """``new`` indented like ``old`` when the model dropped the common indentation."""
    old_indent = _indent(old)
    if not old_indent or _indent(new):
        return new
    return [old_indent + line if line.strip() else line for line in new]


def _best_window(old: Sequence[str], new: list[str]) -> tuple[int, int] | None:
    """The lines ``old[start:end]`` a fragment ``new`` most likely rewrites, if any is close.

    Windows start and end on non-blank lines (the fragment does) and may be a few lines
    shorter or longer than it; ties go to the window as long as the fragment. Edge lines of
    the winner that resemble no line of the fragment are left out.
    """
    best: tuple[float, int, int, int] | None = None
    for width in range(max(1, len(new) - 2), min(len(old), len(new) + 2) + 1):
        for start in range(len(old) - width + 1):
            window = old[start : start + width]
            if not window[0].strip() or not window[-1].strip():
                continue
            score = _similarity(window, _reindent(window, new))
            key = (score, -abs(width - len(new)), -start, width)
            if best is None or key > best:
                best = key
    if best is None or best[0] < MIN_FRAGMENT_SIMILARITY:
        return None
    start = -best[2]
    end = start + best[3]

    def matched(line: str) -> bool:
        return bool(line.strip()) and any(
            difflib.SequenceMatcher(None, line.strip(), other.strip()).ratio() >= 0.5
            for other in new
        )

    # A longer window may have won on shared blank space: drop edge lines nothing matches.
    while start < end and not matched(old[start]):
        start += 1
    while end > start and not matched(old[end - 1]):
        end -= 1
    return (start, end) if start < end else None


def validate_fix(
    doc: SourceDocument, region: Neighbourhood, proposal: str
) -> tuple[FixEdit | None, list[str]]:
    """The minimal edit that turns ``region`` into ``proposal``, or why it must not be offered.

    The proposal is normally the whole region corrected; a shorter one (only the lines that
    change, with some context) is placed where it matches the region best.
    """
    if doc.language is None or not doc.has_tree:
        return None, ["Grove cannot check a fix in this file type"]
    proposal = _lf(proposal)
    if "```" in proposal or "~~~" in proposal:
        return None, ["the fix holds a code fence"]
    if _CONTROL.search(proposal.replace("\t", " ")):
        return None, ["the fix holds control characters"]
    lines = doc.lines
    current = _lf(
        "\n".join(lines.line_text(row) for row in range(region.first_line, region.last_line + 1))
    )
    if current != region.text:
        return None, ["the code around the diagnostic has changed"]
    new_all = proposal.split("\n")
    new_first, new_last = _blank_edges(new_all)
    new = new_all[new_first:new_last]
    if not new:
        return None, ["the fix is empty"]
    first, old = _anchor(doc, region, new)
    if len(new) > len(old) + MAX_ADDED_LINES:
        return None, ["the fix rewrites more than the lines around the diagnostic"]
    whole = _reindent(old, new)
    prefix, suffix = _common_ends(old, whole)
    if prefix + suffix < max(len(old), len(new)) - 2 and len(new) < len(old):
        # Only some of the lines: the window of the region that they match best.
        window = _best_window(old, new)
        if window is None:
            return None, ["the fix does not match the lines around the diagnostic"]
        start, end = window
        first, old = first + start, old[start:end]
        new = _reindent(old, new)
        prefix, suffix = _common_ends(old, new)
    elif _similarity(old, whole) < MIN_SIMILARITY:
        return None, ["the fix does not look like an edit of the lines around the diagnostic"]
    else:
        new = whole
    removed = old[prefix : len(old) - suffix]
    added = new[prefix : len(new) - suffix]
    if not removed and not added:
        return None, ["the fix changes nothing"]
    changed_first = first + prefix
    changed_last = changed_first + max(len(removed), 1) - 1
    if changed_first < region.first_line or changed_last > region.last_line:
        return None, ["the fix changes lines away from the diagnostic"]
    edit = _line_edit(doc, changed_first, changed_first + len(removed) - 1, added)
    new_text = doc.text[: edit.start] + edit.text + doc.text[edit.end :]
    after = SourceDocument(new_text, doc.language)
    if after.error_count() > doc.error_count():
        return None, ["the file would have more syntax errors with the fix"]
    return edit, []


def _line_edit(doc: SourceDocument, first: int, last: int, added: list[str]) -> FixEdit:
    """Replace lines ``first..last`` (none when ``last < first``: insert before ``first``)."""
    lines = doc.lines
    eol = doc.line_ending
    count = lines.line_count
    if last >= first:
        if added:
            start, end, text = lines.line_start(first), lines.line_end(last), eol.join(added)
        elif last + 1 < count:
            start, end, text = lines.line_start(first), lines.line_start(last + 1), ""
        else:
            start = lines.line_end(first - 1) if first > 0 else 0
            end, text = lines.line_end(last), ""
        return FixEdit(start, end, text, first, last)
    if first < count:
        at = lines.line_start(first)
        return FixEdit(at, at, eol.join(added) + eol, first, first)
    at = len(doc.text)
    return FixEdit(at, at, eol + eol.join(added), count - 1, count - 1)
