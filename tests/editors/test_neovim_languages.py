"""The Neovim plugin serves every filetype, and completions can be switched off per language.

Headless real Neovim with the real server against the scripted endpoint (see ``test_neovim.py``
for the runner). ``lsp/grove.lua`` has no ``filetypes``: a Kotlin buffer, a language Grove has no
grammar for, gets ghost text. Buffers are announced with LSP languageIds from the table generated
out of ``analyzers/languages.py``; that table is checked here against Neovim's own filetype
detection for every extension the registry knows. ``completion.disabledLanguages`` in the
plugin's settings silences one language and leaves the others alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzers.languages import SUPPORTED_LANGUAGES, language_for
from tests.editors.test_neovim import nvim, run_scenario, settings
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

__all__ = ["nvim"]  # the session fixture, shared with test_neovim.py

KOTLIN = """\
package demo

fun greet(name: String): String {
    return
}
"""

SHELL = """\
#!/bin/sh
deploy() {
    echo
}
"""

#: Extensions whose Neovim filetype is not the registry's language: a C header is C++ to
#: Neovim (both grammars read it), and Neovim does not recognise ``.h++`` (no filetype, no client).
NEOVIM_DIFFERS = {".h": "cpp", ".h++": None}


def kotlin_case(tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Main.kt with the cursor after ``    return ``; the expected suggestion."""
    path = tmp_path / "Main.kt"
    path.write_text(KOTLIN.replace("    return\n", "    return \n"), "utf-8")
    lines = path.read_text("utf-8").splitlines()
    line = lines.index("    return ") + 1
    return {"file": str(path), "line": line, "col": len(lines[line - 1].encode())}, '"Hi, $name"'


@pytest.mark.parametrize("plain", [False, True], ids=["setup", "plain-vim-lsp-enable"])
def test_a_kotlin_file_gets_ghost_text(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI, plain: bool
) -> None:
    """No filetype list: the client attaches to a .kt buffer and its suggestion is shown."""
    case, expected = kotlin_case(tmp_path)
    scripted_openai.default = replies.text(expected + "\n}\n")
    result = run_scenario(
        nvim,
        tmp_path,
        "ghost_and_accept",
        base_url=scripted_openai.base_url,
        case=case,
        plain=plain,
    )
    row, col = case["line"] - 1, case["col"]
    [mark] = result["marks"]
    assert (mark["row"], mark["col"], mark["virt_text"]) == (row, col, expected)
    assert result["lines"][row] == result["before"][row] + expected
    assert result["accepted"] == 1
    [request, *_] = scripted_openai.completion_requests
    assert "fun greet(name: String): String {" in json.dumps(request.body)


def _registry_names() -> dict[str, list[str]]:
    """Each extension (or exact file name) the registry knows → file names to try it with.

    ``.py`` is tried as ``x.py``; ``.bashrc`` is an extension to the registry but a whole file
    name to Neovim, so a dotted entry is tried both ways and one of them must work.
    """
    return {
        ext: [f"x{ext}", ext] if ext.startswith(".") else [ext]
        for spec in SUPPORTED_LANGUAGES
        for ext in spec.extensions
    }


def test_every_registry_extension_reaches_its_grammar_by_language_id(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    """Neovim's filetype → the plugin's languageId → the same registry language as the file.

    Untitled buffers have no path to guess from, so the languageId alone must name the language.
    """
    names = {name for tries in _registry_names().values() for name in tries}
    files = []
    for name in sorted(names | {"Main.kt", "notes.md"}):
        path = tmp_path / "files" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n", "utf-8")
        files.append(str(path))
    result = run_scenario(
        nvim,
        tmp_path,
        "language_ids",
        base_url=scripted_openai.base_url,
        case={"files": files},
        setup={"enable": False},
    )
    assert result["filetypes"] is None, "lsp/grove.lua restricts no filetype"
    seen = {Path(f["file"]).name: f for f in result["files"]}
    assert set(seen) == {Path(f).name for f in files}
    assert seen["Main.kt"]["language_id"] == "kotlin"
    assert seen["notes.md"]["language_id"] == "markdown"
    assert seen["x.cs"]["language_id"] == "csharp"
    assert seen["x.sh"]["language_id"] == "shellscript"
    wrong = {}
    for ext, tries in _registry_names().items():
        registry = language_for(None, tries[0])
        assert registry is not None, ext
        wanted = NEOVIM_DIFFERS.get(ext, registry.name)
        reached = []
        for name in tries:
            entry = seen[name]
            spec = language_for(entry["language_id"], None) if entry["filetype"] else None
            reached.append((name, entry["filetype"], entry["language_id"], spec and spec.name))
        if all(found != wanted for *_, found in reached):
            wrong[ext] = reached
    assert wrong == {}, "(file, filetype, languageId sent, registry language it names)"


def test_a_disabled_language_gets_no_ghost_text_and_another_does(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    """``completion.disabledLanguages = {'shellscript'}``: the ``sh`` buffer is announced as
    shellscript and refused; the Kotlin buffer next to it is served by the same server."""
    shell = tmp_path / "deploy.sh"
    shell.write_text(SHELL.replace("    echo\n", "    echo \n"), "utf-8")
    shell_lines = shell.read_text("utf-8").splitlines()
    shell_line = shell_lines.index("    echo ") + 1
    case, expected = kotlin_case(tmp_path)
    case = {
        "disabled_file": str(shell),
        "line": shell_line,
        "col": len(shell_lines[shell_line - 1].encode()),
        "file": case["file"],
        "other_line": case["line"],
        "other_col": case["col"],
    }
    scripted_openai.default = replies.text(expected + "\n}\n")
    grove = settings(scripted_openai.base_url)
    grove["completion"]["disabledLanguages"] = ["shellscript"]
    result = run_scenario(
        nvim,
        tmp_path,
        "disabled_language",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"settings": grove},
    )
    assert (result["filetype"], result["language_id"]) == ("sh", "shellscript")
    shell_answers = [a for a in result["answers"] if a["uri"] == shell.as_uri()]
    assert shell_answers, "the shell buffer asked the server"
    assert all(a["items"] == 0 and a["error"] is None for a in shell_answers), shell_answers
    assert result["disabled_marks"] == [] and result["disabled_marks_after"] == []
    assert result["other_language_id"] == "kotlin"
    assert [m["virt_text"] for m in result["marks"]] == [expected]
    bodies = [json.dumps(r.body) for r in scripted_openai.completion_requests]
    assert bodies, "the Kotlin buffer reached the model"
    assert all("deploy()" not in body for body in bodies), "nothing of the shell file was sent"
