"""LLM review diagnostics: triggers, pull or push delivery, the ``grove.review`` command.

Triggers (``grove.review.trigger``): ``onSave`` (didSave), ``onIdle`` (didOpen, and
``grove.review.idleMs`` after the last didChange), ``manual`` (only ``grove.review``) or
``auto`` (the default: ``onSave`` with a model endpoint, ``manual`` with the embedded model). A
review runs in the background under a ``$/progress`` bar ("3/7 units"); a trigger that arrives
while one runs makes it run once more at the end, for what changed meanwhile.

Delivery: clients that pull diagnostics and accept ``workspace/diagnostic/refresh`` get
``textDocument/diagnostic`` reports (with result ids) and a refresh when findings change; the
others get ``textDocument/publishDiagnostics`` (also re-sent shortly after edits, so the findings
follow the lines they quote, and after every settings change, so a new severity shows at once).
Each diagnostic: source ``grove``, the category as ``code``, the
severity from ``grove.review.severity.<category>``, and ``data`` with what "Explain this
diagnostic" needs (unit, category, quoted line, message, suggestion).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from pathlib import PurePath
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from analyzers.review import CATEGORIES
from analyzers.review.answers import PlacedFinding
from server.lsp.command_args import read_command_args
from server.lsp.command_results import CommandResult, message_result
from server.lsp.documents import OpenDocument
from server.lsp.progress import WorkProgress
from server.lsp.state import GroveServer
from server.review import ReviewReport, review_trigger

log = logging.getLogger(__name__)

REVIEW = "grove.review"
SOURCE = "grove"
REPUBLISH_S = 0.3
"""After an edit, push clients get the findings placed on the new text this much later."""

_SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def register(server: GroveServer) -> None:
    """Wire the pull handler, the command and the reviewer's result hook."""
    options = types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
    )
    server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)(pull_diagnostics)
    server.command(REVIEW)(review_command)
    server.reviewer.on_result = lambda uri: deliver(server, uri)
    server.on_settings_applied.append(lambda: deliver_all(server))


# ----------------------------------------------------------------------------- delivery


def uses_pull(ls: GroveServer) -> bool:
    """Pull diagnostics when the client pulls and accepts refresh requests, else push."""
    caps = ls.client_capabilities
    pulls = caps.text_document is not None and caps.text_document.diagnostic is not None
    workspace = caps.workspace.diagnostics if caps.workspace is not None else None
    return pulls and workspace is not None and bool(workspace.refresh_support)


def diagnostics_for(ls: GroveServer, document: OpenDocument) -> list[types.Diagnostic]:
    """The document's findings as LSP diagnostics (categories set to ``off`` left out)."""
    severity = {c: str(getattr(ls.settings, f"review_severity_{c}")) for c in CATEGORIES}
    hidden = frozenset(c for c, s in severity.items() if s == "off")
    placed = ls.reviewer.findings(document.uri, document.source, document.path, hidden=hidden)
    return [_diagnostic(ls, document, p, severity[p.finding.category]) for p in placed]


def _diagnostic(
    ls: GroveServer, document: OpenDocument, placed: PlacedFinding, severity: str
) -> types.Diagnostic:
    lines = document.source.lines
    start = lines.offset_at(placed.line, placed.column)
    end = lines.offset_at(placed.end_line, placed.end_column)
    finding = placed.finding
    message = finding.message
    if finding.suggestion:
        message += f"\nSuggestion: {finding.suggestion}"
    return types.Diagnostic(
        range=types.Range(
            start=document.position_at(start, ls.encoding),
            end=document.position_at(end, ls.encoding),
        ),
        message=message,
        severity=_SEVERITIES[severity],
        code=finding.category,
        source=SOURCE,
        data={
            "unit": placed.unit,
            "category": finding.category,
            "line": finding.quote[0],
            "message": finding.message,
            "suggestion": finding.suggestion,
            "stale": placed.stale,
        },
    )


