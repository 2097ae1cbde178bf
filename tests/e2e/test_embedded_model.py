"""The real embedded SmolLM2 model through llama.cpp: the default with nothing configured."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lsprotocol import types

from tests.e2e.harness import FIXTURES, grove_client, inline_at, open_document, server_env

pytestmark = pytest.mark.embedded

EXAMPLE = FIXTURES / "example" / "fibonacci.py"


def _llama_servers() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "llama_cpp.server"], capture_output=True, text=True)
    return {int(pid) for pid in out.stdout.split()}


async def test_inline_completion_from_the_embedded_model() -> None:
    before = _llama_servers()
    text = EXAMPLE.read_text("utf-8")
    async with grove_client(None, env=server_env()) as lsp:
        open_document(lsp, EXAMPLE.as_uri(), "python", text)
        result = await inline_at(lsp, EXAMPLE.as_uri(), 8, 21)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        assert _llama_servers() - before, "the embedded model server should be running"
    assert status["embedded"] is True
    assert status["lastError"] is None
    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.insert_text.strip()
    assert "\n" not in item.insert_text  # mid-statement: a single line
    position = types.Position(line=8, character=21)
    assert item.range == types.Range(start=position, end=position)
    assert _llama_servers() == before, "no orphan model process after shutdown"


def test_cli_prints_a_completion_from_the_embedded_model() -> None:
    before = _llama_servers()
    completed = subprocess.run(
        [sys.executable, "-m", "server", "complete", f"{EXAMPLE}:9:22", "--json"],
        capture_output=True,
        text=True,
        env=server_env(),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["text"] and answer["text"].strip()
    assert answer["model"].startswith("smollm2-135m-instruct @ embedded")
    assert answer["line"] == 9 and answer["column"] == 22
    assert _llama_servers() == before
