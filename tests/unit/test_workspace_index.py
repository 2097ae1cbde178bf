"""WorkspaceIndex on real files: background loads, open documents, ignore rules, bounds."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.workspace import WorkspaceIndex


class Recorder:
    """An analyze function that records its calls (from the worker thread)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, path: str, text: str) -> str:
        with self.lock:
            self.calls.append((path, text))
        return f"facts:{text}"

    def paths(self) -> set[str]:
        with self.lock:
            return {path for path, _ in self.calls}


class Warnings(list[tuple[str, str]]):
    def __call__(self, level: str, message: str) -> None:
        self.append((level, message))


@pytest.fixture
def analyze() -> Recorder:
    return Recorder()


@pytest.fixture
def warnings() -> Warnings:
    return Warnings()


MakeIndex = Callable[..., WorkspaceIndex[str]]


@pytest.fixture
def make_index(tmp_path: Path, analyze: Recorder, warnings: Warnings) -> Iterator[MakeIndex]:
    """A factory of indexes rooted at ``tmp_path`` (keyword arguments: the limits)."""
    created: list[WorkspaceIndex[str]] = []

    def make(**limits: float) -> WorkspaceIndex[str]:
        index: WorkspaceIndex[str] = WorkspaceIndex(analyze, notify=warnings, **limits)  # type: ignore[arg-type]
        index.set_roots([str(tmp_path)])
        created.append(index)
        return index

    yield make
    for index in created:
        index.close()


@pytest.fixture
def index(make_index: MakeIndex) -> WorkspaceIndex[str]:
    return make_index()


