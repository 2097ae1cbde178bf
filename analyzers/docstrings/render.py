"""Rendering a docstring's content for a target: comment syntax, tags, indentation, wrapping.

The model never writes the comment itself: placement, markers, parameter names and line
breaks are all done here, so code cannot change and every line fits the file's line length.
Python gets a string literal; JS/TS, Java, C and C++ a ``/** */`` block; Go ``//``, Rust and C#
``///``, Ruby ``#`` and Lua ``---`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from analyzers.docstrings.model import DocContent, DocEdit, DocTarget, Param

__all__ = ["comment_prefix", "render_edit", "wrap"]

_BLOCK_STYLES = frozenset({"jsdoc", "jsdoc-typed", "javadoc", "doxygen"})
_LINE_MARKERS = {"go": "//", "rust": "///", "csharp": "///", "ruby": "#", "lua": "---"}
_MIN_WIDTH = 20


def comment_prefix(target: DocTarget) -> str:
    """What precedes the text on each docstring line (indentation and comment marker)."""
    if target.language == "python":
        return target.indent
    if target.style in _BLOCK_STYLES:
        return f"{target.indent} * "
    return f"{target.indent}{_LINE_MARKERS.get(target.language, '//')} "


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?:":
        text += "."
    return text


def wrap(text: str, width: int, first: str = "", hanging: str = "") -> list[str]:
    """Greedy word wrap of ``text`` to ``width``: ``first`` starts the first line, ``hanging``
    the others. A word longer than the width stays whole on its own line (URLs, long names).
    """
    out: list[str] = []
    line, fresh = first, True
    for word in text.split():
        if fresh:
            line, fresh = line + word, False
        elif len(line) + 1 + len(word) > width:
            out.append(line)
            line = hanging + word
        else:
            line = f"{line} {word}"
    out.append(line)
    return out


@dataclass
class _Doc:
    """Docstring lines under construction, plus the facts the sections need."""

    target: DocTarget
    width: int
    params: list[tuple[Param, str]]
    returns: str
    raises: list[tuple[str, str]]
    lines: list[str]

    def add(self, text: str, first: str = "", hanging: str = "") -> None:
        self.lines += wrap(text, self.width, first, hanging)

    def blank(self) -> None:
        self.lines.append("")


def _body_lines(content: DocContent, target: DocTarget) -> list[str]:
    """The docstring's lines without quotes/markers or indentation."""
    prefix = comment_prefix(target)
    quotes = 3 if target.language == "python" else 0
    width = max(target.max_line - len(prefix.expandtabs(4)) - quotes, _MIN_WIDTH)
    documented = target.kind != "class"
    doc = _Doc(
        target=target,
        width=width,
        params=[(p, _sentence(content.params.get(p.key, ""))) for p in target.params]
        if target.lists_params
        else [],
        returns=_sentence(content.returns) if target.returns_value and documented else "",
        raises=[(r, _sentence(content.raises[r])) for r in target.raises if r in content.raises],
        lines=[],
    )
    summary = _sentence(content.summary)
    if target.style == "go":
        summary = _go_summary(summary, target.name)
    paragraphs = [_sentence(p) for p in content.description.split("\n\n") if p.strip()]
    if target.style == "xmldoc":
        _xmldoc(doc, summary, paragraphs)
    else:
        doc.add(summary)
        for paragraph in paragraphs:
            doc.blank()
            doc.add(paragraph)
        _SECTIONS.get(target.style, _no_sections)(doc)
    return [line.rstrip() for line in doc.lines]


def _no_sections(doc: _Doc) -> None:
    """Go, Rust, plain: prose only."""


def _google(doc: _Doc) -> None:
    if doc.params:
        doc.lines += ["", "Args:"]
        for p, text in doc.params:
            doc.add(text, f"    {p.name}: ", " " * 8)
    if doc.returns:
        doc.lines += ["", "Yields:" if doc.target.yields else "Returns:"]
        doc.add(doc.returns, "    ", "    ")
    if doc.raises:
        doc.lines += ["", "Raises:"]
        for name, text in doc.raises:
            doc.add(text, f"    {name}: ", " " * 8)


def _numpy(doc: _Doc) -> None:
    if doc.params:
        doc.lines += ["", "Parameters", "----------"]
        for p, text in doc.params:
            doc.lines.append(f"{p.name} : {p.type}" if p.type else p.name)
            doc.add(text, "    ", "    ")
    if doc.returns:
        title = "Yields" if doc.target.yields else "Returns"
        doc.lines += ["", title, "-" * len(title), doc.target.returns or "object"]
        doc.add(doc.returns, "    ", "    ")
    if doc.raises:
        doc.lines += ["", "Raises", "------"]
        for name, text in doc.raises:
            doc.lines.append(name)
            doc.add(text, "    ", "    ")


def _sphinx(doc: _Doc) -> None:
    if doc.params or doc.returns or doc.raises:
        doc.blank()
    for p, text in doc.params:
        doc.add(text, f":param {p.key}: ", "    ")
    if doc.returns:
        doc.add(doc.returns, f":{'yields' if doc.target.yields else 'returns'}: ", "    ")
    for name, text in doc.raises:
        doc.add(text, f":raises {name}: ", "    ")


