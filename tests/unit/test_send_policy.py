"""The send policy on real files, and every pipeline asking it before it builds a request.

The entry points (LSP and CLI) are covered end to end in
``tests/e2e/test_privacy_entry_points.py``; here each pipeline is called directly, as a new
entry point would call it, to show that the refusal does not depend on the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.completion import CompletionEngine
from server.context_sources import FileFacts, analyze_file
from server.docstrings import DocstringError, generate_docstring
from server.explain import ExplainError, ExplainRequest, ExplanationStore, explain
from server.refusal import MAX_ANALYSED_CHARS, Refused, SendPolicy
from server.review import Reviewer
from server.settings import Settings, resolve_settings
from server.workspace import WorkspaceIndex
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

CODE = "def area(width, height):\n    return width * height\n\n\nresult = area(2, 3)\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, SendPolicy]]:
    """A project with ignore files, and a policy rooted there."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n", "utf-8")
    (tmp_path / ".groveignore").write_text("private.py\n", "utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / ".groveignore").write_bytes(b"\xff\xfe not utf-8\n")
    index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file)
    index.set_roots([str(tmp_path), str(tmp_path / "broken")])
    index.set_excludes(["secret_stuff/**"])
    try:
        yield tmp_path, SendPolicy(index)
    finally:
        index.close()


REASONS = {
    ".env": ("API_TOKEN=abc\n", "secret file"),
    "id_rsa": ("-----BEGIN OPENSSH PRIVATE KEY-----\n", "secret file"),
    "build/gen.py": (CODE, "excluded by"),
    "private.py": (CODE, "excluded by"),
    "secret_stuff/mod.py": (CODE, "excluded by"),
    "broken/mod.py": (CODE, "ignore rule cannot be read"),
    "blob.py": ("x = 1\x00\x01\x02\n" * 10, "binary"),
    "huge.py": ("x = 1\n" * (MAX_ANALYSED_CHARS // 6 + 1), "too large"),
}


@pytest.mark.parametrize("name", list(REASONS))
def test_each_reason_is_refused_with_one_sentence(
    workspace: tuple[Path, SendPolicy], name: str
) -> None:
    root, policy = workspace
    text, expected = REASONS[name]
    why = policy.refusal(text, str(root / name))
    assert why is not None
    assert why.startswith(f"Grove does not send {Path(name).name} to a model")
    assert expected in why
    with pytest.raises(Refused, match="Grove does not send"):
        policy.check(text, str(root / name))


def test_an_ordinary_file_may_be_sent(workspace: tuple[Path, SendPolicy]) -> None:
    root, policy = workspace
    assert policy.refusal(CODE, str(root / "app.py")) is None
    policy.check(CODE, str(root / "app.py"))


def test_outside_a_workspace_the_built_in_rules_still_hold() -> None:
    policy = SendPolicy.outside_workspace()
    assert policy.refusal("A=1\n", "/somewhere/.env") is not None
    assert policy.refusal("x\x00", None) is not None
    assert policy.refusal(CODE, "/somewhere/app.py") is None


def _settings(base_url: str) -> Settings:
    return resolve_settings(
        {"endpoint": {"baseUrl": base_url}, "model": "m", "completion": {"mode": "chat"}}
    )


@pytest.mark.parametrize("name", ["private.py", ".env", "broken/mod.py"])
async def test_every_pipeline_refuses_before_any_request(
    workspace: tuple[Path, SendPolicy], scripted_openai: ScriptedOpenAI, name: str
) -> None:
    root, policy = workspace
    scripted_openai.script(replies.text("```python\nx\n```"))
    settings = _settings(scripted_openai.base_url)
    backend = ModelBackend(settings, lambda level, text: None, env={})
    path = str(root / name)
    source = SourceDocument(CODE, language_for(None, "x.py"))
    inside = CODE.index("return")
    try:
        with pytest.raises(Refused):
            await CompletionEngine(backend, policy).suggest(path, source, inside, path, settings)
        with pytest.raises(DocstringError, match="Grove does not send"):
            await generate_docstring(backend, policy, source, inside, path)
        request = ExplainRequest(source, inside, inside, path=path)
        with pytest.raises(ExplainError, match="Grove does not send"):
            await explain(backend, settings, request, ExplanationStore(), policy)
        report = await Reviewer(backend, lambda: settings, policy).review(path, source, path)
    finally:
        await backend.aclose()
    assert report.skipped is not None and report.skipped.startswith("Grove does not send")
    assert scripted_openai.requests == []


async def test_the_same_pipelines_do_send_an_ordinary_file(
    workspace: tuple[Path, SendPolicy], scripted_openai: ScriptedOpenAI
) -> None:
    """The control: the refusals above come from the policy, not from a broken pipeline."""
    root, policy = workspace
    scripted_openai.script(replies.text("```python\nx\n```"))
    settings = _settings(scripted_openai.base_url)
    backend = ModelBackend(settings, lambda level, text: None, env={})
    path = str(root / "app.py")
    text = CODE + "total = "
    source = SourceDocument(text, language_for(None, "x.py"))
    try:
        await CompletionEngine(backend, policy).suggest(path, source, len(text), path, settings)
    finally:
        await backend.aclose()
    assert len(scripted_openai.completion_requests) == 1


def test_a_link_to_a_secret_file_is_refused(workspace: tuple[Path, SendPolicy]) -> None:
    root, policy = workspace
    (root / ".env").write_text("API_TOKEN=abc\n", "utf-8")
    (root / "settings.py").symlink_to(root / ".env")
    why = policy.refusal("API_TOKEN=abc\n", str(root / "settings.py"))
    assert why is not None and "secret file" in why


def test_a_root_opened_through_a_link_keeps_its_ignore_files(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / ".groveignore").write_text("private.py\n", "utf-8")
    (tmp_path / "link").symlink_to(real)
    for root, document in ((tmp_path / "link", real), (real, tmp_path / "link")):
        index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file)
        index.set_roots([str(root)])
        try:
            why = SendPolicy(index).refusal(CODE, str(document / "private.py"))
        finally:
            index.close()
        assert why is not None and "excluded by" in why, (root, document)
