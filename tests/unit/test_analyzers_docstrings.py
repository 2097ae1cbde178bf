"""Docstring targets, placement, style detection, answer parsing, validation and skeletons."""

from __future__ import annotations

import pytest

from analyzers.docstrings import (
    DocContent,
    DocEdit,
    DocTarget,
    Param,
    detect_python_style,
    find_target,
    parse_answer,
    render_edit,
    salvage_answer,
    skeleton,
    validate_edit,
)
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument


def _doc(text: str, path: str) -> SourceDocument:
    return SourceDocument(text, language_for(None, path))


def _target(text: str, path: str, marker: str) -> tuple[SourceDocument, DocTarget]:
    doc = _doc(text, path)
    target = find_target(doc, text.index(marker) + 1)
    assert target is not None
    return doc, target


def _apply(doc: SourceDocument, edit: DocEdit) -> str:
    return doc.text[: edit.start] + edit.text + doc.text[edit.end :]


def _skeleton_applied(text: str, path: str, marker: str) -> str:
    doc, target = _target(text, path, marker)
    edit = render_edit(skeleton(target), target)
    assert validate_edit(doc, target, edit) == []
    return _apply(doc, edit)


def _content(target: DocTarget, summary: str = "Do the thing.") -> DocContent:
    return DocContent(
        summary=summary,
        params={p.key: f"The {p.key}." for p in target.params},
        returns="The result." if target.returns_value else "",
        raises={r: "On failure." for r in target.raises},
    )


# ---------------------------------------------------------------------- Python placement

METHOD = '''\
class Shelf:
    """Books."""

    def add(self, book, *, front=False):
        self.books.append(book)
'''


def test_python_method_in_class_is_indented_to_the_body() -> None:
    doc, target = _target(METHOD, "a.py", "append")
    assert (target.kind, target.name) == ("method", "add")
    assert [p.name for p in target.params] == ["book", "front"]
    edit = render_edit(_content(target, "Add a book."), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit) == (
        "class Shelf:\n"
        '    """Books."""\n'
        "\n"
        "    def add(self, book, *, front=False):\n"
        '        """Add a book.\n'
        "\n"
        "        Args:\n"
        "            book: The book.\n"
        "            front: The front.\n"
        '        """\n'
        "        self.books.append(book)\n"
    )


def test_python_nested_function_is_the_innermost_target() -> None:
    text = "def outer(a):\n    def inner(b):\n        return b\n    return inner(a)\n"
    _, target = _target(text, "a.py", "return b")
    assert target.name == "inner"
    assert target.indent == "        "
    out = _skeleton_applied(text, "a.py", "return b")
    assert '    def inner(b):\n        """TODO: describe inner.\n' in out
    assert out.endswith("        return b\n    return inner(a)\n")


def test_python_async_decorated_function_with_all_parameter_kinds() -> None:
    text = (
        "@cache\n"
        "@other(1)\n"
        "async def fetch(url: str, retries: int = 3, *args: str, timeout=None, **kwargs)"
        " -> bytes:\n"
        "    if retries < 0:\n"
        "        raise ValueError(retries)\n"
        "    def helper():\n"
        "        raise KeyError\n"
        "    raise errors.Timeout()\n"
    )
    _, target = _target(text, "a.py", "@cache")  # on the decorator line
    assert target.name == "fetch"
    assert target.params == (
        Param("url", "str", None),
        Param("retries", "int", "3"),
        Param("*args", "str", None),
        Param("timeout", None, "None"),
        Param("**kwargs", None, None),
    )
    assert target.raises == ("ValueError", "errors.Timeout")  # not KeyError (nested def)
    assert target.returns == "bytes" and target.returns_value
    out = _skeleton_applied(text, "a.py", "@cache")
    assert "        *args: TODO.\n        timeout: TODO.\n        **kwargs: TODO.\n" in out
    assert "    Raises:\n        ValueError: TODO.\n        errors.Timeout: TODO.\n" in out
    assert out.startswith("@cache\n@other(1)\nasync def fetch(")


def test_python_classmethod_excludes_cls_and_class_has_no_params() -> None:
    text = "class A:\n    @classmethod\n    def make(cls, x):\n        return cls(x)\n"
    _, method = _target(text, "a.py", "return cls")
    assert [p.name for p in method.params] == ["x"]
    _, cls = _target(text, "a.py", "class A")
    assert cls.kind == "class" and not cls.lists_params


def test_python_crlf_file_keeps_crlf() -> None:
    text = "def f(a):\r\n    return a\r\n"
    out = _skeleton_applied(text, "a.py", "return")
    assert out == (
        'def f(a):\r\n    """TODO: describe f.\r\n\r\n    Args:\r\n        a: TODO.\r\n\r\n'
        '    Returns:\r\n        TODO.\r\n    """\r\n    return a\r\n'
    )


