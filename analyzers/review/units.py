"""LLM code review, the pure half: review units, their cache keys, prompt pieces, skip rules.

A *review unit* is what one model request looks at:

* each function or method that is not nested in another function (nested ones belong to their
  parent), from its decorators to its last line; a unit longer than ``max_lines`` is cut into
  parts of whole lines;
* the code outside those functions (imports, constants, class headers and attributes, scripts),
  in chunks of whole lines: a run of such lines is cut at top-level boundaries once it is
  ``chunk_lines`` long. Chunks holding only blank lines, comments, docstrings or imports are
  not reviewed.

Each unit's :attr:`ReviewUnit.key` hashes exactly what its prompt shows (the code, the file name,
the language, the enclosing class header), so an unchanged unit keeps its key across edits
elsewhere and its cached findings can be placed again without asking the model.

:func:`skip_reason` says why a file is never reviewed (generated or minified code); secrets,
ignore rules and size are the caller's (they need the workspace).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from analyzers.parsing import SourceDocument
from analyzers.structure import Scope, comments, definitions, import_spans

__all__ = [
    "CATEGORIES",
    "ReviewUnit",
    "UnitKind",
    "code_block",
    "finding_schema",
    "review_units",
    "skip_reason",
]

PROMPT_VERSION = "review-1"
"""Changes whenever the prompt changes, so cached findings from an older prompt are not reused."""

CATEGORIES: tuple[str, ...] = ("bug", "risk", "smell", "style")
"""What a finding can be, most serious first."""

MAX_UNIT_LINES = 120
CHUNK_LINES = 40

UnitKind = Literal["function", "method", "module"]


@dataclass(frozen=True)
class ReviewUnit:
    """One piece of a file that one model request reviews; lines are the document's lines."""

    kind: UnitKind
    name: str
    """``parse``, ``Parser.parse``, ``Parser.parse (part 2/3)``, ``module``, ``class Parser``."""
    first_line: int
    """0-based document line of the unit's first line."""
    lines: tuple[str, ...]
    """The unit's lines, without line endings."""
    context: str
    """The enclosing class header (methods, class-level code), else empty."""
    key: str
    """Hash of everything the prompt shows about this unit."""

    @property
    def text(self) -> str:
        """The unit's code, ``\\n``-separated."""
        return "\n".join(self.lines)

    @property
    def last_line(self) -> int:
        """0-based document line of the unit's last line."""
        return self.first_line + len(self.lines) - 1


def unit_key(language: str, file_name: str, kind: str, context: str, text: str) -> str:
    """The cache key of a unit: a hash of the prompt version and everything the prompt shows."""
    digest = hashlib.sha256()
    for part in (PROMPT_VERSION, language, file_name, kind, context, text):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def review_units(
    source: SourceDocument,
    path: str | None = None,
    *,
    max_lines: int = MAX_UNIT_LINES,
    chunk_lines: int = CHUNK_LINES,
) -> list[ReviewUnit]:
    """The review units of a document, in source order (memoised per document version)."""
    return source.memo(
        f"review.units:{path}:{max_lines}:{chunk_lines}",
        lambda: _units(source, path, max_lines, chunk_lines),
    )


def _units(
    source: SourceDocument, path: str | None, max_lines: int, chunk_lines: int
) -> list[ReviewUnit]:
    if source.language is None or not source.text.strip():
        return []
    lines = source.lines
    scopes = definitions(source) if source.has_tree else []
    functions = _top_functions(scopes)
    classes = [s for s in scopes if s.kind == "class"]
    language = source.language.name
    file_name = PurePath(path).name if path else ""
    units: list[ReviewUnit] = []
    covered: set[int] = set()
    for scope in functions:
        first = lines.line_of(scope.outer_start)
        last = lines.line_of(max(scope.end - 1, scope.start))
        covered.update(range(first, last + 1))
        owner = _owner(classes, scope)
        name = f"{owner.name}.{scope.name}" if owner is not None else scope.name
        context = _header_line(source, owner) if owner is not None else ""
        kind: UnitKind = "method" if scope.kind == "method" else "function"
        parts = _windows(first, last, max_lines)
        for index, (start, end) in enumerate(parts):
            part_name = name if len(parts) == 1 else f"{name} (part {index + 1}/{len(parts)})"
            part_context = context
            if index:
                part_context = "\n".join(filter(None, (context, _header_line(source, scope))))
            units.append(
                _unit(source, kind, part_name, start, end, part_context, language, file_name)
            )
    units.extend(_module_units(source, covered, classes, chunk_lines, language, file_name))
    units.sort(key=lambda unit: unit.first_line)
    return units


