"""Workspace wiring for the index: roots, watched-file events, the file watcher registration.

The index itself (:mod:`server.workspace`) knows nothing of LSP; this module feeds it the
workspace folders (from ``initialize`` and ``workspace/didChangeWorkspaceFolders``) and the
client's file events (``workspace/didChangeWatchedFiles``), and asks clients that support it to
watch every file (``client/registerCapability``) so ignore-file edits apply without a restart.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from server.lsp.documents import uri_to_path
from server.lsp.state import GroveServer

log = logging.getLogger(__name__)

WATCHER_ID = "grove.watchedFiles"
WATCH_GLOB = "**/*"
REGISTRATION_TIMEOUT_S = 10.0

_KINDS = {
    types.FileChangeType.Created: "created",
    types.FileChangeType.Changed: "changed",
    types.FileChangeType.Deleted: "deleted",
}


def register(server: GroveServer) -> None:
    """Wire watched-file and workspace-folder notifications to the workspace index."""
    server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(did_change_watched_files)
    server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(did_change_workspace_folders)


def on_initialize(ls: GroveServer, params: types.InitializeParams) -> None:
    """Called from the ``initialize`` handler: set the index's roots."""
    ls.remember_event_loop()
    ls.workspace_index.set_roots(workspace_roots(ls))


def on_initialized(ls: GroveServer) -> None:
    """Called from the ``initialized`` handler: register the file watcher in the background."""
    if supports_watcher_registration(ls):
        ls.background(register_file_watcher(ls))


def did_change_watched_files(ls: GroveServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Forward each file event to the index (drops cached facts, reloads ignore rules)."""
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is not None:
            ls.workspace_index.file_changed(path, _KINDS.get(change.type, "changed"))


def did_change_workspace_folders(
    ls: GroveServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    """Re-read the roots (pygls has already updated its folder list)."""
    ls.workspace_index.set_roots(workspace_roots(ls))


def workspace_roots(ls: GroveServer) -> list[str]:
    """Filesystem paths of the workspace folders, else of the root URI/path."""
    folders = ls.workspace.folders.values()
    paths = [path for folder in folders if (path := uri_to_path(folder.uri)) is not None]
    if not paths and ls.workspace.root_path:
        paths = [str(ls.workspace.root_path)]
    return paths


def supports_watcher_registration(ls: GroveServer) -> bool:
    """Whether the client accepts dynamic registration of workspace/didChangeWatchedFiles."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    return bool(watched and watched.dynamic_registration)


async def register_file_watcher(ls: GroveServer) -> None:
    """Ask the client to report changes of every workspace file; a refusal is only logged."""
    params = types.RegistrationParams(
        registrations=[
            types.Registration(
                id=WATCHER_ID,
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=WATCH_GLOB)]
                ),
            )
        ]
    )
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(params), timeout=REGISTRATION_TIMEOUT_S
        )
    except Exception as error:  # the client may refuse: ignore-file edits then need a reopen
        log.info("the client did not register Grove's file watcher: %s", error)
        return
    log.debug("file watcher registered (%s)", WATCH_GLOB)
