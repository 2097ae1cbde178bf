"""What the per-language summarizers share: the result builder and compact rendering.

Owns :class:`SummaryBuilder` (the first definition of a name wins; TypeScript overloads are
appended), and the helpers that render source compactly in any of the languages: moving lines
to another indentation (:func:`reindented`), one line with its open brackets closed around
``...`` (:func:`one_line`), and at most :data:`MAX_MEMBERS` members of a class (:func:`capped`).
"""

from __future__ import annotations

from analyzers.crossfile.model import DefinitionSummary
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = ["MAX_LINE", "MAX_MEMBERS", "SummaryBuilder", "capped", "one_line", "reindented"]

MAX_MEMBERS = 12
"""Methods (and, separately, fields) listed per class."""
MAX_LINE = 160
"""A one-line value longer than this is collapsed to ``...``."""
_OPENERS = {"(": ")", "[": "]", "{": "}"}


class SummaryBuilder:
    """Collects summaries; the first definition of a name wins."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.result: dict[str, DefinitionSummary] = {}

    def add(self, name: str, kind: str, text: str, node: SyntaxNode) -> None:
        """File ``text`` under ``name`` (at ``node``'s line) unless the name is empty or taken."""
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


def reindented(doc: SourceDocument, start: int, end: int, indent: str) -> str:
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


def one_line(doc: SourceDocument, node: SyntaxNode, indent: str, fallback: str) -> str:
    """The statement on one line: whole, its first line with brackets closed, or ``fallback``."""
    text = node.text.rstrip()
    if "\n" not in text and len(text) <= MAX_LINE:
        return indent + text
    first = text.split("\n", 1)[0]
    collapsed = _collapse(first) if len(first) <= MAX_LINE else None
    return indent + (collapsed if collapsed is not None else fallback)


def capped(members: list[tuple[str, str]], more: str) -> list[str]:
    """At most ``MAX_MEMBERS`` renderings in source order, constructors and public ones first."""
    if len(members) <= MAX_MEMBERS:
        return [text for _, text in members]

    def priority(index: int) -> tuple[int, int]:
        name = members[index][0]
        if name in {"__init__", "constructor", "new"}:
            return (0, index)
        return (1 if not name.startswith(("_", "#")) else 2, index)

    keep = sorted(sorted(range(len(members)), key=priority)[:MAX_MEMBERS])
    return [members[i][1] for i in keep] + [more.format(len(members) - MAX_MEMBERS)]
