"""A scripted OpenAI-compatible HTTP/1.1 server on 127.0.0.1, for tests.

A real socket server (stdlib ``ThreadingHTTPServer`` in a background thread) so the real
``openai`` client code runs against it, from in-process async tests or from a language-server
subprocess that is given :attr:`ScriptedOpenAI.base_url`.

* Every request is recorded (:class:`RecordedRequest`: method, path, lower-cased headers,
  parsed JSON body, and what happened while answering: chunks sent, client disconnected).
* Replies come from a script queue consumed in order (:meth:`ScriptedOpenAI.script`), then an
  optional ``responder(request) -> Reply | None``, then the default reply.
* Reply kinds (module-level factories): :func:`text`, :func:`choices`, :func:`slow`,
  :func:`stall_before_headers`, :func:`stall_after_headers`, :func:`stall_mid_stream`,
  :func:`keepalive_only`, :func:`status`, :func:`html_error`, :func:`garbage`,
  :func:`truncated_sse`, :func:`huge`, :func:`repeat_line`, :func:`error_event`,
  :func:`disconnect`, :func:`models`. ``text`` answers ``/completions``,
  ``/chat/completions`` and ``/fim/completions`` in the right shape, as one JSON body or as SSE
  (split into several chunks, ``data: [DONE]``) depending on the request's ``stream`` flag.
* Everything is bounded: stalls wait on an event that :meth:`ScriptedOpenAI.close` sets, open
  connections are shut down on close, and handler threads are joined.

Run as a module (``python -m tests.support.scripted_openai --host H --port P``) it stands in for
``llama_cpp.server`` in the embedded-model lifecycle tests (unknown flags are ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "RecordedRequest",
    "Reply",
    "ScriptedOpenAI",
    "choices",
    "disconnect",
    "error_event",
    "garbage",
    "html_error",
    "huge",
    "keepalive_only",
    "models",
    "repeat_line",
    "slow",
    "stall_after_headers",
    "stall_before_headers",
    "stall_mid_stream",
    "status",
    "text",
    "truncated_sse",
]


# --------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True)
class Reply:
    """One scripted answer; build it with the module-level factories."""

    kind: str
    content: str = ""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    seconds: float = 0.0
    after_chunks: int = 0
    chunk_size: int = 3
    chunk_delay: float = 0.0
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None
    as_sse: bool | None = None
    times: int = 0
    interval: float = 0.05
    size: int = 0
    model_ids: tuple[str, ...] = ()
    contents: tuple[str, ...] = ()


def text(
    content: str,
    *,
    chunk_size: int = 3,
    chunk_delay: float = 0.0,
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = None,
    as_sse: bool | None = None,
) -> Reply:
    """A normal answer: JSON or SSE per the request's ``stream`` flag (or ``as_sse``)."""
    return Reply(
        "text",
        content=content,
        chunk_size=chunk_size,
        chunk_delay=chunk_delay,
        finish_reason=finish_reason,
        usage=usage,
        as_sse=as_sse,
    )


def choices(*contents: str, chunk_size: int = 3, as_sse: bool | None = None) -> Reply:
    """An answer with one choice per content (as to ``n``), whatever the request asked for.

    JSON or SSE as :func:`text`; streamed, the choices' chunks are interleaved (index 0, 1, ...,
    0, 1, ...) as OpenAI does.
    """
    return Reply("choices", contents=contents, chunk_size=chunk_size, as_sse=as_sse)


def slow(content: str, chunk_delay: float, *, chunk_size: int = 1) -> Reply:
    """A streamed answer with ``chunk_delay`` seconds between chunks."""
    return text(content, chunk_size=chunk_size, chunk_delay=chunk_delay)


def stall_before_headers(seconds: float, content: str = "late") -> Reply:
    """Say nothing for ``seconds`` (not even headers), then answer ``content``."""
    return Reply("stall_before_headers", content=content, seconds=seconds)


