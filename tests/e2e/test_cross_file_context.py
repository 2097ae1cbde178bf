"""Cross-file context end to end: workspace definitions reach the prompt, ignored files never."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.e2e.harness import endpoint_options, grove_client, inline_at, open_document
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

GEOMETRY = '''\
def area(shape, *, scale=1.0):
    """Area of a shape in square units."""
    return shape.width * shape.height * scale
'''

PRIVATE = "def load_key():\n    return 'do-not-send-this-body'\n"

APP = (
    "from geometry import area\n"
    "from private import load_key\n"
    "\n"
    "\n"
    "def describe(square):\n"
    "    key = load_key()\n"
    "    size = area(square, scale=2.0)\n"
    "    return \n"
)


async def _until_indexed(lsp: Any, files: int, attempts: int = 200) -> None:
    """Poll grove.status until the index holds ``files`` files (it loads in the background)."""
    for _ in range(attempts):
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        if status["workspaceIndex"]["filesCached"] >= files:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workspace index never loaded the imported module")


async def test_imported_definitions_reach_the_prompt_and_ignored_files_do_not(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "geometry.py").write_text(GEOMETRY)
    (tmp_path / "private.py").write_text(PRIVATE)
    (tmp_path / ".gitignore").write_text("private.py\n")
    (tmp_path / "app.py").write_text(APP)
    scripted_openai.script(replies.text("size\n"))
    uri = (tmp_path / "app.py").as_uri()
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, uri, "python", APP)
        await _until_indexed(lsp, 1)
        result = await inline_at(lsp, uri, 7, 11)
    assert result is not None and [i.insert_text for i in result.items] == ["size"]
    prompt = scripted_openai.completion_requests[0].body["prompt"]
    assert prompt.startswith(
        "# path: geometry.py\n"
        "def area(shape, *, scale=1.0):\n"
        '    """Area of a shape in square units."""\n'
        "    ...\n\n"
    )
    assert prompt.endswith("# path: app.py\n" + APP[: APP.index("return ") + len("return ")])
    for request in scripted_openai.requests:
        assert "do-not-send-this-body" not in str(request.body)


async def test_the_setting_turns_cross_file_context_off(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "geometry.py").write_text(GEOMETRY)
    (tmp_path / "app.py").write_text(APP)
    scripted_openai.script(replies.text("size\n"))
    uri = (tmp_path / "app.py").as_uri()
    options = {**endpoint_options(scripted_openai.base_url), "context": {"crossFile": False}}
    async with grove_client(options, root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, uri, "python", APP)
        result = await inline_at(lsp, uri, 7, 11)
    assert result is not None
    prompt = scripted_openai.completion_requests[0].body["prompt"]
    assert "def area(shape" not in prompt
    assert prompt.startswith("# path: ")
