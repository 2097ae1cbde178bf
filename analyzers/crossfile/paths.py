"""Resolving imports: candidate files for an imported module (path arithmetic, no I/O).

Owns :func:`module_paths`, with Python (roots, the importer's directory, relative imports and
submodules), JavaScript/TypeScript (relative specifiers, extensions, ``index`` files, a ``.js``
specifier's TypeScript source) and Lua (``?.lua``, ``?/init.lua``, under ``lua/`` too) rules.
The caller checks which candidates exist and loads them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from analyzers.crossfile.model import JS_LANGUAGES, ImportedName
from analyzers.languages import language_for

__all__ = ["module_paths"]

_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}


def module_paths(
    importer_path: str, imported: ImportedName, language: str, roots: Sequence[str]
) -> list[str]:
    """Candidate absolute file paths (normalised, in preference order) that may define the module.

    Pure path arithmetic, no I/O. ``language`` is a language name or LSP languageId.

    * Python, per root (then the importer's own directory, as ``sys.path[0]`` of a script):
      ``root/a/b.py``, ``root/a/b/__init__.py``; relative imports resolve against the
      importer's package instead of the roots. For ``from a.b import x`` the files of a
      possible submodule ``x`` (``root/a/b/x.py``, ``root/a/b/x/__init__.py``) come first, then
      the module files: when ``a/b/x.py`` exists, ``x`` is almost always that submodule, so the
      first existing candidate is the right file.
    * JavaScript/TypeScript: relative specifiers only (``./``, ``../``): the exact path, then
      the path plus ``.ts .tsx .js .jsx .mjs .cjs .d.ts``, then ``/index`` plus those; a
      ``.js``-style specifier also tries its TypeScript source (``./m.js`` → ``./m.ts``).
      Bare package names give [] (no ``node_modules`` lookup).
    * Lua, per root: ``a/b.lua``, ``a/b/init.lua``, ``lua/a/b.lua``, ``lua/a/b/init.lua``.
    """
    spec = language_for(language, None)
    name = spec.name if spec is not None else language
    if name == "python":
        paths = _python_paths(importer_path, imported, roots)
    elif name in JS_LANGUAGES:
        paths = _js_paths(importer_path, imported.module)
    elif name == "lua":
        paths = _lua_paths(imported.module, roots)
    else:
        paths = []
    return list(dict.fromkeys(os.path.normpath(p) for p in paths))


def _python_paths(importer_path: str, imported: ImportedName, roots: Sequence[str]) -> list[str]:
    parts = [p for p in imported.module.split(".") if p]
    if imported.level > 0:
        base = os.path.dirname(os.path.abspath(importer_path))
        for _ in range(imported.level - 1):
            base = os.path.dirname(base)
        bases = [base]
    else:
        bases = [os.path.abspath(r) for r in roots]
        own = os.path.dirname(os.path.abspath(importer_path))
        if own not in bases:
            bases.append(own)
    modules: list[str] = []
    submodules: list[str] = []
    for base in bases:
        target = os.path.join(base, *parts)
        if parts:
            modules.append(target + ".py")
        modules.append(os.path.join(target, "__init__.py"))
        if imported.name is not None and imported.name != "*":
            sub = os.path.join(target, *imported.name.split("."))
            submodules += [sub + ".py", os.path.join(sub, "__init__.py")]
    return submodules + modules


def _js_paths(importer_path: str, specifier: str) -> list[str]:
    if not specifier.startswith(("./", "../")) and specifier not in {".", ".."}:
        return []
    base = os.path.dirname(os.path.abspath(importer_path))
    target = os.path.normpath(os.path.join(base, specifier))
    paths = [target]
    stem, ext = os.path.splitext(target)
    paths += [stem + alternative for alternative in _JS_TO_TS.get(ext, ())]
    paths += [target + e for e in _JS_EXTENSIONS]
    paths += [os.path.join(target, "index" + e) for e in _JS_EXTENSIONS]
    return paths


def _lua_paths(module: str, roots: Sequence[str]) -> list[str]:
    module = module.removesuffix(".lua")
    parts = [p for p in re.split(r"[./]", module) if p]
    if not parts:
        return []
    paths: list[str] = []
    for root in roots:
        for base in (os.path.abspath(root), os.path.join(os.path.abspath(root), "lua")):
            target = os.path.join(base, *parts)
            paths += [target + ".lua", os.path.join(target, "init.lua")]
    return paths
