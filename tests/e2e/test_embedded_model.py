"""The real embedded SmolLM2 model through llama.cpp: the default with nothing configured.

The model is shared by the user's Grove servers and outlives each of them by an idle grace
period; these tests use their own runtime directory and no grace, and wait for it to stop.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.harness import FIXTURES, grove_client, inline_at, open_document, server_env
from tests.unit.test_llm_local import wait_until

pytestmark = pytest.mark.embedded

EXAMPLE = FIXTURES / "example" / "fibonacci.py"


def _llama_servers() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "llama_cpp.server"], capture_output=True, text=True)
    return {int(pid) for pid in out.stdout.split()}


def _isolated(tmp_path: Path) -> dict[str, str]:
    return server_env(GROVE_RUNTIME_DIR=str(tmp_path / "run"), GROVE_EMBEDDED_IDLE_S="0")


def _no_new_model(before: set[int]) -> bool:
    return wait_until(lambda: not (_llama_servers() - before), timeout=30)


async def test_inline_completion_from_the_embedded_model(tmp_path: Path) -> None:
    before = _llama_servers()
    text = EXAMPLE.read_text("utf-8")
    async with grove_client(None, env=_isolated(tmp_path)) as lsp:
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
    assert await asyncio.to_thread(_no_new_model, before), "no orphan model process after shutdown"


def test_cli_prints_a_completion_from_the_embedded_model(tmp_path: Path) -> None:
    before = _llama_servers()
    completed = subprocess.run(
        [sys.executable, "-m", "server", "complete", f"{EXAMPLE}:9:22", "--json"],
        capture_output=True,
        text=True,
        env=_isolated(tmp_path),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["text"] and answer["text"].strip()
    assert answer["model"].startswith("smollm2-135m-instruct @ embedded")
    assert answer["line"] == 9 and answer["column"] == 22
    assert _no_new_model(before)
