"""Docstrings: find the definition to document, render its docstring, validate the edit.

Owns the pure side of docstring generation for Python, JavaScript/TypeScript, Go and Rust:

* :func:`find_target` -- the innermost function/method/class at an offset, with its parameters
  (names, defaults, types; ``self``/``cls`` and Go receivers excluded), raised exceptions
  (``raise``/``throw`` outside nested definitions), whether it returns or yields a value, an
  existing docstring, the exact edit range, indentation, line ending and the file's style;
* :func:`detect_python_style` -- Google / NumPy / Sphinx / plain from the file's docstrings;
* :func:`parse_answer` -- a model answer (summary, description, ``Args:``/``Returns:``/
  ``Raises:`` sections, the layout the prompt asks for) to a :class:`DocContent`, with the
  problems that make it unusable (code fences, code, prose around it, wrong parameters);
* :func:`render_edit` -- placement, indentation and comment syntax, done here so the model can
  never touch code: Python string as the body's first statement, JSDoc ``/** */`` above
  decorators and ``export``, Go ``//`` lines starting with the name, Rust ``///`` above
  attributes;
* :func:`validate_edit` -- the last gate before any edit: the result parses (no new errors),
  only whitespace or the old docstring is replaced, the inserted text is exactly one docstring
  that names exactly the real parameters (where the style lists them), no fences, no trailing
  whitespace;
* :func:`skeleton` -- a clearly marked ``TODO`` docstring built from the syntax tree alone.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field, replace
from typing import Literal

from analyzers.parsing import SourceDocument, SyntaxNode
from analyzers.structure import Scope, ScopeKind, definitions, enclosing_scopes

__all__ = [
    "DOC_LANGUAGES",
    "DocContent",
    "DocEdit",
    "DocStyle",
    "DocTarget",
    "Param",
    "answer_template",
    "detect_python_style",
    "find_target",
    "parse_answer",
    "render_edit",
    "salvage_answer",
    "skeleton",
    "validate_edit",
    "with_style",
]

DocStyle = Literal["google", "numpy", "sphinx", "plain", "jsdoc", "go", "rust"]

DOC_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "rust"})
"""Languages this module places docstrings for."""

SKELETON_MARK = "TODO"


@dataclass(frozen=True)
class Param:
    """One documented parameter; ``name`` carries ``*``/``**`` (Python) or ``...`` (JS)."""

    name: str
    type: str | None = None
    default: str | None = None

    @property
    def key(self) -> str:
        """The bare name used to match a docstring entry (no stars or dots)."""
        return self.name.lstrip("*.")


@dataclass(frozen=True)
class DocTarget:
    """A definition to document and everything needed to place its docstring."""

    language: str
    kind: ScopeKind
    name: str
    start: int
    """Start of the definition including decorators, attributes and ``export``."""
    end: int
    node_start: int
    """Start of the definition node itself (after decorators)."""
    header: str
    params: tuple[Param, ...]
    returns: str | None
    """Return type annotation text, if any."""
    returns_value: bool
    """Whether the docstring should have a Returns (or Yields) section."""
    yields: bool
    raises: tuple[str, ...]
    existing: str | None
    """Text of the existing docstring or doc comment (the range ``edit_start..edit_end``)."""
    edit_start: int
    edit_end: int
    """Range the edit replaces: empty, whitespace only, or the existing docstring."""
    indent: str
    indent_unit: str
    newline: str
    style: DocStyle
    same_line_body: bool = False
    """Python body on the header line: the edit moves it to its own line."""

    @property
    def lists_params(self) -> bool:
        """Whether this style names every parameter."""
        return self.style in ("google", "numpy", "sphinx", "jsdoc") and self.kind != "class"


@dataclass(frozen=True)
class DocContent:
    """A docstring's content, independent of style and comment syntax."""

    summary: str
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: str = ""
    raises: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocEdit:
    """Replace ``start..end`` (code points) of the document with ``text``."""

    start: int
    end: int
    text: str


# --------------------------------------------------------------------------------------------
# Finding the target

_PY_DEF_TYPES = frozenset({"function_definition", "class_definition"})
_DECORATOR_TYPES = frozenset({"decorator", "attribute_item"})


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


