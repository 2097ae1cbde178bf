#!/usr/bin/env python3
"""Generate the filetype → LSP languageId table in ``editors/neovim/lsp/grove.lua``.

The server's language registry (``analyzers/languages.py``, ``NEOVIM_FILETYPES``) is the single
source; the Lua file carries a copy between two marker lines so that it works on its own (with only
``lsp/grove.lua`` on the runtimepath). Neovim sends a buffer's filetype as its languageId unless
``get_language_id`` says otherwise; with this table it sends the LSP identifiers (``csharp``, not
``cs``), which settings such as ``grove.completion.disabledLanguages`` name.

    python editors/neovim/scripts/sync_languages.py           rewrite lsp/grove.lua
    python editors/neovim/scripts/sync_languages.py --check   exit 1 if lsp/grove.lua drifted
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CONFIG_PATH = ROOT / "editors" / "neovim" / "lsp" / "grove.lua"
BEGIN = "-- BEGIN GENERATED language ids (scripts/sync_languages.py; do not edit)"
END = "-- END GENERATED language ids"

_LUA_KEYWORDS = frozenset(
    {
        *("and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto"),
        *("if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until"),
        "while",
    }
)


def _lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _lua_key(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name not in _LUA_KEYWORDS:
        return name
    return f"[{_lua_string(name)}]"


def render_block(filetypes: Mapping[str, str]) -> str:
    """The generated block, marker lines included."""
    lines = [BEGIN, "local LANGUAGE_IDS = {"]
    lines += [
        f"  {_lua_key(filetype)} = {_lua_string(language_id)},"
        for filetype, language_id in sorted(filetypes.items())
    ]
    lines += ["}", END]
    return "\n".join(lines)


def _registry() -> Mapping[str, str]:
    from analyzers.languages import NEOVIM_FILETYPES

    return NEOVIM_FILETYPES


def synced(text: str, filetypes: Mapping[str, str] | None = None) -> str:
    """``text`` (the Lua config) with its generated block replaced by the current one."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{CONFIG_PATH.name} lacks the lines {BEGIN!r} ... {END!r}")
    block = render_block(_registry() if filetypes is None else filetypes)
    return text[:start] + block + text[end + len(END) :]


def check(text: str, filetypes: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """(ok, message): whether ``text`` holds the table generated from the registry."""
    try:
        expected = synced(text, filetypes)
    except ValueError as error:
        return False, str(error)
    if expected == text:
        return True, f"{CONFIG_PATH.name}: the language ids match analyzers/languages.py"
    return False, (
        f"{CONFIG_PATH.name}: the language ids drifted from analyzers/languages.py "
        "(NEOVIM_FILETYPES); run `python editors/neovim/scripts/sync_languages.py`"
    )


def main(argv: Sequence[str]) -> int:
    """Rewrite the config, or with ``--check`` report drift (exit status 1)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # analyzers/, when grove-ls is not installed
    text = CONFIG_PATH.read_text("utf-8")
    if "--check" in argv:
        ok, message = check(text)
        (sys.stdout if ok else sys.stderr).write(message + "\n")
        return 0 if ok else 1
    CONFIG_PATH.write_text(synced(text), "utf-8")
    sys.stdout.write(f"wrote {len(_registry())} language ids to {CONFIG_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
