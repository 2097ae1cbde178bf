"""Docstrings end to end: code action + resolve, the command with workspace/applyEdit, retries."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from analyzers.docstrings import DocTarget, find_target
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from tests.e2e.harness import (
    FIXTURES,
    accept_edits,
    endpoint_options,
    grove_client,
    open_document,
    server_env,
)
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

SOURCE = (
    "import math\n"
    "\n"
    "\n"
    "class Circle:\n"
    "    def area(self, radius, scale=1.0):\n"
    "        if radius < 0:\n"
    "            raise ValueError(radius)\n"
    "        return math.pi * radius**2 * scale\n"
)
URI = (FIXTURES / "example" / "circle.py").as_uri()
_CONVERTER = get_converter()
IN_AREA = types.Position(line=7, character=10)

GOOD_ANSWER = (
    "Compute the area of the circle.\n\n"
    "Args:\n    radius: The radius.\n    scale: A factor applied to the area.\n\n"
    "Returns:\n    The scaled area.\n\n"
    "Raises:\n    ValueError: If radius is negative."
)
EXPECTED_DOCSTRING = (
    '        """Compute the area of the circle.\n'
    "\n"
    "        Args:\n"
    "            radius: The radius.\n"
    "            scale: A factor applied to the area.\n"
    "\n"
    "        Returns:\n"
    "            The scaled area.\n"
    "\n"
    "        Raises:\n"
    "            ValueError: If radius is negative.\n"
    '        """\n'
)


def _options(base_url: str, mode: str = "chat") -> dict[str, Any]:
    return endpoint_options(base_url, mode=mode)


async def _actions(
    lsp: LanguageClient, position: types.Position, uri: str = URI
) -> list[types.CodeAction]:
    result = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def _expect_nothing_to_document(
    lsp: LanguageClient, line: int, character: int, match: str
) -> None:
    """Run grove.generateDocstring at a position; expect a ``message`` result matching ``match``."""
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="grove.generateDocstring",
            arguments=[URI, {"line": line, "character": character}],
        )
    )
    assert set(result) == {"kind", "message"} and result["kind"] == "message", result
    assert re.search(match, result["message"]), result["message"]


def _edit_result(result: Any) -> types.WorkspaceEdit:
    """The WorkspaceEdit of an ``edit`` result the editor already applied (checked)."""
    assert set(result) == {"kind", "edit", "applied"}, result
    assert result["kind"] == "edit" and result["applied"] is True
    edit = _CONVERTER.structure(result["edit"], types.WorkspaceEdit)
    assert isinstance(edit, types.WorkspaceEdit)
    return edit


def _single_edit(edit: types.WorkspaceEdit | None) -> tuple[int | None, types.TextEdit]:
    assert edit is not None and edit.document_changes is not None
    (change,) = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == URI
    (text_edit,) = change.edits
    assert isinstance(text_edit, types.TextEdit)
    return change.text_document.version, text_edit


async def test_capabilities_advertise_resolvable_code_actions_and_the_command(
    scripted_openai: ScriptedOpenAI,
) -> None:
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        caps = lsp.initialize_result.capabilities
        provider = caps.code_action_provider
        assert isinstance(provider, types.CodeActionOptions)
        assert provider.resolve_provider is True
        assert "refactor.rewrite" in list(provider.code_action_kinds or [])
        assert "grove.generateDocstring" in caps.execute_command_provider.commands


async def test_action_is_listed_without_an_edit_then_resolved(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE, version=3)
        (action,) = await _actions(lsp, IN_AREA)
        assert action.title == "Generate docstring for area"
        assert action.kind == types.CodeActionKind.RefactorRewrite
        assert action.edit is None and action.command is None  # VS Code resolves edits
        assert scripted_openai.requests == [], "no model call while listing actions"
        resolved = await lsp.code_action_resolve_async(action)
    version, edit = _single_edit(resolved.edit)
    assert version == 3
    position = types.Position(line=5, character=0)
    assert edit.range == types.Range(start=position, end=position)
    assert edit.new_text == EXPECTED_DOCSTRING
    (request,) = scripted_openai.requests
    assert request.path.endswith("/chat/completions")
    assert "def area(self, radius, scale=1.0):" in request.body["messages"][-1]["content"]


