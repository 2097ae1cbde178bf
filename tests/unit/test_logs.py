"""Log routing: a line goes to the editor's log while one is connected, else to stderr; once."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pygls.lsp.server import LanguageServer

from server.lsp import logs


class FakeServer:
    def __init__(self) -> None:
        self.protocol = SimpleNamespace(writer=object())
        self.sent: list[str] = []

    def window_log_message(self, params: Any) -> None:
        self.sent.append(params.message)


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, io.StringIO]]:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    root, named = logging.getLogger(), [logging.getLogger(n) for n in ("server", "analyzers")]
    saved = (root.handlers[:], root.level, [(x.handlers[:], x.level) for x in named])
    server = FakeServer()
    logs.configure_logging("info", cast(LanguageServer, server))
    yield server, stderr
    logs.set_editor_connected(False)
    root.handlers[:], root.level = saved[0], saved[1]
    for logger, (handlers, level) in zip(named, saved[2], strict=True):
        logger.handlers[:], logger.level = handlers, level


def test_each_line_reaches_the_user_once(routed: tuple[FakeServer, io.StringIO]) -> None:
    server, stderr = routed
    log = logging.getLogger("server.example")
    log.info("before the editor connects")
    logs.set_editor_connected(True)
    log.info("while connected")
    log.debug("a debug line")  # the editor's log gets info and above; stderr keeps the rest
    logging.getLogger("other.library").warning("not Grove's")
    server.protocol.writer = None
    log.warning("the transport is gone")
    server.protocol.writer = object()
    logs.set_editor_connected(False)
    log.info("after the editor left")
    text = stderr.getvalue()
    assert server.sent == ["server.example: while connected"]
    assert "while connected" not in text
    for line in ("before the editor connects", "not Grove's", "the transport is gone"):
        assert text.count(line) == 1, text
    assert "after the editor left" in text and "a debug line" not in text
