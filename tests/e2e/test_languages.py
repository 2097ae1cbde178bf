"""Any language gets completions; ``grove.completion.disabledLanguages`` switches single ones off.

The real server over stdio (pytest-lsp) against the scripted endpoint on loopback. A languageId
the registry does not know (Kotlin, Scala) is plain text: no syntax tree, but completions, and no
error. A listed languageId gets no inline completion, no completion item and no speculative
request, while other documents still do; the list applies when the settings change, without a
restart.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.harness import endpoint_options, grove_client, inline_at, insert_text, open_document
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

KOTLIN = 'fun greet(name: String): String {\n    return \n}\n\nfun main() = println(greet("x"))\n'
KOTLIN_CURSOR = (1, 11)  # after "    return "
PYTHON = "def f(x):\n    return \n"
PYTHON_CURSOR = (1, 11)


async def completion_at(lsp: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    """The texts of the fallback completion items at a position."""
    result = await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    return [item.text_edit.new_text for item in items if item.text_edit is not None]


def inline_texts(result: types.InlineCompletionList | None) -> list[str]:
    assert result is not None
    return [str(item.insert_text) for item in result.items]


def prompts(scripted_openai: ScriptedOpenAI) -> list[str]:
    return [json.dumps(r.body) for r in scripted_openai.completion_requests]


def errors(lsp: LanguageClient) -> list[str]:
    """Error messages the server showed or logged."""
    shown = [m.message for m in lsp.messages if m.type == types.MessageType.Error]
    logged = [m.message for m in lsp.log_messages if m.type == types.MessageType.Error]
    return shown + logged


@pytest.mark.parametrize(
    ("uri", "language_id"),
    [("file:///tmp/grove-langs/Main.kt", "kotlin"), ("untitled:Untitled-1", "scala")],
)
async def test_unknown_language_is_plain_text_and_gets_completions(
    scripted_openai: ScriptedOpenAI, uri: str, language_id: str
) -> None:
    scripted_openai.default = replies.text('"Hello, $name"\n')
    options = endpoint_options(scripted_openai.base_url, fallbackItems="always")
    async with grove_client(options) as lsp:
        open_document(lsp, uri, language_id, KOTLIN)
        inline = await inline_at(lsp, uri, *KOTLIN_CURSOR)
        items = await completion_at(lsp, uri, *KOTLIN_CURSOR)
        insert_text(lsp, uri, 2, 1, 11, '"Hi"')  # typing goes on: incremental sync, no tree
        after_edit = await inline_at(lsp, uri, 1, 15)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert inline_texts(inline) == ['"Hello, $name"']
    assert items == ['"Hello, $name"']
    assert after_edit is not None
    assert "fun greet(name: String)" in prompts(scripted_openai)[0]
    assert status["documents"] == 1 and status["lastError"] is None
    assert errors(lsp) == []


async def test_a_disabled_language_gets_nothing_and_the_others_still_do(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.default = replies.text("x + 1\n")
    options = endpoint_options(
        scripted_openai.base_url, fallbackItems="always", disabledLanguages=["kotlin"]
    )
    kotlin, python = "file:///tmp/grove-langs/Main.kt", "file:///tmp/grove-langs/f.py"
    async with grove_client(options) as lsp:
        open_document(lsp, kotlin, "kotlin", KOTLIN)
        open_document(lsp, python, "python", PYTHON)
        refused_inline = await inline_at(lsp, kotlin, *KOTLIN_CURSOR)
        refused_items = await completion_at(lsp, kotlin, *KOTLIN_CURSOR)
        assert scripted_openai.completion_requests == [], "nothing sent for the Kotlin file"
        served = await inline_at(lsp, python, *PYTHON_CURSOR)
    assert inline_texts(refused_inline) == []
    assert refused_items == []
    assert inline_texts(served) == ["x + 1"]
    [request] = prompts(scripted_openai)
    assert "def f(x)" in request and "fun greet" not in request
    assert errors(lsp) == []


async def _until_inline(
    lsp: LanguageClient, uri: str, position: tuple[int, int], *, served: bool
) -> types.InlineCompletionList:
    """Ask until the answer has items (``served``) or none: the server pulls settings async."""
    for _ in range(100):
        result = await inline_at(lsp, uri, *position)
        assert result is not None
        if bool(result.items) == served:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"inline completion never {'served' if served else 'refused'} {uri}")


def _configuration(disabled: list[str]) -> dict[str, Any]:
    return {"grove": {"completion": {"disabledLanguages": disabled}}}


async def test_the_list_applies_when_settings_change_speculative_requests_included(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.default = replies.text('"Hello, $name"\n')
    options = endpoint_options(scripted_openai.base_url, speculative=True)
    uri = "file:///tmp/grove-langs/Main.kt"
    async with grove_client(options, configuration=_configuration([])) as lsp:
        open_document(lsp, uri, "kotlin", KOTLIN)
        [item] = (await inline_at(lsp, uri, *KOTLIN_CURSOR)).items  # type: ignore[union-attr]

        lsp.set_configuration(_configuration(["kotlin"]))
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await _until_inline(lsp, uri, KOTLIN_CURSOR, served=False)
        sent = len(scripted_openai.completion_requests)
        # Accepting the earlier item would start the next suggestion at once: not any more.
        assert item.command is not None
        insert_text(lsp, uri, 2, 1, 11, str(item.insert_text))
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=item.command.command, arguments=list(item.command.arguments or [])
            )
        )
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        assert inline_texts(await inline_at(lsp, uri, 1, 11 + len(str(item.insert_text)))) == []
        assert len(scripted_openai.completion_requests) == sent, "no request once it is listed"

        lsp.set_configuration(_configuration([]))
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        back = await _until_inline(lsp, uri, (1, 11 + len(str(item.insert_text))), served=True)
    assert status["accepted"] == 1
    assert status["speculative"] == 0
    assert inline_texts(back) == ['"Hello, $name"']
    assert errors(lsp) == []
