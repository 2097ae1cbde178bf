"""JavaScript/TypeScript module summaries: exported (or CommonJS) definitions, bodies elided.

Owns :func:`add_js_definitions`: functions and classes with ``{ ... }`` bodies, TypeScript
overloads, interfaces/type aliases/enums (whole when short), variables, ``exports.f = ...``,
``export default`` (filed under ``"default"`` too) and ``export { a as b }`` aliases.
"""

from __future__ import annotations

from analyzers.crossfile.model import DefinitionSummary
from analyzers.crossfile.render import (
    MAX_LINE,
    MAX_MEMBERS,
    SummaryBuilder,
    capped,
    one_line,
    reindented,
)
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = ["add_js_definitions"]

_MAX_WHOLE_LINES = 15
"""TS interfaces, type aliases and enums up to this many lines are shown whole."""
_MAX_SIGNATURE_LINES = 8
"""Bodiless declarations (TS overloads, abstract methods) up to this many lines are whole."""
_JS_FUNCTIONS = frozenset(
    {"function_declaration", "generator_function_declaration", "function_expression"}
)
_JS_CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_TS_WHOLE = {
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
}
_JS_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)


def add_js_definitions(builder: SummaryBuilder, root: SyntaxNode) -> None:
    """Add the module's exported (or, in CommonJS, top-level) definitions to ``builder``."""
    doc = builder.doc
    commonjs = "exports" in doc.text
    aliases: list[tuple[str, str]] = []
    for outer in root.named_children:
        node, exported, default = outer, False, False
        if node.kind == "export_statement":
            exported = True
            default = any(c.kind == "default" for c in node.children)
            inner = node.child_by_field("declaration") or node.child_by_field("value")
            if inner is None:
                clause = next((c for c in node.named_children if c.kind == "export_clause"), None)
                if clause is not None and node.child_by_field("source") is None:
                    aliases += _js_export_aliases(clause)
                continue
            node = inner
        if node.kind == "ambient_declaration" and node.named_children:
            node = node.named_children[0]
        for name, kind, text in _js_statement(doc, outer, node, exported or commonjs):
            builder.add(name, kind, text, node)
            if kind == "function" and name in builder.result and text != builder.result[name].text:
                builder.overload(name, text)
            if default:
                builder.add("default", kind, text, node)
    for name, alias in aliases:
        if name in builder.result and alias not in builder.result:
            found = builder.result[name]
            builder.result[alias] = DefinitionSummary(alias, found.kind, found.text, found.line)


def _js_export_aliases(clause: SyntaxNode) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for spec in clause.named_children:
        name, alias = spec.child_by_field("name"), spec.child_by_field("alias")
        if name is not None and alias is not None:
            pairs.append((name.text, alias.text))
    return pairs


def _js_statement(
    doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode, public: bool
) -> list[tuple[str, str, str]]:
    kind = node.kind
    name_node = node.child_by_field("name")
    name = name_node.text if name_node is not None else ""
    if kind in _JS_FUNCTIONS:
        return [(name, "function", _js_with_body(doc, outer, node, ""))]
    if kind == "function_signature":
        return [(name, "function", _signature(doc, outer, ""))]
    if kind in _JS_CLASSES:
        return [(name, "class", _js_class(doc, outer, node))]
    if kind in _TS_WHOLE:
        return [(name, _TS_WHOLE[kind], _ts_whole(outer))]
    if kind in {"lexical_declaration", "variable_declaration"}:
        return _js_variables(doc, outer, node, public)
    if kind == "expression_statement" and node.named_children:
        return _js_exports_assignment(doc, node.named_children[0])
    if outer != node and node.kind in {"object", "identifier", "call_expression"}:
        return [("", "variable", one_line(doc, outer, "", "export default ..."))]
    return []


def _js_with_body(doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode, indent: str) -> str:
    """The node's text from ``outer`` with its ``{...}`` body replaced by ``{ ... }``."""
    body = node.child_by_field("body")
    if body is None or body.kind != "statement_block":
        if body is not None and "\n" not in outer.text and len(outer.text) <= MAX_LINE:
            return indent + outer.text.strip()
        end = body.start if body is not None else outer.end
        return reindented(doc, outer.start, end, indent) + (" ..." if body is not None else "")
    return reindented(doc, outer.start, body.start, indent) + " { ... }"