def _tags(doc: _Doc) -> None:
    """JSDoc (with or without types), Javadoc, Doxygen, YARD and LuaLS tags."""
    style = doc.target.style
    tags: list[tuple[str, str]] = []
    for p, text in doc.params:
        tags.append((_param_tag(style, p), text))
    if doc.returns:
        tags.append((_returns_tag(style, doc.target.returns), doc.returns))
    for name, text in doc.raises:
        if style == "luals":
            doc.lines += ["", *wrap(f"Errors: {text}", doc.width)]  # LuaLS has no tag for error()
        elif style == "yard":
            tags.append((f"@raise [{name}]", text))
        elif style.startswith("jsdoc"):
            tags.append((f"@throws {{{name}}}", text))
        else:
            tags.append((f"@throws {name}", text))
    if not tags:
        return
    if style != "luals":
        doc.blank()
    for tag, text in tags:
        doc.add(text, f"{tag} " if tag else "", "" if style == "luals" else "  ")


def _param_tag(style: str, p: Param) -> str:
    if style == "jsdoc":
        return f"@param {p.key} -"
    if style == "jsdoc-typed":
        return f"@param {{{p.type or '*'}}} {p.key} -"
    if style == "yard":
        return f"@param {p.key} [{p.type}]" if p.type else f"@param {p.key}"
    if style == "luals":
        return f"@param {p.key} {p.type or 'any'}"
    return f"@param {p.key}"


def _returns_tag(style: str, returns: str | None) -> str:
    if style == "jsdoc-typed":
        return f"@returns {{{returns or '*'}}}"
    if style == "jsdoc":
        return "@returns"
    if style == "yard":
        return f"@return [{returns}]" if returns else "@return"
    if style == "luals":
        return f"@return {returns or 'any'} #"
    return "@return"


def _xmldoc(doc: _Doc, summary: str, paragraphs: list[str]) -> None:
    """C# XML documentation comments (text escaped)."""
    doc.lines.append("<summary>")
    doc.add(escape(summary))
    doc.lines.append("</summary>")
    if paragraphs:
        doc.lines.append("<remarks>")
        for i, paragraph in enumerate(paragraphs):
            if i:
                doc.lines.append("<para />")
            doc.add(escape(paragraph))
        doc.lines.append("</remarks>")
    for p, text in doc.params:
        doc.add(f"{escape(text)}</param>", f'<param name="{p.key}">', "    ")
    if doc.returns:
        doc.add(f"{escape(doc.returns)}</returns>", "<returns>", "    ")
    for name, text in doc.raises:
        doc.add(f"{escape(text)}</exception>", f'<exception cref="{name}">', "    ")


_SECTIONS = {
    "google": _google,
    "numpy": _numpy,
    "sphinx": _sphinx,
    "jsdoc": _tags,
    "jsdoc-typed": _tags,
    "javadoc": _tags,
    "doxygen": _tags,
    "yard": _tags,
    "luals": _tags,
}


def _go_summary(summary: str, name: str) -> str:
    if summary.split(" ", 1)[0].strip(".,") == name:
        return summary
    if summary[:1].isupper() and not summary[1:2].isupper():
        summary = summary[0].lower() + summary[1:]
    return f"{name} {summary}"


def render_edit(content: DocContent, target: DocTarget) -> DocEdit:
    """The edit that inserts (or replaces) the docstring for ``target``; code is untouched."""
    lines = _body_lines(content, target)
    nl, indent = target.newline, target.indent
    if target.language == "python":
        body = [line.replace('"""', "'''") for line in lines]
        if len(body) == 1 and len(f'{indent}"""{body[0]}"""'.expandtabs(4)) <= target.max_line:
            literal = f'"""{body[0]}"""'
        else:
            inner = "".join(nl + indent + line if line else nl for line in body[1:])
            literal = f'"""{body[0]}{inner}{nl}{indent}"""'
        if any("\\" in line for line in body):
            literal = "r" + literal
        if target.existing is not None:
            return DocEdit(target.edit_start, target.edit_end, literal)
        if target.same_line_body:
            return DocEdit(target.edit_start, target.edit_end, nl + indent + literal + nl + indent)
        return DocEdit(target.edit_start, target.edit_end, indent + literal + nl)
    if target.style in _BLOCK_STYLES:
        lines = [line.replace("*/", "* /") for line in lines]
        comment = [f"{indent}/**"] + [
            f"{indent} * {line}" if line else f"{indent} *" for line in lines
        ]
        comment.append(f"{indent} */")
    else:
        marker = _LINE_MARKERS.get(target.language, "//")
        comment = [_line_comment(indent, marker, line) for line in lines]
    return DocEdit(target.edit_start, target.edit_end, nl.join(comment) + nl)


def _line_comment(indent: str, marker: str, line: str) -> str:
    if not line:
        return f"{indent}{marker}"
    if marker == "---" and line.startswith("@"):  # LuaLS tags: ``---@param``
        return f"{indent}{marker}{line}"
    return f"{indent}{marker} {line}"
