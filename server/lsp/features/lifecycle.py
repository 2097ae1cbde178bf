"""Lifecycle: initialize, settings (initializationOptions and workspace/configuration), shutdown."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from server.lsp.documents import encoding_of
from server.lsp.features import workspace
from server.lsp.logs import set_editor_connected
from server.lsp.state import GroveServer
from server.settings import SECTION

log = logging.getLogger(__name__)


def register(server: GroveServer) -> None:
    """Wire lifecycle and configuration handlers."""
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.EXIT)(exit_)


def initialize(ls: GroveServer, params: types.InitializeParams) -> None:
    """Record the negotiated encoding and the initial settings."""
    set_editor_connected(True)  # from now on log lines go to the editor's log (only)
    ls.encoding = encoding_of(ls.workspace.position_encoding)
    ls.initialization_options = params.initialization_options
    ls.apply_settings(_section(params.initialization_options))
    workspace.on_initialize(ls, params)
    log.info("grove initialised: encoding %s, model %s", ls.encoding, ls.backend.target.label)


async def initialized(ls: GroveServer, params: types.InitializedParams) -> None:
    """Pull workspace settings, then start the model in the background."""
    workspace.on_initialized(ls)
    await pull_configuration(ls)
    ls.settings_ready.set()
    if ls.settings.completion_enabled:
        ls.background(ls.backend.warm_up())


async def did_change_configuration(
    ls: GroveServer, params: types.DidChangeConfigurationParams
) -> None:
    """Re-read settings: pushed ones if the client sent them, else pull."""
    pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
    if pushed is not None and not _can_pull(ls):
        ls.apply_settings(_section(ls.initialization_options), pushed)
        return
    await pull_configuration(ls)


def exit_(ls: GroveServer, params: None) -> None:
    """The editor leaves: log lines go to stderr again."""
    set_editor_connected(False)


async def shutdown(ls: GroveServer, params: None) -> None:
    """Stop the model process and close connections."""
    await ls.backend.aclose()
    ls.workspace_index.close()


def _can_pull(ls: GroveServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull_configuration(ls: GroveServer) -> None:
    """Ask the client for the ``grove`` section when it supports workspace/configuration."""
    if not _can_pull(ls):
        return
    try:
        params = types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        result = await asyncio.wait_for(ls.workspace_configuration_async(params), timeout=5)
    except Exception as error:  # a client that fails this request must not stop the server
        log.warning("workspace/configuration failed: %s", error)
        return
    pulled = result[0] if result else None
    ls.apply_settings(_section(ls.initialization_options), pulled)


def _section(options: object) -> object:
    """The ``grove`` part of an options object (clients send it with or without the key)."""
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        return options[SECTION]
    return options