@pytest.mark.parametrize(
    "arguments",
    [
        [URI, {"line": 4, "character": 8}],
        [{"textDocument": {"uri": URI}, "position": {"line": 4, "character": 8}}],
    ],
    ids=["uri-position", "text-document-position-params"],
)
async def test_command_applies_the_docstring_with_workspace_apply_edit(
    scripted_openai: ScriptedOpenAI, arguments: list[Any]
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE, version=7)
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=arguments)
        )
        messages = list(lsp.messages)
    (params,) = received  # the edit arrives through workspace/applyEdit ...
    version, edit = _single_edit(params.edit)
    assert version == 7
    assert edit.new_text == EXPECTED_DOCSTRING
    assert _edit_result(result) == params.edit  # ... and the result says it was applied
    assert len(scripted_openai.requests) == 1
    assert messages == []


async def test_a_client_without_apply_edit_gets_the_edit_to_apply_in_the_result(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url), apply_edit=False) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE, version=4)
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=[URI, IN_AREA])
        )
    assert received == [], "no workspace/applyEdit for a client that did not declare it"
    assert result["kind"] == "edit" and result["applied"] is False
    version, edit = _single_edit(_CONVERTER.structure(result["edit"], types.WorkspaceEdit))
    assert version == 4
    assert edit.new_text == EXPECTED_DOCSTRING


async def test_an_edit_the_editor_refuses_is_a_command_error(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:

        @lsp.feature(types.WORKSPACE_APPLY_EDIT)
        def refuse(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="buffer is locked")

        open_document(lsp, URI, "python", SOURCE)
        with pytest.raises(Exception, match="did not apply the docstring: buffer is locked"):
            await lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="grove.generateDocstring", arguments=[URI, IN_AREA]
                )
            )


async def test_bad_answers_are_retried_then_a_skeleton_is_applied(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(
        replies.text("```python\ndef area(self, radius, scale=1.0):\n    return 0\n```"),
        replies.text("Compute the area.\n\nArgs:\n    r: The radius.\n\nReturns:\n    Area."),
    )
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=[URI, IN_AREA])
        )
        messages = [m.message for m in lsp.messages]
    (message,) = messages
    assert "inserted a TODO skeleton" in message
    assert "does not have: r" in message
    _, second = scripted_openai.requests
    retry_messages = second.body["messages"]
    assert retry_messages[-2]["role"] == "assistant"
    assert "rejected" in retry_messages[-1]["content"]
    assert "code fence" in retry_messages[-1]["content"]
    (params,) = received
    assert _edit_result(result) == params.edit
    _, edit = _single_edit(params.edit)
    assert edit.new_text.startswith('        """TODO: describe area.\n')
    assert "            radius: TODO.\n            scale: TODO.\n" in edit.new_text


async def test_completion_endpoint_is_used_outside_chat_mode(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url, mode="prefix")) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _actions(lsp, IN_AREA)
        resolved = await lsp.code_action_resolve_async(action)
    _, edit = _single_edit(resolved.edit)
    assert edit.new_text == EXPECTED_DOCSTRING
    (request,) = scripted_openai.requests
    assert request.path.endswith("/completions") and "chat" not in request.path
    assert request.body["prompt"].endswith("Documentation:\n")


async def test_outside_any_definition_no_action_and_the_command_says_so(
    scripted_openai: ScriptedOpenAI,
) -> None:
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        assert await _actions(lsp, types.Position(line=0, character=3)) == []
        await _expect_nothing_to_document(lsp, 0, 3, "^No function, method or class .* line 1")
        messages = list(lsp.messages)
    assert scripted_openai.requests == []
    assert received == [] and messages == []  # the result is the only answer


