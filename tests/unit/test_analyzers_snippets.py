"""Identifier sets, line windows and Jaccard ranking of snippets on plain strings."""

from __future__ import annotations

import pytest

from analyzers.snippets import (
    Snippet,
    identifier_set,
    jaccard,
    rank_snippets,
    snippet_windows,
)


def snip(path: str, start: int, ids: str, lines: int = 1) -> Snippet:
    text = "\n".join([ids] + ["x"] * (lines - 1))
    return Snippet(path, start, text, frozenset(ids.split()))


def test_identifier_set_drops_keywords_and_one_letter_names() -> None:
    text = "def load(path):\n    for i in range(10): return self.cache_2[path] if x else None"
    assert identifier_set(text) == {"load", "path", "range", "cache_2"}


def test_identifier_set_of_text_without_identifiers() -> None:
    assert identifier_set("  123 + (4) {}\n") == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"a", "b", "c"}, {"b", "c", "d"}, 0.5),
        ({"aa", "bb"}, {"aa", "bb"}, 1.0),
        ({"aa"}, {"bb"}, 0.0),
        ({"aa", "bb", "cc", "dd"}, {"aa"}, 0.25),
        (set(), set(), 0.0),
    ],
)
def test_jaccard_values(a: set[str], b: set[str], expected: float) -> None:
    assert jaccard(frozenset(a), frozenset(b)) == expected


def test_rank_scores_are_jaccard_of_identifier_sets() -> None:
    candidates = [snip("a.py", 0, "alpha beta gamma"), snip("b.py", 0, "beta gamma delta")]
    ranked = rank_snippets(frozenset({"beta", "gamma", "delta"}), candidates, limit=5)
    assert [(s.path, s.score) for s in ranked] == [("b.py", 1.0), ("a.py", 0.5)]


def test_rank_accepts_text_queries() -> None:
    candidates = [snip("a.py", 0, "load_config parse_args")]
    ranked = rank_snippets("cfg = load_config(parse_args())", candidates)
    assert [(s.path, s.score) for s in ranked] == [("a.py", 2 / 3)]


def test_rank_filters_by_min_score() -> None:
    query = frozenset({"aa", "bb", "cc", "dd"})
    candidates = [snip("low.py", 0, "aa zz yy xx ww"), snip("high.py", 0, "aa bb cc")]
    ranked = rank_snippets(query, candidates, min_score=0.15)
    assert [s.path for s in ranked] == ["high.py"]
    assert ranked[0].score == 0.75
    assert rank_snippets(query, candidates, min_score=0.8) == []


def test_rank_keeps_one_of_overlapping_windows_of_a_file() -> None:
    candidates = [
        snip("a.py", 0, "aa bb cc", lines=12),
        snip("a.py", 6, "aa bb cc dd", lines=12),
        snip("a.py", 12, "aa bb ee", lines=12),
        snip("b.py", 6, "aa bb ff", lines=12),
    ]
    ranked = rank_snippets(frozenset({"aa", "bb", "cc", "dd"}), candidates, limit=5)
    # a.py:0 (0.75) and a.py:12 (0.4) both overlap the best window, a.py:6 (1.0).
    assert [(s.path, s.start_line, s.score) for s in ranked] == [("a.py", 6, 1.0), ("b.py", 6, 0.4)]


def test_adjacent_windows_of_a_file_do_not_overlap() -> None:
    candidates = [snip("a.py", 0, "aa bb cc", lines=6), snip("a.py", 6, "aa bb dd", lines=6)]
    ranked = rank_snippets(frozenset({"aa", "bb", "cc", "dd"}), candidates, limit=5)
    assert [s.start_line for s in ranked] == [0, 6]


def test_rank_drops_near_duplicates() -> None:
    common = "aa bb cc dd ee ff gg hh ii"
    candidates = [
        snip("a.py", 0, common + " jj"),
        snip("b.py", 40, common + " kk"),  # Jaccard 9/11 with a.py: a near-duplicate
        snip("c.py", 0, "aa bb cc xx"),
    ]
    query = frozenset(common.split())
    ranked = rank_snippets(query, candidates, limit=3)
    assert [s.path for s in ranked] == ["a.py", "c.py"]
    kept = rank_snippets(query, candidates, limit=3, duplicate_threshold=0.9)
    assert [s.path for s in kept] == ["a.py", "b.py", "c.py"]


def test_rank_limit_and_empty_query() -> None:
    candidates = [snip(f"{i}.py", 0, "aa bb") for i in range(5)]
    assert len(rank_snippets(frozenset({"aa", "bb"}), candidates, limit=2)) == 1  # duplicates
    distinct = [snip(f"{i}.py", 0, f"aa bb c{i}x d{i}y") for i in range(5)]
    assert len(rank_snippets(frozenset({"aa", "bb"}), distinct, limit=2)) == 2
    assert rank_snippets("", candidates) == []
    assert rank_snippets(frozenset({"aa"}), candidates, limit=0) == []


def test_windows_overlap_and_cover_the_end() -> None:
    text = "\n".join(f"line_{i} = value_{i}" for i in range(20))
    windows = snippet_windows("f.py", text, window_lines=8, step=4)
    assert [w.start_line for w in windows] == [0, 4, 8, 12]
    assert windows[0].text.splitlines()[0] == "line_0 = value_0"
    assert windows[-1].text.splitlines()[-1] == "line_19 = value_19"
    assert windows[-1].end_line == 20
    assert windows[1].identifiers == identifier_set(windows[1].text)


def test_short_text_is_one_window() -> None:
    windows = snippet_windows("f.py", "alpha = beta\n")
    assert [(w.start_line, w.text) for w in windows] == [(0, "alpha = beta")]


def test_windows_skip_blank_regions_and_trim_blank_lines() -> None:
    text = "alpha = 1\n" + "\n" * 30 + "  \n" * 5 + "omega = 2\n"
    windows = snippet_windows("f.py", text, window_lines=12, step=6)
    assert [(w.start_line, w.text) for w in windows] == [(0, "alpha = 1"), (36, "omega = 2")]


def test_windows_of_empty_text() -> None:
    assert snippet_windows("f.py", "") == []
    assert snippet_windows("f.py", "\n\n  \n") == []


def test_windows_carry_the_lines_that_follow_them() -> None:
    text = "\n".join(f"line_{i} = value_{i}" for i in range(20)) + "\n\n\n"
    windows = snippet_windows("f.py", text, window_lines=8, step=4, follow_lines=3)
    first = windows[0]
    assert first.following == "line_8 = value_8\nline_9 = value_9\nline_10 = value_10"
    assert first.shown == first.text + "\n" + first.following
    assert first.identifiers == identifier_set(first.text)  # matching ignores what follows
    last = windows[-1]
    assert last.following == ""  # only blank lines follow the end
    assert last.shown == last.text
    assert snippet_windows("f.py", text, follow_lines=0)[0].following == ""
