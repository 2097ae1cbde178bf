"""Post-processing of model output and streaming stop checks (analyzers.postprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.completion_kind import CompletionKind, completion_kind
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.postprocess import make_stop_check, postprocess

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
CURSOR = "█"
S, M = CompletionKind.SINGLE_LINE, CompletionKind.MULTI_LINE


def at_cursor(language: str | None, source: str) -> tuple[SourceDocument, int]:
    offset = source.index(CURSOR)
    spec = language_for(language, None) if language else None
    return SourceDocument(source.replace(CURSOR, "", 1), spec), offset


def run(
    language: str | None, source: str, raw: str, kind: CompletionKind | None = None
) -> str | None:
    doc, offset = at_cursor(language, source)
    text = doc.text
    chosen = completion_kind(doc, offset) if kind is None else kind
    result = postprocess(raw, doc, offset, chosen)
    assert doc.text == text  # the document is never touched
    return result


# --------------------------------------------------------------- first line and indentation


@pytest.mark.parametrize(
    "raw",
    [
        "\n    return a + b\n",  # SmolLM2: a newline first
        "\n\n    return a + b",
        "#\n    return a + b\n",  # SmolLM2: a stray comment marker first
        "    return a + b\n",  # indentation emitted again
        "return a + b\n",  # continues right after the prompt's indentation
        "\n        return a + b\n",  # deeper than the cursor: aligned to it
    ],
)
def test_smollm_style_openings_are_aligned(raw: str) -> None:
    assert run("python", "def add(a, b):\n    █\n", raw) == "return a + b"


def test_following_lines_shift_with_the_first() -> None:
    raw = "\n        if a:\n            return b\n        return a\nprint(1)"
    assert run("python", "def f(a, b):\n    █\n", raw) == "if a:\n        return b\n    return a"


def test_tabs_are_kept() -> None:
    raw = "\n\tif x {\n\t\treturn 1\n\t}\n\treturn 0\n}\n"
    result = run("go", "package m\n\nfunc f(x bool) int {\n\t█\n}\n", raw)
    assert result == "if x {\n\t\treturn 1\n\t}\n\treturn 0"


def test_single_line_takes_the_first_non_blank_line() -> None:
    assert run("python", "x = 1\n█\n", "\n\ny = x + 1\nz = 3\n", S) == "y = x + 1"


def test_mid_line_single_line_keeps_the_first_line_only() -> None:
    assert run("python", "total = compute(█", "a, b)\nprint(total)\n") == "a, b)"
    assert run("python", "total = compute(█", "\nprint(total)\n") is None


def test_lone_comment_marker_only_is_rejected() -> None:
    assert run("python", "def f():\n    █\n", "#\n") is None
    assert run("python", "def f():\n    █\n", "\n\n   \n") is None
    assert run("python", "def f():\n    █\n", "") is None


def test_none_kind_is_rejected() -> None:
    assert run("python", "x = fo█o\n", "bar", CompletionKind.NONE) is None


# --------------------------------------------------------------------- multi-line block ends


@pytest.mark.parametrize(
    ("language", "source", "raw", "expected"),
    [
        (
            "python",
            "def f(a, b):\n    █\n",
            "\n    return a + b\n\ndef g():\n    pass\n",
            "return a + b",
        ),
        (
            "python",
            "class A:\n    def f(self):\n        █\n",
            "x = 1\n        return x\n    def g(self):\n        pass\n",
            "x = 1\n        return x",
        ),
        (
            "javascript",
            "function f() {\n  █\n}\n",
            "const x = 1;\n  return x;\n}\n\nfunction g() {}\n",
            "const x = 1;\n  return x;",
        ),
        (
            "javascript",
            "function f() {\n  █\n}\n",
            "if (a) {\n    return 1;\n  }\n  return 2;\n}\n",
            "if (a) {\n    return 1;\n  }\n  return 2;",
        ),
        ("go", "package m\n\nfunc f() int {\n\t█\n}\n", "\n\treturn 1\n}\n", "return 1"),
        (
            "rust",
            "fn f() -> i32 {\n    █\n}\n",
            "let x = 2;\n    x * 2\n}\n\nfn g() {}",
            "let x = 2;\n    x * 2",
        ),
        ("ruby", "def foo(a)\n  █\nend\n", "a * 2\nend\n", "a * 2"),
        (
            "lua",
            "function M.f(a)\n  █\nend\n",
            "return a + 1\nend\n\nfunction M.g()\n",
            "return a + 1",
        ),
        (
            "csharp",
            "class A {\n    int F() {\n        █\n    }\n}\n",
            "var x = 1;\n        return x;\n    }\n}\n",
            "var x = 1;\n        return x;",
        ),
        ("bash", "f() {\n  █\n}\n", 'echo "hi 👋"\n  return 0\n}\n', 'echo "hi 👋"\n  return 0'),
        (
            "python",
            "import os\n\n█\n",
            "def a():\n    return 1\n\ndef b():\n    return 2\n",
            "def a():\n    return 1",
        ),
    ],
)
def test_multi_line_is_cut_where_the_block_ends(
    language: str, source: str, raw: str, expected: str
) -> None:
    assert run(language, source, raw, M) == expected


def test_closing_a_bracket_opened_before_the_suggestion_ends_it() -> None:
    source = "function f() {\n  █\n}\n"
    raw = "const a = 1;\n  }); more();\n"
    assert run("javascript", source, raw, M) == "const a = 1;"


def test_rust_lifetimes_are_not_quotes() -> None:
    source = "impl S {\n    █\n}\n"
    raw = "fn get<'a>(&'a self) -> &'a str {\n        &self.name\n    }\n}\n"
    expected = "fn get<'a>(&'a self) -> &'a str {\n        &self.name\n    }"
    assert run("rust", source, raw, M) == expected


def test_lines_that_already_follow_the_cursor_are_dropped() -> None:
    source = "def f():\n    █\n    return total\n"
    assert run("python", source, "total = 1\nreturn total\n", M) == "total = 1"
    assert run("python", source, "return total\n", M) is None


# ----------------------------------------------------------------------------- overlap


@pytest.mark.parametrize(
    ("language", "source", "raw", "expected"),
    [
        ("python", "x = foo(█)\n", "a, b)", "a, b"),
        ("python", "def f(█):\n    pass\n", "a, b):", "a, b"),
        ("python", "x = foo(█)\n", "bar(1))", "bar(1)"),
        ("python", 'print("abc█")\n', 'def")', "def"),
        ("javascript", "call(█);\n", "a, b);", "a, b"),
        ("javascript", "const s = [█];\n", "1, 2, 3", "1, 2, 3"),
        ("go", "package m\n\nvar x = f(█)\n", "1, 2)", "1, 2"),
        # Holes closed by the text after the cursor: conditions and argument lists mid-line.
        ("python", "import os, pwd\nh = pwd.getpwuid(█)[5]\n", "os.getuid())['x']", "os.getuid()"),
        ("javascript", "if (█) {\n  go();\n}\n", "ready) {", "ready"),
        ("javascript", "if (█) {\n  go();\n}\n", "a && (b || c)) {", "a && (b || c)"),
        ("typescript", "if (█) {\n  go();\n}\n", "ok) { return; }", "ok"),
        ("lua", "if █ then\n  return\nend\n", "x == 1 then", "x == 1"),
    ],
)
def test_overlap_with_text_after_the_cursor(
    language: str, source: str, raw: str, expected: str
) -> None:
    assert run(language, source, raw, S) == expected


# -------------------------------------------------------------------------- repetition


def test_repeated_lines_keep_one_copy() -> None:
    raw = "x += 1\n    x += 1\n    x += 1\n    x += 1\n"
    assert run("python", "def f(x):\n    █\n", raw, M) == "x += 1"


def test_repeated_line_pairs_keep_one_copy() -> None:
    raw = "\n" + "    a()\n    b()\n" * 3
    assert run("python", "def f():\n    █\n", raw, M) == "a()\n    b()"


def test_runaway_repetition_within_a_line() -> None:
    raw = "value = value + value + value + value + value + value + value"
    assert run("python", "def f(value):\n    █\n", raw, S) == "value = value + value"
    # A data row is not runaway text: its repetition does not run to the end.
    row = "table = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]"
    assert run("python", "def f():\n    █\n", row, S) == row


# ---------------------------------------------------------------------- parse validation


def test_suggestion_that_breaks_a_clean_parse_is_rejected() -> None:
    source = "def f():\n    █\n\nx = 1\n"
    assert run("python", source, "return (1", S) is None
    assert run("python", source, "return (1)", S) == "return (1)"


def test_suggestion_that_adds_errors_to_a_broken_document_is_rejected() -> None:
    source = "def f(:\n    pass\n\ndef g():\n    █\n"
    doc, offset = at_cursor("python", source)
    assert doc.has_syntax_errors
    assert postprocess("return 1", doc, offset, S) == "return 1"
    assert postprocess("return ((1", doc, offset, S) is None


def test_suggestion_that_fixes_the_document_is_accepted() -> None:
    assert run("python", "result = compute(█\n", "a, b)", S) == "a, b)"
    assert run("javascript", "if (ready) {\n  █\n", "go();\n}", M) == "go();\n}"


def test_multi_line_is_shortened_to_the_longest_valid_prefix() -> None:
    source = "function f() {\n  █\n}\n"
    raw = "const a = 1;\n  const b = 2;\n  if (a > b) {\n    return a;\n"
    assert run("javascript", source, raw, M) == "const a = 1;\n  const b = 2;"


def test_no_tree_means_no_validation() -> None:
    assert run(None, "notes: █\n", "an (unbalanced thought", S) == "an (unbalanced thought"


# ------------------------------------------------------------------------ line endings


def test_crlf_documents_get_crlf() -> None:
    source = "def f():\r\n    █\r\n"
    result = run("python", source, "x = 1\n    return x\n", M)
    assert result == "x = 1\r\n    return x"
    mixed = run("python", source, "x = 1\r\n    return x\r\n", M)
    assert mixed == "x = 1\r\n    return x"


def test_non_ascii_output_is_kept() -> None:
    source = "def greet():\n    █\n"
    assert run("python", source, 'return "こんにちは 👋"\n', M) == 'return "こんにちは 👋"'


# ---------------------------------------------------------------------------- stop check


def stream_until_stop(doc: SourceDocument, offset: int, kind: CompletionKind, raw: str) -> str:
    check = make_stop_check(doc, offset, kind)
    received = ""
    for ch in raw:
        received += ch
        if check(received):
            return received
    return received


def test_single_line_stops_after_the_first_non_blank_line() -> None:
    doc, offset = at_cursor("python", "def f():\n    █\n")
    raw = "\n\n    return 1\n    x = 2\n"
    received = stream_until_stop(doc, offset, S, raw)
    assert received == "\n\n    return 1\n"
    assert postprocess(received, doc, offset, S) == "return 1"


def test_mid_line_single_line_stops_at_the_first_newline() -> None:
    doc, offset = at_cursor("python", "value = compute(█\n")
    assert stream_until_stop(doc, offset, S, "a, b)\nprint(value)\n") == "a, b)\n"


def test_multi_line_stops_on_dedent() -> None:
    doc, offset = at_cursor("python", "def f(a):\n    █\n")
    raw = "\n    if a:\n        return 1\n    return 2\n\ndef g():\n    pass\n"
    received = stream_until_stop(doc, offset, M, raw)
    assert received.endswith("def g():\n")
    assert postprocess(received, doc, offset, M) == "if a:\n        return 1\n    return 2"


def test_multi_line_does_not_stop_inside_the_block() -> None:
    doc, offset = at_cursor("python", "def f(a):\n    █\n")
    check = make_stop_check(doc, offset, M)
    assert not check("\n    if a:\n        return 1\n    return 2\n")
    assert not check("\n")
    assert not check("x = [\n        1,\n        2,\n    ]\n")


def test_multi_line_stops_on_a_closing_brace() -> None:
    doc, offset = at_cursor("typescript", "function f(): number {\n  █\n}\n")
    raw = "const x = 1;\n  return x;\n}\n\nfunction g() {}\n"
    received = stream_until_stop(doc, offset, M, raw)
    assert received == "const x = 1;\n  return x;\n}\n"


def test_multi_line_stops_on_a_new_definition_after_a_blank_line() -> None:
    doc, offset = at_cursor("python", "import os\n\n█\n")
    raw = "def a():\n    return 1\n\ndef b():\n    return 2\n"
    assert stream_until_stop(doc, offset, M, raw) == "def a():\n    return 1\n\ndef b():\n"


def test_multi_line_stops_on_repetition() -> None:
    doc, offset = at_cursor("python", "def f(x):\n    █\n")
    raw = "\n" + "    x += 1\n" * 10
    assert stream_until_stop(doc, offset, M, raw) == "\n" + "    x += 1\n" * 3


def test_none_kind_stops_at_once() -> None:
    doc, offset = at_cursor("python", "x = 1\n█")
    assert make_stop_check(doc, offset, CompletionKind.NONE)("")


@pytest.mark.parametrize(
    ("name", "marker", "raw", "expected"),
    [
        (
            "sample.go",
            "\ttotal := 0\n",
            "\tcount := len(o.Items)\n\t_ = count\n}\n\nfunc Other() {}\n",
            "count := len(o.Items)\n\t_ = count",
        ),
        (
            "sample.rb",
            "    @ingredients << ingredient\n",
            "    @count = (@count || 0) + 1\n    self\n  end\n",
            "@count = (@count || 0) + 1",
        ),
    ],
)
def test_real_files(name: str, marker: str, raw: str, expected: str) -> None:
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    offset = text.index(marker) + len(marker)
    indent = marker[: len(marker) - len(marker.lstrip())]
    text = text[:offset] + indent + "\n" + text[offset:]
    doc = SourceDocument(text, language_for(None, str(path)))
    cursor = offset + len(indent)
    assert completion_kind(doc, cursor) is M
    assert postprocess(raw, doc, cursor, M) == expected
