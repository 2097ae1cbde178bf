"""Malformed JSON-RPC over stdio: ``grove serve`` answers with errors and keeps serving.

The client here is raw bytes on the server's stdin (no LSP library that would refuse to send
garbage). After each kind of damage -- garbage bytes, bad or missing Content-Length, invalid
JSON, valid JSON that is not JSON-RPC, unknown methods, wrong parameter types for every Grove
request method and command -- a valid request must still be answered. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import server_env

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0


class RawLsp:
    """``grove serve`` (or another command) on pipes, with a framed-message reader thread."""

    def __init__(self, argv: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        argv = argv or [sys.executable, "-m", "server", "serve"]
        self.proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=server_env(**(env or {})),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0

    def _read(self) -> None:
        try:
            self._read_messages()
        except (OSError, ValueError):  # the pipe was closed under the reader
            return

    def _read_messages(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            body = stream.read(length)
            if len(body) < length:
                return
            self.messages.put(json.loads(body))

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any] | str) -> None:
        body = (message if isinstance(message, str) else json.dumps(message)).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Send a request and return its response (answering what the server asks meanwhile)."""
        self._next_id += 1
        ident = self._next_id
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return self.response(ident, timeout)

    def response(self, ident: int | str | None, timeout: float = TIMEOUT) -> dict[str, Any]:
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no response to {ident!r} within {timeout} s") from None
            if "method" in message and "id" in message:  # a server request: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if "method" not in message and message.get("id") == ident:
                return message

    def initialize(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.request("shutdown", timeout=3)
                self.notify("exit")
                self.proc.wait(5)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


@pytest.fixture
def raw() -> Iterator[RawLsp]:
    server = RawLsp()
    try:
        # An unreachable endpoint: nothing here may wait for a model.
        server.initialize({"endpoint": {"baseUrl": "http://127.0.0.1:9/v1"}, "model": "m"})
        yield server
    finally:
        server.close()


def _still_serving(raw: RawLsp) -> None:
    response = raw.request("workspace/executeCommand", {"command": "grove.status"})
    assert "result" in response, response
    assert response["result"]["documents"] >= 0


def test_garbage_and_broken_framing_do_not_stop_the_server(raw: RawLsp) -> None:
    raw.send_raw(b"\x00\xff\xfe garbage \r\n\r\n")
    raw.send_raw(b"Content-Type: application/json\r\n\r\n")  # no Content-Length at all
    raw.send_raw(b"Content-Length: abc\r\n\r\n{}\r\n")
    raw.send_raw(b'Content-Length: 5\r\n\r\n{"a":')  # a body cut short: invalid JSON
    raw.send_raw(b"\r\n")
    _still_serving(raw)


def test_bytes_without_a_line_break_do_not_desynchronise_the_stream(raw: RawLsp) -> None:
    raw.send_raw(b"Content-Length: abc\r\n\r\n{}")
    raw.request("workspace/executeCommand", {"command": "grove.status"}, timeout=3)
    _still_serving(raw)


INVALID_BODIES = [
    "{not json",
    '{"jsonrpc": "2.0", "id": 77, "method": "textDocument/inlineCompletion", "params": ',
    "[]",
    "[1, 2, 3]",
    "null",
    '"just a string"',
    '{"jsonrpc": "2.0"}',
    '{"jsonrpc": "1.0", "id": 5, "method": "shutdown"}',
    '{"id": {"nested": true}, "method": "grove/unknown"}',
    "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),
]


def test_invalid_messages_are_answered_or_ignored(raw: RawLsp) -> None:
    for body in INVALID_BODIES:
        raw.send(body)
        _still_serving(raw)


def test_unknown_methods_get_method_not_found(raw: RawLsp) -> None:
    response = raw.request("grove/noSuchMethod", {"x": 1})
    assert response["error"]["code"] == -32601
    raw.notify("grove/noSuchNotification", [1, 2])
    raw.notify("$/noSuchThing", None)
    _still_serving(raw)


WRONG_PARAMS: list[Any] = [
    None,
    [],
    "text",
    42,
    {},
    {"textDocument": "file:///x.py", "position": "here"},
    {"textDocument": {"uri": 5}, "position": {"line": -1, "character": "a"}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 10**12, "character": 10**12}},
]

REQUESTS = [
    "textDocument/inlineCompletion",
    "textDocument/completion",
    "textDocument/codeAction",
    "codeAction/resolve",
    "textDocument/diagnostic",
    "workspace/executeCommand",
]

COMMANDS = [
    "grove.status",
    "grove.generateDocstring",
    "grove.explain",
    "grove.explainDiagnostic",
    "grove.review",
    "grove.accepted",
]

NOTIFICATIONS = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWatchedFiles",
    "workspace/didChangeWorkspaceFolders",
    "$/cancelRequest",
]


def _send_request(raw: RawLsp, method: str, params: Any) -> None:
    raw.send(
        {"jsonrpc": "2.0", "id": f"bad-{method}-{params!r}", "method": method, "params": params}
    )


def test_wrong_param_types_for_every_grove_method_do_not_stop_the_server(raw: RawLsp) -> None:
    raw.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": "file:///x.py",
                "languageId": "python",
                "version": 1,
                "text": "x = \n",
            }
        },
    )
    for method in REQUESTS:
        for params in WRONG_PARAMS:
            _send_request(raw, method, params)
    for command in COMMANDS:
        for arguments in ([], [None], ["file:///nope.py", "x"], [{"textDocument": 3}], [1, 2, 3]):
            _send_request(
                raw, "workspace/executeCommand", {"command": command, "arguments": arguments}
            )
    for method in NOTIFICATIONS:
        for params in WRONG_PARAMS:
            raw.notify(method, params)
    _still_serving(raw)
    # The document opened at the start is still served normally.
    response = raw.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": "file:///x.py"},
            "position": {"line": 0, "character": 4},
            "context": {"triggerKind": 2},
        },
    )
    assert "result" in response, response


@pytest.mark.parametrize("method", ["textDocument/inlineCompletion", "workspace/executeCommand"])
def test_a_request_with_wrong_params_is_answered_with_an_error(raw: RawLsp, method: str) -> None:
    response = raw.request(method, 42, timeout=3)
    assert response["error"]["code"] == -32602
