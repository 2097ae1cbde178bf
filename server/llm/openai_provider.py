"""``OpenAIProvider``: every completion mode over any OpenAI-compatible endpoint.

Owns the transport of a model call: one ``openai.AsyncOpenAI`` client (short timeouts,
``max_retries=0``), sending each request, early stop and cancellation (both close the HTTP
response), and the faults of sending it. What each request's body holds is
:mod:`server.llm.request_bodies`'s; reading the answer within Grove's bounds (stall guard,
output cap, wall clock, client-side stop sequences) is :mod:`server.llm.answer_reader`'s;
turning a transport/HTTP fault into a :mod:`server.llm.provider` error is
:mod:`server.llm.error_mapping`'s.

All modes go through the client's generic ``post(path, body=..., stream=True,
stream_cls=AsyncStream[object])``: one code path for ``/completions``, ``/chat/completions`` and
Mistral's ``/fim/completions``, exact control of the JSON body (unset fields are omitted, not
sent as ``null``), raw-dict chunks that tolerate the quirks of non-OpenAI servers, and no
dependency on version-specific parameter types of the ``openai`` package. Auth, base URL,
timeouts and SSE decoding remain the client's.

Privacy: :meth:`OpenAIProvider._run` is the one place every generation request passes through
(completions in every mode, chat, plain prompts), so it is where inline secrets are redacted
(:mod:`analyzers.redact`, on unless ``redact_secrets`` is off) in the prompt, suffix and message
texts of the body, and where an answer that repeats one of that request's placeholders is
rejected (text ``""``, ``finish_reason="rejected"``), so redacted text never reaches the user's
file. Prompts are logged only at :data:`TRACE` (the ``trace`` log level), after redaction; lower
levels log sizes, never text.

Several choices: a completion request with ``n`` > 1 sends ``n`` and reads each choice of the
answer on its own. Endpoints that ignore ``n`` (llama-cpp-python) or refuse it (llama.cpp's
server: HTTP 500 "Only one completion choice is allowed") are remembered per provider, and
asked for one choice from then on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import AsyncStream

from analyzers.redact import Redactor, contains_placeholder
from server.llm.answer_reader import AnswerReading, Limits, read_answer
from server.llm.error_mapping import looks_html, map_error
from server.llm.provider import (
    BadResponse,
    CompletionRequest,
    CompletionResult,
    EndpointError,
    EndpointTimeout,
    LLMError,
    NotConfigured,
)
from server.llm.request_bodies import (
    CHAT_PATH,
    COMPLETIONS_PATH,
    chat_body,
    completion_body,
    generation_body,
    redacted_body,
)
from server.llm.templates import resolve_mode
from server.llm.urls import display_url
from server.llm.waiting import wait_within

log = logging.getLogger(__name__)

__all__ = ["TRACE", "Limits", "OpenAIProvider", "display_url"]

TRACE = logging.DEBUG - 5
"""Log level below DEBUG at which request bodies (redacted prompts) are logged."""
logging.addLevelName(TRACE, "TRACE")


def _refuses_n(error: EndpointError) -> bool:
    """Whether an HTTP error answers a request for several choices by refusing ``n``."""
    if error.status in (400, 422):
        return True
    return error.status == 500 and "choice" in error.message.lower()


def _observer(on_text: Callable[[str], None] | None) -> Callable[[str], bool] | None:
    """A ``should_stop`` hook that reports the text so far to ``on_text`` and never stops."""
    if on_text is None:
        return None

    def observe(text: str) -> bool:
        on_text(text)
        return False

    return observe


class OpenAIProvider:
    """A model behind an OpenAI-compatible HTTP endpoint: completions, chat, generation."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        mode: str,
        timeout_s: float = 8.0,
        connect_timeout_s: float = 2.0,
        name: str = "openai",
        max_duration_s: float | None = None,
        redact_secrets: bool = True,
        n_supported: bool | None = None,
    ) -> None:
        self.name = name
        self.redact_secrets = redact_secrets
        """Replace inline secrets in every request by placeholders (see the module docstring)."""
        self.model = model
        try:
            self.mode = resolve_mode(mode, model)
        except ValueError:
            raise NotConfigured(f"grove.completion.mode {mode!r} is not a known mode") from None
        self.endpoint = display_url(base_url)
        self._api_key = api_key or None
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self.limits = Limits(
            timeout_s, max_duration_s if max_duration_s is not None else 4 * timeout_s
        )
        """The bounds of completion calls; generation calls may bring their own."""
        self.n_supported = n_supported
        """Whether the endpoint answers ``n`` with several choices: None until a request tells
        (llama-cpp-python ignores ``n``: the embedded model's provider starts with False)."""
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise NotConfigured(
                f"grove.endpoint.baseUrl must be an http(s) URL, got {self.endpoint!r}"
            )
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=openai.Timeout(timeout_s, connect=connect_timeout_s),
        )

    # ----------------------------------------------------------------------------------------
    # Public API

    async def complete(
        self,
        request: CompletionRequest,
        should_stop: Callable[[str], bool] | None = None,
    ) -> CompletionResult:
        """Stream a completion in this provider's mode (see the module docstring for bounds).

        A request for several choices (``n`` > 1) asks for them in this one call unless the
        endpoint is known to give one (:attr:`several_choices`); the answer's ``choices`` then
        holds them all. An endpoint that refuses ``n`` (HTTP 400/422, or llama.cpp's 500 "Only
        one completion choice is allowed") is asked again for one choice, and one that ignores
        ``n`` (a single choice back) is remembered: from then on, requests ask for one.
        """
        if request.n > 1 and not self.several_choices:
            request = replace(request, n=1)
        try:
            result = await self._complete(request, should_stop)
        except EndpointError as error:
            if request.n <= 1 or not _refuses_n(error):
                raise
            log.info("%s: the endpoint refused n=%d; asking for one choice", self.name, request.n)
            self.n_supported = False
            return await self._complete(replace(request, n=1), should_stop)
        if request.n > 1:
            self.n_supported = len(result.choices) > 1
            if not self.n_supported:
                log.info("%s: the endpoint ignored n=%d", self.name, request.n)
        return result

    @property
    def several_choices(self) -> bool:
        """Whether a completion request may ask for several choices at once (``n``)."""
        return self.n_supported is not False and self.mode != "codestral-fim"

    async def _complete(
        self, request: CompletionRequest, should_stop: Callable[[str], bool] | None
    ) -> CompletionResult:
        path, body, stops = completion_body(self.model, self.mode, request)
        log.debug(
            "%s: POST %s model=%s mode=%s prefix=%d suffix=%d max_tokens=%d",
            self.name,
            path,
            self.model,
            self.mode,
            len(request.prefix),
            len(request.suffix),
            request.max_tokens,
        )
        return await self._run(path, body, stops, request, should_stop)

    async def chat_result(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        response_format: Mapping[str, object] | None = None,
        limits: Limits | None = None,
    ) -> CompletionResult:
        """The raw answer to ``messages`` (no code-block extraction), with its ``finish_reason``.

        Streamed, with the same bounds and errors as completions. ``on_text`` is called with the
        whole text so far each time a streamed chunk adds to it; ``response_format`` is sent as
        given; ``limits`` replaces :attr:`limits` for this call (long jobs wait longer).
        """
        body = chat_body(self.model, messages, max_tokens, temperature, response_format)
        request = CompletionRequest(prefix="", suffix="", max_tokens=max_tokens)
        log.debug("%s: POST /chat/completions (raw) max_tokens=%d", self.name, max_tokens)
        return await self._run(
            CHAT_PATH, body, (), request, _observer(on_text), verbatim=True, limits=limits
        )

    async def generate_result(
        self,
        prompt: str,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        limits: Limits | None = None,
    ) -> CompletionResult:
        """The raw plain ``/completions`` answer to ``prompt``, with its ``finish_reason``.

        ``on_text`` and ``limits`` as in :meth:`chat_result`.
        """
        body = generation_body(self.model, prompt, max_tokens, stop, temperature)
        request = CompletionRequest(prefix="", suffix="", max_tokens=max_tokens)
        log.debug("%s: POST /completions (raw) max_tokens=%d", self.name, max_tokens)
        return await self._run(
            COMPLETIONS_PATH, body, stop, request, _observer(on_text), verbatim=True, limits=limits
        )

    async def list_models(self) -> Mapping[str, object]:
        """The JSON object ``GET /models`` answers; the :class:`LLMError` of any failure."""
        try:
            data = await wait_within(
                self._client.get("/models", cast_to=object),
                timeout=self._timeout_s + self._connect_timeout_s + 1.0,
            )
        except asyncio.TimeoutError:
            raise EndpointTimeout(endpoint=self.endpoint) from None
        except (openai.APIError, ValueError) as exc:
            raise self._map_error(exc) from exc
        if not isinstance(data, Mapping):
            kind = "an HTML page" if looks_html(data, "") else "something other than JSON"
            raise BadResponse(f"GET /models returned {kind}", endpoint=self.endpoint)
        return data

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.close()

    # ----------------------------------------------------------------------------------------
    # Sending

    async def _run(
        self,
        path: str,
        body: dict[str, Any],
        stops: tuple[str, ...],
        request: CompletionRequest,
        should_stop: Callable[[str], bool] | None,
        *,
        verbatim: bool = False,
        limits: Limits | None = None,
    ) -> CompletionResult:
        """Send ``body`` (redacted) and read the answer; reject one repeating a placeholder."""
        limits = limits or self.limits
        redactor = Redactor()
        if self.redact_secrets:
            body = redacted_body(body, redactor)
        if log.isEnabledFor(TRACE):
            log.log(TRACE, "%s: POST %s %s", self.name, path, json.dumps(body, ensure_ascii=False))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            stream = await wait_within(
                self._client.post(
                    path,
                    cast_to=object,
                    body=body,
                    stream=True,
                    stream_cls=AsyncStream[object],
                    options={
                        "timeout": openai.Timeout(limits.stall_s, connect=self._connect_timeout_s)
                    },
                ),
                timeout=limits.stall_s + self._connect_timeout_s + 1.0,
            )
        except asyncio.TimeoutError:
            raise EndpointTimeout("no response headers", endpoint=self.endpoint) from None
        except (openai.APIError, ValueError) as exc:
            raise self._map_error(exc) from None
        reading = AnswerReading(
            name=self.name,
            endpoint=self.endpoint,
            api_key=self._api_key,
            request=request,
            stops=stops,
            limits=limits,
            chat=self.mode == "chat" and not verbatim,
        )
        try:
            result = await read_answer(stream, reading, should_stop, started)
        finally:
            await self._close(stream)
        if redactor.placeholders and result.choices:
            result = replace(
                result,
                choices=tuple(
                    "" if contains_placeholder(text, redactor.placeholders) else text
                    for text in result.choices
                ),
            )
        if redactor.placeholders and contains_placeholder(result.text, redactor.placeholders):
            log.info("%s: the answer repeats a redacted secret's placeholder; rejected", self.name)
            return replace(result, text="", finish_reason="rejected")
        return result

    async def _close(self, stream: AsyncStream[object]) -> None:
        """Close the HTTP response (drops the connection when the body was not finished)."""
        try:
            await stream.close()
        except Exception:  # closing must never mask the real outcome
            log.debug("%s: error while closing the stream", self.name, exc_info=True)

    def _map_error(self, exc: BaseException) -> LLMError:
        """An openai/transport exception → Grove's error type (messages scrubbed of the key)."""
        return map_error(
            exc, endpoint=self.endpoint, api_key=self._api_key, embedded=self.name == "embedded"
        )