def test_python_tab_indented_body_uses_tabs() -> None:
    text = "class A:\n\tdef f(self):\n\t\tpass\n"
    out = _skeleton_applied(text, "a.py", "pass")
    assert out == 'class A:\n\tdef f(self):\n\t\t"""TODO: describe f."""\n\t\tpass\n'


def test_python_body_on_the_header_line_moves_to_its_own_line() -> None:
    text = "def f(a): return a\n"
    out = _skeleton_applied(text, "a.py", "return")
    assert out.startswith('def f(a):\n    """TODO: describe f.\n')
    assert out.endswith('    """\n    return a\n')


def test_python_existing_docstring_is_replaced_in_place() -> None:
    text = "def g(a, /, *, b=2):\n\t'''Old.'''\n\treturn a\n"
    doc, target = _target(text, "a.py", "return")
    assert target.existing == "'''Old.'''"
    edit = render_edit(DocContent("New.", params={"a": "A.", "b": "B."}), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit).startswith('def g(a, /, *, b=2):\n\t"""New.\n\n\tArgs:\n\t    a: A.')


def test_no_target_outside_definitions() -> None:
    text = "import os\n\nX = 1\n\ndef f():\n    pass\n"
    assert find_target(_doc(text, "a.py"), text.index("X = 1") + 1) is None
    assert find_target(_doc("plain text", "notes.txt"), 2) is None


# ---------------------------------------------------------------------- JS / TS, Go, Rust


def test_typescript_exported_function_gets_jsdoc_above_export() -> None:
    text = (
        "export function area(w: number, h = 2, ...rest: number[]): number {\n"
        "  if (w < 0) throw new RangeError('w');\n"
        "  return w * h;\n"
        "}\n"
    )
    doc, target = _target(text, "a.ts", "return")
    assert [p.name for p in target.params] == ["w", "h", "...rest"]
    assert target.raises == ("RangeError",)
    edit = render_edit(_content(target, "Area of a box"), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit).startswith(
        "/**\n * Area of a box.\n *\n * @param w - The w.\n * @param h - The h.\n"
        " * @param rest - The rest.\n * @returns The result.\n"
        " * @throws {RangeError} On failure.\n */\nexport function area("
    )


def test_typescript_class_method_with_decorator_and_existing_jsdoc() -> None:
    text = "class C {\n  /** old */\n  @dec()\n  m(x) {\n    return x;\n  }\n}\n"
    doc, target = _target(text, "a.ts", "return x")
    assert target.existing == "/** old */"
    edit = render_edit(_content(target, "Echo"), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit) == (
        "class C {\n  /**\n   * Echo.\n   *\n   * @param x - The x.\n   * @returns The result.\n"
        "   */\n  @dec()\n  m(x) {\n    return x;\n  }\n}\n"
    )


def test_typescript_decorated_exported_class_goes_above_the_decorator() -> None:
    text = "@Component({})\nexport class Panel {\n  x = 1;\n}\n"
    out = _skeleton_applied(text, "a.ts", "x = 1")
    assert out.startswith("/**\n * TODO: describe Panel.\n */\n@Component({})\n")


def test_javascript_arrow_function_in_const() -> None:
    text = "const add = (a, b = 1) => a + b;\n"
    _, target = _target(text, "a.js", "a + b")
    assert [p.name for p in target.params] == ["a", "b"] and target.returns_value
    assert _skeleton_applied(text, "a.js", "a + b").endswith(
        "*/\nconst add = (a, b = 1) => a + b;\n"
    )


def test_go_comment_starts_with_the_name_and_replaces_old_lines() -> None:
    text = "package p\n\n// old text\n// more\nfunc (s *S) Add(a, b int) error {\n\treturn nil\n}\n"
    doc, target = _target(text, "a.go", "return")
    assert [p.name for p in target.params] == ["a", "b"]
    edit = render_edit(DocContent("Returns the sum of a and b."), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit) == (
        "package p\n\n// Add returns the sum of a and b.\nfunc (s *S) Add(a, b int) error {\n"
        "\treturn nil\n}\n"
    )


def test_go_directives_stay_between_the_doc_and_the_function() -> None:
    text = "package p\n\n// Old.\n//go:noinline\nfunc F() {\n}\n"
    doc, target = _target(text, "a.go", "func F")
    assert target.existing == "// Old."
    edit = render_edit(DocContent("Does nothing."), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit) == "package p\n\n// F does nothing.\n//go:noinline\nfunc F() {\n}\n"


