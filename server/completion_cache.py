"""Short-lived cache of suggestions: repeated positions and typing into a suggestion.

An entry remembers where a suggestion was made (the document's text before and after the
cursor, by hash) and what it was. A later request is served from the entry when the text
before the cursor is the old text plus a prefix of the suggestion (the user typed into the
ghost text) and the text after the cursor is unchanged. Entries expire after ``ttl_s``. An
explicit request's several candidates are stored together at one position
(:meth:`CompletionCache.store_many`), so typing into any of them is served too.
:func:`typed_forward` tells whether an edit only typed at a request's cursor.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(frozen=True)
class _Entry:
    offset: int
    before: bytes
    after: bytes
    suggestion: str
    created: float


class CompletionCache:
    """Per-document LRU of recent suggestions."""

    def __init__(self, per_document: int = 16, documents: int = 64, ttl_s: float = 120.0) -> None:
        self._per_document = per_document
        self._documents = documents
        self._ttl_s = ttl_s
        self._entries: OrderedDict[str, list[_Entry]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def store(self, key: str, text: str, offset: int, suggestion: str, now: float) -> None:
        """Remember ``suggestion`` made at ``offset`` of ``text``."""
        self.store_many(key, text, offset, [suggestion], now)

    def store_many(
        self, key: str, text: str, offset: int, suggestions: Sequence[str], now: float
    ) -> None:
        """Remember the suggestions made at ``offset`` of ``text``, replacing earlier ones there.

        An explicit request's candidates are kept together: :meth:`lookup` serves the first to a
        repeated request, and whichever one the user types into as they type.
        """
        wanted = [s for s in dict.fromkeys(suggestions) if s]
        if not wanted:
            return
        before, after = _digest(text[:offset]), _digest(text[offset:])
        fresh = [_Entry(offset, before, after, s, now) for s in reversed(wanted)]
        entries = [e for e in self._entries.pop(key, []) if now - e.created < self._ttl_s]
        entries = [e for e in entries if (e.offset, e.before) != (offset, before)]
        entries.extend(fresh)
        self._entries[key] = entries[-self._per_document :]
        while len(self._entries) > self._documents:
            self._entries.popitem(last=False)

    def lookup(
        self, key: str, text: str, offset: int, now: float, *, record: bool = True
    ) -> str | None:
        """The rest of a cached suggestion that still applies at ``offset``, else None.

        ``record=False`` leaves the hit-rate counters alone (the caller records the outcome).
        """
        rest = next(self._applying(key, text, offset, now), None)
        if record:
            if rest is None:
                self.misses += 1
            else:
                self.hits += 1
        return rest

    def lookup_all(self, key: str, text: str, offset: int, now: float) -> list[str]:
        """The rests of every cached suggestion that still applies at ``offset``.

        In :meth:`lookup`'s order (its answer first); distinct; the hit-rate counters are left
        alone.
        """
        return list(dict.fromkeys(self._applying(key, text, offset, now)))

    def _applying(self, key: str, text: str, offset: int, now: float) -> Iterator[str]:
        """The rests of the cached suggestions that apply at ``offset``, newest first."""
        after: bytes | None = None
        for entry in reversed(self._entries.get(key, [])):
            if now - entry.created >= self._ttl_s:
                continue
            typed_length = offset - entry.offset
            if not 0 <= typed_length < len(entry.suggestion):
                continue
            if text[entry.offset : offset] != entry.suggestion[:typed_length]:
                continue
            if after is None:
                after = _digest(text[offset:])
            if entry.after != after or _digest(text[: entry.offset]) != entry.before:
                continue
            yield entry.suggestion[typed_length:]

    def record(self, hit: bool) -> None:
        """Count one request's outcome (served from the cache or not)."""
        if hit:
            self.hits += 1
        else:
            self.misses += 1

    def forget(self, key: str) -> None:
        """Drop everything cached for a document (closed)."""
        self._entries.pop(key, None)

    @property
    def hit_rate(self) -> float:
        """Share of lookups served from the cache."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def typed_forward(old_text: str, old_offset: int, new_text: str, *, same: bool = False) -> bool:
    """Whether ``new_text`` is ``old_text`` with text inserted at ``old_offset``, nothing else.

    ``same=True`` also accepts the unchanged text (a repeated request at the same place).
    """
    grown = len(new_text) - len(old_text)
    if grown == 0:
        return same and new_text == old_text
    return (
        grown > 0
        and new_text[:old_offset] == old_text[:old_offset]
        and new_text[old_offset + grown :] == old_text[old_offset:]
    )
