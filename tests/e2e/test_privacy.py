"""Privacy end to end: what never reaches the model endpoint, the logs or the editor.

Against the real server over stdio and the scripted OpenAI server: secret and ignored files send
nothing (as the current file, or as context even when open with unsaved changes); ignore-file
edits apply without a restart; a broken ignore file fails closed with one message; inline
secrets are redacted in completion and docstring requests and an answer repeating a placeholder
is never applied; the API key appears nowhere; prompts are logged only at ``trace``.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.e2e.harness import (
    capabilities,
    endpoint_options,
    grove_client,
    inline_at,
    open_document,
    server_env,
)
from tests.e2e.test_cross_file_context import APP, GEOMETRY
from tests.fixtures.secrets.fake_secrets import FAKE, secret_values, with_secrets
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

# A distinctive API key that matches none of the generic key patterns Grove scrubs anyway, so
# only the exact-key scrubbing can keep it out of messages.
API_KEY = "Gv7qZ81pXw0" + "-privacy-canary-" + "4Hn2Lm"
API_KEY_ENV = "GROVE_PRIVACY_TEST_KEY"


async def status(lsp: LanguageClient) -> Any:
    """``grove.status`` (also a round trip: earlier notifications have been handled)."""
    return await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="grove.status")
    )


def not_shown(result: types.InlineCompletionList | None) -> bool:
    """Whether an inline completion answer holds no suggestion."""
    return result is not None and not result.items


def posts(server: ScriptedOpenAI) -> list[str]:
    """The raw bodies of every POST the endpoint received, as sent over HTTP."""
    return [r.raw_body.decode("utf-8") for r in server.completion_requests]


@asynccontextmanager
async def logged_client(
    options: dict[str, Any], log: Path, *, env: dict[str, str], root: Path
) -> AsyncIterator[LanguageClient]:
    """A Grove client whose server writes its stderr to ``log``."""
    command = shlex.join([sys.executable, "-m", "server", "serve", "--log-level", "debug"])
    config = ClientServerConfig(
        server_command=["sh", "-c", f"exec {command} 2>{shlex.quote(str(log))}"],
        server_env=env,
    )
    lsp = await config.start()
    assert isinstance(lsp, LanguageClient)
    await lsp.initialize_session(
        types.InitializeParams(
            capabilities=capabilities("vscode"),
            initialization_options=options,
            root_uri=root.as_uri(),
        )
    )
    try:
        yield lsp
    finally:
        await lsp.shutdown_session()
        await lsp.stop()


# ------------------------------------------------------------------------------------------
# Secret and ignored files


async def test_no_request_at_all_for_a_secret_or_ignored_current_file(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / ".groveignore").write_text("private/\n")
    (tmp_path / "private").mkdir()
    files = {
        "secrets.py": tmp_path / "secrets.py",  # a built-in secret pattern
        "private/notes.py": tmp_path / "private" / "notes.py",  # .groveignore
        "app.py": tmp_path / "app.py",
    }
    text = "def total(values):\n    return \n"
    for path in files.values():
        path.write_text(text)
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        results = {}
        for name, path in files.items():
            open_document(lsp, path.as_uri(), "python", text)
            results[name] = await inline_at(lsp, path.as_uri(), 1, 11)
    assert not_shown(results["secrets.py"])
    assert not_shown(results["private/notes.py"])
    (request,) = scripted_openai.completion_requests  # app.py's, the control
    assert request.body["prompt"].startswith("# path: app.py\n")


UNSAVED_PRIVATE = (
    "def load_key():\n"
    "    return 'unsaved-buffer-body'\n"
    "\n"
    "\n"
    "def describe_square(square):\n"
    "    key = load_key()\n"
    "    size = area(square, scale=2.0)\n"
    "    return size\n"
)


async def test_an_ignored_file_open_with_unsaved_changes_never_reaches_a_prompt(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "geometry.py").write_text(GEOMETRY)
    (tmp_path / "private.py").write_text("def load_key():\n    return None\n")  # on disk
    (tmp_path / ".gitignore").write_text("private.py\n")
    (tmp_path / "app.py").write_text(APP)
    scripted_openai.script(replies.text("size\n"))
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        # The ignored file is open and edited (unsaved): its buffer is as similar as can be.
        open_document(lsp, (tmp_path / "private.py").as_uri(), "python", UNSAVED_PRIVATE)
        app = (tmp_path / "app.py").as_uri()
        open_document(lsp, app, "python", APP)
        for _ in range(200):  # the index loads geometry.py in the background
            if (await status(lsp))["workspaceIndex"]["filesCached"] >= 1:
                break
            await asyncio.sleep(0.05)
        result = await inline_at(lsp, app, 7, 11)
    assert result is not None and [i.insert_text for i in result.items] == ["size"]
    (body,) = posts(scripted_openai)
    assert "def area(shape" in json.loads(body)["prompt"]  # cross-file context works...
    assert "unsaved-buffer-body" not in body  # ...but not from the ignored buffer
    assert "describe_square" not in body


async def test_ignore_file_edits_apply_without_a_restart(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.py"
    text = "a = \nb = \nc = \n"
    notes.write_text(text)
    groveignore = tmp_path / ".groveignore"
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, notes.as_uri(), "python", text)
        await inline_at(lsp, notes.as_uri(), 0, 4)
        assert len(scripted_openai.completion_requests) == 1

        groveignore.write_text("notes.py\n")
        lsp.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(groveignore.as_uri(), types.FileChangeType.Created)]
            )
        )
        ignored = await inline_at(lsp, notes.as_uri(), 1, 4)
        assert not_shown(ignored)
        assert len(scripted_openai.completion_requests) == 1

        groveignore.unlink()
        lsp.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(groveignore.as_uri(), types.FileChangeType.Deleted)]
            )
        )
        await inline_at(lsp, notes.as_uri(), 2, 4)
        assert len(scripted_openai.completion_requests) == 2


async def test_saving_an_ignore_file_applies_it_without_file_watchers(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.py"
    text = "a = \nb = \n"
    notes.write_text(text)
    groveignore = tmp_path / ".groveignore"
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, notes.as_uri(), "python", text)
        await inline_at(lsp, notes.as_uri(), 0, 4)
        assert len(scripted_openai.completion_requests) == 1

        groveignore.write_text("notes.py\n")  # edited and saved in the editor
        lsp.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=groveignore.as_uri())
            )
        )
        ignored = await inline_at(lsp, notes.as_uri(), 1, 4)
    assert not_shown(ignored)
    assert len(scripted_openai.completion_requests) == 1


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (".gitignore", b"build/\n[z-a]\n", ".gitignore:2"),
        (".groveignore", b"\xff\xfe not utf-8 \xc3\x28\n", ".groveignore"),
    ],
    ids=["malformed", "unreadable"],
)
async def test_a_broken_ignore_file_fails_closed_with_one_message(
    scripted_openai: ScriptedOpenAI, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    (tmp_path / name).write_bytes(content)
    app = tmp_path / "app.py"
    text = "a = \nb = \n"
    app.write_text(text)
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, app.as_uri(), "python", text)
        first = await inline_at(lsp, app.as_uri(), 0, 4)
        second = await inline_at(lsp, app.as_uri(), 1, 4)
        await status(lsp)
        messages = [m.message for m in lsp.messages]
    assert not_shown(first)
    assert not_shown(second)
    assert scripted_openai.completion_requests == []
    (message,) = messages
    assert expected in message and "read for context" in message


# ------------------------------------------------------------------------------------------
# Inline secrets


async def test_secrets_are_redacted_in_the_completion_request_body(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    source = with_secrets() + "\n\ndef total(values):\n    return \n\n\n"
    source += f'BACKUP_TOKEN = "{FAKE["GITHUB_TOKEN"]}"\n'
    line = source.count("\n", 0, source.index("    return \n"))
    path = tmp_path / "config.py"
    path.write_text(source)
    scripted_openai.script(replies.text("sum(values)\n"))
    options = endpoint_options(scripted_openai.base_url, mode="suffix")
    async with grove_client(options, root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, path.as_uri(), "python", source)
        result = await inline_at(lsp, path.as_uri(), line, 11)
    assert result is not None and [i.insert_text for i in result.items] == ["sum(values)"]
    (raw,) = posts(scripted_openai)
    for value in secret_values():
        assert value not in raw
    body = json.loads(raw)
    assert "GITHUB_TOKEN = 'REDACTED_SECRET_3'" in body["prompt"]
    assert 'BACKUP_TOKEN = "REDACTED_SECRET_3"' in body["suffix"]  # same value, same name


async def test_a_completion_repeating_a_placeholder_is_not_shown(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    source = f'password = "{FAKE["PASSWORD"]}"\nbackup = \n'
    path = tmp_path / "settings_local.py"
    path.write_text(source)
    scripted_openai.script(replies.text('"REDACTED_SECRET_1"\n'))
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, path.as_uri(), "python", source)
        result = await inline_at(lsp, path.as_uri(), 1, 9)
    assert not_shown(result)
    (raw,) = posts(scripted_openai)
    assert FAKE["PASSWORD"] not in raw and "REDACTED_SECRET_1" in raw


DOCSTRING_SOURCE = (
    "def connect(host):\n"
    f'    password = "{FAKE["PASSWORD"]}"\n'
    f'    token = "{FAKE["GITHUB_TOKEN"]}"\n'
    "    return open_db(host, password, token)\n"
)
ECHOING_DOCSTRING = (
    "Connect with the password REDACTED_SECRET_1.\n\n"
    "Args:\n    host: The database host.\n\n"
    "Returns:\n    The connection."
)
GOOD_DOCSTRING = (
    "Connect to the database.\n\nArgs:\n    host: The database host.\n\n"
    "Returns:\n    The connection."
)


async def _docstring_edits(
    server: ScriptedOpenAI, tmp_path: Path
) -> list[types.ApplyWorkspaceEditParams]:
    """Run grove.generateDocstring on ``connect``; the edits the client was asked to apply."""
    path = tmp_path / "db.py"
    path.write_text(DOCSTRING_SOURCE)
    options = endpoint_options(server.base_url, mode="chat")
    async with grove_client(options, root_uri=tmp_path.as_uri()) as lsp:
        received: list[types.ApplyWorkspaceEditParams] = []

        @lsp.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            received.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        open_document(lsp, path.as_uri(), "python", DOCSTRING_SOURCE)
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="grove.generateDocstring",
                arguments=[path.as_uri(), {"line": 3, "character": 4}],
            )
        )
    return received


def _edit_texts(received: list[types.ApplyWorkspaceEditParams]) -> list[str]:
    texts = []
    for params in received:
        for change in params.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            texts.extend(edit.new_text for edit in change.edits)
    return texts


async def test_docstring_requests_are_redacted_and_a_good_answer_is_applied(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    scripted_openai.script(replies.text(GOOD_DOCSTRING))
    (text,) = _edit_texts(await _docstring_edits(scripted_openai, tmp_path))
    assert text.startswith('    """Connect to the database.')
    (raw,) = posts(scripted_openai)
    for value in secret_values():
        assert value not in raw
    assert "REDACTED_SECRET_1" in raw and "REDACTED_SECRET_2" in raw


