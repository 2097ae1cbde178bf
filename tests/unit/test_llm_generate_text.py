"""Raw text generation (docstrings, explanations): ``chat_result``/``generate_result``, backend.

Against the scripted OpenAI server on 127.0.0.1: the answer comes back verbatim (a chat-mode
provider does not extract code blocks here), errors keep Grove's types, and the backend's
``generate_text`` goes through the same fault gate as completions.
"""

from __future__ import annotations

import pytest

from server.backend import ModelBackend
from server.llm.openai_provider import OpenAIProvider
from server.llm.provider import EndpointBusy, RateLimited
from server.settings import resolve_settings
from tests.support.scripted_openai import ScriptedOpenAI, status, text

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"}]


def _provider(server: ScriptedOpenAI, mode: str = "chat") -> OpenAIProvider:
    return OpenAIProvider(
        base_url=server.base_url, api_key=None, model="m", mode=mode, timeout_s=2.0
    )


async def test_chat_returns_prose_verbatim_even_in_chat_mode(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(text("Because it is.\n\nArgs:\n    x: X."))
    provider = _provider(scripted_openai)
    try:
        answer = (await provider.chat_result(MESSAGES, 64, temperature=0.2)).text
    finally:
        await provider.aclose()
    assert answer == "Because it is.\n\nArgs:\n    x: X."
    (request,) = scripted_openai.requests
    assert request.path.endswith("/chat/completions")
    assert request.body["messages"] == MESSAGES
    assert request.body["max_tokens"] == 64 and request.body["temperature"] == 0.2
    assert request.body["stream"] is True


async def test_generate_posts_a_plain_prompt_with_stops(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(text("Summary.```rest"))
    provider = _provider(scripted_openai, mode="prefix")
    try:
        answer = (await provider.generate_result("Document:\n", 32, stop=("```",))).text
    finally:
        await provider.aclose()
    assert answer == "Summary."
    (request,) = scripted_openai.requests
    assert request.path.endswith("/completions") and "chat" not in request.path
    assert request.body["prompt"] == "Document:\n"
    assert request.body["stop"] == ["```"]


async def test_chat_errors_keep_groves_types(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(status(503))
    provider = _provider(scripted_openai)
    try:
        with pytest.raises(EndpointBusy):
            await provider.chat_result(MESSAGES, 16)
    finally:
        await provider.aclose()


async def test_backend_generate_text_goes_through_the_fault_gate(
    scripted_openai: ScriptedOpenAI,
) -> None:
    messages: list[tuple[str, str]] = []
    settings = resolve_settings({"endpoint": {"baseUrl": scripted_openai.base_url}, "model": "m"})
    backend = ModelBackend(settings, lambda level, m: messages.append((level, m)), env={})
    scripted_openai.script(status(429, {"Retry-After": "30"}), text("never sent"))
    try:
        assert await backend.generate_text(MESSAGES, 16, use_chat=True) is None
        assert isinstance(backend.gate.last_error, RateLimited)
        assert await backend.generate_text(MESSAGES, 16, use_chat=True) is None  # held back
    finally:
        await backend.aclose()
    assert len(scripted_openai.requests) == 1
    assert len(messages) == 1 and "rate-limiting" in messages[0][1]


async def test_backend_generate_text_joins_messages_for_completions(
    scripted_openai: ScriptedOpenAI,
) -> None:
    settings = resolve_settings({"endpoint": {"baseUrl": scripted_openai.base_url}, "model": "m"})
    backend = ModelBackend(settings, lambda level, m: None, env={})
    scripted_openai.script(text("Fine."))
    try:
        answer = await backend.generate_text(MESSAGES, 16, use_chat=False, stop=("\n\n\n",))
    finally:
        await backend.aclose()
    assert answer == "Fine."
    assert scripted_openai.requests[0].body["prompt"] == "Be brief.\n\nWhy?"