async def test_regenerate_is_offered_for_a_go_function_with_a_doc_comment(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = (FIXTURES / "example" / "sum.go").as_uri()
    text = "package p\n\n// old words\nfunc Sum(a, b int) int {\n\treturn a + b\n}\n"
    scripted_openai.script(replies.text("Adds a and b."))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "go", text)
        (action,) = await _actions(lsp, types.Position(line=4, character=2), uri=uri)
        assert action.title == "Regenerate docstring for Sum"
        resolved = await lsp.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes is not None
    (change,) = resolved.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    (edit,) = change.edits
    assert isinstance(edit, types.TextEdit)
    assert edit.range == types.Range(
        start=types.Position(line=2, character=0), end=types.Position(line=3, character=0)
    )
    assert edit.new_text == "// Sum adds a and b.\n"


def _grove(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=server_env(),
        timeout=120,
    )


def test_cli_prints_json_then_applies(scripted_openai: ScriptedOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "circle.py"
    path.write_text(SOURCE, encoding="utf-8")
    settings = json.dumps(
        {"endpoint": {"baseUrl": scripted_openai.base_url}, "model": "m", "completion.mode": "chat"}
    )
    scripted_openai.script(replies.text(GOOD_ANSWER), replies.text(GOOD_ANSWER))
    done = _grove("docstring", f"{path}:5", "--json", "--settings", settings)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["text"] == EXPECTED_DOCSTRING
    assert answer["start"] == answer["end"] == {"line": 6, "column": 1}
    assert (answer["name"], answer["source"], answer["applied"]) == ("area", "model", False)
    assert path.read_text(encoding="utf-8") == SOURCE
    done = _grove("docstring", f"{path}:5", "--apply", "--settings", settings)
    assert done.returncode == 0, done.stderr
    lines = SOURCE.splitlines(keepends=True)
    expected = "".join(lines[:5]) + EXPECTED_DOCSTRING + "".join(lines[5:])
    assert path.read_text(encoding="utf-8") == expected


def test_cli_outside_any_definition_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "circle.py"
    path.write_text(SOURCE, encoding="utf-8")
    done = _grove("docstring", f"{path}:1")
    assert done.returncode == 1
    assert "No function, method or class" in done.stderr
    assert done.stdout == ""


@pytest.mark.embedded
async def test_embedded_model_docstring_is_applied_and_valid() -> None:
    async with grove_client(None, env=server_env()) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=[URI, IN_AREA])
        )
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert status["embedded"] is True
    assert status["lastError"] is None
    (params,) = received
    assert _edit_result(result) == params.edit
    _, edit = _single_edit(params.edit)
    lines = SOURCE.splitlines(keepends=True)
    assert edit.range.start == edit.range.end == types.Position(line=5, character=0)
    new_text = "".join(lines[:5]) + edit.new_text + "".join(lines[5:])
    doc = SourceDocument(new_text, language_for("python", None))
    assert doc.error_count() == 0
    target = find_target(doc, new_text.index("return math") + 1)
    assert target is not None and target.existing == edit.new_text.strip()
    assert "radius" in edit.new_text and "scale" in edit.new_text
    assert not any(line != line.rstrip() for line in edit.new_text.splitlines())


# ------------------------------------------------------------------ one fixture per language

DOC_FIXTURES = FIXTURES / "docstrings"

# file, languageId, text in the function body, 0-based line where the doc comment goes
LANGUAGE_CASES = [
    ("shapes.py", "python", "return math.pi", 10),
    ("shapes.js", "javascript", "throw new RangeError", 11),
    ("shapes.ts", "typescript", "Math.PI", 3),
    ("shapes.go", "go", "math.Pi", 4),
    ("shapes.rs", "rust", "PI *", 2),
    ("Shapes.java", "java", "Math.PI", 5),
    ("Shapes.cs", "csharp", "Math.PI", 6),
    ("shapes.c", "c", "M_PI", 2),
    ("shapes.cpp", "cpp", "3.14159", 4),
    ("shapes.rb", "ruby", "Math::PI", 11),
    ("shapes.lua", "lua", "math.pi", 2),
]


