"""Imported names, module path candidates and module summaries on plain strings."""

from __future__ import annotations

import os

import pytest

from analyzers.crossfile import (
    DefinitionSummary,
    ImportedName,
    imported_names,
    module_paths,
    summarize_module,
    used_names,
)
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument


def doc(language: str, text: str) -> SourceDocument:
    spec = language_for(language, None)
    assert spec is not None
    return SourceDocument(text, spec)


def names(language: str, text: str) -> list[ImportedName]:
    return imported_names(doc(language, text))


def summaries(language: str, text: str) -> dict[str, DefinitionSummary]:
    return summarize_module(doc(language, text))


# ---------------------------------------------------------------------------- imported names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import json\n", [ImportedName("json", None, "json")]),
        ("import json.scanner\n", [ImportedName("json.scanner", None, "scanner")]),
        ("import a.b as c\n", [ImportedName("a.b", None, "c")]),
        (
            "import os, a.b as c\n",
            [ImportedName("os", None, "os"), ImportedName("a.b", None, "c")],
        ),
        (
            "from a.b import x, y as z\n",
            [ImportedName("a.b", "x", "x"), ImportedName("a.b", "y", "z")],
        ),
        ("from a import (x,\n    y)\n", [ImportedName("a", "x", "x"), ImportedName("a", "y", "y")]),
        ("from . import m\n", [ImportedName("", "m", "m", 1)]),
        ("from ..p import x\n", [ImportedName("p", "x", "x", 2)]),
        ("from .p.q import x as w\n", [ImportedName("p.q", "x", "w", 1)]),
        ("from a import *\n", [ImportedName("a", None, "*")]),
        ("from __future__ import annotations\n", []),
    ],
)
def test_python_import_forms(source: str, expected: list[ImportedName]) -> None:
    assert names("python", source) == expected


def test_python_imports_anywhere_but_not_in_strings_or_comments() -> None:
    source = (
        'TEXT = """\nimport fake\n"""\n'
        "# import commented\n"
        "try:\n    import fast\nexcept ImportError:\n    fast = None\n"
        "def f():\n    from lazy import thing\n    return thing\n"
    )
    assert names("python", source) == [
        ImportedName("fast", None, "fast"),
        ImportedName("lazy", "thing", "thing"),
    ]


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import x from './m';\n", [ImportedName("./m", "default", "x")]),
        (
            "import {a, b as c} from '../m';\n",
            [ImportedName("../m", "a", "a"), ImportedName("../m", "b", "c")],
        ),
        (
            "import d, {a} from './m';\n",
            [ImportedName("./m", "default", "d"), ImportedName("./m", "a", "a")],
        ),
        ("import * as ns from './m';\n", [ImportedName("./m", None, "ns")]),
        ("import './side-effect';\n", []),
        ('import lodash from "lodash";\n', [ImportedName("lodash", "default", "lodash")]),
        (
            "const {a, b: c} = require('./m');\n",
            [ImportedName("./m", "a", "a"), ImportedName("./m", "b", "c")],
        ),
        ("const m = require('./m');\n", [ImportedName("./m", None, "m")]),
        ("var z = require('./m').foo;\n", [ImportedName("./m", "foo", "z")]),
        ("require('./polyfill');\n", []),
        ("// const q = require('./no');\nconst s = 'import x from \"./no\"';\n", []),
    ],
)
def test_js_import_forms(language: str, source: str, expected: list[ImportedName]) -> None:
    assert names(language, source) == expected


def test_typescript_only_forms() -> None:
    source = "import type {T} from './types';\nimport x = require('./legacy');\n"
    assert names("typescript", source) == [
        ImportedName("./types", "T", "T"),
        ImportedName("./legacy", None, "x"),
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("local m = require('a.b')\n", [ImportedName("a.b", None, "m")]),
        ('local m = require("a.b")\n', [ImportedName("a.b", None, "m")]),
        ('require "a.b"\n', [ImportedName("a.b", None, "b")]),
        ("require('a.b').setup({})\n", []),
        (
            "local x, y = require('e'), require('f').g\n",
            [ImportedName("e", None, "x"), ImportedName("f", "g", "y")],
        ),
        ("M.util = require('vim.lsp.util')\n", [ImportedName("vim.lsp.util", None, "util")]),
        (
            "local function f()\n  local api = require('x.api')\nend\n",
            [ImportedName("x.api", None, "api")],
        ),
        ("-- local no = require('no')\nlocal s = \"require('no')\"\n", []),
    ],
)
def test_lua_require_forms(source: str, expected: list[ImportedName]) -> None:
    assert names("lua", source) == expected


