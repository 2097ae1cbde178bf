"""Docstring generation: the "Generate docstring" code action and ``grove.generateDocstring``.

Listing code actions is cheap (tree-sitter only); the action carries no edit and the model
runs in ``codeAction/resolve``. The command computes the same edit, applies it with
``workspace/applyEdit`` and answers an ``edit`` result (``applied: true``; for a client without
``workspace/applyEdit``, ``applied: false`` and the caller applies it), or a ``message`` result
when there is no definition to document at the position (see :mod:`server.lsp.command_results`).
While the model works a cancellable ``$/progress`` bar is shown; cancelling it (or the request)
applies nothing. Both edits are ``TextDocumentEdit``s pinned to the document version the
docstring was computed for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled

from analyzers.docstrings import find_target
from analyzers.parsing import SourceDocument
from server.docstrings import (
    DocstringError,
    DocstringResult,
    NothingToDocument,
    generate_docstring,
)
from server.lsp.cancellation import cancel_with_the_request
from server.lsp.command_args import read_command_args, read_position
from server.lsp.command_results import (
    CommandResult,
    client_applies_edits,
    edit_result,
    message_result,
)
from server.lsp.documents import OpenDocument
from server.lsp.features.code_actions import CodeActionProvider, sendable_document
from server.lsp.progress import WorkProgress
from server.lsp.state import GroveServer

log = logging.getLogger(__name__)

GENERATE_DOCSTRING = "grove.generateDocstring"
KIND = types.CodeActionKind.RefactorRewrite
_REQUEST_FAILED = int(types.LSPErrorCodes.RequestFailed.value)


class _UserCancelled(Exception):
    """The user cancelled the progress bar: nothing is applied, nothing is reported."""


def register(server: GroveServer) -> None:
    """Wire the command (the code action is wired through :data:`CODE_ACTIONS`)."""
    server.command(GENERATE_DOCSTRING)(generate_docstring_command)


def code_action(ls: GroveServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Offer "Generate docstring" (or "Regenerate") on a function, method or class."""
    document = sendable_document(ls, params, "docstring")
    if document is None:
        return []
    offset = document.offset_at(params.range.start, ls.encoding)
    target = find_target(document.source, offset)
    if target is None:
        return []
    verb = "Regenerate" if target.existing is not None else "Generate"
    position = {"line": params.range.start.line, "character": params.range.start.character}
    title = f"{verb} docstring for {target.name}"
    action = types.CodeAction(
        title=title, kind=KIND, data=CODE_ACTIONS.tag({"uri": document.uri, "position": position})
    )
    if not _client_resolves_edits(ls):
        # No codeAction/resolve for edits: the action runs the command instead.
        action.command = types.Command(
            title=title, command=GENERATE_DOCSTRING, arguments=[document.uri, position]
        )
    return [action]


def _client_resolves_edits(ls: GroveServer) -> bool:
    text_document = ls.client_capabilities.text_document
    code_action = text_document.code_action if text_document is not None else None
    support = code_action.resolve_support if code_action is not None else None
    return support is not None and "edit" in support.properties


async def resolve_code_action(ls: GroveServer, action: types.CodeAction) -> types.CodeAction:
    """Run the model and attach the validated edit (no edit when it cannot be produced)."""
    uri, position = _unpack(action.data)
    try:
        document, result, version = await _compute(ls, uri, position)
    except DocstringError as error:
        ls.notify_user("warning", f"Grove: {error}")
        return action
    except _UserCancelled:
        return action
    action.edit = _workspace_edit(ls, document, result, version)
    return action


async def generate_docstring_command(ls: GroveServer, *args: Any) -> CommandResult:
    """Compute the docstring at the given position and apply it with workspace/applyEdit.

    Arguments: ``[uri, position]`` or one ``TextDocumentPositionParams``-shaped object (what
    the editor plugins send). Returns an ``edit`` result (``applied`` unless the client lacks
    ``workspace/applyEdit``), or a ``message`` result when nothing here can be documented.
    """
    uri, position = _unpack(list(args))
    cancel_with_the_request(ls)
    try:
        document, result, version = await _compute(ls, uri, position)
    except NothingToDocument as nothing:
        return message_result(str(nothing))
    except DocstringError as error:
        raise JsonRpcInvalidParams(message=str(error)) from None
    except _UserCancelled:
        raise JsonRpcRequestCancelled(message="Cancelled: no docstring was written.") from None
    edit = _workspace_edit(ls, document, result, version)
    if not client_applies_edits(ls.client_capabilities):
        return edit_result(edit, applied=False)
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"Docstring for {result.target.name}")
    )
    if not response.applied:
        reason = f": {response.failure_reason}" if response.failure_reason else ""
        raise JsonRpcException(
            message=f"The editor did not apply the docstring{reason}.", code=_REQUEST_FAILED
        )
    return edit_result(edit, applied=True)


def _unpack(args: Any) -> tuple[str, types.Position]:
    """(uri, position) from action data or command arguments (:func:`read_command_args`)."""
    expects = f"{GENERATE_DOCSTRING} expects a document URI and a position"
    call = read_command_args(args if isinstance(args, list) else [args], expects, ("position",))
    try:
        return call.uri, read_position(call.value)
    except JsonRpcInvalidParams:
        raise JsonRpcInvalidParams(message=expects) from None


async def _compute(
    ls: GroveServer, uri: str, position: types.Position
) -> tuple[OpenDocument, DocstringResult, int]:
    await ls.wait_for_settings()
    document = ls.documents.get(uri)
    if document is None:
        raise DocstringError(f"The document is not open in Grove: {uri}")
    version = document.version
    offset = document.offset_at(position, ls.encoding)
    # The model may run for seconds while the user types: work on a snapshot of the text.
    snapshot = SourceDocument(document.source.text, document.source.language)
    target = find_target(snapshot, offset)
    name = target.name if target is not None else "the definition"
    progress = WorkProgress(ls, f"Grove: writing docstring for {name}")
    try:
        async with progress:
            result = await generate_docstring(
                ls.backend,
                ls.send_policy,
                snapshot,
                offset,
                document.path,
                style=ls.settings.docstring_style,
                progress=progress.report,
            )
    except asyncio.CancelledError:
        if not progress.cancelled_by_user:
            raise  # $/cancelRequest: pygls answers the request
        # The bar's cancel button: answer the request ourselves (pygls leaves command
        # requests unanswered when their task is cancelled).
        uncancel = getattr(asyncio.current_task(), "uncancel", None)  # Python >= 3.11
        if uncancel is not None:
            uncancel()
        raise _UserCancelled from None
    if document.version != version:
        raise DocstringError("The document changed while the docstring was being written.")
    log.info("docstring for %s from %s", result.target.name, result.source)
    if result.source == "skeleton":
        why = "; ".join(result.problems) or "no model answer"
        ls.notify_user(
            "warning",
            f"Grove: no model answer for {result.target.name} passed validation ({why}); "
            "inserted a TODO skeleton instead.",
        )
    return document, result, version


def _workspace_edit(
    ls: GroveServer, document: OpenDocument, result: DocstringResult, version: int
) -> types.WorkspaceEdit:
    start = document.position_at(result.edit.start, ls.encoding)
    end = document.position_at(result.edit.end, ls.encoding)
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=document.uri, version=version
                ),
                edits=[
                    types.TextEdit(
                        range=types.Range(start=start, end=end), new_text=result.edit.text
                    )
                ],
            )
        ]
    )


CODE_ACTIONS = CodeActionProvider(
    name="docstring", kinds=(KIND,), list_actions=code_action, resolve=resolve_code_action
)
