"""analyzers.explain: what to explain, context pieces, and validation of a proposed fix."""

from __future__ import annotations

import pytest

from analyzers.explain import (
    bounded_code,
    code_subject,
    display_answer,
    extract_fix,
    fit_blocks,
    looks_binary,
    neighbourhood,
    own_definitions,
    scope_headers,
    short_message,
    validate_fix,
)
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument

PYTHON = (
    "import math\n"
    "\n"
    "\n"
    "def clamp(value, low, high):\n"
    "    return max(low, min(value, high))\n"
    "\n"
    "\n"
    "class Circle:\n"
    "    @property\n"
    "    def area(self, radius):\n"
    "        radius = clamp(radius, 0, 100)\n"
    "        total = math.pi * radius**2\n"
    "        return totl\n"
    "\n"
    "\n"
    "SIZE = Circle().area(2)\n"
)


def _doc(text: str, language: str | None = "python") -> SourceDocument:
    return SourceDocument(text, language_for(language, None) if language else None)


def _at(text: str, needle: str) -> int:
    return text.index(needle)


@pytest.mark.parametrize(
    ("needle", "kind", "name", "first_line"),
    [
        ("radius = clamp", "method", "area", 8),  # inside a method: the whole method
        ("    @property", "method", "area", 8),  # in the indentation of its decorator line
        ("return max", "function", "clamp", 3),
        ("def clamp", "function", "clamp", 3),  # on the definition's first character
        ("SIZE", "statement", None, 15),  # a top-level statement
        ("import math", "statement", None, 0),
    ],
)
def test_the_subject_at_a_cursor(needle: str, kind: str, name: str | None, first_line: int) -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, needle)
    subject = code_subject(doc, offset, offset)
    assert subject is not None
    assert (subject.kind, subject.name, subject.first_line) == (kind, name, first_line)


def test_a_method_keeps_its_indentation_and_scope() -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "total")
    subject = code_subject(doc, offset, offset)
    assert subject is not None
    assert subject.code(doc).startswith("    @property\n    def area(self, radius):\n")
    assert subject.code(doc).endswith("return totl")
    assert scope_headers(doc, subject) == ["class Circle:"]
    assert subject.label == "method area"


def test_a_selection_is_taken_as_written_and_whitespace_only_means_the_cursor() -> None:
    doc = _doc(PYTHON)
    start = _at(PYTHON, "math.pi")
    subject = code_subject(doc, start - 1, start + len("math.pi * radius**2") + 1)
    assert subject is not None and subject.kind == "selection"
    assert subject.code(doc) == "math.pi * radius**2"
    assert scope_headers(doc, subject) == ["class Circle:", "def area(self, radius):"]
    blank_in_method = _at(PYTHON, "        total") + 2
    spaces = code_subject(doc, blank_in_method - 2, blank_in_method)
    assert spaces is not None and spaces.kind == "method"


def test_nothing_to_explain_on_a_blank_line_between_definitions() -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "\n\nclass") + 1
    assert code_subject(doc, offset, offset) is None


def test_ranges_past_the_end_are_clamped() -> None:
    doc = _doc(PYTHON)
    subject = code_subject(doc, _at(PYTHON, "SIZE"), len(PYTHON) + 500)
    assert subject is not None and subject.code(doc) == "SIZE = Circle().area(2)"


@pytest.mark.parametrize(
    ("language", "text", "needle", "kind", "name", "scope"),
    [
        (
            "typescript",
            "class Box {\n  width = 1;\n  area(): number {\n    return this.width;\n  }\n}\n",
            "return",
            "method",
            "area",
            ["class Box {"],
        ),
        (
            "go",
            "package p\n\nfunc Sum(a, b int) int {\n\treturn a + b\n}\n",
            "return",
            "function",
            "Sum",
            [],
        ),
        (
            "rust",
            "struct P;\nimpl P {\n    fn x(&self) -> i32 {\n        1\n    }\n}\n",
            "1\n",
            "method",
            "x",
            ["impl P {"],
        ),
    ],
)
def test_subjects_in_other_languages(
    language: str, text: str, needle: str, kind: str, name: str, scope: list[str]
) -> None:
    doc = _doc(text, language)
    offset = _at(text, needle)
    subject = code_subject(doc, offset, offset)
    assert subject is not None and (subject.kind, subject.name) == (kind, name)
    assert scope_headers(doc, subject) == scope


def test_a_file_without_a_grammar_explains_the_line() -> None:
    doc = _doc("first line\nsecond line\n", None)
    subject = code_subject(doc, 14, 14)
    assert subject is not None and subject.kind == "line"
    assert subject.code(doc) == "second line"


def test_bounded_code_cuts_at_a_line_and_counts_what_was_left_out() -> None:
    text = "\n".join(f"line {i}" for i in range(100))
    kept, omitted = bounded_code(text, 10, lambda piece: 1)
    assert kept == "\n".join(f"line {i}" for i in range(10))
    assert omitted == 90
    assert bounded_code("short", 10, len) == ("short", 0)
    one_huge_line, cut = bounded_code("x" * 1000, 10, len)
    assert 0 < len(one_huge_line) < 1000 and cut == 1


