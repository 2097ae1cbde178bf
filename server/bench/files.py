"""The user's source files that ``grove bench`` may cut tasks from, by Grove's own rules.

Owns :func:`collect_files` and :class:`Collection`.  Every path under the directory is judged by
the workspace's send policy (:class:`~server.refusal.SendPolicy`: built-in secret patterns,
``.gitignore``, ``.groveignore``, ``grove.context.exclude``; a broken ignore file fails closed)
*before* it is read, so a refused file is never opened; what is read is judged again with its
text (binary, too large).  Directories the rules exclude are not entered; virtual environments,
``node_modules`` and ``.git`` are not the user's code and are not entered either.

Only files in a language tasks can be cut from are read; of those, a seeded sample of at most
``max_files`` (the choice depends on the seed and the paths only), each at most
:data:`MAX_FILE_BYTES` (the workspace index's limit), UTF-8, and not minified JavaScript.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from analyzers.bench.tasks import LANGUAGES, SourceFile
from analyzers.languages import language_for
from server.refusal import SendPolicy
from server.workspace import DEFAULT_MAX_FILE_BYTES, WorkspaceIndex
from server.workspace_rules import SKIP_DIRS

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "SKIPPED_BY_RULE",
    "SKIPPED_CONTENT",
    "SKIPPED_DIRECTORY",
    "SKIPPED_NOT_CODE",
    "Collection",
    "collect_files",
]

MAX_FILE_BYTES = DEFAULT_MAX_FILE_BYTES
"""Larger files are not read (the workspace index does not read them for context either)."""

MAX_LINE_CHARS = 500
"""A JavaScript or TypeScript file with a longer line counts as minified and is skipped."""

_MINIFIABLE = frozenset({"javascript", "typescript"})

_NOT_CODE_DIRS = SKIP_DIRS | {"site-packages"}

SKIPPED_BY_RULE = "rule"
"""Files refused by the ignore and secret rules (never read)."""
SKIPPED_DIRECTORY = "directory"
"""Directories the ignore rules exclude (not entered)."""
SKIPPED_NOT_CODE = "not-code"
"""Virtual environments, ``node_modules``, ``.git`` (not entered)."""
SKIPPED_CONTENT = "content"
"""Files read and then refused: binary, too large, not UTF-8, minified."""


@dataclass
class Collection:
    """The files to cut tasks from, and what was left out and why."""

    base: str
    """The directory (or file) asked for, absolute."""
    files: list[SourceFile] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """:data:`SKIPPED_BY_RULE` and friends → how many."""
    candidates: int = 0
    """Files in a task language that the rules allow (before sampling)."""
    sampled: bool = False
    """Whether there were more candidates than ``max_files`` (a seeded sample was read)."""
    other_languages: int = 0
    """Allowed files in languages tasks cannot be cut from."""

    def summary(self) -> str:
        """One sentence: files used, and what was skipped and why."""
        by_language = Counter(f.language for f in self.files)
        used = ", ".join(f"{n} {language}" for language, n in sorted(by_language.items()))
        parts = [
            _count(len(self.files), "file", "files") + " used" + (f" ({used})" if used else "")
        ]
        if self.sampled:
            parts.append(f"a sample of the {self.candidates} files in these languages")
        rules = self.skipped[SKIPPED_BY_RULE]
        directories = self.skipped[SKIPPED_DIRECTORY]
        if rules or directories:
            what = " and ".join(
                _count(n, one, many)
                for n, one, many in (
                    (rules, "file", "files"),
                    (directories, "directory", "directories"),
                )
                if n
            )
            parts.append(
                f"{what} skipped by Grove's rules (.gitignore, .groveignore, "
                "grove.context.exclude, secret files)"
            )
        if self.skipped[SKIPPED_CONTENT]:
            parts.append(
                _count(self.skipped[SKIPPED_CONTENT], "file", "files")
                + " skipped as binary, too large, not UTF-8 or minified"
            )
        if self.skipped[SKIPPED_NOT_CODE]:
            parts.append(
                _count(self.skipped[SKIPPED_NOT_CODE], "directory", "directories")
                + " of dependencies or tooling not entered (virtualenvs, node_modules, .git)"
            )
        return "; ".join(parts)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def collect_files(
    base: str,
    policy: SendPolicy,
    *,
    languages: Sequence[str] = LANGUAGES,
    max_files: int | None = None,
    seed: int = 0,
) -> Collection:
    """The files under ``base`` (a directory or one file) that tasks may be cut from."""
    base = os.path.abspath(base)
    collection = Collection(base)
    wanted = set(languages)
    candidates: list[tuple[str, str]] = []
    for path in _walk(base, policy.index, collection):
        if policy.refusal("", path) is not None:  # the path alone: secret or ignored
            collection.skipped[SKIPPED_BY_RULE] += 1
            continue
        spec = language_for(None, path)
        if spec is None or spec.name not in wanted:
            collection.other_languages += 1
            continue
        candidates.append((path, spec.name))
    collection.candidates = len(candidates)
    if max_files is not None and len(candidates) > max_files:
        collection.sampled = True
        random.Random(seed).shuffle(candidates)
    seen: set[str] = set()
    for path, language in candidates:
        if max_files is not None and len(collection.files) >= max_files:
            break
        source = _read(path, language, base, policy)
        if source is None:
            collection.skipped[SKIPPED_CONTENT] += 1
        elif source.sha256 not in seen:  # a copy of a file gives the same tasks
            seen.add(source.sha256)
            collection.files.append(source)
    collection.files.sort(key=lambda f: f.relpath)
    return collection


def _walk(base: str, index: WorkspaceIndex[object], collection: Collection) -> Iterator[str]:
    """Files under ``base`` in sorted order, not entering excluded or dependency directories."""
    if not os.path.isdir(base):
        if os.path.isfile(base):
            yield base
        return
    for directory, dirs, names in os.walk(base):
        kept = []
        for name in sorted(dirs):
            full = os.path.join(directory, name)
            if name in _NOT_CODE_DIRS or os.path.isfile(os.path.join(full, "pyvenv.cfg")):
                collection.skipped[SKIPPED_NOT_CODE] += 1
            elif index.is_ignored(full, is_dir=True):
                collection.skipped[SKIPPED_DIRECTORY] += 1
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            full = os.path.join(directory, name)
            if os.path.isfile(full):
                yield full


def _read(path: str, language: str, base: str, policy: SendPolicy) -> SourceFile | None:
    """The file as a :class:`SourceFile`, or None when its content is refused or unusable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_FILE_BYTES:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if policy.refusal(text, path) is not None:  # binary, too large (and the path again)
        return None
    if language in _MINIFIABLE and any(len(line) > MAX_LINE_CHARS for line in text.splitlines()):
        return None
    start = base if os.path.isdir(base) else os.path.dirname(base)
    relpath = os.path.relpath(path, start).replace(os.sep, "/")
    return SourceFile.from_bytes(language, path, relpath, data)