def test_other_languages_have_no_imported_names() -> None:
    assert names("go", 'package main\nimport "fmt"\n') == []
    assert imported_names(SourceDocument("import x\n", None)) == []


# ------------------------------------------------------------------------------ module paths

ROOT = os.path.abspath("/work/proj")


def p(*parts: str) -> str:
    return os.path.join(ROOT, *parts)


def test_python_absolute_module_paths() -> None:
    importer = p("app", "main.py")
    paths = module_paths(importer, ImportedName("a.b", None, "b"), "python", [ROOT])
    assert paths == [
        p("a", "b.py"),
        p("a", "b", "__init__.py"),
        p("app", "a", "b.py"),
        p("app", "a", "b", "__init__.py"),
    ]


def test_python_from_import_tries_submodule_first() -> None:
    importer = p("main.py")
    paths = module_paths(importer, ImportedName("pkg", "util", "util"), "python", [ROOT])
    assert paths == [
        p("pkg", "util.py"),
        p("pkg", "util", "__init__.py"),
        p("pkg.py"),
        p("pkg", "__init__.py"),
    ]


def test_python_roots_in_order() -> None:
    other = os.path.abspath("/work/other")
    paths = module_paths(p("x.py"), ImportedName("m", None, "m"), "python", [other, ROOT])
    assert paths == [
        os.path.join(other, "m.py"),
        os.path.join(other, "m", "__init__.py"),
        p("m.py"),
        p("m", "__init__.py"),
    ]


def test_python_relative_module_paths() -> None:
    importer = p("pkg", "sub", "mod.py")
    assert module_paths(importer, ImportedName("", "m", "m", 1), "python", [ROOT]) == [
        p("pkg", "sub", "m.py"),
        p("pkg", "sub", "m", "__init__.py"),
        p("pkg", "sub", "__init__.py"),
    ]
    assert module_paths(importer, ImportedName("p", "x", "x", 2), "python", ["/elsewhere"]) == [
        p("pkg", "p", "x.py"),
        p("pkg", "p", "x", "__init__.py"),
        p("pkg", "p.py"),
        p("pkg", "p", "__init__.py"),
    ]


def test_js_relative_specifier_candidates() -> None:
    importer = p("src", "app.ts")
    paths = module_paths(importer, ImportedName("../lib/x", None, "x"), "typescript", [ROOT])
    base = p("lib", "x")
    exts = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts"]
    assert paths == [base] + [base + e for e in exts] + [
        os.path.join(base, "index" + e) for e in exts
    ]


def test_js_specifier_with_js_extension_tries_typescript_source() -> None:
    importer = p("src", "app.ts")
    paths = module_paths(importer, ImportedName("./util.js", "f", "f"), "typescript", [ROOT])
    assert paths[:3] == [p("src", "util.js"), p("src", "util.ts"), p("src", "util.tsx")]


@pytest.mark.parametrize("specifier", ["react", "@scope/pkg", "lodash/fp"])
def test_js_bare_packages_have_no_candidates(specifier: str) -> None:
    imported = ImportedName(specifier, "default", "x")
    assert module_paths(p("src", "app.js"), imported, "javascript", [ROOT]) == []


def test_language_ids_are_accepted() -> None:
    imported = ImportedName("./m", None, "m")
    assert module_paths(p("a.tsx"), imported, "typescriptreact", [ROOT])[0] == p("m")


