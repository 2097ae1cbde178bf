"""The Neovim plugin's filetype → languageId table is generated from the server's registry.

``editors/neovim/lsp/grove.lua`` carries a copy of ``analyzers.languages.NEOVIM_FILETYPES``
written by ``editors/neovim/scripts/sync_languages.py``; this test is its drift check (as
``npm run check-settings`` is for the VS Code settings). Real Neovim filetype detection is checked
against the registry in ``tests/editors/test_neovim_languages.py``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from analyzers.languages import NEOVIM_FILETYPES, SUPPORTED_LANGUAGES, language_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "editors" / "neovim" / "scripts" / "sync_languages.py"
CONFIG = ROOT / "editors" / "neovim" / "lsp" / "grove.lua"


def _sync() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_languages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lsp_config_holds_the_generated_table() -> None:
    sync = _sync()
    ok, message = sync.check(CONFIG.read_text("utf-8"))
    assert ok, message


def test_check_command_passes_and_fails_on_drift(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    sync = _sync()
    text = CONFIG.read_text("utf-8")
    drifted = text.replace("cs = 'csharp',", "cs = 'cs',")
    assert drifted != text
    ok, message = sync.check(drifted)
    assert not ok and "sync_languages.py" in message
    ok, _ = sync.check(text, {**NEOVIM_FILETYPES, "kotlin": "kotlin-script"})
    assert not ok, "a registry change must show as drift"
    assert sync.synced(drifted) == text, "the generator repairs the drift"
    ok, message = sync.check(text.replace(sync.BEGIN, "-- begin"))
    assert not ok and "lacks" in message


def test_table_is_a_plain_lua_table_of_every_entry() -> None:
    text = CONFIG.read_text("utf-8")
    pairs = dict(re.findall(r"^  ([a-z0-9_]+) = '([^']+)',$", text, flags=re.MULTILINE))
    assert pairs == dict(NEOVIM_FILETYPES)
    assert "filetypes =" not in text.split("return {", 1)[1], "no filetype restriction"
    assert "get_language_id = function(_, filetype)" in text


def test_mapped_ids_of_registry_languages_are_their_lsp_ids() -> None:
    """Filetypes Neovim names differently (cs, sh, zsh, bash, cuda) reach the right grammar."""
    by_name = {spec.name: spec for spec in SUPPORTED_LANGUAGES}
    assert language_for(NEOVIM_FILETYPES["cs"], None) is by_name["csharp"]
    for shell in ("sh", "bash", "zsh"):
        assert language_for(NEOVIM_FILETYPES[shell], None) is by_name["bash"]
    assert language_for(NEOVIM_FILETYPES["cuda"], None) is by_name["cpp"]
    for filetype, language_id in NEOVIM_FILETYPES.items():
        assert filetype != language_id, "only names that differ belong in the table"
