"""Which model Grove talks to: settings, environment and discovery resolved into one target.

The order: ``grove.endpoint.baseUrl``; else ``OPENAI_BASE_URL``; else a code model found on
loopback (:mod:`server.llm.discovery`, unless ``grove.endpoint.discover`` is off); else the
embedded SmolLM2 model. A :class:`Target` says which, where the choice came from and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.llm.discovery import PRODUCTS, Found, completion_mode
from server.llm.templates import resolve_mode
from server.settings import Settings

__all__ = [
    "EMBEDDED_CONTEXT_TOKENS",
    "EMBEDDED_MODEL_NAME",
    "ENDPOINT_CONTEXT_TOKENS",
    "Target",
    "auto_mode",
    "context_budget",
    "resolve_target",
]

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"

EMBEDDED_CONTEXT_TOKENS = 256
"""The embedded model's ``auto`` context budget. On 2 cores llama.cpp reads about 250 prompt
tokens a second, so the tokens its KV cache does not hold are the latency. 256 tokens send about
what the last 20 lines do (the fastest peer layout); on the dev split 1024 gained 4 points of
edit similarity for about 3 times the wait (benchmarks/README.md, "Context budget")."""

ENDPOINT_CONTEXT_TOKENS = 1024
"""An endpoint's ``auto`` context budget."""
OLLAMA_PORT = PRODUCTS["ollama"][1]


@dataclass(frozen=True)
class Target:
    """The endpoint a provider talks to, as resolved from settings and environment."""

    base_url: str | None
    model: str
    mode: str
    api_key_env: str
    embedded: bool
    error: str | None = None
    """Set when ``grove.endpoint.baseUrl`` is unusable: no model is called, this is reported."""
    source: str = "embedded"
    """Where the choice came from: ``setting``, ``environment``, ``discovery`` or ``embedded``."""
    origin: str = ""
    """Why this target, in one sentence (status and doctor)."""
    found_on: str = ""
    """For a discovered server: ``Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434``."""

    @property
    def label(self) -> str:
        """Short description for status and logs (never contains the key)."""
        if self.error is not None:
            return "none (grove.endpoint.baseUrl is invalid)"
        if self.found_on:
            return f"{self.found_on} ({self.mode})"
        where = "embedded" if self.embedded else (self.base_url or "?")
        return f"{self.model or '?'} @ {where} ({self.mode})"


DISCOVERY_OFF = "grove.endpoint.discover: false turns this off"


def resolve_target(
    settings: Settings, env: Mapping[str, str], found: Found | None = None
) -> Target:
    """Settings + environment (+ what discovery found on loopback) → the endpoint to use."""
    if settings.endpoint_error is not None:
        return Target(
            None,
            settings.model,
            "prefix",
            "",
            embedded=False,
            error=settings.endpoint_error,
            source="setting",
            origin="grove.endpoint.baseUrl is set but unusable",
        )
    configured = settings.endpoint_base_url or env.get("OPENAI_BASE_URL") or None
    if configured is not None:
        model = settings.model or env.get("GROVE_MODEL") or env.get("OPENAI_MODEL") or ""
        mode = auto_mode(settings.completion_mode, model, configured)
        source, origin = (
            ("setting", "grove.endpoint.baseUrl is set")
            if settings.endpoint_base_url
            else ("environment", "OPENAI_BASE_URL is set (grove.endpoint.baseUrl is empty)")
        )
        return Target(
            configured,
            model,
            mode,
            settings.endpoint_api_key_env,
            embedded=False,
            source=source,
            origin=origin,
        )
    choice = found.completion if found is not None and settings.endpoint_discover else None
    if choice is not None:
        mode = choice.mode if settings.completion_mode == "auto" else settings.completion_mode
        return Target(
            choice.server.base_url,
            choice.model,
            mode,
            "",  # a server found on loopback never gets the user's API key
            embedded=False,
            source="discovery",
            origin=f"no endpoint set; found running on this machine ({DISCOVERY_OFF})",
            found_on=choice.found_on,
        )
    mode = settings.completion_mode if settings.completion_mode != "auto" else "prefix"
    if not settings.endpoint_discover:
        origin = "no endpoint set and grove.endpoint.discover is false"
    elif found is None:
        origin = "no endpoint set (looking for a model server on loopback)"
    else:
        origin = f"no endpoint set; {found.summary()}"
    return Target(
        None, settings.model or EMBEDDED_MODEL_NAME, mode, "", embedded=True, origin=origin
    )


def auto_mode(setting: str, model: str, base_url: str) -> str:
    """``grove.completion.mode`` made concrete for a configured endpoint.

    ``auto`` guesses from the model name; on Ollama's port a fill-in-the-middle family becomes
    ``suffix``, the field Ollama builds the model's own FIM prompt from.
    """
    mode = resolve_mode(setting, model)
    if setting.strip().lower() in ("", "auto") and urlsplit(base_url).port == OLLAMA_PORT:
        return completion_mode("ollama", model) or mode
    return mode


def context_budget(settings: Settings, target: Target | None) -> int:
    """Tokens of context a prompt may use: the setting, or its ``auto`` value for ``target``."""
    if isinstance(settings.context_budget_tokens, int):
        return settings.context_budget_tokens
    if target is not None and target.embedded:
        return EMBEDDED_CONTEXT_TOKENS
    return ENDPOINT_CONTEXT_TOKENS