def _walk(node: SyntaxNode, stop: frozenset[str]) -> list[SyntaxNode]:
    """Descendants of ``node`` in pre-order, not entering nodes whose kind is in ``stop``."""
    out: list[SyntaxNode] = []
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        out.append(child)
        if child.kind not in stop:
            stack.extend(reversed(child.named_children))
    return out


# ---------------------------------------------------------------------------- Python


_PY_NESTED = frozenset(
    {"function_definition", "class_definition", "lambda", "decorated_definition"}
)


def _python_target(doc: SourceDocument, scope: Scope, node: SyntaxNode) -> DocTarget:
    body = node.child_by_field("body")
    assert body is not None
    params: tuple[Param, ...] = ()
    returns: str | None = None
    returns_value = yields = False
    raises: list[str] = []
    if node.kind == "function_definition":
        params = _python_params(node, scope.kind == "method")
        annotation = node.child_by_field("return_type")
        returns = annotation.text if annotation is not None else None
        inner = _walk(body, _PY_NESTED)
        yields = any(n.kind == "yield" for n in inner)
        has_value = any(n.kind == "return_statement" and n.named_children for n in inner)
        returns_value = yields or has_value or (returns not in (None, "None", "NoReturn"))
        for n in inner:
            if n.kind == "raise_statement" and n.named_children:
                raised = n.named_children[0]
                if raised.kind == "call":
                    function = raised.child_by_field("function")
                    raised = function if function is not None else raised
                if raised.kind in ("identifier", "attribute") and raised.text not in raises:
                    raises.append(raised.text)
    header_indent = _line_indent(doc, node.start)
    newline = doc.line_ending
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
    return DocTarget(
        language="python",
        kind=scope.kind,
        name=scope.name,
        start=scope.outer_start,
        end=scope.end,
        node_start=scope.start,
        header=scope.header,
        params=params,
        returns=returns,
        returns_value=returns_value and scope.kind != "class",
        yields=yields,
        raises=tuple(raises),
        existing=existing,
        edit_start=edit_start,
        edit_end=edit_end,
        indent=indent,
        indent_unit=unit,
        newline=newline,
        style=detect_python_style(doc),
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


def _indent_unit(doc: SourceDocument) -> str:
    for match in re.finditer(r"^([ \t]+)\S", doc.text, re.MULTILINE):
        return "\t" if match.group(1).startswith("\t") else " " * min(len(match.group(1)), 8)
    return "    "


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
        if name_node.kind == "list_splat_pattern":
            stars, name_node = (
                "*",
                name_node.named_children[0] if name_node.named_children else None,
            )
        elif name_node.kind == "dictionary_splat_pattern":
            stars, name_node = (
                "**",
                name_node.named_children[0] if name_node.named_children else None,
            )
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


# ------------------------------------------------------------------- style detection

_GOOGLE = re.compile(
    r"^\s*(Args|Arguments|Returns|Raises|Yields|Attributes|Examples?|Note):\s*$", re.MULTILINE
)
_NUMPY = re.compile(
    r"^\s*(Parameters|Returns|Raises|Yields|Attributes|Examples?)\s*\r?\n\s*-{3,}\s*$", re.MULTILINE
)
_SPHINX = re.compile(r":(param|type|returns?|rtype|raises?)\b[^:\n]*:")
_PLAIN_MIN_DOCSTRINGS = 3


def detect_python_style(doc: SourceDocument) -> DocStyle:
    """The convention of the file's docstrings: majority of google/numpy/sphinx markers.

    ``plain`` when the file has at least three docstrings and none has sections; ``google``
    when there is nothing to go by.
    """
    texts = [s.docstring for s in definitions(doc) if s.docstring]
    votes = {"google": 0, "numpy": 0, "sphinx": 0}
    for text in texts:
        if _NUMPY.search(text):
            votes["numpy"] += 1
        elif _SPHINX.search(text):
            votes["sphinx"] += 1
        elif _GOOGLE.search(text):
            votes["google"] += 1
    best = max(votes, key=lambda k: votes[k])
    if votes[best]:
        return best  # type: ignore[return-value]
    return "plain" if len(texts) >= _PLAIN_MIN_DOCSTRINGS else "google"


# ------------------------------------------------------------ comment languages

_JS_NESTED = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "generator_function_declaration",
        "method_definition",
        "class_declaration",
        "class",
    }
)


