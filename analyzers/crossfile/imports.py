"""Reading imports: the names a Python, JavaScript/TypeScript or Lua document imports.

Owns :func:`imported_names`: import statements (Python ``import``/``from``, JavaScript
``import``/``require``, Lua ``require`` anywhere in the file) found by a text search and
confirmed on the syntax tree, so none in strings or comments count, as :class:`ImportedName` s.
"""

from __future__ import annotations

import re

from analyzers.crossfile.model import JS_LANGUAGES, ImportedName
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = ["imported_names"]


def imported_names(doc: SourceDocument) -> list[ImportedName]:
    """The names the document imports, in source order ([] for other languages)."""
    return list(doc.memo("crossfile.imported_names", lambda: _imported_names(doc)))


def _imported_names(doc: SourceDocument) -> tuple[ImportedName, ...]:
    spec = doc.language
    if spec is None or not doc.has_tree:
        return ()
    if spec.name == "python":
        statements = _statements_at(
            doc,
            r"^[ \t]*(?:from|import)\b",
            frozenset({"import_statement", "import_from_statement"}),
        )
        return tuple(name for node in statements for name in _python_import(node))
    if spec.name in JS_LANGUAGES:
        statements = _statements_at(
            doc, r"\bimport\b|\brequire\b", frozenset({"import_statement", "call_expression"})
        )
        return tuple(name for node in statements for name in _js_import(node))
    if spec.name == "lua":
        calls = _statements_at(doc, r"\brequire\b", frozenset({"function_call"}))
        return tuple(name for node in calls for name in _lua_require(node))
    return ()


def _statements_at(doc: SourceDocument, pattern: str, kinds: frozenset[str]) -> list[SyntaxNode]:
    """Nodes of ``kinds`` at or just above each match of ``pattern`` (none in strings/comments)."""
    found: dict[int, SyntaxNode] = {}
    for match in re.finditer(pattern, doc.text, re.MULTILINE):
        node = doc.node_spanning(match.end() - 1, match.end())
        for _ in range(3):
            if node is None or node.kind in kinds:
                break
            node = node.parent
        if node is not None and node.kind in kinds:
            found.setdefault(node.start, node)
    return [found[start] for start in sorted(found)]


def _last_part(module: str) -> str:
    parts = [p for p in re.split(r"[./\\]", module) if p]
    return parts[-1] if parts else module


def _python_import(node: SyntaxNode) -> list[ImportedName]:
    result: list[ImportedName] = []
    if node.kind == "import_statement":
        for child in node.named_children:
            if child.kind == "dotted_name":
                result.append(ImportedName(child.text, None, _last_part(child.text)))
            elif child.kind == "aliased_import":
                name, alias = child.child_by_field("name"), child.child_by_field("alias")
                if name is not None and alias is not None:
                    result.append(ImportedName(name.text, None, alias.text))
        return result
    source = node.child_by_field("module_name")
    if source is None:
        return result
    module, level = source.text, 0
    if source.kind == "relative_import":
        prefix = next((c for c in source.named_children if c.kind == "import_prefix"), None)
        level = prefix.text.count(".") if prefix is not None else 0
        dotted = next((c for c in source.named_children if c.kind == "dotted_name"), None)
        module = dotted.text if dotted is not None else ""
    for child in node.named_children:
        if child == source:
            continue
        if child.kind == "wildcard_import":
            result.append(ImportedName(module, None, "*", level))
        elif child.kind == "dotted_name":
            result.append(ImportedName(module, child.text, child.text, level))
        elif child.kind == "aliased_import":
            name, alias = child.child_by_field("name"), child.child_by_field("alias")
            if name is not None and alias is not None:
                result.append(ImportedName(module, name.text, alias.text, level))
    return result


def _string_value(node: SyntaxNode | None) -> str | None:
    if node is None or node.kind != "string":
        return None
    content = node.child_by_field("content")
    if content is not None:
        return content.text
    parts = [c for c in node.named_children if c.kind in {"string_fragment", "string_content"}]
    if parts:
        return "".join(p.text for p in parts)
    text = node.text
    for opener, closer in (("[[", "]]"), ('"', '"'), ("'", "'"), ("`", "`")):
        if text.startswith(opener) and text.endswith(closer) and len(text) >= 2 * len(opener):
            return text[len(opener) : len(text) - len(closer)]
    return None


