"""Definitions, enclosing scopes, imports and comments on real files in 14 languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.languages import LanguageSpec, language_for
from analyzers.parsing import SourceDocument
from analyzers.structure import (
    comments,
    definitions,
    enclosing_scopes,
    import_spans,
    imports,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"


def load(name: str) -> SourceDocument:
    path = FIXTURES / name
    spec = language_for(None, str(path))
    assert spec is not None
    return SourceDocument(path.read_text(encoding="utf-8"), spec)


# (fixture, [(kind, name), ...] in source order)
DEFINITIONS = {
    "sample.py": [
        ("class", "Item"),
        ("method", "label"),
        ("method", "is_special"),
        ("class", "Inventory"),
        ("method", "__init__"),
        ("method", "add"),
        ("method", "total"),
        ("method", "save"),
        ("function", "encode"),
        ("function", "add"),
        ("function", "load"),
    ],
    "sample.js": [
        ("class", "CartLine"),
        ("method", "constructor"),
        ("method", "total"),
        ("class", "Cart"),
        ("method", "constructor"),
        ("method", "add"),
        ("method", "total"),
        ("function", "render"),
        ("function", "saveCart"),
        ("function", "emptyCart"),
    ],
    "sample.ts": [
        ("class", "Task"),
        ("class", "TaskQueue"),
        ("method", "constructor"),
        ("method", "push"),
        ("method", "drain"),
        ("function", "makeTask"),
        ("function", "describe"),
        ("class", "Status"),
        ("function", "statusOf"),
    ],
    "sample.tsx": [
        ("class", "CounterProps"),
        ("function", "Counter"),
        ("function", "increment"),
        ("class", "CounterStore"),
        ("method", "increment"),
        ("method", "reset"),
        ("function", "Badge"),
        ("function", "App"),
    ],
    "sample.go": [
        ("class", "Order"),
        ("class", "Server"),
        ("function", "NewServer"),
        ("method", "Add"),
        ("method", "Run"),
        ("method", "Close"),
        ("function", "Describe"),
        ("class", "Shape"),
    ],
    "sample.rs": [
        ("class", "Point"),
        ("class", "Point"),
        ("method", "new"),
        ("method", "distance"),
        ("class", "Point"),
        ("method", "fmt"),
        ("class", "Shape"),
        ("class", "Kind"),
        ("function", "label"),
        ("function", "centroid"),
        ("function", "counts"),
    ],
    "Sample.java": [
        ("class", "Sample"),
        ("class", "Book"),
        ("method", "add"),
        ("method", "find"),
        ("method", "toString"),
        ("method", "countByAuthor"),
        ("class", "Shelf"),
        ("method", "capacity"),
        ("class", "Genre"),
    ],
    "sample.c": [
        ("class", "ring"),
        ("class", "point"),
        ("function", "ring_new"),
        ("function", "ring_push"),
        ("function", "ring_mean"),
        ("function", "clamp"),
        ("function", "main"),
    ],
    "sample.cpp": [
        ("class", "Matrix"),
        ("method", "Matrix"),
        ("method", "at"),
        ("method", "rows"),
        ("method", "Matrix::transpose"),
        ("class", "Shape"),
        ("function", "square"),
        ("function", "main"),
    ],
    "sample.rb": [
        ("class", "Recipe"),
        ("method", "initialize"),
        ("method", "add"),
        ("method", "scale"),
        ("method", "from_json"),
        ("class", "Kitchen"),
        ("method", "cook_all"),
        ("class", "Oven"),
        ("method", "heat"),
        ("function", "shopping_list"),
    ],
    "sample.lua": [
        ("function", "Player.new"),
        ("method", "Player:add"),
        ("function", "M.rank"),
        ("function", "format_line"),
        ("function", "M.render"),
        ("function", "M.save"),
    ],
    "Sample.cs": [
        ("class", "Reading"),
        ("class", "Station"),
        ("method", "Station"),
        ("method", "Add"),
        ("method", "Average"),
        ("method", "ToString"),
        ("class", "ISensor"),
        ("method", "Read"),
        ("class", "Program"),
        ("method", "Main"),
        ("class", "Range"),
    ],
    "sample.php": [
        ("class", "Entry"),
        ("method", "__construct"),
        ("method", "summary"),
        ("class", "Moderator"),
        ("method", "allows"),
        ("class", "Guestbook"),
        ("method", "__construct"),
        ("method", "sign"),
        ("function", "render_entries"),
        ("class", "Timestamps"),
        ("method", "touch"),
    ],
    "sample.sh": [
        ("function", "log"),
        ("function", "backup_dir"),
        ("function", "prune"),
        ("function", "main"),
    ],
}


def test_every_fixture_is_covered() -> None:
    assert sorted(DEFINITIONS) == sorted(p.name for p in FIXTURES.iterdir())


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_definitions(name: str) -> None:
    doc = load(name)
    scopes = definitions(doc)
    assert [(s.kind, s.name) for s in scopes] == DEFINITIONS[name]
    starts = [s.start for s in scopes]
    assert starts == sorted(starts)
    for scope in scopes:
        assert doc.text.startswith(scope.header, scope.start)
        assert scope.start < scope.body_start <= scope.end
        assert scope.outer_start <= scope.start


HEADERS = [
    ("sample.py", "add", "def add(a: int, b: int) -> int:"),
    ("sample.py", "__init__", "def __init__(self, items: Iterable[Item] = ()) -> None:"),
    ("sample.py", "add", "def add(self, item: Item) -> None:"),
    ("sample.go", "Run", "func (s *Server) Run(ctx context.Context) error {"),
    ("sample.go", "Shape", "type Shape interface {"),
    ("sample.js", "saveCart", "const saveCart = (cart, file) => {"),
    ("sample.ts", "describe", "const describe = (task: Task): string =>"),
    ("sample.ts", "drain", "async drain(limit: number = Infinity): Promise<number> {"),
    ("sample.rs", "fmt", "fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {"),
    ("Sample.java", "toString", "@Override\n    public String toString() {"),
    ("sample.c", "ring_new", "struct ring *ring_new(void) {"),
    ("sample.cpp", "at", "double &at(int r, int c) {"),
    ("sample.rb", "from_json", "def self.from_json(text)"),
    ("sample.rb", "Kitchen", "module Kitchen"),
    ("sample.lua", "Player:add", "function Player:add(points)"),
    ("Sample.cs", "Add", "public void Add(Reading reading)"),
    ("Sample.cs", "ToString", "public override string ToString()"),
    ("sample.php", "summary", "public function summary(int $width = 40): string"),
    ("sample.sh", "prune", "function prune {"),
    (
        "sample.tsx",
        "Counter",
        "function Counter({ label, start = 0 }: CounterProps): JSX.Element {",
    ),
]


@pytest.mark.parametrize(("name", "scope_name", "header"), HEADERS)
def test_headers(name: str, scope_name: str, header: str) -> None:
    headers = [s.header for s in definitions(load(name)) if s.name == scope_name]
    assert header in headers


DOCSTRINGS = [
    ("sample.py", "total", '"""Sum of all prices."""'),
    ("sample.py", "Item", '"""One product on the shelf."""'),
    ("sample.go", "Describe", '// Describe prints an order, e.g. "🍜 ラーメン x2".'),
    ("sample.rs", "distance", "/// Euclidean distance to another point."),
    ("sample.rs", "Point", "/// A point in the plane."),
    ("Sample.java", "add", "/**\n     * Adds a book to the catalogue.\n     */"),
    ("sample.js", "render", '/**\n * Render the cart as text, e.g. "2 × 咖啡".\n */'),
    ("sample.rb", "cook_all", "# Cook every recipe and yield the result."),
    ("sample.lua", "M.rank", "--- Sort players by score, best first."),
    (
        "Sample.cs",
        "Station",
        "/// <summary>\n    /// Collects readings and reports statistics.\n    /// </summary>",
    ),
    ("sample.php", "summary", '/** Short form for listings, e.g. "さくら: こんにちは". */'),
    ("sample.sh", "log", "# Print a message with a timestamp."),
    ("sample.cpp", "square", "// Print a greeting in Japanese: こんにちは 👋"),
    ("sample.c", "ring_push", "/* Push a value, overwriting the oldest. */"),
]


@pytest.mark.parametrize(("name", "scope_name", "docstring"), DOCSTRINGS)
def test_docstrings(name: str, scope_name: str, docstring: str) -> None:
    docs = [s.docstring for s in definitions(load(name)) if s.name == scope_name]
    assert docstring in docs


def test_missing_docstrings_are_none() -> None:
    by_name = {s.name: s for s in definitions(load("sample.py"))}
    assert by_name["is_special"].docstring is None
    assert by_name["add"].docstring == '"""Add two integers."""'  # the later, top-level add
    go = {s.name: s for s in definitions(load("sample.go"))}
    assert go["Close"].docstring is None


def test_outer_start_covers_decorators_and_exports() -> None:
    doc = load("sample.py")
    item = next(s for s in definitions(doc) if s.name == "Item")
    assert doc.text[item.outer_start : item.start] == "@dataclass\n"
    ts_doc = load("sample.ts")
    make_task = next(s for s in definitions(ts_doc) if s.name == "makeTask")
    assert ts_doc.text[make_task.outer_start : make_task.start] == "export "


IMPORTS = {
    "sample.py": [
        "from __future__ import annotations",
        "import json",
        "import os.path",
        "from dataclasses import dataclass, field",
        "from typing import Iterable",
    ],
    "sample.js": [
        'import { formatPrice } from "./format.js";',
        'import * as path from "node:path";',
        'const fs = require("fs");',
    ],
    "sample.ts": [
        'import { EventEmitter } from "events";',
        'import type { Logger } from "./logger";',
    ],
    "sample.tsx": [
        'import React, { useState } from "react";',
        'import { Button } from "./Button";',
    ],
    "sample.go": ['import (\n\t"context"\n\t"errors"\n\t"fmt"\n\t"net/http"\n)'],
    "sample.rs": ["use std::collections::HashMap;", "use std::fmt::{self, Display};"],
    "Sample.java": [
        "import java.util.ArrayList;",
        "import java.util.List;",
        "import java.util.Optional;",
    ],
    "sample.c": ["#include <stdio.h>", "#include <stdlib.h>", '#include "ring.h"'],
    "sample.cpp": ["#include <iostream>", "#include <vector>", '#include "matrix.hpp"'],
    "sample.rb": ['require "json"', 'require_relative "helpers/format"'],
    "sample.lua": ['local json = require("dkjson")', 'local util = require "util"'],
    "Sample.cs": ["using System;", "using System.Collections.Generic;", "using System.Linq;"],
    "sample.php": [
        "use DateTimeImmutable;",
        "use App\\Storage\\{FileStore, Store};",
        "require_once __DIR__ . '/vendor/autoload.php';",
    ],
    "sample.sh": ["source ./lib/common.sh", '. "$HOME/.backuprc"'],
}


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_imports(name: str) -> None:
    doc = load(name)
    assert imports(doc) == IMPORTS[name]
    for span in import_spans(doc):
        assert doc.text[span.start : span.end] == span.text


# (fixture, text just before the cursor, expected enclosing names innermost first)
ENCLOSING = [
    ("sample.py", "return sum(", ["total", "Inventory"]),
    ("sample.py", '"name": item.name', ["encode", "save", "Inventory"]),
    ("sample.py", 'print(inventory.total(), "🍩")', []),
    ("sample.js", "existing.quantity += 1;", ["add", "Cart"]),
    ("sample.ts", "await task.run();", ["drain", "TaskQueue"]),
    ("sample.tsx", "this.value = 0;", ["reset", "CounterStore"]),
    ("sample.go", "srv := &http.Server", ["Run"]),
    ("sample.rs", "let n = points.len()", ["centroid"]),
    ("sample.rs", 'write!(f, "({}, {}) 📍"', ["fmt", "Point"]),
    ("Sample.java", "count++;", ["countByAuthor", "Sample"]),
    ("sample.c", "sum += r->values", ["ring_mean"]),
    ("sample.cpp", "t.data_[c * rows_ + r]", ["Matrix::transpose"]),
    ("sample.rb", '"heating to', ["heat", "Oven", "Kitchen"]),
    ("sample.lua", "self.score = math.max", ["Player:add"]),
    ("Sample.cs", 'new Station("東京")', ["Main", "Program"]),
    ("sample.php", "$this->entries[] = $entry;", ["sign", "Guestbook"]),
    ("sample.sh", 'log "skip: $src ✗"', ["backup_dir"]),
]


@pytest.mark.parametrize(("name", "marker", "expected"), ENCLOSING)
def test_enclosing_scopes(name: str, marker: str, expected: list[str]) -> None:
    doc = load(name)
    offset = doc.text.index(marker) + len(marker)
    assert [s.name for s in enclosing_scopes(doc, offset)] == expected


def test_enclosing_scope_boundaries_in_brace_languages() -> None:
    doc = load("sample.go")
    start = doc.text.index("func Describe")
    end = doc.text.index("}\n\ntype Shape") + 1
    assert enclosing_scopes(doc, start) == []
    assert [s.name for s in enclosing_scopes(doc, start + 1)] == ["Describe"]
    assert [s.name for s in enclosing_scopes(doc, end - 1)] == ["Describe"]
    assert enclosing_scopes(doc, end) == []


def test_python_blank_line_after_body_uses_indentation() -> None:
    spec = language_for("python", None)
    text = "class A:\n    def f(self):\n        return 1\n{indent}\n"
    deep = SourceDocument(text.format(indent=" " * 8), spec)
    assert [s.name for s in enclosing_scopes(deep, len(deep.text) - 1)] == ["f", "A"]
    mid = SourceDocument(text.format(indent=" " * 4), spec)
    assert [s.name for s in enclosing_scopes(mid, len(mid.text) - 1)] == ["A"]
    top = SourceDocument(text.format(indent=""), spec)
    assert enclosing_scopes(top, len(top.text) - 1) == []


def test_python_trailing_space_stays_inside() -> None:
    doc = SourceDocument("def f():\n    x = 1 \n", language_for("python", None))
    assert [s.name for s in enclosing_scopes(doc, doc.text.index("1 ") + 2)] == ["f"]


def test_comments_include_docstrings_and_non_ascii() -> None:
    doc = load("sample.py")
    texts = [doc.text[a:b] for a, b in comments(doc)]
    assert texts[0] == '"""Inventory helpers for the café demo — 在庫管理 🍰."""'
    assert "# Prices are in euro cents; names may contain any Unicode 😀." in texts
    assert '"""Sum of all prices."""' in texts
    assert '"utf-8"' not in texts


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_comment_ranges_are_comments(name: str) -> None:
    doc = load(name)
    spec = doc.language
    assert spec is not None
    ranges = comments(doc)
    assert ranges, name
    for start, end in ranges:
        text = doc.text[start:end]
        assert text.startswith((spec.line_comment, "/*", '"""', "#")), text


