"""Summarizing a module: its top-level (and exported) definitions, rendered compactly.

Owns :func:`summarize_module`, which hands the document's syntax tree to the summarizer of its
language (:mod:`.python_summary`, :mod:`.javascript_summary`, :mod:`.lua_summary`) and memoizes
the result on the document.
"""

from __future__ import annotations

from analyzers.crossfile.javascript_summary import add_js_definitions
from analyzers.crossfile.lua_summary import add_lua_definitions
from analyzers.crossfile.model import JS_LANGUAGES, DefinitionSummary
from analyzers.crossfile.python_summary import add_python_definitions
from analyzers.crossfile.render import SummaryBuilder
from analyzers.parsing import SourceDocument

__all__ = ["summarize_module"]


def summarize_module(doc: SourceDocument) -> dict[str, DefinitionSummary]:
    """Top-level definitions (and exported ones) by name, each rendered compactly."""
    return dict(doc.memo("crossfile.summaries", lambda: _summarize(doc)))


def _summarize(doc: SourceDocument) -> dict[str, DefinitionSummary]:
    spec = doc.language
    root = doc.root
    if spec is None or root is None:
        return {}
    builder = SummaryBuilder(doc)
    if spec.name == "python":
        add_python_definitions(builder, root, 0)
    elif spec.name in JS_LANGUAGES:
        add_js_definitions(builder, root)
    elif spec.name == "lua":
        add_lua_definitions(builder, root)
    return builder.result
