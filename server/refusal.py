"""Which documents Grove must not send to a model, and the one sentence that says why.

:class:`SendPolicy` is the single rule for "may this document's text leave the machine?".
Every pipeline that builds a model request from a document (completion, docstrings,
explanations, reviews) takes a policy in its constructor or signature and asks it at the one
place it builds that request, so the language server, the CLI and any later entry point inherit
the same refusals: secret files, files excluded by ignore rules (or under a broken ignore file,
which fails closed), binary and oversized text. Cross-file context is filtered by the workspace
index itself (:mod:`server.context_sources`).
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from analyzers.explain import looks_binary
from server.workspace import WorkspaceIndex

__all__ = ["MAX_ANALYSED_CHARS", "Refused", "SendPolicy", "refusal"]

MAX_ANALYSED_CHARS = 2_000_000
"""Above this size a document is kept as text only: no tree, no completions, nothing sent."""


class Refused(Exception):
    """A document must not be sent to a model; ``str()`` is the one sentence that says why."""


class SendPolicy:
    """Decides, from the workspace's ignore rules, whether a document may be sent to a model."""

    def __init__(self, index: WorkspaceIndex[Any]) -> None:
        self.index = index

    @classmethod
    def outside_workspace(cls) -> SendPolicy:
        """A policy with no workspace roots: built-in secret patterns, binary and size only."""
        return cls(WorkspaceIndex(_no_facts))

    def refusal(self, text: str, path: str | None) -> str | None:
        """Why this document must not be sent to a model, else None."""
        return refusal(text, path, self.index)

    def check(self, text: str, path: str | None) -> None:
        """Raise :class:`Refused` when this document must not be sent to a model."""
        why = self.refusal(text, path)
        if why is not None:
            raise Refused(why)


def _no_facts(path: str, text: str) -> None:
    """The analyzer of an index used only for its ignore rules."""


def refusal(text: str, path: str | None, index: WorkspaceIndex[Any]) -> str | None:
    """Why this file must not be sent to a model (secret, ignored, binary, huge), else None.

    A symbolic link is judged by its own path and by the file it points to: ``settings.py``
    linked to ``.env`` is a secret, and a root opened through a link still has its ignore files.
    """
    name = PurePath(path).name if path else "this document"
    if path is not None:
        for candidate in dict.fromkeys((path, os.path.realpath(path))):
            why = _path_refusal(name, candidate, index)
            if why is not None:
                return why
    if "\x00" in text or looks_binary(text):
        return f"Grove does not send {name} to a model: it looks like a binary file."
    if len(text) > MAX_ANALYSED_CHARS:
        return f"Grove does not send {name} to a model: it is too large to analyse."
    return None


def _path_refusal(name: str, path: str, index: WorkspaceIndex[Any]) -> str | None:
    """Why the file at ``path`` is secret or ignored, else None."""
    if index.is_secret(path):
        return (
            f"Grove does not send {name} to a model: it looks like a secret file "
            "(keys, credentials, .env)."
        )
    if index.is_ignored(path):
        broken = index.broken_rules(path)
        if broken is not None:
            return (
                f"Grove does not send {name} to a model: an ignore rule cannot be read "
                f"({broken}), so nothing under it is sent until it is fixed."
            )
        return (
            f"Grove does not send {name} to a model: it is excluded by .gitignore, "
            ".groveignore or grove.context.exclude."
        )
    return None
