"""Cross-file context: what a file imports, where those modules live, and what they define.

Owns the three steps that turn ``from pkg.util import helper`` into a compact rendering of
``helper``'s signature for the completion prompt, for Python, JavaScript/TypeScript/TSX and Lua:

* :func:`imported_names` -- the import statements of a document as :class:`ImportedName` s;
* :func:`module_paths` -- candidate files for an import (pure path arithmetic, no I/O: the
  caller checks which candidates exist and loads them);
* :func:`summarize_module` -- a module's top-level (and exported) definitions, each rendered as
  code in the module's own language with bodies elided (:class:`DefinitionSummary`);

plus :func:`used_names`, which orders the identifiers near the cursor by recency so the caller
can pick the imported symbols that matter.

Conventions of :class:`ImportedName`:

* Python: ``module`` is the dotted path without the relative dots (``from ..p import x`` has
  module ``"p"`` and level 2; ``from . import m`` has module ``""``, name ``"m"``, level 1);
  ``import a.b`` has local ``"b"`` (the last part, by which the code reaches the module's
  members in ``a.b.f()``); ``from m import *`` has name None and local ``"*"``.
* JavaScript/TypeScript: ``module`` is the specifier as written; a default import has name
  ``"default"`` (:func:`summarize_module` files ``export default`` definitions under that key
  too); side-effect imports (``import './x'``, bare ``require('./x')``) bind nothing and are
  left out.
* Lua: ``require`` anywhere in the file; ``module`` is the string passed to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = [
    "DefinitionSummary",
    "ImportedName",
    "imported_names",
    "module_paths",
    "summarize_module",
    "used_names",
]

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_PREFIX_RE = re.compile(r"^[A-Za-z]*(\"\"\"|'''|\"|')")

_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})

_MAX_MEMBERS = 12
"""Methods (and, separately, fields) listed per class."""
_MAX_WHOLE_LINES = 15
"""TS interfaces, type aliases and enums up to this many lines are shown whole."""
_MAX_LINE = 160
"""A one-line value longer than this is collapsed to ``...``."""
_PY_NESTING = 3
"""How deep into top-level ``if``/``try``/``with`` blocks Python definitions are looked for."""
_MAX_SIGNATURE_LINES = 8
"""Bodiless declarations (TS overloads, abstract methods) up to this many lines are whole."""
_OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class ImportedName:
    """One name an import statement binds (see the module docstring for the conventions)."""

    module: str
    name: str | None
    local: str
    level: int = 0


@dataclass(frozen=True)
class DefinitionSummary:
    """A definition rendered compactly as code in its file's language."""

    name: str
    kind: str
    text: str
    line: int


# ------------------------------------------------------------------------------ used names


def used_names(text: str) -> list[str]:
    """Identifiers in ``text``, most recently used (nearest the end) first, without duplicates."""
    found = _IDENTIFIER_RE.findall(text)
    return list(dict.fromkeys(reversed(found)))


# ---------------------------------------------------------------------------- imported names


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
    if spec.name in _JS_LANGUAGES:
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


# ------------------------------------------------------------------------------ module paths


def module_paths(
    importer_path: str, imported: ImportedName, language: str, roots: Sequence[str]
) -> list[str]:
    """Candidate absolute file paths (normalised, in preference order) that may define the module.

    Pure path arithmetic, no I/O. ``language`` is a language name or LSP languageId.

    * Python, per root (then the importer's own directory, as ``sys.path[0]`` of a script):
      ``root/a/b.py``, ``root/a/b/__init__.py``; relative imports resolve against the
      importer's package instead of the roots. For ``from a.b import x`` the files of a
      possible submodule ``x`` (``root/a/b/x.py``, ``root/a/b/x/__init__.py``) come first, then
      the module files: when ``a/b/x.py`` exists, ``x`` is almost always that submodule, so the
      first existing candidate is the right file.
    * JavaScript/TypeScript: relative specifiers only (``./``, ``../``): the exact path, then
      the path plus ``.ts .tsx .js .jsx .mjs .cjs .d.ts``, then ``/index`` plus those; a
      ``.js``-style specifier also tries its TypeScript source (``./m.js`` → ``./m.ts``).
      Bare package names give [] (no ``node_modules`` lookup).
    * Lua, per root: ``a/b.lua``, ``a/b/init.lua``, ``lua/a/b.lua``, ``lua/a/b/init.lua``.
    """
    spec = language_for(language, None)
    name = spec.name if spec is not None else language
    if name == "python":
        paths = _python_paths(importer_path, imported, roots)
    elif name in _JS_LANGUAGES:
        paths = _js_paths(importer_path, imported.module)
    elif name == "lua":
        paths = _lua_paths(imported.module, roots)
    else:
        paths = []
    return list(dict.fromkeys(os.path.normpath(p) for p in paths))


