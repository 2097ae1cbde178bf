"""The task builder of grove bench and the harness (masking by syntax); the harness sources."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from analyzers.bench.tasks import (
    KINDS,
    MAX_TOKENS,
    MIN_TOKENS,
    SourceFile,
    Target,
    build_tasks,
    find_targets,
    masked_text,
    split_of,
    tasks_for_file,
)
from analyzers.context import estimate_tokens
from benchmarks.quality.sources import collect_sources

PYTHON = '''import os


def resolve(path, base=None):
    """Return the absolute form of path (see os.path.join(base, name))."""
    # resolve(relative, against_base) when needed
    if base is not None and not os.path.isabs(path):
        path = os.path.join(base, path)
    while path.endswith(os.sep):
        path = path[:-1]
    normalized = os.path.normpath(path)
    return normalized.replace("\\\\", "/")
'''

LUA = """local M = {}

function M.clamp(value, low, high)
  -- if value < high then call(value, low, high)
  if value < low and low ~= nil then
    return low
  elseif value > high then
    return high
  end
  local result = math.floor(value + 0.5)
  return result
end

return M
"""

JAVASCRIPT = """function clamp(value, low, high) {
  // Math.round(value * scale) is not a target here
  if (value < low && low !== null) {
    return low;
  }
  const result = Math.round(value * scale);
  return Math.min(result, high);
}
"""

TYPESCRIPT = """export function pad(text: string, width: number): string {
  /* pad(text, width) on the left */
  while (text.length < width) {
    text = " " + text;
  }
  const padded: string = text.padStart(width, filler);
  return padded.slice(0, width);
}
"""

SNIPPETS = {
    "python": PYTHON,
    "lua": LUA,
    "javascript": JAVASCRIPT,
    "typescript": TYPESCRIPT,
}

EXPECTED = {
    "python": {
        "line": "path = path[:-1]",
        "condition": "base is not None and not os.path.isabs(path)",
        "arguments": "base, path",
        "body": 'normalized = os.path.normpath(path)\n    return normalized.replace("\\\\", "/")',
    },
    "lua": {
        "line": "local result = math.floor(value + 0.5)",
        "condition": "value > high",
        "arguments": "value + 0.5",
        "body": "local result = math.floor(value + 0.5)\n  return result",
    },
    "javascript": {
        "line": "return Math.min(result, high);",
        "condition": "value < low && low !== null",
        "arguments": "result, high",
        "body": "const result = Math.round(value * scale);\n  return Math.min(result, high);",
    },
    "typescript": {
        "line": 'text = " " + text;',
        "condition": "text.length < width",
        "arguments": "width, filler",
        "body": (
            "const padded: string = text.padStart(width, filler);\n  return padded.slice(0, width);"
        ),
    },
}


def _file(language: str, text: str, relpath: str | None = None) -> SourceFile:
    ext = {"python": "py", "lua": "lua", "javascript": "js", "typescript": "ts"}[language]
    relpath = relpath or f"pkg/sample.{ext}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    return SourceFile(language, f"/src/{relpath}", relpath, text, digest)


def _comment_lines(text: str) -> list[str]:
    markers = ("#", "--", "//", "/*", '"""')
    return [line.strip() for line in text.splitlines() if line.strip().startswith(markers)]


@pytest.mark.parametrize("language", sorted(SNIPPETS))
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_finds_the_expected_target(language: str, kind: str) -> None:
    text = SNIPPETS[language]
    expected = EXPECTED[language][kind]
    offset = text.index(expected)
    targets = find_targets(text, language)
    assert Target(kind, offset, expected) in targets
    assert all(t.kind in KINDS for t in targets)


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_comments_and_docstrings_are_never_targeted(language: str) -> None:
    text = SNIPPETS[language]
    comments = _comment_lines(text)
    assert comments
    spans = [(text.index(c), text.index(c) + len(c)) for c in comments]
    for target in find_targets(text, language):
        assert not any(start < target.end and target.offset < end for start, end in spans)


def test_a_statement_with_a_trailing_comment_is_no_line_target() -> None:
    text = "def f(a, b):\n    total = compute(a, b)  # sum\n    return total\n"
    targets = find_targets(text, "python")
    assert not any(t.kind == "line" and t.text.startswith("total =") for t in targets)
    assert Target("arguments", text.index("a, b)  #"), "a, b") not in targets  # 2 tokens
    assert Target("line", text.index("return total"), "return total") in targets


def test_line_targets_are_single_lines_inside_functions() -> None:
    text = (
        "top_level = compute(alpha, beta)\n"
        "\n"
        "def f(alpha, beta):\n"
        "    value = compute(\n"
        "        alpha, beta)\n"
        "    return value + alpha\n"
    )
    lines = [t.text for t in find_targets(text, "python") if t.kind == "line"]
    assert lines == ["return value + alpha"]