def stall_after_headers(seconds: float) -> Reply:
    """Send 200 + SSE headers, then nothing for ``seconds``."""
    return Reply("stall_after_headers", seconds=seconds)


def stall_mid_stream(
    seconds: float, after_chunks: int = 1, content: str = "partial answer"
) -> Reply:
    """Stream ``after_chunks`` chunks of ``content``, then go silent for ``seconds``."""
    return Reply("stall_mid_stream", content=content, seconds=seconds, after_chunks=after_chunks)


def keepalive_only(seconds: float, interval: float = 0.05) -> Reply:
    """An SSE stream of ``: ping`` comments only, for at most ``seconds``."""
    return Reply("keepalive_only", seconds=seconds, interval=interval)


def status(code: int, headers: dict[str, str] | None = None, body: Any = None) -> Reply:
    """An HTTP error; ``body`` dict → JSON, str → text/plain, None → an OpenAI-style error."""
    return Reply("status", status=code, headers=tuple((headers or {}).items()), body=body)


def html_error(code: int = 502) -> Reply:
    """An HTML error page, as a misconfigured proxy would send."""
    return Reply("html", status=code)


def garbage(as_sse: bool | None = None) -> Reply:
    """200 with malformed JSON (as an SSE event when streaming, unless ``as_sse`` says)."""
    return Reply("garbage", as_sse=as_sse)


def truncated_sse(content: str = "def truncated(", after_chunks: int = 2) -> Reply:
    """Stream ``after_chunks`` chunks, then drop the connection mid-body (no [DONE])."""
    return Reply("truncated", content=content, after_chunks=after_chunks)


def huge(mb: float) -> Reply:
    """A streamed answer of about ``mb`` megabytes of text."""
    return Reply("huge", size=int(mb * 1024 * 1024))


def repeat_line(line: str, times: int) -> Reply:
    """A runaway stream: ``line`` + newline, ``times`` times."""
    return Reply("repeat", content=line, times=times)


def error_event(message: str) -> Reply:
    """An SSE stream whose first event is ``{"error": {"message": ...}}``."""
    return Reply("error_event", content=message)


def disconnect() -> Reply:
    """Close the connection without answering."""
    return Reply("disconnect")


def models(*ids: str) -> Reply:
    """A ``/models`` list with these ids."""
    return Reply("models", model_ids=ids)


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class RecordedRequest:
    """One request as the server saw it, and how answering it went."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    reply_kind: str = ""
    chunks_sent: int = 0
    completed: bool = False
    client_disconnected: bool = False
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def stream(self) -> bool:
        """The request's ``stream`` flag."""
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    def wait_finished(self, timeout: float = 5.0) -> bool:
        """Block until the server is done answering (or gave up on the client)."""
        return self.finished.wait(timeout)


class _ClientGone(Exception):
    pass


