"""How a fault of an OpenAI-compatible endpoint becomes one of Grove's :class:`LLMError` types.

Owns :func:`map_error` (an ``openai``/transport exception → the :mod:`server.llm.provider` error
that says what went wrong, its messages scrubbed of the API key) and the two readings of an
error body it and the answer reader share: :func:`server_message` (the human part of a JSON
error) and :func:`looks_html` (a web page where JSON was expected).
"""

from __future__ import annotations

from collections.abc import Mapping

import openai

from server.llm.provider import (
    BadResponse,
    EndpointBusy,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    LLMError,
    RateLimited,
    parse_retry_after,
    scrub_secret,
)
from server.llm.urls import with_api_version

__all__ = ["looks_html", "map_error", "server_message"]


def looks_html(body: object, content_type: str) -> bool:
    """Whether an answer is an HTML page (by its content type or its first characters)."""
    if "html" in content_type.lower():
        return True
    return isinstance(body, str) and body.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def server_message(body: object) -> str:
    """The human part of an error body: ``{"error": {"message"}}``, ``{"detail"}``, text."""
    if isinstance(body, Mapping):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, Mapping):
                inner = value.get("message")
                if isinstance(inner, str):
                    return inner
            elif isinstance(value, str):
                return value
            elif isinstance(value, list) and value:
                first = value[0]
                if isinstance(first, Mapping) and isinstance(first.get("msg"), str):
                    return str(first["msg"])
        return ""
    if isinstance(body, str):
        return body
    return ""


def map_error(
    exc: BaseException, *, endpoint: str, api_key: str | None, embedded: bool = False
) -> LLMError:
    """An openai/transport exception → Grove's error type (messages scrubbed of the key).

    A 404 from a user's endpoint whose base URL lacks an API version (``/v1``) says which URL
    was probably meant; the ``embedded`` model's URL is Grove's own, so it gets no such hint.
    """
    if isinstance(exc, openai.APITimeoutError):
        return EndpointTimeout(endpoint=endpoint)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        detail = type(cause).__name__ if cause is not None else "connection error"
        return EndpointUnreachable(scrub_secret(detail, api_key), endpoint=endpoint)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        headers = exc.response.headers
        body = exc.body
        message = scrub_secret(server_message(body), api_key)
        if status == 429:
            return RateLimited(parse_retry_after(headers), message, endpoint=endpoint)
        if status == 503:
            return EndpointBusy(message, endpoint=endpoint)
        html = looks_html(body, headers.get("content-type", ""))
        versioned = with_api_version(endpoint) if not embedded else None
        if status == 404 and versioned is not None:
            hint = f"grove.endpoint.baseUrl is {endpoint}, did you mean {versioned}?"
            said = "an HTML page" if html else message
            return EndpointError(status, said, endpoint=endpoint, hint=hint)
        if html:
            return BadResponse(f"an HTML page with HTTP {status}", endpoint=endpoint)
        return EndpointError(status, message, endpoint=endpoint)
    if isinstance(exc, openai.APIError):
        return BadResponse(scrub_secret(exc.message, api_key), endpoint=endpoint)
    if isinstance(exc, ValueError):
        return BadResponse("malformed JSON", endpoint=endpoint)
    return BadResponse(type(exc).__name__, endpoint=endpoint)
