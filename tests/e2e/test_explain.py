"""Explanations end to end: actions, prompts, streaming, sanitising, caching, fixes, refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.harness import (
    FIXTURES,
    endpoint_options,
    grove_client,
    open_document,
    read_code_actions_properly,
)
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

SOURCE = (
    "import math\n"
    "\n"
    "\n"
    "def clamp(value, low, high):\n"
    "    return max(low, min(value, high))\n"
    "\n"
    "\n"
    "class Circle:\n"
    "    def area(self, radius, scale=1.0):\n"
    "        radius = clamp(radius, 0, 100)\n"
    "        total = math.pi * radius**2 * scale\n"
    "        return totl\n"
)
URI = (FIXTURES / "example" / "circle_explain.py").as_uri()
IN_AREA = types.Position(line=10, character=12)
ANSWER = (
    "`area` computes the scaled area of a circle.\n\n"
    "It clamps `radius` to 0..100 with `clamp`, then multiplies pi r² by `scale`."
)
TYPO = types.Diagnostic(
    range=types.Range(
        start=types.Position(line=11, character=15), end=types.Position(line=11, character=19)
    ),
    message='"totl" is not defined',
    severity=types.DiagnosticSeverity.Error,
    code="F821",
    source="pyflakes",
)
FIX_ANSWER = (
    "The name `totl` is a typo for `total`.\n\n"
    "**Likely cause**: a misspelt variable.\n\n"
    "**Suggested fix**: return `total`.\n\n"
    "```fix\n"
    "class Circle:\n"
    "    def area(self, radius, scale=1.0):\n"
    "        radius = clamp(radius, 0, 100)\n"
    "        total = math.pi * radius**2 * scale\n"
    "        return total\n"
    "```\n"
)


def _options(base_url: str, **explain: Any) -> dict[str, Any]:
    options = endpoint_options(base_url, mode="chat")
    if explain:
        options["explain"] = explain
    return options


async def _actions(
    lsp: LanguageClient,
    start: types.Position,
    end: types.Position | None = None,
    diagnostics: list[types.Diagnostic] | None = None,
    only: list[types.CodeActionKind] | None = None,
    uri: str = URI,
) -> list[types.CodeAction]:
    read_code_actions_properly(lsp)
    result = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=start, end=end or start),
            context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def _explain_actions(
    lsp: LanguageClient, position: types.Position, uri: str = URI
) -> list[types.CodeAction]:
    actions = await _actions(lsp, position, uri=uri)
    return [a for a in actions if a.title.startswith("Explain")]


async def _run(lsp: LanguageClient, command: str, *arguments: Any) -> Any:
    return await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def _markdown(lsp: LanguageClient, command: str, *arguments: Any) -> str:
    """Run an explain command; its result must be ``{"kind": "markdown", "markdown": str}``."""
    result = await _run(lsp, command, *arguments)
    assert set(result) == {"kind", "markdown"} and result["kind"] == "markdown", result
    assert isinstance(result["markdown"], str)
    return str(result["markdown"])


def _explain_args(position: types.Position, uri: str = URI) -> dict[str, Any]:
    at = {"line": position.line, "character": position.character}
    return {"textDocument": {"uri": uri}, "position": at}


def _diagnostic_args(diagnostic: types.Diagnostic, uri: str = URI) -> dict[str, Any]:
    rng = diagnostic.range
    return {
        "textDocument": {"uri": uri},
        "diagnostic": {
            "range": {
                "start": {"line": rng.start.line, "character": rng.start.character},
                "end": {"line": rng.end.line, "character": rng.end.character},
            },
            "message": diagnostic.message,
            "severity": int(diagnostic.severity or 1),
            "code": diagnostic.code,
            "source": diagnostic.source,
        },
    }


def _collect_stream(lsp: LanguageClient, into: list[Any]) -> None:
    """Append every ``grove/explanationProgress`` notification's params to ``into``."""

    @lsp.feature("grove/explanationProgress")
    def _on_progress(params: Any) -> None:
        into.append(params)


