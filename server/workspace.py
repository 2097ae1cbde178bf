"""The workspace index: per-file facts for cross-file context, behind Grove's ignore rules.

:class:`WorkspaceIndex` owns everything Grove reads from the workspace besides the current
document: the workspace roots, the ignore rules (built-in secrets, ``.gitignore`` and
``.groveignore`` files read lazily per directory, exclude globs from settings), the latest text
of open documents (which overrides the disk), a bounded most-recently-used list of opened or
edited files, and an LRU cache of file text and facts bounded in bytes.

Facts are whatever the injected ``analyze(path, text)`` returns; the index never interprets
them. Reading and analysing happen on one background worker thread, so request handlers only
ever *peek*: a lookup returns what is ready and schedules the rest. The ignore decision itself
lives in :mod:`analyzers.ignore` (pure); this module only finds and reads the ignore files.
Any ignore file that cannot be read or compiled makes its whole root ignored (fail closed) with
one warning through the injected ``notify(level, message)``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from analyzers.ignore import (
    GITIGNORE,
    GROVEIGNORE,
    IGNORE_FILE_NAMES,
    IgnoreRules,
    IgnoreRulesError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

Notify = Callable[[str, str], None]

# Directories whose nested ignore files are never read (their content is rarely context).
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})

DEFAULT_MAX_FILE_BYTES = 1_000_000
DEFAULT_MAX_CACHE_BYTES = 32_000_000
DEFAULT_MAX_RECENT = 20
DEFAULT_MAX_ENTRIES = 20_000
# A cached disk entry older than this is served as is and re-checked (stat) in the background.
DEFAULT_REVALIDATE_S = 2.0
MAX_DECISIONS = 50_000


def normalize(path: str) -> str:
    """Absolute, normalised form of ``path`` (the index's key)."""
    return os.path.normpath(os.path.abspath(path))


@dataclass
class _DiskEntry(Generic[T]):
    """What the worker last saw of one path on disk."""

    exists: bool
    mtime_ns: int = 0
    size: int = 0
    text: str | None = None
    facts: T | None = None
    checked: float = 0.0

    @property
    def cost(self) -> int:
        """Bytes counted against the cache bound."""
        return self.size if self.text is not None else 0


@dataclass
class _OpenDocument(Generic[T]):
    """An open document's latest text and the facts of the last analysed version."""

    text: str
    generation: int
    facts_generation: int = -1
    facts_hash: bytes | None = None
    facts: T | None = None


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


class WorkspaceIndex(Generic[T]):
    """Non-blocking, bounded, ignore-aware cache of per-file facts (see the module docstring)."""

    def __init__(
        self,
        analyze: Callable[[str, str], T | None],
        *,
        notify: Notify | None = None,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_cache_bytes: int = DEFAULT_MAX_CACHE_BYTES,
        max_recent: int = DEFAULT_MAX_RECENT,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        revalidate_after_s: float = DEFAULT_REVALIDATE_S,
    ) -> None:
        self._analyze = analyze
        self._notify = notify
        self.max_file_bytes = max_file_bytes
        self.max_cache_bytes = max_cache_bytes
        self.max_recent = max_recent
        self.max_entries = max_entries
        self.revalidate_after_s = revalidate_after_s
        # Cache state: guarded by _lock (analyze and file reads run outside it).
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _DiskEntry[T]] = OrderedDict()
        self._cached_bytes = 0
        self._open: dict[str, _OpenDocument[T]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._pending: dict[str, concurrent.futures.Future[T | None]] = {}
        self._generation = 0
        self._closed = False
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="grove-index"
        )
        # Ignore state: guarded by _rules_lock (held while reading small ignore files).
        self._rules_lock = threading.RLock()
        self._roots: list[_RootState] = []
        self._excludes: tuple[str, ...] = ()
        self._excludes_error: str | None = None
        self._outside = IgnoreRules(None)
        self._warned: set[str] = set()
        # path → ignored? (dropped whenever any rule changes; keeps didChange cheap)
        self._decisions: dict[str, bool] = {}

    def set_analyzer(self, analyze: Callable[[str, str], T | None]) -> None:
        """Use another analyze function; cached facts are dropped."""
        with self._lock:
            self._analyze = analyze
            self._entries.clear()
            self._cached_bytes = 0
            for document in self._open.values():
                document.facts_generation, document.facts_hash, document.facts = -1, None, None

    # ------------------------------------------------------------------ roots and ignore rules

    @property
    def roots(self) -> list[str]:
        """The workspace roots, as set."""
        with self._rules_lock:
            return [state.path for state in sorted(self._roots, key=lambda s: s.path)]

    def set_roots(self, paths: Iterable[str]) -> None:
        """Use these workspace roots (existing roots keep their loaded ignore files)."""
        # A root opened through a symbolic link also owns the files under its real path.
        wanted = list(
            dict.fromkeys(form for p in paths for form in (normalize(p), os.path.realpath(p)))
        )
        with self._rules_lock:
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
        with self._rules_lock:
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

    def _new_root(self, path: str) -> _RootState:
        excludes = () if self._excludes_error else self._excludes
        return _RootState(path=path, rules=IgnoreRules(path, excludes=excludes))

    def is_ignored(self, path: str) -> bool:
        """Whether ``path`` must never be read for context (secrets, ignore files, excludes)."""
        path = normalize(path)
        warnings: list[str] = []
        try:
            with self._rules_lock:
                decision = self._decisions.get(path)
                if decision is None:
                    decision = self._is_ignored_locked(path, warnings)
                    if len(self._decisions) >= MAX_DECISIONS:
                        self._decisions.clear()
                    self._decisions[path] = decision
                return decision
        finally:
            for warning in warnings:
                self._emit(warning)

    def broken_rules(self, path: str) -> str | None:
        """Why the ignore rules over ``path`` cannot be trusted (it fails closed), or None."""
        with self._rules_lock:
            if self._excludes_error is not None:
                return f"grove.context.exclude is invalid ({self._excludes_error})"
            state = self._root_of(normalize(path))
            return state.broken if state is not None else None

    def is_secret(self, path: str) -> bool:
        """Whether ``path`` matches a built-in secret pattern."""
        return self._outside.is_secret(normalize(path))

    def _is_ignored_locked(self, path: str, warnings: list[str]) -> bool:
        if self._excludes_error is not None:
            return True
        state = self._root_of(path)
        if state is None:
            return self._outside.is_ignored(path)
        if state.broken is None:
            self._load_ignore_files(state, path, warnings)
        if state.broken is not None:
            return True
        return state.rules.is_ignored(path)

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

    # ------------------------------------------------------------------ open documents

    def note_open(self, path: str, text: str) -> None:
        """An open document's text (it overrides the disk); analysed in the background."""
        if self._note_text(path, text):
            with self._lock:
                self._schedule(normalize(path))

    def note_change(self, path: str, text: str) -> None:
        """An open document's new full text (analysed lazily, on the next lookup)."""
        self._note_text(path, text)

    def note_close(self, path: str) -> None:
        """A document was closed: the disk is the truth again (it stays in the recent list)."""
        path = normalize(path)
        with self._lock:
            self._open.pop(path, None)

    def _note_text(self, path: str, text: str) -> bool:
        """Record the text unless ``path`` is ignored; whether it was recorded."""
        path = normalize(path)
        ignored = self.is_ignored(path)
        with self._lock:
            if ignored:
                self._open.pop(path, None)
                self._recent.pop(path, None)
                return False
            self._generation += 1
            document = self._open.get(path)
            if document is None:
                self._open[path] = _OpenDocument(text=text, generation=self._generation)
            else:
                document.text = text
                document.generation = self._generation
            self._recent[path] = None
            self._recent.move_to_end(path, last=False)
            while len(self._recent) > self.max_recent:
                self._recent.popitem(last=True)
        return True

    # ------------------------------------------------------------------ file events

    def file_changed(self, path: str, kind: str) -> None:
        """A file was ``created``, ``changed`` or ``deleted`` on disk: forget what we knew."""
        path = normalize(path)
        prefix = path.rstrip(os.sep) + os.sep
        with self._lock:
            entry = self._entries.pop(path, None)
            if entry is not None:
                self._cached_bytes -= entry.cost
            if kind == "deleted":  # maybe a directory: drop everything under it
                for key in [k for k in self._entries if k.startswith(prefix)]:
                    self._cached_bytes -= self._entries.pop(key).cost
        if os.path.basename(path) in IGNORE_FILE_NAMES:
            with self._rules_lock:
                state = self._root_of(path)
                if state is not None:
                    self._reset_root(state)
            log.info("ignore rules changed: %s", path)
            # Re-read now (in the background), so a broken file is reported right away.
            with self._lock:
                if not self._closed:
                    self._executor.submit(self.is_ignored, path)

    # ------------------------------------------------------------------ lookups

    def peek(self, path: str) -> T | None:
        """Facts of ``path`` if ready (never blocks); otherwise schedule a load and return None."""
        path = normalize(path)
        if self.is_ignored(path):
            return None
        with self._lock:
            document = self._open.get(path)
            if document is not None:
                if document.facts_generation == document.generation:
                    return document.facts
                self._schedule(path)
                return None
            entry = self._entries.get(path)
            if entry is None:
                self._schedule(path)
                return None
            self._entries.move_to_end(path)
            if time.monotonic() - entry.checked > self.revalidate_after_s:
                self._schedule(path)  # stale-while-revalidate: a stat on the worker
            return entry.facts

    def text(self, path: str) -> str | None:
        """Text of ``path`` if ready (open document, else cached disk text); else schedule."""
        path = normalize(path)
        if self.is_ignored(path):
            return None
        with self._lock:
            document = self._open.get(path)
            if document is not None:
                return document.text
            entry = self._entries.get(path)
            if entry is None or time.monotonic() - entry.checked > self.revalidate_after_s:
                self._schedule(path)
            return entry.text if entry is not None else None

    def exists(self, path: str) -> bool | None:
        """Whether ``path`` is a readable, non-ignored file or directory; None: not known yet."""
        path = normalize(path)
        if self.is_ignored(path):
            return False
        with self._lock:
            if path in self._open:
                return True
            entry = self._entries.get(path)
            if entry is None or time.monotonic() - entry.checked > self.revalidate_after_s:
                self._schedule(path)
            return entry.exists if entry is not None else None

    async def idle(self) -> None:
        """Wait until every scheduled load and check has finished (for the CLI and tests)."""
        while True:
            with self._lock:
                pending = list(self._pending.values())
            if not pending:
                return
            await asyncio.gather(
                *(asyncio.wrap_future(future) for future in pending), return_exceptions=True
            )

    async def load(self, path: str) -> T | None:
        """Facts of ``path``, awaiting the worker (re-checks the disk); for the CLI and tests."""
        path = normalize(path)
        if self.is_ignored(path):
            return None
        while True:
            with self._lock:
                future = self._pending.get(path)
                # A load already running took its snapshot before this call: await, load again.
                stale = future is not None and future.running()
                if future is None:
                    future = self._schedule(path)
            if future is None:
                return None
            try:
                result = await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                if future.cancelled():  # the index was closed
                    return None
                raise
            if not stale:
                return result

    def recent(self, limit: int | None = None) -> list[tuple[str, T]]:
        """Facts of open and recently edited files, most recent first; skips what is not ready."""
        limit = self.max_recent if limit is None else limit
        with self._lock:
            paths = list(self._recent) + [p for p in self._open if p not in self._recent]
        result: list[tuple[str, T]] = []
        for path in paths:
            if len(result) >= limit:
                break
            facts = self.peek(path)
            if facts is not None:
                result.append((path, facts))
        return result

    def stats(self) -> dict[str, object]:
        """Counters for ``grove.status``."""
        with self._lock:
            cached = sum(1 for entry in self._entries.values() if entry.text is not None)
            counts: dict[str, object] = {
                "filesCached": cached,
                "cachedBytes": self._cached_bytes,
                "pendingLoads": len(self._pending),
                "openDocuments": len(self._open),
                "recentFiles": len(self._recent),
            }
        with self._rules_lock:
            counts["roots"] = len(self._roots)
            counts["failingClosed"] = self._excludes_error is not None or any(
                state.broken is not None for state in self._roots
            )
        return counts

    def close(self) -> None:
        """Stop the worker; pending loads are cancelled and later lookups schedule nothing."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ the worker

    def _schedule(self, path: str) -> concurrent.futures.Future[T | None] | None:
        """Queue one load of ``path`` unless one is pending (call with ``_lock`` held)."""
        if self._closed:
            return None
        future = self._pending.get(path)
        if future is None:
            future = self._executor.submit(self._load, path)
            self._pending[path] = future
        return future

    def _load(self, path: str) -> T | None:
        """Worker: (re)compute the facts of ``path`` from the open text or the disk."""
        try:
            if self.is_ignored(path):
                return None
            with self._lock:
                document = self._open.get(path)
                snapshot = (document.text, document.generation) if document else None
            if snapshot is not None:
                return self._load_open(path, *snapshot)
            return self._load_disk(path)
        except Exception:
            log.exception("workspace index: loading %s failed", path)
            return None
        finally:
            with self._lock:
                self._pending.pop(path, None)

    def _load_open(self, path: str, text: str, generation: int) -> T | None:
        data = text.encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(data, digest_size=16).digest()
        with self._lock:
            document = self._open.get(path)
            if document is not None and document.facts_hash == digest:
                document.facts_generation = max(document.facts_generation, generation)
                return document.facts
        facts = None if len(data) > self.max_file_bytes else self._safe_analyze(path, text)
        with self._lock:
            document = self._open.get(path)
            if document is not None and generation > document.facts_generation:
                document.facts, document.facts_hash = facts, digest
                document.facts_generation = generation
        return facts

    def _load_disk(self, path: str) -> T | None:
        now = time.monotonic()
        try:
            info = os.stat(path)
        except OSError:
            self._store(path, _DiskEntry(exists=False, checked=now))
            return None
        mtime, size = info.st_mtime_ns, info.st_size
        with self._lock:
            entry = self._entries.get(path)
            if entry is not None and entry.exists and (entry.mtime_ns, entry.size) == (mtime, size):
                entry.checked = now
                return entry.facts
        text = None
        if stat.S_ISREG(info.st_mode) and size <= self.max_file_bytes:
            text = _read_text(path, self.max_file_bytes)
        elif stat.S_ISREG(info.st_mode):
            log.debug("workspace index: %s is too large (%d bytes), skipped", path, size)
        facts = self._safe_analyze(path, text) if text is not None else None
        self._store(
            path,
            _DiskEntry(exists=True, mtime_ns=mtime, size=size, text=text, facts=facts, checked=now),
        )
        return facts

    def _safe_analyze(self, path: str, text: str) -> T | None:
        try:
            return self._analyze(path, text)
        except Exception:
            log.exception("workspace index: analysing %s failed", path)
            return None

    def _store(self, path: str, entry: _DiskEntry[T]) -> None:
        """Insert ``entry`` as most recently used and evict the least recently used over bounds."""
        with self._lock:
            old = self._entries.pop(path, None)
            if old is not None:
                self._cached_bytes -= old.cost
            self._entries[path] = entry
            self._cached_bytes += entry.cost
            while self._entries and (
                self._cached_bytes > self.max_cache_bytes or len(self._entries) > self.max_entries
            ):
                _, evicted = self._entries.popitem(last=False)
                self._cached_bytes -= evicted.cost


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


def _read_text(path: str, limit: int) -> str | None:
    """UTF-8 text of a small, non-binary file; None for anything else."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        log.debug("workspace index: cannot read %s: %s", path, error)
        return None
    if len(data) > limit or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


__all__ = ["GITIGNORE", "GROVEIGNORE", "SKIP_DIRS", "WorkspaceIndex", "normalize"]
