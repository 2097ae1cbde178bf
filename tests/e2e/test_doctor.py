"""``grove doctor`` (the CLI) and ``grove.doctor`` (the server command) against real servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.e2e.harness import endpoint_options, grove_client, server_env
from tests.support.scripted_openai import ScriptedOpenAI
from tests.unit.test_doctor import ENDPOINT_CHECKS

NAMES = ENDPOINT_CHECKS


def _doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "doctor", *args],
        capture_output=True,
        text=True,
        env=env or server_env(),
        timeout=120,
    )


def _settings(base_url: str, model: str = "test-model") -> str:
    return json.dumps(
        {"endpoint": {"baseUrl": base_url}, "model": model, "completion": {"mode": "prefix"}}
    )


def test_a_healthy_endpoint_exits_0(scripted_openai: ScriptedOpenAI) -> None:
    done = _doctor("--settings", _settings(scripted_openai.base_url))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:-1]] == [f"✓ {name}" for name in NAMES]
    assert lines[-1] == f"Ready: completions go to test-model @ {scripted_openai.base_url} (prefix)"
    assert len(scripted_openai.completion_requests) == 1


def test_a_dead_port_exits_1_with_the_fix(closed_port_url: str) -> None:
    done = _doctor("--settings", _settings(closed_port_url))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    failed = lines.index(
        f"✗ Endpoint reachable: Cannot reach the model endpoint at {closed_port_url}: "
        "is the server running?"
    )
    assert lines[failed + 1].startswith("  fix: start your model server on port ")
    assert lines[failed + 2 :] == [
        "· Model listed: skipped: endpoint not reachable",
        "· Completion mode: skipped: endpoint not reachable",
        "Completions are blocked: 1 problem(s)",
    ]


def test_json_prints_the_data(scripted_openai: ScriptedOpenAI) -> None:
    done = _doctor("--json", "--settings", _settings(scripted_openai.base_url, "other"))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True
    assert data["summary"].startswith("Ready: completions go to other @ ")
    assert [check["name"] for check in data["checks"]] == NAMES
    for check in data["checks"]:
        assert set(check) == (
            {"name", "state", "detail", "fix"}
            if check["state"] in ("warn", "fail")
            else {"name", "state", "detail"}
        )
    [listed] = [check for check in data["checks"] if check["name"] == "Model listed"]
    assert listed["state"] == "warn"
    assert "grove.model" in listed["fix"]


def test_a_broken_setting_exits_1_and_bad_json_exits_2() -> None:
    done = _doctor("--settings", json.dumps({"endpoint": {"baseUrl": "localhost:11434"}}))
    assert done.returncode == 1
    assert '  fix: set grove.endpoint.baseUrl to "http://localhost:11434/v1"' in done.stdout
    done = _doctor("--settings", "{not json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("grove: --settings is not JSON: ")


def _by_name(result: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in result["data"]["checks"]}


async def test_the_server_command_runs_the_checks_with_the_servers_settings(
    scripted_openai: ScriptedOpenAI, closed_port_url: str
) -> None:
    scripted_openai.model_ids = ("scripted-model",)
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.doctor")
        )
        assert result["kind"] == "markdown"
        assert result["data"]["ok"] is True, result["markdown"]
        assert list(_by_name(result)) == NAMES
        assert {check["state"] for check in result["data"]["checks"]} == {"ok"}
        assert result["markdown"].startswith(
            f"**Ready: completions go to scripted-model @ {scripted_openai.base_url} (prefix)**"
        )
        assert (
            "- ✓ **Completion mode**: prefix mode accepted; first token in " in result["markdown"]
        )
    async with grove_client(endpoint_options(closed_port_url)) as lsp:
        result = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.doctor")
        )
    assert result["data"]["ok"] is False
    reachable = _by_name(result)["Endpoint reachable"]
    assert reachable["state"] == "fail"
    assert closed_port_url in reachable["detail"]
    assert "  - **Fix:** start your model server on port " in result["markdown"]


@pytest.mark.embedded
def test_the_embedded_model_with_nothing_configured(tmp_path: Path) -> None:
    env = server_env(GROVE_RUNTIME_DIR=str(tmp_path / "run"), GROVE_EMBEDDED_IDLE_S="0")
    done = _doctor(env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[3].startswith("✓ Model in use: smollm2-135m-instruct @ embedded (prefix), from ")
    assert lines[4].startswith("✓ Embedded model: the local extra is installed; model ")
    assert lines[5].startswith("· Embedded model log: ")
    assert lines[6].startswith("✓ Endpoint reachable: the embedded model answers at http://127.")
    assert lines[7].startswith("✓ Completion mode: prefix mode accepted; first token in ")
    assert lines[-1] == "Ready: completions go to smollm2-135m-instruct @ embedded (prefix)"
