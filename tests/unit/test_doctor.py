"""The setup checks of ``grove doctor`` (server.doctor) against real HTTP servers on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.backend import ModelBackend
from server.doctor import PROBE_PREFIX, Check, Report, _start_fix, diagnose
from server.model_choice import Target
from server.settings import resolve_settings
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

SECRET = "sk-doctor-test-0123456789abcdef"
ENDPOINT_CHECKS = [
    "Python and Grove",
    "Settings",
    "Grammars",
    "Model in use",
    "Base URL",
    "API key",
    "Endpoint reachable",
    "Model listed",
    "Completion mode",
]
"""The checks of an endpoint target, in order."""


async def _doctor(raw: dict[str, Any], env: dict[str, str] | None = None) -> Report:
    env = env if env is not None else {}
    settings = resolve_settings(raw)
    backend = ModelBackend(settings, lambda level, message: None, env=env)
    try:
        return await diagnose(backend, settings)
    finally:
        await backend.aclose()


def _endpoint(base_url: str, model: str = "test-model", mode: str = "prefix") -> dict[str, Any]:
    return {"endpoint": {"baseUrl": base_url}, "model": model, "completion": {"mode": mode}}


def _check(report: Report, name: str) -> Check:
    [check] = [c for c in report.checks if c.name == name]
    return check


def _states(report: Report) -> dict[str, str]:
    return {check.name: check.state for check in report.checks}


async def test_a_healthy_endpoint_passes_every_check(scripted_openai: ScriptedOpenAI) -> None:
    report = await _doctor(_endpoint(scripted_openai.base_url))
    assert report.ok, report.text()
    assert list(_states(report)) == ENDPOINT_CHECKS
    assert set(_states(report).values()) == {"ok"}
    assert all(check.fix is None for check in report.checks)
    assert _check(report, "Grammars").detail.endswith("tree-sitter grammars load")
    assert "from setting: grove.endpoint.baseUrl is set" in _check(report, "Model in use").detail
    assert _check(report, "Model listed").detail == "test-model is listed"
    assert _check(report, "Completion mode").detail.startswith("prefix mode accepted; first token")
    [probe] = scripted_openai.completion_requests
    assert probe.body["max_tokens"] == 1
    assert probe.body["prompt"] == PROBE_PREFIX
    label = f"test-model @ {scripted_openai.base_url} (prefix)"
    assert report.text().splitlines()[-1] == f"Ready: completions go to {label}"


async def test_the_model_in_use_says_where_the_choice_came_from() -> None:
    with ScriptedOpenAI(model_ids=("qwen2.5-coder:1.5b",)) as server:
        port, root = server.port, server.root_url
        found = await _doctor({}, {"GROVE_DISCOVERY_PORTS": f"llamacpp={port}"})
        env = {"OPENAI_BASE_URL": root, "OPENAI_MODEL": "qwen2.5-coder:1.5b"}
        environment = await _doctor({}, env)
    assert found.ok, found.text()
    model = _check(found, "Model in use").detail
    assert model.startswith(f"llama.cpp · qwen2.5-coder:1.5b, found on 127.0.0.1:{port}")
    assert "from discovery: no endpoint set; found running on this machine" in model
    assert _check(found, "API key").detail == "no key is sent to a model server found on loopback"
    assert _check(found, "Completion mode").detail.startswith("qwen mode accepted")
    assert "from environment: OPENAI_BASE_URL is set" in _check(environment, "Model in use").detail
    assert _check(environment, "Base URL").fix == f"export OPENAI_BASE_URL={root}/v1"


async def test_a_dead_port_fails_with_what_to_start_and_skips_the_rest(
    closed_port_url: str,
) -> None:
    report = await _doctor(_endpoint(closed_port_url))
    assert not report.ok
    reachable = _check(report, "Endpoint reachable")
    assert reachable.state == "fail"
    assert reachable.detail == (
        f"Cannot reach the model endpoint at {closed_port_url}: is the server running?"
    )
    port = closed_port_url.split(":")[2].split("/")[0]
    assert reachable.fix is not None
    assert reachable.fix.startswith(f"start your model server on port {port} (e.g. `llama-server")
    assert "or set grove.endpoint.baseUrl to where your model server runs" in reachable.fix
    for name in ("Model listed", "Completion mode"):
        assert _check(report, name).state == "info"
        assert _check(report, name).detail == "skipped: endpoint not reachable"
    assert report.text().splitlines()[-1] == "Completions are blocked: 1 problem(s)"


def test_a_local_products_port_names_the_product_and_how_to_start_it() -> None:
    def fix(base_url: str, source: str = "setting") -> str:
        target = Target(base_url, "m", "prefix", "", embedded=False, source=source)
        return _start_fix(target)

    assert fix("http://127.0.0.1:11434/v1") == (
        "start Ollama (`ollama serve`) so that it listens on port 11434, or set "
        "grove.endpoint.baseUrl to where your model server runs"
    )
    assert fix("http://localhost:8000/v1", "environment").startswith(
        "start vLLM (`vllm serve MODEL --port 8000`) so that it listens on port 8000, or set "
        "OPENAI_BASE_URL"
    )
    assert fix("https://models.example.com/v1").startswith(
        "check that models.example.com is reachable from this machine"
    )


async def test_a_url_without_v1_that_404s_gets_the_v1_fix(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script_models(replies.html_error(404))
    scripted_openai.responder = lambda request: replies.html_error(404)
    root = scripted_openai.root_url
    report = await _doctor(_endpoint(root))
    fix = f'set grove.endpoint.baseUrl to "{root}/v1"'
    shape = _check(report, "Base URL")
    assert shape.state == "warn"
    assert shape.detail == f"{root} has no API version in its path: did you mean {root}/v1?"
    assert shape.fix == fix
    reachable = _check(report, "Endpoint reachable")
    assert reachable.state == "fail"
    assert "HTTP 404" in reachable.detail
    assert reachable.fix == fix
    assert _check(report, "Completion mode").detail == (
        "skipped: the endpoint did not answer GET /models"
    )


async def test_a_model_the_endpoint_does_not_list_is_a_warning_naming_grove_model() -> None:
    with ScriptedOpenAI(model_ids=("qwen2.5-coder:1.5b", "llama3:latest")) as server:
        report = await _doctor(_endpoint(server.base_url, model="qwen-coder"))
        listed = _check(report, "Model listed")
        assert listed.state == "warn"
        assert listed.detail == (
            "qwen-coder is not among the models the endpoint lists: qwen2.5-coder:1.5b, "
            "llama3:latest"
        )
        assert (
            listed.fix
            == 'set grove.model to the name the endpoint lists, e.g. "qwen2.5-coder:1.5b"'
        )
        assert report.ok  # a warning does not block completions
        # Ollama's ":latest" is the name without a tag.
        report = await _doctor(_endpoint(server.base_url, model="llama3"))
        assert _check(report, "Model listed").state == "ok"


async def test_an_empty_model_fails_and_the_fix_names_a_listed_one() -> None:
    with ScriptedOpenAI(model_ids=("a-model", "b-model")) as server:
        report = await _doctor(_endpoint(server.base_url, model=""))
        assert server.completion_requests == []
    listed = _check(report, "Model listed")
    assert listed.state == "fail"
    assert listed.detail.endswith("the endpoint lists a-model, b-model")
    assert listed.fix == 'set grove.model to one of them, e.g. "a-model"'
    assert _check(report, "Completion mode").detail == "skipped: grove.model is empty"
    assert report.problems == 1


@pytest.mark.parametrize(
    ("model", "mode", "fix"),
    [
        ("qwen2.5-coder:1.5b", "suffix", 'set grove.completion.mode to "qwen" or "chat"'),
        ("my-model", "prefix", 'set grove.completion.mode to "chat"'),
        ("codestral-latest", "codestral-fim", 'set grove.completion.mode to "codestral" or "chat"'),
        ("gpt-4o", "chat", 'set grove.completion.mode to "prefix"'),
    ],
)
async def test_a_mode_the_server_rejects_fails_with_a_mode_fix(
    model: str, mode: str, fix: str
) -> None:
    with ScriptedOpenAI(model_ids=(model,)) as server:
        server.responder = lambda request: replies.status(
            400, body={"error": {"message": "unsupported field"}}
        )
        report = await _doctor(_endpoint(server.base_url, model=model, mode=mode))
    check = _check(report, "Completion mode")
    assert check.state == "fail"
    assert check.detail.startswith(f"{mode} mode: The model endpoint at ")
    assert "HTTP 400" in check.detail
    assert check.fix == f"{fix} (the server refused {mode} mode)"
    assert report.problems == 1


async def test_a_remote_endpoint_without_its_key_fails_naming_the_variable() -> None:
    raw = {
        **_endpoint("https://api.example.invalid/v1"),
        "endpoint": {"baseUrl": "https://api.example.invalid/v1", "apiKeyEnv": "DOCTOR_KEY"},
    }
    report = await _doctor(raw, {"OTHER_KEY": SECRET})
    key = _check(report, "API key")
    assert key.state == "fail"
    assert key.detail == (
        "DOCTOR_KEY (grove.endpoint.apiKeyEnv) is not set, and https://api.example.invalid/v1 "
        "is remote"
    )
    assert key.fix == (
        'export DOCTOR_KEY=<your key>, or set grove.endpoint.apiKeyEnv to "" if the endpoint '
        "needs no key"
    )
    # Nothing goes to the endpoint without its key.
    for name in ("Endpoint reachable", "Model listed", "Completion mode"):
        assert _check(report, name).detail == "skipped: fix the problems above first"
    assert SECRET not in report.text() + report.markdown() + json.dumps(report.data())


async def test_a_key_over_plain_http_to_a_remote_host_fails_without_showing_it() -> None:
    raw = {
        "endpoint": {"baseUrl": "http://10.1.2.3:8000/v1", "apiKeyEnv": "DOCTOR_KEY"},
        "model": "m",
    }
    report = await _doctor(raw, {"DOCTOR_KEY": SECRET})
    key = _check(report, "API key")
    assert key.state == "fail"
    assert (
        key.detail
        == "DOCTOR_KEY is set, but Grove sends no key over plain http:// to a remote host"
    )
    assert key.fix is not None and key.fix.startswith(
        "use an https:// URL in grove.endpoint.baseUrl"
    )
    assert SECRET not in report.text() + report.markdown() + json.dumps(report.data())


async def test_a_set_key_is_reported_by_name_only(scripted_openai: ScriptedOpenAI) -> None:
    raw = {**_endpoint(scripted_openai.base_url)}
    raw["endpoint"] = {"baseUrl": scripted_openai.base_url, "apiKeyEnv": "DOCTOR_KEY"}
    report = await _doctor(raw, {"DOCTOR_KEY": SECRET})
    assert report.ok
    assert _check(report, "API key").detail == "DOCTOR_KEY is set (sent as the bearer token)"
    assert scripted_openai.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in report.text() + report.markdown() + json.dumps(report.data())


async def test_an_unusable_base_url_setting_fails_and_nothing_is_called() -> None:
    report = await _doctor({"endpoint": {"baseUrl": "localhost:11434"}, "model": "m"})
    [settings] = [c for c in report.checks if c.name == "Settings"]
    assert settings.state == "fail"
    assert settings.fix == 'set grove.endpoint.baseUrl to "http://localhost:11434/v1"'
    assert _check(report, "Model in use").state == "info"
    assert _check(report, "Endpoint reachable").detail == (
        "skipped: grove.endpoint.baseUrl is unusable"
    )
    assert report.problems == 1


async def test_other_setting_problems_are_warnings(scripted_openai: ScriptedOpenAI) -> None:
    raw = {**_endpoint(scripted_openai.base_url), "bogus": 1, "review": {"idleMs": -5}}
    report = await _doctor(raw)
    problems = [c for c in report.checks if c.name == "Settings"]
    assert [c.state for c in problems] == ["warn", "warn"]
    assert problems[0].fix == "remove grove.bogus from your settings (or correct its name)"
    assert problems[1].fix is not None and problems[1].fix.startswith("give grove.review.idleMs")
    assert report.ok


def test_the_report_forms() -> None:
    report = Report(
        (
            Check("One", "ok", "fine"),
            Check("Two", "warn", "hmm", "set x to y"),
            Check("Three", "fail", "broken <b>", "export K=<your key>"),
            Check("Four", "info", "skipped: endpoint not reachable"),
        ),
        "m @ http://h/v1 (prefix)",
    )
    assert report.text().splitlines() == [
        "✓ One: fine",
        "! Two: hmm",
        "  fix: set x to y",
        "✗ Three: broken <b>",
        "  fix: export K=<your key>",
        "· Four: skipped: endpoint not reachable",
        "Completions are blocked: 1 problem(s)",
    ]
    assert report.data() == {
        "ok": False,
        "summary": "Completions are blocked: 1 problem(s)",
        "checks": [
            {"name": "One", "state": "ok", "detail": "fine"},
            {"name": "Two", "state": "warn", "detail": "hmm", "fix": "set x to y"},
            {
                "name": "Three",
                "state": "fail",
                "detail": "broken <b>",
                "fix": "export K=<your key>",
            },
            {"name": "Four", "state": "info", "detail": "skipped: endpoint not reachable"},
        ],
    }
    markdown = report.markdown()
    assert markdown.startswith("**Completions are blocked: 1 problem(s)**\n\n- ✓ **One**: fine\n")
    assert "  - **Fix:** set x to y" in markdown
    # Text from servers is sanitised (no raw HTML in editors); a fix's placeholder stays readable.
    assert "<b>" not in markdown
    assert "export K=\\<your key>" in markdown
