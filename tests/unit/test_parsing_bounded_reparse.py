"""Bounded reparse (analyzers.parsing): a reparse cut by the budget serves the edited tree.

The tree stays usable (stale, with exact offsets away from the edit), what covers the changed
text reads as ERROR, and the full parse completes later and matches a fresh one. Behaviour only:
nothing here asserts a time. A budget of 0 s cuts every reparse at tree-sitter's first progress
check (after about 100 parser operations), which an unclosed bracket or quote near the top of a
file of 300 functions always reaches.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from analyzers.languages import LanguageSpec, language_for
from analyzers.parsing import SourceDocument, _grow_range
from analyzers.structure import definitions, enclosing_scopes, import_spans
from server.lsp.documents import DocumentStore

JS = "".join(
    f"function f{i}(a, b) {{\n  const x{i} = a + b;\n  return x{i} * 2;\n}}\n\n" for i in range(300)
)
PY = "import os\n\n\n" + "".join(
    f"def f{i}(a, b):\n    x = a + b\n    return x * 2\n\n\n" for i in range(300)
)
TEXTS = {"javascript": JS, "python": PY}


def spec_for(name: str) -> LanguageSpec:
    spec = language_for(name, None)
    assert spec is not None
    return spec


def typed_into_f3(language: str, reparse_budget: float | None = None) -> tuple[SourceDocument, int]:
    """A document with ``foo(`` typed on a new line of ``f3``'s body; the cursor after it."""
    doc = SourceDocument(TEXTS[language], spec_for(language), reparse_budget=reparse_budget)
    if language == "javascript":
        at = doc.text.index("  return x3 ")
        line = "  y = foo("
    else:
        at = doc.text.index("    return x", doc.text.index("def f3("))
        line = "    y = foo("
    doc.apply_change(at, at, line + "\n")
    return doc, at + len(line)


def cut(language: str) -> tuple[SourceDocument, int]:
    doc, cursor = typed_into_f3(language, reparse_budget=0.0)
    assert doc.has_tree
    assert doc.reparse_pending, "the reparse was expected to be cut at its first progress check"
    return doc, cursor


def finish_in_slices(doc: SourceDocument) -> int:
    """Finish the owed reparse in budget-0 slices; the number of slices taken."""
    for slices in range(1, 1_000_000):
        if doc.finish_parse(0.0):
            return slices
    raise AssertionError("the reparse made no progress across slices")


@pytest.mark.parametrize("language", ["javascript", "python"])
def test_a_cut_reparse_serves_the_edited_tree_with_exact_offsets_away_from_the_edit(
    language: str,
) -> None:
    doc, cursor = cut(language)
    for name in ("f2", "f10", "f299"):
        offset = doc.text.index(f" {name}(") + 1
        node = doc.node_at(offset)
        assert node is not None
        assert (node.kind, node.start, node.text) == ("identifier", offset, name)
        assert not node.has_error
    assert [scope.name for scope in enclosing_scopes(doc, cursor)] == ["f3"]
    # The typed text is covered by a node that reads as an ERROR node; its function does not.
    typed = doc.node_at(cursor - 1, named=False)
    assert typed is not None and typed.is_error and typed.kind == "ERROR"
    function = next(
        a for a in typed.ancestors() if a.kind in ("function_declaration", "function_definition")
    )
    assert function.has_error and not function.is_error
    assert function.child_by_field("name") is not None
    assert doc.reparse_pending  # reading it did not parse again


@pytest.mark.parametrize("language", ["javascript", "python"])
def test_the_cut_reparse_is_finished_later_and_matches_a_fresh_parse(language: str) -> None:
    doc, cursor = cut(language)
    doc.apply_change(cursor, cursor, "1)")  # the user closes the bracket
    assert finish_in_slices(doc) > 1
    assert not doc.reparse_pending
    fresh = SourceDocument(doc.text, doc.language)
    assert not fresh.has_syntax_errors
    assert doc.sexp() == fresh.sexp()
    assert doc.node_spans() == fresh.node_spans()


@pytest.mark.parametrize("language", ["javascript", "python"])
def test_a_parse_resumed_over_many_slices_matches_a_fresh_parse(language: str) -> None:
    doc, cursor = cut(language)
    assert finish_in_slices(doc) > 1  # resumed, not restarted (a restart would never end)
    assert not doc.reparse_pending and doc.has_syntax_errors
    # Back from the error tree to a clean one: tree-sitter re-reads the rest of the file again.
    doc.apply_change(cursor, cursor, "1)")
    assert doc.has_tree and doc.reparse_pending
    assert finish_in_slices(doc) > 1
    fresh = SourceDocument(doc.text, doc.language)
    assert not fresh.has_syntax_errors
    assert doc.sexp() == fresh.sexp()


def test_only_one_attempt_per_change_then_a_later_access_with_more_budget_finishes() -> None:
    doc, cursor = cut("javascript")
    for _ in range(3):
        assert doc.node_at(cursor) is not None
        assert doc.reparse_pending
    doc.reparse_budget = None
    assert doc.root is not None
    assert not doc.reparse_pending
    whole, _ = typed_into_f3("javascript")
    assert doc.sexp() == whole.sexp()


@pytest.mark.parametrize("language", ["javascript", "python"])
def test_whole_text_verdicts_finish_the_parse_first(language: str) -> None:
    doc, cursor = cut(language)
    whole, _ = typed_into_f3(language)
    assert doc.error_count() == whole.error_count() > 0
    assert not doc.reparse_pending
    doc, cursor = cut(language)
    assert doc.has_syntax_errors
    doc, cursor = cut(language)
    assert doc.error_count_after_insertion(cursor, ")") == 0
    assert not doc.reparse_pending


def test_state_derived_from_the_stale_tree_is_dropped_when_it_is_replaced() -> None:
    doc, _ = cut("python")
    stale_definitions = definitions(doc)
    assert import_spans(doc)
    assert doc.scratch
    finish_in_slices(doc)
    assert not doc.scratch
    whole, _ = typed_into_f3("python")
    assert definitions(doc) is not stale_definitions
    assert definitions(doc) == definitions(whole)
    assert import_spans(doc) == import_spans(whole)


def test_query_matches_that_capture_a_changed_token_are_dropped() -> None:
    doc = SourceDocument(JS, spec_for("javascript"), reparse_budget=0.0)
    at = JS.index("f3(") + 2
    doc.apply_change(at, at, "x(")  # the name token now spans "f3x("
    assert doc.has_tree and doc.reparse_pending
    names = [scope.name for scope in definitions(doc)]
    assert len(names) == 299 and "f2" in names and "f4" in names
    assert all(name.isidentifier() for name in names)
    token = doc.node_at(at - 1)
    assert token is not None and token.kind == "ERROR" and token.text == "f3x("


def test_the_changed_range_covers_every_edit_since_the_parse() -> None:
    changed = _grow_range(None, 5, 5, 8)  # 3 bytes inserted at 5
    assert changed == (5, 8)
    changed = _grow_range(changed, 2, 2, 3)  # 1 byte inserted before: the range moves
    assert changed == (2, 9)
    changed = _grow_range(changed, 7, 12, 7)  # a deletion over its end
    assert changed == (2, 7)
    changed = _grow_range(changed, 20, 20, 21)  # an edit further on: one hull
    assert changed == (2, 21)
    assert _grow_range((10, 12), 0, 4, 0) == (0, 8)  # a deletion before it


def test_without_a_budget_every_reparse_runs_to_the_end() -> None:
    doc, _ = typed_into_f3("python")
    assert doc.has_tree and not doc.reparse_pending


def test_a_cut_parse_that_runs_past_the_timeout_is_abandoned_and_recovers() -> None:
    spec = spec_for("lua")
    doc = SourceDocument("local x = 1\n", spec, parse_timeout=0.05, reparse_budget=0.0)
    hostile = "x = " + "[" * 100_000 + "\n"
    doc.apply_change(0, len(doc.text), hostile)
    doc.node_at(5)
    finish_in_slices(doc)
    assert not doc.reparse_pending
    if doc.has_tree:
        pytest.skip("the parse finished within the bound on this machine")
    assert doc.root is None and doc.node_at(5) is None
    doc.apply_change(None, None, "local x = 1\n")
    assert doc.has_tree and not doc.has_syntax_errors


async def test_the_document_store_finishes_a_cut_reparse_once_the_user_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DocumentStore, "FINISH_IDLE_S", 0.0)
    store = DocumentStore(reparse_budget=0.0)
    uri = "file:///bounded.js"
    item = types.TextDocumentItem(uri=uri, language_id="javascript", version=1, text=JS)
    source = store.open(item).source
    at = source.lines.position_at(JS.index("  return x3 "))
    position = types.Position(line=at[0], character=at[1])
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=position, end=position), text="  y = foo(\n"
    )
    store.change(types.VersionedTextDocumentIdentifier(uri=uri, version=2), [change], "utf-16")
    assert source.has_tree and source.reparse_pending
    at = source.lines.position_at(JS.index("  return x3 ") + len("  y = foo("))
    position = types.Position(line=at[0], character=at[1])
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=position, end=position), text="1)"
    )
    store.change(types.VersionedTextDocumentIdentifier(uri=uri, version=3), [change], "utf-16")
    assert source.reparse_pending
    for _ in range(1_000_000):
        await asyncio.sleep(0)
        if not source.reparse_pending:
            break
    assert not source.reparse_pending
    fresh = SourceDocument(source.text, source.language)
    assert not fresh.has_syntax_errors
    assert source.sexp() == fresh.sexp()
    store.close(uri)


def test_the_document_store_without_an_event_loop_leaves_finishing_to_its_caller() -> None:
    store = DocumentStore(reparse_budget=0.0)
    uri = "file:///bounded.py"
    store.open(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=PY))
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        ),
        text="x = foo('\n",
    )
    document = store.change(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [change], "utf-16"
    )
    assert document is not None and document.source.has_tree
    assert document.source.reparse_pending
    while not store.finish_parse(uri, 0.0):
        pass
    assert not document.source.reparse_pending
