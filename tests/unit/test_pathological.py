"""Hostile syntax through every analyzer entry point: no RecursionError, no hang, no crash.

Deeply nested but *balanced* input (10,000 parentheses, nested functions and objects) parses
into very deep trees, which is what breaks recursive tree walks; 100,000 unclosed brackets
parse into a very wide ERROR node (or hit the parse timeout), which is what makes queries slow.
Each public entry point of structure, completion_kind, context, postprocess, docstrings,
crossfile, related, explain and review runs on each input with a short parse timeout. The
Python recursion limit is lowered while they run, so a recursive walk fails here even where a
machine's default limit would hide it. Durations are not asserted (see benchmarks/).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from analyzers import docstrings
from analyzers.completion_kind import CompletionKind, completion_kind
from analyzers.context import build_context
from analyzers.crossfile import ImportedName, imported_names, summarize_module, used_names
from analyzers.explain import (
    code_subject,
    neighbourhood,
    own_definitions,
    scope_headers,
    validate_fix,
)
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.postprocess import make_stop_check, postprocess
from analyzers.related import select_related
from analyzers.review import review_units, skip_reason
from analyzers.snippets import rank_snippets, snippet_windows
from analyzers.structure import (
    comments,
    definitions,
    enclosing_scopes,
    import_spans,
    imports,
    indentation_of,
)

DEPTH = 10_000


def _nested_python_defs(depth: int) -> str:
    lines = [" " * i + f"def f{i}(a{i}, b):" for i in range(depth)]
    lines.append(" " * depth + "return a0 + ")
    return "\n".join(lines) + "\n"


CASES = {
    "python-balanced-parens": (
        "python",
        "import os\nx = " + "(" * DEPTH + "1" + ")" * DEPTH + "\n",
    ),
    "python-100k-open-brackets": ("python", "x = " + "[" * 100_000 + "\n"),
    "python-nested-defs": ("python", _nested_python_defs(400)),
    "javascript-nested-functions": (
        "javascript",
        "import { a } from './a';\n" + "function f(x) {\n" * 3_000 + "return x;\n" + "}\n" * 3_000,
    ),
    "javascript-deep-object": (
        "javascript",
        "const o = " + "{a: " * DEPTH + "1" + "}" * DEPTH + ";\n",
    ),
    "typescript-deep-generics": (
        "typescript",
        "type T = " + "Array<" * 3_000 + "number" + ">" * 3_000 + ";\n",
    ),
    "lua-deep-tables": ("lua", "local t = " + "{" * DEPTH + "}" * DEPTH + "\n"),
    "go-100k-open-braces": ("go", "package p\nfunc f() " + "{" * 100_000 + "\n"),
    "c-deep-blocks": ("c", "int f(void) " + "{" * DEPTH + "}" * DEPTH + "\n"),
    "rust-deep-parens": ("rust", "fn f() -> i32 { " + "(" * DEPTH + "1" + ")" * DEPTH + " }\n"),
}


@pytest.fixture(autouse=True)
def low_recursion_limit() -> Iterator[None]:
    """A recursive walk over a deep tree must fail loudly here, not pass on a big stack."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _lookup(name: ImportedName) -> None:
    return None


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_entry_point_survives_hostile_nesting(case: str) -> None:
    language, text = CASES[case]
    spec = language_for(language, None)
    assert spec is not None
    doc = SourceDocument(text, spec, parse_timeout=0.3)
    middle = len(text) // 2
    positions = (0, middle, len(text) - 1, len(text))
    for offset in positions:
        kind = completion_kind(doc, offset)
        enclosing_scopes(doc, offset)
        indentation_of(doc, offset)
        window = build_context(doc, offset, path="deep.src", budget_tokens=300)
        assert text[:offset].endswith(window.prefix)
        make_stop_check(doc, offset, kind)("x)\n" * 5)
        for answer_kind in (CompletionKind.SINGLE_LINE, CompletionKind.MULTI_LINE):
            postprocess("1)\n    y = 2\n", doc, offset, answer_kind)
        target = docstrings.find_target(doc, offset)
        if target is not None:
            content = docstrings.skeleton(target)
            edit = docstrings.render_edit(content, target)
            docstrings.validate_edit(doc, target, edit)
        subject = code_subject(doc, offset, min(offset + 50, len(text)))
        if subject is not None:
            scope_headers(doc, subject)
            own_definitions(doc, subject, subject.code(doc)[:2_000])
        region = neighbourhood(doc, offset, offset)
        validate_fix(doc, region, region.text + "\n")
        select_related(doc, offset, path="/tmp/deep.src", lookup=_lookup)
    definitions(doc)
    imports(doc)
    import_spans(doc)
    comments(doc)
    docstrings.detect_style(doc, language)
    imported_names(doc)
    summarize_module(doc)
    used_names(text)
    review_units(doc, "deep.src")
    skip_reason(text, "deep.src")
    windows = snippet_windows("deep.src", text)
    rank_snippets(text[-500:], windows)
    doc.error_count()
    doc.error_count_after_insertion(middle, ")")
    # Edits keep working, whether or not the parse finished within the bound.
    doc.apply_change(middle, middle, "(")
    doc.apply_change(0, 0, "\n")
    assert doc.text == "\n" + text[:middle] + "(" + text[middle:]
    completion_kind(doc, len(doc.text))


def test_a_timed_out_parse_is_not_retried_on_every_keystroke() -> None:
    """After a timeout the document backs off: no reparse storm while the user types."""
    spec = language_for("python", None)
    assert spec is not None
    text = "x = " + "[" * 100_000 + "\n"
    doc = SourceDocument(text, spec, parse_timeout=0.0)
    assert not doc.has_tree
    parses = 0
    original = doc._parse

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal parses
        parses += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    doc._parse = counting  # type: ignore[method-assign,assignment]
    for i in range(200):
        doc.apply_change(len(doc.text), len(doc.text), "x")
        assert not doc.has_tree  # what every analysis asks first
        assert doc.text.endswith("x" * (i + 1))
    # Backoff 1, 2, 4, ... 64 edits between retries: a handful of parses, not 200.
    assert 0 < parses <= 10