def _good_answer_for(target: DocTarget) -> str:
    """A well-formed answer in the template's layout, with the target's real names."""
    parts = ["Compute the area of a circle."]
    if target.params:
        parts.append(
            "Args:\n" + "\n".join(f"    {p.key}: The {p.key} value." for p in target.params)
        )
    if target.returns_value:
        parts.append("Returns:\n    The area.")
    if target.raises:
        parts.append(
            "Raises:\n" + "\n".join(f"    {r}: If radius is negative." for r in target.raises)
        )
    return "\n\n".join(parts)


@pytest.mark.parametrize(("name", "language_id", "marker", "line"), LANGUAGE_CASES)
async def test_each_language_gets_a_validated_docstring_at_the_right_place(
    scripted_openai: ScriptedOpenAI, name: str, language_id: str, marker: str, line: int
) -> None:
    path = DOC_FIXTURES / name
    text = path.read_text(encoding="utf-8")
    spec = language_for(language_id, name)
    target = find_target(SourceDocument(text, spec), text.index(marker))
    assert target is not None
    scripted_openai.script(replies.text(_good_answer_for(target)))
    uri = path.as_uri()
    lines = text.splitlines(keepends=True)
    row = next(i for i, ln in enumerate(lines) if marker in ln)
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, language_id, text)
        (action,) = await _actions(
            lsp, types.Position(line=row, character=len(lines[row]) - 2), uri
        )
        resolved = await lsp.code_action_resolve_async(action)
        messages = [m.message for m in lsp.messages]
    assert messages == []  # no skeleton warning: the model's answer was used
    assert resolved.edit is not None and resolved.edit.document_changes is not None
    (change,) = resolved.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    (edit,) = change.edits
    assert isinstance(edit, types.TextEdit)
    at = types.Position(line=line, character=0)
    assert edit.range == types.Range(start=at, end=at), edit.new_text
    new_text = "".join(lines[:line]) + edit.new_text + "".join(lines[line:])
    assert new_text.replace(edit.new_text, "", 1) == text  # nothing else changed
    new_doc = SourceDocument(new_text, spec)
    assert new_doc.error_count() == SourceDocument(text, spec).error_count()
    found = find_target(new_doc, new_text.index(marker))
    assert found is not None and found.existing == edit.new_text.strip()
    assert "compute the area of a circle" in edit.new_text.lower()
    assert "TODO" not in edit.new_text
    for param in target.params if target.lists_params else ():  # Go and Rust list none
        assert param.key in edit.new_text
    assert all(ln == ln.rstrip() for ln in edit.new_text.splitlines())


# ------------------------------------------------------------------ progress and cancelling


def _progress_kinds(lsp: LanguageClient) -> list[list[str]]:
    return [[type(v).__name__ for v in values] for values in lsp.progress_reports.values()]


async def test_the_command_reports_progress_while_the_model_works(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=[URI, IN_AREA])
        )
        reports = list(lsp.progress_reports.values())
    assert len(received) == 1
    (values,) = reports
    begin, *middle, end = values
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert begin.title == "Grove: writing docstring for area"
    assert begin.cancellable is True
    assert [m.message for m in middle if isinstance(m, types.WorkDoneProgressReport)] == [
        "asking the model"
    ]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "done"


