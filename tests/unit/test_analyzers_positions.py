"""Line index and position-encoding conversion (analyzers.positions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.positions import (
    Encoding,
    LineIndex,
    column_to_units,
    last_non_space,
    line_starts,
    units_to_column,
)

PIECES = ["a", " ", "\t", "x = 1", "\n", "\r\n", "\r", "😀", "日本", "é", "𝄞", "}"]
PIECES += ["\u2028", "\x0c", "\x85"]  # not line breaks for LSP
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
ENCODINGS: list[Encoding] = ["utf-8", "utf-16", "utf-32"]


def test_line_breaks_lf_crlf_and_lone_cr() -> None:
    index = LineIndex("one\ntwo\r\nthree\rfour")
    assert index.line_count == 4
    assert [index.line_text(i) for i in range(4)] == ["one", "two", "three", "four"]
    assert [index.line_start(i) for i in range(4)] == [0, 4, 9, 15]


def test_trailing_break_starts_an_empty_line() -> None:
    index = LineIndex("a\r\n")
    assert index.line_count == 2
    assert index.line_text(1) == ""
    assert index.line_start(1) == 3


def test_empty_text_has_one_line() -> None:
    index = LineIndex("")
    assert index.line_count == 1
    assert index.line_text(0) == ""
    assert index.position_at(5) == (0, 0)
    assert index.offset_at(3, 3) == 0


def test_offset_at_clamps() -> None:
    index = LineIndex("ab\r\ncd")
    assert index.offset_at(0, 99) == 2  # end of line 0, before "\r\n"
    assert index.offset_at(-1, 5) == 0
    assert index.offset_at(7, 1) == 5  # last line, column 1
    assert index.offset_at(9, 99) == 6
    assert index.offset_at(1, -4) == 4


def test_position_at_clamps_and_maps_inside_crlf_to_line_end() -> None:
    index = LineIndex("ab\r\ncd")
    assert index.position_at(-3) == (0, 0)
    assert index.position_at(3) == (0, 2)  # between "\r" and "\n"
    assert index.position_at(4) == (1, 0)
    assert index.position_at(100) == (1, 2)


def test_emoji_in_utf16_and_utf8() -> None:
    line = "a😀b"
    assert column_to_units(line, 2, "utf-16") == 3
    assert column_to_units(line, 2, "utf-8") == 5
    assert column_to_units(line, 2, "utf-32") == 2
    assert units_to_column(line, 3, "utf-16") == 2
    assert units_to_column(line, 2, "utf-16") == 1  # inside the surrogate pair: rounds down
    assert units_to_column(line, 5, "utf-8") == 2
    for inside in (2, 3, 4):
        assert units_to_column(line, inside, "utf-8") == 1


def test_cjk_columns() -> None:
    line = "x = '日本語'"
    assert column_to_units(line, 7, "utf-16") == 7
    assert column_to_units(line, 7, "utf-8") == 11
    assert units_to_column(line, 11, "utf-8") == 7
    assert units_to_column(line, 10, "utf-8") == 6


def test_unit_conversions_clamp() -> None:
    assert units_to_column("abc", 99, "utf-16") == 3
    assert units_to_column("a😀", 99, "utf-8") == 2
    assert units_to_column("abc", -2, "utf-8") == 0
    assert column_to_units("a😀", 99, "utf-16") == 3
    assert column_to_units("a😀", -1, "utf-16") == 0


def test_lone_surrogate_does_not_crash() -> None:
    line = "a\ud800b"
    assert column_to_units(line, 3, "utf-8") == 5
    assert units_to_column(line, 4, "utf-8") == 2
    assert units_to_column(line, 2, "utf-16") == 2


def test_last_non_space() -> None:
    text = "abc  \n\t \n" + " " * 600
    assert last_non_space(text, len(text)) == 3
    assert last_non_space("   ", 3) == 0
    assert last_non_space("ab", 1) == 1


@given(texts)
def test_line_starts_agree_with_str_splitting(text: str) -> None:
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    index = LineIndex(text)
    assert index.line_count == normalised.count("\n") + 1
    assert [index.line_text(i) for i in range(index.line_count)] == normalised.split("\n")


@given(texts)
def test_offset_position_round_trip(text: str) -> None:
    index = LineIndex(text)
    for offset in range(len(text) + 1):
        line, column = index.position_at(offset)
        back = index.offset_at(line, column)
        if offset > 0 and text[offset - 1 : offset + 1] == "\r\n":
            assert back == offset - 1
        else:
            assert back == offset


@given(texts, st.sampled_from(ENCODINGS))
def test_units_round_trip(text: str, encoding: Encoding) -> None:
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    index = LineIndex(text)
    for row in range(index.line_count):
        line = index.line_text(row)
        for column in range(len(line) + 1):
            units = column_to_units(line, column, encoding)
            assert units == len(line[:column].encode(codec)) // width
            assert units_to_column(line, units, encoding) == column


@settings(max_examples=200, deadline=None)
@given(st.data(), texts)
def test_edited_index_equals_fresh_index(data: st.DataObject, text: str) -> None:
    index = LineIndex(text)
    for _ in range(5):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        inserted = data.draw(texts)
        new_text = text[:start] + inserted + text[end:]
        index = index.edited(new_text, start, end, start + len(inserted))
        assert index.starts == line_starts(new_text)
        text = new_text


@pytest.mark.parametrize("lines", [12_000])
def test_large_index_lookups(lines: int) -> None:
    text = "x = 1\r\n" * lines
    index = LineIndex(text)
    assert index.line_count == lines + 1
    assert index.position_at(7 * 5000 + 3) == (5000, 3)
    assert index.offset_at(11_999, 5) == 7 * 11_999 + 5


def test_only_lsp_line_breaks_split_lines() -> None:
    index = LineIndex("a\u2028b\x0cc\x85d\ve\nf")
    assert index.line_count == 2
    assert index.line_text(0) == "a\u2028b\x0cc\x85d\ve"
