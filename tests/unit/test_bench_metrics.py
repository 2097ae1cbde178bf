"""grove bench's (and the harness's) metrics: exact match, edit similarity, bootstrap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from analyzers.bench.metrics import (
    code_lines,
    edit_similarity,
    exact_match,
    first_statement,
    indel_ratio,
    lcs_length,
    mean,
    paired_bootstrap,
    percentile,
    share,
    strip_comments,
    summarize,
)


def test_edit_similarity_is_indel_ratio_by_hand() -> None:
    # "abc" vs "abd": 1 deletion + 1 insertion over 6 characters -> (1 - 2/6) * 100.
    assert edit_similarity("abd", "abc") == pytest.approx(66.6667, abs=1e-3)
    # "x = 1" vs "x = 2": 2 edits over 10 characters.
    assert edit_similarity("x = 1", "x = 2", "python") == pytest.approx(80.0)
    assert edit_similarity("return x", "return x", "python") == 100.0
    assert edit_similarity("", "return x", "python") == 0.0


def test_edit_similarity_strips_and_cuts_the_prediction() -> None:
    assert edit_similarity("  return x  \n", "return x", "python") == 100.0
    assert edit_similarity("return x\nprint(y)\n", "return x", "python") == 100.0
    assert edit_similarity("return x  # done", "return x", "python") == 100.0


def test_exact_match_compares_stripped_nonempty_lines() -> None:
    assert exact_match("x = f(a, b)", "x = f(a, b)", "python")
    assert exact_match("  x = f(a, b)   ", "x = f(a, b)", "python")
    assert not exact_match("x = f(a,b)", "x = f(a, b)", "python")
    assert not exact_match("", "x = f(a, b)", "python")


def test_exact_match_cuts_a_single_line_target_at_the_first_nonempty_line() -> None:
    prediction = "\n\nx = f(a, b)\ny = 2\nz = 3\n"
    assert exact_match(prediction, "x = f(a, b)", "python")
    assert first_statement(prediction, "python") == "x = f(a, b)"


def test_exact_match_keeps_as_many_lines_as_a_multiline_target() -> None:
    target = "y = g(x)\n    return y"
    assert exact_match("y = g(x)\n\n    return y\n\ndef other():\n    pass\n", target, "python")
    assert not exact_match("y = g(x)\n", target, "python")
    assert first_statement("a\n\nb\nc\n", "python", lines=2) == "a\nb"


def test_comments_are_removed_before_the_cut() -> None:
    assert exact_match("# the answer\nreturn x  # done", "return x", "python")
    assert exact_match("-- note\nreturn x -- done", "return x", "lua")
    assert exact_match("/* note */ return x; // done", "return x;", "javascript")
    assert exact_match("return x; // done", "return x;", "typescript")


def test_strip_comments_respects_strings() -> None:
    assert strip_comments('s = "#not" + t  # yes', "python").rstrip() == 's = "#not" + t'
    assert strip_comments("s = '''a # b''' # c", "python").rstrip() == "s = '''a # b'''"
    assert strip_comments('s = "//x" + `/*y*/` // z', "javascript").rstrip() == (
        's = "//x" + `/*y*/`'
    )
    assert strip_comments("a /* one\ntwo */ b", "javascript") == "a  b"
    assert strip_comments('s = "--x" -- c', "lua").rstrip() == 's = "--x"'
    assert strip_comments("--[==[ long\n]] still ]==] x = [[--]]", "lua") == " x = [[--]]"
    assert strip_comments("# kept", None) == "# kept"


def test_code_lines_drop_blank_and_comment_only_lines() -> None:
    code = "a = 1  # one\n\n    # only a comment\n    b = 2\n"
    assert code_lines(code, "python") == ["a = 1", "    b = 2"]


def test_percentile_interpolates_linearly() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0], 0.95) == 10.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.0) == 1.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 1.0) == 4.0
    assert percentile(list(range(11)), 0.9) == pytest.approx(9.0)
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 95)


def test_mean_share_and_summarize() -> None:
    assert mean([1.0, 2.0, 6.0]) == 3.0
    assert mean([]) == 0.0
    assert share([True, False, True, True]) == 75.0
    assert share([]) == 0.0
    summary = summarize([1.0, 2.0, 3.0])
    assert summary["n"] == 3 and summary["mean"] == 2.0 and summary["p50"] == 2.0
    assert summarize([]) == {"n": 0}


def test_paired_bootstrap_finds_a_clear_difference() -> None:
    a = [50.0 + (i % 7) for i in range(60)]
    b = [x - 10.0 + (i % 3) for i, x in enumerate(a)]
    diff, low, high = paired_bootstrap(a, b, resamples=500, seed=1)
    assert diff == pytest.approx(mean(a) - mean(b))
    assert 0.0 < low <= diff <= high


def test_paired_bootstrap_on_identical_data_contains_zero() -> None:
    a = [float(i % 5) for i in range(40)]
    diff, low, high = paired_bootstrap(a, list(a), resamples=200)
    assert diff == 0.0
    assert low <= 0.0 <= high


def test_paired_bootstrap_on_noise_contains_zero_and_is_deterministic() -> None:
    a = [1.0, 0.0] * 20
    b = [0.0, 1.0] * 20
    result = paired_bootstrap(a, b, resamples=300, seed=3)
    assert result == paired_bootstrap(a, b, resamples=300, seed=3)
    diff, low, high = result
    assert diff == 0.0 and low < 0.0 < high


def test_paired_bootstrap_rejects_unpaired_input() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        paired_bootstrap([], [])


@given(st.text(max_size=80), st.text(max_size=80))
def test_indel_ratio_is_rapidfuzz_ratio(a: str, b: str) -> None:
    assert indel_ratio(a, b) == pytest.approx(fuzz.ratio(a, b), abs=1e-9)


def test_lcs_length_by_hand() -> None:
    assert lcs_length("", "abc") == 0
    assert lcs_length("abcbdab", "bdcaba") == 4
    assert lcs_length("x" * 200, "x" * 150) == 150  # longer than a machine word
