"""Cross-file context: what a file imports, where those modules live, and what they define.

The three steps that turn ``from pkg.util import helper`` into a compact rendering of
``helper``'s signature for the completion prompt, for Python, JavaScript/TypeScript/TSX and Lua,
one module per step (and, for the summaries, per language):

* :mod:`.imports` -- :func:`imported_names`: the import statements of a document as
  :class:`ImportedName` s (:mod:`.model` holds it and :class:`DefinitionSummary`);
* :mod:`.paths` -- :func:`module_paths`: candidate files for an import (pure path arithmetic,
  no I/O: the caller checks which candidates exist and loads them);
* :mod:`.summaries` -- :func:`summarize_module`: a module's top-level (and exported)
  definitions, each rendered as code in the module's own language with bodies elided
  (:class:`DefinitionSummary`), by :mod:`.python_summary`, :mod:`.javascript_summary` and
  :mod:`.lua_summary` on the builder and rendering helpers of :mod:`.render`;

plus :func:`used_names` (here), which orders the identifiers near the cursor by recency so the
caller can pick the imported symbols that matter.

Conventions of :class:`ImportedName`:

* Python: ``module`` is the dotted path without the relative dots (``from ..p import x`` has
  module ``"p"`` and level 2; ``from . import m`` has module ``""``, name ``"m"``, level 1);
  ``import a.b`` has local ``"b"`` (the last part, by which the code reaches the module's
  members in ``a.b.f()``); ``from m import *`` has name None and local ``"*"``.
* JavaScript/TypeScript: ``module`` is the specifier as written; a default import has name
  ``"default"`` (:func:`summarize_module` files ``export default`` definitions under that key
  too); side-effect imports (``import './x'``, bare ``require('./x')``) bind nothing and are
  left out.
* Lua: ``require`` anywhere in the file; ``module`` is the string passed to it.
"""

from __future__ import annotations

import re

from analyzers.crossfile.imports import imported_names
from analyzers.crossfile.model import DefinitionSummary, ImportedName
from analyzers.crossfile.paths import module_paths
from analyzers.crossfile.summaries import summarize_module

__all__ = [
    "DefinitionSummary",
    "ImportedName",
    "imported_names",
    "module_paths",
    "summarize_module",
    "used_names",
]

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def used_names(text: str) -> list[str]:
    """Identifiers in ``text``, most recently used (nearest the end) first, without duplicates."""
    found = _IDENTIFIER_RE.findall(text)
    return list(dict.fromkeys(reversed(found)))