def _python_paths(importer_path: str, imported: ImportedName, roots: Sequence[str]) -> list[str]:
    parts = [p for p in imported.module.split(".") if p]
    if imported.level > 0:
        base = os.path.dirname(os.path.abspath(importer_path))
        for _ in range(imported.level - 1):
            base = os.path.dirname(base)
        bases = [base]
    else:
        bases = [os.path.abspath(r) for r in roots]
        own = os.path.dirname(os.path.abspath(importer_path))
        if own not in bases:
            bases.append(own)
    modules: list[str] = []
    submodules: list[str] = []
    for base in bases:
        target = os.path.join(base, *parts)
        if parts:
            modules.append(target + ".py")
        modules.append(os.path.join(target, "__init__.py"))
        if imported.name is not None and imported.name != "*":
            sub = os.path.join(target, *imported.name.split("."))
            submodules += [sub + ".py", os.path.join(sub, "__init__.py")]
    return submodules + modules


def _js_paths(importer_path: str, specifier: str) -> list[str]:
    if not specifier.startswith(("./", "../")) and specifier not in {".", ".."}:
        return []
    base = os.path.dirname(os.path.abspath(importer_path))
    target = os.path.normpath(os.path.join(base, specifier))
    paths = [target]
    stem, ext = os.path.splitext(target)
    paths += [stem + alternative for alternative in _JS_TO_TS.get(ext, ())]
    paths += [target + e for e in _JS_EXTENSIONS]
    paths += [os.path.join(target, "index" + e) for e in _JS_EXTENSIONS]
    return paths


def _lua_paths(module: str, roots: Sequence[str]) -> list[str]:
    module = module.removesuffix(".lua")
    parts = [p for p in re.split(r"[./]", module) if p]
    if not parts:
        return []
    paths: list[str] = []
    for root in roots:
        for base in (os.path.abspath(root), os.path.join(os.path.abspath(root), "lua")):
            target = os.path.join(base, *parts)
            paths += [target + ".lua", os.path.join(target, "init.lua")]
    return paths


# --------------------------------------------------------------------------- module summary


def summarize_module(doc: SourceDocument) -> dict[str, DefinitionSummary]:
    """Top-level definitions (and exported ones) by name, each rendered compactly."""
    return dict(doc.memo("crossfile.summaries", lambda: _summarize(doc)))


def _summarize(doc: SourceDocument) -> dict[str, DefinitionSummary]:
    spec = doc.language
    root = doc.root
    if spec is None or root is None:
        return {}
    builder = _Summaries(doc)
    if spec.name == "python":
        _python_module(builder, root, 0)
    elif spec.name in _JS_LANGUAGES:
        _js_module(builder, root)
    elif spec.name == "lua":
        _lua_module(builder, root)
    return builder.result


class _Summaries:
    """Collects summaries; the first definition of a name wins."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.result: dict[str, DefinitionSummary] = {}

    def add(self, name: str, kind: str, text: str, node: SyntaxNode) -> None:
        if name and name not in self.result:
            line = self.doc.lines.line_of(node.start)
            self.result[name] = DefinitionSummary(name, kind, text, line)

    def overload(self, name: str, text: str) -> None:
        """Append a further signature (a TypeScript overload) to ``name``'s rendering."""
        old = self.result[name]
        self.result[name] = DefinitionSummary(name, old.kind, old.text + "\n" + text, old.line)


def _indent_of(doc: SourceDocument, offset: int) -> str:
    line = doc.lines.line_text(doc.lines.line_of(offset))
    return line[: len(line) - len(line.lstrip(" \t"))]


def _source(doc: SourceDocument, start: int, end: int, indent: str) -> str:
    """``text[start:end]`` with its lines moved from their original indentation to ``indent``."""
    old = _indent_of(doc, start)
    lines = doc.text[start:end].rstrip().splitlines()
    out = [indent + lines[0].strip()] if lines else [indent]
    for line in lines[1:]:
        out.append(indent + line[len(old) :] if line.startswith(old) else indent + line.strip())
    return "\n".join(out)


def _collapse(line: str) -> str | None:
    """``line`` with its unclosed brackets closed around ``...``; None if it can't be."""
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for char in line:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in _OPENERS:
            stack.append(_OPENERS[char])
        elif char in ")]}":
            if not stack or stack.pop() != char:
                return None
        elif char == "#" and not stack:
            break
    if quote is not None or not stack:
        return None
    return line.rstrip() + "..." + "".join(reversed(stack))


