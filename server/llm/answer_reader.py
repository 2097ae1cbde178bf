"""Reading one answer of an OpenAI-compatible endpoint, within Grove's bounds.

Owns what happens between the response headers and the :class:`CompletionResult`: the streamed
(SSE) read with its bounds (per-chunk stall guard, output cap, wall clock, client-side stop
sequences, early stop through ``should_stop``), the read of a server that ignored
``stream: true`` and sent one JSON body, the choices of a request for several (``n``: stream
chunks interleaved by ``index``, each choice with its own stops, cap and early stop), the code
block of a chat fill-in's answer, and the mapping of every mid-answer fault to a
:mod:`server.llm.provider` error. Sending the request and closing the response stay with
:class:`~server.llm.openai_provider.OpenAIProvider`.

Truncated streams: a stream cut at the transport level (connection dropped, incomplete chunked
body) raises :class:`BadResponse`; a stream that ends cleanly without a ``finish_reason``
returns its text with ``finish_reason=None``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import openai
from openai import AsyncStream

from server.llm.error_mapping import looks_html, server_message
from server.llm.provider import (
    BadResponse,
    CompletionRequest,
    CompletionResult,
    EndpointError,
    EndpointTimeout,
    LLMError,
    scrub_secret,
)
from server.llm.templates import (
    chat_answer_closed,
    extract_chat_answer,
    hole_marker,
    strip_echoed_prefix,
)
from server.llm.waiting import wait_within

log = logging.getLogger(__name__)

__all__ = ["AnswerReading", "Limits", "read_answer"]

_OUTPUT_CHARS_PER_TOKEN = 8
_MIN_OUTPUT_CHARS = 64
_NON_STREAM_BODY_LIMIT = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How long one call may wait for output (headers and between chunks) and run in all."""

    stall_s: float
    max_duration_s: float


@dataclass(frozen=True)
class AnswerReading:
    """What one answer is read for: the request, its stops and bounds, and who asked where."""

    name: str
    """The provider's name (for logs)."""
    endpoint: str
    """The endpoint as shown in error messages."""
    api_key: str | None
    """Scrubbed from the server's messages."""
    request: CompletionRequest
    stops: tuple[str, ...]
    """Stop sequences enforced client-side."""
    limits: Limits
    chat: bool
    """A chat fill-in: the answer is the code block of the reply, not the reply."""

    @property
    def cap(self) -> int:
        """The most characters one choice may produce before Grove cuts it."""
        return max(_MIN_OUTPUT_CHARS, _OUTPUT_CHARS_PER_TOKEN * self.request.max_tokens)

    @property
    def marker(self) -> str:
        """The hole marker of a chat fill-in's prompt (empty for any other answer)."""
        return hole_marker(self.request.prefix, self.request.suffix) if self.chat else ""


async def read_answer(
    stream: AsyncStream[object],
    reading: AnswerReading,
    should_stop: Callable[[str], bool] | None,
    started: float,
) -> CompletionResult:
    """The answer behind ``stream`` (SSE, or one JSON body); ``started``: when it was sent."""
    content_type = stream.response.headers.get("content-type", "")
    if "event-stream" not in content_type and ("json" in content_type or "html" in content_type):
        return await _read_whole(stream, content_type, reading)
    loop = asyncio.get_running_loop()
    result = await _read_stream(
        stream, started + reading.limits.max_duration_s, reading, should_stop
    )
    return replace(
        result,
        first_token_s=None if result.first_token_s is None else result.first_token_s - started,
        total_s=loop.time() - started,
    )


def _find_stop(text: str, stops: tuple[str, ...], start: int) -> int | None:
    """Index of the earliest stop sequence in ``text[start:]``, if any."""
    best: int | None = None
    for stop in stops:
        index = text.find(stop, start)
        if index != -1 and (best is None or index < best):
            best = index
    return best


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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


