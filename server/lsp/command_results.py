"""The one shape of every Grove command result, and the functions that build it.

``grove.generateDocstring``, ``grove.explain``, ``grove.explainDiagnostic``, ``grove.review`` and
``grove.doctor`` answer ``workspace/executeCommand`` with one JSON object whose ``kind`` says what
the client does with it::

    {"kind": "edit", "edit": WorkspaceEdit, "applied": bool}
    {"kind": "markdown", "markdown": str}
    {"kind": "message", "message": str}

- ``edit``: a ``WorkspaceEdit`` (LSP JSON). ``applied: true`` means Grove already sent it with
  ``workspace/applyEdit`` and the editor applied it, so there is nothing left to do (any client,
  plugin or not, gets the edit that way; an editor refusing it is an error, not a result).
  ``applied: false`` means the client did not declare ``workspace.applyEdit``: the caller applies
  ``edit`` itself.
- ``markdown``: Markdown to show as a document (an explanation, ``grove.doctor``'s report),
  without a heading: the client titles it. A client that streamed it
  (``grove/explanationProgress``) replaces the streamed text with this.
- ``message``: one sentence for the user and nothing to apply or open, e.g. "Nothing to explain
  here: …" or a review's summary.

Any kind may carry ``"data"``: command-specific facts for scripts and tests (a review's counts,
the doctor's checks); editors may ignore it. A failure is a JSON-RPC error, never a result.
``grove.status`` is not a command result to show: it keeps its own status object (see
:mod:`server.lsp.features.status`).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, TypedDict

from cattrs import Converter
from lsprotocol import types
from lsprotocol.converters import get_converter


class _Extra(TypedDict, total=False):
    data: dict[str, Any]
    """Command-specific facts (for scripts and tests); editors ignore them."""


class EditResult(_Extra):
    """An edit, already applied by the editor (``applied``) or for the caller to apply."""

    kind: Literal["edit"]
    edit: dict[str, Any]
    applied: bool


class MarkdownResult(_Extra):
    """Markdown to show (no heading)."""

    kind: Literal["markdown"]
    markdown: str


class MessageResult(_Extra):
    """One sentence to show; nothing to apply or open."""

    kind: Literal["message"]
    message: str


CommandResult = EditResult | MarkdownResult | MessageResult


@cache
def _converter() -> Converter:
    return get_converter()


def edit_result(
    edit: types.WorkspaceEdit, *, applied: bool, data: dict[str, Any] | None = None
) -> EditResult:
    """The result for ``edit``; ``applied`` when the editor applied it (workspace/applyEdit)."""
    result = EditResult(
        kind="edit",
        edit=_converter().unstructure(edit, types.WorkspaceEdit),
        applied=applied,
    )
    if data is not None:
        result["data"] = data
    return result


def markdown_result(markdown: str, *, data: dict[str, Any] | None = None) -> MarkdownResult:
    """The result that shows ``markdown`` (sanitised already, without a heading)."""
    result = MarkdownResult(kind="markdown", markdown=markdown)
    if data is not None:
        result["data"] = data
    return result


def message_result(message: str, *, data: dict[str, Any] | None = None) -> MessageResult:
    """The result that shows one sentence and applies nothing."""
    result = MessageResult(kind="message", message=message)
    if data is not None:
        result["data"] = data
    return result


def client_applies_edits(client_capabilities: types.ClientCapabilities) -> bool:
    """Whether the client declared ``workspace.applyEdit`` (then Grove sends edits that way)."""
    workspace = client_capabilities.workspace
    return workspace is not None and bool(workspace.apply_edit)
