"""GroveServer: the language server object that holds all state.

Every piece of mutable state (documents, settings, model backend, caches, in-flight work)
lives on the one :class:`GroveServer` instance. Feature modules (:mod:`server.lsp.features`)
import this class and register their handlers on it; :mod:`server.lsp.registration` builds the
server with all of them. This module imports no feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from analyzers.context import RelatedBlock
from analyzers.parsing import SourceDocument
from analyzers.positions import Encoding
from server import __version__
from server.backend import ModelBackend
from server.completion import CompletionEngine
from server.context_sources import FileFacts, RelatedContext, analyze_file
from server.explain import ExplanationStore
from server.lsp.documents import DocumentStore
from server.lsp.transport import GroveProtocol
from server.refusal import SendPolicy
from server.review import Reviewer
from server.settings import Settings, resolve_settings
from server.tasks import TaskRegistry
from server.workspace import WorkspaceIndex

log = logging.getLogger(__name__)


class GroveServer(LanguageServer):
    """Grove's language server and all of its state."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(name="grove", version=__version__, protocol_cls=GroveProtocol)
        self.documents = DocumentStore()
        self.tasks = TaskRegistry()
        self.initialization_options: object = None
        self.settings: Settings = resolve_settings()
        self.encoding: Encoding = "utf-16"
        self.backend = ModelBackend(self.settings, self.notify_user, env=env)
        self.workspace_index: WorkspaceIndex[FileFacts] = WorkspaceIndex(
            analyze_file, notify=self.notify_from_any_thread
        )
        self.send_policy = SendPolicy(self.workspace_index)
        self.related_context = RelatedContext(self.workspace_index)
        self.engine = CompletionEngine(
            self.backend,
            self.send_policy,
            related=self._related_blocks,
            display_path=self.related_context.display_path,
        )
        self._shown_problems: set[str] = set()
        self._told_refused: dict[str, str] = {}
        """Open document URI → the refusal last shown for it (see :meth:`tell_refused`)."""
        self._background: set[asyncio.Task[None]] = set()
        self.settings_ready = asyncio.Event()
        self.accepted_count = 0
        self.speculative_count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.explanations = ExplanationStore()
        self.reviewer = Reviewer(self.backend, lambda: self.settings, self.send_policy)
        self.on_settings_applied: list[Callable[[], None]] = []
        """Called after every settings change (features refresh what depends on settings)."""

    def _related_blocks(
        self, key: str, source: SourceDocument, offset: int, path: str | None
    ) -> Sequence[RelatedBlock]:
        """Context from other files for a completion, when the setting allows it."""
        if not self.settings.context_cross_file:
            return ()
        return self.related_context.blocks(key, source, offset, path)

    def remember_event_loop(self) -> None:
        """Record the running event loop, so worker threads can reach the client through it."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()

    def notify_from_any_thread(self, level: str, message: str) -> None:
        """:meth:`notify_user`, callable from worker threads (hands over to the event loop)."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = self._loop
        if running is not None or loop is None or loop.is_closed():
            self.notify_user(level, message)
        else:
            loop.call_soon_threadsafe(self.notify_user, level, message)

    async def wait_for_settings(self, timeout_s: float = 3.0) -> None:
        """Wait (bounded) until the initial workspace/configuration pull has finished."""
        if not self.settings_ready.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.settings_ready.wait(), timeout_s)

    @property
    def supports_inline_completion(self) -> bool:
        """Whether the client declared textDocument/inlineCompletion support."""
        text_document = self.client_capabilities.text_document
        return text_document is not None and text_document.inline_completion is not None

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` without awaiting it; keep a reference and log its failure."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def notify_user(self, level: str, message: str) -> None:
        """Show one message in the editor (``window/showMessage``)."""
        kind = {
            "error": types.MessageType.Error,
            "warning": types.MessageType.Warning,
        }.get(level, types.MessageType.Info)
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:  # not connected (CLI, shutdown): the log line is enough
            log.debug("could not show message: %s", message)
        log.log(logging.ERROR if level == "error" else logging.WARNING, "%s", message)

    def tell_refused(self, uri: str, path: str | None, why: str) -> None:
        """Show why a document is not sent to the model, once per document and reason.

        A broken ignore file was already reported once for its whole root by the index.
        """
        if path is not None and self.workspace_index.broken_rules(path) is not None:
            return
        if self._told_refused.get(uri) != why:
            self._told_refused[uri] = why
            self.notify_user("info", why)

    def forget_document(self, uri: str) -> None:
        """Drop per-document state kept on the server object (the document was closed)."""
        self._told_refused.pop(uri, None)

    def apply_settings(self, *sources: object) -> None:
        """Resolve settings from raw option objects; report each new problem once."""
        settings = resolve_settings(*sources)
        problems = [p for p in settings.problems if p not in self._shown_problems]
        if problems:
            self._shown_problems.update(problems)
            broken = settings.endpoint_error
            level = "error" if broken and any(p.startswith(broken) for p in problems) else "warning"
            self.notify_user(level, "Grove settings: " + "; ".join(problems))
        self.settings = settings
        logging.getLogger("server").setLevel(settings.log_level.upper())
        logging.getLogger("analyzers").setLevel(settings.log_level.upper())
        if self.backend.configure(settings):
            self.reviewer.clear()
        self.workspace_index.set_excludes(settings.context_exclude)
        for listener in self.on_settings_applied:
            listener()
