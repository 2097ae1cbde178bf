"""Docstrings for Java, C#, C, C++, Ruby and Lua; JS/Ruby style detection; bad inputs."""

from __future__ import annotations

import pytest

from analyzers.docstrings import (
    DocContent,
    DocEdit,
    configure,
    detect_style,
    parse_answer,
    render_edit,
    salvage_answer,
    skeleton,
    validate_edit,
)
from tests.unit.test_analyzers_docstrings import _content, _doc, _target


def _applied(text: str, path: str, marker: str, target_edit: DocEdit | None = None) -> str:
    doc, target = _target(text, path, marker)
    edit = target_edit or render_edit(_content(target), target)
    assert validate_edit(doc, target, edit) == []
    return doc.text[: edit.start] + edit.text + doc.text[edit.end :]


# ------------------------------------------------------------------------------ Java

JAVA = """\
class Shapes {
    /** Old words. */
    @Override
    @SuppressWarnings("x")
    public <T> int add(int a, final String[] b, int... rest) throws IOException {
        if (a < 0) throw new IllegalArgumentException("neg");
        Runnable r = () -> { throw new IllegalStateException(); };
        return a;
    }
}
"""


def test_java_javadoc_replaces_the_old_one_above_annotations() -> None:
    _, target = _target(JAVA, "A.java", "return a")
    assert [(p.name, p.type) for p in target.params] == [
        ("a", "int"),
        ("b", "String[]"),
        ("rest", "int..."),
    ]
    assert target.raises == ("IOException", "IllegalArgumentException")  # not the lambda's
    assert target.existing == "/** Old words. */"
    assert _applied(JAVA, "A.java", "return a").startswith(
        "class Shapes {\n"
        "    /**\n"
        "     * Do the thing.\n"
        "     *\n"
        "     * @param a The a.\n"
        "     * @param b The b.\n"
        "     * @param rest The rest.\n"
        "     * @return The result.\n"
        "     * @throws IOException On failure.\n"
        "     * @throws IllegalArgumentException On failure.\n"
        "     */\n"
        "    @Override\n"
    )


def test_java_void_method_and_constructor_have_no_return() -> None:
    text = "class A {\n    A(int x) { }\n    void run() { }\n}\n"
    assert not _target(text, "A.java", "int x")[1].returns_value
    assert not _target(text, "A.java", "run")[1].returns_value


# -------------------------------------------------------------------------------- C#

CSHARP = """\
namespace N
{
    class Geometry
    {
        /// <summary>Old.</summary>
        [Obsolete("x")]
        public async Task<int> Add<T>(int a, string b = "x", params int[] rest)
        {
            if (a < 0) throw new ArgumentException("neg");
            return a;
        }
    }
}
"""


def test_csharp_xml_doc_goes_above_attributes_and_escapes_text() -> None:
    doc, target = _target(CSHARP, "a.cs", "return a")
    assert [(p.name, p.default) for p in target.params] == [
        ("a", None),
        ("b", '"x"'),
        ("rest", None),
    ]
    assert target.existing == "/// <summary>Old.</summary>"
    content = DocContent(
        "Adds a & b",
        params={"a": "A < 3", "b": "B", "rest": "More"},
        returns="The sum",
        raises={"ArgumentException": "If a < 0"},
    )
    edit = render_edit(content, target)
    assert validate_edit(doc, target, edit) == []
    assert edit.text == (
        "        /// <summary>\n"
        "        /// Adds a &amp; b.\n"
        "        /// </summary>\n"
        '        /// <param name="a">A &lt; 3.</param>\n'
        '        /// <param name="b">B.</param>\n'
        '        /// <param name="rest">More.</param>\n'
        "        /// <returns>The sum.</returns>\n"
        '        /// <exception cref="ArgumentException">If a &lt; 0.</exception>\n'
    )


# ----------------------------------------------------------------------------- C, C++


def test_c_doxygen_block_with_pointer_return_and_no_variadic_name() -> None:
    text = "#include <stdio.h>\n\nchar **dup(char **p, const char *q, ...) {\n    return p;\n}\n"
    _, target = _target(text, "a.c", "return p")
    assert [p.name for p in target.params] == ["p", "q"]
    assert target.returns_value
    assert _applied(text, "a.c", "return p").endswith(
        "/**\n * Do the thing.\n *\n * @param p The p.\n * @param q The q.\n"
        " * @return The result.\n */\nchar **dup(char **p, const char *q, ...) {\n"
        "    return p;\n}\n"
    )


