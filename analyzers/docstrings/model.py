"""The data every docstring step shares: targets, parameters, content, edits and styles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from analyzers.structure import ScopeKind

__all__ = [
    "DEFAULT_LINE_LENGTH",
    "DOC_LANGUAGES",
    "SKELETON_MARK",
    "DocContent",
    "DocEdit",
    "DocStyle",
    "DocTarget",
    "Param",
]

DocStyle = Literal[
    "google",
    "numpy",
    "sphinx",
    "plain",
    "jsdoc",
    "jsdoc-typed",
    "go",
    "rust",
    "javadoc",
    "xmldoc",
    "doxygen",
    "yard",
    "luals",
]
"""Layout of the documentation; the comment syntax itself follows the language."""

DOC_LANGUAGES = frozenset(
    {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "rust",
        "java",
        "csharp",
        "c",
        "cpp",
        "ruby",
        "lua",
    }
)
"""Languages this package places docstrings for."""

LISTING_STYLES = frozenset(
    {"google", "numpy", "sphinx", "jsdoc", "jsdoc-typed", "javadoc", "xmldoc", "doxygen", "yard"}
    | {"luals"}
)
"""Styles that name every parameter."""

DEFAULT_LINE_LENGTH = {"python": 88}
"""Line length when no formatter setting is found; 100 for languages not listed."""

SKELETON_MARK = "TODO"


@dataclass(frozen=True)
class Param:
    """One documented parameter; ``name`` carries ``*``/``**``/``&`` or ``...`` markers."""

    name: str
    type: str | None = None
    default: str | None = None

    @property
    def key(self) -> str:
        """The bare name used to match a docstring entry (no stars, dots or ampersands)."""
        return self.name.lstrip("*.&")


@dataclass(frozen=True)
class DocTarget:
    """A definition to document and everything needed to place its docstring."""

    language: str
    kind: ScopeKind
    name: str
    start: int
    """Start of the definition including decorators, attributes and ``export``."""
    end: int
    node_start: int
    """Start of the definition node itself (after decorators)."""
    header: str
    params: tuple[Param, ...]
    returns: str | None
    """Return type annotation text, if any."""
    returns_value: bool
    """Whether the docstring should have a Returns (or Yields) section."""
    yields: bool
    raises: tuple[str, ...]
    existing: str | None
    """Text of the existing docstring or doc comment (the range ``edit_start..edit_end``)."""
    edit_start: int
    edit_end: int
    """Range the edit replaces: empty, whitespace only, or the existing docstring."""
    indent: str
    indent_unit: str
    newline: str
    style: DocStyle
    same_line_body: bool = False
    """Python body on the header line: the edit moves it to its own line."""
    line_length: int = 0
    """Longest line the docstring may have (0: the language's default)."""

    @property
    def lists_params(self) -> bool:
        """Whether this style names every parameter."""
        return self.style in LISTING_STYLES and self.kind != "class"

    @property
    def max_line(self) -> int:
        """The effective line length limit."""
        return self.line_length or DEFAULT_LINE_LENGTH.get(self.language, 100)


@dataclass(frozen=True)
class DocContent:
    """A docstring's content, independent of style and comment syntax."""

    summary: str
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: str = ""
    raises: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocEdit:
    """Replace ``start..end`` (code points) of the document with ``text``."""

    start: int
    end: int
    text: str
