"""The workspace's ignore rules: which files Grove may never read for context.

:class:`WorkspaceRules` owns the workspace roots and everything that decides whether a path is
off limits: the built-in secret patterns, the ``.gitignore`` and ``.groveignore`` files (read
lazily, one directory at a time, from a root down to the path asked about) and the exclude
globs from settings. Decisions are cached per path and dropped whenever any rule changes.

The ignore decision itself lives in :mod:`analyzers.ignore` (pure); this module only finds and
reads the ignore files. Any ignore file that cannot be read or compiled makes its whole root
ignored (fail closed), and a malformed exclude glob makes every path ignored; each such problem
is reported once through the injected ``notify(level, message)``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from analyzers.ignore import (
    GITIGNORE,
    GROVEIGNORE,
    IGNORE_FILE_NAMES,
    IgnoreRules,
    IgnoreRulesError,
)

log = logging.getLogger(__name__)

Notify = Callable[[str, str], None]

# Directories whose nested ignore files are never read (their content is rarely context).
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})

MAX_DECISIONS = 50_000


ROOT_MARKERS = (".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml", ".grove")
"""Files or directories that make a directory a project root (for the CLI commands)."""


def normalize(path: str) -> str:
    """Absolute, normalised form of ``path`` (the key of every per-path decision and cache)."""
    return os.path.normpath(os.path.abspath(path))


def project_root(path: str) -> str:
    """The nearest directory holding ``path`` (a directory holds itself) with a root marker.

    Without one: ``path`` itself if it is a directory, else its directory. The CLI commands
    root the workspace (and so its ignore files) here, as an editor roots it at the folder it
    opened.
    """
    path = normalize(path)
    start = path if os.path.isdir(path) else os.path.dirname(path)
    directory = start
    while True:
        if any(os.path.exists(os.path.join(directory, marker)) for marker in ROOT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


@dataclass
class _RootState:
    """One workspace root: its ignore rules as loaded so far."""

    path: str
    rules: IgnoreRules
    loaded: set[str] = field(default_factory=set)
    broken: str | None = None
    warned: set[str] = field(default_factory=set)


class _Unreadable(Exception):
    """An ignore file exists but cannot be read as UTF-8 text."""


class WorkspaceRules:
    """Thread-safe, fail-closed ignore decisions over the workspace roots (see the module doc)."""

    def __init__(self, notify: Notify | None = None) -> None:
        self._notify = notify
        # Guarded by _lock (held while reading small ignore files).
        self._lock = threading.RLock()
        self._roots: list[_RootState] = []
        self._excludes: tuple[str, ...] = ()
        self._excludes_error: str | None = None
        self._outside = IgnoreRules(None)
        self._warned: set[str] = set()
        # path → ignored? (dropped whenever any rule changes; keeps didChange cheap)
        self._decisions: dict[str, bool] = {}

    @property
    def roots(self) -> list[str]:
        """The workspace roots, as set."""
        with self._lock:
            return [state.path for state in sorted(self._roots, key=lambda s: s.path)]

    def set_roots(self, paths: Iterable[str]) -> None:
        """Use these workspace roots (existing roots keep their loaded ignore files)."""
        # A root opened through a symbolic link also owns the files under its real path.
        wanted = list(
            dict.fromkeys(form for p in paths for form in (normalize(p), os.path.realpath(p)))
        )
        with self._lock:
            kept = {state.path: state for state in self._roots}
            self._roots = [kept.get(path) or self._new_root(path) for path in wanted]
            # Deepest first, so a nested root owns its subtree.
            self._roots.sort(key=lambda state: len(state.path), reverse=True)
            self._decisions.clear()
        log.debug("workspace roots: %s", wanted)

    def set_excludes(self, globs: Sequence[str]) -> None:
        """Exclude these gitignore-style globs; a malformed one makes every path ignored."""
        globs = tuple(globs)
        warning = None
        with self._lock:
            if globs == self._excludes and self._excludes_error is None:
                return
            self._excludes = globs
            self._decisions.clear()
            try:
                self._outside = IgnoreRules(None, excludes=globs)
            except IgnoreRulesError as error:
                self._excludes_error = str(error)
                warning = self._warning_once(
                    f"Grove: {error}. No file is read for context until it is fixed."
                )
            else:
                self._excludes_error = None
                for state in self._roots:
                    state.rules = state.rules.with_excludes(globs)
        self._emit(warning)

    def is_ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` must never be read for context (secrets, ignore files, excludes).

        ``is_dir``: ``path`` is a directory (patterns such as ``build/`` match it).
        """
        path = normalize(path)
        key = path + os.sep if is_dir else path
        warnings: list[str] = []
        try:
            with self._lock:
                decision = self._decisions.get(key)
                if decision is None:
                    decision = self._is_ignored_locked(path, warnings, is_dir)
                    if len(self._decisions) >= MAX_DECISIONS:
                        self._decisions.clear()
                    self._decisions[key] = decision
                return decision
        finally:
            for warning in warnings:
                self._emit(warning)

    def broken_rules(self, path: str) -> str | None:
        """Why the ignore rules over ``path`` cannot be trusted (it fails closed), or None."""
        with self._lock:
            if self._excludes_error is not None:
                return f"grove.context.exclude is invalid ({self._excludes_error})"
            state = self._root_of(normalize(path))
            return state.broken if state is not None else None

    def is_secret(self, path: str) -> bool:
        """Whether ``path`` matches a built-in secret pattern."""
        return self._outside.is_secret(normalize(path))

    def ignore_file_changed(self, path: str) -> bool:
        """Whether ``path`` is an ignore file; if so, its root reloads its rules on next use."""
        path = normalize(path)
        if os.path.basename(path) not in IGNORE_FILE_NAMES:
            return False
        with self._lock:
            state = self._root_of(path)
            if state is not None:
                self._reset_root(state)
        log.info("ignore rules changed: %s", path)
        return True

    def stats(self) -> dict[str, object]:
        """Counters for ``grove.status``: how many roots, and whether any rule fails closed."""
        with self._lock:
            return {
                "roots": len(self._roots),
                "failingClosed": self._excludes_error is not None
                or any(state.broken is not None for state in self._roots),
            }

    def _new_root(self, path: str) -> _RootState:
        excludes = () if self._excludes_error else self._excludes
        return _RootState(path=path, rules=IgnoreRules(path, excludes=excludes))

    def _is_ignored_locked(self, path: str, warnings: list[str], is_dir: bool = False) -> bool:
        if self._excludes_error is not None:
            return True
        state = self._root_of(path)
        if state is None:
            return self._outside.is_ignored(path, is_dir=is_dir)
        if state.broken is None:
            self._load_ignore_files(state, path, warnings)
        if state.broken is not None:
            return True
        return state.rules.is_ignored(path, is_dir=is_dir)

    def _root_of(self, path: str) -> _RootState | None:
        for state in self._roots:
            if path == state.path or path.startswith(state.path.rstrip(os.sep) + os.sep):
                return state
        return None

    def _load_ignore_files(self, state: _RootState, path: str, warnings: list[str]) -> None:
        """Read the ignore files of every directory from the root down to ``path``'s parent."""
        relative = state.rules.relative_parts(path) or ()
        for depth in range(len(relative)):
            key = "/".join(relative[:depth])
            if key in state.loaded:
                continue
            directory = os.path.join(state.path, *relative[:depth])
            if depth and (
                relative[depth - 1] in SKIP_DIRS or state.rules.is_ignored(directory, is_dir=True)
            ):
                return  # inside an ignored directory: nothing below can be re-included
            try:
                gitignore = _read_ignore_file(os.path.join(directory, GITIGNORE))
                groveignore = _read_ignore_file(os.path.join(directory, GROVEIGNORE))
                state.rules = state.rules.with_directory(key, gitignore, groveignore)
            except (_Unreadable, IgnoreRulesError) as error:
                state.broken = str(error)
                self._decisions.clear()
                message = (
                    f"Grove: {error}. No file under {state.path} is read for context until "
                    "it is fixed."
                )
                if message not in state.warned:  # once per root until its ignore files change
                    state.warned.add(message)
                    warnings.append(message)
                return
            state.loaded.add(key)

    def _reset_root(self, state: _RootState) -> None:
        excludes = () if self._excludes_error else self._excludes
        state.rules = IgnoreRules(state.path, excludes=excludes)
        state.loaded.clear()
        state.broken = None
        state.warned.clear()
        self._decisions.clear()

    def _warning_once(self, message: str) -> str | None:
        if message in self._warned:
            return None
        self._warned.add(message)
        return message

    def _emit(self, warning: str | None) -> None:
        if warning is None:
            return
        log.warning("%s", warning)
        if self._notify is not None:
            try:
                self._notify("warning", warning)
            except Exception:
                log.exception("could not deliver a workspace warning")


def _read_ignore_file(path: str) -> str | None:
    """Text of an ignore file, None when there is none; :class:`_Unreadable` otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise _Unreadable(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Unreadable(f"cannot read {path}: not UTF-8 text") from error


__all__ = ["ROOT_MARKERS", "SKIP_DIRS", "Notify", "WorkspaceRules", "normalize", "project_root"]