def test_the_neighbourhood_is_whole_lines_without_blank_edges() -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "totl")
    region = neighbourhood(doc, offset, offset + 4)
    assert (region.first_line, region.last_line) == (9, 15)
    assert region.text.splitlines()[0] == "    def area(self, radius):"
    assert region.text.endswith("        return totl\n\n\nSIZE = Circle().area(2)")
    at_end = neighbourhood(_doc("x = 1\ny = 2\n\n\n\n"), 6, 7)
    assert (at_end.first_line, at_end.last_line, at_end.text) == (0, 1, "x = 1\ny = 2")


def test_own_definitions_the_code_uses_and_budgeted_blocks() -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "total")
    subject = code_subject(doc, offset, offset)
    assert subject is not None
    assert own_definitions(doc, subject, subject.code(doc)) == [
        "def clamp(value, low, high):\n    ..."
    ]
    blocks = ["a" * 40, "b" * 40, "a" * 40, "c" * 10]
    assert fit_blocks(blocks, 60, len) == ["a" * 40, "c" * 10]


def test_extract_fix_takes_the_last_closed_fix_block() -> None:
    answer = (
        "Cause.\n\n```python\nexample()\n```\n\n```fix\nfirst\n```\n\n~~~ python fix\nsecond\n~~~\n"
    )
    assert extract_fix(answer) == "second"
    assert extract_fix("No block.") is None
    assert extract_fix("```fix\nnot closed") is None
    assert display_answer("Text.\n\n```fix\ncode\n```", "python") == "Text.\n\n```python\ncode\n```"


@pytest.mark.parametrize(
    "proposal",
    [
        # the whole neighbourhood, corrected
        "    def area(self, radius):\n        radius = clamp(radius, 0, 100)\n"
        "        total = math.pi * radius**2\n        return total\n",
        # with a repeated line of context above it
        "class Circle:\n    @property\n    def area(self, radius):\n"
        "        radius = clamp(radius, 0, 100)\n        total = math.pi * radius**2\n"
        "        return total\n",
        # only the changed line, with or without its indentation
        "        return total",
        "return total",
    ],
    ids=["whole", "extra-context", "one-line", "one-line-unindented"],
)
def test_a_valid_fix_becomes_a_minimal_edit(proposal: str) -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "totl")
    edit, problems = validate_fix(doc, neighbourhood(doc, offset, offset + 4), proposal)
    assert problems == []
    assert edit is not None
    assert (edit.start, edit.end) == (_at(PYTHON, "        return totl"), offset + 4)
    assert edit.text == "        return total"
    assert (edit.first_line, edit.last_line) == (12, 12)


@pytest.mark.parametrize(
    ("proposal", "problem"),
    [
        ("        return total(", "more syntax errors"),
        ("        return totl", "changes nothing"),
        ("import os\n" * 15, "rewrites more"),
        ("print('something else entirely')", "does not match"),
        ("```\nreturn total\n```", "code fence"),
        ("        return total\x07", "control characters"),
        ("", "empty"),
    ],
)
def test_an_invalid_fix_is_rejected_with_a_reason(proposal: str, problem: str) -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "totl")
    edit, problems = validate_fix(doc, neighbourhood(doc, offset, offset + 4), proposal)
    assert edit is None
    assert len(problems) == 1 and problem in problems[0]


def test_a_fix_for_code_that_changed_meanwhile_is_rejected() -> None:
    doc = _doc(PYTHON)
    offset = _at(PYTHON, "totl")
    region = neighbourhood(doc, offset, offset + 4)
    doc.apply_change(offset, offset + 4, "tot")
    edit, problems = validate_fix(doc, region, "        return total")
    assert edit is None and problems == ["the code around the diagnostic has changed"]


def test_a_fix_keeps_crlf_line_endings() -> None:
    text = "def f(x):\r\n    return x +\r\n\r\ny = 2\r\n"
    doc = _doc(text)
    offset = _at(text, "return")
    edit, problems = validate_fix(
        doc, neighbourhood(doc, offset, offset), "    return (x +\n    1)"
    )
    assert problems == [] and edit is not None
    fixed = text[: edit.start] + edit.text + text[edit.end :]
    assert fixed == "def f(x):\r\n    return (x +\r\n    1)\r\n\r\ny = 2\r\n"


def test_no_fix_without_a_grammar() -> None:
    doc = _doc("a b c\n", None)
    region = neighbourhood(doc, 0, 1)
    assert validate_fix(doc, region, "a b d") == (
        None,
        ["Grove cannot check a fix in this file type"],
    )


def test_binary_text_and_short_messages() -> None:
    assert looks_binary("abc\x00def")
    assert looks_binary("\x01\x02\x03\x04" * 10)
    assert not looks_binary("plain text\twith tabs\r\nand CRLF\n")
    assert short_message("a  b\n c") == "a b c"
    assert short_message("x" * 100, 10) == "x" * 9 + "…"
