"""Logging set-up: stderr always, and the editor's log (``window/logMessage``) when serving.

stdout is the LSP transport, so no handler here ever writes to it. Levels are the standard ones
plus ``trace`` (:data:`~server.llm.openai_provider.TRACE`, below debug), the only level at which
request bodies — redacted prompts — are logged; the editor's log gets info and above.
"""

from __future__ import annotations

import logging
import sys
import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from server.llm.openai_provider import TRACE

__all__ = ["TRACE", "EditorLogHandler", "configure_logging"]

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class EditorLogHandler(logging.Handler):
    """Forwards Grove's log records to the client as ``window/logMessage``."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__(logging.INFO)
        self._server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            message = types.LogMessageParams(
                type=_LEVELS.get(record.levelno, types.MessageType.Log),
                message=self.format(record),
            )
            self._server.window_log_message(message)
        except Exception:  # transport closed or not yet initialised: stderr has the record
            pass
        finally:
            self._local.busy = False


def configure_logging(level: str = "INFO", server: LanguageServer | None = None) -> None:
    """Send Grove's logs to stderr, and to the editor when ``server`` is given."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [stderr]
    root.setLevel(logging.WARNING)
    for name in ("server", "analyzers"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if server is not None:
            handler = EditorLogHandler(server)
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            logger.addHandler(handler)