_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{code} Bad Gateway</title></head>"
    "<body><center><h1>{code} Bad Gateway</h1></center><hr><center>nginx</center>"
    "</body></html>\n"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10.0
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("scripted server: " + format, *args)

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # -- plumbing --------------------------------------------------------------------------

    def _handle(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_body=raw,
        )
        fixed = owner.get_answers.get(self.path.split("?", 1)[0]) if self.command == "GET" else None
        if fixed is not None:  # a product's own listing, answered as given
            record.reply_kind = "fixed"
            owner._record(record)
            self._json(200, fixed)
            record.completed = True
            record.finished.set()
            return
        reply = owner._next_reply(record)
        record.reply_kind = reply.kind
        owner._record(record)
        try:
            self._answer(reply, record)
            record.completed = True
        except (_ClientGone, OSError):
            record.client_disconnected = True
            self.close_connection = True
        finally:
            record.finished.set()

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _chunk(self, data: bytes, record: RecordedRequest) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(data), data))
        record.chunks_sent += 1

    def _event(self, payload: Any, record: RecordedRequest) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self._chunk(f"data: {data}\n\n".encode(), record)

    def _begin_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _end_stream(self, record: RecordedRequest) -> None:
        self._event("[DONE]", record)
        self._write(b"0\r\n\r\n")

    def _send_body(
        self, code: int, body: bytes, content_type: str, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self._write(body)

    def _json(self, code: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._send_body(code, json.dumps(payload).encode(), "application/json", headers)

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False when the server is closing."""
        return not self.server.owner.closing.wait(seconds)

    # -- shapes ----------------------------------------------------------------------------

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        for name in ("chat/completions", "fim/completions", "completions", "models"):
            if path.endswith("/" + name):
                return name
        return ""

    def _model(self, record: RecordedRequest) -> str:
        if isinstance(record.body, dict) and isinstance(record.body.get("model"), str):
            return str(record.body["model"])
        return "scripted"

    def _stream_chunk(
        self,
        route: str,
        model: str,
        piece: str | None,
        reason: str | None,
        first: bool = False,
        index: int = 0,
    ) -> dict[str, Any]:
        if route == "completions":
            choice: dict[str, Any] = {
                "text": piece or "",
                "index": index,
                "logprobs": None,
                "finish_reason": reason,
            }
            kind = "text_completion"
        else:
            delta: dict[str, Any] = {} if piece is None else {"content": piece}
            if first:
                delta["role"] = "assistant"
            choice = {"index": index, "delta": delta, "finish_reason": reason}
            kind = "chat.completion.chunk"
        return {
            "id": "scripted-1",
            "object": kind,
            "created": 0,
            "model": model,
            "choices": [choice],
        }

    def _whole(self, route: str, model: str, content: str, reply: Reply) -> dict[str, Any]:
        if route == "completions":
            choice: dict[str, Any] = {
                "text": content,
                "index": 0,
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
            kind = "text_completion"
        else:
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": reply.finish_reason,
            }
            kind = "chat.completion"
        payload: dict[str, Any] = {
            "id": "scripted-1",
            "object": kind,
            "created": 0,
            "model": model,
            "choices": [choice],
        }
        if reply.usage is not None:
            payload["usage"] = {
                "prompt_tokens": reply.usage[0],
                "completion_tokens": reply.usage[1],
                "total_tokens": sum(reply.usage),
            }
        return payload

    def _pieces(self, content: str, size: int) -> Iterator[str]:
        size = max(1, size)
        for start in range(0, len(content), size):
            yield content[start : start + size]

    def _stream_text(
        self,
        record: RecordedRequest,
        route: str,
        pieces: Iterable[str],
        reply: Reply,
        *,
        stop_after: int | None = None,
    ) -> bool:
        """Stream pieces; returns False when stopped after ``stop_after`` chunks."""
        model = self._model(record)
        if route != "completions":
            self._event(self._stream_chunk(route, model, "", None, first=True), record)
        for count, piece in enumerate(pieces):
            if stop_after is not None and count >= stop_after:
                return False
            if count and reply.chunk_delay and not self._wait(reply.chunk_delay):
                raise _ClientGone
            self._event(self._stream_chunk(route, model, piece, None), record)
        if stop_after is not None:
            return False
        final = self._stream_chunk(route, model, None, reply.finish_reason)
        if reply.usage is not None:
            final["usage"] = {
                "prompt_tokens": reply.usage[0],
                "completion_tokens": reply.usage[1],
                "total_tokens": sum(reply.usage),
            }
        self._event(final, record)
        self._end_stream(record)
        return True

    def _answer(self, reply: Reply, record: RecordedRequest) -> None:
        route = self._route()
        kind = reply.kind
        if kind == "disconnect":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if route == "models" and kind in ("models", "text"):
            ids = reply.model_ids or self.server.owner.model_ids
            data = [{"id": i, "object": "model", "created": 0, "owned_by": "tests"} for i in ids]
            self._json(200, {"object": "list", "data": data})
            return
        if kind == "status":
            self._status(reply)
            return
        if kind == "html":
            page = _HTML_PAGE.format(code=reply.status).encode()
            self._send_body(reply.status, page, "text/html")
            return
        if route not in ("completions", "chat/completions", "fim/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if kind == "stall_before_headers":
            if not self._wait(reply.seconds):
                raise _ClientGone
            kind = "text"
        if kind == "text":
            self._text(record, route, reply.content, reply)
        elif kind == "choices":
            self._choices(record, route, reply)
        elif kind == "garbage":
            sse = record.stream if reply.as_sse is None else reply.as_sse
            if sse:
                self._begin_stream()
                self._chunk(b'data: {"choices": [{"text": "ok", \n\n', record)
                self._write(b"0\r\n\r\n")
            else:
                self._send_body(200, b'{"choices": [ this is not json', "application/json")
        elif kind == "stall_after_headers":
            self._begin_stream()
            if not self._wait(reply.seconds):
                raise _ClientGone
            self._stream_text(record, route, ["late"], reply)
        elif kind == "stall_mid_stream":
            self._begin_stream()
            pieces = list(self._pieces(reply.content, reply.chunk_size))
            self._stream_text(record, route, pieces, reply, stop_after=reply.after_chunks)
            if not self._wait(reply.seconds):
                raise _ClientGone
            self._end_stream(record)
        elif kind == "keepalive_only":
            self._begin_stream()
            deadline = time.monotonic() + reply.seconds
            while time.monotonic() < deadline:
                self._chunk(b": ping\n\n", record)
                if not self._wait(reply.interval):
                    raise _ClientGone
            self._end_stream(record)
        elif kind == "truncated":
            self._begin_stream()
            pieces = list(self._pieces(reply.content, reply.chunk_size))
            self._stream_text(record, route, pieces, reply, stop_after=reply.after_chunks)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "huge":
            self._begin_stream()
            block = "x" * 65536
            sent = 0
            pieces_list: list[str] = []
            while sent < reply.size:
                pieces_list.append(block)
                sent += len(block)
            self._stream_text(record, route, pieces_list, reply)
        elif kind == "repeat":
            self._begin_stream()
            lines = (reply.content + "\n" for _ in range(reply.times))
            self._stream_text(record, route, lines, reply)
        elif kind == "error_event":
            self._begin_stream()
            self._event({"error": {"message": reply.content, "type": "server_error"}}, record)
            self._end_stream(record)
        else:
            raise ValueError(f"reply {kind!r} does not apply to {self.path}")

    def _text(self, record: RecordedRequest, route: str, content: str, reply: Reply) -> None:
        if record.stream if reply.as_sse is None else reply.as_sse:
            self._begin_stream()
            self._stream_text(record, route, self._pieces(content, reply.chunk_size), reply)
        else:
            self._json(200, self._whole(route, self._model(record), content, reply))

    def _choices(self, record: RecordedRequest, route: str, reply: Reply) -> None:
        model = self._model(record)
        if not (record.stream if reply.as_sse is None else reply.as_sse):
            whole = [self._whole(route, model, c, reply)["choices"][0] for c in reply.contents]
            payload = self._whole(route, model, "", reply)
            payload["choices"] = [{**c, "index": i} for i, c in enumerate(whole)]
            self._json(200, payload)
            return
        self._begin_stream()
        pieces = [list(self._pieces(c, reply.chunk_size)) for c in reply.contents]
        if route != "completions":
            for index in range(len(pieces)):
                chunk = self._stream_chunk(route, model, "", None, first=True, index=index)
                self._event(chunk, record)
        for step in range(max((len(p) for p in pieces), default=0)):
            for index, parts in enumerate(pieces):
                if step < len(parts):
                    chunk = self._stream_chunk(route, model, parts[step], None, index=index)
                    self._event(chunk, record)
        for index in range(len(pieces)):
            chunk = self._stream_chunk(route, model, None, reply.finish_reason, index=index)
            self._event(chunk, record)
        self._end_stream(record)

    def _status(self, reply: Reply) -> None:
        body = reply.body
        if body is None:
            body = {
                "error": {
                    "message": f"scripted error {reply.status}",
                    "type": "scripted",
                    "code": reply.status,
                }
            }
        if isinstance(body, str):
            self._send_body(reply.status, body.encode(), "text/plain", reply.headers)
        else:
            self._json(reply.status, body, reply.headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: ScriptedOpenAI) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up is routine here (early stop, cancellation): log it quietly."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("scripted server: client %s went away: %r", client_address, error)
            return
        super().handle_error(request, client_address)


class ScriptedOpenAI:
    """The scripted server; use as a context manager or call :meth:`start`/:meth:`close`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model_ids: Iterable[str] = ("test-model",),
        default: Reply | None = None,
        responder: Callable[[RecordedRequest], Reply | None] | None = None,
        get_answers: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.get_answers: dict[str, Any] = dict(get_answers or {})
        """Exact path → the JSON answered to ``GET`` it (a product's ``/v1/models``, Ollama's
        ``/api/tags``), before any script."""
        self._requested_port = port
        self.model_ids = tuple(model_ids)
        self.default = default or text("ok")
        self.responder = responder
        self.closing = threading.Event()
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._models_queue: deque[Reply] = deque()
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedOpenAI:
        """Bind and serve in a background thread."""
        self._httpd = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="scripted-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving: wake stalls, drop open connections, join threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.closing.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(5.0)

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (what an OpenAI client takes as ``base_url``)."""
        return self.root_url + "/v1"

    # -- scripting -------------------------------------------------------------------------

    def script(self, *replies: Reply) -> ScriptedOpenAI:
        """Queue replies for the next POST requests (completions, chat, FIM)."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def script_models(self, *replies: Reply) -> ScriptedOpenAI:
        """Queue replies for the next ``GET /models`` requests."""
        with self._lock:
            self._models_queue.extend(replies)
        return self

    def reset(self) -> None:
        """Forget recorded requests and queued replies."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._models_queue.clear()

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def completion_requests(self) -> list[RecordedRequest]:
        """The POST requests only."""
        return [r for r in self.requests if r.method == "POST"]

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``n`` requests arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {n} requests, got {len(self._requests)} within {timeout} s"
                    )
                self._lock.wait(remaining)
            return list(self._requests)

    # -- internals -------------------------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)
            self._lock.notify_all()

    def _next_reply(self, record: RecordedRequest) -> Reply:
        is_models = record.method == "GET" and record.path.rstrip("/").endswith("/models")
        with self._lock:
            queue = self._models_queue if is_models else self._queue
            if queue:
                return queue.popleft()
        if is_models:
            return text("")
        if self.responder is not None:
            reply = self.responder(record)
            if reply is not None:
                return reply
        return self.default


# --------------------------------------------------------------------------------------------
# Stand-in for ``python -m llama_cpp.server``


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM; accepts (and ignores) llama.cpp server flags."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model_alias", default="test-model")
    parser.add_argument("--reply", default="ok", help="default completion text")
    parser.add_argument("--startup-delay", type=float, default=0.0)
    parser.add_argument("--exit-after", type=float, default=0.0, help="die (code 3) after N s")
    parser.add_argument("--fail-start", default="", help="print this and exit 2 at once")
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--sigill-after", type=float, default=0.0, help="die of SIGILL after N s")
    args, _unknown = parser.parse_known_args(argv)
    if args.fail_start:
        sys.stderr.write(args.fail_start + "\n")
        return 2
    stop = threading.Event()
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    time.sleep(args.startup_delay)
    server = ScriptedOpenAI(
        host=args.host, port=args.port, model_ids=(args.model_alias,), default=text(args.reply)
    ).start()
    sys.stderr.write(f"scripted server on {server.base_url}\n")
    sys.stderr.flush()
    try:
        if args.sigill_after:
            stop.wait(args.sigill_after)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
            signal.signal(signal.SIGILL, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGILL)
        if args.exit_after:
            if not stop.wait(args.exit_after):
                server.close()
                return 3
        else:
            while not stop.wait(0.5):
                pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