def _comment_target(
    doc: SourceDocument, scope: Scope, node: SyntaxNode, language: str
) -> DocTarget:
    outer = node
    while outer.parent is not None and outer.parent.start == scope.outer_start:
        if outer.parent.kind in ("program", "source_file", "class_body", "declaration_list"):
            break
        outer = outer.parent
    anchor = outer
    previous = anchor.prev_named_sibling
    while previous is not None and (
        previous.kind in _DECORATOR_TYPES
        or (language == "go" and _GO_DIRECTIVE.match(previous.text) is not None)
    ):
        anchor = previous
        previous = anchor.prev_named_sibling
    lines = doc.lines
    anchor_line_start = lines.line_start(lines.line_of(anchor.start))
    indent = _line_indent(doc, anchor.start)
    comment_start = _doc_comment_above(doc, anchor, language)
    existing = None
    edit_start = edit_end = anchor_line_start
    if comment_start is not None:
        edit_start = lines.line_start(lines.line_of(comment_start))
        existing = doc.text[comment_start:anchor_line_start].rstrip()
    params: tuple[Param, ...] = ()
    raises: list[str] = []
    returns: str | None = None
    returns_value = False
    if scope.kind != "class":
        function = _function_node(node)
        if function is not None:
            params = _params_for(function, language)
            result = function.child_by_field("return_type") or function.child_by_field("result")
            returns = result.text.lstrip(":").strip() if result is not None else None
            body = function.child_by_field("body")
            inner = _walk(body, _JS_NESTED) if body is not None else []
            if body is not None and body.kind not in ("statement_block", "block"):
                returns_value = True  # arrow function with an expression body
            returns_value = returns_value or any(
                n.kind in ("return_statement", "return_expression") and n.named_children
                for n in inner
            )
            if returns in ("void", "Promise<void>", "never", "()"):
                returns_value = False
            elif returns is not None:
                returns_value = True
            if language != "go" and language != "rust":
                for n in inner:
                    if n.kind == "throw_statement" and n.named_children:
                        thrown = n.named_children[0]
                        if thrown.kind == "new_expression":
                            ctor = thrown.child_by_field("constructor")
                            if ctor is not None and ctor.text not in raises:
                                raises.append(ctor.text)
    style: DocStyle = "jsdoc" if language in ("javascript", "typescript", "tsx") else "go"
    if language == "rust":
        style = "rust"
    return DocTarget(
        language=language,
        kind=scope.kind,
        name=scope.name,
        start=scope.outer_start,
        end=scope.end,
        node_start=scope.start,
        header=scope.header,
        params=params,
        returns=returns,
        returns_value=returns_value,
        yields=False,
        raises=tuple(raises),
        existing=existing,
        edit_start=edit_start,
        edit_end=edit_end,
        indent=indent,
        indent_unit="",
        newline=doc.line_ending,
        style=style,
    )


_GO_DIRECTIVE = re.compile(r"//(?:[a-z0-9]+:\S|line |export |extern |nolint\b)")


def _is_doc_comment(text: str, language: str) -> bool:
    if language == "rust":
        return text.startswith(("///", "/**")) and not text.startswith(("////", "/***"))
    if language == "go":
        return text.startswith(("//", "/*"))
    return text.startswith("/**") and not text.startswith("/***")


def _doc_comment_above(doc: SourceDocument, anchor: SyntaxNode, language: str) -> int | None:
    """Start of the doc comment block directly above ``anchor`` (no blank line between)."""
    lines = doc.lines
    text = doc.text
    next_line = lines.line_of(anchor.start)
    first: int | None = None
    previous = anchor.prev_sibling
    comment_types = doc.language.comment_types if doc.language is not None else frozenset()
    while previous is not None and previous.kind in comment_types:
        body = previous.text.rstrip()
        line = lines.line_of(previous.start)
        end_line = lines.line_of(previous.start + len(body))
        if end_line != next_line - 1 or text[lines.line_start(line) : previous.start].strip():
            break
        if not _is_doc_comment(body, language):
            break
        first = previous.start
        next_line = line
        if language not in ("go", "rust"):
            break  # one JSDoc block
        previous = previous.prev_sibling
    return first


