"""Cycling through suggestions end to end: an explicit (Invoked) request gets several candidates.

The real server over stdio, the scripted OpenAI endpoint on loopback. An automatic request (as
typing sends) stays one suggestion from one model call; an Invoked one (an editor's "show next
suggestion", or an explicit trigger) answers with the shown suggestion first and distinct
samples after it, each carrying its own acceptance command.
"""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.e2e.harness import endpoint_options, grove_client, inline_at, insert_text, open_document
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

URI = "file:///tmp/cycle.py"
TEXT = "def f(x):\n    return \n"
LINE, COLUMN = 1, 11
INVOKED = types.InlineCompletionTriggerKind.Invoked


def _texts(result: types.InlineCompletionList | None) -> list[str]:
    assert result is not None
    return [str(item.insert_text) for item in result.items]


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_an_invoked_request_offers_other_candidates_after_the_shown_one(
    scripted_openai: ScriptedOpenAI, client: str
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.choices("x * 2\n", "x - 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url), client=client) as lsp:
        open_document(lsp, URI, "python", TEXT)
        automatic = await inline_at(lsp, URI, LINE, COLUMN)
        invoked = await inline_at(lsp, URI, LINE, COLUMN, INVOKED)
    assert _texts(automatic) == ["x + 1"]
    assert _texts(invoked) == ["x + 1", "x * 2", "x - 1"]
    assert invoked is not None
    position = types.Position(line=LINE, character=COLUMN)
    for item in invoked.items:
        assert item.range == types.Range(start=position, end=position)
        assert item.command is not None and item.command.command == "grove.accepted"
        assert list(item.command.arguments or []) == [URI, len(TEXT) - 1, item.insert_text]
    first, sample = (r.body for r in scripted_openai.completion_requests)
    assert "n" not in first and first["temperature"] == 0.0, "typing costs one greedy call"
    assert sample["n"] == 2 and sample["temperature"] > 0
    assert sample["prompt"] == first["prompt"]


async def test_an_invoked_request_from_an_endpoint_that_ignores_n(
    scripted_openai: ScriptedOpenAI,
) -> None:
    """Nothing shown yet: a greedy call, then one sample per call (a single choice each)."""
    scripted_openai.script(
        replies.text("x + 1\n"), replies.text("x * 2\n"), replies.text("x - 1\n")
    )
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", TEXT)
        invoked = await inline_at(lsp, URI, LINE, COLUMN, INVOKED)
    assert _texts(invoked) == ["x + 1", "x * 2", "x - 1"]
    bodies = [r.body for r in scripted_openai.completion_requests]
    assert [b.get("n") for b in bodies] == [None, 2, None]


async def test_typing_into_the_second_candidate_is_served_from_the_cache_and_accepted(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.choices("x * 2\n", "x - 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, URI, "python", TEXT)
        await inline_at(lsp, URI, LINE, COLUMN)
        invoked = await inline_at(lsp, URI, LINE, COLUMN, INVOKED)
        assert _texts(invoked) == ["x + 1", "x * 2", "x - 1"]
        insert_text(lsp, URI, 2, LINE, COLUMN, "x *")
        typed = await inline_at(lsp, URI, LINE, COLUMN + 3)
        assert _texts(typed) == [" 2"]
        assert typed is not None and typed.items[0].command is not None
        command = typed.items[0].command
        insert_text(lsp, URI, 3, LINE, COLUMN + 3, " 2")
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert len(scripted_openai.completion_requests) == 2, "the typed-into candidate was cached"
    assert status is not None and status["accepted"] == 1
