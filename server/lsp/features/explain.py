"""Explanations: the "Explain this code" / "Explain this diagnostic" code actions and commands.

Listing is cheap (tree-sitter and cache look-ups only): "Explain this code" (kind ``""``) for a
non-blank selection or the definition at the cursor, one "Explain this diagnostic: …"
(``quickfix``) per diagnostic in the request's context, and — once an explanation proposed a fix
that validated against the current document version — "Apply suggested fix: …" (``quickfix``,
carrying the ``WorkspaceEdit``, applied only when the user picks it).

The commands ``grove.explain`` (``[uri, range|position]`` or one ``{textDocument, range |
position}`` object) and ``grove.explainDiagnostic`` (``[uri, diagnostic]`` or one
``{textDocument, diagnostic}`` object) answer a ``markdown`` result with the explanation, or a
``message`` result when there is nothing to explain at the position (see
:mod:`server.lsp.command_results`). While the model writes, ``$/progress`` reports carry the tail of
the text so far, and a client that put ``"stream": token`` in the object gets
``grove/explanationProgress`` notifications ``{token, markdown}`` with the whole sanitised text
so far, to render as it grows; the final result's Markdown replaces it.
``grove.explain.show`` adds a Markdown document (``window/showDocument`` of a file under the OS
temp directory) or a ``window/showMessage`` summary for clients that drop command results.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from analyzers.explain import FixEdit, code_subject, short_message
from analyzers.parsing import SourceDocument
from server.explain import (
    DiagnosticInfo,
    ExplainError,
    ExplainRequest,
    Explanation,
    NothingToExplain,
    StoredFix,
    explain,
)
from server.lsp.cancellation import cancel_with_the_request
from server.lsp.command_args import read_command_args, read_position, read_range
from server.lsp.command_results import CommandResult, markdown_result, message_result
from server.lsp.documents import OpenDocument
from server.lsp.features.code_actions import CodeActionProvider, sendable_document, wanted
from server.lsp.progress import WorkProgress
from server.lsp.state import GroveServer

log = logging.getLogger(__name__)

EXPLAIN = "grove.explain"
EXPLAIN_DIAGNOSTIC = "grove.explainDiagnostic"
CODE_KIND = types.CodeActionKind.Empty
DIAGNOSTIC_KIND = types.CodeActionKind.QuickFix
VIA_CODE_ACTION = "codeAction"
STREAM_NOTIFICATION = "grove/explanationProgress"
_PROGRESS_CHARS = 160
_MAX_TOKEN = 200
_KEPT_DOCUMENTS = 20
_SEVERITIES = {1: "error", 2: "warning", 3: "information", 4: "hint"}
_REQUEST_FAILED = int(types.LSPErrorCodes.RequestFailed.value)


def register(server: GroveServer) -> None:
    """Wire the commands (the code actions are wired through :data:`CODE_ACTIONS`)."""
    server.command(EXPLAIN)(explain_command)
    server.command(EXPLAIN_DIAGNOSTIC)(explain_diagnostic_command)


# ------------------------------------------------------------------------------ code actions


def code_action(ls: GroveServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Offer the explain actions (and validated fixes) for the range and its diagnostics."""
    document = sendable_document(ls, params, "explain")
    if document is None:
        return []
    uri = document.uri
    only = params.context.only
    actions: list[types.CodeAction] = []
    if wanted(only, (CODE_KIND,)):
        start = document.offset_at(params.range.start, ls.encoding)
        end = document.offset_at(params.range.end, ls.encoding)
        subject = code_subject(document.source, start, end)
        if subject is not None:
            title = "Explain this code"
            if subject.name:
                title += f" ({subject.label})"
            arguments = [
                {
                    "textDocument": {"uri": uri},
                    "range": _range_json(params.range),
                    "via": VIA_CODE_ACTION,
                }
            ]
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=CODE_KIND,
                    command=types.Command(title=title, command=EXPLAIN, arguments=arguments),
                    data=CODE_ACTIONS.tag({"uri": uri}),
                )
            )
    if wanted(only, (DIAGNOSTIC_KIND,)):
        for diagnostic in params.context.diagnostics:
            actions.extend(_diagnostic_actions(ls, document, diagnostic))
    return actions