def _function_node(node: SyntaxNode) -> SyntaxNode | None:
    """The node that has the ``parameters`` field (arrow functions inside declarations)."""
    if node.child_by_field("parameters") is not None:
        return node
    for child in _walk(node, frozenset({"statement_block"})):
        if child.kind in ("arrow_function", "function_expression", "generator_function"):
            return child
    return None


def _params_for(function: SyntaxNode, language: str) -> tuple[Param, ...]:
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
            continue
        if language == "rust":
            pattern = child.child_by_field("pattern")
            if kind == "parameter" and pattern is not None:
                out.append(Param(pattern.text, type_text))
            continue
        # JavaScript / TypeScript
        value = child.child_by_field("value")
        pattern = child.child_by_field("pattern") or child
        if kind == "assignment_pattern":
            left, right = child.child_by_field("left"), child.child_by_field("right")
            pattern = left or child
            value = right
        if pattern.kind == "rest_pattern":
            inner = pattern.named_children
            name = "..." + (inner[0].text if inner else "")
        elif pattern.kind in ("identifier", "this"):
            if pattern.kind == "this":
                continue
            name = pattern.text
        else:
            continue  # destructured parameter: documented by the description, not by name
        out.append(Param(name, type_text, value.text if value is not None else None))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Model answers

_SECTION_NAMES = {
    "args": "params",
    "arguments": "params",
    "parameters": "params",
    "params": "params",
    "returns": "returns",
    "return": "returns",
    "yields": "returns",
    "raises": "raises",
    "throws": "raises",
    "exceptions": "raises",
}
_SECTION = re.compile(r"^(?P<name>[A-Za-z]+)\s*:\s*(?P<rest>.*)$")
_ENTRY = re.compile(
    r"^(?P<name>(?:\*{1,2}|\.\.\.)?[A-Za-z_$][\w$.]*)\s*(?:\([^)]*\))?\s*:\s*(?P<text>.*)$"
)
_SHARED_ENTRY = re.compile(
    r"^(?P<names>[*.]*[A-Za-z_$][\w$]*(?:\s*,\s*[*.]*[A-Za-z_$][\w$]*)+)\s*:\s*(?P<text>.*)$"
)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})", re.MULTILINE)
_CODE_LINE = re.compile(
    r"^\s*(?:(?:async\s+)?def\s|class\s+\w+.*[:{(]|function\b|func\s|(?:pub\s+)?fn\s|import\s|"
    r"from\s+\S+\s+import\b|return\s|const\s+\w+\s*=|let\s+\w+\s*=|var\s+\w+\s*=|#include\b)"
    r"|[;{}]\s*$"
)
_PROSE = re.compile(
    r"^\s*(?:here(?:'s| is| are)\b|sure\b|certainly\b|of course\b|below is\b|the (?:doc(?:string|"
    r"umentation)|comment) (?:is|for)\b|i (?:hope|have|will|can)\b|let me know\b|note:)",
    re.IGNORECASE,
)
_QUOTES = ('r"""', '"""', "r'''", "'''")


def answer_template(target: DocTarget) -> str:
    """The layout the model is asked to fill: summary, then the sections with real names."""
    parts = [f"<one-line summary of what {target.name} does>"]
    if target.params and target.kind != "class":
        parts.append("Args:\n" + "\n".join(f"    {p.key}: ..." for p in target.params))
    if target.returns_value:
        parts.append(("Yields:" if target.yields else "Returns:") + "\n    ...")
    if target.raises:
        parts.append("Raises:\n" + "\n".join(f"    {r}: ..." for r in target.raises))
    return "\n\n".join(parts)


