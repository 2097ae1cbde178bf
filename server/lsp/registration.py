"""The language server with every feature registered: the one place that imports the features.

Features import the state (:mod:`server.lsp.state`), never this module, so the dependency runs
one way: registration → features → state.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.lsp.features import (
    code_actions,
    docstrings,
    explain,
    inline_completion,
    lifecycle,
    review,
    status,
    sync,
    workspace,
)
from server.lsp.state import GroveServer


def create_server(env: Mapping[str, str] | None = None) -> GroveServer:
    """A GroveServer with every feature registered."""
    server = GroveServer(env=env)
    features = (lifecycle, sync, inline_completion, status, docstrings, explain, review)
    for feature in (*features, workspace):
        feature.register(server)
    code_actions.register(server, [docstrings.CODE_ACTIONS, explain.CODE_ACTIONS])
    return server
