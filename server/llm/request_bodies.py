"""The JSON body of every OpenAI-compatible request Grove sends (no I/O).

Owns what goes over the wire for each kind of call: a completion in each mode (``prefix``, the
fill-in-the-middle families' raw prompts, ``suffix``, Mistral's ``codestral-fim``, ``chat``),
a raw chat and a raw plain-prompt generation; the stop sequences Grove enforces client-side;
the token limits of reasoning models (``o1``..., ``gpt-5``), which take
``max_completion_tokens`` with room to think and no ``temperature``; and the redaction of the
texts a body carries. Unset fields are omitted, never sent as ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analyzers.redact import Redactor
from server.llm.provider import CompletionRequest
from server.llm.templates import FIM_TEMPLATES, render_chat_fill, render_fim, stop_tokens

__all__ = [
    "CHAT_PATH",
    "COMPLETIONS_PATH",
    "chat_body",
    "completion_body",
    "generation_body",
    "redacted_body",
]

CHAT_PATH = "/chat/completions"
COMPLETIONS_PATH = "/completions"
_FIM_PATH = "/fim/completions"

_CHAT_FENCE_ALLOWANCE = 32
"""Extra tokens a chat fill-in gets for the code fence around its answer."""
_REASONING_ALLOWANCE = 2048
"""Extra tokens a reasoning model gets for the thinking it does before it answers."""
_OPENAI_SUFFIX_MAX_STOPS = 4
"""OpenAI's ``/completions`` takes at most this many stop sequences."""
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


def _token_limits(model: str, max_tokens: int, temperature: float) -> dict[str, Any]:
    """A chat body's length and sampling fields (a reasoning model's differ)."""
    if _REASONING_MODEL.search(model.lower().rsplit("/", 1)[-1]):
        return {"max_completion_tokens": max_tokens + _REASONING_ALLOWANCE}
    return {"max_tokens": max_tokens, "temperature": temperature}


def completion_body(
    model: str, mode: str, request: CompletionRequest
) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """(path, JSON body, stop sequences enforced client-side) of a completion in ``mode``."""
    if mode == "chat":
        body: dict[str, Any] = {
            "model": model,
            "messages": render_chat_fill(request),
            "stream": True,
            **_token_limits(model, request.max_tokens + _CHAT_FENCE_ALLOWANCE, request.temperature),
        }
        if request.n > 1:
            body["n"] = request.n
        return CHAT_PATH, body, ()
    base: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stream": True,
    }
    if request.n > 1:
        base["n"] = request.n
    if request.grammar:
        base["grammar"] = request.grammar
    stops = tuple(dict.fromkeys(stop_tokens(mode) + request.stop))
    path = COMPLETIONS_PATH
    if mode in FIM_TEMPLATES:
        body = {**base, "prompt": render_fim(mode, request.prefix, request.suffix)}
    elif mode == "suffix":
        body = {**base, "prompt": request.prefix, "suffix": request.suffix}
        stops = stops[:_OPENAI_SUFFIX_MAX_STOPS]
    elif mode == "codestral-fim":
        body = {**base, "prompt": request.prefix, "suffix": request.suffix}
        path = _FIM_PATH
    else:  # prefix
        body = {**base, "prompt": request.prefix}
    if stops:
        body["stop"] = list(stops)
    return path, body, stops


def chat_body(
    model: str,
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float,
    response_format: Mapping[str, object] | None,
) -> dict[str, Any]:
    """The body of a raw chat call (``response_format`` is sent as given)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "stream": True,
        **_token_limits(model, max_tokens, temperature),
    }
    if response_format is not None:
        body["response_format"] = dict(response_format)
    return body


def generation_body(
    model: str, prompt: str, max_tokens: int, stop: tuple[str, ...], temperature: float
) -> dict[str, Any]:
    """The body of a raw plain-prompt ``/completions`` call."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stream": True,
    }
    if stop:
        body["stop"] = list(stop)
    return body


def redacted_body(body: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    """``body`` with its prompt, suffix and message texts redacted (one numbering for all)."""
    redacted = dict(body)
    for key in ("prompt", "suffix"):
        value = body.get(key)
        if isinstance(value, str):
            redacted[key] = redactor.redact(value).text
    messages = body.get("messages")
    if isinstance(messages, list):
        redacted["messages"] = [
            {**message, "content": redactor.redact(message["content"]).text}
            if isinstance(message, Mapping) and isinstance(message.get("content"), str)
            else message
            for message in messages
        ]
    return redacted
