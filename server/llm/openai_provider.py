"""``OpenAIProvider``: every completion mode over any OpenAI-compatible endpoint.

Owns the HTTP side of a model call: one ``openai.AsyncOpenAI`` client (short timeouts,
``max_retries=0``), the request body for each completion mode, the streamed read with its
bounds (per-chunk stall guard, output cap, wall clock, client-side stop sequences), early stop
and cancellation (both close the HTTP response), and the mapping of every transport/HTTP fault
to a :mod:`server.llm.provider` error.

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
file. Token-count requests are redacted too. Prompts are logged only at :data:`TRACE` (the
``trace`` log level), after redaction; lower levels log sizes, never text.

Several choices: a completion request with ``n`` > 1 sends ``n`` and reads each choice of the
answer on its own (interleaved stream chunks by ``index``; stops, caps and early stop per
choice). Endpoints that ignore ``n`` (llama-cpp-python) or refuse it (llama.cpp's server:
HTTP 500 "Only one completion choice is allowed") are remembered per provider, and asked for one
choice from then on.

Truncated streams: a stream cut at the transport level (connection dropped, incomplete chunked
body) raises :class:`BadResponse`; a stream that ends cleanly without a ``finish_reason``
returns its text with ``finish_reason=None``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from openai import AsyncStream

from analyzers.redact import Redactor, contains_placeholder
from server.llm.provider import (
    BadResponse,
    CompletionRequest,
    CompletionResult,
    EndpointBusy,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    LLMError,
    NotConfigured,
    RateLimited,
    parse_retry_after,
    scrub_secret,
)
from server.llm.templates import (
    FIM_TEMPLATES,
    chat_answer_closed,
    extract_chat_answer,
    hole_marker,
    render_chat_fill,
    render_fim,
    resolve_mode,
    stop_tokens,
    strip_echoed_prefix,
)
from server.llm.waiting import wait_within
from server.settings import with_api_version

log = logging.getLogger(__name__)

__all__ = ["TRACE", "OpenAIProvider", "display_url"]

TRACE = logging.DEBUG - 5
"""Log level below DEBUG at which request bodies (redacted prompts) are logged."""
logging.addLevelName(TRACE, "TRACE")

_OUTPUT_CHARS_PER_TOKEN = 8
_MIN_OUTPUT_CHARS = 64
_CHAT_FENCE_ALLOWANCE = 32
_REASONING_ALLOWANCE = 2048
_NON_STREAM_BODY_LIMIT = 1 << 20
_OPENAI_SUFFIX_MAX_STOPS = 4
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


def display_url(base_url: str) -> str:
    """The base URL without credentials, query or fragment (safe for messages)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _origin(base_url: str) -> str:
    """Scheme + host of the base URL (llama.cpp's extra routes live at the server root)."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _looks_html(body: object, content_type: str) -> bool:
    if "html" in content_type.lower():
        return True
    return isinstance(body, str) and body.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def _server_message(body: object) -> str:
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


def _find_stop(text: str, stops: tuple[str, ...], start: int) -> int | None:
    """Index of the earliest stop sequence in ``text[start:]``, if any."""
    best: int | None = None
    for stop in stops:
        index = text.find(stop, start)
        if index != -1 and (best is None or index < best):
            best = index
    return best


def _refuses_n(error: EndpointError) -> bool:
    """Whether an HTTP error answers a request for several choices by refusing ``n``."""
    if error.status in (400, 422):
        return True
    return error.status == 500 and "choice" in error.message.lower()


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _observer(on_text: Callable[[str], None] | None) -> Callable[[str], bool] | None:
    """A ``should_stop`` hook that reports the text so far to ``on_text`` and never stops."""
    if on_text is None:
        return None

    def observe(text: str) -> bool:
        on_text(text)
        return False

    return observe


def _redacted_body(body: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
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


class _Part:
    """One choice's share of a chunk: its ``index``, new text and ``finish_reason``."""

    __slots__ = ("index", "reason", "text")

    def __init__(self, index: int, text: str, reason: str | None) -> None:
        self.index = index
        self.text = text
        self.reason = reason


def _part(choice: object, position: int) -> _Part:
    if not isinstance(choice, Mapping):
        raise BadResponse("a choice that is not a JSON object")
    reason = choice.get("finish_reason")
    index = _as_int(choice.get("index"))
    part = _Part(
        position if index is None else index, "", reason if isinstance(reason, str) else None
    )
    text = choice.get("text")
    if isinstance(text, str):
        part.text = text
        return part
    for holder in ("delta", "message"):
        piece = choice.get(holder)
        if isinstance(piece, Mapping):
            content = piece.get("content")
            if isinstance(content, str):
                part.text = content
            return part
    return part


