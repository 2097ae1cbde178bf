"""The values cross-file context passes around: imported names and definition summaries.

Owns :class:`ImportedName` (one name an import statement binds; the conventions per language
are in the package docstring), :class:`DefinitionSummary` (a definition rendered compactly) and
:data:`JS_LANGUAGES`, the language names handled as JavaScript/TypeScript.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JS_LANGUAGES", "DefinitionSummary", "ImportedName"]

JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
"""Language names whose imports, paths and summaries follow the JavaScript rules."""


@dataclass(frozen=True)
class ImportedName:
    """One name an import statement binds (see the package docstring for the conventions)."""

    module: str
    name: str | None
    local: str
    level: int = 0


@dataclass(frozen=True)
class DefinitionSummary:
    """A definition rendered compactly as code in its file's language."""

    name: str
    kind: str
    text: str
    line: int
