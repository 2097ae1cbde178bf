"""Grove's status: the ``grove.status`` command, the ``grove/status`` push, and ``grove.doctor``.

A client that sets ``capabilities.experimental.groveStatus`` gets a ``grove/status``
notification (the ``grove.status`` payload) whenever what an editor shows changes: the model
target, the last error, whether a model call is running (``busy``), whether completions are on.
Pushes are coalesced (at most one per :data:`PUSH_DELAY_S`) and skipped when nothing shown
changed, so a status item follows an endpoint going down or coming back without polling.

``grove.doctor`` runs the checks of ``grove doctor`` (:mod:`server.doctor`) with the server's
settings and model backend, and answers a ``markdown`` result (the report) whose ``data`` is
``{"ok", "summary", "checks": [{"name", "state", "detail", "fix"?}]}``.
"""

from __future__ import annotations

import asyncio
import contextlib

from server.doctor import diagnose
from server.lsp.cancellation import cancel_with_the_request
from server.lsp.command_results import MarkdownResult, markdown_result
from server.lsp.pygls_internals import request_futures
from server.lsp.state import GroveServer
from server.review import review_on_save

STATUS = "grove.status"
DOCTOR = "grove.doctor"
STATUS_NOTIFICATION = "grove/status"
CAPABILITY = "groveStatus"
PUSH_DELAY_S = 0.1


def register(server: GroveServer) -> None:
    """Wire the command, and the push for clients that ask for it."""
    server.command(STATUS)(status)
    server.command(DOCTOR)(doctor)
    push = StatusPush(server)
    server.backend.on_change = push.changed  # model calls start and end (reviews too)
    server.on_settings_applied.append(push.changed)


def status(ls: GroveServer, *args: object) -> dict[str, object]:
    """Model target, last error, request counters, cache hit rate and the review queue."""
    return status_payload(ls)


async def doctor(ls: GroveServer, *args: object) -> MarkdownResult:
    """The setup checks (``grove doctor``) with the server's settings and model backend."""
    cancel_with_the_request(ls)
    await ls.wait_for_settings()
    report = await diagnose(ls.backend, ls.settings)
    return markdown_result(report.markdown(), data=report.data())


def status_payload(ls: GroveServer) -> dict[str, object]:
    """What ``grove.status`` answers and ``grove/status`` pushes."""
    return {
        **ls.backend.status(),
        "busy": _busy(ls),
        "documents": len(ls.documents),
        "inFlight": ls.tasks.in_flight,
        "pendingHandlers": len(request_futures(ls.protocol)),
        "upstreamRequests": ls.tasks.upstream_started,
        "superseded": ls.tasks.superseded_count,
        "continued": ls.tasks.continued_count,
        "accepted": ls.accepted_count,
        "speculative": ls.speculative_count,
        "cacheHitRate": round(ls.engine.cache.hit_rate, 3),
        "encoding": ls.encoding,
        "completionEnabled": ls.settings.completion_enabled,
        "workspaceIndex": ls.workspace_index.stats(),
        "reviewQueue": ls.reviewer.queue_length,
        "reviewInFlight": ls.reviewer.in_flight,
        "reviewRequests": ls.reviewer.requests,
        "reviewLastError": ls.reviewer.last_error,
        "reviewOnSave": review_on_save(ls.settings, ls.backend.target.embedded),
    }


def _busy(ls: GroveServer) -> bool:
    return ls.backend.calls_in_flight > 0 or ls.reviewer.in_flight > 0


def _shown(ls: GroveServer) -> tuple[object, ...]:
    """What a status item shows; a push goes out only when this changes."""
    return (
        ls.backend.target.label,
        ls.backend.last_error,
        ls.reviewer.last_error,
        _busy(ls),
        ls.settings.completion_enabled,
    )


class StatusPush:
    """Coalesced ``grove/status`` notifications for clients that opted in."""

    def __init__(self, ls: GroveServer) -> None:
        self._ls = ls
        self._pending: asyncio.TimerHandle | None = None
        self._last_shown: tuple[object, ...] | None = None

    @property
    def wanted(self) -> bool:
        """Whether the client declared ``experimental.groveStatus``."""
        try:
            experimental = self._ls.client_capabilities.experimental
        except AttributeError:  # before initialize
            return False
        return isinstance(experimental, dict) and bool(experimental.get(CAPABILITY))

    def changed(self) -> None:
        """Something shown may have changed: push within :data:`PUSH_DELAY_S`."""
        if self._pending is not None or not self.wanted:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pending = loop.call_later(PUSH_DELAY_S, self._push)

    def _push(self) -> None:
        self._pending = None
        shown = _shown(self._ls)  # cheap: the full payload is built only when it is sent
        if shown == self._last_shown:
            return
        self._last_shown = shown
        with contextlib.suppress(Exception):  # not connected (shutting down)
            self._ls.protocol.notify(STATUS_NOTIFICATION, status_payload(self._ls))
