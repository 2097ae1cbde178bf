"""Lua module summaries: functions, module-table fields and the returned table.

Owns :func:`add_lua_definitions`: ``function M.f(a) end`` headers (methods by their last name
part), top-level one-line assignments, and the function fields of a ``return { ... }`` table
(local functions it names included).
"""

from __future__ import annotations

import re

from analyzers.crossfile.render import SummaryBuilder, one_line, reindented
from analyzers.parsing import SyntaxNode

__all__ = ["add_lua_definitions"]


def add_lua_definitions(builder: SummaryBuilder, root: SyntaxNode) -> None:
    """Add the chunk's top-level functions, assignments and returned-table fields to ``builder``."""
    doc = builder.doc
    locals_: dict[str, str] = {}
    for node in root.named_children:
        if node.kind == "function_declaration":
            name = node.child_by_field("name")
            params = node.child_by_field("parameters")
            if name is None:
                continue
            end = params.end if params is not None else name.end
            text = reindented(doc, node.start, end, "") + " end"
            key = _lua_key(name.text)
            builder.add(key, "method" if ":" in name.text else "function", text, node)
            if node.text.startswith("local"):
                locals_[name.text] = text
        elif node.kind in {"variable_declaration", "assignment_statement"}:
            _lua_assignment(builder, node, locals_)
        elif node.kind == "return_statement":
            _lua_returned_table(builder, node, locals_)


def _lua_key(name: str) -> str:
    return re.split(r"[.:]", name)[-1]


def _lua_assignment(builder: SummaryBuilder, node: SyntaxNode, locals_: dict[str, str]) -> None:
    doc = builder.doc
    local = node.kind == "variable_declaration"
    assignment = node.named_children[0] if local and node.named_children else node
    if assignment.kind != "assignment_statement":
        return
    targets = next((c for c in assignment.named_children if c.kind == "variable_list"), None)
    values = next((c for c in assignment.named_children if c.kind == "expression_list"), None)
    if targets is None or values is None:
        return
    for target, value in zip(targets.named_children, values.named_children, strict=False):
        name = target.text
        if value.kind == "function_definition":
            params = value.child_by_field("parameters")
            args = params.text if params is not None else "()"
            text = ("local " if local else "") + f"function {name}{args} end"
            builder.add(_lua_key(name), "function", text, node)
            if local:
                locals_[name] = text
        elif not local and value.kind != "function_call" and "\n" not in node.text:
            builder.add(_lua_key(name), "variable", one_line(doc, node, "", "..."), node)


def _lua_returned_table(builder: SummaryBuilder, node: SyntaxNode, locals_: dict[str, str]) -> None:
    """``return { f = f, g = function(a) ... end }``: the table's function fields."""
    values = node.named_children[0] if node.named_children else None
    table = values.named_children[0] if values is not None and values.named_children else None
    if table is None or table.kind != "table_constructor":
        return
    for field in table.named_children:
        key, value = field.child_by_field("name"), field.child_by_field("value")
        if field.kind != "field" or key is None or value is None:
            continue
        if value.kind == "function_definition":
            params = value.child_by_field("parameters")
            args = params.text if params is not None else "()"
            builder.add(key.text, "function", f"function M.{key.text}{args} end", field)
        elif value.kind == "identifier" and value.text in locals_:
            builder.add(key.text, "function", locals_[value.text], field)
