"""Scores for masked-code predictions, as the code completion papers define them.

Owns comment removal (:func:`strip_comments`), the first-statement cut (:func:`first_statement`),
:func:`exact_match` and :func:`edit_similarity` (CrossCodeEval, Ding et al. 2023), the paired
bootstrap (:func:`paired_bootstrap`) that compares two strategies on the same tasks, and small
summary helpers (:func:`mean`, :func:`share`, :func:`percentile`, :func:`summarize`).

CrossCodeEval cuts the prediction to its first statement with a parser, removes comments from the
prediction and the reference, and then counts an exact match when the lists of stripped
non-empty lines are equal; edit similarity is ``fuzz.ratio`` of the two stripped strings.  A model
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
from collections.abc import Sequence

from rapidfuzz import fuzz

__all__ = [
    "code_lines",
    "edit_similarity",
    "exact_match",
    "first_statement",
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


def _strip_python(code: str) -> str:
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch == "#":
            i = _skip_line(code, i)
            continue
        if ch in "'\"":
            quote = ch * 3 if code.startswith(ch * 3, i) else ch
            j = _skip_string(code, i, quote)
            out.append(code[i:j])
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _strip_c_like(code: str) -> str:
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if code.startswith("//", i):
            i = _skip_line(code, i)
            continue
        if code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch in "'\"`":
            j = _skip_string(code, i, ch)
            out.append(code[i:j])
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _strip_lua(code: str) -> str:
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if code.startswith("--", i):
            level = _lua_long_bracket(code, i + 2)
            if level is None:
                i = _skip_line(code, i)
            else:
                end = code.find("]" + "=" * level + "]", i + 4 + level)
                i = n if end < 0 else end + level + 2
            continue
        level = _lua_long_bracket(code, i)
        if level is not None:
            end = code.find("]" + "=" * level + "]", i + 2 + level)
            j = n if end < 0 else end + level + 2
            out.append(code[i:j])
            i = j
            continue
        if ch in "'\"":
            j = _skip_string(code, i, ch)
            out.append(code[i:j])
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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


def edit_similarity(prediction: str, target: str, language: str | None = None) -> float:
    """CrossCodeEval edit similarity: ``fuzz.ratio`` (0-100) of the stripped, cut strings."""
    expected = code_lines(target, language)
    got = first_statement(prediction, language, lines=len(expected))
    return float(fuzz.ratio(got.strip(), "\n".join(expected).strip()))


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
