"""Scores for masked-code predictions, as the code completion papers define them.

Owns comment removal (:func:`strip_comments`), the first-statement cut (:func:`first_statement`),
:func:`exact_match` and :func:`edit_similarity` (CrossCodeEval, Ding et al. 2023), the paired
bootstrap (:func:`paired_bootstrap`) that compares two strategies on the same tasks, and small
summary helpers (:func:`mean`, :func:`share`, :func:`percentile`, :func:`summarize`).

CrossCodeEval cuts the prediction to its first statement with a parser, removes comments from the
prediction and the reference, and then counts an exact match when the lists of stripped
non-empty lines are equal; edit similarity is ``fuzz.ratio`` of the two stripped strings (the
Indel similarity, ``200 * LCS / (len(a) + len(b))``; computed here with a bit-parallel
longest-common-subsequence, :func:`indel_ratio`, so the product needs no ``rapidfuzz``).  A model
fragment (``x, y`` for an argument list, a half statement) does not parse on its own, so here the
cut is by lines instead, after comment removal (a leading comment line does not eat the cut):

* a single-line reference keeps the prediction's first non-empty line;
* a reference of *n* non-empty lines (a ``body`` target) keeps the prediction's first *n*
  non-empty lines -- the number the reference needs, so a model that goes on past the end of
  the function is judged on what it should have written, and one that stops early is not padded.

Comments are removed by a small lexer per language that skips string literals (Python ``#``,
Lua ``--`` and ``--[[ ]]``, JavaScript/TypeScript ``//`` and ``/* */``); docstrings are kept
(the masked targets never contain them).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

__all__ = [
    "code_lines",
    "edit_similarity",
    "exact_match",
    "first_statement",
    "indel_ratio",
    "lcs_length",
    "mean",
    "paired_bootstrap",
    "percentile",
    "share",
    "strip_comments",
    "summarize",
]


# ------------------------------------------------------------------------ comment removal


def _lua_long_bracket(code: str, i: int) -> int | None:
    """Level of a Lua long bracket ``[==[`` opening at ``i``, or None."""
    if not code.startswith("[", i):
        return None
    j = i + 1
    while j < len(code) and code[j] == "=":
        j += 1
    return j - i - 1 if code.startswith("[", j) else None


def _skip_line(code: str, i: int) -> int:
    """Index of the line break ending the line at ``i`` (or the end of the text)."""
    ends = [k for k in (code.find("\n", i), code.find("\r", i)) if k >= 0]
    return min(ends) if ends else len(code)


def _skip_string(code: str, i: int, quote: str) -> int:
    """Index just past the string literal opening with ``quote`` at ``i``."""
    n = len(code)
    j = i + len(quote)
    multiline = len(quote) == 3 or quote == "`"
    while j < n:
        ch = code[j]
        if ch == "\\":
            j += 2
            continue
        if code.startswith(quote, j):
            return j + len(quote)
        if not multiline and ch in "\r\n":
            return j
        j += 1
    return n


def _strip(
    code: str,
    comment_end: Callable[[str, int], int | None],
    string_end: Callable[[str, int], int | None],
) -> str:
    """``code`` without the comments ``comment_end`` finds; strings ``string_end`` finds are kept.

    Each callable returns the index just past the comment or string starting at ``i``, or None.
    """
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        end = comment_end(code, i)
        if end is not None:
            i = end
            continue
        end = string_end(code, i)
        if end is not None:
            out.append(code[i:end])
            i = end
            continue
        out.append(code[i])
        i += 1
    return "".join(out)


def _quoted(quotes: str, *, triple: bool = False) -> Callable[[str, int], int | None]:
    """A ``string_end`` for strings opened by one of ``quotes`` (Python: also tripled)."""

    def end(code: str, i: int) -> int | None:
        ch = code[i]
        if ch not in quotes:
            return None
        quote = ch * 3 if triple and code.startswith(ch * 3, i) else ch
        return _skip_string(code, i, quote)

    return end


def _python_comment(code: str, i: int) -> int | None:
    return _skip_line(code, i) if code[i] == "#" else None


def _c_comment(code: str, i: int) -> int | None:
    if code.startswith("//", i):
        return _skip_line(code, i)
    if code.startswith("/*", i):
        end = code.find("*/", i + 2)
        return len(code) if end < 0 else end + 2
    return None


def _lua_long_end(code: str, start: int, level: int) -> int:
    end = code.find("]" + "=" * level + "]", start)
    return len(code) if end < 0 else end + level + 2


def _lua_comment(code: str, i: int) -> int | None:
    if not code.startswith("--", i):
        return None
    level = _lua_long_bracket(code, i + 2)
    return _skip_line(code, i) if level is None else _lua_long_end(code, i + 4 + level, level)


def _lua_string(code: str, i: int) -> int | None:
    level = _lua_long_bracket(code, i)
    if level is not None:
        return _lua_long_end(code, i + 2 + level, level)
    return _quoted("'\"")(code, i)


def _strip_python(code: str) -> str:
    return _strip(code, _python_comment, _quoted("'\"", triple=True))


def _strip_c_like(code: str) -> str:
    return _strip(code, _c_comment, _quoted("'\"`"))


def _strip_lua(code: str) -> str:
    return _strip(code, _lua_comment, _lua_string)


def strip_comments(code: str, language: str | None) -> str:
    """``code`` without its comments (string literals respected); unknown languages unchanged."""
    if language == "python":
        return _strip_python(code)
    if language == "lua":
        return _strip_lua(code)
    if language in ("javascript", "typescript"):
        return _strip_c_like(code)
    return code


# ------------------------------------------------------------------------ match metrics


def code_lines(code: str, language: str | None) -> list[str]:
    """The non-empty lines of ``code`` once comments are removed (right-stripped)."""
    lines = (line.rstrip() for line in strip_comments(code, language).splitlines())
    return [line for line in lines if line.strip()]


def first_statement(prediction: str, language: str | None, *, lines: int = 1) -> str:
    """The prediction cut to its first ``lines`` non-empty lines, comments removed."""
    return "\n".join(code_lines(prediction, language)[: max(lines, 1)])


def exact_match(prediction: str, target: str, language: str | None = None) -> bool:
    """CrossCodeEval exact match: equal lists of stripped non-empty lines, after the cut."""
    expected = [line.strip() for line in code_lines(target, language)]
    got = [line.strip() for line in code_lines(prediction, language)[: max(len(expected), 1)]]
    return got == expected


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (bit-parallel, Hyyrö 2004)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    masks: dict[str, int] = {}
    for i, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(b)) - 1
    row = full
    for ch in a:
        matches = row & masks.get(ch, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(b) - row.bit_count()


def indel_ratio(a: str, b: str) -> float:
    """``rapidfuzz.fuzz.ratio``: 0-100, ``200 * LCS / (len(a) + len(b))``; 100 for two empties."""
    total = len(a) + len(b)
    return 100.0 if total == 0 else 200.0 * lcs_length(a, b) / total


def edit_similarity(prediction: str, target: str, language: str | None = None) -> float:
    """CrossCodeEval edit similarity: ``fuzz.ratio`` (0-100) of the stripped, cut strings."""
    expected = code_lines(target, language)
    got = first_statement(prediction, language, lines=len(expected))
    return indel_ratio(got.strip(), "\n".join(expected).strip())


# ------------------------------------------------------------------------ statistics


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    return math.fsum(values) / len(values) if values else 0.0


def share(flags: Sequence[bool]) -> float:
    """Percentage (0-100) of true flags; 0.0 for none."""
    return 100.0 * sum(1 for flag in flags if flag) / len(flags) if flags else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (``q`` in 0..1, e.g. 0.95), linear between closest ranks (NumPy's)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be within [0, 1], not {q}")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Sequence[float]) -> dict[str, float]:
    """JSON-ready count, mean, median, p90, min and max of ``values`` (only the count if none)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean": mean(values),
        "p50": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
        "min": min(values),
        "max": max(values),
    }


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Mean of ``a[i] - b[i]`` and its percentile bootstrap interval: ``(diff, low, high)``.

    The tasks are resampled with replacement (the pairs stay together), ``resamples`` times with
    ``random.Random(seed)``; the interval is the central ``confidence`` share of the resampled
    mean differences.  An interval that excludes 0 means the difference is not resampling noise.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} != {len(b)}")
    if not a:
        raise ValueError("paired bootstrap of no tasks")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be within (0, 1), not {confidence}")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    observed = mean(diffs)
    rng = random.Random(seed)
    n = len(diffs)
    means = [math.fsum(rng.choices(diffs, k=n)) / n for _ in range(max(resamples, 1))]
    tail = (1.0 - confidence) / 2
    return observed, percentile(means, tail), percentile(means, 1.0 - tail)