async def test_a_docstring_answer_repeating_a_placeholder_is_never_applied(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    scripted_openai.script(replies.text(ECHOING_DOCSTRING), replies.text(ECHOING_DOCSTRING))
    texts = _edit_texts(await _docstring_edits(scripted_openai, tmp_path))
    assert len(scripted_openai.completion_requests) == 2  # rejected, retried, rejected
    assert texts and all("REDACTED_SECRET" not in text for text in texts)
    assert all("TODO" in text for text in texts)  # the marked skeleton instead
    for raw in posts(scripted_openai):
        assert FAKE["PASSWORD"] not in raw


# ------------------------------------------------------------------------------------------
# Logs, messages and status


async def test_the_api_key_appears_in_no_log_message_or_status(
    scripted_openai: ScriptedOpenAI, closed_port_url: str, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    text = "a = \nb = \n"
    app.write_text(text)
    scripted_openai.script(
        replies.status(401, body={"error": {"message": f"Incorrect API key provided: {API_KEY}"}}),
        replies.status(500, body={"error": {"message": f"upstream rejected {API_KEY}"}}),
    )
    env = server_env(**{API_KEY_ENV: API_KEY})
    seen: list[str] = []
    for number, base_url in enumerate((scripted_openai.base_url, closed_port_url)):
        options = {
            **endpoint_options(base_url),
            "endpoint": {"baseUrl": base_url, "apiKeyEnv": API_KEY_ENV},
            "logLevel": "trace",
        }
        log = tmp_path / f"stderr-{number}.log"
        async with logged_client(options, log, env=env, root=tmp_path) as lsp:
            open_document(lsp, app.as_uri(), "python", text)
            await inline_at(lsp, app.as_uri(), 0, 4)
            await inline_at(lsp, app.as_uri(), 1, 4)
            seen.append(json.dumps(await status(lsp)))
            seen.extend(m.message for m in lsp.messages)
            seen.extend(m.message for m in lsp.log_messages)
        seen.append(log.read_text(encoding="utf-8"))
    everything = "\n".join(seen)
    assert "HTTP 401" in everything and "HTTP 500" in everything  # the failures did happen
    assert "Cannot reach the model endpoint" in everything
    assert "TRACE" in everything and "model call failed" in everything  # logs were captured
    # The key did go out (as the bearer token), and nowhere else.
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in scripted_openai.requests)
    assert API_KEY not in everything
    assert API_KEY[:12] not in everything


@pytest.mark.parametrize("level", ["debug", "trace"])
async def test_prompts_are_logged_only_at_trace_and_only_redacted(
    scripted_openai: ScriptedOpenAI, tmp_path: Path, level: str
) -> None:
    source = f'password = "{FAKE["PASSWORD"]}"\n\n\ndef describe_the_marker():\n    return \n'
    path = tmp_path / "marker.py"
    path.write_text(source)
    scripted_openai.script(replies.text("1\n"))
    options = {**endpoint_options(scripted_openai.base_url), "logLevel": level}
    log = tmp_path / "stderr.log"
    async with logged_client(options, log, env=server_env(), root=tmp_path) as lsp:
        open_document(lsp, path.as_uri(), "python", source)
        await inline_at(lsp, path.as_uri(), 4, 11)
        await status(lsp)
        editor_log = "\n".join(m.message for m in lsp.log_messages)
    stderr = log.read_text(encoding="utf-8")
    assert len(scripted_openai.completion_requests) == 1
    assert "POST /completions" in stderr  # the request itself is logged at debug and trace
    assert FAKE["PASSWORD"] not in stderr + editor_log
    assert "describe_the_marker" not in editor_log  # the editor's log never gets prompts
    if level == "trace":
        assert "describe_the_marker" in stderr
        assert "REDACTED_SECRET_1" in stderr
    else:
        assert "describe_the_marker" not in stderr


async def test_redaction_can_be_turned_off(scripted_openai: ScriptedOpenAI, tmp_path: Path) -> None:
    source = f'password = "{FAKE["PASSWORD"]}"\nbackup = \n'
    path = tmp_path / "settings_local.py"
    path.write_text(source)
    options = {**endpoint_options(scripted_openai.base_url), "privacy": {"redactSecrets": False}}
    async with grove_client(options, root_uri=tmp_path.as_uri()) as lsp:
        open_document(lsp, path.as_uri(), "python", source)
        await inline_at(lsp, path.as_uri(), 1, 9)
    (raw,) = posts(scripted_openai)
    assert FAKE["PASSWORD"] in raw and "REDACTED_SECRET" not in raw