def _js_import(node: SyntaxNode) -> list[ImportedName]:
    if node.kind == "call_expression":
        return _js_require(node)
    module = _string_value(node.child_by_field("source"))
    result: list[ImportedName] = []
    for clause in node.named_children:
        if clause.kind == "import_require_clause":
            binding = clause.named_children[0] if clause.named_children else None
            source = _string_value(clause.child_by_field("source"))
            if binding is not None and source is not None:
                result.append(ImportedName(source, None, binding.text))
        if module is None or clause.kind != "import_clause":
            continue
        for part in clause.named_children:
            if part.kind == "identifier":
                result.append(ImportedName(module, "default", part.text))
            elif part.kind == "namespace_import" and part.named_children:
                result.append(ImportedName(module, None, part.named_children[-1].text))
            elif part.kind == "named_imports":
                for spec in part.named_children:
                    name, alias = spec.child_by_field("name"), spec.child_by_field("alias")
                    if spec.kind != "import_specifier" or name is None:
                        continue
                    imported = _string_value(name) or name.text
                    local = alias.text if alias is not None else imported
                    result.append(ImportedName(module, imported, local))
    return result


def _require_call(
    call: SyntaxNode, callee_field: str, index_kind: str, object_field: str, member_field: str
) -> tuple[str, str | None, SyntaxNode, SyntaxNode] | None:
    """For ``require('m')`` or ``require('m').x``: module, member, the expression, its parent."""
    callee = call.child_by_field(callee_field)
    arguments = call.child_by_field("arguments")
    if callee is None or callee.text != "require" or arguments is None:
        return None
    args = arguments.named_children
    module = _string_value(args[0]) if len(args) == 1 else None
    parent = call.parent
    if module is None or parent is None:
        return None
    member: str | None = None
    value = call
    if parent.kind == index_kind and parent.child_by_field(object_field) == call:
        prop = parent.child_by_field(member_field)
        member = prop.text if prop is not None else None
        value = parent
        parent = parent.parent
    if parent is None:
        return None
    return module, member, value, parent


def _js_require(call: SyntaxNode) -> list[ImportedName]:
    found = _require_call(call, "function", "member_expression", "object", "property")
    if found is None:
        return []
    module, member, _, parent = found
    if parent.kind != "variable_declarator":
        return []
    pattern = parent.child_by_field("name")
    if pattern is None:
        return []
    if pattern.kind == "identifier":
        return [ImportedName(module, member, pattern.text)]
    if pattern.kind != "object_pattern" or member is not None:
        return []
    result: list[ImportedName] = []
    for part in pattern.named_children:
        if part.kind == "shorthand_property_identifier_pattern":
            result.append(ImportedName(module, part.text, part.text))
        elif part.kind == "pair_pattern":
            key, value = part.child_by_field("key"), part.child_by_field("value")
            if key is not None and value is not None and value.kind == "identifier":
                result.append(ImportedName(module, _string_value(key) or key.text, value.text))
    return result


def _lua_require(call: SyntaxNode) -> list[ImportedName]:
    found = _require_call(call, "name", "dot_index_expression", "table", "field")
    if found is None:
        return []
    module, member, value, parent = found
    if parent.kind == "expression_list":
        assignment = parent.parent
        if assignment is None or assignment.kind != "assignment_statement":
            return []
        targets = next((c for c in assignment.named_children if c.kind == "variable_list"), None)
        index = next((i for i, v in enumerate(parent.named_children) if v == value), -1)
        names = targets.named_children if targets is not None else []
        if not 0 <= index < len(names):
            return []
        target = names[index]
        if target.kind == "dot_index_expression":
            field = target.child_by_field("field")
            target = field if field is not None else target
        return [ImportedName(module, member, target.text)]
    if member is None and value.parent is not None and value.parent.kind in {"chunk", "block"}:
        return [ImportedName(module, None, _last_part(module))]
    return []