class _Chunk:
    """The parts of one streamed (or whole) answer Grove uses.

    ``parts`` holds the first choice only, unless ``many`` (a request for several choices,
    ``n``): then every choice, each with its ``index``.
    """

    __slots__ = ("has_choice", "parts", "usage")

    def __init__(self, data: object, *, many: bool = False) -> None:
        if not isinstance(data, Mapping):
            raise BadResponse("an event that is not a JSON object")
        usage = data.get("usage")
        self.usage: Mapping[str, object] | None = usage if isinstance(usage, Mapping) else None
        self.parts: list[_Part] = []
        self.has_choice = False
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            return
        wanted = choices if many else choices[:1]
        self.parts = [_part(choice, position) for position, choice in enumerate(wanted)]
        self.has_choice = True


class _Choice:
    """One choice being read from a stream."""

    __slots__ = ("done", "finish", "first_text_at", "stopped_early", "text")

    def __init__(self) -> None:
        self.text = ""
        self.finish: str | None = None
        self.stopped_early = False
        self.done = False
        self.first_text_at: float | None = None


def _cut(choices: dict[int, _Choice]) -> None:
    """Grove's wall clock ended the stream: every unfinished choice ends with ``time_limit``."""
    choices.setdefault(0, _Choice())
    for choice in choices.values():
        if not choice.done:
            choice.finish, choice.stopped_early = "time_limit", True


def _combined(results: list[CompletionResult], many: bool) -> CompletionResult:
    """The first choice's result; with ``many``, carrying every choice's text in ``choices``."""
    first = results[0]
    return replace(first, choices=tuple(r.text for r in results)) if many else first


@dataclass(frozen=True)
class Limits:
    """How long one call may wait for output (headers and between chunks) and run in all."""

    stall_s: float
    max_duration_s: float


