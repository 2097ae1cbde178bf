"""Cancellation of long commands by the client's ``$/cancelRequest``.

pygls runs a ``workspace/executeCommand`` handler as a task of its own and, on
``$/cancelRequest``, cancels only the request's future: the command would go on (and the model
keep writing) for a request nobody waits for. :func:`cancel_with_the_request` links the two.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from pygls.lsp.server import LanguageServer


def cancel_with_the_request(ls: LanguageServer) -> None:
    """Cancel the current task when the client cancels the request it is answering."""
    task = asyncio.current_task()
    msg_id = ls.protocol.msg_id
    # pygls keeps no public handle on a request's future; this is where it lives (pygls 2.x).
    futures: dict[Any, Future[Any]] = getattr(ls.protocol, "_request_futures", {})
    request = futures.get(msg_id) if msg_id is not None else None
    if task is None or request is None:
        return
    loop = asyncio.get_running_loop()

    def cancelled(future: Future[Any]) -> None:
        if future.cancelled() and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    request.add_done_callback(cancelled)
