"""Fill-in-the-middle tasks cut from real files by syntax (SAFIM / HumanEval-infilling style).

Owns :class:`SourceFile` (one file's text and where it came from), :class:`Task`,
:func:`find_targets` (every eligible target of one text), :func:`build_tasks` (a deterministic,
fair selection over many files), :func:`split_of` and :func:`masked_text`.  Used by ``grove
bench`` (on the user's own files) and by the offline quality harness (``benchmarks/quality``).

A task removes one *target* span from a file; the model sees the rest with the cursor at
``Task.offset`` and should produce ``Task.target``.  Four kinds of target, found with tree-sitter:

* ``line``: a whole single-line statement inside a function body, from after its indentation to
  the end of its line (the statement must be the only thing on that line);
* ``condition``: the condition of an ``if`` / ``elif`` (``elseif``) / ``while`` (inside the
  parentheses in JavaScript and TypeScript), on one line;
* ``arguments``: the inside of a call's parenthesised argument list, on one line, not empty;
* ``body``: the rest of a function body, from the start of one of its statements to its last
  statement (the closing ``}`` / ``end`` stays), spanning more than one line.

Every target is 3-30 tokens (:func:`analyzers.context.estimate_tokens`), touches no comment or
docstring (a string used as a statement), holds no syntax error, and its exact text occurs
nowhere else in the file (the model could otherwise copy it from the context).

Selection is deterministic: each file's candidates are shuffled with
``random.Random(f"{seed}:{sha256}")`` (a file's tasks do not depend on which other files are in
the run); the slots (``per_file`` tasks, at most ``per_kind`` of a kind) go round-robin to the
kinds in a seeded order, then the kinds are placed scarcest first so that no two targets overlap
(a ``body`` holds lines and calls that would otherwise block it).

A file belongs to one split for good, decided by its content hash (:func:`split_of`): odd first
32 bits -> ``"test"``, even -> ``"dev"``; strategies are tuned on ``dev`` and reported on
``test``, and no file contributes to both.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzers.context import estimate_tokens
from analyzers.languages import LanguageSpec, language_for
from analyzers.parsing import SourceDocument, SyntaxNode

__all__ = [
    "KINDS",
    "LANGUAGES",
    "MAX_TOKENS",
    "MIN_TOKENS",
    "SourceFile",
    "Target",
    "Task",
    "build_tasks",
    "find_targets",
    "masked_text",
    "split_of",
    "tasks_for_file",
]

KINDS: tuple[str, ...] = ("line", "condition", "arguments", "body")
"""Kinds of target, in report order."""

MIN_TOKENS = 3
"""Smallest target, in estimated tokens."""

MAX_TOKENS = 30
"""Largest target, in estimated tokens."""


@dataclass(frozen=True)
class SourceFile:
    """One source file: its language, absolute path, path under its source root, text, hash."""

    language: str
    path: str
    relpath: str
    text: str = field(repr=False)
    sha256: str
    """SHA-256 of the file's bytes (hex)."""

    @classmethod
    def from_bytes(cls, language: str, path: str, relpath: str, data: bytes) -> SourceFile:
        """A file from its bytes (UTF-8; raises ``UnicodeDecodeError`` otherwise)."""
        return cls(language, path, relpath, data.decode("utf-8"), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class _Grammar:
    """Node kinds that locate the targets in one grammar."""

    functions: frozenset[str]
    """Function-like nodes with a ``body`` field."""
    blocks: frozenset[str]
    """Statement lists that can be a function body or sit inside one."""
    conditionals: frozenset[str]
    """Nodes with a ``condition`` field."""
    calls: frozenset[str]
    """Call nodes with an ``arguments`` field."""
    argument_lists: frozenset[str]
    """Kinds the ``arguments`` field must have (a parenthesised list)."""


_JS = _Grammar(
    functions=frozenset(
        {
            "function_declaration",
            "function_expression",
            "function",
            "generator_function_declaration",
            "generator_function",
            "arrow_function",
            "method_definition",
        }
    ),
    blocks=frozenset({"statement_block"}),
    conditionals=frozenset({"if_statement", "while_statement"}),
    calls=frozenset({"call_expression"}),
    argument_lists=frozenset({"arguments"}),
)

_GRAMMARS: dict[str, _Grammar] = {
    "python": _Grammar(
        functions=frozenset({"function_definition"}),
        blocks=frozenset({"block"}),
        conditionals=frozenset({"if_statement", "elif_clause", "while_statement"}),
        calls=frozenset({"call"}),
        argument_lists=frozenset({"argument_list"}),
    ),
    "lua": _Grammar(
        functions=frozenset({"function_declaration", "function_definition"}),
        blocks=frozenset({"block"}),
        conditionals=frozenset({"if_statement", "elseif_statement", "while_statement"}),
        calls=frozenset({"function_call"}),
        argument_lists=frozenset({"arguments"}),
    ),
    "javascript": _JS,
    "typescript": _JS,
}

LANGUAGES: tuple[str, ...] = tuple(_GRAMMARS)
"""Languages tasks can be cut from (``analyzers.languages`` names)."""


@dataclass(frozen=True)
class Target:
    """One eligible target of a text: its kind, code-point offset and text."""

    kind: str
    offset: int
    text: str

    @property
    def end(self) -> int:
        """Code-point offset just past the target."""
        return self.offset + len(self.text)


@dataclass(frozen=True)
class Task:
    """One fill-in-the-middle task: remove ``target`` at ``offset`` from the file, predict it."""

    id: str
    """Stable: ``f"{relpath}:{kind}:{offset}"``."""
    language: str
    relpath: str
    path: str
    file_sha256: str
    kind: str
    offset: int
    """Code-point offset where the target starts: the cursor in the masked text."""
    target: str
    split: str
    """``"dev"`` or ``"test"`` (see :func:`split_of`)."""

    @property
    def end(self) -> int:
        """Code-point offset just past the target in the original text."""
        return self.offset + len(self.target)


def split_of(sha256: str) -> str:
    """The split of a file by its content hash: ``"test"`` if its first 32 bits are odd."""
    return "test" if int(sha256[:8], 16) % 2 else "dev"


def masked_text(task: Task, text: str) -> str:
    """``text`` with the task's target removed (the cursor goes at ``task.offset``)."""
    if text[task.offset : task.end] != task.target:
        raise ValueError(f"{task.id}: the file no longer holds the target at its offset")
    return text[: task.offset] + text[task.end :]


def _spec(language: str) -> tuple[LanguageSpec, _Grammar]:
    spec = language_for(language, None)
    grammar = _GRAMMARS.get(language)
    if spec is None or grammar is None:
        raise ValueError(f"no masking rules for language {language!r}")
    return spec, grammar


def _is_string_statement(node: SyntaxNode, spec: LanguageSpec) -> bool:
    """A docstring-like statement: a lone string literal used as a statement."""
    if node.kind in spec.string_types or node.kind == "concatenated_string":
        return True
    if node.kind != "expression_statement":
        return False
    named = node.named_children
    return len(named) == 1 and named[0].kind in spec.string_types


def _inside_parentheses(node: SyntaxNode, text: str) -> tuple[int, int] | None:
    """The stripped span between a node's opening ``(`` and closing ``)``, if any."""
    children = node.children
    if len(children) < 2 or children[0].kind != "(" or children[-1].kind != ")":
        return None
    start, end = children[0].end, children[-1].start
    inner = text[start:end]
    stripped = inner.strip()
    if not stripped:
        return None
    start += len(inner) - len(inner.lstrip())
    return start, start + len(stripped)


def _whole_line(text: str, start: int, end: int) -> bool:
    """Whether only whitespace precedes ``start`` and follows ``end`` on their line."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    if text[line_start:start].strip():
        return False
    line_end = len(text)
    for brk in ("\n", "\r"):
        found = text.find(brk, end)
        if found >= 0:
            line_end = min(line_end, found)
    return not text[end:line_end].strip()


def _raw_candidates(
    doc: SourceDocument, spec: LanguageSpec, grammar: _Grammar, kinds: frozenset[str]
) -> tuple[list[Target], list[tuple[int, int]]]:
    """Every syntactic candidate, plus the spans of comments and docstrings to stay clear of."""
    text = doc.text
    root = doc.root
    candidates: list[Target] = []
    avoid: list[tuple[int, int]] = []
    if root is None:
        return candidates, avoid

    def add(kind: str, start: int, end: int) -> None:
        candidates.append(Target(kind, start, text[start:end]))

    stack: list[tuple[SyntaxNode, bool]] = [(root, False)]
    while stack:
        node, in_function = stack.pop()
        kind = node.kind
        if kind in spec.comment_types:
            avoid.append((node.start, node.end))
            continue
        if node.is_error:
            continue
        children = node.named_children
        if kind in spec.block_types or kind in grammar.blocks:
            for child in children:
                if _is_string_statement(child, spec):
                    avoid.append((child.start, child.end))
        if kind in grammar.blocks and in_function and "line" in kinds:
            for child in children:
                if child.kind in spec.comment_types or child.has_error:
                    continue
                start, end = child.start, child.end
                if "\n" not in text[start:end] and _whole_line(text, start, end):
                    add("line", start, end)
        if kind in grammar.conditionals and "condition" in kinds:
            condition = node.child_by_field("condition")
            if condition is not None and not condition.has_error:
                span: tuple[int, int] | None = (condition.start, condition.end)
                if condition.kind == "parenthesized_expression" and grammar is _JS:
                    span = _inside_parentheses(condition, text)
                if span is not None:
                    add("condition", *span)
        if kind in grammar.calls and "arguments" in kinds:
            arguments = node.child_by_field("arguments")
            if (
                arguments is not None
                and arguments.kind in grammar.argument_lists
                and not arguments.has_error
            ):
                span = _inside_parentheses(arguments, text)
                if span is not None:
                    add("arguments", *span)
        is_function = kind in grammar.functions
        if is_function and "body" in kinds:
            body = node.child_by_field("body")
            if body is not None and body.kind in grammar.blocks and not body.has_error:
                statements = body.named_children
                if statements:
                    end = statements[-1].end
                    for statement in statements:
                        add("body", statement.start, end)
        child_in_function = in_function or is_function
        stack.extend((child, child_in_function) for child in reversed(children))
    return candidates, avoid


def _occurs_elsewhere(text: str, target: str, offset: int) -> bool:
    first = text.find(target)
    return first != offset or text.find(target, offset + 1) >= 0


def _acceptable(target: Target, text: str, avoid: list[tuple[int, int]]) -> bool:
    value = target.text
    if not value or value != value.strip():
        return False
    multiline = "\n" in value or "\r" in value
    if multiline != (target.kind == "body"):
        return False
    if not MIN_TOKENS <= estimate_tokens(value) <= MAX_TOKENS:
        return False
    if any(start < target.end and target.offset < end for start, end in avoid):
        return False
    return not _occurs_elsewhere(text, value, target.offset)


def find_targets(
    text: str, language: str, kinds: Iterable[str] = KINDS, *, doc: SourceDocument | None = None
) -> list[Target]:
    """Every eligible target of ``text`` (all rules applied), in (offset, kind) order."""
    spec, grammar = _spec(language)
    wanted = frozenset(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown target kinds: {sorted(unknown)}")
    if doc is None:
        doc = SourceDocument(text, spec, parse_timeout=10.0)
    raw, avoid = _raw_candidates(doc, spec, grammar, wanted)
    unique = {(t.offset, t.kind, t.text): t for t in raw if _acceptable(t, text, avoid)}
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(unique.values(), key=lambda t: (t.offset, order[t.kind], len(t.text)))


def _overlaps(target: Target, chosen: list[Target]) -> bool:
    return any(t.offset < target.end and target.offset < t.end for t in chosen)


def _take(pool: list[Target], count: int, chosen: list[Target]) -> int:
    """Move up to ``count`` targets that overlap nothing chosen from the end of ``pool``."""
    taken = 0
    while pool and taken < count:
        target = pool.pop()
        if not _overlaps(target, chosen):
            chosen.append(target)
            taken += 1
    return taken


def _default_per_kind(per_file: int, kinds: Sequence[str]) -> int:
    return max(1, math.ceil(per_file / max(len(kinds), 1)))


def tasks_for_file(
    file: SourceFile,
    *,
    seed: int = 0,
    per_file: int = 4,
    kinds: Sequence[str] = KINDS,
    per_kind: int | None = None,
) -> list[Task]:
    """Up to ``per_file`` non-overlapping tasks of one file, kinds round-robin, in offset order."""
    kinds = list(dict.fromkeys(kinds))
    cap = _default_per_kind(per_file, kinds) if per_kind is None else per_kind
    rng = random.Random(f"{seed}:{file.sha256}")
    targets = find_targets(file.text, file.language, kinds)
    pools = {kind: [t for t in targets if t.kind == kind] for kind in kinds}
    for kind in kinds:
        rng.shuffle(pools[kind])
    order = list(kinds)
    rng.shuffle(order)
    # Which kinds get the slots: round-robin in the seeded order, as far as candidates last.
    quota: Counter[str] = Counter()
    while sum(quota.values()) < per_file:
        open_kinds = [k for k in order if quota[k] < min(cap, len(pools[k]))]
        if not open_kinds:
            break
        for kind in open_kinds[: per_file - sum(quota.values())]:
            quota[kind] += 1
    # Placement: the scarcest kind first (a body holds lines and calls that would block it).
    chosen: list[Target] = []
    for kind in sorted(order, key=lambda k: len(pools[k])):
        _take(pools[kind], quota[kind], chosen)
    # Slots lost to overlaps go round-robin to whatever can still be placed.
    progress = True
    while len(chosen) < per_file and progress:
        progress = False
        for kind in order:
            placed = sum(1 for t in chosen if t.kind == kind)
            if len(chosen) < per_file and placed < cap and _take(pools[kind], 1, chosen):
                progress = True
    split = split_of(file.sha256)
    return [
        Task(
            id=f"{file.relpath}:{t.kind}:{t.offset}",
            language=file.language,
            relpath=file.relpath,
            path=file.path,
            file_sha256=file.sha256,
            kind=t.kind,
            offset=t.offset,
            target=t.text,
            split=split,
        )
        for t in sorted(chosen, key=lambda t: t.offset)
    ]


def build_tasks(
    files: Iterable[SourceFile],
    *,
    seed: int = 0,
    per_file: int = 4,
    kinds: Sequence[str] = KINDS,
    split: str | None = None,
    limit: int | None = None,
    per_kind: int | None = None,
) -> list[Task]:
    """Tasks of many files, interleaved round-robin by (kind, language); the first ``limit``.

    Files of the other split are skipped when ``split`` is given.  Within each (language, kind)
    bucket the order is a seeded shuffle, so any prefix samples files across the whole corpus
    and holds every language and kind about equally often.
    """
    if split is not None and split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev', 'test' or None, not {split!r}")
    kinds = list(dict.fromkeys(kinds))
    ordered = sorted(files, key=lambda f: (f.language, f.relpath, f.sha256))
    buckets: dict[tuple[str, str], list[Task]] = {}
    for file in ordered:
        if split is not None and split_of(file.sha256) != split:
            continue
        for task in tasks_for_file(
            file, seed=seed, per_file=per_file, kinds=kinds, per_kind=per_kind
        ):
            buckets.setdefault((task.language, task.kind), []).append(task)
    languages = sorted({language for language, _ in buckets})
    queues: list[list[Task]] = []
    for kind in kinds:
        for language in languages:
            bucket = sorted(buckets.get((language, kind), []), key=lambda t: t.id)
            random.Random(f"{seed}:{language}:{kind}").shuffle(bucket)
            if bucket:
                queues.append(bucket)
    result: list[Task] = []
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        for queue in queues:
            if i < len(queue):
                result.append(queue[i])
                if limit is not None and len(result) >= limit:
                    return result
    return result