def write(path: Path, text: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


async def test_peek_schedules_then_returns_the_facts(
    tmp_path: Path, index: WorkspaceIndex[str], analyze: Recorder
) -> None:
    path = write(tmp_path / "a.py", "x = 1\n")
    assert index.peek(path) is None
    assert await index.load(path) == "facts:x = 1\n"
    assert index.peek(path) == "facts:x = 1\n"
    assert analyze.calls == [(path, "x = 1\n")]  # de-duplicated, analysed once
    assert index.text(path) == "x = 1\n"
    assert index.stats()["filesCached"] == 1


async def test_open_document_text_overrides_the_disk(
    tmp_path: Path, index: WorkspaceIndex[str], analyze: Recorder
) -> None:
    path = write(tmp_path / "a.py", "disk\n")
    index.note_open(path, "buffer\n")
    assert await index.load(path) == "facts:buffer\n"
    assert index.peek(path) == "facts:buffer\n"
    assert index.text(path) == "buffer\n"
    assert all(text != "disk\n" for _, text in analyze.calls)
    index.note_close(path)
    assert await index.load(path) == "facts:disk\n"


async def test_open_document_facts_follow_changes_and_are_cached_per_text(
    tmp_path: Path, index: WorkspaceIndex[str], analyze: Recorder
) -> None:
    path = str(tmp_path / "unsaved.py")  # not on disk at all
    index.note_open(path, "v1")
    assert await index.load(path) == "facts:v1"
    index.note_change(path, "v2")
    assert index.peek(path) is None  # not analysed yet: never stale facts of another text
    assert await index.load(path) == "facts:v2"
    index.note_change(path, "v1")
    index.note_change(path, "v2")  # same text as analysed: no new analysis
    assert await index.load(path) == "facts:v2"
    assert [text for _, text in analyze.calls] == ["v1", "v2"]


async def test_ignored_and_secret_files_are_never_analysed(
    tmp_path: Path, index: WorkspaceIndex[str], analyze: Recorder
) -> None:
    write(tmp_path / ".gitignore", "ignored.py\nbuild/\n")
    never = [
        write(tmp_path / "ignored.py", "a = 1\n"),
        write(tmp_path / "build" / "out.py", "b = 1\n"),
        write(tmp_path / ".env", "API_KEY=sk-123\n"),
        write(tmp_path / "id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        write(tmp_path / ".aws" / "credentials", "[default]\n"),
        write(tmp_path / "config" / "secrets.yaml", "token: 1\n"),
    ]
    for path in never:
        index.note_open(path, "text from the editor")
        index.note_change(path, "more text from the editor")
        assert index.is_ignored(path)
        assert index.peek(path) is None
        assert index.text(path) is None
        assert index.exists(path) is False
        assert await index.load(path) is None
    kept = write(tmp_path / "kept.py", "c = 1\n")
    assert await index.load(kept) == "facts:c = 1\n"  # the worker is FIFO: all done by now
    assert index.recent() == []
    assert analyze.paths() == {kept}
    assert index.is_secret(never[2])


async def test_cache_bytes_are_bounded_with_lru_eviction(
    tmp_path: Path, make_index: MakeIndex
) -> None:
    index = make_index(max_cache_bytes=250, revalidate_after_s=3600)
    a, b, c = (write(tmp_path / f"{name}.py", name * 100) for name in "abc")
    await index.load(a)
    await index.load(b)
    assert index.peek(a) == "facts:" + "a" * 100  # touch a: b is now least recently used
    await index.load(c)
    stats = index.stats()
    assert stats["cachedBytes"] == 200
    assert stats["filesCached"] == 2
    assert index.peek(a) is not None
    assert index.peek(c) is not None
    assert index.peek(b) is None  # evicted (and scheduled again)


async def test_big_files_are_skipped(
    tmp_path: Path, make_index: MakeIndex, analyze: Recorder
) -> None:
    index = make_index(max_file_bytes=100)
    big = write(tmp_path / "big.py", "x" * 101)
    small = write(tmp_path / "small.py", "x" * 100)
    assert await index.load(big) is None
    assert index.exists(big) is True
    assert index.text(big) is None
    assert await index.load(small) == "facts:" + "x" * 100
    unsaved = str(tmp_path / "huge_buffer.py")
    index.note_open(unsaved, "é" * 60)  # 120 bytes in UTF-8
    assert await index.load(unsaved) is None
    assert analyze.paths() == {small}


async def test_binary_and_non_utf8_files_are_skipped(
    tmp_path: Path, index: WorkspaceIndex[str], analyze: Recorder
) -> None:
    binary = write(tmp_path / "data.bin", b"\x00\x01\x02abc")
    latin1 = write(tmp_path / "old.py", "café = 1\n".encode("latin-1"))
    assert await index.load(binary) is None
    assert await index.load(latin1) is None
    assert analyze.calls == []


async def test_changed_mtime_or_size_recomputes_the_facts(
    tmp_path: Path, index: WorkspaceIndex[str]
) -> None:
    path = write(tmp_path / "a.py", "one\n")
    assert await index.load(path) == "facts:one\n"
    write(tmp_path / "a.py", "three\n")
    assert await index.load(path) == "facts:three\n"


async def test_file_changed_invalidates_the_cached_entry(
    tmp_path: Path, index: WorkspaceIndex[str]
) -> None:
    path = write(tmp_path / "a.py", "old\n")
    assert await index.load(path) == "facts:old\n"
    before = os.stat(path)
    write(tmp_path / "a.py", "new\n")  # same size, and the same mtime restored below
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert await index.load(path) == "facts:old\n"  # indistinguishable by stat
    index.file_changed(path, "changed")
    assert await index.load(path) == "facts:new\n"
    os.remove(path)
    index.file_changed(path, "deleted")
    assert await index.load(path) is None
    assert index.exists(path) is False


async def test_deleting_a_directory_drops_everything_under_it(
    tmp_path: Path, index: WorkspaceIndex[str]
) -> None:
    path = write(tmp_path / "pkg" / "mod.py", "m\n")
    await index.load(path)
    index.file_changed(str(tmp_path / "pkg"), "deleted")
    assert index.stats()["filesCached"] == 0


async def test_exists_goes_through_the_cache(tmp_path: Path, index: WorkspaceIndex[str]) -> None:
    present = write(tmp_path / "here.py", "h\n")
    missing = str(tmp_path / "missing.py")
    assert index.exists(present) is None  # not known yet: scheduled
    assert index.exists(missing) is None
    await index.load(present)
    await index.load(missing)
    assert index.exists(present) is True
    assert index.exists(missing) is False
    assert index.exists(str(tmp_path)) is None
    await index.load(str(tmp_path))
    assert index.exists(str(tmp_path)) is True  # directories exist too (no facts)


async def test_ignore_file_changes_apply_without_restart(
    tmp_path: Path, index: WorkspaceIndex[str], warnings: Warnings
) -> None:
    path = write(tmp_path / "sub" / "a.py", "a\n")
    assert await index.load(path) == "facts:a\n"
    gitignore = write(tmp_path / "sub" / ".gitignore", "a.py\n")
    index.file_changed(gitignore, "created")
    assert index.is_ignored(path)
    assert index.peek(path) is None
    assert await index.load(path) is None
    groveignore = write(tmp_path / ".groveignore", "!sub/\n")  # cannot re-include: deeper wins
    index.file_changed(groveignore, "created")
    assert index.is_ignored(path)
    os.remove(gitignore)
    index.file_changed(gitignore, "deleted")
    assert not index.is_ignored(path)
    assert await index.load(path) == "facts:a\n"
    assert warnings == []


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("ok.txt\n[z-a]\n", id="malformed"),
        pytest.param(b"\xff\xfe bad\n", id="not-utf8"),
        pytest.param(None, id="a-directory"),
    ],
)
async def test_broken_ignore_file_fails_closed_with_one_warning(
    tmp_path: Path,
    index: WorkspaceIndex[str],
    analyze: Recorder,
    warnings: Warnings,
    content: str | bytes | None,
) -> None:
    top = write(tmp_path / "top.py", "t\n")
    inner = write(tmp_path / "pkg" / "inner.py", "i\n")
    gitignore = tmp_path / "pkg" / ".gitignore"
    if content is None:
        gitignore.mkdir()  # unreadable as a file
    else:
        write(gitignore, content)
    for _ in range(3):
        assert index.is_ignored(inner)
        assert index.peek(inner) is None
        assert await index.load(inner) is None
        assert index.is_ignored(top)  # the whole root fails closed once the file is found
        assert index.peek(top) is None
    assert analyze.calls == []
    assert len(warnings) == 1
    level, message = warnings[0]
    assert level == "warning"
    assert ".gitignore" in message
    assert str(tmp_path) in message
    assert index.stats()["failingClosed"] is True
    # Fixing the file applies at once.
    if content is None:
        gitignore.rmdir()
    write(gitignore, "other.py\n")
    index.file_changed(str(gitignore), "changed")
    assert not index.is_ignored(inner)
    assert await index.load(top) == "facts:t\n"
    assert len(warnings) == 1


