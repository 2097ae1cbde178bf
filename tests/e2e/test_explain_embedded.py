"""Explanations from the real embedded SmolLM2 model (nothing configured)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from analyzers.markdown import sanitize_markdown
from tests.e2e.harness import FIXTURES, grove_client, open_document, server_env

pytestmark = pytest.mark.embedded

EXAMPLE = FIXTURES / "example" / "fibonacci.py"


async def test_the_embedded_model_explains_a_function_with_progress() -> None:
    text = EXAMPLE.read_text("utf-8")
    uri = EXAMPLE.as_uri()
    async with grove_client(None, env=server_env()) as lsp:
        open_document(lsp, uri, "python", text)
        arguments = [{"textDocument": {"uri": uri}, "position": {"line": 12, "character": 4}}]
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.explain", arguments=arguments)
        )
        again = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.explain", arguments=arguments)
        )
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        reports = list(lsp.progress_reports.values())
    assert status["embedded"] is True and status["lastError"] is None
    assert result["kind"] == "markdown" and set(result) == {"kind", "markdown"}
    markdown = result["markdown"]
    assert isinstance(markdown, str) and markdown.strip()
    assert markdown == sanitize_markdown(markdown)  # what reached the client is already clean
    assert again == result
    assert status["requests"] == 1  # the second answer came from the cache
    first = reports[0]
    assert isinstance(first[0], types.WorkDoneProgressBegin)
    assert isinstance(first[-1], types.WorkDoneProgressEnd) and first[-1].message == "done"