def _user_prompt(scripted: ScriptedOpenAI, index: int = -1) -> str:
    content: str = scripted.requests[index].body["messages"][-1]["content"]
    return content


async def test_actions_are_listed_cheaply_one_per_diagnostic(
    scripted_openai: ScriptedOpenAI,
) -> None:
    other = types.Diagnostic(
        range=TYPO.range,
        message="Return value is never used;\n  consider removing the whole statement because it "
        "does nothing at all",
        severity=types.DiagnosticSeverity.Warning,
    )
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        caps = lsp.initialize_result.capabilities  # type: ignore[attr-defined]
        assert {"grove.explain", "grove.explainDiagnostic"} <= set(
            caps.execute_command_provider.commands
        )
        open_document(lsp, URI, "python", SOURCE)
        actions = await _actions(lsp, IN_AREA, diagnostics=[TYPO, other])
        quick = await _actions(
            lsp, IN_AREA, diagnostics=[TYPO], only=[types.CodeActionKind.QuickFix]
        )
        selection = await _actions(
            lsp, types.Position(line=4, character=4), types.Position(line=4, character=37)
        )
        blank = await _actions(lsp, types.Position(line=6, character=0))
    explain = [a for a in actions if a.title.startswith("Explain this code")]
    assert [a.title for a in explain] == ["Explain this code (method area)"]
    assert explain[0].kind == types.CodeActionKind.Empty
    assert explain[0].command is not None and explain[0].command.command == "grove.explain"
    diagnostic_actions = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert [a.title for a in diagnostic_actions] == [
        'Explain this diagnostic: "totl" is not defined',
        "Explain this diagnostic: Return value is never used; consider removing the whole sta…",
    ]
    assert all(
        a.command and a.command.command == "grove.explainDiagnostic" for a in diagnostic_actions
    )
    assert list(diagnostic_actions[0].diagnostics or []) == [TYPO]
    assert all(a.edit is None for a in actions)
    assert [a.title for a in quick] == ['Explain this diagnostic: "totl" is not defined']
    assert [a.title for a in selection if "docstring" not in a.title] == ["Explain this code"]
    assert blank == []
    assert scripted_openai.requests == [], "listing actions never calls the model"


async def test_explain_returns_markdown_and_the_prompt_holds_the_code_and_its_definitions(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "units.py").write_text(
        'def to_metres(value, unit="cm"):\n    """Convert a length to metres."""\n'
        "    return value / 100\n"
    )
    text = "from units import to_metres\n\n\n" + SOURCE.replace(
        "        return totl\n", "        return to_metres(total)\n"
    )
    uri = (tmp_path / "shapes.py").as_uri()
    (tmp_path / "shapes.py").write_text(text)
    scripted_openai.script(replies.text(ANSWER))
    async with grove_client(_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, uri, "python", text)
        result = await _markdown(
            lsp, "grove.explain", _explain_args(types.Position(line=13, character=12), uri)
        )
        messages = list(lsp.messages)
        shown = list(lsp.shown_documents)
    assert result == ANSWER
    (request,) = scripted_openai.requests
    assert request.path.endswith("/chat/completions")
    system, user = request.body["messages"]
    assert system["role"] == "system" and "one\nsentence" in system["content"]
    assert "def area(self, radius, scale=1.0):" in user["content"]
    assert "return to_metres(total)" in user["content"]
    assert "`shapes.py`, lines 12 to 15" in user["content"]
    assert "class Circle:" in user["content"]  # the enclosing scope
    assert "def clamp(value, low, high):\n    ..." in user["content"]  # the file's own definition
    assert '# units.py\ndef to_metres(value, unit="cm"):' in user["content"]  # a workspace one
    assert messages == [] and shown == []  # run directly: the result is the delivery