def test_imports_cache_follows_edits() -> None:
    doc = load("sample.py")
    before = import_spans(doc)
    body = doc.text.index("return sum(")
    doc.apply_change(body, body, "x = 1\n        ")
    assert import_spans(doc) == before  # edit after every import: spans unchanged
    doc.apply_change(0, 0, "# header comment\n")
    shifted = import_spans(doc)
    assert [s.start for s in shifted] == [s.start + 17 for s in before]
    assert all(doc.text[s.start : s.end] == s.text for s in shifted)
    line = doc.text.index("import json")
    doc.apply_change(line, line, "import sys\n")
    assert "import sys" in imports(doc)
    doc.apply_change(line, line + len("import sys\n"), "")
    assert "import sys" not in imports(doc)


def check_imports(doc: SourceDocument, spec: LanguageSpec, where: object) -> None:
    spans = import_spans(doc)
    assert all(doc.text[s.start : s.end] == s.text for s in spans), where
    fresh = SourceDocument(doc.text, spec)
    if not fresh.has_syntax_errors:
        assert spans == import_spans(fresh), where


@pytest.mark.parametrize("name", ["sample.py", "sample.ts", "sample.go", "sample.rs"])
def test_imports_cache_matches_a_full_query_after_every_keystroke(name: str) -> None:
    """Typing import lines a character at a time: the incremental answer is the full query's.

    While the text does not parse, error recovery may swallow neighbouring lines in a fresh
    parse; there the cached spans need only point at their own text.
    """
    doc = load(name)
    spec = doc.language
    assert spec is not None
    statement = {
        "python": "from os import path, sep\n",
        "typescript": "import { join } from 'node:path';\n",
        "go": 'import "strings"\n',
        "rust": "use std::fmt;\n",
    }[spec.name]
    lines = doc.text.splitlines(keepends=True)
    places = [0, len(lines[0]), len("".join(lines[: len(lines) // 2]))]
    for place in places:
        cursor = place
        for char in statement:
            doc.apply_change(cursor, cursor, char)
            cursor += 1
            check_imports(doc, spec, (name, place, cursor))
        # ...and deleting it again, a character at a time from the end.
        for _ in statement:
            doc.apply_change(cursor - 1, cursor, "")
            cursor -= 1
            check_imports(doc, spec, (name, place, cursor))


def test_structure_without_a_tree() -> None:
    doc = SourceDocument("def f():\n    import os\n", None)
    assert definitions(doc) == []
    assert enclosing_scopes(doc, 12) == []
    assert imports(doc) == []
    assert comments(doc) == []
