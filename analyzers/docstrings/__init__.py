"""Docstrings: find the definition to document, render its docstring, validate the edit.

The pure side of docstring generation for Python, JavaScript/TypeScript, Go, Rust, Java, C#,
C, C++, Ruby and Lua, one module per step:

* :mod:`.targets` -- :func:`find_target`: the innermost definition at an offset, where its
  docstring goes (Python body string; comment above decorators/attributes/annotations) and the
  existing one; :mod:`.signature` reads parameters, return value and raised errors;
* :mod:`.styles` -- the file's convention (Google/NumPy/Sphinx/plain, JSDoc with or without
  types, YARD) and which settings override it;
* :mod:`.answers` -- the template the model fills, parsing the answer, salvage, skeletons;
* :mod:`.render` -- comment syntax, tags, indentation and wrapping to the line length;
* :mod:`.validate` -- the last gate before an edit is applied;
* :mod:`.line_length` -- the line length from the file's formatter settings.
"""

from __future__ import annotations

from dataclasses import replace

from analyzers.docstrings.answers import answer_template, parse_answer, salvage_answer, skeleton
from analyzers.docstrings.line_length import formatter_line_length
from analyzers.docstrings.model import (
    DOC_LANGUAGES,
    DocContent,
    DocEdit,
    DocStyle,
    DocTarget,
    Param,
)
from analyzers.docstrings.render import render_edit
from analyzers.docstrings.styles import (
    STYLE_SETTINGS,
    detect_python_style,
    detect_style,
    resolve_style,
)
from analyzers.docstrings.targets import find_target
from analyzers.docstrings.validate import validate_edit

__all__ = [
    "DOC_LANGUAGES",
    "STYLE_SETTINGS",
    "DocContent",
    "DocEdit",
    "DocStyle",
    "DocTarget",
    "Param",
    "answer_template",
    "configure",
    "detect_python_style",
    "detect_style",
    "find_target",
    "formatter_line_length",
    "parse_answer",
    "render_edit",
    "salvage_answer",
    "skeleton",
    "validate_edit",
    "with_style",
]


def with_style(target: DocTarget, style: DocStyle) -> DocTarget:
    """``target`` with another style."""
    return replace(target, style=style)


def configure(target: DocTarget, style_setting: str = "auto", line_length: int = 0) -> DocTarget:
    """``target`` with the user's style setting (where the language honours it) and line length."""
    style = resolve_style(target.language, target.style, style_setting)
    return replace(target, style=style, line_length=line_length or target.line_length)
