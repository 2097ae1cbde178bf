"""Docstring targets on awkward inputs: each shape of definition, broken files, CRLF, tabs."""

from __future__ import annotations

from analyzers.docstrings import DocTarget, find_target
from tests.unit.test_analyzers_docstrings import _doc, _skeleton_applied


def _target(text: str, path: str, marker: str) -> DocTarget | None:
    return find_target(_doc(text, path), text.index(marker) + 1)


def test_cursor_outside_any_definition_has_no_target() -> None:
    text = "import os\n\nLIMIT = 3\n\n\ndef f():\n    pass\n"
    assert _target(text, "a.py", "LIMIT") is None
    assert _target("const x = 1;\nfunction f() {}\n", "a.js", "x = 1") is None
    assert _target("package p\n\nvar X = 1\n", "a.go", "X = 1") is None


def test_syntax_error_elsewhere_still_works() -> None:
    text = "def ok(a):\n    return a\n\n\ndef broken(:\n    pass\n"
    target = _target(text, "a.py", "return a")
    assert target is not None and target.name == "ok"
    out = _skeleton_applied(text, "a.py", "return a")
    assert out.endswith("def broken(:\n    pass\n")


def test_syntax_error_inside_the_function_has_no_target() -> None:
    text = "def ok(a):\n    return a\n\n\ndef bad(b):\n    return (b +\n"
    assert _target(text, "a.py", "(b +") is None


def test_python_lambda_belongs_to_its_enclosing_function() -> None:
    text = "def outer(xs):\n    key = lambda x: x * 2\n    return sorted(xs, key=key)\n"
    target = _target(text, "a.py", "x * 2")
    assert target is not None and target.name == "outer"


def test_python_nested_function_is_documented_not_its_parent() -> None:
    text = "def outer(a):\n    def inner(b):\n        return b\n    return inner(a)\n"
    target = _target(text, "a.py", "return b")
    assert target is not None and (target.name, [p.name for p in target.params]) == (
        "inner",
        ["b"],
    )


def test_python_overload_stub_body_moves_to_its_own_line() -> None:
    text = (
        "from typing import overload\n\n\n@overload\ndef f(x: int) -> int: ...\n"
        "@overload\ndef f(x: str) -> str: ...\ndef f(x):\n    return x\n"
    )
    out = _skeleton_applied(text, "a.py", "(x: str)")
    assert '@overload\ndef f(x: str) -> str:\n    """TODO: describe f.' in out
    assert '    """\n    ...\ndef f(x):\n' in out


def test_python_async_generic_star_args() -> None:
    text = (
        "async def gather[T](*aws: T, limit: int = 3, **options) -> list[T]:\n"
        "    return [await a for a in aws]\n"
    )
    target = _target(text, "a.py", "return")
    assert target is not None
    assert [(p.name, p.type, p.default) for p in target.params] == [
        ("*aws", "T", None),
        ("limit", "int", "3"),
        ("**options", None, None),
    ]
    assert "        *aws: TODO.\n        limit: TODO.\n        **options: TODO.\n" in (
        _skeleton_applied(text, "a.py", "return")
    )


def test_typescript_overload_signatures_stay_above_the_implementation_doc() -> None:
    text = (
        "function pad(s: string): string;\nfunction pad(n: number): string;\n"
        "function pad(v: any): string {\n  return String(v);\n}\n"
    )
    target = _target(text, "a.ts", "return String")
    assert target is not None and [p.name for p in target.params] == ["v"]
    out = _skeleton_applied(text, "a.ts", "return String")
    assert out.startswith(
        "function pad(s: string): string;\nfunction pad(n: number): string;\n/**\n"
    )


def test_javascript_destructured_parameters_are_not_listed_by_name() -> None:
    text = "export function draw({ x, y }, [w, h], ...rest) {\n  return x + y + w + h;\n}\n"
    target = _target(text, "a.js", "return")
    assert target is not None and [p.name for p in target.params] == ["...rest"]
    assert "@param rest - TODO." in _skeleton_applied(text, "a.js", "return")


def test_typescript_generic_async_arrow_function() -> None:
    text = (
        "export const load = async <T,>(url: string, retries = 2): Promise<T> => {\n"
        "  return fetch(url) as T;\n};\n"
    )
    target = _target(text, "a.ts", "fetch")
    assert target is not None and target.name == "load"
    assert [(p.name, p.type, p.default) for p in target.params] == [
        ("url", "string", None),
        ("retries", None, "2"),
    ]
    assert target.returns_value


def test_crlf_files_keep_crlf_in_every_language() -> None:
    cases = [
        ("a.py", "def f(a):\r\n    return a\r\n", "return"),
        (
            "A.java",
            "class A {\r\n    int f(int a) {\r\n        return a;\r\n    }\r\n}\r\n",
            "return",
        ),
        ("a.rb", "def f(a)\r\n  a\r\nend\r\n", "a\r\nend"),
        ("a.lua", "local function f(a)\r\n  return a\r\nend\r\n", "return"),
    ]
    for path, text, marker in cases:
        out = _skeleton_applied(text, path, marker)
        assert "\n" not in out.replace("\r\n", ""), path


def test_tab_indented_comment_languages_keep_tabs() -> None:
    text = "class A {\n\tint f(int a) {\n\t\treturn a;\n\t}\n}\n"
    out = _skeleton_applied(text, "A.java", "return")
    assert "\n\t/**\n\t * TODO: describe f.\n" in out
    assert "\n\t */\n\tint f(int a) {\n" in out