def test_lua_module_paths() -> None:
    paths = module_paths(p("init.lua"), ImportedName("a.b", None, "b"), "lua", [ROOT])
    assert paths == [
        p("a", "b.lua"),
        p("a", "b", "init.lua"),
        p("lua", "a", "b.lua"),
        p("lua", "a", "b", "init.lua"),
    ]


def test_unsupported_language_has_no_paths() -> None:
    assert module_paths(p("x.go"), ImportedName("fmt", None, "fmt"), "go", [ROOT]) == []


# --------------------------------------------------------------------------- module summaries

PYTHON_MODULE = '''"""A module."""
import os

MAX_SIZE = 10
TABLE = {
    "a": 1,
}
_private = 3


@functools.cache
def parse(text: str,
          strict: bool = False) -> int:  # trailing comment
    """Parse the text.

    Long explanation.
    """
    return len(text)


async def fetch(url):
    return url


class Box(Base):
    """A box of things."""

    size: int = 0
    _hidden = 1

    def __init__(self, size: int) -> None:
        self.size = size

    @property
    def area(self) -> int:
        """The area."""
        return self.size**2


class Empty:
    pass


if TYPE_CHECKING:
    def typed() -> None: ...
'''


def test_python_function_with_decorator_and_docstring() -> None:
    found = summaries("python", PYTHON_MODULE)
    assert found["parse"] == DefinitionSummary(
        name="parse",
        kind="function",
        text=(
            "@functools.cache\n"
            "def parse(text: str,\n"
            "          strict: bool = False) -> int:\n"
            '    """Parse the text."""\n'
            "    ..."
        ),
        line=11,
    )
    assert found["fetch"].text == "async def fetch(url):\n    ..."


def test_python_class_with_methods() -> None:
    found = summaries("python", PYTHON_MODULE)
    assert found["Box"].kind == "class"
    assert found["Box"].text == (
        "class Box(Base):\n"
        '    """A box of things."""\n'
        "    size: int = 0\n"
        "    def __init__(self, size: int) -> None: ...\n"
        "    @property\n"
        "    def area(self) -> int: ..."
    )
    assert found["Empty"].text == "class Empty:\n    ..."


def test_python_constants_and_nested_definitions() -> None:
    found = summaries("python", PYTHON_MODULE)
    assert found["MAX_SIZE"].text == "MAX_SIZE = 10"
    assert found["MAX_SIZE"].kind == "variable"
    assert found["TABLE"].text == "TABLE = {...}"
    assert found["typed"].text == "def typed() -> None:\n    ..."
    assert "os" not in found
    assert list(found)[:2] == ["MAX_SIZE", "TABLE"]


def test_python_class_method_cap_prefers_public_methods() -> None:
    methods = "".join(f"    def _p{i}(self): pass\n" for i in range(5))
    methods += "".join(f"    def m{i}(self): pass\n" for i in range(12))
    text = summaries("python", "class Big:\n" + methods)["Big"].text
    assert "def m11(self): ..." in text
    assert "_p0" not in text
    assert text.endswith("# ... 5 more methods")


JS_MODULE = """const path = require('path');
const LIMIT = 5;
function helper(a, b) {
  return a + b;
}
export async function load(url, opts = {}) {
  return fetch(url, opts);
}
export const config = {
  retries: 3,
};
export const add = (a, b) => a + b;
export const mul = (a, b) => {
  return a * b;
};
export class Store extends Base {
  count = 0;
  #secret = 1;
  constructor(name) {
    super();
  }
  static create() { return new Store(); }
}
export default function main() {}
export { helper as help };
"""


def test_javascript_summaries() -> None:
    found = summaries("javascript", JS_MODULE)
    assert found["helper"].text == "function helper(a, b) { ... }"
    assert found["load"].text == "export async function load(url, opts = {}) { ... }"
    assert found["config"].text == "export const config = {...}"
    assert found["add"].text == "export const add = (a, b) => a + b"
    assert found["mul"].text == "export const mul = (a, b) => { ... }"
    assert found["Store"].text == (
        "export class Store extends Base {\n"
        "  count = 0;\n"
        "  constructor(name) { ... }\n"
        "  static create() { ... }\n"
        "}"
    )
    assert found["default"].text == found["main"].text == "export default function main() { ... }"
    assert found["help"].text == found["helper"].text
    assert "LIMIT" not in found  # not exported from an ES module
    assert "path" not in found