def test_c_void_function_has_no_return_tag() -> None:
    text = "void noop(void) {\n}\n"
    assert _applied(text, "a.c", "noop") == "/**\n * Do the thing.\n */\nvoid noop(void) {\n}\n"


def test_cpp_template_function_doc_goes_above_the_template_line() -> None:
    text = (
        'namespace n {\ntemplate <typename T>\nT add(T a, const std::string& b = "x") {\n'
        '    if (a < 0) throw std::invalid_argument("neg");\n    return a;\n}\n}\n'
    )
    _, target = _target(text, "a.cpp", "return a")
    assert [(p.name, p.default) for p in target.params] == [("a", None), ("b", '"x"')]
    assert target.raises == ("std::invalid_argument",)
    out = _applied(text, "a.cpp", "return a")
    assert "namespace n {\n/**\n * Do the thing.\n" in out
    assert " * @throws std::invalid_argument On failure.\n */\ntemplate <typename T>\n" in out


# -------------------------------------------------------------------------------- Ruby

RUBY = """\
# frozen_string_literal: true

class Shelf
  def add(book, pos = 0, *rest, key:, **opts, &blk)
    raise ArgumentError, "no book" if book.nil?
    raise IOError.new("full")
    @books.insert(pos, book)
  end
end
"""


def test_ruby_plain_comment_above_the_first_method_of_a_class() -> None:
    _, target = _target(RUBY, "a.rb", "@books")
    assert [p.name for p in target.params] == ["book", "pos", "*rest", "key", "**opts", "&blk"]
    assert target.raises == ("ArgumentError", "IOError")
    assert target.style == "plain"
    assert _applied(RUBY, "a.rb", "@books").startswith(
        "# frozen_string_literal: true\n\nclass Shelf\n  # Do the thing.\n  def add("
    )


def test_ruby_yard_tags_when_the_file_uses_them() -> None:
    text = "# Old.\n# @param x [Integer] the x\ndef f(x)\n  x + 1\nend\n"
    _, target = _target(text, "a.rb", "x + 1")
    assert target.style == "yard"
    assert target.params[0].type == "Integer"  # kept from the old comment
    assert _applied(text, "a.rb", "x + 1") == (
        "# Do the thing.\n#\n# @param x [Integer] The x.\n# @return The result.\n"
        "def f(x)\n  x + 1\nend\n"
    )


def test_ruby_magic_comment_is_not_an_existing_doc_comment() -> None:
    text = "# frozen_string_literal: true\ndef f\n  nil\nend\n"
    _, target = _target(text, "a.rb", "nil")
    assert target.existing is None and not target.returns_value


# --------------------------------------------------------------------------------- Lua

LUA = """\
local M = {}

--- Old words.
---@param a number
local function add(a, b, ...)
  if a < 0 then error("neg") end
  return a + b
end

M.mul = function(a, b) return a * b end

local f = function(z) end

function M:scale(k)
  self.k = k
end

return M
"""


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (
            "return a + b",
            "--- Do the thing.\n---\n--- Errors: On failure.\n---@param a number The a.\n"
            "---@param b any The b.\n---@return any # The result.\nlocal function add",
        ),
        (
            "a * b",
            "\n--- Do the thing.\n---@param a any The a.\n---@param b any The b.\n"
            "---@return any # The result.\nM.mul = function",
        ),
        ("function(z)", "\n--- Do the thing.\n---@param z any The z.\nlocal f = function(z)"),
        ("self.k", "\n--- Do the thing.\n---@param k any The k.\nfunction M:scale(k)"),
    ],
    ids=["local-function", "field-assignment", "local-assignment", "method"],
)
def test_lua_luals_annotations_above_each_function_form(marker: str, expected: str) -> None:
    assert expected in _applied(LUA, "a.lua", marker)


# ------------------------------------------------------------- every language: skeleton


@pytest.mark.parametrize(
    ("path", "text", "marker"),
    [
        ("A.java", JAVA, "return a"),
        ("a.cs", CSHARP, "return a"),
        ("a.c", "int f(int a) {\n    return a;\n}\n", "return a"),
        ("a.cpp", "struct S {\n    int get(int i) const { return i; }\n};\n", "return i"),
        ("a.rb", RUBY, "@books"),
        ("a.lua", LUA, "a * b"),
    ],
)
def test_skeleton_validates_and_wrong_parameter_names_are_rejected(
    path: str, text: str, marker: str
) -> None:
    doc, target = _target(text, path, marker)
    edit = render_edit(skeleton(target), target)
    assert validate_edit(doc, target, edit) == []
    assert "TODO" in edit.text
    if target.lists_params and target.params:
        key = target.params[0].key
        wrong = edit.text.replace(f'"{key}"', '"zzz"').replace(f"@param {key}", "@param zzz")
        problems = validate_edit(doc, target, DocEdit(edit.start, edit.end, wrong))
        assert any("names parameters" in p for p in problems)


