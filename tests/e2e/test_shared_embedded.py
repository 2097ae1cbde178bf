"""One embedded model per user: real ``grove serve`` processes sharing the real SmolLM2 model.

Each test has its own runtime directory (``GROVE_RUNTIME_DIR``) and a short idle grace
(``GROVE_EMBEDDED_IDLE_S``). Model processes are found through the registration file and
``pgrep``; nothing here asserts a time.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.llm.model_registry import read_registration, write_registration
from tests.e2e.harness import FIXTURES
from tests.e2e.test_jsonrpc_fuzz import RawLsp
from tests.unit.test_llm_local import alive, wait_until

pytestmark = pytest.mark.embedded

EXAMPLE = FIXTURES / "example" / "fibonacci.py"
MODEL_TIMEOUT = 180.0


def _llama_servers() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "llama_cpp.server"], capture_output=True, text=True)
    return {int(pid) for pid in out.stdout.split()}


def _registration(run_dir: Path) -> dict[str, Any]:
    (path,) = run_dir.glob("embedded-*.json")
    found = read_registration(path)
    assert found, f"unreadable registration {path}"
    return found


class Editor:
    """One editor window: a ``grove serve`` process with the example file open."""

    def __init__(self, run_dir: Path, grace_s: float) -> None:
        self.lsp = RawLsp(
            env={
                "GROVE_RUNTIME_DIR": str(run_dir),
                "GROVE_EMBEDDED_IDLE_S": str(grace_s),
                "XDG_STATE_HOME": str(run_dir.parent / "state"),
            }
        )
        self.lsp.initialize(
            {"completion": {"debounceMs": 0}, "review": {"trigger": "manual"}, "logLevel": "info"}
        )
        self.lsp.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": EXAMPLE.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": EXAMPLE.read_text("utf-8"),
                }
            },
        )
        self.pid = self.lsp.proc.pid

    def complete(self) -> str:
        """An inline completion mid-statement (line 9, column 22 of the example)."""
        response = self.lsp.request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": EXAMPLE.as_uri()},
                "position": {"line": 8, "character": 21},
                "context": {"triggerKind": 2},
            },
            timeout=MODEL_TIMEOUT,
        )
        assert "result" in response, response
        result = response["result"]
        items = result["items"] if isinstance(result, dict) else result
        assert items, "no suggestion"
        text = items[0]["insertText"]
        assert isinstance(text, str) and text.strip()
        return text

    def status(self) -> dict[str, Any]:
        response = self.lsp.request("workspace/executeCommand", {"command": "grove.status"})
        assert "result" in response, response
        result = response["result"]
        assert isinstance(result, dict)
        return result


@pytest.fixture
def editors(tmp_path: Path) -> Iterator[list[Editor]]:
    opened: list[Editor] = []
    yield opened
    for editor in opened:
        editor.lsp.close()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    return path


def test_three_editors_one_model_and_a_killed_editor_leaves_the_others_working(
    run_dir: Path, editors: list[Editor]
) -> None:
    before = _llama_servers()
    editors.append(Editor(run_dir, grace_s=1))
    editors[0].complete()  # the first editor starts the model
    editors.extend(Editor(run_dir, grace_s=1) for _ in range(2))
    for editor in editors[1:]:
        editor.complete()
    registration = _registration(run_dir)
    model, host = registration["pid"], registration["host_pid"]
    assert _llama_servers() - before == {model}, "exactly one model process"
    assert all(editor.status()["lastError"] is None for editor in editors)

    starter = editors[0]
    os.kill(starter.pid, signal.SIGKILL)
    starter.lsp.proc.wait(10)
    for editor in editors[1:]:
        editor.complete()
        assert editor.status()["lastError"] is None
    assert _registration(run_dir)["pid"] == model and alive(model) and alive(host)

    for editor in editors:
        editor.lsp.close()
    assert wait_until(lambda: not alive(model) and not alive(host), timeout=30)
    assert not (_llama_servers() - before), "nothing left running after the last editor"
    assert not list(run_dir.glob("embedded-*.json"))


def test_a_stale_registration_is_recovered_by_the_next_editor(
    run_dir: Path, editors: list[Editor]
) -> None:
    editors.append(Editor(run_dir, grace_s=0))
    editors[0].complete()
    (path,) = run_dir.glob("embedded-*.json")
    stale = read_registration(path)
    assert stale
    editors.pop().lsp.close()
    assert wait_until(lambda: not alive(stale["pid"]) and not alive(stale["host_pid"]), 30)
    write_registration(path, stale)  # as a crashed model would leave it: its pids are gone

    editors.append(Editor(run_dir, grace_s=0))
    editors[0].complete()
    fresh = _registration(run_dir)
    assert fresh["pid"] != stale["pid"] and alive(fresh["pid"])
    editors.pop().lsp.close()
    assert wait_until(lambda: not alive(fresh["pid"]) and not alive(fresh["host_pid"]), 30)


def test_the_model_output_goes_to_its_log_file(run_dir: Path, editors: list[Editor]) -> None:
    """The model host and llama.cpp write to the log in the state directory, named by status.

    stdout is the LSP stream; the log stays after the model stops, so that it can be read.
    """
    editors.append(Editor(run_dir, grace_s=0))
    expected = run_dir.parent / "state" / "grove" / "embedded-model.log"
    before = editors[0].lsp.request("workspace/executeCommand", {"command": "grove.status"})
    assert before["result"]["embeddedLog"] == str(expected)  # known before the model starts
    editors[0].complete()
    status = editors[0].lsp.request("workspace/executeCommand", {"command": "grove.status"})
    assert status["result"]["embeddedLog"] == str(expected)
    assert status["result"]["reviewOnSave"] == "off (grove.review.trigger is manual)"
    log = expected.read_text("utf-8", errors="replace")
    assert "grove-model-host" in log and "embedded model ready" in log
    assert not list(run_dir.glob("embedded-*.log"))
    editors.pop().lsp.close()
    assert wait_until(lambda: not list(run_dir.glob("embedded-*.json")), 30)
    assert expected.exists()
