"""Python module summaries: functions, classes and assignments, bodies elided.

Owns :func:`add_python_definitions`: the definitions at the top level and inside top-level
``if``/``try``/``with`` blocks, each a header with the first line of its docstring and ``...``;
a class lists its public fields and (at most :data:`.render.MAX_MEMBERS`) its methods.
"""

from __future__ import annotations

import re

from analyzers.crossfile.render import MAX_MEMBERS, SummaryBuilder, capped, one_line, reindented
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = ["add_python_definitions"]

_STRING_PREFIX_RE = re.compile(r"^[A-Za-z]*(\"\"\"|'''|\"|')")
_PY_NESTING = 3
"""How deep into top-level ``if``/``try``/``with`` blocks Python definitions are looked for."""


def add_python_definitions(builder: SummaryBuilder, container: SyntaxNode, depth: int) -> None:
    """Add the definitions in ``container`` (``depth`` blocks below the module) to ``builder``."""
    for node in container.named_children:
        kind = node.kind
        if kind == "expression_statement" and len(node.named_children) == 1:
            node, kind = node.named_children[0], node.named_children[0].kind
        if kind in {"function_definition", "class_definition", "decorated_definition"}:
            definition = _py_definition(node)
            name_node = definition.child_by_field("name") if definition is not None else None
            if definition is None or name_node is None:
                continue
            if definition.kind == "class_definition":
                text = _py_class(builder.doc, node, definition)
                builder.add(name_node.text, "class", text, definition)
            else:
                text = _py_function(builder.doc, node, definition, "")
                builder.add(name_node.text, "function", text, definition)
        elif kind == "assignment":
            for name in _py_assigned_names(node):
                builder.add(name, "variable", _py_assignment(builder.doc, node, ""), node)
        elif kind == "type_alias_statement":
            left = node.child_by_field("left")
            if left is not None:
                builder.add(left.text, "type", one_line(builder.doc, node, "", "..."), node)
        elif depth < _PY_NESTING and kind in {
            "if_statement",
            "try_statement",
            "with_statement",
            "else_clause",
            "elif_clause",
            "except_clause",
            "finally_clause",
            "block",
        }:
            add_python_definitions(builder, node, depth + 1)


def _py_definition(node: SyntaxNode) -> SyntaxNode | None:
    if node.kind == "decorated_definition":
        return node.child_by_field("definition")
    return node


def _py_header(doc: SourceDocument, outer: SyntaxNode, definition: SyntaxNode, indent: str) -> str:
    body = definition.child_by_field("body")
    end = definition.end if body is None else body.start
    colon = next((c for c in reversed(definition.children) if c.kind == ":" and c.end <= end), None)
    if colon is not None:
        end = colon.end
    return reindented(doc, outer.start, end, indent)


def _py_docstring_line(body: SyntaxNode | None) -> str | None:
    if body is None:
        return None
    first = next((c for c in body.named_children if c.kind != "comment"), None)
    if first is not None and first.kind == "expression_statement" and first.named_children:
        first = first.named_children[0]
    if first is None or first.kind != "string":
        return None
    text = first.text
    match = _STRING_PREFIX_RE.match(text)
    if match is None:
        return None
    quote = match.group(1)
    content = text[match.end() : len(text) - len(quote)] if text.endswith(quote) else ""
    line = next((ln.strip() for ln in content.splitlines() if ln.strip()), "")
    if not line:
        return None
    delimiter = "'''" if '"""' in line or line.endswith('"') else '"""'
    return delimiter + line + delimiter


def _py_function(
    doc: SourceDocument, outer: SyntaxNode, definition: SyntaxNode, indent: str
) -> str:
    """Header, docstring line and ``...``; a method is its header and ``...`` on one line."""
    header = _py_header(doc, outer, definition, indent)
    if indent:
        return header + " ..."
    lines = [header]
    docstring = _py_docstring_line(definition.child_by_field("body"))
    if docstring is not None:
        lines.append("    " + docstring)
    lines.append("    ...")
    return "\n".join(lines)


def _py_class(doc: SourceDocument, outer: SyntaxNode, definition: SyntaxNode) -> str:
    lines = [_py_header(doc, outer, definition, "")]
    body = definition.child_by_field("body")
    docstring = _py_docstring_line(body)
    if docstring is not None:
        lines.append("    " + docstring)
    fields: list[str] = []
    methods: list[tuple[str, str]] = []
    for member in body.named_children if body is not None else []:
        node = member
        if node.kind == "expression_statement" and len(node.named_children) == 1:
            node = node.named_children[0]
        inner = _py_definition(node)
        name = inner.child_by_field("name") if inner is not None else None
        if inner is not None and name is not None and inner.kind == "function_definition":
            methods.append((name.text, _py_function(doc, node, inner, "    ")))
        elif inner is not None and inner.kind == "class_definition":
            methods.append(("", _py_header(doc, node, inner, "    ") + " ..."))
        elif node.kind == "assignment" and len(fields) < MAX_MEMBERS:
            names = _py_assigned_names(node)
            if any(not _private(n) for n in names):
                fields.append(_py_assignment(doc, node, "    "))
    lines += fields
    lines += capped(methods, "    # ... {} more methods")
    if len(lines) == 1:
        lines.append("    ...")
    return "\n".join(lines)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _py_assigned_names(node: SyntaxNode) -> list[str]:
    names: list[str] = []
    current: SyntaxNode | None = node
    while current is not None and current.kind == "assignment":
        left = current.child_by_field("left")
        if left is not None and left.kind == "identifier":
            names.append(left.text)
        elif left is not None and left.kind in {"pattern_list", "tuple_pattern"}:
            names += [c.text for c in left.named_children if c.kind == "identifier"]
        current = current.child_by_field("right")
    return names


def _py_assignment(doc: SourceDocument, node: SyntaxNode, indent: str) -> str:
    left = node.child_by_field("left")
    annotation = node.child_by_field("type")
    head = left.text if left is not None else "_"
    if annotation is not None:
        head += ": " + annotation.text
    return one_line(doc, node, indent, head + " = ...")