async def test_diagnostic_prompt_holds_the_diagnostic_and_its_neighbourhood(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("`totl` is undefined.\n\n**Likely cause**: a typo."))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explainDiagnostic", _diagnostic_args(TYPO))
        actions = await _actions(lsp, IN_AREA, diagnostics=[TYPO])
    assert result.startswith("`totl` is undefined.")
    prompt = _user_prompt(scripted_openai)
    assert 'Diagnostic: "totl" is not defined' in prompt
    assert "severity error, code F821, reported by pyflakes" in prompt
    assert "lines 9 to 12; the diagnostic is on line 12" in prompt
    assert "    def area(self, radius, scale=1.0):\n" in prompt
    assert "def clamp(value, low, high):\n    ..." in prompt  # a definition the code uses
    assert "```fix" in prompt
    assert [a.title for a in actions if a.edit is not None] == []  # no fix was proposed


async def test_progress_streams_the_text_while_the_model_writes(
    scripted_openai: ScriptedOpenAI,
) -> None:
    long_answer = ANSWER + "\n\n" + " ".join(f"Detail {i} about the area." for i in range(12))
    scripted_openai.script(replies.text(long_answer, chunk_size=8))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
        reports = dict(lsp.progress_reports)
    assert result == long_answer
    (events,) = reports.values()
    begin, *middle, end = events
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert begin.title == "Grove: explaining the code"
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "done"
    texts = [e.message for e in middle if isinstance(e, types.WorkDoneProgressReport)]
    assert len(texts) >= 3, "partial text is reported several times while streaming"
    flat = " ".join(long_answer.split())
    assert all(t.lstrip("…") in flat for t in texts if t)
    assert texts[0] != texts[-1]


async def test_a_streaming_client_gets_the_whole_text_so_far_under_its_token(
    scripted_openai: ScriptedOpenAI,
) -> None:
    long_answer = ANSWER + "\n\n" + " ".join(f"Detail {i} about the area." for i in range(12))
    scripted_openai.script(replies.text(long_answer, chunk_size=8))
    streamed: list[Any] = []
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        _collect_stream(lsp, streamed)
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explain", {**_explain_args(IN_AREA), "stream": "t-1"})
    assert result == long_answer
    assert len(streamed) >= 3, "the text is streamed several times while the model writes"
    assert {item.token for item in streamed} == {"t-1"}
    texts = [item.markdown for item in streamed]
    assert all(long_answer.startswith(text) for text in texts), "each is the whole text so far"
    assert [len(t) for t in texts] == sorted(len(t) for t in texts) and texts[0] != texts[-1]


async def test_no_stream_token_no_stream_notifications(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text(ANSWER * 4, chunk_size=8))
    streamed: list[Any] = []
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        _collect_stream(lsp, streamed)
        open_document(lsp, URI, "python", SOURCE)
        await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
    assert streamed == []


async def test_a_bad_stream_token_is_invalid_params_and_nothing_is_sent(
    scripted_openai: ScriptedOpenAI,
) -> None:
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        for bad in (7, "", "x" * 201):
            with pytest.raises(Exception, match="stream"):
                await _markdown(lsp, "grove.explain", {**_explain_args(IN_AREA), "stream": bad})
    assert scripted_openai.requests == []


async def test_model_markdown_is_sanitised(scripted_openai: ScriptedOpenAI) -> None:
    hostile = (
        "It \u202ecomputes\u202c an area.\x1b[31m\n\n"
        '![tracker](http://evil.example/pixel.png) <img src="http://evil.example/x.png">\n'
        "<script>alert(1)</script> see <http://evil.example/auto> and [x](javascript:alert(1))\n"
        "```python\nprint('<img> stays literal in code')\n```"
    )
    scripted_openai.script(replies.text(hostile))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
    assert result.startswith("It computes an area.\n\n")
    for bad in (
        "\u202e",
        "\x1b",
        "![",
        "http://evil.example/pixel",
        "<img src",
        "<script",
        "javascript:",
    ):
        assert bad not in result
    assert "`http://evil.example/auto`" in result  # the autolink is inert
    assert "print('<img> stays literal in code')" in result


