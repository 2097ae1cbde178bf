"""Which API key may be sent where: https or loopback only, and never a silent placeholder."""

from __future__ import annotations

import pytest

from server.backend import ModelBackend
from server.llm.api_key import api_key_for, is_loopback_url
from server.llm.provider import CompletionRequest, NotConfigured
from server.settings import resolve_settings
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

KEY = "sk-canary-" + "0123456789abcdef"
REQUEST = CompletionRequest(prefix="x = ", suffix="", max_tokens=8)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.9.9.9/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://grove.localhost/v1", True),
        ("http://192.168.1.20:11434/v1", False),
        ("http://gpu-box:11434/v1", False),
        ("https://api.openai.com/v1", False),
        ("http://localhost.evil.example/v1", False),
    ],
)
def test_loopback_is_this_machine_only(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_a_key_goes_over_https_and_to_loopback() -> None:
    env = {"MY_KEY": KEY}
    assert api_key_for("https://api.openai.com/v1", "MY_KEY", env) == KEY
    assert api_key_for("http://127.0.0.1:8080/v1", "MY_KEY", env) == KEY


def test_a_key_is_never_sent_over_plain_http_to_another_host() -> None:
    with pytest.raises(NotConfigured) as raised:
        api_key_for("http://gpu-box:11434/v1", "MY_KEY", {"MY_KEY": KEY})
    message = raised.value.user_message
    assert "https://" in message and "MY_KEY" in message
    assert KEY not in message


def test_an_unset_key_variable_is_an_error_for_a_remote_host() -> None:
    with pytest.raises(NotConfigured) as raised:
        api_key_for("https://api.example.com/v1", "FAKE_AWS_SECRET", {})
    message = raised.value.user_message
    assert "FAKE_AWS_SECRET" in message and "not set" in message
    assert 'apiKeyEnv to ""' in message  # the fix for endpoints without keys


def test_no_key_is_fine_on_loopback_and_when_the_name_is_empty() -> None:
    assert api_key_for("http://localhost:11434/v1", "OPENAI_API_KEY", {}) is None
    assert api_key_for("http://gpu-box:11434/v1", "", {"OPENAI_API_KEY": KEY}) is None


def test_an_empty_key_variable_name_is_a_valid_setting() -> None:
    settings = resolve_settings({"endpoint": {"apiKeyEnv": ""}})
    assert settings.endpoint_api_key_env == "" and settings.problems == ()


async def test_the_backend_refuses_once_and_sends_nothing() -> None:
    messages: list[tuple[str, str]] = []
    settings = resolve_settings(
        {"endpoint": {"baseUrl": "http://gpu-box.invalid:11434/v1"}, "model": "m"}
    )
    backend = ModelBackend(
        settings, lambda level, text: messages.append((level, text)), env={"OPENAI_API_KEY": KEY}
    )
    try:
        assert await backend.complete(REQUEST) is None
        assert await backend.complete(REQUEST) is None
    finally:
        await backend.aclose()
    assert backend.requests == 0
    assert len(messages) == 1
    level, text = messages[0]
    assert level == "error" and "https://" in text and KEY not in text
    assert backend.last_error is not None and KEY not in backend.last_error


async def test_the_key_reaches_a_loopback_endpoint(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("1"))
    settings = resolve_settings(
        {"endpoint": {"baseUrl": scripted_openai.base_url, "apiKeyEnv": "MY_KEY"}, "model": "m"}
    )
    backend = ModelBackend(settings, lambda level, text: None, env={"MY_KEY": KEY})
    try:
        assert await backend.complete(REQUEST) is not None
    finally:
        await backend.aclose()
    [sent] = scripted_openai.completion_requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
