"""The workspace a CLI command works in, built one way for every command.

Owns :func:`open_workspace`: the workspace index rooted at the project holding a path (as an
editor roots it at the folder it opened), so the same ``.gitignore`` / ``.groveignore`` files,
``grove.context.exclude`` globs and built-in secret patterns apply; the send policy over it
(:class:`~server.refusal.SendPolicy`, the one rule for what may leave the machine); and the
cross-file context engine reading through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.context_sources import FileFacts, RelatedContext, analyze_file
from server.refusal import SendPolicy
from server.workspace import WorkspaceIndex
from server.workspace_rules import Notify, project_root

__all__ = ["CliWorkspace", "open_workspace"]


@dataclass(frozen=True)
class CliWorkspace:
    """The index, its root, the cross-file context over it and the send policy."""

    root: str
    index: WorkspaceIndex[FileFacts]
    related: RelatedContext
    policy: SendPolicy

    def close(self) -> None:
        """Stop the index's worker."""
        self.index.close()


def open_workspace(path: str, excludes: Sequence[str], notify: Notify | None) -> CliWorkspace:
    """The workspace of the project holding ``path`` (a file or a directory)."""
    root = project_root(path)
    index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file, notify=notify)
    index.set_roots([root])
    index.set_excludes(excludes)
    return CliWorkspace(root, index, RelatedContext(index), SendPolicy(index))
