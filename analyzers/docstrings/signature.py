"""What a definition's syntax tree says about it: parameters, return value, raised errors.

One function per language family, all returning a :class:`Signature`. Names, defaults and
types come from the tree; the model only fills in what they mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzers.docstrings.model import Param
from analyzers.parsing import SyntaxNode

__all__ = ["Signature", "signature_of", "walk"]


@dataclass(frozen=True)
class Signature:
    """Parameters, return type, whether a value is returned (or yielded), raised errors."""

    params: tuple[Param, ...] = ()
    returns: str | None = None
    returns_value: bool = False
    yields: bool = False
    raises: tuple[str, ...] = ()


def walk(node: SyntaxNode, stop: frozenset[str]) -> list[SyntaxNode]:
    """Descendants of ``node`` in pre-order, not entering nodes whose kind is in ``stop``."""
    out: list[SyntaxNode] = []
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        out.append(child)
        if child.kind not in stop:
            stack.extend(reversed(child.named_children))
    return out


_NESTED = frozenset(
    {
        # Python
        "function_definition",
        "class_definition",
        "lambda",
        "decorated_definition",
        # JavaScript / TypeScript
        "function_declaration",
        "function_expression",
        "arrow_function",
        "generator_function_declaration",
        "method_definition",
        "class_declaration",
        "class",
        # Java / C#
        "lambda_expression",
        "local_function_statement",
        "anonymous_method_expression",
        "method_declaration",
        # Ruby
        "method",
        "singleton_method",
        "do_block",
        # Rust / Go
        "closure_expression",
        "func_literal",
    }
)
_NO_VALUE_TYPES = frozenset({"void", "Promise<void>", "never", "()", "None", "NoReturn", "Task"})


def signature_of(node: SyntaxNode, language: str, is_method: bool) -> Signature:
    """The signature of function node ``node`` (the node with the parameters)."""
    if language == "python":
        return _python(node, is_method)
    if language == "ruby":
        return _ruby(node)
    if language == "lua":
        return _lua(node)
    if language in ("c", "cpp"):
        return _c_family(node, language)
    return _braces(node, language)


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def _returns_something(inner: list[SyntaxNode]) -> bool:
    return any(
        n.kind in ("return_statement", "return_expression", "return") and n.named_children
        for n in inner
    )


# ---------------------------------------------------------------------------- Python


def _python(node: SyntaxNode, is_method: bool) -> Signature:
    body = node.child_by_field("body")
    annotation = node.child_by_field("return_type")
    returns = annotation.text if annotation is not None else None
    inner = walk(body, _NESTED) if body is not None else []
    yields = any(n.kind == "yield" for n in inner)
    returns_value = yields or _returns_something(inner) or returns not in (None, *_NO_VALUE_TYPES)
    raises: list[str] = []
    for n in inner:
        if n.kind == "raise_statement" and n.named_children:
            raised = n.named_children[0]
            if raised.kind == "call":
                raised = raised.child_by_field("function") or raised
            if raised.kind in ("identifier", "attribute"):
                raises.append(raised.text)
    return Signature(
        _python_params(node, is_method), returns, returns_value, yields, _unique(raises)
    )


def _python_params(node: SyntaxNode, is_method: bool) -> tuple[Param, ...]:
    parameters = node.child_by_field("parameters")
    if parameters is None:
        return ()
    out: list[Param] = []
    for child in parameters.named_children:
        kind = child.kind
        name_node: SyntaxNode | None = None
        type_node = child.child_by_field("type")
        value_node = child.child_by_field("value")
        stars = ""
        if kind == "identifier":
            name_node = child
        elif kind in ("default_parameter", "typed_default_parameter"):
            name_node = child.child_by_field("name")
        elif kind == "typed_parameter":
            name_node = next((c for c in child.named_children if c != type_node), None)
        elif kind in ("list_splat_pattern", "dictionary_splat_pattern"):
            name_node = child
        if name_node is None:
            continue  # keyword/positional separators, comments
        if name_node.kind in ("list_splat_pattern", "dictionary_splat_pattern"):
            stars = "*" if name_node.kind == "list_splat_pattern" else "**"
            name_node = name_node.named_children[0] if name_node.named_children else None
        if name_node is None:
            continue
        name = name_node.text
        if is_method and not out and not stars and name in ("self", "cls"):
            continue
        out.append(
            Param(
                stars + name,
                type_node.text if type_node is not None else None,
                value_node.text if value_node is not None else None,
            )
        )
    return tuple(out)


# ------------------------------------------- JavaScript, TypeScript, Go, Rust, Java, C#


def _braces(node: SyntaxNode, language: str) -> Signature:
    params = _brace_params(node, language)
    result = (
        node.child_by_field("return_type")
        or node.child_by_field("result")
        or (node.child_by_field("type") if language == "java" else None)
        or (node.child_by_field("returns") if language == "csharp" else None)
    )
    returns = result.text.lstrip(":").strip() if result is not None else None
    body = node.child_by_field("body")
    inner = walk(body, _NESTED) if body is not None else []
    returns_value = _returns_something(inner)
    if body is not None and body.kind not in ("statement_block", "block"):
        returns_value = language in ("javascript", "typescript", "tsx")  # arrow expression body
    if returns is not None:
        returns_value = returns not in _NO_VALUE_TYPES
    raises: list[str] = []
    if language == "java":
        throws = next((c for c in node.named_children if c.kind == "throws"), None)
        raises += [c.text for c in throws.named_children] if throws is not None else []
    if language not in ("go", "rust"):
        for n in inner:
            if n.kind == "throw_statement" and n.named_children:
                raises.append(_constructed_type(n.named_children[0]))
    return Signature(params, returns, returns_value, False, _unique(raises))


def _constructed_type(thrown: SyntaxNode) -> str:
    """``new E(...)`` / ``E(...)`` → ``E``; anything else → ``""``."""
    if thrown.kind in ("new_expression", "object_creation_expression"):
        ctor = thrown.child_by_field("constructor") or thrown.child_by_field("type")
        return ctor.text if ctor is not None else ""
    if thrown.kind == "call_expression":
        function = thrown.child_by_field("function")
        if function is not None and re.fullmatch(r"[\w:.]+", function.text):
            return function.text
    return ""


def _brace_params(function: SyntaxNode, language: str) -> tuple[Param, ...]:
    parameters = function.child_by_field("parameters")
    if parameters is None:
        single = function.child_by_field("parameter")
        return (Param(single.text),) if single is not None else ()
    out: list[Param] = []
    for child in parameters.named_children:
        kind = child.kind
        type_node = child.child_by_field("type")
        type_text = type_node.text.lstrip(":").strip() if type_node is not None else None
        if language == "go":
            names = [c.text for c in child.named_children if c.kind == "identifier"]
            prefix = "..." if kind == "variadic_parameter_declaration" else ""
            out.extend(Param(prefix + n, type_text) for n in names)
        elif language == "rust":
            pattern = child.child_by_field("pattern")
            if kind == "parameter" and pattern is not None:
                out.append(Param(pattern.text, type_text))
        elif language == "java":
            out.extend(_java_param(child, type_text))
        elif language == "csharp":
            out.extend(_csharp_param(child, type_text))
        else:
            out.extend(_js_param(child, type_text))
    return tuple(out)


def _java_param(child: SyntaxNode, type_text: str | None) -> list[Param]:
    if child.kind == "formal_parameter":
        name = child.child_by_field("name")
        return [Param(name.text, type_text)] if name is not None else []
    if child.kind == "spread_parameter":
        declarator = next(
            (c for c in child.named_children if c.kind == "variable_declarator"), None
        )
        name = declarator.child_by_field("name") if declarator is not None else None
        kind = child.named_children[0].text + "..." if child.named_children else None
        return [Param(name.text, kind)] if name is not None else []
    return []  # receiver parameters (``Foo this``), comments


def _csharp_param(child: SyntaxNode, type_text: str | None) -> list[Param]:
    if child.kind == "parameter":
        name = child.child_by_field("name")
        value = next(
            (c for c in child.named_children if c not in (name, child.child_by_field("type"))),
            None,
        )
        default = value.text if value is not None and value.kind != "modifier" else None
        return [Param(name.text, type_text, default)] if name is not None else []
    if child.kind == "identifier":  # ``params T[] name`` is inlined in the parameter list
        previous = child.prev_named_sibling
        return [Param(child.text, previous.text if previous is not None else None)]
    return []


def _js_param(child: SyntaxNode, type_text: str | None) -> list[Param]:
    value = child.child_by_field("value")
    pattern = child.child_by_field("pattern") or child
    if child.kind == "assignment_pattern":
        pattern = child.child_by_field("left") or child
        value = child.child_by_field("right")
    if pattern.kind == "rest_pattern":
        inner = pattern.named_children
        name = "..." + (inner[0].text if inner else "")
    elif pattern.kind == "identifier":
        name = pattern.text
    else:
        return []  # ``this`` and destructured parameters: documented by the description
    return [Param(name, type_text, value.text if value is not None else None)]


# -------------------------------------------------------------------------------- C, C++


_C_DECLARATORS = frozenset(
    {"pointer_declarator", "reference_declarator", "array_declarator", "function_declarator"}
)


def _c_family(node: SyntaxNode, language: str) -> Signature:
    declarator = node.child_by_field("declarator")
    pointer = declarator is not None and declarator.kind in (
        "pointer_declarator",
        "reference_declarator",
    )
    while declarator is not None and declarator.kind != "function_declarator":
        declarator = declarator.child_by_field("declarator")
    params: list[Param] = []
    parameters = declarator.child_by_field("parameters") if declarator is not None else None
    for child in parameters.named_children if parameters is not None else []:
        if child.kind not in ("parameter_declaration", "optional_parameter_declaration"):
            continue  # ``...``, comments
        name = _declared_name(child.child_by_field("declarator"))
        type_node = child.child_by_field("type")
        value = child.child_by_field("default_value")
        if name is not None:
            params.append(
                Param(
                    name,
                    type_node.text if type_node is not None else None,
                    value.text if value is not None else None,
                )
            )
    type_node = node.child_by_field("type")
    returns = type_node.text if type_node is not None else None
    returns_value = pointer or (returns is not None and returns != "void")
    body = node.child_by_field("body")
    inner = walk(body, _NESTED) if body is not None else []
    raises = [
        _constructed_type(n.named_children[0])
        for n in inner
        if language == "cpp" and n.kind == "throw_statement" and n.named_children
    ]
    return Signature(tuple(params), returns, returns_value, False, _unique(raises))


def _declared_name(declarator: SyntaxNode | None) -> str | None:
    while declarator is not None and declarator.kind in _C_DECLARATORS:
        inner = declarator.child_by_field("declarator")
        if inner is None:  # reference_declarator has no field: its child is the name
            inner = declarator.named_children[-1] if declarator.named_children else None
        declarator = inner
    if declarator is None or declarator.kind not in ("identifier", "field_identifier"):
        return None
    return declarator.text


# ------------------------------------------------------------------------------------ Ruby


_RUBY_MARKERS = {
    "splat_parameter": "*",
    "hash_splat_parameter": "**",
    "block_parameter": "&",
}


def _ruby(node: SyntaxNode) -> Signature:
    params: list[Param] = []
    parameters = node.child_by_field("parameters")
    for child in parameters.named_children if parameters is not None else []:
        if child.kind == "identifier":
            params.append(Param(child.text))
            continue
        name = child.child_by_field("name")
        if name is None:
            continue  # bare ``*``, ``**``, ``&``, destructuring
        value = child.child_by_field("value")
        marker = _RUBY_MARKERS.get(child.kind, "")
        params.append(Param(marker + name.text, None, value.text if value is not None else None))
    body = node.child_by_field("body")
    inner = walk(body, _NESTED | {"block"}) if body is not None else []
    raises: list[str] = []
    for n in inner:
        method = n.child_by_field("method") if n.kind == "call" else None
        if method is None or method.text not in ("raise", "fail") or n.child_by_field("receiver"):
            continue
        arguments = n.child_by_field("arguments")
        first = arguments.named_children[0] if arguments and arguments.named_children else None
        if first is not None and first.kind == "call":
            first = first.child_by_field("receiver")  # raise Error.new(...)
        if first is not None and first.kind in ("constant", "scope_resolution"):
            raises.append(first.text)
    name = node.child_by_field("name")
    last = body.named_children[-1] if body is not None and body.named_children else None
    implicit = last is not None and last.kind not in ("assignment", "nil", "comment")
    setter = name is not None and (name.text.endswith("=") or name.text == "initialize")
    returns_value = not setter and (implicit or _returns_something(inner))
    return Signature(tuple(params), None, returns_value, False, _unique(raises))


# ------------------------------------------------------------------------------------- Lua


def _lua(node: SyntaxNode) -> Signature:
    params: list[Param] = []
    parameters = node.child_by_field("parameters")
    for child in parameters.named_children if parameters is not None else []:
        if child.kind == "identifier" and child.text != "self":
            params.append(Param(child.text))
    body = node.child_by_field("body")
    inner = walk(body, _NESTED | {"function_definition"}) if body is not None else []
    raises = (
        ["error"]
        if any(
            n.kind == "function_call" and (n.child_by_field("name") or n).text == "error"
            for n in inner
        )
        else []
    )
    return Signature(tuple(params), None, _returns_something(inner), False, tuple(raises))