async def _read_stream(
    stream: AsyncStream[object],
    deadline: float,
    reading: AnswerReading,
    should_stop: Callable[[str], bool] | None,
) -> CompletionResult:
    """Read an SSE stream choice by choice until every choice is done, it ends, or time runs out."""
    loop = asyncio.get_running_loop()
    name, endpoint, limits = reading.name, reading.endpoint, reading.limits
    request, stops = reading.request, reading.stops
    chat, marker, cap = reading.chat, reading.marker, reading.cap
    longest_stop = max((len(s) for s in stops), default=0)
    many = request.n > 1
    choices: dict[int, _Choice] = {}
    saw_choice = False
    usage: Mapping[str, object] | None = None
    while True:
        remaining = deadline - loop.time()
        wait = min(limits.stall_s, remaining)
        if wait <= 0:
            log.info("%s: stream exceeded %.1f s; cut", name, limits.max_duration_s)
            _cut(choices)
            break
        try:
            data = await wait_within(stream.__anext__(), timeout=wait)
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            if wait < limits.stall_s:
                log.info("%s: stream exceeded %.1f s; cut", name, limits.max_duration_s)
                _cut(choices)
                break
            raise EndpointTimeout(
                f"the stream stalled for {limits.stall_s:g} s", endpoint=endpoint
            ) from None
        except openai.APITimeoutError:
            raise EndpointTimeout("the stream stalled", endpoint=endpoint) from None
        except openai.APIConnectionError:
            raise BadResponse(
                "the stream was cut off before it finished", endpoint=endpoint
            ) from None
        except openai.APIError as exc:
            message = scrub_secret(server_message(exc.body) or exc.message, reading.api_key)
            raise BadResponse(f"error in the stream: {message}", endpoint=endpoint) from None
        except ValueError:
            raise BadResponse("malformed JSON in the stream", endpoint=endpoint) from None
        except Exception as exc:  # raw httpx errors (openai < 2 does not wrap them mid-stream)
            if "timeout" in type(exc).__name__.lower():
                raise EndpointTimeout("the stream stalled", endpoint=endpoint) from None
            raise BadResponse(
                "the stream was cut off before it finished", endpoint=endpoint
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
                log.info("%s: output exceeded %d chars; cut", name, cap)
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
        raise BadResponse("no completion in the stream", endpoint=endpoint)
    ordered = [choices[index] for index in sorted(choices)] or [_Choice()]
    results = [_result(c.text, c.finish, c.stopped_early, usage, reading) for c in ordered]
    started = [c.first_text_at for c in ordered if c.first_text_at is not None]
    return replace(_combined(results, many), first_token_s=min(started, default=None))


async def _read_whole(
    stream: AsyncStream[object], content_type: str, reading: AnswerReading
) -> CompletionResult:
    """A server that ignored ``stream: true`` and answered with one JSON (or HTML) body."""
    response = stream.response
    endpoint = reading.endpoint
    raw = bytearray()

    async def read() -> None:
        async for part in response.aiter_bytes():
            raw.extend(part)
            if len(raw) > _NON_STREAM_BODY_LIMIT:
                raise BadResponse("an oversized answer", endpoint=endpoint)

    try:
        await wait_within(read(), timeout=reading.limits.stall_s)
    except asyncio.TimeoutError:
        raise EndpointTimeout("the answer stalled", endpoint=endpoint) from None
    except openai.APIError:
        raise BadResponse("the answer was cut off", endpoint=endpoint) from None
    except Exception as exc:  # httpx/httpx2 transport errors (the client did not wrap them)
        if isinstance(exc, LLMError):
            raise
        raise BadResponse("the answer was cut off", endpoint=endpoint) from None
    body = raw.decode("utf-8", errors="replace")
    if looks_html(body, content_type):
        raise BadResponse("an HTML page instead of JSON", endpoint=endpoint)
    try:
        data = json.loads(body)
    except ValueError:
        raise BadResponse("malformed JSON", endpoint=endpoint) from None
    if isinstance(data, Mapping) and "error" in data:
        message = scrub_secret(server_message(data), reading.api_key)
        raise EndpointError(response.status_code, message, endpoint=endpoint)
    many = reading.request.n > 1
    chunk = _Chunk(data, many=many)
    if not chunk.has_choice:
        raise BadResponse("no choices in the answer", endpoint=endpoint)
    cap, stops = reading.cap, reading.stops
    results: list[CompletionResult] = []
    for part in sorted(chunk.parts, key=lambda p: p.index):
        text, finish = part.text, part.reason
        index = _find_stop(text, stops, 0) if stops else None
        if index is not None:
            text, finish = text[:index], "stop"
        stopped_early = False
        if len(text) > cap:
            text, finish, stopped_early = text[:cap], "output_cap", True
        results.append(_result(text, finish, stopped_early, chunk.usage, reading))
    return _combined(results, many)


def _result(
    text: str,
    finish: str | None,
    stopped_early: bool,
    usage: Mapping[str, object] | None,
    reading: AnswerReading,
) -> CompletionResult:
    """One choice's result: a chat fill-in's code block (or ``rejected``), else its text."""
    prompt_tokens = _as_int(usage.get("prompt_tokens")) if usage else None
    completion_tokens = _as_int(usage.get("completion_tokens")) if usage else None
    if reading.chat:
        answer = extract_chat_answer(text, reading.marker)
        if answer is None:
            log.info("%s: chat answer held no code block; rejected", reading.name)
            return CompletionResult("", "rejected", stopped_early, prompt_tokens, completion_tokens)
        text = strip_echoed_prefix(answer, reading.request.prefix)
    log.debug(
        "%s: done finish=%s early=%s chars=%d", reading.name, finish, stopped_early, len(text)
    )
    return CompletionResult(text, finish, stopped_early, prompt_tokens, completion_tokens)