def _strip_wrappers(lines: list[str]) -> list[str]:
    """Remove quotes or comment markers a model may wrap the text in (content is kept)."""
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return lines
    first = lines[0].lstrip()
    for quote in _QUOTES:
        if first.startswith(quote):
            lines[0] = first[len(quote) :]
            break
    last = lines[-1].rstrip()
    for quote in ('"""', "'''"):
        if last.endswith(quote):
            lines[-1] = last[: -len(quote)]
            break
    body = [ln for ln in lines if ln.strip()]
    for marker in ("///", "//"):
        if body and all(ln.lstrip().startswith(marker) for ln in body):
            return [ln.lstrip()[len(marker) :].removeprefix(" ") for ln in lines]
    if lines and lines[0].strip() == "/**" and lines[-1].strip() == "*/":
        return [ln.lstrip().removeprefix("*").removeprefix(" ") for ln in lines[1:-1]]
    return lines


def parse_answer(answer: str, target: DocTarget) -> tuple[DocContent | None, list[str]]:
    """The model's docstring text → content; the list names every problem found (empty: ok)."""
    problems: list[str] = []
    if _FENCE.search(answer):
        problems.append("the answer contains a code fence; answer with plain text only")
    lines = _strip_wrappers(answer.replace("\r\n", "\n").split("\n"))
    header_line = target.header.split("\n", 1)[0].strip()
    for line in lines:
        if _CODE_LINE.search(line) or (len(header_line) > 8 and header_line in line):
            problems.append(f"the answer contains code ({line.strip()[:60]!r}); write prose only")
            break
    if lines and _PROSE.search(lines[0]):
        problems.append(f"the answer starts with chatter ({lines[0].strip()[:60]!r})")
    paragraphs: list[str] = []
    current: list[str] = []
    sections: dict[str, list[str]] = {}
    section: str | None = None
    for raw in lines:
        stripped = raw.strip()
        match = _SECTION.match(stripped)
        key = _SECTION_NAMES.get(match.group("name").lower()) if match else None
        at_margin = not raw.startswith((" ", "\t"))
        indented_header = match is not None and not match.group("rest") and section is not None
        if match is not None and key is not None and (at_margin or indented_header):
            section = key
            sections.setdefault(key, [])
            if match.group("rest"):
                sections[key].append(match.group("rest"))
            continue
        if section is not None:
            if stripped and not raw.startswith((" ", "\t")) and key is None:
                problems.append(f"text after the sections ({stripped[:60]!r})")
                section = None
            else:
                sections[section].append(raw)
                continue
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    if not paragraphs or paragraphs[0].startswith("<"):
        problems.append("the answer has no summary line")
        return None, problems
    summary, description = paragraphs[0], "\n\n".join(paragraphs[1:])
    params = _entries(sections.get("params", []))
    raises = _entries(sections.get("raises", []))
    returns = " ".join(s.strip() for s in sections.get("returns", []) if s.strip())
    content = DocContent(summary, description, params, returns, raises)
    problems.extend(_content_problems(content, target))
    return content, problems


_TRIPLE_QUOTED = re.compile(r"(\"\"\"|\'\'\')(.*?)\1", re.DOTALL)
_JSDOC_BLOCK = re.compile(r"/\*\*(.*?)\*/", re.DOTALL)
_DOC_LINES = re.compile(r"(?:^[ \t]*///?.*(?:\n|$))+", re.MULTILINE)


def salvage_answer(answer: str, language: str) -> str | None:
    """The documentation text inside code the model answered with, if it wrote one.

    Small models often answer with the whole definition, docstring included, in a code block.
    Only the docstring's text is taken (and then parsed, rendered and validated like any
    answer); the model's code is discarded.
    """
    if language == "python":
        match = _TRIPLE_QUOTED.search(answer)
        return inspect.cleandoc(match.group(2)) if match and match.group(2).strip() else None
    if language in ("javascript", "typescript", "tsx"):
        match = _JSDOC_BLOCK.search(answer)
        if match is None:
            return None
        lines = [
            ln.strip().removeprefix("*").removeprefix(" ") for ln in match.group(1).split("\n")
        ]
        text = "\n".join(lines).strip()
        return _jsdoc_to_sections(text) or None
    match = _DOC_LINES.search(answer)
    if match is None:
        return None
    lines = [ln.strip().lstrip("/").removeprefix(" ") for ln in match.group(0).splitlines()]
    return "\n".join(lines).strip() or None


