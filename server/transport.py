"""The JSON-RPC transport's two repairs over pygls 2.1: answered bad params and resynchronising.

* :class:`GroveProtocol` answers a request whose params do not fit the method's type with
  ``-32602 InvalidParams``; pygls logs it and never answers, so the client would wait forever.
* :class:`GroveProtocol` also forgets each notification's future once it is done: pygls keys it
  by a fresh uuid in its table of requests and never removes it (about 2 KB a ``didChange``).
* :func:`serve_stdio` reads stdio through :class:`ResyncingReader`: pygls recognises a
  ``Content-Length`` header only as a whole line, so stray bytes without a line break (a body
  shorter than announced, noise on the pipe) glue onto the next header and every later message
  is lost. The reader drops whatever precedes the header on its line.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from threading import Event
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

_HEADER = b"Content-Length:"


class GroveProtocol(LanguageServerProtocol):
    """pygls' protocol, answering requests whose params cannot be read, and not leaking."""

    _finished: list[tuple[Any, Any]]

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        futures = self._request_futures
        finished = self.__dict__.setdefault("_finished", [])
        # Forget what finished since the last message; never while pygls may be iterating the
        # table (shutdown cancels every future in it, which runs the callbacks below).
        while finished:
            done_id, done = finished.pop()
            if futures.get(done_id) is done:
                del futures[done_id]

        def note_done(future: Any) -> None:
            try:
                callback(future)
            finally:
                finished.append((msg_id, future))

        super()._execute_handler(msg_id, handler, note_done, args, kwargs)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Structure one incoming message; a request that does not fit gets an error reply."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            msg_id = data.get("id")
            if "method" in data and isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
                self._send_response(msg_id, error=error.to_response_error())
            raise


class ResyncingReader:
    """A header-line reader that finds ``Content-Length`` after stray bytes on the same line."""

    def __init__(self, inner: StdinAsyncReader) -> None:
        self._inner = inner

    async def readline(self) -> bytes:
        """The next line, starting at a ``Content-Length`` header if the line holds one."""
        line = await self._inner.readline()
        at = line.find(_HEADER)
        if at > 0:
            log.warning("dropped %d stray bytes before a message header", at)
            return line[at:]
        return line

    def readexactly(self, n: int) -> Any:
        """``n`` bytes of a message body."""
        return self._inner.readexactly(n)


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """Serve LSP over stdio until exit (pygls' ``start_io`` with :class:`ResyncingReader`)."""
    stop = Event()
    server._stop_event = stop
    reader = ResyncingReader(StdinAsyncReader(stdin or sys.stdin.buffer, server.thread_pool))
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(
            run_async(
                stop_event=stop,
                reader=reader,
                protocol=server.protocol,
                logger=log,
                error_handler=server.report_server_error,
            )
        )
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
