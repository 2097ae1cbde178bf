"""Which documents Grove must not send to a model, and the one sentence that says why.

Every feature that sends a whole document's code (docstrings, explanations, reviews, the CLI)
asks :func:`refusal` first: secret files, files excluded by ignore rules, binary and oversized
text are refused before anything leaves the machine.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from analyzers.explain import looks_binary
from server.documents import MAX_ANALYSED_CHARS
from server.workspace import WorkspaceIndex

__all__ = ["refusal"]


def refusal(text: str, path: str | None, index: WorkspaceIndex[Any] | None) -> str | None:
    """Why this file must not be sent to a model (secret, ignored, binary, huge), else None."""
    name = PurePath(path).name if path else "this document"
    if path is not None and index is not None:
        if index.is_secret(path):
            return (
                f"Grove does not send {name} to a model: it looks like a secret file "
                "(keys, credentials, .env)."
            )
        if index.is_ignored(path):
            return (
                f"Grove does not send {name} to a model: it is excluded by .gitignore, "
                ".groveignore or grove.context.exclude."
            )
    if looks_binary(text):
        return f"Grove does not send {name} to a model: it looks like a binary file."
    if len(text) > MAX_ANALYSED_CHARS:
        return f"Grove does not send {name} to a model: it is too large to analyse."
    return None