def _jsdoc_to_sections(text: str) -> str:
    """``@param``/``@returns``/``@throws`` tags → the Args/Returns/Raises layout."""
    prose: list[str] = []
    params: list[str] = []
    returns: list[str] = []
    raises: list[str] = []
    for line in text.splitlines():
        tag = re.match(r"@(\w+)\s*(?:\{[^}]*\}\s*)?(.*)$", line.strip())
        if tag is None:
            prose.append(line)
            continue
        name, rest = tag.group(1), tag.group(2)
        if name in ("param", "arg", "argument"):
            entry = re.match(r"\[?([\w$.]+)(?:=[^\]]*)?\]?\s*-?\s*(.*)$", rest)
            if entry is not None:
                params.append(f"    {entry.group(1)}: {entry.group(2)}")
        elif name in ("returns", "return"):
            returns.append(f"    {rest}")
        elif name in ("throws", "exception"):
            thrown = re.match(r"(\w+)?\s*-?\s*(.*)$", rest)
            if thrown is not None and thrown.group(1):
                raises.append(f"    {thrown.group(1)}: {thrown.group(2)}")
    out = "\n".join(prose).strip()
    for title, entries in (("Args", params), ("Returns", returns), ("Raises", raises)):
        if entries:
            out += f"\n\n{title}:\n" + "\n".join(entries)
    return out


def _entries(lines: list[str]) -> dict[str, str]:
    entries: dict[str, str] = {}
    last: str | None = None
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        several = _SHARED_ENTRY.match(stripped)
        if several is not None:  # "x, y: The data."
            for name in several.group("names").split(","):
                last = name.strip().lstrip("*.")
                entries[last] = several.group("text").strip()
            continue
        match = _ENTRY.match(stripped)
        if match is not None:
            last = match.group("name").lstrip("*.")
            entries[last] = match.group("text").strip()
        elif last is not None:
            entries[last] = (entries[last] + " " + stripped).strip()
        else:
            entries[stripped] = ""
    return entries


def _content_problems(content: DocContent, target: DocTarget) -> list[str]:
    problems: list[str] = []
    placeholder = re.compile(r"^\.\.\.$|^<.*>$")
    if placeholder.match(content.summary):
        problems.append("the summary is still a placeholder")
    if target.lists_params:
        real = [p.key for p in target.params]
        named = list(content.params)
        missing = [n for n in real if n not in content.params]
        invented = [n for n in named if n not in real]
        if missing:
            problems.append("Args is missing the parameter(s) " + ", ".join(missing))
        if invented:
            problems.append(
                "Args names parameter(s) the code does not have: " + ", ".join(invented)
            )
        empty = [n for n in real if n in content.params and placeholder.match(content.params[n])]
        if empty or any(not content.params.get(n, "x") for n in real):
            problems.append("every parameter needs a description")
    if content.returns and placeholder.match(content.returns):
        problems.append("the Returns section is still a placeholder")
    return problems


def skeleton(target: DocTarget) -> DocContent:
    """A clearly marked placeholder docstring built from the syntax tree alone."""
    return DocContent(
        summary=f"{SKELETON_MARK}: describe {target.name}.",
        params={p.key: f"{SKELETON_MARK}." for p in target.params},
        returns=f"{SKELETON_MARK}." if target.returns_value else "",
        raises={r: f"{SKELETON_MARK}." for r in target.raises},
    )


# --------------------------------------------------------------------------------------------
# Rendering


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?:":
        text += "."
    return text


