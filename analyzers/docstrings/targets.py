"""Finding the definition to document and where its docstring goes.

:func:`find_target` returns the innermost function, method or class at an offset with its
signature (from :mod:`analyzers.docstrings.signature`), the existing docstring or doc comment,
the exact range an edit replaces, indentation, line ending and the file's style. Placement:
Python string as the body's first statement; a comment block above everything that belongs to
the definition (decorators, attributes, annotations, ``export``, ``template <...>``, ``local``)
and below Go directives.
"""

from __future__ import annotations

import re
from dataclasses import replace

from analyzers.docstrings.model import DOC_LANGUAGES, DocTarget, Param
from analyzers.docstrings.signature import Signature, signature_of
from analyzers.docstrings.styles import detect_style
from analyzers.parsing import SourceDocument, SyntaxNode
from analyzers.structure import Scope, definitions, enclosing_scopes

__all__ = ["find_target"]

_DECORATOR_TYPES = frozenset({"decorator", "attribute_item"})
_CONTAINERS = frozenset(
    {"program", "source_file", "class_body", "declaration_list", "chunk", "block", "body_statement"}
)
_DECLARATION_WRAPPERS = frozenset({"variable_declaration", "export_statement"})
_GO_DIRECTIVE = re.compile(r"//(?:[a-z0-9]+:\S|line |export |extern |nolint\b)")
_RUBY_MAGIC = re.compile(
    r"#!|#\s*(?:frozen_string_literal|encoding|coding|warn_indent|rubocop|-\*-|typed:)"
)
_OWN_SIGNATURE = frozenset({"function_definition", "method", "singleton_method"})
"""Definition nodes read by :func:`signature_of` even without a ``parameters`` field."""
_LINE_DOC_LANGUAGES = frozenset({"go", "rust", "csharp", "ruby", "lua", "c", "cpp"})
"""Languages whose doc comment may be several consecutive line comments."""


def find_target(doc: SourceDocument, offset: int) -> DocTarget | None:
    """The innermost function, method or class at ``offset`` (header, decorators or body)."""
    spec = doc.language
    if spec is None or spec.name not in DOC_LANGUAGES or not doc.has_tree:
        return None
    candidates = [s for s in definitions(doc) if s.outer_start <= offset < s.end]
    candidates.extend(enclosing_scopes(doc, offset))
    if not candidates:
        return None
    scope = max(candidates, key=lambda s: (s.start, -s.end))
    node = _definition_node(doc, scope)
    if node is None or node.has_error:
        return None
    if spec.name == "python":
        return _python_target(doc, scope, node)
    return _comment_target(doc, scope, node, spec.name)


def _definition_node(doc: SourceDocument, scope: Scope) -> SyntaxNode | None:
    node = doc.node_spanning(scope.start, scope.end)
    while node is not None:
        if node.start == scope.start and node.end == scope.end:
            return node
        if node.start < scope.start:
            return None
        node = node.parent
    return None


def _line_indent(doc: SourceDocument, offset: int) -> str:
    line = doc.lines.line_text(doc.lines.line_of(offset))
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent_unit(doc: SourceDocument) -> str:
    for match in re.finditer(r"^([ \t]+)\S", doc.text, re.MULTILINE):
        return "\t" if match.group(1).startswith("\t") else " " * min(len(match.group(1)), 8)
    return "    "


