"""Each of Grove's log lines reaches the user once: the editor's log while one is connected.

Editors show the server's stderr in the same output channel as ``window/logMessage``, so a line
sent to both appeared twice; stderr keeps debug and trace lines (see also ``test_privacy``).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import endpoint_options, open_document, server_env
from tests.e2e.test_privacy import logged_client, status
from tests.support.scripted_openai import ScriptedOpenAI


async def test_a_log_line_reaches_the_editor_once_and_not_stderr(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    log = tmp_path / "stderr.log"
    options = {**endpoint_options(scripted_openai.base_url), "logLevel": "debug"}
    path = tmp_path / "app.py"
    path.write_text("x = 1\n")
    async with logged_client(options, log, env=server_env(), root=tmp_path) as lsp:
        open_document(lsp, path.as_uri(), "python", path.read_text())
        await status(lsp)
        editor = [m.message for m in lsp.log_messages]
    stderr = log.read_text(encoding="utf-8")
    initialised = [m for m in editor if "grove initialised" in m]
    assert len(initialised) == 1, editor
    assert "grove initialised" not in stderr  # the editor shows stderr too: once is enough
    assert " DEBUG " in stderr  # what the editor's log never gets still goes to stderr