def test_rust_doc_goes_above_attributes() -> None:
    text = (
        "impl S {\n    #[inline]\n    #[must_use]\n    pub fn add(&self, a: i32) -> i32 {\n"
        "        a\n    }\n}\n"
    )
    doc, target = _target(text, "a.rs", "        a")
    assert [p.name for p in target.params] == ["a"]
    edit = render_edit(DocContent("Adds a.", "Longer text."), target)
    assert validate_edit(doc, target, edit) == []
    assert _apply(doc, edit).startswith(
        "impl S {\n    /// Adds a.\n    ///\n    /// Longer text.\n    #[inline]\n"
    )


# ---------------------------------------------------------------------- style detection


@pytest.mark.parametrize(
    ("docstring", "style"),
    [
        ('"""Do.\n\n    Args:\n        a: A.\n    """', "google"),
        ('"""Do.\n\n    Parameters\n    ----------\n    a : int\n        A.\n    """', "numpy"),
        ('"""Do.\n\n    :param a: A.\n    :returns: B.\n    """', "sphinx"),
    ],
)
def test_python_style_is_detected_from_existing_docstrings(docstring: str, style: str) -> None:
    text = f"def documented(a):\n    {docstring}\n    return a\n\n\ndef f(b):\n    return b\n"
    assert detect_python_style(_doc(text, "a.py")) == style


def test_python_style_plain_and_default() -> None:
    plain = "".join(f'def f{i}():\n    """One line."""\n\n' for i in range(3))
    assert detect_python_style(_doc(plain, "a.py")) == "plain"
    assert detect_python_style(_doc("def f():\n    pass\n", "a.py")) == "google"


def test_numpy_and_sphinx_rendering_validate() -> None:
    numpy_file = (
        'def documented(a):\n    """Do.\n\n    Parameters\n    ----------\n    a : int\n'
        '        A.\n    """\n\n\ndef f(x: int, y=0) -> int:\n    return x\n'
    )
    doc, target = _target(numpy_file, "a.py", "return x")
    assert target.style == "numpy"
    edit = render_edit(_content(target), target)
    assert validate_edit(doc, target, edit) == []
    assert "    Parameters\n    ----------\n    x : int\n        The x.\n    y\n" in edit.text
    sphinx_file = numpy_file.replace(
        "Parameters\n    ----------\n    a : int\n        A.", ":param a: A."
    )
    doc, target = _target(sphinx_file, "a.py", "return x")
    assert target.style == "sphinx"
    edit = render_edit(_content(target), target)
    assert validate_edit(doc, target, edit) == []
    assert ":param x: The x.\n    :param y: The y.\n    :returns: The result." in edit.text


# ---------------------------------------------------------------------- model answers

FUNC = "def scale(value, factor=2, *rest):\n    return value * factor\n"


def _answer_problems(answer: str, text: str = FUNC, marker: str = "return") -> list[str]:
    _, target = _target(text, "a.py", marker)
    return parse_answer(answer, target)[1]


GOOD = (
    "Scale a value.\n\nArgs:\n    value: The value.\n    factor: The factor.\n"
    "    rest: Ignored.\n\nReturns:\n    The product."
)


def test_good_answer_parses_and_validates() -> None:
    doc, target = _target(FUNC, "a.py", "return")
    content, problems = parse_answer(GOOD, target)
    assert problems == [] and content is not None
    assert content.params == {"value": "The value.", "factor": "The factor.", "rest": "Ignored."}
    edit = render_edit(content, target)
    assert validate_edit(doc, target, edit) == []
    assert "        *rest: Ignored.\n" in edit.text


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("```\n" + GOOD + "\n```", "code fence"),
        (GOOD + "\n\ndef scale(value, factor=2, *rest):\n    return 0", "contains code"),
        (GOOD.replace("    rest: Ignored.\n", ""), "missing the parameter(s) rest"),
        (GOOD.replace("factor:", "scale_by:"), "does not have: scale_by"),
        (GOOD.replace("rest: Ignored.", "rest: Ignored.\n    extra: Invented."), "extra"),
        ("Here is the docstring:\n\n" + GOOD, "chatter"),
        (GOOD + "\n\nI hope this helps!", "text after the sections"),
        ("<one-line summary of what scale does>\n\nArgs:\n    value: ...", "no summary"),
    ],
)
def test_bad_answers_are_rejected(answer: str, expected: str) -> None:
    problems = _answer_problems(answer)
    assert any(expected in p for p in problems), problems


def test_an_indented_section_header_ends_the_previous_section() -> None:
    _, target = _target(FUNC, "a.py", "return")
    answer = GOOD.replace("\n\nReturns:", "\n    Returns:")
    content, problems = parse_answer(answer, target)
    assert problems == [] and content is not None
    assert content.returns == "The product." and "Returns" not in content.params


