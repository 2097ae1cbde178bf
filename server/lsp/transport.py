"""The JSON-RPC transport's repairs over pygls 2.1: every request answered, no leak, resyncing.

* :class:`GroveProtocol` answers a request whose params do not fit the method's type with
  ``-32602 InvalidParams``; pygls logs it and never answers, so the client would wait forever.
* :class:`GroveProtocol` also forgets each notification's future once it is done: pygls keys it
  by a fresh uuid in its table of requests and never removes it (about 2 KB a ``didChange``).
* :class:`GroveProtocol` answers a ``workspace/executeCommand`` whose task ends cancelled (a
  progress bar's cancel button) with ``-32800 RequestCancelled``: pygls runs a command as a step
  of a generator whose ``except Exception`` misses ``CancelledError``, so the request's future
  never resolves and the client waits forever.
* :class:`GroveProtocol` cancels what is in flight before pygls handles ``shutdown``: pygls
  cancels it while iterating its table of requests, and a command's cancellation removes its
  entry from that table at once (``RuntimeError: dictionary changed size during iteration``),
  so ``shutdown`` failed with an internal error whenever a command was running.
* :func:`serve_stdio` hands pygls' own ``start_io`` a :class:`ResyncingStream` as stdin: pygls
  recognises a ``Content-Length`` header only as a whole line, so stray bytes without a line
  break (a body shorter than announced, noise on the pipe) glue onto the next header and every
  later message is lost. The stream drops whatever precedes the header on its line.

The pygls internals these repairs need are reached only through :mod:`server.lsp.pygls_internals`,
which checks them when the server is created.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import Future
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from server.lsp.logs import set_editor_connected
from server.lsp.pygls_internals import (
    HandlerCallback,
    HookedProtocol,
    MsgId,
    request_futures,
    send_error_response,
)

log = logging.getLogger(__name__)

_HEADER = b"Content-Length:"


class GroveProtocol(HookedProtocol):
    """pygls' protocol, answering every request (bad params, cancelled command, ``shutdown``
    beside a running command) and forgetting finished notifications."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._grove_finished: list[tuple[MsgId, Future[Any]]] = []

    def handler_callback(self, msg_id: MsgId, callback: HandlerCallback) -> HandlerCallback:
        """``callback``, answering a cancelled command, and noting the run as finished so its
        entry in pygls' table is dropped."""
        futures = request_futures(self)
        request_id = self.msg_id  # the request this run is (a step of), None for a notification
        finished = self._grove_finished
        # Forget what finished since the last message; never while pygls may be iterating the
        # table (shutdown cancels every future in it, which runs the callbacks below).
        while finished:
            done_id, done = finished.pop()
            if futures.get(done_id) is done:
                del futures[done_id]

        def note_done(future: Future[Any]) -> None:
            try:
                callback(future)
            except asyncio.CancelledError:  # a cancelled command step: pygls would drop it
                request = futures.get(request_id) if request_id is not None else None
                if request is None or request.done():
                    raise
                log.info("request %s: its command was cancelled", request_id)
                request.cancel()  # pygls answers a cancelled request's future (-32800)
            finally:
                finished.append((msg_id, future))

        return note_done

    def handle_message(self, message: Any) -> None:
        """Handle one message; before ``shutdown``, cancel every request still in flight."""
        if isinstance(message, types.ShutdownRequest):
            futures = request_futures(self)
            for pending in list(futures.values()):  # cancelling may remove entries: a copy
                pending.cancel()
        super().handle_message(message)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Structure one incoming message; a request that does not fit gets an error reply."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            msg_id = data.get("id")
            if "method" in data and isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
                send_error_response(self, msg_id, error.to_response_error())
            raise


class ResyncingStream:
    """A binary input stream whose header lines start at ``Content-Length`` despite stray bytes.

    It has what pygls reads stdin with (``readline`` and ``read``), so it is passed to pygls'
    ``start_io`` in place of stdin.
    """

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readline(self) -> bytes:
        """The next line, starting at a ``Content-Length`` header if the line holds one."""
        line = self._inner.readline()
        at = line.find(_HEADER)
        if at > 0:
            log.warning("dropped %d stray bytes before a message header", at)
            return line[at:]
        return line

    def read(self, n: int = -1) -> bytes:
        """``n`` bytes (a message body)."""
        return self._inner.read(n)


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """Serve LSP over stdio until exit: pygls' ``start_io`` reading a :class:`ResyncingStream`."""
    stream = ResyncingStream(stdin or sys.stdin.buffer)
    # Not a full BinaryIO, but all that start_io reads stdin with (see server.lsp.pygls_internals).
    try:
        server.start_io(cast(BinaryIO, stream), stdout)
    finally:
        set_editor_connected(False)  # the editor is gone: what is logged now goes to stderr
