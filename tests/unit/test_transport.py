"""The transport's repairs over pygls, and the start-up check of the pygls internals they use.

The stdio stream finds a message header after stray bytes and is served by pygls' own
``start_io``; a command whose task is cancelled is answered; ``shutdown`` while a command runs
succeeds; a pygls without the internals the repairs use stops the server at creation with a
message naming its version and the supported range. (The e2e tests cover the answered bad
params and the notification leak, over a real ``grove serve``.)
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
import time
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import JsonRPCProtocol

from server.lsp import pygls_internals
from server.lsp.pygls_internals import PyglsInternalsError
from server.lsp.state import GroveServer
from server.lsp.transport import ResyncingStream, serve_stdio


def test_a_header_after_stray_bytes_is_found() -> None:
    stream = ResyncingStream(io.BytesIO(b"{}Content-Length: 2\r\n\r\n{}"))
    assert stream.readline() == b"Content-Length: 2\r\n"
    assert stream.readline() == b"\r\n"
    assert stream.read(2) == b"{}"


class _Session:
    """A GroveServer served by :func:`serve_stdio` on a thread, fed through a pipe."""

    def __init__(self, server: GroveServer) -> None:
        self.server = server
        read_end, write_end = os.pipe()
        self._stdin = os.fdopen(write_end, "wb")
        self._stdout = io.BytesIO()
        self._stdout.close = lambda: None  # type: ignore[method-assign]  # pygls closes it on exit
        stdin = os.fdopen(read_end, "rb")
        self._thread = threading.Thread(
            target=serve_stdio, args=(server, stdin, self._stdout), daemon=True
        )
        self._thread.start()

    def send_raw(self, data: bytes) -> None:
        self._stdin.write(data)
        self._stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def replies(self) -> dict[object, dict[str, Any]]:
        """Replies by request id so far."""
        data, found = self._stdout.getvalue(), {}
        while data:
            header, _, rest = data.partition(b"\r\n\r\n")
            length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            message = json.loads(rest[:length])
            if "id" in message and "method" not in message:
                found[message["id"]] = message
            data = rest[length:]
        return found

    def reply(self, msg_id: object, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while msg_id not in (replies := self.replies()):
            assert time.monotonic() < deadline, f"no reply to {msg_id!r}: {replies}"
            time.sleep(0.01)
        return replies[msg_id]

    def request(self, msg_id: int, method: str, params: object = None) -> None:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})

    def end(self) -> None:
        """Close stdin and wait for the server thread to finish."""
        self._stdin.close()
        self._thread.join(10)
        assert not self._thread.is_alive()


INITIALIZE = {"capabilities": {}}


def test_serve_stdio_runs_pygls_start_io_over_the_resyncing_stream() -> None:
    session = _Session(GroveServer())
    session.request(1, "initialize", INITIALIZE)
    session.send_raw(b"noise")  # glued to the next header: pygls alone would lose every message
    session.request(2, "shutdown")
    session.send({"jsonrpc": "2.0", "method": "exit"})
    session.end()
    assert sorted(session.replies()) == [1, 2]
    assert "error" not in session.replies()[2]


def test_a_command_whose_task_is_cancelled_is_answered() -> None:
    server = GroveServer()

    @server.command("test.cancelsItself")
    async def cancels_itself(ls: GroveServer, *args: object) -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().call_soon(task.cancel)  # as a progress bar's cancel does
        await asyncio.sleep(30)

    session = _Session(server)
    session.request(1, "initialize", INITIALIZE)
    session.request(2, "workspace/executeCommand", {"command": "test.cancelsItself"})
    # Answered before anything else arrives (pygls alone never answers it).
    assert session.reply(2)["error"]["code"] == -32800
    session.request(3, "shutdown")
    assert "error" not in session.reply(3)
    session.end()


def test_shutdown_while_a_command_runs_answers_both() -> None:
    server, started = GroveServer(), threading.Event()

    @server.command("test.slow")
    async def slow(ls: GroveServer, *args: object) -> None:
        started.set()
        await asyncio.sleep(30)

    session = _Session(server)
    session.request(1, "initialize", INITIALIZE)
    session.request(2, "workspace/executeCommand", {"command": "test.slow"})
    assert started.wait(10)
    session.request(3, "shutdown")
    # pygls alone: "dictionary changed size during iteration" answers shutdown with -32603.
    assert "error" not in session.reply(3)
    assert session.reply(2)["error"]["code"] == -32800
    session.end()


def test_the_installed_pygls_has_what_grove_uses() -> None:
    assert pygls_internals.problems(GroveServer().protocol) == []


@pytest.mark.parametrize("name", ["_execute_handler", "_send_response"])
def test_a_missing_private_method_stops_the_server_at_creation(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delattr(JsonRPCProtocol, name)
    monkeypatch.setattr(pygls_internals, "installed_version", lambda: "2.9.0")
    with pytest.raises(PyglsInternalsError) as raised:
        GroveServer()
    message = str(raised.value)
    assert f"LanguageServerProtocol.{name}: missing" in message
    assert "pygls 2.9.0" in message
    assert pygls_internals.SUPPORTED in message


def test_a_changed_signature_stops_the_server_at_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    def _send_response(self: object, msg_id: object, payload: object = None) -> None: ...

    monkeypatch.setattr(JsonRPCProtocol, "_send_response", _send_response)
    with pytest.raises(PyglsInternalsError, match=r"_send_response: parameters are"):
        GroveServer()


def test_a_missing_request_table_stops_the_server_at_creation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = JsonRPCProtocol.__init__

    def without_table(self: JsonRPCProtocol, *args: Any) -> None:
        original(self, *args)
        del self._request_futures

    monkeypatch.setattr(JsonRPCProtocol, "__init__", without_table)
    with pytest.raises(PyglsInternalsError, match=r"_request_futures: missing or not a dict"):
        GroveServer()


def test_a_version_outside_the_range_with_the_same_internals_only_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pygls_internals, "installed_version", lambda: "2.2.0")
    GroveServer()
    assert "outside the supported range" in caplog.text


def test_request_futures_is_pygls_live_table() -> None:
    protocol = GroveServer().protocol
    future = protocol.send_request(types.WORKSPACE_CONFIGURATION, msg_id="x")
    assert pygls_internals.request_futures(protocol)["x"] is future