def test_validation_rejects_code_after_the_comment_and_trailing_whitespace() -> None:
    doc, target = _target(JAVA, "A.java", "return a")
    edit = render_edit(skeleton(target), target)
    code = DocEdit(edit.start, edit.end, edit.text + "    int x;\n")
    assert validate_edit(doc, target, code) != []
    spaces = DocEdit(edit.start, edit.end, edit.text.replace("*/", "*/  "))
    assert "the docstring has trailing whitespace" in validate_edit(doc, target, spaces)


# ------------------------------------------------------------------ answers and salvage


def test_salvage_reads_javadoc_xml_yard_and_luals_back_into_sections() -> None:
    java = "```java\n/**\n * Adds.\n * @param a The a.\n * @return Sum.\n */\nint f(int a)\n```"
    assert salvage_answer(java, "java") == "Adds.\n\nArgs:\n    a: The a.\n\nReturns:\n    Sum."
    xml = '/// <summary>Adds.</summary>\n/// <param name="a">The a.</param>\nint F(int a)'
    assert salvage_answer(xml, "csharp") == "Adds.\n\nArgs:\n    a: The a."
    ruby = "# Adds.\n# @param a [Integer] The a.\n# @raise [IOError] When full.\ndef f(a)"
    assert (
        salvage_answer(ruby, "ruby")
        == "Adds.\n\nArgs:\n    a: The a.\n\nRaises:\n    IOError: When full."
    )
    lua = "--- Adds.\n---@param a number The a.\nlocal function f(a)"
    assert salvage_answer(lua, "lua") == "Adds.\n\nArgs:\n    a: The a."


def test_qualified_exception_names_parse_in_the_raises_section() -> None:
    text = 'int f(int a) {\n    if (a) throw std::out_of_range("x");\n    return a;\n}\n'
    _, target = _target(text, "a.cpp", "return a")
    answer = (
        "Check a.\n\nArgs:\n    a: A.\n\nReturns:\n    A.\n\nRaises:\n    std::out_of_range: Bad."
    )
    content, problems = parse_answer(answer, target)
    assert problems == [] and content is not None
    assert content.raises == {"std::out_of_range": "Bad."}


# ------------------------------------------------------------------------ style detection


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("/**\n * @param {number} a - A.\n */\nfunction f(a) {}\n", "jsdoc-typed"),
        ("/**\n * @param a - A.\n * @returns The b.\n */\nfunction f(a) {}\n", "jsdoc"),
        ("function f(a) {}\n", "jsdoc"),
    ],
)
def test_jsdoc_types_are_inferred_from_the_file(text: str, style: str) -> None:
    assert detect_style(_doc(text, "a.js"), "javascript") == style


def test_typed_jsdoc_uses_typescript_types() -> None:
    text = (
        "/** @param {string} s - S. */\nfunction g(s: string) {}\n"
        "function f(a: number, b) {\n  return a;\n}\n"
    )
    doc, target = _target(text, "a.ts", "return a")
    assert target.style == "jsdoc-typed"
    edit = render_edit(_content(target), target)
    assert validate_edit(doc, target, edit) == []
    assert (
        "@param {number} a - The a.\n * @param {*} b - The b.\n * @returns {*} The result."
        in edit.text
    )


def test_style_setting_overrides_detection_only_where_it_applies() -> None:
    _, python = _target("def f(a):\n    return a\n", "a.py", "return")
    assert configure(python, "numpy").style == "numpy"
    assert configure(python, "jsdoc").style == "google"  # not a Python style
    _, js = _target("function f(a) {\n  return a;\n}\n", "a.js", "return")
    assert configure(js, "jsdoc-typed").style == "jsdoc-typed"
    _, ruby = _target("def f(a)\n  a\nend\n", "a.rb", "a\nend")
    assert configure(ruby, "yard").style == "yard"
    _, java = _target(JAVA, "A.java", "return a")
    assert configure(java, "google").style == "javadoc"