def _top_functions(scopes: list[Scope]) -> list[Scope]:
    """Functions and methods not nested in another function or method."""
    result: list[Scope] = []
    for scope in scopes:
        if scope.kind == "class":
            continue
        if any(outer.start <= scope.start and scope.end <= outer.end for outer in result):
            continue
        result.append(scope)
    return result


def _owner(classes: list[Scope], scope: Scope) -> Scope | None:
    """The innermost class around ``scope``."""
    around = [c for c in classes if c.start <= scope.start and scope.end <= c.end]
    return max(around, key=lambda c: c.start) if around else None


def _header_line(source: SourceDocument, scope: Scope) -> str:
    """The first line of a definition's header, stripped."""
    return scope.header.split("\n", 1)[0].strip()


def _windows(first: int, last: int, size: int) -> list[tuple[int, int]]:
    """``[first, last]`` cut into inclusive line ranges of at most ``size`` lines, even sizes."""
    count = last - first + 1
    parts = max(1, -(-count // size))
    step = -(-count // parts)
    return [(s, min(s + step - 1, last)) for s in range(first, last + 1, step)]


def _unit(
    source: SourceDocument,
    kind: UnitKind,
    name: str,
    first: int,
    last: int,
    context: str,
    language: str,
    file_name: str,
) -> ReviewUnit:
    lines = tuple(source.lines.line_text(row) for row in range(first, last + 1))
    key = unit_key(language, file_name, kind, context, "\n".join(lines))
    return ReviewUnit(kind, name, first, lines, context, key)


def _module_units(
    source: SourceDocument,
    covered: set[int],
    classes: list[Scope],
    chunk_lines: int,
    language: str,
    file_name: str,
) -> list[ReviewUnit]:
    """Chunks of the code outside the function units."""
    lines = source.lines
    quiet = _quiet_lines(source)
    runs: list[list[int]] = []
    for row in range(lines.line_count):
        if row in covered:
            if runs and runs[-1]:
                runs.append([])
            continue
        if not runs:
            runs.append([])
        runs[-1].append(row)
    ordered = sorted(classes, key=lambda c: -c.start)

    def owner_of(row: int) -> Scope | None:
        offset = lines.line_start(row) + _indent(lines.line_text(row))
        return next((c for c in ordered if c.start <= offset < c.end), None)

    units: list[ReviewUnit] = []
    seen: dict[str, int] = {}
    for run in runs:
        for chunk in _chunks(source, run, chunk_lines, owner_of):
            code = [row for row in chunk if row not in quiet]
            if not code:
                continue
            chunk = [row for row in chunk if code[0] <= row <= code[-1]]
            owner = owner_of(code[0])
            base = f"class {owner.name}" if owner is not None else "module"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base} ({seen[base]})"
            context = _header_line(source, owner) if owner is not None else ""
            units.append(
                _unit(source, "module", name, chunk[0], chunk[-1], context, language, file_name)
            )
    return units


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _chunks(
    source: SourceDocument, run: list[int], size: int, owner_of: Callable[[int], Scope | None]
) -> list[list[int]]:
    """A run of line numbers cut into chunks (at top-level lines once ``size`` long, and where
    the enclosing class changes), trimmed of blank edges."""
    chunks: list[list[int]] = [[]]
    owner: Scope | None = None
    for row in run:
        text = source.lines.line_text(row)
        current = chunks[-1]
        if text.strip():
            row_owner = owner_of(row)
            boundary = not text[:1].isspace()
            long = len(current) >= 2 * size or (len(current) >= size and boundary)
            if current and (long or row_owner != owner):
                chunks.append([])
            owner = row_owner
        chunks[-1].append(row)
    result = []
    for chunk in chunks:
        while chunk and not source.lines.line_text(chunk[0]).strip():
            chunk = chunk[1:]
        while chunk and not source.lines.line_text(chunk[-1]).strip():
            chunk = chunk[:-1]
        if chunk:
            result.append(chunk)
    return result


_NOTHING = re.compile(r"^\W*(end\W*)?$")
"""A blank line, or one with only punctuation (a closing brace) or a block's ``end``."""


def _quiet_lines(source: SourceDocument) -> set[int]:
    """Lines with nothing to review: blank or closing lines, comments, docstrings, imports."""
    lines = source.lines
    quiet = {row for row in range(lines.line_count) if _NOTHING.match(lines.line_text(row))}
    spans = [(start, end) for start, end in comments(source) if source.has_tree]
    spans += [(span.start, span.end) for span in import_spans(source)]
    for scope in definitions(source) if source.has_tree else []:
        if scope.kind == "class":  # the header is shown as context; alone it is nothing to review
            first, last = lines.line_of(scope.outer_start), lines.line_of(scope.body_start)
            quiet.update(row for row in range(first, last + 1) if row < lines.line_of(scope.end))
    for start, end in spans:
        first, last = lines.line_of(start), lines.line_of(max(end - 1, start))
        for row in range(first, last + 1):
            text = lines.line_text(row)
            line_start = lines.line_start(row)
            code_start = line_start + len(text) - len(text.lstrip())
            code_end = line_start + len(text.rstrip())
            if start <= code_start and code_end <= end:
                quiet.add(row)
    return quiet


# --------------------------------------------------------------------------- prompt pieces


def code_block(code: str) -> tuple[str, str]:
    """(opening, closing) delimiter lines that do not occur in ``code``."""
    n = 0
    while True:
        tag = "CODE" if n == 0 else f"CODE{n}"
        opening, closing = f"<<<{tag}", f"{tag}>>>"
        if opening not in code and closing not in code:
            return opening, closing
        n += 1


def finding_schema(*, bounded: bool, max_findings: int = 5) -> dict[str, object]:
    """The JSON Schema of an answer: ``{"findings": [{line, category, message, suggestion}]}``.

    ``bounded`` adds ``maxItems`` (grammar-constrained decoding in llama.cpp then stops a small
    model from listing findings forever); OpenAI's strict mode gets the plain shape. String
    lengths stay unbounded: a ``maxLength`` grammar nests one rule per character.
    """
    findings: dict[str, object] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "line": {"type": "string"},
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "message": {"type": "string"},
                "suggestion": {"type": ["string", "null"]},
            },
            "required": ["line", "category", "message", "suggestion"],
            "additionalProperties": False,
        },
    }
    if bounded:
        findings["maxItems"] = max_findings
    return {
        "type": "object",
        "properties": {"findings": findings},
        "required": ["findings"],
        "additionalProperties": False,
    }