def _diagnostic_actions(
    ls: GroveServer, document: OpenDocument, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    short = short_message(diagnostic.message)
    title = f"Explain this diagnostic: {short}"
    arguments = [
        {
            "textDocument": {"uri": document.uri},
            "diagnostic": _diagnostic_json(diagnostic),
            "via": VIA_CODE_ACTION,
        }
    ]
    actions = [
        types.CodeAction(
            title=title,
            kind=DIAGNOSTIC_KIND,
            diagnostics=[diagnostic],
            command=types.Command(title=title, command=EXPLAIN_DIAGNOSTIC, arguments=arguments),
            data=CODE_ACTIONS.tag({"uri": document.uri}),
        )
    ]
    stored = ls.explanations.fix(_fix_key(document.uri, diagnostic))
    if stored is not None and stored.version == document.version:
        actions.append(
            types.CodeAction(
                title=stored.title,
                kind=DIAGNOSTIC_KIND,
                diagnostics=[diagnostic],
                edit=_workspace_edit(ls, document, stored.edit, stored.version),
                data=CODE_ACTIONS.tag({"uri": document.uri}),
            )
        )
    return actions


async def resolve_code_action(ls: GroveServer, action: types.CodeAction) -> types.CodeAction:
    """Nothing to add: explain actions run their command, fixes carry their edit."""
    return action


# ---------------------------------------------------------------------------------- commands


async def explain_command(ls: GroveServer, *args: Any) -> CommandResult:
    """Explain the selection, else the definition at the position (a ``markdown`` result)."""
    call = _unpack(args, EXPLAIN, ("range", "position"))
    document = _document(ls, call.uri)
    where = call.value
    if "start" in where:
        rng = read_range(where)
    else:
        position = read_position(where)
        rng = types.Range(start=position, end=position)
    start = document.offset_at(rng.start, ls.encoding)
    end = document.offset_at(rng.end, ls.encoding)
    return await _run(ls, document, start, end, None, call)


async def explain_diagnostic_command(ls: GroveServer, *args: Any) -> CommandResult:
    """Explain one diagnostic (likely cause, suggested fix): a ``markdown`` result.

    Without a diagnostic (none under the editor's cursor) the answer is a ``message`` result.
    """
    try:
        call = _unpack(args, EXPLAIN_DIAGNOSTIC, ("diagnostic",))
    except NothingToExplain as nothing:
        return message_result(str(nothing))
    document = _document(ls, call.uri)
    diagnostic = _parse_diagnostic(call.value)
    start = document.offset_at(diagnostic.range.start, ls.encoding)
    end = document.offset_at(diagnostic.range.end, ls.encoding)
    return await _run(ls, document, start, end, diagnostic, call)


def _document(ls: GroveServer, uri: str) -> OpenDocument:
    document = ls.documents.get(uri)
    if document is None:
        raise JsonRpcInvalidParams(message=f"The document is not open in Grove: {uri}")
    return document


async def _run(
    ls: GroveServer,
    document: OpenDocument,
    start: int,
    end: int,
    diagnostic: types.Diagnostic | None,
    call: _Call,
) -> CommandResult:
    """Explain, with progress and delivery; errors become one clear JSON-RPC error."""
    cancel_with_the_request(ls)
    await ls.wait_for_settings()
    try:
        version = document.version
        # The model may write for seconds while the user types: work on a snapshot.
        snapshot = SourceDocument(document.source.text, document.source.language)
        info = None
        if diagnostic is not None:
            info = DiagnosticInfo(
                message=diagnostic.message,
                start=min(start, end),
                end=max(start, end),
                code=None if diagnostic.code is None else str(diagnostic.code),
                source=diagnostic.source,
                severity=_SEVERITIES.get(int(diagnostic.severity)) if diagnostic.severity else None,
            )
        path = document.path
        request = ExplainRequest(
            source=snapshot,
            start=start,
            end=end,
            path=path,
            shown_path=ls.related_context.display_path(path) if path else None,
            language_id=document.language_id,
            diagnostic=info,
        )
        title = "Grove: explaining the diagnostic" if info else "Grove: explaining the code"
        async with WorkProgress(ls, title) as progress:
            result = await explain(
                ls.backend,
                ls.settings,
                request,
                ls.explanations,
                ls.send_policy,
                related=ls.related_context,
                on_text=lambda text: _on_text(ls, progress, call.stream, text),
            )
    except NothingToExplain as nothing:
        if call.via and call.stream is None:  # editors drop the results of code actions
            ls.notify_user("info", f"Grove: {nothing}")
        return message_result(str(nothing))
    except ExplainError as error:
        if call.via and call.stream is None:  # a streaming client shows the error itself
            ls.notify_user("warning", f"Grove: {error}")
        raise JsonRpcException(message=str(error), code=_REQUEST_FAILED) from None
    log.info("explained %s (cached=%s)", result.subject, result.cached)
    if diagnostic is not None:
        key = _fix_key(document.uri, diagnostic)
        if result.fix is not None and document.version == version:
            title = f"Apply suggested fix: {short_message(diagnostic.message)}"
            ls.explanations.remember_fix(key, StoredFix(version, result.fix, title))
        else:
            ls.explanations.remember_fix(key, None)
    await _deliver(ls, result, call)
    return markdown_result(result.markdown)


def _on_text(ls: GroveServer, progress: WorkProgress, stream: str | None, text: str) -> None:
    """Relay the text so far: its tail to the progress bar, all of it to a streaming client."""
    progress.report(_progress_line(text))
    if stream is not None:
        ls.protocol.notify(STREAM_NOTIFICATION, {"token": stream, "markdown": text})


def _progress_line(text: str) -> str:
    """The tail of the text so far on one line (progress messages are one line in editors)."""
    flat = " ".join(text.split())
    if len(flat) <= _PROGRESS_CHARS:
        return flat
    return "…" + flat[-(_PROGRESS_CHARS - 1) :]


# ---------------------------------------------------------------------------------- delivery


async def _deliver(ls: GroveServer, result: Explanation, call: _Call) -> None:
    """Show the explanation besides the command result, as ``grove.explain.show`` says."""
    mode = ls.settings.explain_show
    if mode == "auto":
        # A client that streams the text renders it; one that ran a code action may drop results.
        mode = "document" if call.via and call.stream is None else "result"
    heading = f"Explanation of the {result.subject}"
    if mode == "document":
        if _supports_show_document(ls) and await _show_document(ls, heading, result.markdown):
            return
        mode = "message"
    if mode == "message":
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info, message=f"Grove: {result.summary or heading}"
            )
        )


