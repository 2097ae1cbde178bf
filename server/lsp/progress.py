"""Server-initiated ``$/progress`` for long model jobs (docstrings, explanations, reviews).

:class:`WorkProgress` creates a token with ``window/workDoneProgress/create`` when the client
supports it, reports while the job runs, and always ends the bar. When the user presses the
bar's cancel button (``window/workDoneProgress/cancel``) the task that opened it is cancelled.
Clients without progress support get nothing and the job runs the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from concurrent.futures import Future
from types import TracebackType

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

_tokens = itertools.count(1)
CREATE_TIMEOUT_S = 2.0


def client_supports_progress(ls: LanguageServer) -> bool:
    """Whether the client declared ``window.workDoneProgress``."""
    window = ls.client_capabilities.window
    return bool(window is not None and window.work_done_progress)


class WorkProgress:
    """One progress bar, as an async context manager around the job it reports on."""

    def __init__(self, ls: LanguageServer, title: str, *, cancellable: bool = True) -> None:
        self._ls = ls
        self._title = title
        self._cancellable = cancellable
        self._token: str | None = None
        self._last_message: str | None = None
        self.cancelled_by_user = False

    @property
    def active(self) -> bool:
        """Whether the client is showing this bar."""
        return self._token is not None

    async def __aenter__(self) -> WorkProgress:
        if not client_supports_progress(self._ls):
            return self
        token = f"grove-{next(_tokens)}"
        progress = self._ls.work_done_progress
        try:
            await asyncio.wait_for(progress.create_async(token), CREATE_TIMEOUT_S)
        except Exception as error:  # a client that refuses or never answers: no bar
            log.debug("window/workDoneProgress/create failed: %s", error)
            return self
        self._token = token
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        cancel_future = progress.tokens.get(token)
        if cancel_future is not None and task is not None:
            cancel_future.add_done_callback(lambda future: self._on_cancel(future, loop, task))
        progress.begin(
            token,
            types.WorkDoneProgressBegin(title=self._title, cancellable=self._cancellable),
        )
        return self

    def _on_cancel(
        self, future: Future[object], loop: asyncio.AbstractEventLoop, task: asyncio.Task[object]
    ) -> None:
        if future.cancelled() and self._token is not None:
            self.cancelled_by_user = True
            loop.call_soon_threadsafe(task.cancel)

    def report(self, message: str, percentage: int | None = None) -> None:
        """Show ``message`` under the bar's title (repeats are not sent)."""
        if self._token is None or message == self._last_message:
            return
        self._last_message = message
        with contextlib.suppress(Exception):
            self._ls.work_done_progress.report(
                self._token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        if kind is None:
            message = "done"
        elif issubclass(kind, asyncio.CancelledError):
            message = "cancelled"
        else:
            message = "failed"
        with contextlib.suppress(Exception):
            self._ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self._ls.work_done_progress.tokens.pop(token, None)