async def test_resolve_reports_progress_and_ends_it(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("```python\ncode\n```"), replies.text(GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _actions(lsp, IN_AREA)
        resolved = await lsp.code_action_resolve_async(action)
        reports = list(lsp.progress_reports.values())
    assert resolved.edit is not None
    (values,) = reports
    messages = [v.message for v in values if isinstance(v, types.WorkDoneProgressReport)]
    assert messages == ["asking the model", "answer rejected, asking again"]
    assert isinstance(values[-1], types.WorkDoneProgressEnd)


async def test_cancelling_the_progress_bar_applies_nothing(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.stall_before_headers(60.0, GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        pending = asyncio.ensure_future(
            lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="grove.generateDocstring", arguments=[URI, IN_AREA]
                )
            )
        )
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        (token,) = lsp.progress_reports
        lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(Exception, match="Cancelled: no docstring was written"):
            await pending
        values = lsp.progress_reports[token]
    assert received == []
    assert isinstance(values[-1], types.WorkDoneProgressEnd) and values[-1].message == "cancelled"


async def test_a_secret_file_is_refused_and_nothing_is_sent(
    scripted_openai: ScriptedOpenAI,
) -> None:
    secret_uri = (FIXTURES / "example" / "credentials.py").as_uri()
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, secret_uri, "python", SOURCE)
        with pytest.raises(Exception, match="secret file"):
            await lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="grove.generateDocstring", arguments=[secret_uri, IN_AREA]
                )
            )
    assert received == []
    assert scripted_openai.requests == []


async def test_cancel_request_on_the_command_stops_the_model_and_applies_nothing(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.slow(GOOD_ANSWER * 20, chunk_delay=0.05))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        received = accept_edits(lsp)
        open_document(lsp, URI, "python", SOURCE)
        pending = lsp.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="grove.generateDocstring", arguments=[URI, IN_AREA]),
            msg_id="docstring-1",
        )
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        lsp.cancel_request(types.CancelParams(id="docstring-1"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wrap_future(pending)
        request = scripted_openai.requests[0]
        assert await asyncio.to_thread(request.wait_finished, 5.0)
        values = next(iter(lsp.progress_reports.values()))
    assert received == []
    assert request.client_disconnected and not request.completed
    assert isinstance(values[-1], types.WorkDoneProgressEnd) and values[-1].message == "cancelled"


async def test_cancel_request_on_resolve_applies_nothing(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.stall_before_headers(60.0, GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _actions(lsp, IN_AREA)
        pending = lsp.protocol.send_request(types.CODE_ACTION_RESOLVE, action, msg_id="resolve-1")
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        lsp.cancel_request(types.CancelParams(id="resolve-1"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wrap_future(pending)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        values = next(iter(lsp.progress_reports.values()))
    assert status is not None  # still serving
    assert isinstance(values[-1], types.WorkDoneProgressEnd) and values[-1].message == "cancelled"


async def test_syntax_error_inside_the_function_is_a_clear_message(
    scripted_openai: ScriptedOpenAI,
) -> None:
    broken = "def ok(a):\n    return a\n\n\ndef bad(b):\n    return (b +\n"
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", broken)
        assert await _actions(lsp, types.Position(line=5, character=8)) == []
        await _expect_nothing_to_document(
            lsp, 5, 8, r"No function, method or class \(that parses\)"
        )
        (action,) = await _actions(lsp, types.Position(line=1, character=6))
    assert action.title == "Generate docstring for ok"
    assert scripted_openai.requests == []


async def test_docstring_style_setting_overrides_the_file(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text(GOOD_ANSWER))
    options = {**_options(scripted_openai.base_url), "docstring": {"style": "sphinx"}}
    async with grove_client(options) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _actions(lsp, IN_AREA)
        resolved = await lsp.code_action_resolve_async(action)
    _, edit = _single_edit(resolved.edit)
    assert ":param radius: The radius." in edit.new_text
    assert ":raises ValueError: If radius is negative." in edit.new_text
    assert "Args:" not in edit.new_text


async def test_cancelling_the_bar_during_resolve_returns_the_action_without_an_edit(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.stall_before_headers(60.0, GOOD_ANSWER))
    async with grove_client(_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", SOURCE)
        (action,) = await _actions(lsp, IN_AREA)
        pending = asyncio.ensure_future(lsp.code_action_resolve_async(action))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        (token,) = lsp.progress_reports
        lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        resolved = await pending
        messages = list(lsp.messages)
    assert resolved.edit is None
    assert messages == []