def _body_lines(content: DocContent, target: DocTarget) -> list[str]:
    """The docstring's lines without quotes/markers or indentation."""
    style = target.style
    summary = _sentence(content.summary)
    if style == "go":
        summary = _go_summary(summary, target.name)
    lines = [summary]
    for paragraph in content.description.split("\n\n"):
        if paragraph.strip():
            lines += ["", *_wrap(_sentence(paragraph))]
    documented = target.kind != "class"
    params = [p for p in target.params] if target.lists_params else []
    returns = _sentence(content.returns) if target.returns_value and documented else ""
    raises = [(r, _sentence(content.raises[r])) for r in target.raises if r in content.raises]

    def text_of(p: Param) -> str:
        return _sentence(content.params.get(p.key, ""))

    if style == "google":
        if params:
            lines += ["", "Args:"] + [f"    {p.name}: {text_of(p)}" for p in params]
        if returns:
            lines += ["", "Yields:" if target.yields else "Returns:", f"    {returns}"]
        if raises:
            lines += ["", "Raises:"] + [f"    {r}: {t}" for r, t in raises]
    elif style == "numpy":
        if params:
            lines += ["", "Parameters", "----------"]
            for p in params:
                lines += [f"{p.name} : {p.type}" if p.type else p.name, f"    {text_of(p)}"]
        if returns:
            title = "Yields" if target.yields else "Returns"
            lines += ["", title, "-" * len(title), target.returns or "object", f"    {returns}"]
        if raises:
            lines += ["", "Raises", "------"]
            for r, t in raises:
                lines += [r, f"    {t}"]
    elif style == "sphinx":
        if params or returns or raises:
            lines.append("")
        lines += [f":param {p.key}: {text_of(p)}" for p in params]
        if returns:
            lines.append(f":{'yields' if target.yields else 'returns'}: {returns}")
        lines += [f":raises {r}: {t}" for r, t in raises]
    elif style == "jsdoc":
        tags = [f"@param {p.key} - {text_of(p)}" for p in params]
        if returns:
            tags.append(f"@returns {returns}")
        tags += [f"@throws {{{r}}} {t}" for r, t in raises]
        if tags:
            lines += ["", *tags]
    return [line.rstrip() for line in lines]


def _go_summary(summary: str, name: str) -> str:
    if summary.split(" ", 1)[0].strip(".,") == name:
        return summary
    if summary[:1].isupper() and not summary[1:2].isupper():
        summary = summary[0].lower() + summary[1:]
    return f"{name} {summary}"


def _wrap(paragraph: str, width: int = 88) -> list[str]:
    out: list[str] = []
    line = ""
    for word in paragraph.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    return out


def render_edit(content: DocContent, target: DocTarget) -> DocEdit:
    """The edit that inserts (or replaces) the docstring for ``target``; code is untouched."""
    lines = _body_lines(content, target)
    nl, indent = target.newline, target.indent
    if target.language == "python":
        body = [_python_safe(line) for line in lines]
        if len(body) == 1:
            literal = f'"""{body[0]}"""'
        else:
            inner = nl.join(indent + line if line else "" for line in body[1:])
            literal = f'"""{body[0]}{nl}{inner}{nl}{indent}"""'
        if any("\\" in line for line in body):
            literal = "r" + literal
        if target.existing is not None:
            return DocEdit(target.edit_start, target.edit_end, literal)
        if target.same_line_body:
            return DocEdit(target.edit_start, target.edit_end, nl + indent + literal + nl + indent)
        return DocEdit(target.edit_start, target.edit_end, indent + literal + nl)
    if target.style == "jsdoc":
        lines = [line.replace("*/", "* /") for line in lines]
        comment = [f"{indent}/**"] + [
            f"{indent} * {line}" if line else f"{indent} *" for line in lines
        ]
        comment.append(f"{indent} */")
    else:
        marker = "///" if target.style == "rust" else "//"
        comment = [f"{indent}{marker} {line}" if line else f"{indent}{marker}" for line in lines]
    return DocEdit(target.edit_start, target.edit_end, nl.join(comment) + nl)


def _python_safe(line: str) -> str:
    return line.replace('"""', "'''")


# --------------------------------------------------------------------------------------------
# Validation

_TRAILING_WS = re.compile(r"[ \t]+(?=\r?\n|$)")
_GOOGLE_ENTRY = re.compile(r"^\s{4,}(\*{0,2}[A-Za-z_]\w*)\s*(?:\([^)]*\))?:", re.MULTILINE)