class OpenAIProvider:
    """A :class:`~server.llm.provider.Provider` for OpenAI-compatible HTTP endpoints."""

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
        self.requested_mode = mode
        try:
            self.mode = resolve_mode(mode, model)
        except ValueError:
            raise NotConfigured(f"grove.completion.mode {mode!r} is not a known mode") from None
        self.base_url = base_url
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
        self._tokenize_route: str | None = None
        self._tokenize_unsupported = False
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
        path, body, stops = self._build(request)
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

    async def chat(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
    ) -> str:
        """The raw text of one ``/chat/completions`` answer (streamed, same bounds and errors).

        ``on_text`` is called with the whole text so far each time a streamed chunk adds to it.
        """
        result = await self.chat_result(messages, max_tokens, temperature, on_text=on_text)
        return result.text

    async def chat_result(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        response_format: Mapping[str, object] | None = None,
        limits: Limits | None = None,
    ) -> CompletionResult:
        """:meth:`chat`, with the ``finish_reason``; ``response_format`` is sent as given.

        ``limits`` replaces :attr:`limits` for this call (long jobs wait longer).
        """
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        if _REASONING_MODEL.search(self.model.lower().rsplit("/", 1)[-1]):
            body["max_completion_tokens"] = max_tokens + _REASONING_ALLOWANCE
        else:
            body["max_tokens"] = max_tokens
            body["temperature"] = temperature
        if response_format is not None:
            body["response_format"] = dict(response_format)
        request = CompletionRequest(prefix="", suffix="", max_tokens=max_tokens)
        log.debug("%s: POST /chat/completions (raw) max_tokens=%d", self.name, max_tokens)
        return await self._run(
            "/chat/completions", body, (), request, _observer(on_text), verbatim=True, limits=limits
        )

    async def generate(
        self,
        prompt: str,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
    ) -> str:
        """The raw text of one plain ``/completions`` answer for ``prompt``.

        ``on_text`` is called with the whole text so far each time a streamed chunk adds to it.
        """
        result = await self.generate_result(prompt, max_tokens, stop, temperature, on_text)
        return result.text

    async def generate_result(
        self,
        prompt: str,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        limits: Limits | None = None,
    ) -> CompletionResult:
        """:meth:`generate`, with the ``finish_reason`` (``limits`` as in :meth:`chat_result`)."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        request = CompletionRequest(prefix="", suffix="", max_tokens=max_tokens)
        log.debug("%s: POST /completions (raw) max_tokens=%d", self.name, max_tokens)
        return await self._run(
            "/completions", body, stop, request, _observer(on_text), verbatim=True, limits=limits
        )

    async def tokenize(self, text: str) -> list[int] | None:
        """Token ids from a llama.cpp-style server, or None when unsupported (never raises)."""
        if self._tokenize_unsupported:
            return None
        routes = (
            (self._tokenize_route,) if self._tokenize_route else ("/extras/tokenize", "/tokenize")
        )
        origin = _origin(self.base_url)
        for route in routes:
            if self.redact_secrets:
                text = Redactor().redact(text).text
            body = {"input": text} if route == "/extras/tokenize" else {"content": text}
            try:
                data = await wait_within(
                    self._client.post(
                        origin + route,
                        cast_to=object,
                        body=body,
                        options={"timeout": min(2.0, self._timeout_s)},
                    ),
                    timeout=min(2.0, self._timeout_s) + 0.5,
                )
            except openai.APIStatusError as exc:
                if exc.status_code in (404, 405, 501):
                    continue
                return None
            except (openai.APIError, asyncio.TimeoutError, ValueError):
                return None
            tokens = data.get("tokens") if isinstance(data, Mapping) else None
            if isinstance(tokens, list) and all(_as_int(t) is not None for t in tokens):
                self._tokenize_route = route
                return [int(t) for t in tokens]
        self._tokenize_unsupported = True
        return None

    async def health(self) -> str | None:
        """None when ``GET /models`` answers with JSON, else one sentence saying what is wrong."""
        try:
            await self.list_models()
        except LLMError as error:
            return error.user_message
        return None

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
            kind = "an HTML page" if _looks_html(data, "") else "something other than JSON"
            raise BadResponse(f"GET /models returned {kind}", endpoint=self.endpoint)
        return data

    async def aclose(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.close()

    # ----------------------------------------------------------------------------------------
    # Request bodies

    def _build(self, request: CompletionRequest) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        """(path, JSON body, stop sequences enforced client-side) for this provider's mode."""
        mode = self.mode
        base: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if request.n > 1:
            base["n"] = request.n
        if mode == "chat":
            body = {
                "model": self.model,
                "messages": render_chat_fill(request),
                "stream": True,
            }
            budget = request.max_tokens + _CHAT_FENCE_ALLOWANCE
            if _REASONING_MODEL.search(self.model.lower().rsplit("/", 1)[-1]):
                body["max_completion_tokens"] = budget + _REASONING_ALLOWANCE
            else:
                body["max_tokens"] = budget
                body["temperature"] = request.temperature
            if request.n > 1:
                body["n"] = request.n
            return "/chat/completions", body, ()
        stops = tuple(dict.fromkeys(stop_tokens(mode) + request.stop))
        if mode in FIM_TEMPLATES:
            body = {**base, "prompt": render_fim(mode, request.prefix, request.suffix)}
            path = "/completions"
        elif mode == "suffix":
            body = {**base, "prompt": request.prefix, "suffix": request.suffix}
            stops = stops[:_OPENAI_SUFFIX_MAX_STOPS]
            path = "/completions"
        elif mode == "codestral-fim":
            body = {**base, "prompt": request.prefix, "suffix": request.suffix}
            path = "/fim/completions"
        else:  # prefix
            body = {**base, "prompt": request.prefix}
            path = "/completions"
        if stops:
            body["stop"] = list(stops)
        return path, body, stops

    # ----------------------------------------------------------------------------------------
    # Streaming

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
            body = _redacted_body(body, redactor)
        if log.isEnabledFor(TRACE):
            log.log(TRACE, "%s: POST %s %s", self.name, path, json.dumps(body, ensure_ascii=False))
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + limits.max_duration_s
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
        try:
            content_type = stream.response.headers.get("content-type", "")
            if "event-stream" not in content_type and (
                "json" in content_type or "html" in content_type
            ):
                result = await self._read_whole(
                    stream, content_type, stops, request, limits, verbatim=verbatim
                )
            else:
                result = await self._read_stream(
                    stream, deadline, stops, request, should_stop, limits, verbatim=verbatim
                )
                result = replace(
                    result,
                    first_token_s=None
                    if result.first_token_s is None
                    else result.first_token_s - started,
                    total_s=loop.time() - started,
                )
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

    async def _read_stream(
        self,
        stream: AsyncStream[object],
        deadline: float,
        stops: tuple[str, ...],
        request: CompletionRequest,
        should_stop: Callable[[str], bool] | None,
        limits: Limits,
        *,
        verbatim: bool = False,
    ) -> CompletionResult:
        loop = asyncio.get_running_loop()
        chat = self.mode == "chat" and not verbatim
        marker = hole_marker(request.prefix, request.suffix) if chat else ""
        cap = max(_MIN_OUTPUT_CHARS, _OUTPUT_CHARS_PER_TOKEN * request.max_tokens)
        longest_stop = max((len(s) for s in stops), default=0)
        many = request.n > 1
        choices: dict[int, _Choice] = {}
        saw_choice = False
        usage: Mapping[str, object] | None = None
        while True:
            remaining = deadline - loop.time()
            wait = min(limits.stall_s, remaining)
            if wait <= 0:
                log.info("%s: stream exceeded %.1f s; cut", self.name, limits.max_duration_s)
                _cut(choices)
                break
            try:
                data = await wait_within(stream.__anext__(), timeout=wait)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                if wait < limits.stall_s:
                    log.info("%s: stream exceeded %.1f s; cut", self.name, limits.max_duration_s)
                    _cut(choices)
                    break
                raise EndpointTimeout(
                    f"the stream stalled for {limits.stall_s:g} s", endpoint=self.endpoint
                ) from None
            except openai.APITimeoutError:
                raise EndpointTimeout("the stream stalled", endpoint=self.endpoint) from None
            except openai.APIConnectionError:
                raise BadResponse(
                    "the stream was cut off before it finished", endpoint=self.endpoint
                ) from None
            except openai.APIError as exc:
                message = scrub_secret(_server_message(exc.body) or exc.message, self._api_key)
                raise BadResponse(
                    f"error in the stream: {message}", endpoint=self.endpoint
                ) from None
            except ValueError:
                raise BadResponse("malformed JSON in the stream", endpoint=self.endpoint) from None
            except Exception as exc:  # raw httpx errors (openai < 2 does not wrap them mid-stream)
                if "timeout" in type(exc).__name__.lower():
                    raise EndpointTimeout("the stream stalled", endpoint=self.endpoint) from None
                raise BadResponse(
                    "the stream was cut off before it finished", endpoint=self.endpoint
                ) from None
            chunk = _Chunk(data, many=many)
            if chunk.usage is not None:
                usage = chunk.usage
            saw_choice = saw_choice or chunk.has_choice
            for part in chunk.parts:
                choice = choices.setdefault(part.index if many else 0, _Choice())
                if choice.done:
                    continue
                if part.reason is not None:
                    choice.finish = part.reason
                if not part.text:
                    continue
                if choice.first_text_at is None:
                    choice.first_text_at = loop.time()
                before = len(choice.text)
                choice.text += part.text
                if stops:
                    index = _find_stop(choice.text, stops, max(0, before - longest_stop + 1))
                    if index is not None:
                        choice.text, choice.finish, choice.done = choice.text[:index], "stop", True
                        continue
                if len(choice.text) > cap:
                    log.info("%s: output exceeded %d chars; cut", self.name, cap)
                    choice.text, choice.finish = choice.text[:cap], "output_cap"
                    choice.stopped_early = choice.done = True
                    continue
                if chat and chat_answer_closed(choice.text):
                    choice.finish = choice.finish or "stop"
                    choice.done = True
                    continue
                if should_stop is not None:
                    visible = extract_chat_answer(choice.text, marker) if chat else choice.text
                    if visible is not None and should_stop(visible):
                        choice.finish, choice.stopped_early, choice.done = None, True, True
            if len(choices) >= request.n and all(c.done for c in choices.values()):
                break
        if not saw_choice and not any(c.text for c in choices.values()):
            raise BadResponse("no completion in the stream", endpoint=self.endpoint)
        ordered = [choices[index] for index in sorted(choices)] or [_Choice()]
        results = [
            self._result(
                c.text, c.finish, c.stopped_early, usage, request, marker, verbatim=verbatim
            )
            for c in ordered
        ]
        started = [c.first_text_at for c in ordered if c.first_text_at is not None]
        return replace(_combined(results, many), first_token_s=min(started, default=None))

    async def _read_whole(
        self,
        stream: AsyncStream[object],
        content_type: str,
        stops: tuple[str, ...],
        request: CompletionRequest,
        limits: Limits,
        *,
        verbatim: bool = False,
    ) -> CompletionResult:
        """A server that ignored ``stream: true`` and answered with one JSON (or HTML) body."""
        response = stream.response
        raw = bytearray()

        async def read() -> None:
            async for part in response.aiter_bytes():
                raw.extend(part)
                if len(raw) > _NON_STREAM_BODY_LIMIT:
                    raise BadResponse("an oversized answer", endpoint=self.endpoint)

        try:
            await wait_within(read(), timeout=limits.stall_s)
        except asyncio.TimeoutError:
            raise EndpointTimeout("the answer stalled", endpoint=self.endpoint) from None
        except openai.APIError:
            raise BadResponse("the answer was cut off", endpoint=self.endpoint) from None
        except Exception as exc:  # httpx/httpx2 transport errors (the client did not wrap them)
            if isinstance(exc, LLMError):
                raise
            raise BadResponse("the answer was cut off", endpoint=self.endpoint) from None
        body = raw.decode("utf-8", errors="replace")
        if _looks_html(body, content_type):
            raise BadResponse("an HTML page instead of JSON", endpoint=self.endpoint)
        try:
            data = json.loads(body)
        except ValueError:
            raise BadResponse("malformed JSON", endpoint=self.endpoint) from None
        if isinstance(data, Mapping) and "error" in data:
            message = scrub_secret(_server_message(data), self._api_key)
            raise EndpointError(response.status_code, message, endpoint=self.endpoint)
        many = request.n > 1
        chunk = _Chunk(data, many=many)
        if not chunk.has_choice:
            raise BadResponse("no choices in the answer", endpoint=self.endpoint)
        cap = max(_MIN_OUTPUT_CHARS, _OUTPUT_CHARS_PER_TOKEN * request.max_tokens)
        chat = self.mode == "chat" and not verbatim
        marker = hole_marker(request.prefix, request.suffix) if chat else ""
        results: list[CompletionResult] = []
        for part in sorted(chunk.parts, key=lambda p: p.index):
            text, finish = part.text, part.reason
            index = _find_stop(text, stops, 0) if stops else None
            if index is not None:
                text, finish = text[:index], "stop"
            stopped_early = False
            if len(text) > cap:
                text, finish, stopped_early = text[:cap], "output_cap", True
            results.append(
                self._result(
                    text, finish, stopped_early, chunk.usage, request, marker, verbatim=verbatim
                )
            )
        return _combined(results, many)

    def _result(
        self,
        text: str,
        finish: str | None,
        stopped_early: bool,
        usage: Mapping[str, object] | None,
        request: CompletionRequest,
        marker: str,
        *,
        verbatim: bool = False,
    ) -> CompletionResult:
        prompt_tokens = _as_int(usage.get("prompt_tokens")) if usage else None
        completion_tokens = _as_int(usage.get("completion_tokens")) if usage else None
        if self.mode == "chat" and not verbatim:
            answer = extract_chat_answer(text, marker)
            if answer is None:
                log.info("%s: chat answer held no code block; rejected", self.name)
                return CompletionResult(
                    "", "rejected", stopped_early, prompt_tokens, completion_tokens
                )
            text = strip_echoed_prefix(answer, request.prefix)
        log.debug(
            "%s: done finish=%s early=%s chars=%d", self.name, finish, stopped_early, len(text)
        )
        return CompletionResult(text, finish, stopped_early, prompt_tokens, completion_tokens)

    async def _close(self, stream: AsyncStream[object]) -> None:
        """Close the HTTP response (drops the connection when the body was not finished)."""
        try:
            await stream.close()
        except Exception:  # closing must never mask the real outcome
            log.debug("%s: error while closing the stream", self.name, exc_info=True)

    # ----------------------------------------------------------------------------------------
    # Errors

    def _map_error(self, exc: BaseException) -> LLMError:
        """An openai/transport exception → Grove's error type (messages scrubbed of the key)."""
        endpoint = self.endpoint
        if isinstance(exc, openai.APITimeoutError):
            return EndpointTimeout(endpoint=endpoint)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            detail = type(cause).__name__ if cause is not None else "connection error"
            return EndpointUnreachable(scrub_secret(detail, self._api_key), endpoint=endpoint)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            headers = exc.response.headers
            body = exc.body
            message = scrub_secret(_server_message(body), self._api_key)
            if status == 429:
                return RateLimited(parse_retry_after(headers), message, endpoint=endpoint)
            if status == 503:
                return EndpointBusy(message, endpoint=endpoint)
            html = _looks_html(body, headers.get("content-type", ""))
            versioned = with_api_version(endpoint) if self.name != "embedded" else None
            if status == 404 and versioned is not None:
                hint = f"grove.endpoint.baseUrl is {endpoint}, did you mean {versioned}?"
                said = "an HTML page" if html else message
                return EndpointError(status, said, endpoint=endpoint, hint=hint)
            if html:
                return BadResponse(f"an HTML page with HTTP {status}", endpoint=endpoint)
            return EndpointError(status, message, endpoint=endpoint)
        if isinstance(exc, openai.APIError):
            return BadResponse(scrub_secret(exc.message, self._api_key), endpoint=endpoint)
        if isinstance(exc, ValueError):
            return BadResponse("malformed JSON", endpoint=endpoint)
        return BadResponse(type(exc).__name__, endpoint=endpoint)
