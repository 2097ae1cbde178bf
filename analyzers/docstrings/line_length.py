"""The line length a file's formatter enforces, found in config files above the file.

Looked up from the file's directory upward; the nearest formatter setting wins, then the
nearest ``.editorconfig`` ``max_line_length``:

* Python: ``[tool.ruff]`` / ``[tool.black]`` ``line-length`` in ``pyproject.toml``,
  ``line-length`` in ``ruff.toml`` / ``.ruff.toml``, ``max-line-length`` in ``setup.cfg`` /
  ``tox.ini`` / ``.flake8``;
* JavaScript/TypeScript: ``printWidth`` in ``.prettierrc`` (JSON or YAML),
  ``.prettierrc.json`` or ``package.json``'s ``prettier`` key;
* Rust: ``max_width`` in ``rustfmt.toml``; C, C++, Java, C#: ``ColumnLimit`` in
  ``.clang-format``; Lua: ``column_width`` in ``stylua.toml``.

0 means nothing was found (the caller uses its default). Unreadable or odd files are ignored.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["editorconfig_line_length", "formatter_line_length"]

MAX_LEVELS = 30
_MAX_CONFIG_BYTES = 256_000
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")

Reader = Callable[[str], int]


def _ini_value(text: str, sections: tuple[str, ...], keys: tuple[str, ...]) -> int:
    """An integer ``key = N`` inside one of ``sections`` ("" = before any section)."""
    section = ""
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header is not None:
            section = header.group(1).strip().strip('"')
            continue
        if section not in sections:
            continue
        match = re.match(r"^\s*([\w.-]+)\s*[=:]\s*(\d+)\s*(?:#.*)?$", line)
        if match is not None and match.group(1) in keys:
            return int(match.group(2))
    return 0


def _json_width(text: str, key: str | None) -> int:
    try:
        data = json.loads(text)
    except ValueError:
        return 0
    if key is not None:
        data = data.get(key) if isinstance(data, dict) else None
    width = data.get("printWidth") if isinstance(data, dict) else None
    return width if isinstance(width, int) and not isinstance(width, bool) else 0


def _prettierrc(text: str) -> int:
    if text.lstrip().startswith("{"):
        return _json_width(text, None)
    match = re.search(r"^\s*printWidth\s*:\s*(\d+)", text, re.MULTILINE)  # YAML
    return int(match.group(1)) if match else 0


def _top_level(key: str) -> Reader:
    return lambda text: _ini_value(text, ("",), (key,))


_PYTHON: tuple[tuple[str, Reader], ...] = (
    ("pyproject.toml", lambda t: _ini_value(t, ("tool.ruff", "tool.black"), ("line-length",))),
    ("ruff.toml", _top_level("line-length")),
    (".ruff.toml", _top_level("line-length")),
    (".flake8", lambda t: _ini_value(t, ("flake8",), ("max-line-length",))),
    ("setup.cfg", lambda t: _ini_value(t, ("flake8", "pycodestyle"), ("max-line-length",))),
    ("tox.ini", lambda t: _ini_value(t, ("flake8", "pycodestyle"), ("max-line-length",))),
)
_PRETTIER: tuple[tuple[str, Reader], ...] = (
    (".prettierrc", _prettierrc),
    (".prettierrc.json", _prettierrc),
    (".prettierrc.yaml", _prettierrc),
    (".prettierrc.yml", _prettierrc),
    ("package.json", lambda t: _json_width(t, "prettier")),
)
_CLANG: tuple[tuple[str, Reader], ...] = (
    (".clang-format", lambda t: _ini_value(t.replace(":", "="), ("",), ("ColumnLimit",))),
)
_FORMATTERS: dict[str, tuple[tuple[str, Reader], ...]] = {
    "python": _PYTHON,
    "javascript": _PRETTIER,
    "typescript": _PRETTIER,
    "tsx": _PRETTIER,
    "rust": (("rustfmt.toml", _top_level("max_width")), (".rustfmt.toml", _top_level("max_width"))),
    "c": _CLANG,
    "cpp": _CLANG,
    "java": _CLANG,
    "csharp": _CLANG,
    "lua": (
        ("stylua.toml", _top_level("column_width")),
        (".stylua.toml", _top_level("column_width")),
    ),
}


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_CONFIG_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [p for option in match.group(1).split(",") for p in _expand_braces(head + option + tail)]


def editorconfig_line_length(text: str, file_name: str) -> tuple[int, bool]:
    """``max_line_length`` for ``file_name`` in one ``.editorconfig`` text, and its ``root``."""
    width = 0
    root = False
    applies = False
    preamble = True
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header is not None:
            preamble = False
            glob = header.group(1).strip().lstrip("/")
            globs = _expand_braces(glob.replace("**/", "").replace("**", "*"))
            applies = any(fnmatch.fnmatch(file_name, g) for g in globs)
            continue
        match = re.match(r"^\s*([\w_]+)\s*=\s*(\S+)", line)
        if match is None:
            continue
        key, value = match.group(1).lower(), match.group(2).lower()
        if key == "root" and preamble:
            root = value == "true"
        elif key == "max_line_length" and applies:
            width = int(value) if value.isdigit() else 0  # "off" resets
    return width, root


def formatter_line_length(path: str | None, language: str) -> int:
    """The line length for the file at ``path`` in ``language``; 0 when none is configured."""
    if not path:
        return 0
    file_path = Path(path)
    readers = _FORMATTERS.get(language, ())
    editorconfig = 0
    stop_editorconfig = False
    directory = file_path.parent
    for _ in range(MAX_LEVELS):
        for name, reader in readers:
            text = _read(directory / name)
            width = reader(text) if text is not None else 0
            if width > 0:
                return width
        if not stop_editorconfig:
            text = _read(directory / ".editorconfig")
            if text is not None:
                width, root = editorconfig_line_length(text, file_path.name)
                editorconfig = editorconfig or width
                stop_editorconfig = root or editorconfig > 0
        if directory.parent == directory:
            break
        directory = directory.parent
    return editorconfig