def validate_edit(doc: SourceDocument, target: DocTarget, edit: DocEdit) -> list[str]:
    """Everything wrong with applying ``edit`` for ``target`` (empty: safe to apply)."""
    problems: list[str] = []
    text = doc.text
    if (edit.start, edit.end) != (target.edit_start, target.edit_end):
        problems.append("the edit does not replace exactly the docstring slot")
        return problems
    replaced = text[edit.start : edit.end]
    if target.existing is None and replaced.strip():
        problems.append("the edit would replace code")
    if (
        target.existing is not None
        and target.language != "python"
        and replaced.strip() != target.existing.strip()
    ):
        problems.append("the edit would replace more than the old doc comment")
    if _FENCE.search(edit.text):
        problems.append("the docstring contains a code fence")
    new_text = text[: edit.start] + edit.text + text[edit.end :]
    touched_start = new_text.rfind("\n", 0, edit.start) + 1
    touched_end = new_text.find("\n", edit.start + len(edit.text.rstrip("\r\n")))
    touched = new_text[touched_start : len(new_text) if touched_end < 0 else touched_end]
    if _TRAILING_WS.search(touched.replace("\r\n", "\n")):
        problems.append("the docstring has trailing whitespace")
    if new_text[: edit.start] != text[: edit.start] or not new_text.endswith(text[edit.end :]):
        problems.append("code outside the docstring would change")
    new_doc = SourceDocument(new_text, doc.language)
    if new_doc.error_count() > doc.error_count():
        problems.append("the file would not parse after the edit")
        return problems
    inserted = _inserted_docstring(new_doc, target, edit)
    if inserted is None:
        problems.append("the inserted text is not exactly one docstring of the definition")
        return problems
    if target.lists_params:
        named = _named_params(inserted, target.style)
        real = [p.key for p in target.params]
        if sorted(named) != sorted(real):
            problems.append(
                f"the docstring names parameters {sorted(named)} but the code has {sorted(real)}"
            )
    return problems


def _inserted_docstring(new_doc: SourceDocument, target: DocTarget, edit: DocEdit) -> str | None:
    """The new definition's docstring when it is exactly the inserted text, else None."""
    shift = len(edit.text) - (edit.end - edit.start)
    node_start = target.node_start + (shift if target.node_start >= edit.end else 0)
    found = find_target(new_doc, node_start)
    if found is None or found.name != target.name or found.existing is None:
        return None
    normalized = "\n".join(line.strip() for line in found.existing.splitlines())
    expected = "\n".join(line.strip() for line in edit.text.strip().splitlines())
    return found.existing if normalized == expected else None


def _named_params(docstring: str, style: DocStyle) -> list[str]:
    text = docstring.replace("\r\n", "\n")
    if style == "google":
        match = re.search(r"^\s*(?:Args|Arguments):\s*\n((?:[ \t]+\S.*\n?)+)", text, re.MULTILINE)
        if match is None:
            return []
        return [n.lstrip("*") for n in _GOOGLE_ENTRY.findall("\n" + match.group(1))]
    if style == "numpy":
        match = re.search(
            r"^\s*Parameters\s*\n\s*-{3,}\s*\n(.*?)(?:\n\s*\n|\Z)", text, re.MULTILINE | re.DOTALL
        )
        if match is None:
            return []
        return [
            line.split(":")[0].strip().lstrip("*")
            for line in match.group(1).splitlines()
            if line.strip() and not line.startswith(_numpy_indent(match.group(1)) + " ")
        ]
    if style == "sphinx":
        return re.findall(r":param\s+(?:\S+\s+)?([A-Za-z_]\w*):", text)
    if style == "jsdoc":
        return [n.lstrip(".") for n in re.findall(r"@param\s+(?:\{[^}]*\}\s+)?\[?([\w$.]+)", text)]
    return []


def _numpy_indent(block: str) -> str:
    first = next((line for line in block.splitlines() if line.strip()), "")
    return first[: len(first) - len(first.lstrip())]


def with_style(target: DocTarget, style: DocStyle) -> DocTarget:
    """``target`` with another style (for a setting that overrides detection)."""
    return replace(target, style=style)