def _js_class(doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode) -> str:
    body = node.child_by_field("body")
    if body is None:
        return one_line(doc, outer, "", "class ...")
    lines = [reindented(doc, outer.start, body.start, "") + " {"]
    fields: list[str] = []
    methods: list[tuple[str, str]] = []
    for member in body.named_children:
        name_node = member.child_by_field("name") or member.child_by_field("property")
        name = name_node.text if name_node is not None else ""
        if name.startswith("#") or member.text.startswith("private"):
            continue
        if member.kind == "method_definition":
            methods.append((name, _js_with_body(doc, member, member, "  ")))
        elif member.kind in {"abstract_method_signature", "method_signature"}:
            methods.append((name, _semicolon(_signature(doc, member, "  "))))
        elif (
            member.kind in {"public_field_definition", "field_definition"}
            and len(fields) < MAX_MEMBERS
        ):
            fields.append(_semicolon(one_line(doc, member, "  ", name + " = ...")))
    lines += fields
    lines += capped(methods, "  // ... {} more methods")
    lines.append("}")
    return "\n".join(lines)


def _signature(doc: SourceDocument, node: SyntaxNode, indent: str) -> str:
    """A bodiless declaration: whole if it is short, else its first line."""
    text = node.text.rstrip()
    if text.count("\n") < _MAX_SIGNATURE_LINES:
        return reindented(doc, node.start, node.end, indent)
    return one_line(doc, node, indent, text.split("\n", 1)[0])


def _semicolon(text: str) -> str:
    return text if text.endswith((";", "}")) else text + ";"


def _ts_whole(outer: SyntaxNode) -> str:
    lines = outer.text.rstrip().splitlines()
    if len(lines) <= _MAX_WHOLE_LINES:
        return "\n".join(lines)
    head = lines[: _MAX_WHOLE_LINES - 3]
    closer = lines[-1] if lines[-1].strip() in {"}", "};"} else None
    return "\n".join([*head, "  // ...", *([closer] if closer is not None else [])])


def _js_variables(
    doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode, public: bool
) -> list[tuple[str, str, str]]:
    keyword = node.text.split(None, 1)[0]
    prefix = doc.text[outer.start : node.start] + keyword + " "
    result: list[tuple[str, str, str]] = []
    for declarator in node.named_children:
        name_node = declarator.child_by_field("name")
        if declarator.kind != "variable_declarator" or name_node is None:
            continue
        if name_node.kind != "identifier":
            continue
        value = declarator.child_by_field("value")
        if value is not None and value.kind in _JS_FUNCTION_VALUES:
            text = prefix + _js_with_body(doc, declarator, value, "")
            result.append((name_node.text, "function", text))
        elif public and not _is_require(value):
            text = prefix + one_line(doc, declarator, "", name_node.text + " = ...")
            result.append((name_node.text, "variable", text))
    return result


def _is_require(value: SyntaxNode | None) -> bool:
    while value is not None and value.kind == "member_expression":
        value = value.child_by_field("object")
    if value is None or value.kind != "call_expression":
        return False
    function = value.child_by_field("function")
    return function is not None and function.text == "require"


def _js_exports_assignment(doc: SourceDocument, node: SyntaxNode) -> list[tuple[str, str, str]]:
    """``exports.f = ...`` and ``module.exports.f = ...`` (CommonJS)."""
    if node.kind != "assignment_expression":
        return []
    left, right = node.child_by_field("left"), node.child_by_field("right")
    if left is None or right is None or left.kind != "member_expression":
        return []
    target = left.child_by_field("object")
    prop = left.child_by_field("property")
    if target is None or prop is None or target.text not in {"exports", "module.exports"}:
        return []
    if right.kind in _JS_FUNCTION_VALUES:
        return [(prop.text, "function", _js_with_body(doc, node, right, ""))]
    return [(prop.text, "variable", one_line(doc, node, "", left.text + " = ..."))]