async def test_asking_twice_is_answered_from_the_cache(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text(ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        first = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
        # Elsewhere in the same method: the same code, so the same explanation.
        second = await _markdown(
            lsp, "grove.explain", _explain_args(types.Position(line=9, character=9))
        )
        other = await _markdown(
            lsp, "grove.explain", _explain_args(types.Position(line=4, character=9))
        )
    assert first == second == ANSWER
    assert len(scripted_openai.requests) == 2  # the second method call used the cache
    assert other != "" and "def clamp" in _user_prompt(scripted_openai)


async def test_a_valid_fix_is_offered_as_a_quick_fix_with_its_edit(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(FIX_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        applied: list[Any] = []

        @lsp.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        open_document(lsp, URI, "python", SOURCE, version=4)
        before = await _actions(lsp, IN_AREA, diagnostics=[TYPO])
        result = await _markdown(lsp, "grove.explainDiagnostic", _diagnostic_args(TYPO))
        after = await _actions(lsp, IN_AREA, diagnostics=[TYPO])
        # After an edit the fix is withdrawn until it is validated again.
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=5),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=SOURCE)],
            )
        )
        changed = await _actions(lsp, IN_AREA, diagnostics=[TYPO])
    assert "```python\nclass Circle:" in result  # the fix block is shown, highlighted
    assert "offered as a quick fix" in result
    assert [a.title for a in before if a.edit] == []
    fixes = [a for a in after if a.edit is not None]
    assert [a.title for a in fixes] == ['Apply suggested fix: "totl" is not defined']
    (fix,) = fixes
    assert fix.kind == types.CodeActionKind.QuickFix and list(fix.diagnostics or []) == [TYPO]
    assert fix.command is None
    assert fix.edit is not None and fix.edit.document_changes is not None
    (change,) = fix.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 4
    (edit,) = change.edits
    assert isinstance(edit, types.TextEdit)
    assert edit.range == types.Range(
        start=types.Position(line=11, character=0), end=types.Position(line=11, character=19)
    )
    assert edit.new_text == "        return total"
    assert applied == [], "a fix is never applied without the user choosing it"
    assert [a.title for a in changed if a.edit] == []
    assert len(scripted_openai.requests) == 1


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ("        return total(\n", "more syntax errors"),
        (
            "import os\nimport sys\nimport re\nimport json\nimport time\nimport math\n"
            "import glob\nimport shutil\nimport abc\nimport ast\nimport io\n",
            "rewrites more",
        ),
        (
            SOURCE[SOURCE.index("class Circle") :],  # unchanged, with a line of context
            "changes nothing",
        ),
    ],
    ids=["breaks-the-parse", "rewrites-too-much", "no-change"],
)
async def test_an_invalid_fix_is_explained_but_not_offered(
    scripted_openai: ScriptedOpenAI, block: str, reason: str
) -> None:
    scripted_openai.script(replies.text(f"A typo.\n\n```fix\n{block}```\n"))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explainDiagnostic", _diagnostic_args(TYPO))
        actions = await _actions(lsp, IN_AREA, diagnostics=[TYPO])
    assert result.startswith("A typo.")
    assert "does not offer this fix" in result and reason in result
    assert [a.title for a in actions if a.edit is not None] == []


