"""The one ``textDocument/codeAction`` and ``codeAction/resolve`` pair, shared by features.

LSP allows a single handler per method, so each feature that offers code actions describes
itself as a :class:`CodeActionProvider`; this module lists their actions together and routes
each resolve back to the provider that made the action (named in ``action.data["provider"]``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from server.lsp.documents import OpenDocument
from server.lsp.state import GroveServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodeActionProvider:
    """One feature's code actions: its kinds, a cheap lister and an (expensive) resolver."""

    name: str
    kinds: tuple[types.CodeActionKind, ...]
    list_actions: Callable[[GroveServer, types.CodeActionParams], list[types.CodeAction]]
    resolve: Callable[[GroveServer, types.CodeAction], Awaitable[types.CodeAction]]

    def tag(self, data: dict[str, Any]) -> dict[str, Any]:
        """Action data marked with this provider's name, so resolve finds its way back."""
        return {**data, "provider": self.name}


def sendable_document(
    ls: GroveServer, params: types.CodeActionParams, feature: str
) -> OpenDocument | None:
    """The document code actions are asked for, or None: not open, or never sent to a model."""
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    why = ls.send_policy.refusal(document.source.text, document.path)
    if why is not None:
        log.debug("no %s actions: %s", feature, why)
        return None
    return document


def register(server: GroveServer, providers: Sequence[CodeActionProvider]) -> None:
    """Wire the shared handlers for ``providers``."""
    kinds: list[types.CodeActionKind] = []
    for provider in providers:
        kinds.extend(kind for kind in provider.kinds if kind not in kinds)
    by_name = {provider.name: provider for provider in providers}

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True),
    )
    def code_action(ls: GroveServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Every provider's actions for the range, filtered by the client's ``only``."""
        actions: list[types.CodeAction] = []
        for provider in providers:
            if wanted(params.context.only, provider.kinds):
                actions.extend(provider.list_actions(ls, params))
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: GroveServer, action: types.CodeAction) -> types.CodeAction:
        """Hand the action to the provider that listed it."""
        data = action.data if isinstance(action.data, dict) else {}
        provider = by_name.get(str(data.get("provider")))
        if provider is None:
            log.warning("codeAction/resolve for an action Grove did not make: %r", action.title)
            return action
        return await provider.resolve(ls, action)


def wanted(
    only: Sequence[types.CodeActionKind | str] | None, kinds: Sequence[types.CodeActionKind]
) -> bool:
    """Whether actions of ``kinds`` pass the client's ``only`` filter (hierarchical kinds)."""
    if not only:
        return True
    for requested in only:
        prefix = getattr(requested, "value", str(requested))
        for kind in kinds:
            value = kind.value
            if prefix == "" or value == prefix or value.startswith(prefix + "."):
                return True
    return False
