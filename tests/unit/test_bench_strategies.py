"""The harness's baseline context strategies (benchmarks.quality.strategies)."""

from __future__ import annotations

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from benchmarks.quality.strategies import BASELINES, alternating, fixed_lines, prefix_only

LINES = [f"line_{i:02d} = {i}\n" for i in range(60)]  # 13 characters each
TEXT = "".join(LINES)


def per_line(text: str) -> int:
    """A stand-in tokenizer: one token per line started."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def doc() -> SourceDocument:
    return SourceDocument(TEXT, language_for(None, "t.py"))


CURSOR = TEXT.index("line_30") + len("line_30 =")  # inside line 30


def test_prefix_only_takes_whole_lines_nearest_first() -> None:
    layout = prefix_only(doc(), CURSOR, 5, per_line, True)
    assert layout.prefix == "".join(LINES[26:30]) + "line_30 ="
    assert layout.suffix == ""


def test_fixed_lines_counts_lines_and_caps_the_suffix_at_a_quarter() -> None:
    layout = fixed_lines(3, 2)(doc(), CURSOR, 1000, per_line, True)
    assert layout.prefix == "".join(LINES[27:30]) + "line_30 ="
    assert layout.suffix == " 30\n" + "".join(LINES[31:33])
    tight = fixed_lines(20, 20)(doc(), CURSOR, 8, per_line, True)
    assert tight.suffix == " 30\n" + "".join(LINES[31:32])  # a quarter of 8: 2 tokens
    assert per_line(tight.prefix) + per_line(tight.suffix) <= 8


def test_modes_without_a_suffix_spend_nothing_on_it() -> None:
    for build in BASELINES.values():
        layout = build(doc(), CURSOR, 6, per_line, False)
        assert layout.suffix == ""
        assert layout.prefix.endswith("line_30 =")


def test_alternating_adds_lines_on_both_sides_in_turn() -> None:
    layout = alternating(doc(), CURSOR, 6, per_line, True)
    # The cursor line's two halves cost 2; then before, after, before, after.
    assert layout.prefix == "".join(LINES[28:30]) + "line_30 ="
    assert layout.suffix == " 30\n" + "".join(LINES[31:33])


def test_alternating_keeps_going_on_one_side_at_the_file_edge() -> None:
    start = TEXT.index("line_01") + 3
    layout = alternating(doc(), start, 6, per_line, True)
    assert layout.prefix == LINES[0] + "lin"
    assert layout.suffix == "e_01 = 1\n" + "".join(LINES[2:5])
