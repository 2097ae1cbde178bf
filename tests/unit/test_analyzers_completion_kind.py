"""none / single-line / multi-line decisions (analyzers.completion_kind) in many languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.completion_kind import CompletionKind, completion_kind
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
CURSOR = "█"
N, S, M = CompletionKind.NONE, CompletionKind.SINGLE_LINE, CompletionKind.MULTI_LINE


def kind_at(language: str | None, source: str) -> CompletionKind:
    offset = source.index(CURSOR)
    text = source.replace(CURSOR, "", 1)
    spec = language_for(language, None) if language else None
    return completion_kind(SourceDocument(text, spec), offset)


CASES = [
    # Python
    ("python", "def f():\n    █", M),
    ("python", "def f():\n    █\n", M),
    ("python", "def f():\n    x = 1\n    █\n    return x\n", M),
    ("python", "if x:\n    █\nelse:\n    pass\n", M),
    ("python", "class A:\n    # comment\n    █", M),
    ("python", "import os\n█", M),
    ("python", "x = foo(a,\n    █", S),
    ("python", "x = [\n    1,\n    █\n]\n", S),
    ("python", "def f(a):\n    return a +\\\n        █", S),
    ("python", '"""doc\n█\n"""\n', S),
    ("python", "x = foo(█)", S),
    ("python", "x = foo(█):", S),
    ("python", "x = 1  # comm█", S),
    ("python", "    return val█", S),
    ("python", "x = fo█o", N),
    ("python", "█x = 1", N),
    ("python", "s = '日本█語'", N),
    ("python", "x = f(█x)", N),
    ("python", "home = pwd.getpwuid(█)[5]", S),
    ("javascript", "if (█) {\n  go();\n}", S),
    ("javascript", "if (█) for (var k of ks) go(k);", S),
    ("lua", "if █ then\n  return\nend", S),
    ("lua", "while █ do\nend", S),
    ("lua", "if x█then", N),
    # JavaScript / TypeScript / TSX
    ("javascript", "function f() {\n  █\n}\n", M),
    ("javascript", "if (x) {\n\t█\n}", M),
    ("javascript", "class A {\n  █\n}", M),
    ("javascript", "foo(1);\n█", M),
    ("javascript", "const o = {\n  a: 1,\n  █\n};", S),
    ("javascript", "const x = [\n  █\n];", S),
    ("javascript", "/*\n █\n*/", S),
    ("javascript", 'console.log("█");', S),
    ("typescript", "function f(a: number): number {\n  █\n}\n", M),
    ("typescript", "const s = `abc\n█\n`;", S),
    ("typescript", "interface A {\n  █\n}\n", M),
    ("tsx", "function App() {\n  █\n  return <div />;\n}\n", M),
    # Go / Rust / Java / C / C++ / C#
    ("go", "package main\n\nfunc f() {\n\t█\n}\n", M),
    ("go", "package main\n\nfunc f() {\n\tx := 1\n\t█\n}\n", M),
    ("go", "package main\n\nfunc f() {\n\tg(1,\n\t\t█\n\t)\n}\n", S),
    ("rust", "fn main() {\n    █\n}\n", M),
    ("rust", "impl A {\n    █\n}\n", M),
    ("java", "class A {\n    void f() {\n        █\n    }\n}\n", M),
    ("java", "class A {\n    █\n}\n", M),
    ("c", "int main(void) {\n    █\n}\n", M),
    ("c", "struct s {\n    █\n};\n", M),
    ("cpp", "namespace x {\n█\n}\n", M),
    ("csharp", "class A {\n    void F() {\n        █\n    }\n}\n", M),
    ("csharp", "namespace N\n{\n    █\n}\n", M),
    # Ruby / Lua / PHP / Bash
    ("ruby", "def foo(a)\n  █\nend\n", M),
    ("ruby", "class A\n  █\nend\n", M),
    ("ruby", "if x\n  █\nend\n", M),
    ("ruby", "items.each do |i|\n  █\nend\n", M),
    ("ruby", "def foo\n  x = 1\n  █\nend\n", M),
    ("lua", "function M.f(a)\n  █\nend\n", M),
    ("lua", "for i = 1, 10 do\n  █\nend\n", M),
    ("lua", "if x then\n  █\nend\n", M),
    ("lua", "local t = {\n  █\n}\n", S),
    ("php", "<?php\nfunction f() {\n    █\n}\n", M),
    ("php", "<?php\nclass A {\n    █\n}\n", M),
    ("bash", "f() {\n  █\n}\n", M),
    ("bash", "if [ -f x ]; then\n  █\nfi\n", M),
    ("bash", "for x in a b; do\n  █\ndone\n", M),
    ("bash", "echo hi\n█", M),
    ("bash", 'echo "hi █"', S),
    # Plain text / unknown language: decided from the previous line
    (None, "hello {\n  █", M),
    (None, "foo(a,\n  █", S),
    (None, "some words\n█", M),
    (None, "wor█ds", N),
]


@pytest.mark.parametrize(("language", "source", "expected"), CASES)
def test_completion_kind(language: str | None, source: str, expected: CompletionKind) -> None:
    assert kind_at(language, source) is expected


def test_empty_document_is_multi_line() -> None:
    assert kind_at("python", "█") is M
    assert kind_at(None, "█") is M


def test_offsets_out_of_range_are_clamped() -> None:
    doc = SourceDocument("x = 1\n", language_for("python", None))
    assert completion_kind(doc, 10_000) is M
    assert completion_kind(doc, -5) is N


def test_errors_elsewhere_fall_back_to_text() -> None:
    # An unclosed bracket far above makes the tree an ERROR around the cursor.
    source = "x = (\n\ndef f():\n    █\n"
    assert kind_at("python", source) is M


@pytest.mark.parametrize(
    ("name", "marker", "expected"),
    [
        ("sample.py", "        return sum(item.price for item in self._items.values())", S),
        ("sample.go", '\t\treturn "", ErrClosed', S),
        ("sample.rs", "        Point { x, y }", S),
        ("Sample.java", "        return Optional.empty();", S),
    ],
)
def test_end_of_real_lines(name: str, marker: str, expected: CompletionKind) -> None:
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    doc = SourceDocument(text, language_for(None, str(path)))
    offset = text.index(marker) + len(marker)
    assert completion_kind(doc, offset) is expected
    line_start = text.rfind("\n", 0, offset) + 1
    indent = len(marker) - len(marker.lstrip())
    assert completion_kind(doc, line_start + indent) is N  # before the statement's text


def test_new_line_inside_real_function_body() -> None:
    path = FIXTURES / "sample.go"
    text = path.read_text(encoding="utf-8")
    marker = "\ttotal := 0\n"
    offset = text.index(marker) + len(marker)
    doc = SourceDocument(text[:offset] + "\t\n" + text[offset:], language_for("go", None))
    assert completion_kind(doc, offset + 1) is M