def _one_line(doc: SourceDocument, node: SyntaxNode, indent: str, fallback: str) -> str:
    """The statement on one line: whole, its first line with brackets closed, or ``fallback``."""
    text = node.text.rstrip()
    if "\n" not in text and len(text) <= _MAX_LINE:
        return indent + text
    first = text.split("\n", 1)[0]
    collapsed = _collapse(first) if len(first) <= _MAX_LINE else None
    return indent + (collapsed if collapsed is not None else fallback)


# --------------------------------------------------------------------------------- Python


def _python_module(builder: _Summaries, container: SyntaxNode, depth: int) -> None:
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
                builder.add(left.text, "type", _one_line(builder.doc, node, "", "..."), node)
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
            _python_module(builder, node, depth + 1)


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
    return _source(doc, outer.start, end, indent)


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
        elif node.kind == "assignment" and len(fields) < _MAX_MEMBERS:
            names = _py_assigned_names(node)
            if any(not _private(n) for n in names):
                fields.append(_py_assignment(doc, node, "    "))
    lines += fields
    lines += _capped(methods, "    # ... {} more methods")
    if len(lines) == 1:
        lines.append("    ...")
    return "\n".join(lines)


def _capped(members: list[tuple[str, str]], more: str) -> list[str]:
    """At most ``_MAX_MEMBERS`` renderings in source order, constructors and public ones first."""
    if len(members) <= _MAX_MEMBERS:
        return [text for _, text in members]

    def priority(index: int) -> tuple[int, int]:
        name = members[index][0]
        if name in {"__init__", "constructor", "new"}:
            return (0, index)
        return (1 if not name.startswith(("_", "#")) else 2, index)

    keep = sorted(sorted(range(len(members)), key=priority)[:_MAX_MEMBERS])
    return [members[i][1] for i in keep] + [more.format(len(members) - _MAX_MEMBERS)]


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
    return _one_line(doc, node, indent, head + " = ...")


# --------------------------------------------------------------------- JavaScript/TypeScript

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


def _js_module(builder: _Summaries, root: SyntaxNode) -> None:
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
        return [("", "variable", _one_line(doc, outer, "", "export default ..."))]
    return []


def _js_with_body(doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode, indent: str) -> str:
    """The node's text from ``outer`` with its ``{...}`` body replaced by ``{ ... }``."""
    body = node.child_by_field("body")
    if body is None or body.kind != "statement_block":
        if body is not None and "\n" not in outer.text and len(outer.text) <= _MAX_LINE:
            return indent + outer.text.strip()
        end = body.start if body is not None else outer.end
        return _source(doc, outer.start, end, indent) + (" ..." if body is not None else "")
    return _source(doc, outer.start, body.start, indent) + " { ... }"


def _js_class(doc: SourceDocument, outer: SyntaxNode, node: SyntaxNode) -> str:
    body = node.child_by_field("body")
    if body is None:
        return _one_line(doc, outer, "", "class ...")
    lines = [_source(doc, outer.start, body.start, "") + " {"]
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
            and len(fields) < _MAX_MEMBERS
        ):
            fields.append(_semicolon(_one_line(doc, member, "  ", name + " = ...")))
    lines += fields
    lines += _capped(methods, "  // ... {} more methods")
    lines.append("}")
    return "\n".join(lines)


def _signature(doc: SourceDocument, node: SyntaxNode, indent: str) -> str:
    """A bodiless declaration: whole if it is short, else its first line."""
    text = node.text.rstrip()
    if text.count("\n") < _MAX_SIGNATURE_LINES:
        return _source(doc, node.start, node.end, indent)
    return _one_line(doc, node, indent, text.split("\n", 1)[0])


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
            text = prefix + _one_line(doc, declarator, "", name_node.text + " = ...")
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
    return [(prop.text, "variable", _one_line(doc, node, "", left.text + " = ..."))]


# ------------------------------------------------------------------------------------- Lua


def _lua_module(builder: _Summaries, root: SyntaxNode) -> None:
    doc = builder.doc
    locals_: dict[str, str] = {}
    for node in root.named_children:
        if node.kind == "function_declaration":
            name = node.child_by_field("name")
            params = node.child_by_field("parameters")
            if name is None:
                continue
            end = params.end if params is not None else name.end
            text = _source(doc, node.start, end, "") + " end"
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


def _lua_assignment(builder: _Summaries, node: SyntaxNode, locals_: dict[str, str]) -> None:
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
            builder.add(_lua_key(name), "variable", _one_line(doc, node, "", "..."), node)


def _lua_returned_table(builder: _Summaries, node: SyntaxNode, locals_: dict[str, str]) -> None:
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
