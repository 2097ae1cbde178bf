"""The README's endpoint recipes, each checked for the exact request it produces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from server.backend import ModelBackend
from server.llm.provider import CompletionRequest
from server.model_choice import auto_mode
from server.settings import resolve_settings
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")


@dataclass(frozen=True)
class Recipe:
    service: str
    base_url: str
    model: str
    mode: str
    key_env: str | None
    path: str
    reply: str


RECIPES = [
    Recipe(
        "OpenAI (chat models)",
        "https://api.openai.com/v1",
        "gpt-4o-mini",
        "chat",
        "OPENAI_API_KEY",
        "/v1/chat/completions",
        "```python\nb\n```",
    ),
    Recipe(
        "OpenAI (instruct, suffix)",
        "https://api.openai.com/v1",
        "gpt-3.5-turbo-instruct",
        "suffix",
        "OPENAI_API_KEY",
        "/v1/completions",
        "b",
    ),
    Recipe(
        "Mistral Codestral",
        "https://codestral.mistral.ai/v1",
        "codestral-latest",
        "codestral-fim",
        "MISTRAL_API_KEY",
        "/v1/fim/completions",
        "b",
    ),
    Recipe(
        "Ollama",
        "http://localhost:11434/v1",
        "qwen2.5-coder:1.5b",
        "suffix",
        None,
        "/v1/completions",
        "b",
    ),
    Recipe(
        "llama.cpp server",
        "http://localhost:8080/v1",
        "qwen2.5-coder-1.5b",
        "qwen",
        None,
        "/v1/completions",
        "b",
    ),
    Recipe(
        "LM Studio",
        "http://localhost:1234/v1",
        "qwen2.5-coder-7b-instruct",
        "qwen",
        None,
        "/v1/completions",
        "b",
    ),
    Recipe(
        "vLLM",
        "http://localhost:8000/v1",
        "deepseek-ai/deepseek-coder-1.3b-base",
        "deepseek",
        None,
        "/v1/completions",
        "b",
    ),
    Recipe(
        "Gemini",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "gemini-2.0-flash",
        "chat",
        "GEMINI_API_KEY",
        "/v1/chat/completions",
        "```python\nb\n```",
    ),
    Recipe(
        "OpenRouter",
        "https://openrouter.ai/api/v1",
        "openai/gpt-4.1-mini",
        "chat",
        "OPENROUTER_API_KEY",
        "/v1/chat/completions",
        "```python\nb\n```",
    ),
    Recipe(
        "Azure OpenAI",
        "https://YOUR-RESOURCE.openai.azure.com/openai/v1",
        "gpt-4o-mini",
        "chat",
        "AZURE_OPENAI_API_KEY",
        "/v1/chat/completions",
        "```python\nb\n```",
    ),
    Recipe(
        "Claude",
        "https://api.anthropic.com/v1",
        "claude-sonnet-4-5",
        "chat",
        "ANTHROPIC_API_KEY",
        "/v1/chat/completions",
        "```python\nb\n```",
    ),
]


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.service for r in RECIPES])
def test_readme_lists_the_recipe(recipe: Recipe) -> None:
    key = f"`{recipe.key_env}`" if recipe.key_env else "—"
    row = f"| {recipe.service} | `{recipe.base_url}` | `{recipe.model}` | `{recipe.mode}` | {key} |"
    assert row in README


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.service for r in RECIPES])
async def test_recipe_request_shape(recipe: Recipe, scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text(recipe.reply))
    settings = resolve_settings(
        {
            "endpoint": {
                "baseUrl": scripted_openai.base_url,
                "apiKeyEnv": recipe.key_env or "NO_KEY",
            },
            "model": recipe.model,
            "completion": {"mode": recipe.mode},
        }
    )
    env = {recipe.key_env: "key-for-" + recipe.service} if recipe.key_env else {}
    messages: list[str] = []
    backend = ModelBackend(settings, lambda level, text: messages.append(text), env=env)
    request = CompletionRequest(
        prefix="a = 1\nb = ", suffix="\nprint(b)\n", max_tokens=16, language="python"
    )
    try:
        result = await backend.complete(request)
    finally:
        await backend.aclose()
    assert messages == []
    assert result is not None and result.text.strip() == "b"
    [sent] = scripted_openai.completion_requests
    assert sent.path == recipe.path
    assert sent.body["model"] == recipe.model
    # Chat answers carry a code fence around the code, so chat mode asks for more room.
    assert sent.body["max_tokens"] == 16 or (recipe.mode == "chat" and sent.body["max_tokens"] > 16)
    if recipe.key_env:
        assert sent.headers["authorization"] == f"Bearer key-for-{recipe.service}"
    if recipe.mode == "chat":
        user = sent.body["messages"][-1]["content"]
        assert "a = 1\nb = " in user and "print(b)" in user
    elif recipe.mode in ("suffix", "codestral-fim"):
        assert sent.body["prompt"] == "a = 1\nb = "
        assert sent.body["suffix"] == "\nprint(b)\n"
    elif recipe.mode == "qwen":
        assert (
            sent.body["prompt"]
            == "<|fim_prefix|>a = 1\nb = <|fim_suffix|>\nprint(b)\n<|fim_middle|>"
        )
    elif recipe.mode == "deepseek":
        assert (
            sent.body["prompt"]
            == "<｜fim▁begin｜>a = 1\nb = <｜fim▁hole｜>\nprint(b)\n<｜fim▁end｜>"
        )


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.service for r in RECIPES])
def test_auto_mode_picks_the_recipe_mode(recipe: Recipe) -> None:
    """Every recipe's mode is what ``auto`` chooses: the column is there to explain it."""
    assert auto_mode("auto", recipe.model, recipe.base_url) == recipe.mode
