"""Text synchronisation: didOpen, didChange (incremental), didSave, didClose."""

from __future__ import annotations

import logging

from lsprotocol import types

from server.completion_cache import typed_forward
from server.lsp.documents import uri_to_path
from server.lsp.features import review
from server.lsp.state import GroveServer

log = logging.getLogger(__name__)


def register(server: GroveServer) -> None:
    """Wire document synchronisation handlers."""
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)


def did_open(ls: GroveServer, params: types.DidOpenTextDocumentParams) -> None:
    """Parse and track a newly opened document."""
    document = ls.documents.open(params.text_document)
    log.debug("opened %s (%s)", document.uri, document.language_id)
    if document.path is not None:
        ls.workspace_index.note_open(document.path, document.source.text)
        if ls.settings.context_cross_file and not document.too_large:
            ls.related_context.prefetch(document.source, document.path)
    review.document_opened(ls, document)


def did_change(ls: GroveServer, params: types.DidChangeTextDocumentParams) -> None:
    """Apply incremental changes to the text and the syntax tree."""
    document = ls.documents.change(params.text_document, list(params.content_changes), ls.encoding)
    if document is None:
        return
    text = document.source.text
    ls.tasks.keep_useful(document.uri, lambda at: typed_forward(at.text, at.offset, text))
    if document.path is not None:
        ls.workspace_index.note_change(document.path, text)
    review.document_changed(ls, document)


def did_save(ls: GroveServer, params: types.DidSaveTextDocumentParams) -> None:
    """Re-read a saved ignore file; run the triggers that wait for a save (the review)."""
    path = uri_to_path(params.text_document.uri)
    if path is not None:
        # Clients without file watchers tell Grove about ignore-file edits only by saving them.
        ls.workspace_index.file_changed(path, "changed")
    review.document_saved(ls, params.text_document.uri)


def did_close(ls: GroveServer, params: types.DidCloseTextDocumentParams) -> None:
    """Stop tracking a document and cancel its in-flight work."""
    uri = params.text_document.uri
    ls.tasks.cancel(uri)
    review.document_closed(ls, uri)
    ls.engine.cache.forget(uri)
    ls.forget_document(uri)
    ls.related_context.forget(uri)
    ls.documents.close(uri)
    path = uri_to_path(uri)
    if path is not None:
        ls.workspace_index.note_close(path)