def test_parameters_sharing_one_description() -> None:
    _, target = _target(FUNC, "a.py", "return")
    answer = GOOD.replace(
        "    value: The value.\n    factor: The factor.", "    value, factor: Inputs."
    )
    content, problems = parse_answer(answer, target)
    assert problems == [] and content is not None
    assert content.params["value"] == content.params["factor"] == "Inputs."


def test_answer_wrapped_in_quotes_or_comment_markers_is_unwrapped() -> None:
    _, target = _target(FUNC, "a.py", "return")
    content, problems = parse_answer('"""' + GOOD + '"""', target)
    assert problems == [] and content is not None and content.summary == "Scale a value."
    _, js_target = _target("function f(a) {\n  return a;\n}\n", "a.js", "return")
    content, problems = parse_answer("/// Echo.\n///\n/// Args:\n///     a: A.", js_target)
    assert problems == [] and content is not None and content.params == {"a": "A."}


def test_salvage_takes_only_the_docstring_from_code() -> None:
    answer = (
        '```python\ndef scale(value):\n    """\n    Scale it.\n\n'
        '    Args:\n        value: V.\n    """\n```'
    )
    assert salvage_answer(answer, "python") == "Scale it.\n\nArgs:\n    value: V."
    jsdoc = (
        "```js\n/**\n * Add.\n * @param {number} a - First.\n * @returns {number} Sum.\n */\n```"
    )
    assert (
        salvage_answer(jsdoc, "javascript") == "Add.\n\nArgs:\n    a: First.\n\nReturns:\n    Sum."
    )
    assert salvage_answer("no code here", "python") is None


# ---------------------------------------------------------------------- validation of edits


def test_validation_rejects_rewritten_code() -> None:
    doc, target = _target(FUNC, "a.py", "return")
    good = render_edit(_content(target), target)
    rewritten = DocEdit(good.start, good.end, good.text + "    value = 0\n")
    assert any("not exactly one docstring" in p for p in validate_edit(doc, target, rewritten))
    wider = DocEdit(good.start, good.end + 4, good.text)
    assert any("docstring slot" in p for p in validate_edit(doc, target, wider))


def test_validation_rejects_trailing_whitespace_and_fences() -> None:
    doc, target = _target(FUNC, "a.py", "return")
    edit = render_edit(_content(target), target)
    spaced = DocEdit(edit.start, edit.end, edit.text.replace("The value.", "The value.  "))
    assert "the docstring has trailing whitespace" in validate_edit(doc, target, spaced)
    fenced = DocEdit(edit.start, edit.end, edit.text.replace("The value.", "x\n```\ny"))
    assert "the docstring contains a code fence" in validate_edit(doc, target, fenced)


def test_validation_rejects_wrong_parameter_names_in_the_docstring() -> None:
    doc, target = _target(FUNC, "a.py", "return")
    edit = render_edit(_content(target), target)
    wrong = DocEdit(edit.start, edit.end, edit.text.replace("factor:", "size:"))
    assert any("names parameters" in p for p in validate_edit(doc, target, wrong))


def test_validation_rejects_a_docstring_that_breaks_the_file() -> None:
    doc, target = _target(FUNC, "a.py", "return")
    broken = DocEdit(target.edit_start, target.edit_end, '    """Unclosed.\n')
    assert validate_edit(doc, target, broken)


def test_skeleton_is_clearly_marked_and_valid_in_every_language() -> None:
    for text, path, marker in (
        (FUNC, "a.py", "return"),
        ("function f(a) {\n  return a;\n}\n", "a.js", "return"),
        ("package p\n\nfunc F(a int) int {\n\treturn a\n}\n", "a.go", "return"),
        ("fn f(a: i32) -> i32 {\n    a\n}\n", "a.rs", "    a"),
    ):
        out = _skeleton_applied(text, path, marker)
        assert "TODO: describe" in out


def test_the_readme_names_every_docstring_language() -> None:
    from pathlib import Path

    from analyzers.docstrings.model import DOC_LANGUAGES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    intro = " ".join(readme[: readme.index("## Start here")].split())
    names = {"csharp": "C#", "cpp": "C++", "javascript": "JavaScript", "typescript": "TypeScript"}
    listed = intro[intro.index("**docstrings** in ") :].split(")")[0]
    spoken = {names.get(lang, lang.capitalize()) for lang in DOC_LANGUAGES - {"tsx"}}
    assert f"in {len(spoken)} languages" in listed.replace("eleven", "11")
    for name in spoken:
        assert name in listed.split("(", 1)[1].replace(",", " ").split()