@pytest.mark.parametrize("stream", [None, "t-2"])
async def test_a_code_action_run_opens_a_markdown_document_unless_the_client_streams(
    scripted_openai: ScriptedOpenAI, stream: str | None
) -> None:
    """A streaming client renders the text itself; a second document would show it twice."""
    scripted_openai.script(replies.text(ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _explain_actions(lsp, IN_AREA)
        assert action.command is not None and action.command.arguments
        (argument,) = action.command.arguments
        if stream is not None:
            argument = {**argument, "stream": stream}
        result = await _markdown(lsp, action.command.command, argument)
        shown = list(lsp.shown_documents)
    assert result == ANSWER
    if stream is not None:
        assert shown == []
        return
    (document,) = shown
    assert document.uri.startswith("file://") and document.uri.endswith(".md")
    path = Path(unquote(urlparse(document.uri).path))
    assert path.read_text("utf-8") == f"# Explanation of the method area\n\n{ANSWER}\n"


async def test_message_delivery_shows_the_summary(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text(ANSWER))
    async with grove_client(_options(scripted_openai.base_url, show="message")) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
        messages = [m.message for m in lsp.messages]
        shown = list(lsp.shown_documents)
    assert messages == ["Grove: area computes the scaled area of a circle."]
    assert shown == []


async def test_a_huge_selection_is_cut_to_the_budget_with_a_note(
    scripted_openai: ScriptedOpenAI,
) -> None:
    text = "".join(f"value_{i} = compute({i}) * {i}\n" for i in range(6000))
    uri = (FIXTURES / "example" / "huge_explain.py").as_uri()
    scripted_openai.script(replies.text("Many assignments."))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", text)
        whole = {
            "textDocument": {"uri": uri},
            # past the end of the file: clamped
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9000, "character": 0}},
        }
        result = await _markdown(lsp, "grove.explain", whole)
    prompt = _user_prompt(scripted_openai)
    assert "value_0 = compute(0) * 0" in prompt
    assert "value_5999" not in prompt
    assert "more lines follow" in prompt
    assert result.startswith("Many assignments.")
    assert "the code was too long" in result


@pytest.mark.parametrize(
    ("name", "language", "text", "position", "fragment"),
    [
        (".env", "dotenv", "API_KEY=sk-secret\n", (0, 2), "secret file"),
        ("blob.py", "python", "x = 1\x00\x00\x01\x02\n", (0, 1), "binary"),
    ],
    ids=["secret", "binary"],
)
async def test_bad_input_is_refused_and_nothing_is_sent(
    scripted_openai: ScriptedOpenAI,
    tmp_path: Path,
    name: str,
    language: str,
    text: str,
    position: tuple[int, int],
    fragment: str,
) -> None:
    uri = (tmp_path / name).as_uri()
    async with grove_client(_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, uri, language, text)
        with pytest.raises(Exception, match=fragment):
            await _markdown(lsp, "grove.explain", _explain_args(types.Position(*position), uri))
    assert scripted_openai.requests == []