def _target(
    doc: SourceDocument, scope: Scope, signature: Signature, **placement: object
) -> DocTarget:
    spec = doc.language
    assert spec is not None
    return DocTarget(
        language=spec.name,
        kind=scope.kind,
        name=scope.name,
        start=scope.outer_start,
        end=scope.end,
        node_start=scope.start,
        header=scope.header,
        params=signature.params,
        returns=signature.returns,
        returns_value=signature.returns_value and scope.kind != "class",
        yields=signature.yields,
        raises=signature.raises,
        newline=doc.line_ending,
        style=detect_style(doc, spec.name),
        **placement,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------- Python


def _python_target(doc: SourceDocument, scope: Scope, node: SyntaxNode) -> DocTarget:
    body = node.child_by_field("body")
    assert body is not None
    signature = Signature()
    if node.kind == "function_definition":
        signature = signature_of(node, "python", scope.kind == "method")
    header_indent = _line_indent(doc, node.start)
    lines = doc.lines
    existing_node = _python_docstring_node(body)
    same_line = lines.line_of(body.start) == lines.line_of(node.start)
    if same_line:
        unit = _indent_unit(doc)
        indent = header_indent + unit
        colon = doc.text.rfind(":", node.start, body.start)
        edit_start, edit_end = colon + 1, body.start
    else:
        indent = _line_indent(doc, body.start)
        unit = indent[len(header_indent) :] or _indent_unit(doc)
        edit_start = edit_end = lines.line_start(lines.line_of(body.start))
    existing = None
    if existing_node is not None and not same_line:
        edit_start, edit_end = existing_node.start, existing_node.end
        existing = existing_node.text
    return _target(
        doc,
        scope,
        signature,
        existing=existing,
        edit_start=edit_start,
        edit_end=edit_end,
        indent=indent,
        indent_unit=unit,
        same_line_body=same_line,
    )


def _python_docstring_node(body: SyntaxNode) -> SyntaxNode | None:
    first = next((c for c in body.named_children if c.kind != "comment"), None)
    if first is not None and first.kind == "string":
        return first
    if first is None or first.kind != "expression_statement":
        return None
    inner = first.named_children
    if len(inner) == 1 and inner[0].kind == "string":
        return first
    return None


# ------------------------------------------------------------ comment languages


def _comment_target(
    doc: SourceDocument, scope: Scope, node: SyntaxNode, language: str
) -> DocTarget:
    anchor = _anchor(doc, scope, node, language)
    lines = doc.lines
    anchor_line_start = lines.line_start(lines.line_of(anchor.start))
    comment_start = _doc_comment_above(doc, anchor.start, language)
    existing = None
    edit_start = edit_end = anchor_line_start
    if comment_start is not None:
        edit_start = lines.line_start(lines.line_of(comment_start))
        existing = doc.text[comment_start:anchor_line_start].rstrip()
    signature = Signature()
    if scope.kind != "class":
        function = _function_node(node)
        if function is not None:
            signature = signature_of(function, language, scope.kind == "method")
    if existing is not None:
        signature = replace(signature, params=_types_from(existing, signature.params))
    return _target(
        doc,
        scope,
        signature,
        existing=existing,
        edit_start=edit_start,
        edit_end=edit_end,
        indent=_line_indent(doc, anchor.start),
        indent_unit="",
    )


_DOCUMENTED_TYPES = (
    re.compile(r"@param\s+\{(?P<type>[^}]+)\}\s+\[?(?P<name>[\w$]+)"),  # JSDoc
    re.compile(r"@param\s+(?P<name>\w+)\s+\[(?P<type>[^\]]+)\]"),  # YARD
    re.compile(r"---@param\s+(?P<name>\w+)\??\s+(?P<type>[^\s#]+)"),  # LuaLS
)


def _types_from(existing: str, params: tuple[Param, ...]) -> tuple[Param, ...]:
    """Parameters whose code has no type take the type the old doc comment gave them."""
    documented: dict[str, str] = {}
    for pattern in _DOCUMENTED_TYPES:
        for match in pattern.finditer(existing):
            documented.setdefault(match.group("name"), match.group("type"))
    return tuple(
        p if p.type or p.key not in documented else replace(p, type=documented[p.key])
        for p in params
    )


def _anchor(doc: SourceDocument, scope: Scope, node: SyntaxNode, language: str) -> SyntaxNode:
    """The first node that belongs to the definition: the doc comment goes above it."""
    outer = node
    while (parent := outer.parent) is not None and parent.kind not in _CONTAINERS:
        same_start = parent.start == scope.outer_start
        if not (same_start or parent.kind in _DECLARATION_WRAPPERS):
            break
        outer = parent
    anchor = outer
    previous = anchor.prev_named_sibling
    while previous is not None and (
        previous.kind in _DECORATOR_TYPES
        or (language == "go" and _GO_DIRECTIVE.match(previous.text) is not None)
    ):
        anchor = previous
        previous = anchor.prev_named_sibling
    return anchor


def _is_doc_comment(text: str, language: str) -> bool:
    if language in ("rust", "csharp"):
        if language == "csharp" and text.startswith("/**"):
            return not text.startswith("/***")
        return text.startswith(("///", "/**")) and not text.startswith(("////", "/***"))
    if language == "go":
        return text.startswith(("//", "/*")) and _GO_DIRECTIVE.match(text) is None
    if language == "ruby":
        return text.startswith("#") and _RUBY_MAGIC.match(text) is None
    if language == "lua":
        return text.startswith("---") and not text.startswith("----")
    if language in ("c", "cpp") and text.startswith("///"):
        return not text.startswith("////")
    return text.startswith("/**") and not text.startswith(("/***", "/**/"))


def _comment_node_at(doc: SourceDocument, pos: int) -> SyntaxNode | None:
    spec = doc.language
    comment_types = spec.comment_types if spec is not None else frozenset()
    node = doc.node_spanning(pos, pos + 1)
    for _ in range(4):
        if node is None or node.kind in comment_types:
            return node
        node = node.parent
    return None


def _doc_comment_above(doc: SourceDocument, anchor_start: int, language: str) -> int | None:
    """Start of the doc comment block on the lines directly above ``anchor_start``."""
    lines = doc.lines
    text = doc.text
    row = lines.line_of(anchor_start) - 1
    first: int | None = None
    while row >= 0:
        line_text = lines.line_text(row)
        if not line_text.strip():
            break
        pos = lines.line_start(row) + len(line_text) - len(line_text.lstrip())
        comment = _comment_node_at(doc, pos)
        if comment is None:
            break
        body = comment.text.rstrip()
        end = comment.start + len(body)
        start_line = lines.line_of(comment.start)
        if lines.line_of(end) != row or text[end : lines.line_end(row)].strip():
            break
        if text[lines.line_start(start_line) : comment.start].strip():
            break
        if not _is_doc_comment(body, language):
            break
        first = comment.start
        row = start_line - 1
        if language not in _LINE_DOC_LANGUAGES or body.startswith("/*"):
            break  # one block comment
    return first


def _function_node(node: SyntaxNode) -> SyntaxNode | None:
    """The node that has the parameters (functions assigned in declarations included)."""
    if node.child_by_field("parameters") is not None or node.kind in _OWN_SIGNATURE:
        return node
    for child in node.named_children:
        if child.kind in ("variable_declarator", "expression_list", "variable_list"):
            found = _function_node(child)
            if found is not None:
                return found
        if child.kind in (
            "arrow_function",
            "function_expression",
            "generator_function",
            "function_definition",
            "function",
        ):
            return child
    return None