def _supports_show_document(ls: GroveServer) -> bool:
    window = ls.client_capabilities.window
    support = window.show_document if window is not None else None
    return support is not None and support.support


def _explanations_directory() -> Path:
    user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"grove-explanations-{user}"


async def _show_document(ls: GroveServer, heading: str, markdown: str) -> bool:
    """Write the explanation to a Markdown file and ask the client to show it."""
    content = f"# {heading}\n\n{markdown}\n"
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    slug = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")
    directory = _explanations_directory()
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        path = directory / f"{slug}-{digest}.md"
        path.write_text(content, encoding="utf-8")
        old = sorted(directory.glob("*.md"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[_KEPT_DOCUMENTS:]:
            stale.unlink(missing_ok=True)
    except OSError as error:
        log.warning("could not write the explanation document: %s", error)
        return False
    try:
        shown = await ls.window_show_document_async(
            types.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
        )
    except Exception as error:  # a client that refuses or fails: fall back to a message
        log.info("window/showDocument failed: %s", error)
        return False
    return bool(shown is not None and shown.success)


# ---------------------------------------------------------------------------- (un)packing


@dataclass(frozen=True)
class _Call:
    """One explain command's arguments."""

    uri: str
    value: dict[str, Any]
    via: bool
    """Started from a code action."""
    stream: str | None
    """The client's token for ``grove/explanationProgress``, if it wants the text as it grows."""


def _unpack(args: Any, command: str, keys: tuple[str, ...]) -> _Call:
    """The URI, the first of ``keys`` present, ``via`` and ``stream``."""
    expects = f"{command} expects a document URI and a {' or '.join(keys)}"
    call = read_command_args(args, expects, keys)
    if not isinstance(call.value, dict):
        if keys == ("diagnostic",) and call.value is None:
            raise NothingToExplain("No diagnostic to explain: put the cursor on a diagnostic.")
        raise JsonRpcInvalidParams(message=expects)
    stream = call.fields.get("stream")
    if stream is not None and not (isinstance(stream, str) and 0 < len(stream) <= _MAX_TOKEN):
        raise JsonRpcInvalidParams(
            message=f'"stream" must be a string of 1 to {_MAX_TOKEN} characters'
        )
    return _Call(call.uri, call.value, call.fields.get("via") == VIA_CODE_ACTION, stream)


def _parse_diagnostic(raw: dict[str, Any]) -> types.Diagnostic:
    message = raw.get("message")
    if not isinstance(message, str) or not message.strip():
        raise JsonRpcInvalidParams(message="The diagnostic has no message to explain.")
    severity = raw.get("severity")
    code = raw.get("code")
    source = raw.get("source")
    return types.Diagnostic(
        range=read_range(raw.get("range")),
        message=message,
        severity=types.DiagnosticSeverity(severity) if severity in _SEVERITIES else None,
        code=code if isinstance(code, (int, str)) and not isinstance(code, bool) else None,
        source=source if isinstance(source, str) else None,
    )


def _range_json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def _diagnostic_json(diagnostic: types.Diagnostic) -> dict[str, Any]:
    data: dict[str, Any] = {"range": _range_json(diagnostic.range), "message": diagnostic.message}
    if diagnostic.severity is not None:
        data["severity"] = int(diagnostic.severity)
    if diagnostic.code is not None:
        data["code"] = diagnostic.code
    if diagnostic.source is not None:
        data["source"] = diagnostic.source
    return data


def _fix_key(uri: str, diagnostic: types.Diagnostic) -> tuple[object, ...]:
    rng = diagnostic.range
    return (
        uri,
        diagnostic.message,
        None if diagnostic.code is None else str(diagnostic.code),
        diagnostic.source,
        (rng.start.line, rng.start.character, rng.end.line, rng.end.character),
    )


def _workspace_edit(
    ls: GroveServer, document: OpenDocument, edit: FixEdit, version: int
) -> types.WorkspaceEdit:
    start = document.position_at(edit.start, ls.encoding)
    end = document.position_at(edit.end, ls.encoding)
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=document.uri, version=version
                ),
                edits=[types.TextEdit(range=types.Range(start=start, end=end), new_text=edit.text)],
            )
        ]
    )


CODE_ACTIONS = CodeActionProvider(
    name="explain",
    kinds=(DIAGNOSTIC_KIND, CODE_KIND),
    list_actions=code_action,
    resolve=resolve_code_action,
)