def test_text_that_occurs_elsewhere_in_the_file_is_dropped() -> None:
    text = (
        "def first(total, step):\n"
        "    total = total + step\n"
        "    return total\n"
        "\n"
        "def second(total, step):\n"
        "    total = total + step\n"
        "    return total * 2\n"
    )
    texts = [t.text for t in find_targets(text, "python")]
    assert "total = total + step" not in texts
    assert "return total * 2" in texts


def test_targets_respect_the_token_bounds() -> None:
    long_call = "compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")"
    text = f"def f(a):\n    x = 1\n    y = {long_call}\n    return a + x + y\n"
    targets = find_targets(text, "python")
    assert targets
    for target in targets:
        assert MIN_TOKENS <= estimate_tokens(target.text) <= MAX_TOKENS
    texts = [t.text for t in targets]
    assert "x = 1" not in texts  # 2 tokens
    assert f"y = {long_call}" not in texts  # over 30 tokens


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_masked_text_round_trips(language: str) -> None:
    file = _file(language, SNIPPETS[language])
    tasks = [
        task
        for kind in KINDS
        for task in tasks_for_file(file, per_file=100, per_kind=100, kinds=[kind])
    ]
    assert {t.kind for t in tasks} == set(KINDS)
    for task in tasks:
        masked = masked_text(task, file.text)
        assert masked[: task.offset] + task.target + masked[task.offset :] == file.text
        assert task.id == f"{file.relpath}:{task.kind}:{task.offset}"
        assert task.file_sha256 == file.sha256 and task.path == file.path


def test_masked_text_refuses_a_changed_file() -> None:
    file = _file("python", PYTHON)
    task = tasks_for_file(file)[0]
    with pytest.raises(ValueError):
        masked_text(task, "x" + file.text)


def test_split_is_decided_by_the_file_hash() -> None:
    assert split_of("0000000f" + "0" * 56) == "test"
    assert split_of("00000010" + "f" * 56) == "dev"
    files = [_file(language, text) for language, text in SNIPPETS.items()]
    tasks = build_tasks(files)
    assert tasks
    for task in tasks:
        assert task.split == split_of(task.file_sha256)
    for split in ("dev", "test"):
        assert all(t.split == split for t in build_tasks(files, split=split))


def test_build_tasks_is_deterministic() -> None:
    files = [_file(language, text) for language, text in SNIPPETS.items()]
    first = build_tasks(files, seed=7, per_file=3)
    assert first == build_tasks(list(reversed(files)), seed=7, per_file=3)
    seeds = {tuple(t.id for t in build_tasks(files, seed=s, per_file=3)) for s in range(6)}
    assert len(seeds) > 1


def test_per_file_and_per_kind_caps() -> None:
    file = _file("python", PYTHON)
    tasks = tasks_for_file(file, per_file=4)
    assert len(tasks) == 4
    assert Counter(t.kind for t in tasks) == Counter(KINDS)
    assert len(tasks_for_file(file, per_file=2)) == 2
    only_lines = tasks_for_file(file, per_file=4, kinds=["line"], per_kind=2)
    assert [t.kind for t in only_lines] == ["line", "line"]
    for i, task in enumerate(tasks):
        for other in tasks[i + 1 :]:
            assert task.end <= other.offset  # sorted and not overlapping


def test_limit_interleaves_languages_and_kinds() -> None:
    files = [_file(language, text) for language, text in SNIPPETS.items()]
    tasks = build_tasks(files, per_file=4, limit=8)
    assert len(tasks) == 8
    assert Counter(t.language for t in tasks) == Counter({language: 2 for language in SNIPPETS})
    assert {t.kind for t in tasks[:4]} == {tasks[0].kind}
    assert len({t.kind for t in tasks}) == 2


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError):
        find_targets("x", "cobol")


def test_stdlib_sources_yield_tasks_of_every_kind() -> None:
    names = {"textwrap.py", "shlex.py", "json/decoder.py", "fnmatch.py", "heapq.py"}
    collected = collect_sources(["python"], select=names.__contains__)
    files = collected.files["python"]
    assert {f.relpath for f in files} == names
    assert "python" not in collected.missing
    for file in files:
        with open(file.path, "rb") as handle:
            assert file.sha256 == hashlib.sha256(handle.read()).hexdigest()
    assert collected.provenance["python"]["files"] == 5  # type: ignore[index]
    tasks = build_tasks(files)
    assert {t.kind for t in tasks} == set(KINDS)
    assert {t.language for t in tasks} == {"python"}


def test_a_small_per_file_quota_does_not_favour_a_kind() -> None:
    text = PYTHON + "\n\n" + PYTHON.replace("resolve", "resolve_again").replace("path", "p")
    file = _file("python", text)
    kinds = Counter(
        t.kind for seed in range(24) for t in tasks_for_file(file, seed=seed, per_file=1)
    )
    assert set(kinds) == set(KINDS)
