"""grove bench's task files: Grove's rules decide, and a refused file is never sent.

Collection is checked on a small repository holding every kind of file Grove must not send
(ignored, secret, excluded, binary, huge, minified, a virtualenv); then tasks run against the
scripted endpoint, which must never see those files' content -- not even when a task cut from a
refused file is handed to the runner directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzers.bench.scoring import MaskedTask
from analyzers.bench.tasks import SourceFile, build_tasks, tasks_for_file
from server.backend import ModelBackend
from server.bench.files import (
    SKIPPED_BY_RULE,
    SKIPPED_CONTENT,
    SKIPPED_DIRECTORY,
    SKIPPED_NOT_CODE,
    collect_files,
)
from server.bench.runner import run_task, run_variant
from server.cli_workspace import CliWorkspace, open_workspace
from server.completion import CompletionEngine
from server.settings import resolve_settings
from server.workspace_rules import project_root
from tests.support import scripted_openai as replies
from tests.support.bench_repo import EXCLUDE, GOOD_FILES, MARKERS, make_repo
from tests.support.scripted_openai import ScriptedOpenAI


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    make_repo(root)
    return root


@pytest.fixture
def workspace(repo: Path) -> Iterator[CliWorkspace]:
    opened = open_workspace(str(repo), [EXCLUDE], None)
    try:
        yield opened
    finally:
        opened.close()


def test_only_files_the_rules_allow_are_collected(repo: Path, workspace: CliWorkspace) -> None:
    collection = collect_files(str(repo), workspace.policy)
    assert [f.relpath for f in collection.files] == sorted(GOOD_FILES)
    assert {f.language for f in collection.files} == {"python", "javascript"}
    for file in collection.files:
        assert not any(marker in file.text for marker in MARKERS.values())
    # ignored.py, .env, secrets.py, credentials.js (vendor/lib.py: its directory is excluded
    # or the file itself is, depending on the glob; build/ is a directory).
    assert collection.skipped[SKIPPED_BY_RULE] + collection.skipped[SKIPPED_DIRECTORY] >= 6
    assert collection.skipped[SKIPPED_DIRECTORY] >= 1  # build/ is not entered
    assert collection.skipped[SKIPPED_CONTENT] == 3  # blob.py, huge.py, minified.js
    assert collection.skipped[SKIPPED_NOT_CODE] == 2  # .git, .venv
    summary = collection.summary()
    assert summary.startswith("4 files used (2 javascript, 2 python); ")
    assert "skipped by Grove's rules" in summary


def test_a_refused_path_is_never_opened(
    repo: Path, workspace: CliWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = open

    def spy(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", spy)
    collect_files(str(repo), workspace.policy)
    for relative in ("ignored.py", ".env", "secrets.py", "credentials.js", "vendor/lib.py"):
        assert str(repo / relative) not in opened
    assert not any("/build/" in path or "/.venv/" in path for path in opened)


def test_without_the_exclude_glob_the_excluded_file_is_collected(repo: Path) -> None:
    opened = open_workspace(str(repo), [], None)
    try:
        collection = collect_files(str(repo), opened.policy)
    finally:
        opened.close()
    assert "vendor/lib.py" in [f.relpath for f in collection.files]


def test_a_broken_ignore_file_sends_nothing(repo: Path) -> None:
    (repo / ".gitignore").write_bytes(b"\xff\xfe not utf-8\n")
    messages: list[str] = []
    opened = open_workspace(str(repo), [], lambda level, message: messages.append(message))
    try:
        collection = collect_files(str(repo), opened.policy)
    finally:
        opened.close()
    assert collection.files == []
    assert any("No file under" in message for message in messages)


def test_a_subdirectory_keeps_the_project_rules(repo: Path) -> None:
    (repo / "app" / ".gitignore").write_text("text_tools.py\n", "utf-8")
    opened = open_workspace(str(repo / "app"), [], None)
    try:
        assert opened.root == str(repo)  # the project root (it has .git), not app/
        collection = collect_files(str(repo / "app"), opened.policy, languages=["python"])
    finally:
        opened.close()
    assert [f.relpath for f in collection.files] == ["geometry.py"]
    assert collection.skipped[SKIPPED_BY_RULE] == 1


def test_sampling_is_seeded(repo: Path, workspace: CliWorkspace) -> None:
    first = collect_files(str(repo), workspace.policy, max_files=2, seed=1)
    again = collect_files(str(repo), workspace.policy, max_files=2, seed=1)
    assert [f.relpath for f in first.files] == [f.relpath for f in again.files]
    assert len(first.files) == 2 and first.sampled
    assert "a sample of the 7 files in these languages" in first.summary()  # (3 unusable)


def _settings(base_url: str) -> dict[str, object]:
    return {
        "endpoint": {"baseUrl": base_url},
        "model": "m",
        "completion": {"mode": "prefix"},
        "context": {"exclude": [EXCLUDE]},
    }


def _sent(server: ScriptedOpenAI) -> str:
    return json.dumps([request.body for request in server.requests])


async def test_the_endpoint_sees_only_allowed_files(
    repo: Path, workspace: CliWorkspace, scripted_openai: ScriptedOpenAI
) -> None:
    scripted_openai.default = replies.text("value = 1\n")
    collection = collect_files(str(repo), workspace.policy)
    files = {f.path: f for f in collection.files}
    tasks = [MaskedTask.of(t, files[t.path]) for t in build_tasks(files.values(), limit=8)]
    settings = resolve_settings(_settings(scripted_openai.base_url))
    run = await run_variant("current", settings, tasks, str(repo), lambda level, message: None)
    assert len(run.outcomes) == len(tasks) == 8
    assert scripted_openai.requests, "the tasks were sent"
    sent = _sent(scripted_openai)
    assert [marker for marker in MARKERS.values() if marker in sent] == []
    # geometry.py imports from ignored.py and secrets.py: their definitions never come along.
    assert "def scale_factor" not in sent and "def token_hint" not in sent


async def test_a_task_from_a_refused_file_is_not_sent(
    repo: Path, workspace: CliWorkspace, scripted_openai: ScriptedOpenAI
) -> None:
    path = repo / "secrets.py"
    data = path.read_bytes()
    secret = SourceFile.from_bytes("python", str(path), "secrets.py", data)
    (task, *_) = tasks_for_file(secret, per_file=1)
    settings = resolve_settings(_settings(scripted_openai.base_url))
    backend = ModelBackend(settings, lambda level, message: None)
    engine = CompletionEngine(backend, workspace.policy)
    try:
        outcome = await run_task(engine, settings, MaskedTask.of(task, secret))
    finally:
        await backend.aclose()
    assert outcome.error is not None and "secret file" in outcome.error
    assert outcome.empty and not outcome.asked
    assert scripted_openai.requests == []


def test_directory_patterns_match_directories_only(repo: Path, workspace: CliWorkspace) -> None:
    index = workspace.index
    assert index.is_ignored(str(repo / "build"), is_dir=True)  # ".gitignore: build/"
    assert not index.is_ignored(str(repo / "build"))  # a file named build is not
    assert index.is_ignored(str(repo / "build" / "generated.py"))


def test_project_root_of_a_path_without_markers(tmp_path: Path) -> None:
    (tmp_path / "loose" / "deep").mkdir(parents=True)
    (tmp_path / "loose" / "deep" / "a.py").write_text("x = 1\n", "utf-8")
    if project_root(str(tmp_path)) == str(tmp_path):  # (no marker above tmp_path)
        assert project_root(str(tmp_path / "loose" / "deep")) == str(tmp_path / "loose" / "deep")
        assert project_root(str(tmp_path / "loose" / "deep" / "a.py")) == str(
            tmp_path / "loose" / "deep"
        )
    (tmp_path / "loose" / "pyproject.toml").write_text("", "utf-8")
    assert project_root(str(tmp_path / "loose" / "deep" / "a.py")) == str(tmp_path / "loose")
