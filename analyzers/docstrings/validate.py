"""The last gate before any docstring edit is applied.

The edit replaces exactly the docstring slot (whitespace or the old docstring); the file parses
as before; code outside the inserted text is byte-identical; the inserted text reads back as
exactly one docstring of the definition; it names exactly the real parameters where the style
lists them; no code fences, no trailing whitespace, no line over the file's line length.
"""

from __future__ import annotations

import re

from analyzers.docstrings.answers import FENCE
from analyzers.docstrings.model import DocEdit, DocStyle, DocTarget
from analyzers.docstrings.targets import find_target
from analyzers.parsing import SourceDocument

__all__ = ["validate_edit"]

_TRAILING_WS = re.compile(r"[ \t]+(?=\r?\n|$)")
_GOOGLE_ENTRY = re.compile(r"^(\s+)(\*{0,2}[A-Za-z_]\w*)\s*(?:\([^)]*\))?:", re.MULTILINE)
_TAGGED_PARAM = {
    "jsdoc": re.compile(r"@param\s+(?:\{[^}]*\}\s+)?\[?\.*([\w$]+)"),
    "jsdoc-typed": re.compile(r"@param\s+(?:\{[^}]*\}\s+)?\[?\.*([\w$]+)"),
    "javadoc": re.compile(r"@param\s+(?:<)?([\w$]+)"),
    "doxygen": re.compile(r"[@\\]param(?:\[[\w,\s]*\])?\s+([\w$]+)"),
    "yard": re.compile(r"@param\s+(?:\[[^\]]*\]\s+)?([\w$]+)"),
    "luals": re.compile(r"@param\s+([\w$]+)"),
    "xmldoc": re.compile(r"<param\s+name=\"([^\"]*)\""),
}
_LONG_WORD_SHARE = 2
"""A line may exceed the limit only if it holds a word at least 1/2 of the limit long."""


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
    if FENCE.search(edit.text):
        problems.append("the docstring contains a code fence")
    new_text = text[: edit.start] + edit.text + text[edit.end :]
    touched_start = new_text.rfind("\n", 0, edit.start) + 1
    touched_end = new_text.find("\n", edit.start + len(edit.text.rstrip("\r\n")))
    touched = new_text[touched_start : len(new_text) if touched_end < 0 else touched_end]
    if _TRAILING_WS.search(touched.replace("\r\n", "\n")):
        problems.append("the docstring has trailing whitespace")
    problems.extend(_overlong_lines(new_text[touched_start : edit.start + len(edit.text)], target))
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
        entries = _GOOGLE_ENTRY.findall(match.group(1))
        margin = min((len(indent) for indent, _ in entries), default=0)
        return [name.lstrip("*") for indent, name in entries if len(indent) == margin]
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
    tagged = _TAGGED_PARAM.get(style)
    return tagged.findall(text) if tagged is not None else []


def _overlong_lines(inserted: str, target: DocTarget) -> list[str]:
    limit = target.max_line
    for number, line in enumerate(inserted.splitlines(), 1):
        width = len(line.expandtabs(4))
        longest = max((len(word) for word in line.split()), default=0)
        if width > limit and longest * _LONG_WORD_SHARE < limit:
            return [f"docstring line {number} is {width} characters long (the limit is {limit})"]
    return []


def _numpy_indent(block: str) -> str:
    first = next((line for line in block.splitlines() if line.strip()), "")
    return first[: len(first) - len(first.lstrip())]