def test_commonjs_exports() -> None:
    source = (
        "const LIMIT = 5;\n"
        "function f(a) { return a; }\n"
        "exports.k = function (a) { return 1; };\n"
        "module.exports.v = 42;\n"
    )
    found = summaries("javascript", source)
    assert found["LIMIT"].text == "const LIMIT = 5"
    assert found["f"].text == "function f(a) { ... }"
    assert found["k"].text == "exports.k = function (a) { ... }"
    assert found["v"].text == "module.exports.v = 42"


TS_MODULE = """export interface Point {
  x: number;
  y: number;
}
export type Id = string | number;
export function dist<T extends Point>(a: T, b: T): number {
  return 0;
}
export abstract class Shape {
  private cache: number = 0;
  abstract area(): number;
  describe(prefix: string): string {
    return prefix;
  }
}
export enum Color { Red, Green }
export function over(a: string): void;
export function over(a: any) {}
"""


def test_typescript_summaries() -> None:
    found = summaries("typescript", TS_MODULE)
    assert found["Point"].kind == "interface"
    assert found["Point"].text == "export interface Point {\n  x: number;\n  y: number;\n}"
    assert found["Id"].text == "export type Id = string | number;"
    assert found["dist"].text == "export function dist<T extends Point>(a: T, b: T): number { ... }"
    assert found["Shape"].text == (
        "export abstract class Shape {\n"
        "  abstract area(): number;\n"
        "  describe(prefix: string): string { ... }\n"
        "}"
    )
    assert found["Color"].text == "export enum Color { Red, Green }"
    assert found["over"].text == (
        "export function over(a: string): void;\nexport function over(a: any) { ... }"
    )


def test_long_typescript_interface_is_truncated() -> None:
    fields = "".join(f"  f{i}: number;\n" for i in range(30))
    text = summaries("typescript", "interface Big {\n" + fields + "}\n")["Big"].text
    assert text.startswith("interface Big {\n  f0: number;")
    assert text.endswith("  // ...\n}")
    assert text.count("\n") < 16


LUA_MODULE = """local util = require("x.util")
local M = {}
M.VERSION = "1.0"
local function helper(a) return a end
function M.setup(opts, extra)
  return opts
end
function M:method(a) end
M.render = function(players) end
return M
"""


def test_lua_summaries() -> None:
    found = summaries("lua", LUA_MODULE)
    assert found["setup"] == DefinitionSummary(
        "setup", "function", "function M.setup(opts, extra) end", 4
    )
    assert found["method"].text == "function M:method(a) end"
    assert found["render"].text == "function M.render(players) end"
    assert found["helper"].text == "local function helper(a) end"
    assert found["VERSION"].text == 'M.VERSION = "1.0"'
    assert "util" not in found
    assert "M" not in found


def test_lua_returned_table() -> None:
    source = "local function a(x) end\nreturn { a = a, b = function(y) end }\n"
    found = summaries("lua", source)
    assert found["a"].text == "local function a(x) end"
    assert found["b"].text == "function M.b(y) end"


def test_summaries_are_copies_and_follow_edits() -> None:
    document = doc("python", "def f(a):\n    pass\n")
    first = summarize_module(document)
    first.clear()
    assert list(summarize_module(document)) == ["f"]
    document.apply_change(0, 0, "X = 1\n")
    assert list(summarize_module(document)) == ["X", "f"]


def test_summaries_without_tree_or_language() -> None:
    assert summarize_module(SourceDocument("def f(): pass\n", None)) == {}
    assert summaries("go", "package main\nfunc F() {}\n") == {}


# -------------------------------------------------------------------------------- used names


def test_used_names_most_recent_first_without_duplicates() -> None:
    text = "a = parse(x)\nb = load(a)\nparse(b)"
    assert used_names(text) == ["b", "parse", "a", "load", "x"]


def test_used_names_of_empty_text() -> None:
    assert used_names("  \n") == []
