"""Workspace index end to end: the file watcher registration, watched-file events, folders."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.e2e.harness import capabilities, open_document, server_env

OPTIONS = {"completion": {"enabled": False}}  # no model: these tests are about files


class Recorded:
    """What the client saw of ``client/registerCapability``."""

    def __init__(self) -> None:
        self.registrations: list[types.Registration] = []
        self.received = asyncio.Event()


@asynccontextmanager
async def workspace_client(
    root: Path, *, client: str = "vscode"
) -> AsyncIterator[tuple[LanguageClient, Recorded]]:
    """A client with ``root`` as its workspace folder that accepts capability registrations."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "server", "serve", "--log-level", "debug"],
        server_env=server_env(),
    )
    lsp = await config.start()
    assert isinstance(lsp, LanguageClient)
    recorded = Recorded()

    @lsp.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        recorded.registrations.extend(params.registrations)
        recorded.received.set()

    await lsp.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(client),
            initialization_options=OPTIONS,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    try:
        yield lsp, recorded
    finally:
        await lsp.shutdown_session()
        await lsp.stop()


async def round_trip(lsp: LanguageClient) -> None:
    """One request/response: every notification sent before it has been handled."""
    await lsp.workspace_execute_command_async(types.ExecuteCommandParams(command="grove.status"))


async def message_containing(lsp: LanguageClient, text: str, timeout: float = 10.0) -> str:
    """The first ``window/showMessage`` whose text contains ``text`` (waits for it)."""

    async def wait() -> str:
        while True:
            for message in lsp.messages:
                if text in message.message:
                    return message.message
            await lsp.wait_for_notification(types.WINDOW_SHOW_MESSAGE)

    return await asyncio.wait_for(wait(), timeout)


def watched(*changes: tuple[Path, types.FileChangeType]) -> types.DidChangeWatchedFilesParams:
    return types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=path.as_uri(), type=kind) for path, kind in changes]
    )


async def test_server_registers_a_watcher_for_every_file_when_the_client_can(
    tmp_path: Path,
) -> None:
    async with workspace_client(tmp_path, client="vscode") as (_, recorded):
        await asyncio.wait_for(recorded.received.wait(), 10)
        [registration] = recorded.registrations
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        options = registration.register_options
        assert isinstance(options, dict)
        assert [w["globPattern"] for w in options["watchers"]] == ["**/*"]


async def test_no_watcher_registration_without_dynamic_registration(tmp_path: Path) -> None:
    # The recorded Neovim 0.11 capabilities declare didChangeWatchedFiles.dynamicRegistration false.
    async with workspace_client(tmp_path, client="neovim") as (lsp, recorded):
        await round_trip(lsp)
        assert recorded.registrations == []


async def test_a_watched_ignore_file_change_reaches_the_index(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text("x = 1\n", encoding="utf-8")
    async with workspace_client(tmp_path) as (lsp, _):
        open_document(lsp, source.as_uri(), "python", "x = 1\n")  # the root's rules are read now
        await round_trip(lsp)
        gitignore = tmp_path / ".gitignore"
        gitignore.write_text("build/\n[z-a]\n", encoding="utf-8")  # malformed
        await round_trip(lsp)
        assert not any(".gitignore" in m.message for m in lsp.messages)  # cached until told
        lsp.workspace_did_change_watched_files(watched((gitignore, types.FileChangeType.Created)))
        message = await message_containing(lsp, ".gitignore:2")
        assert str(tmp_path) in message
        assert "read for context" in message


async def test_added_workspace_folders_become_roots(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (second / ".groveignore").write_text("[z-a]\n", encoding="utf-8")
    async with workspace_client(first) as (lsp, _):
        lsp.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=second.as_uri(), name="second")],
                    removed=[],
                )
            )
        )
        # Outside every root the file would not be read; as a root its broken file is reported.
        lsp.workspace_did_change_watched_files(
            watched((second / ".groveignore", types.FileChangeType.Changed))
        )
        message = await message_containing(lsp, ".groveignore")
        assert str(second) in message
