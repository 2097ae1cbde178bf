"""Cancellation of long commands by the client's ``$/cancelRequest``.

pygls runs a ``workspace/executeCommand`` handler as a task of its own and, on
``$/cancelRequest``, cancels only the request's future: the command would go on (and the model
keep writing) for a request nobody waits for. :func:`cancel_with_the_request` links the two.
pygls has no public handle on a request's future: it is looked up through
:func:`server.lsp.pygls_internals.request_futures`.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from pygls.lsp.server import LanguageServer

from server.lsp.pygls_internals import request_futures


def cancel_with_the_request(ls: LanguageServer) -> None:
    """Cancel the current task when the client cancels the request it is answering."""
    task = asyncio.current_task()
    msg_id = ls.protocol.msg_id
    request = request_futures(ls.protocol).get(msg_id) if msg_id is not None else None
    if task is None or request is None:
        return
    loop = asyncio.get_running_loop()

    def cancelled(future: Future[Any]) -> None:
        if future.cancelled() and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    request.add_done_callback(cancelled)
