"""Which documentation convention a file follows, and what a setting may override.

Python: Google / NumPy / Sphinx / plain from the file's docstrings. JavaScript/TypeScript: JSDoc
with or without ``{types}`` on ``@param`` tags. Ruby: YARD tags when the file has them, else
plain ``#`` comments. Every other language has one convention.
"""

from __future__ import annotations

import re

from analyzers.docstrings.model import DocStyle
from analyzers.parsing import SourceDocument
from analyzers.structure import definitions

__all__ = ["STYLE_SETTINGS", "detect_python_style", "detect_style", "resolve_style"]

_GOOGLE = re.compile(
    r"^\s*(Args|Arguments|Returns|Raises|Yields|Attributes|Examples?|Note):\s*$", re.MULTILINE
)
_NUMPY = re.compile(
    r"^\s*(Parameters|Returns|Raises|Yields|Attributes|Examples?)\s*\r?\n\s*-{3,}\s*$", re.MULTILINE
)
_SPHINX = re.compile(r":(param|type|returns?|rtype|raises?)\b[^:\n]*:")
_PLAIN_MIN_DOCSTRINGS = 3

_JSDOC_TYPED = re.compile(r"@(?:param|arg|argument|returns?)\s+\{")
_JSDOC_UNTYPED = re.compile(r"@(?:param|arg|argument)\s+[\w$\[]|@returns?\s+[^{\s]")
_YARD = re.compile(r"^\s*#\s*@(?:param|return|raise|yield|option)\b", re.MULTILINE)

_FIXED: dict[str, DocStyle] = {
    "go": "go",
    "rust": "rust",
    "java": "javadoc",
    "csharp": "xmldoc",
    "c": "doxygen",
    "cpp": "doxygen",
    "lua": "luals",
}

STYLE_SETTINGS: dict[str, frozenset[str]] = {
    "python": frozenset({"google", "numpy", "sphinx", "plain"}),
    "javascript": frozenset({"jsdoc", "jsdoc-typed"}),
    "typescript": frozenset({"jsdoc", "jsdoc-typed"}),
    "tsx": frozenset({"jsdoc", "jsdoc-typed"}),
    "ruby": frozenset({"yard", "plain"}),
}
"""Values of ``grove.docstring.style`` each language honours (others keep detection)."""


def detect_python_style(doc: SourceDocument) -> DocStyle:
    """The convention of the file's docstrings: majority of google/numpy/sphinx markers.

    ``plain`` when the file has at least three docstrings and none has sections; ``google``
    when there is nothing to go by.
    """
    texts = [s.docstring for s in definitions(doc) if s.docstring]
    votes = {"google": 0, "numpy": 0, "sphinx": 0}
    for text in texts:
        if _NUMPY.search(text):
            votes["numpy"] += 1
        elif _SPHINX.search(text):
            votes["sphinx"] += 1
        elif _GOOGLE.search(text):
            votes["google"] += 1
    best = max(votes, key=lambda k: votes[k])
    if votes[best]:
        return best  # type: ignore[return-value]
    return "plain" if len(texts) >= _PLAIN_MIN_DOCSTRINGS else "google"


def detect_style(doc: SourceDocument, language: str) -> DocStyle:
    """The file's convention for ``language`` (see the module docstring)."""
    if language == "python":
        return detect_python_style(doc)
    if language in ("javascript", "typescript", "tsx"):
        typed = len(_JSDOC_TYPED.findall(doc.text))
        untyped = len(_JSDOC_UNTYPED.findall(doc.text))
        return "jsdoc-typed" if typed > untyped else "jsdoc"
    if language == "ruby":
        return "yard" if _YARD.search(doc.text) else "plain"
    return _FIXED.get(language, "plain")


def resolve_style(language: str, detected: DocStyle, setting: str) -> DocStyle:
    """``setting`` when ``language`` honours it, else the detected style."""
    if setting in STYLE_SETTINGS.get(language, frozenset()):
        return setting  # type: ignore[return-value]
    return detected