async def test_ignore_files_inside_ignored_directories_are_not_read(
    tmp_path: Path, index: WorkspaceIndex[str], warnings: Warnings
) -> None:
    write(tmp_path / ".gitignore", "vendor/\n")
    write(tmp_path / "vendor" / ".gitignore", "[z-a]\n")  # would fail closed if it were read
    write(tmp_path / "node_modules" / "lib" / ".gitignore", "[z-a]\n")
    vendored = write(tmp_path / "vendor" / "lib.py", "v\n")
    module = write(tmp_path / "node_modules" / "lib" / "index.js", "n\n")
    kept = write(tmp_path / "main.py", "m\n")
    assert index.is_ignored(vendored)
    assert not index.is_ignored(module)
    assert await index.load(kept) == "facts:m\n"
    assert warnings == []


async def test_excludes_apply_and_malformed_excludes_fail_closed(
    tmp_path: Path, index: WorkspaceIndex[str], warnings: Warnings
) -> None:
    generated = write(tmp_path / "gen" / "api.gen.py", "g\n")
    plain = write(tmp_path / "plain.py", "p\n")
    outside = str(tmp_path.parent / "elsewhere.gen.py")
    index.set_excludes(["*.gen.py"])
    assert index.is_ignored(generated)
    assert index.is_ignored(outside)
    assert not index.is_ignored(plain)
    index.set_excludes(["[z-a]"])
    assert index.is_ignored(plain)
    index.set_excludes(["[z-a]"])
    assert len(warnings) == 1
    assert "grove.context.exclude" in warnings[0][1]
    index.set_excludes([])
    assert not index.is_ignored(generated)
    assert await index.load(plain) == "facts:p\n"


async def test_paths_outside_the_roots_see_only_secrets_and_excludes(
    tmp_path: Path, make_index: MakeIndex
) -> None:
    root, other = tmp_path / "root", tmp_path / "other"
    write(root / ".gitignore", "*.py\n")
    index = make_index()
    index.set_roots([str(root)])
    assert index.roots == [str(root)]
    outside = write(other / "tool.py", "o\n")
    assert not index.is_ignored(outside)
    assert index.is_ignored(str(other / ".env"))
    assert index.is_ignored(write(root / "inside.py", "i\n"))
    assert await index.load(outside) == "facts:o\n"


async def test_recent_is_most_recent_first_and_bounded(
    tmp_path: Path, make_index: MakeIndex
) -> None:
    index = make_index(max_recent=3)
    a, b, c, d = (str(tmp_path / f"{name}.py") for name in "abcd")
    for path in (a, b, c, d):
        index.note_open(path, path)
    index.note_close(a)
    index.note_change(b, b + "!")
    for path in (b, c, d):
        await index.load(path)
    assert [p for p, _ in index.recent()] == [b, d, c]  # a fell off the bounded list
    assert index.recent(limit=2) == [(b, "facts:" + b + "!"), (d, "facts:" + d)]
    index.note_change(c, "edited")
    assert [p for p, _ in index.recent()] == [b, d]  # c is not ready: skipped, scheduled
    await index.load(c)
    assert [p for p, _ in index.recent()] == [c, b, d]
    index.note_close(c)
    write(Path(c), "saved\n")
    await index.load(c)
    assert index.recent()[0] == (c, "facts:saved\n")  # closed: its disk facts


async def test_an_analyze_error_is_contained(tmp_path: Path) -> None:
    def broken(path: str, text: str) -> str:
        raise RuntimeError("boom")

    index: WorkspaceIndex[str] = WorkspaceIndex(broken)
    try:
        path = write(tmp_path / "a.py", "a\n")
        assert await index.load(path) is None
        assert index.peek(path) is None
    finally:
        index.close()


async def test_set_analyzer_drops_cached_facts(tmp_path: Path, index: WorkspaceIndex[str]) -> None:
    path = write(tmp_path / "a.py", "a\n")
    assert await index.load(path) == "facts:a\n"
    index.set_analyzer(lambda p, text: "new:" + text)
    assert index.peek(path) is None
    assert await index.load(path) == "new:a\n"


async def test_close_stops_scheduling(tmp_path: Path, index: WorkspaceIndex[str]) -> None:
    path = write(tmp_path / "a.py", "a\n")
    index.close()
    assert index.peek(path) is None
    assert await index.load(path) is None
    assert index.stats()["pendingLoads"] == 0
