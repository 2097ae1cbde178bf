"""Similar snippets from other files: line windows ranked by Jaccard similarity of identifiers.

Owns :class:`Snippet`, :func:`snippet_windows` (cut a file into overlapping windows of whole
lines, each with its identifier set computed once) and :func:`rank_snippets` (the windows most
similar to the code before the cursor, at most one per overlapping region of a file and no two
near-duplicates).  Works on plain text, in any language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["Snippet", "identifier_set", "jaccard", "rank_snippets", "snippet_windows"]

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_STOPWORD_TEXT = """
    and as assert async await break case catch class const continue def default del do elif
    else end enum except export extends false finally fn for from func function if impl import
    in is let local match mut nil none not null or pass pub raise return self static struct
    super switch then this throw true try type typeof undefined use var void while with yield
    None True False
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Keywords and literals common to the supported languages: they say nothing about similarity."""


def identifier_set(text: str) -> frozenset[str]:
    """Identifiers in ``text`` except common keywords and one-character names."""
    found = set(_IDENTIFIER_RE.findall(text))
    found.difference_update(_STOPWORDS)
    return frozenset(name for name in found if len(name) > 1)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """``|a ∩ b| / |a ∪ b|`` (0.0 when both are empty)."""
    common = len(a & b)
    union = len(a) + len(b) - common
    return common / union if union else 0.0


@dataclass(frozen=True)
class Snippet:
    """A window of whole lines of a file, with its identifiers; ``score`` is set by ranking."""

    path: str
    start_line: int
    """0-based line of the window's first line."""
    text: str
    identifiers: frozenset[str]
    score: float = 0.0
    following: str = ""
    """The lines right after the window: what came next where this code was written before."""

    @property
    def shown(self) -> str:
        """The text to show the model: the window and the lines that follow it."""
        return f"{self.text}\n{self.following}" if self.following else self.text

    @property
    def end_line(self) -> int:
        """0-based line just past the window's last line."""
        return self.start_line + self.text.count("\n") + 1


def snippet_windows(
    path: str, text: str, *, window_lines: int = 12, step: int = 6, follow_lines: int = 6
) -> list[Snippet]:
    """Overlapping windows of whole lines (blank-only windows skipped).

    Windows start every ``step`` lines, and the last one reaches the end of the text. Blank lines
    at either end of a window are trimmed; windows without identifiers are skipped. Each window
    carries up to ``follow_lines`` lines that follow it (trailing blank lines trimmed): a window
    is matched against the code before the cursor, so what followed it is the useful part.
    """
    window_lines = max(window_lines, 1)
    step = max(step, 1)
    lines = text.splitlines()
    count = len(lines)
    starts = list(range(0, max(count - window_lines, 0) + 1, step))
    if starts and starts[-1] + window_lines < count:
        starts.append(count - window_lines)
    windows: list[Snippet] = []
    for start in starts:
        first, last = start, min(start + window_lines, count)
        while first < last and not lines[first].strip():
            first += 1
        while last > first and not lines[last - 1].strip():
            last -= 1
        if first == last:
            continue
        body = "\n".join(lines[first:last])
        identifiers = identifier_set(body)
        if identifiers:
            after = lines[last : last + max(follow_lines, 0)]
            while after and not after[-1].strip():
                after.pop()
            windows.append(Snippet(path, first, body, identifiers, following="\n".join(after)))
    return windows


def rank_snippets(
    query: str | frozenset[str],
    candidates: Iterable[Snippet],
    *,
    limit: int = 3,
    min_score: float = 0.15,
    duplicate_threshold: float = 0.7,
) -> list[Snippet]:
    """Top snippets by Jaccard similarity of identifier sets with the query.

    Keeps at most one of any two overlapping windows of the same file and drops near-duplicates
    (Jaccard between snippets ≥ ``duplicate_threshold``). Results carry their ``score``, best
    first; ties go to the earlier path and line.
    """
    wanted = identifier_set(query) if isinstance(query, str) else query
    if not wanted or limit <= 0:
        return []
    size = len(wanted)
    scored: list[tuple[float, Snippet]] = []
    for snippet in candidates:
        ids = snippet.identifiers
        common = len(wanted & ids)
        if common:
            score = common / (size + len(ids) - common)
            if score >= min_score:
                scored.append((score, snippet))
    scored.sort(key=lambda item: (-item[0], item[1].path, item[1].start_line))
    chosen: list[Snippet] = []
    for score, snippet in scored:
        if any(_overlaps(snippet, kept) for kept in chosen):
            continue
        if any(
            jaccard(snippet.identifiers, kept.identifiers) >= duplicate_threshold for kept in chosen
        ):
            continue
        chosen.append(replace(snippet, score=score))
        if len(chosen) >= limit:
            break
    return chosen


def _overlaps(a: Snippet, b: Snippet) -> bool:
    return a.path == b.path and a.start_line < b.end_line and b.start_line < a.end_line
