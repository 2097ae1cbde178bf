"""Start the real Grove server over stdio with recorded editor capabilities (pytest-lsp)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CLIENTS = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.11.0",
}


def capabilities(
    client: str,
    *,
    inline: bool = True,
    encodings: list[str] | None = None,
    experimental: dict[str, Any] | None = None,
    apply_edit: bool = True,
) -> types.ClientCapabilities:
    """Recorded capabilities of ``client``, plus inline completion (which the recordings lack).

    ``apply_edit=False`` plays a client without ``workspace/applyEdit``.
    """
    caps = client_capabilities(CLIENTS[client])
    if experimental is not None:
        caps.experimental = experimental
    if not apply_edit and caps.workspace is not None:
        caps.workspace.apply_edit = False
    if inline:
        text_document = caps.text_document or types.TextDocumentClientCapabilities()
        text_document.inline_completion = types.InlineCompletionClientCapabilities(
            dynamic_registration=False
        )
        caps.text_document = text_document
    if encodings is not None:
        general = caps.general or types.GeneralClientCapabilities()
        general.position_encodings = [types.PositionEncodingKind(e) for e in encodings]
        caps.general = general
    return caps


def server_env(**extra: str) -> dict[str, str]:
    """The test process environment (pytest-lsp replaces it otherwise) minus OpenAI variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(extra)
    return env


@asynccontextmanager
async def grove_client(
    options: dict[str, Any] | None = None,
    *,
    client: str = "vscode",
    inline: bool = True,
    encodings: list[str] | None = None,
    env: dict[str, str] | None = None,
    configuration: dict[str, Any] | None = None,
    root_uri: str | None = None,
    experimental: dict[str, Any] | None = None,
    apply_edit: bool = True,
) -> AsyncIterator[LanguageClient]:
    """A client connected to a fresh ``python -m server`` process, initialised."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "server", "serve", "--log-level", "debug"],
        server_env=env if env is not None else server_env(),
    )
    lsp = await config.start()
    assert isinstance(lsp, LanguageClient)
    if configuration is not None:
        lsp.set_configuration(configuration)
    lsp.initialize_result = await lsp.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities(
                client,
                inline=inline,
                encodings=encodings,
                experimental=experimental,
                apply_edit=apply_edit,
            ),
            initialization_options=options,
            root_uri=root_uri or FIXTURES.as_uri(),
        )
    )
    try:
        yield lsp
    finally:
        await lsp.shutdown_session()
        await lsp.stop()


def endpoint_options(base_url: str, **completion: Any) -> dict[str, Any]:
    """initializationOptions pointing Grove at a scripted endpoint."""
    return {
        "endpoint": {"baseUrl": base_url},
        "model": "scripted-model",
        "logLevel": "debug",
        "completion": {"mode": "prefix", "debounceMs": 0, **completion},
    }


def open_document(
    lsp: LanguageClient, uri: str, language_id: str, text: str, version: int = 1
) -> None:
    """Send didOpen."""
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=version, text=text
            )
        )
    )


def insert_text(
    lsp: LanguageClient, uri: str, version: int, line: int, character: int, text: str
) -> None:
    """Send didChange inserting ``text`` at a position (as typing does)."""
    at = types.Position(line=line, character=character)
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=text
                )
            ],
        )
    )


async def inline_at(
    lsp: LanguageClient,
    uri: str,
    line: int,
    character: int,
    trigger_kind: types.InlineCompletionTriggerKind = types.InlineCompletionTriggerKind.Automatic,
) -> types.InlineCompletionList | None:
    """Ask for inline completion at a position (as typing does, unless ``trigger_kind``)."""
    result = await lsp.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=trigger_kind),
        )
    )
    if isinstance(result, list):
        return types.InlineCompletionList(items=result)
    return result


def read_code_actions_properly(lsp: LanguageClient) -> None:
    """Make the client tell a CodeAction carrying a command from a bare Command.

    lsprotocol's hook takes every item with a ``command`` key for a Command (editors check
    whether ``command`` is a string, as the specification intends).
    """
    converter = lsp.protocol._converter

    def hook(item: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(item.get("command"), str):
            return converter.structure(item, types.Command)
        return converter.structure(item, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)


def accept_edits(lsp: LanguageClient) -> list[types.ApplyWorkspaceEditParams]:
    """Make the test client accept workspace/applyEdit and record each edit."""
    received: list[types.ApplyWorkspaceEditParams] = []

    @lsp.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        received.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return received