# ---------------------------------------------------------------------------- skip rules

_GENERATED_MARKERS = re.compile(
    r"@generated|do not edit|code generated .{0,80}do not edit|auto-?generated"
    r"|automatically generated|generated by (?:the )?(?:protoc|protocol buffer|swig|cython)",
    re.IGNORECASE,
)
_GENERATED_NAMES = re.compile(
    r"(\.min\.(js|css|mjs)|_pb2(_grpc)?\.pyi?|\.pb\.go|\.pb\.(cc|h)|\.g\.dart"
    r"|\.generated\.\w+|\.designer\.cs|_generated\.\w+)$",
    re.IGNORECASE,
)
_HEADER_LINES = 12
_MINIFIED_LINE = 2_000
_MINIFIED_MEAN = 300


def skip_reason(text: str, path: str | None = None) -> str | None:
    """Why a file must not be reviewed (generated or minified), else None."""
    if path is not None and _GENERATED_NAMES.search(PurePath(path).name):
        return "it is a generated file"
    header = "\n".join(text[:4_000].splitlines()[:_HEADER_LINES])
    if _GENERATED_MARKERS.search(header):
        return "it is marked as generated"
    lines = text.splitlines()
    if lines:
        longest = max(len(line) for line in lines)
        mean = len(text) / len(lines)
        if longest > _MINIFIED_LINE or (len(text) > 5_000 and mean > _MINIFIED_MEAN):
            return "it looks minified"
    return None
