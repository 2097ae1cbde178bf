"""The workspace index: per-file facts for cross-file context, behind Grove's ignore rules.

:class:`WorkspaceIndex` owns everything Grove reads from the workspace besides the current
document: the latest text of open documents (which overrides the disk), a bounded
most-recently-used list of opened or edited files, and an LRU cache of file text and facts
bounded in bytes. What may be read at all is decided by its
:class:`~server.workspace_rules.WorkspaceRules` (workspace roots, ignore files, exclude globs,
built-in secrets); the index exposes their methods, so callers hold one object.

Facts are whatever the injected ``analyze(path, text)`` returns; the index never interprets
them. Reading and analysing happen on one background worker thread, so request handlers only
ever *peek*: a lookup returns what is ready and schedules the rest.
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
from dataclasses import dataclass
from typing import Generic, TypeVar

from server.workspace_rules import Notify, WorkspaceRules, normalize

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_FILE_BYTES = 1_000_000
DEFAULT_MAX_CACHE_BYTES = 32_000_000
DEFAULT_MAX_RECENT = 20
DEFAULT_MAX_ENTRIES = 20_000
# A cached disk entry older than this is served as is and re-checked (stat) in the background.
DEFAULT_REVALIDATE_S = 2.0


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
        self._rules = WorkspaceRules(notify)
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
        return self._rules.roots

    def set_roots(self, paths: Iterable[str]) -> None:
        """Use these workspace roots (existing roots keep their loaded ignore files)."""
        self._rules.set_roots(paths)

    def set_excludes(self, globs: Sequence[str]) -> None:
        """Exclude these gitignore-style globs; a malformed one makes every path ignored."""
        self._rules.set_excludes(globs)

    def is_ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` must never be read for context (secrets, ignore files, excludes)."""
        return self._rules.is_ignored(path, is_dir=is_dir)

    def broken_rules(self, path: str) -> str | None:
        """Why the ignore rules over ``path`` cannot be trusted (it fails closed), or None."""
        return self._rules.broken_rules(path)

    def is_secret(self, path: str) -> bool:
        """Whether ``path`` matches a built-in secret pattern."""
        return self._rules.is_secret(path)

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
        if self._rules.ignore_file_changed(path):
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
        counts.update(self._rules.stats())
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


__all__ = ["WorkspaceIndex"]