async def test_nothing_to_explain_is_a_message_and_nothing_is_sent(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    uri = (tmp_path / "blank.py").as_uri()
    async with grove_client(_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, uri, "python", "x = 1\n\n\ny = 2\n")
        result = await _run(lsp, "grove.explain", _explain_args(types.Position(1, 0), uri))
        streamed = await _run(
            lsp, "grove.explain", {**_explain_args(types.Position(1, 0), uri), "stream": "t-2"}
        )
        # What the plugins send when no diagnostic is under the cursor.
        no_diagnostic = await _run(
            lsp,
            "grove.explainDiagnostic",
            {**_explain_args(types.Position(1, 0), uri), "diagnostic": None, "stream": "t-3"},
        )
        messages = list(lsp.messages)
    assert result == streamed
    assert set(result) == {"kind", "message"} and result["kind"] == "message"
    assert result["message"].startswith("Nothing to explain here: select some code")
    assert no_diagnostic == {
        "kind": "message",
        "message": "No diagnostic to explain: put the cursor on a diagnostic.",
    }
    assert messages == [], "the result is the answer: no window/showMessage besides"
    assert scripted_openai.requests == []


async def test_an_ignored_file_is_refused(scripted_openai: ScriptedOpenAI, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    uri = (tmp_path / "generated" / "out.py").as_uri()
    async with grove_client(_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, uri, "python", SOURCE)
        assert await _explain_actions(lsp, IN_AREA, uri=uri) == []
        with pytest.raises(Exception, match=r"excluded by \.gitignore"):
            await _markdown(lsp, "grove.explain", _explain_args(IN_AREA, uri))
    assert scripted_openai.requests == []


async def test_an_endpoint_failure_is_one_clear_error_and_nothing_is_shown(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.truncated_sse("It computes", after_chunks=2))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _explain_actions(lsp, IN_AREA)
        assert action.command is not None
        with pytest.raises(Exception, match="could not get an explanation"):
            await _markdown(lsp, action.command.command, *(action.command.arguments or []))
        shown = list(lsp.shown_documents)
        reports = dict(lsp.progress_reports)
        scripted_openai.script(replies.text(ANSWER))
        again = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
    assert shown == []
    (events, *_) = reports.values()
    assert isinstance(events[-1], types.WorkDoneProgressEnd) and events[-1].message == "failed"
    assert again == ANSWER  # the failure was not cached


async def test_a_job_waits_for_a_slow_model_longer_than_a_completion_would(
    scripted_openai: ScriptedOpenAI,
) -> None:
    """A model that thinks for 1.5 s: too slow for a 0.5 s completion, fine for a 4 s job."""
    options = _options(scripted_openai.base_url)
    options["completion"]["timeoutMs"] = 500
    options["endpoint"]["jobTimeoutMs"] = 4000
    scripted_openai.script(replies.stall_before_headers(1.5, content=ANSWER))
    async with grove_client(options) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
    assert result == ANSWER


async def test_a_job_gives_up_after_its_own_timeout_with_one_clear_error(
    scripted_openai: ScriptedOpenAI,
) -> None:
    options = _options(scripted_openai.base_url)
    options["endpoint"]["jobTimeoutMs"] = 1000
    scripted_openai.script(replies.stall_after_headers(5.0))
    async with grove_client(options) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        with pytest.raises(Exception, match="did not answer in time"):
            await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))


async def test_cancelling_mid_stream_closes_the_upstream_request(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.slow("It computes the area. " * 40, chunk_delay=0.03))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        pending = lsp.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="grove.explain", arguments=[_explain_args(IN_AREA)]),
            msg_id="explain-me",
        )
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        for _ in range(200):
            if any(len(events) > 1 for events in lsp.progress_reports.values()):
                break
            await asyncio.sleep(0.02)
        lsp.cancel_request(types.CancelParams(id="explain-me"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wrap_future(pending)
        request = scripted_openai.requests[0]
        assert await asyncio.to_thread(request.wait_finished, 5.0)
        scripted_openai.script(replies.text(ANSWER))
        again = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
        reports = list(lsp.progress_reports.values())
    assert request.client_disconnected and not request.completed
    assert isinstance(reports[0][-1], types.WorkDoneProgressEnd)
    assert reports[0][-1].message == "cancelled"
    assert again == ANSWER
    assert len(scripted_openai.requests) == 2


async def test_an_answer_cut_at_the_token_limit_says_so(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("`area` computes the area of", finish_reason="length"))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        result = await _markdown(lsp, "grove.explain", _explain_args(IN_AREA))
    assert result.startswith("`area` computes the area of")
    assert "cut off before it finished" in result


async def test_a_diagnostic_over_the_whole_file_sends_only_its_first_lines(
    scripted_openai: ScriptedOpenAI,
) -> None:
    text = "".join(f"x_{i} = {i}\n" for i in range(500))
    uri = (FIXTURES / "example" / "whole_explain.py").as_uri()
    whole = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=500, character=0)
        ),
        message="module is too long",
    )
    scripted_openai.script(replies.text("The module is long."))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", text)
        result = await _markdown(lsp, "grove.explainDiagnostic", _diagnostic_args(whole, uri))
    prompt = _user_prompt(scripted_openai)
    assert result == "The module is long."
    assert "x_39 = 39" in prompt and "x_60 = 60" not in prompt
