"""Logging set-up: each line reaches the user once, through the editor's log or stderr.

stdout is the LSP transport, so no handler here ever writes to it. Levels are the standard ones
plus ``trace`` (:data:`~server.llm.openai_provider.TRACE`, below debug), the only level at which
request bodies — redacted prompts — are logged.

While an editor is connected (from its ``initialize`` request until ``exit`` or the end of the
connection, see :func:`set_editor_connected`), Grove's info, warning and error lines go to the
editor's log as ``window/logMessage`` only; editors also show the server's stderr in the same
output channel, so sending them to both showed every line twice. stderr keeps what the editor
never gets (debug and trace lines, other libraries' warnings) and everything logged before the
connection or after it ends — or when a ``window/logMessage`` cannot be sent.
"""

from __future__ import annotations

import logging
import sys
import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from server.llm.openai_provider import TRACE

__all__ = ["TRACE", "EditorLogHandler", "configure_logging", "set_editor_connected"]

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


_EDITOR_LOGGERS = ("server", "analyzers")


class _EditorLink:
    """Whether an editor is connected to take Grove's log lines (one server per process)."""

    connected = False


_LINK = _EditorLink()


def set_editor_connected(connected: bool) -> None:
    """Send Grove's info-and-above lines to the editor only (True) or to stderr (False)."""
    _LINK.connected = connected


def _for_editor(record: logging.LogRecord) -> bool:
    """True when the editor's log takes ``record`` (so stderr leaves it out)."""
    return (
        _LINK.connected
        and record.levelno >= logging.INFO
        and record.name.split(".", 1)[0] in _EDITOR_LOGGERS
    )


class EditorLogHandler(logging.Handler):
    """Forwards Grove's log records to the client as ``window/logMessage`` while connected.

    ``fallback`` (the stderr handler) gets a record that cannot be sent.
    """

    def __init__(self, server: LanguageServer, fallback: logging.Handler | None = None) -> None:
        super().__init__(logging.INFO)
        self._server = server
        self._fallback = fallback
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if not _for_editor(record) or getattr(self._local, "busy", False):
            return  # not connected: the stderr handler wrote it
        self._local.busy = True
        try:
            if getattr(self._server.protocol, "writer", None) is None:
                raise ConnectionError("no transport")
            message = types.LogMessageParams(
                type=_LEVELS.get(record.levelno, types.MessageType.Log),
                message=self.format(record),
            )
            self._server.window_log_message(message)
        except Exception:  # transport closed or not yet set up: stderr gets the record
            if self._fallback is not None:
                self._fallback.emit(record)
        finally:
            self._local.busy = False


class _NotForEditor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _for_editor(record)


def configure_logging(level: str = "INFO", server: LanguageServer | None = None) -> None:
    """Send Grove's logs to stderr, or to the editor while ``server`` has one connected."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [stderr]
    root.setLevel(logging.WARNING)
    if server is not None:
        stderr.addFilter(_NotForEditor())
    for name in _EDITOR_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, EditorLogHandler)]
        if server is not None:
            handler = EditorLogHandler(server, stderr)
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            logger.addHandler(handler)