def _result_id(items: list[types.Diagnostic]) -> str:
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def deliver(ls: GroveServer, uri: str) -> None:
    """Bring the client up to date with a file's findings (publish, or ask it to pull)."""
    schedule = ls.reviewer.schedule
    document = ls.documents.get(uri)
    if document is None:
        return
    items = diagnostics_for(ls, document)
    result_id = _result_id(items)
    if schedule.published.get(uri) == result_id:
        return
    if uses_pull(ls):
        if not schedule.refresh_pending:
            schedule.refresh_pending = True
            ls.background(_refresh(ls))
        return
    schedule.published[uri] = result_id
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=document.version)
    )


def deliver_all(ls: GroveServer) -> None:
    """:func:`deliver` for every open document (after a change of severities, or of model)."""
    for uri in ls.documents.uris():
        deliver(ls, uri)


async def _refresh(ls: GroveServer) -> None:
    """One ``workspace/diagnostic/refresh``; the next waits until the client has pulled."""
    try:
        await asyncio.wait_for(ls.workspace_diagnostic_refresh_async(None), 5.0)
    except Exception as error:  # a client that fails the request still pulls on its own
        log.debug("workspace/diagnostic/refresh failed: %s", error)


def pull_diagnostics(
    ls: GroveServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    """The review findings of one document (pull mode); an empty report in push mode."""
    uri = params.text_document.uri
    document = ls.documents.get(uri)
    if document is None or not uses_pull(ls):
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    items = diagnostics_for(ls, document)
    result_id = _result_id(items)
    ls.reviewer.schedule.published[uri] = result_id
    ls.reviewer.schedule.refresh_pending = False
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


# ----------------------------------------------------------------------------- triggers


def document_opened(ls: GroveServer, document: OpenDocument) -> None:
    """Review a newly opened file when the trigger is ``onIdle``."""
    if _trigger(ls) == "onIdle":
        _schedule_idle(ls, document.uri)


def document_changed(ls: GroveServer, document: OpenDocument) -> None:
    """Cancel reviews of changed units; move findings with the text; restart the idle timer."""
    uri = document.uri
    reviewer = ls.reviewer
    reviewer.note_change(uri, document.source)
    if _trigger(ls) == "onIdle":
        _schedule_idle(ls, uri)
    if reviewer.has_results(uri) and not uses_pull(ls):
        timers = reviewer.schedule.republish_timers
        old = timers.pop(uri, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        timers[uri] = loop.call_later(REPUBLISH_S, _republish, ls, uri)


def _republish(ls: GroveServer, uri: str) -> None:
    ls.reviewer.schedule.republish_timers.pop(uri, None)
    deliver(ls, uri)


def _trigger(ls: GroveServer) -> str:
    """The review trigger in effect (``auto`` depends on the model: see ``review_trigger``)."""
    return review_trigger(ls.settings, ls.backend.target.embedded)


def document_saved(ls: GroveServer, uri: str) -> None:
    """Review a saved file when the trigger is ``onSave`` (``auto`` with an endpoint)."""
    if _trigger(ls) == "onSave":
        start_review(ls, uri)


def document_closed(ls: GroveServer, uri: str) -> None:
    """Cancel the file's reviews, forget its findings and clear its pushed diagnostics."""
    had = uri in ls.reviewer.schedule.published
    ls.reviewer.forget(uri)
    if had and not uses_pull(ls):
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def _schedule_idle(ls: GroveServer, uri: str) -> None:
    timers = ls.reviewer.schedule.idle_timers
    old = timers.pop(uri, None)
    if old is not None:
        old.cancel()
    delay = ls.settings.review_idle_ms / 1000
    timers[uri] = asyncio.get_running_loop().call_later(delay, _idle_elapsed, ls, uri)


def _idle_elapsed(ls: GroveServer, uri: str) -> None:
    ls.reviewer.schedule.idle_timers.pop(uri, None)
    start_review(ls, uri)


def start_review(ls: GroveServer, uri: str) -> asyncio.Task[ReviewReport | None]:
    """Review a file in the background (or once more after the review that runs now)."""
    schedule = ls.reviewer.schedule
    running = schedule.file_tasks.get(uri)
    if running is not None and not running.done():
        schedule.again.add(uri)
        return running
    task: asyncio.Task[ReviewReport | None] = asyncio.ensure_future(_review_file(ls, uri))
    schedule.file_tasks[uri] = task
    task.add_done_callback(lambda done: _file_task_done(ls, uri, done))
    return task


def _file_task_done(ls: GroveServer, uri: str, task: asyncio.Task[Any]) -> None:
    schedule = ls.reviewer.schedule
    if schedule.file_tasks.get(uri) is task:
        del schedule.file_tasks[uri]
    if not task.cancelled() and task.exception() is not None:
        log.error("review of %s failed", uri, exc_info=task.exception())


async def _review_file(ls: GroveServer, uri: str) -> ReviewReport | None:
    """Review a file until no trigger arrived during the review; deliver the findings."""
    await ls.wait_for_settings()
    report: ReviewReport | None = None
    schedule = ls.reviewer.schedule
    while True:
        schedule.again.discard(uri)
        document = ls.documents.get(uri)
        if document is None:
            return report
        if ls.reviewer.why_not_reviewed(document.source, document.path) is not None:
            report = await ls.reviewer.review(uri, document.source, document.path)
            deliver(ls, uri)  # no progress bar; findings from before (if any) are gone
            return report
        name = PurePath(document.path or uri).name
        async with WorkProgress(ls, f"Grove: reviewing {name}") as progress:

            def show(done: int, total: int) -> None:
                percentage = 100 * done // total if total else 100
                progress.report(f"{done}/{total} units", percentage)

            try:
                report = await ls.reviewer.review(
                    uri,
                    document.source,
                    document.path,
                    progress=show,
                )
            except asyncio.CancelledError:
                if progress.cancelled_by_user:
                    ls.reviewer.cancel_requests(uri)
                raise
        deliver(ls, uri)
        if uri not in schedule.again:
            return report


# ------------------------------------------------------------------------------ command


async def review_command(ls: GroveServer, *args: Any) -> CommandResult:
    """Review a file now; a ``message`` result: the summary, its counts in ``data``.

    Arguments: ``[uri]``, ``[{"uri"}]`` or ``[{"textDocument": {"uri"}}]``. A file Grove does not
    review answers the reason as the message (``data.skipped``). See
    :mod:`server.lsp.command_results`.
    """
    uri = read_command_args(args, f"{REVIEW} expects a document URI").uri
    document = ls.documents.get(uri)
    if document is None:
        raise JsonRpcInvalidParams(message=f"The document is not open in Grove: {uri}")
    task = start_review(ls, uri)
    await asyncio.wait({task})  # the review goes on if this request is cancelled
    report = None if task.cancelled() else task.result()
    if report is None:  # the file was closed, or the user cancelled the progress bar
        report = ReviewReport()
    findings = 0
    with contextlib.suppress(Exception):
        findings = len(diagnostics_for(ls, document))
    name = PurePath(document.path or uri).name
    text = report.skipped or (
        f"{findings} finding{'s' if findings != 1 else ''} in {name} ({report.units} units: "
        f"{report.requested} reviewed, {report.cached} unchanged"
        + (f", {report.failed} failed: {ls.reviewer.last_error}" if report.failed else "")
        + ")."
    )
    return message_result(
        text,
        data={
            "uri": uri,
            "units": report.units,
            "requested": report.requested,
            "cached": report.cached,
            "failed": report.failed,
            "findings": findings,
            "dropped": len(report.dropped),
            "skipped": report.skipped,
            "error": ls.reviewer.last_error if report.failed else None,
        },
    )
