"""OpenAIProvider against a real HTTP server on 127.0.0.1 (the scripted OpenAI server).

Each test checks what the server actually received (path, headers, JSON body) or observed
(client disconnects), and how each fault maps to Grove's error types. Stalls are detected by the
provider's own short timeouts; no test asserts on elapsed time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from server.llm.openai_provider import OpenAIProvider
from server.llm.provider import (
    BadResponse,
    CompletionRequest,
    EndpointBusy,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    LLMError,
    NotConfigured,
    RateLimited,
)
from tests.fixtures.secrets.fake_secrets import FAKE
from tests.support.scripted_openai import (
    ScriptedOpenAI,
    choices,
    disconnect,
    error_event,
    garbage,
    html_error,
    huge,
    keepalive_only,
    models,
    repeat_line,
    slow,
    stall_after_headers,
    stall_before_headers,
    stall_mid_stream,
    status,
    text,
    truncated_sse,
)

KEY = "sk-grove-test-KEY-0123456789abcdef"
PREFIX = "def add(a, b):\n    return "
SUFFIX = "\n\nprint(add(1, 2))\n"
REQUEST = CompletionRequest(
    prefix=PREFIX, suffix=SUFFIX, max_tokens=32, language="python", path="calc.py"
)

MakeProvider = Callable[..., OpenAIProvider]


@pytest.fixture
async def make(scripted_openai: ScriptedOpenAI) -> AsyncIterator[MakeProvider]:
    """Build providers pointed at the scripted server (closed after the test)."""
    made: list[OpenAIProvider] = []

    def factory(
        mode: str = "prefix",
        *,
        model: str = "test-model",
        base_url: str | None = None,
        api_key: str | None = KEY,
        timeout_s: float = 2.0,
        max_duration_s: float | None = None,
    ) -> OpenAIProvider:
        provider = OpenAIProvider(
            base_url=base_url or scripted_openai.base_url,
            api_key=api_key,
            model=model,
            mode=mode,
            timeout_s=timeout_s,
            connect_timeout_s=1.0,
            max_duration_s=max_duration_s,
        )
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()


def only_post(server: ScriptedOpenAI) -> dict[str, object]:
    (request,) = server.completion_requests
    assert isinstance(request.body, dict)
    return request.body


# --------------------------------------------------------------------------------------------
# Request shape per mode


async def test_prefix_mode_request(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    scripted_openai.script(text("a + b"))
    result = await make("prefix").complete(REQUEST)
    assert result.text == "a + b"
    assert result.finish_reason == "stop"
    assert not result.stopped_early
    (request,) = scripted_openai.requests
    assert request.method == "POST"
    assert request.path == "/v1/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "model": "test-model",
        "prompt": PREFIX,
        "max_tokens": 32,
        "temperature": 0.0,
        "stream": True,
    }


async def test_prefix_mode_sends_request_stops(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=8, stop=("\n\n", "def "))
    await make("prefix").complete(request)
    assert only_post(scripted_openai)["stop"] == ["\n\n", "def "]


FIM_CASES = [
    (
        "starcoder",
        f"<fim_prefix>{PREFIX}<fim_suffix>{SUFFIX}<fim_middle>",
        ["<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"],
    ),
    ("codellama", f"<PRE> {PREFIX} <SUF>{SUFFIX} <MID>", ["<EOT>"]),
    (
        "deepseek",
        f"<｜fim▁begin｜>{PREFIX}<｜fim▁hole｜>{SUFFIX}<｜fim▁end｜>",
        ["<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"],
    ),
    (
        "qwen",
        f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>",
        [
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ],
    ),
    (
        "codegemma",
        f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>",
        [
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|file_separator|>",
        ],
    ),
    ("codestral", f"[SUFFIX]{SUFFIX}[PREFIX]{PREFIX}", ["</s>"]),
]


@pytest.mark.parametrize(("family", "prompt", "stops"), FIM_CASES)
async def test_fim_family_request(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    family: str,
    prompt: str,
    stops: list[str],
) -> None:
    scripted_openai.script(text("a + b"))
    request = CompletionRequest(prefix=PREFIX, suffix=SUFFIX, max_tokens=24, stop=("\n\n",))
    result = await make(family).complete(request)
    assert result.text == "a + b"
    (recorded,) = scripted_openai.requests
    assert recorded.path == "/v1/completions"
    assert recorded.body == {
        "model": "test-model",
        "prompt": prompt,
        "max_tokens": 24,
        "temperature": 0.0,
        "stream": True,
        "stop": [*stops, "\n\n"],
    }


async def test_auto_mode_uses_the_family_of_the_model(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    provider = make("auto", model="qwen2.5-coder:1.5b-base")
    assert provider.mode == "qwen"
    await provider.complete(REQUEST)
    prompt = only_post(scripted_openai)["prompt"]
    assert prompt == f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>"


async def test_suffix_mode_request(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    request = CompletionRequest(
        prefix=PREFIX, suffix=SUFFIX, max_tokens=16, stop=("\n\n", "a", "b", "c", "d", "e")
    )
    await make("suffix", model="gpt-3.5-turbo-instruct").complete(request)
    (recorded,) = scripted_openai.requests
    assert recorded.path == "/v1/completions"
    assert recorded.body == {
        "model": "gpt-3.5-turbo-instruct",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 16,
        "temperature": 0.0,
        "stream": True,
        "stop": ["\n\n", "a", "b", "c"],  # OpenAI accepts at most four
    }


async def test_codestral_fim_request(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    scripted_openai.script(text("a + b"))
    provider = make("auto", model="codestral-latest")
    assert provider.mode == "codestral-fim"
    result = await provider.complete(REQUEST)
    assert result.text == "a + b"
    (recorded,) = scripted_openai.requests
    assert recorded.path == "/v1/fim/completions"
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.body == {
        "model": "codestral-latest",
        "prompt": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 32,
        "temperature": 0.0,
        "stream": True,
    }


async def test_chat_mode_request_and_answer(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("Sure!\n```python\nreturn a + b\n```\nThat adds them."))
    result = await make("chat", model="gpt-4o-mini").complete(REQUEST)
    assert result.text == "a + b"  # the echoed "return " of the cursor line is dropped
    assert result.finish_reason == "stop"
    (recorded,) = scripted_openai.requests
    assert recorded.path == "/v1/chat/completions"
    body = recorded.body
    assert isinstance(body, dict)
    assert set(body) == {"model", "messages", "max_tokens", "temperature", "stream"}
    assert body["model"] == "gpt-4o-mini"
    assert body["stream"] is True
    assert body["max_tokens"] == 32 + 32
    messages = body["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert f"{PREFIX}<CURSOR>{SUFFIX}" in messages[1]["content"]


async def test_chat_mode_stops_reading_at_the_closing_fence(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(slow("```python\nreturn a + b\n```\n" + "blah " * 200, 0.01))
    result = await make("chat", model="gpt-4o").complete(REQUEST)
    assert result.text == "a + b"
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert recorded.client_disconnected  # we hung up instead of reading the chatter


async def test_chat_prose_only_answer_is_rejected_as_empty(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("You should return the sum of a and b."))
    result = await make("chat", model="gpt-4o").complete(REQUEST)
    assert result.text == ""
    assert result.finish_reason == "rejected"


async def test_chat_mode_for_reasoning_models_uses_max_completion_tokens(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("```\na + b\n```"))
    await make("chat", model="gpt-5-mini").complete(REQUEST)
    body = only_post(scripted_openai)
    assert "max_tokens" not in body and "temperature" not in body
    assert isinstance(body["max_completion_tokens"], int)
    assert body["max_completion_tokens"] > 64


async def test_raw_chat_for_reasoning_models_uses_max_completion_tokens(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("Because."))
    await make("chat", model="openai/o3-mini").chat_result([{"role": "user", "content": "?"}], 64)
    body = only_post(scripted_openai)
    assert "max_tokens" not in body and "temperature" not in body
    assert isinstance(body["max_completion_tokens"], int)
    assert body["max_completion_tokens"] > 64


async def test_chat_should_stop_sees_code_not_prose(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("Here:\n```python\nreturn a + b\nmore\n```", chunk_size=2))
    seen: list[str] = []

    def should_stop(code: str) -> bool:
        seen.append(code)
        return "\n" in code

    result = await make("chat", model="gpt-4o").complete(REQUEST, should_stop)
    assert result.stopped_early
    assert all("Here" not in s and "```" not in s for s in seen)
    assert result.text.startswith("a + b")


async def test_missing_key_sends_placeholder(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    await make(api_key=None).complete(REQUEST)
    (recorded,) = scripted_openai.requests
    assert recorded.headers["authorization"] == "Bearer not-needed"


async def test_non_streaming_answer_to_a_stream_request_is_read(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("a + b", as_sse=False, usage=(12, 3)))
    result = await make().complete(REQUEST)
    assert result.text == "a + b"
    assert (result.prompt_tokens, result.completion_tokens) == (12, 3)


async def test_usage_from_the_stream(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    scripted_openai.script(text("a + b", usage=(40, 2)))
    result = await make().complete(REQUEST)
    assert (result.prompt_tokens, result.completion_tokens) == (40, 2)


async def test_stop_sequences_are_enforced_client_side(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(text("a + b<EOT> junk after the end token", chunk_size=4))
    result = await make("codellama").complete(REQUEST)
    assert result.text == "a + b"
    assert result.finish_reason == "stop"
    assert not result.stopped_early


# --------------------------------------------------------------------------------------------
# Streaming: early stop, cancellation, bounds


async def test_should_stop_closes_the_stream(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(slow("abcdefghij" * 30, chunk_delay=0.01))
    result = await make().complete(REQUEST, should_stop=lambda t: len(t) >= 5)
    assert result.stopped_early
    assert result.finish_reason is None
    assert result.text == "abcde"
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert recorded.client_disconnected
    assert not recorded.completed


async def test_cancellation_closes_the_connection(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(slow("x" * 500, chunk_delay=0.02))
    first_text = asyncio.Event()

    def should_stop(text_so_far: str) -> bool:
        first_text.set()
        return False

    task = asyncio.create_task(make().complete(REQUEST, should_stop))
    await asyncio.wait_for(first_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert recorded.client_disconnected
    assert not recorded.completed


async def test_cancellation_before_headers_closes_the_connection(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(stall_before_headers(30))
    task = asyncio.create_task(make(timeout_s=30).complete(REQUEST))
    await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    scripted_openai.close()  # ends the stall; answering the gone client fails
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert not recorded.completed


async def test_runaway_repetition_is_capped(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(repeat_line("x = x + 1", 100_000))
    result = await make().complete(REQUEST)
    assert result.stopped_early
    assert result.finish_reason == "output_cap"
    assert len(result.text) == 8 * REQUEST.max_tokens
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert recorded.client_disconnected


async def test_huge_answer_is_capped(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    scripted_openai.script(huge(4))
    result = await make().complete(REQUEST)
    assert result.finish_reason == "output_cap"
    assert len(result.text) == 8 * REQUEST.max_tokens


async def test_slow_stream_within_limits_completes(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(slow("a + b", chunk_delay=0.05))
    result = await make(timeout_s=2.0).complete(REQUEST)
    assert result.text == "a + b"
    assert result.finish_reason == "stop"


async def test_wall_clock_cuts_a_trickling_stream(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(slow("y" * 200, chunk_delay=0.05))
    result = await make(timeout_s=2.0, max_duration_s=0.3).complete(REQUEST)
    assert result.stopped_early
    assert result.finish_reason == "time_limit"
    assert 0 < len(result.text) < 200


# --------------------------------------------------------------------------------------------
# Faults


async def test_connection_refused(make: MakeProvider, closed_port_url: str) -> None:
    with pytest.raises(EndpointUnreachable) as caught:
        await make(base_url=closed_port_url).complete(REQUEST)
    assert "127.0.0.1" in caught.value.user_message


async def test_dns_failure_is_unreachable(make: MakeProvider) -> None:
    with pytest.raises(EndpointUnreachable):
        await make(base_url="http://grove-no-such-host.invalid/v1").complete(REQUEST)


async def test_server_hangs_up_without_answer(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(disconnect())
    with pytest.raises(EndpointUnreachable):
        await make().complete(REQUEST)


@pytest.mark.parametrize(
    "reply",
    [stall_before_headers(30), stall_after_headers(30), stall_mid_stream(30, after_chunks=2)],
    ids=["before-headers", "after-headers", "mid-stream"],
)
async def test_stalls_time_out(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    reply: object,
) -> None:
    scripted_openai.script(reply)  # type: ignore[arg-type]
    with pytest.raises(EndpointTimeout):
        await make(timeout_s=0.3).complete(REQUEST)


async def test_keepalive_only_stream_times_out_and_is_closed(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(keepalive_only(30, interval=0.05))
    with pytest.raises(EndpointTimeout):
        await make(timeout_s=0.3).complete(REQUEST)
    (recorded,) = scripted_openai.requests
    assert recorded.wait_finished()
    assert recorded.client_disconnected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({}, None),
    ],
)
async def test_429_is_rate_limited_with_retry_after(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    headers: dict[str, str],
    expected: float | None,
) -> None:
    scripted_openai.script(status(429, headers=headers))
    with pytest.raises(RateLimited) as caught:
        await make().complete(REQUEST)
    assert caught.value.retry_after == expected
    assert len(scripted_openai.requests) == 1  # max_retries=0: no hidden retry storm


async def test_503_is_busy_without_retries(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    scripted_openai.script(status(503, headers={"Retry-After": "1"}))
    with pytest.raises(EndpointBusy):
        await make().complete(REQUEST)
    assert len(scripted_openai.requests) == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (status(500, body={"error": {"message": "CUDA out of memory"}}), "CUDA out of memory"),
        (status(400, body={"detail": "prompt is too long"}), "prompt is too long"),
        (status(422, body={"detail": [{"msg": "field required"}]}), "field required"),
        (status(404, body="no such route"), "no such route"),
    ],
)
async def test_other_http_errors_carry_the_server_message(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    reply: object,
    message: str,
) -> None:
    scripted_openai.script(reply)  # type: ignore[arg-type]
    with pytest.raises(EndpointError) as caught:
        await make().complete(REQUEST)
    assert message in caught.value.user_message


@pytest.mark.parametrize("reply", [html_error(404), status(404, body="no such route")])
async def test_a_404_from_a_base_url_without_a_version_suggests_v1(
    scripted_openai: ScriptedOpenAI, make: MakeProvider, reply: object
) -> None:
    root = scripted_openai.root_url
    scripted_openai.script(reply)  # type: ignore[arg-type]
    with pytest.raises(EndpointError) as caught:
        await make(base_url=root).complete(REQUEST)
    message = caught.value.user_message
    assert "HTTP 404" in message
    assert message.endswith(f"grove.endpoint.baseUrl is {root}, did you mean {root}/v1?")


async def test_a_404_from_a_v1_base_url_does_not_suggest_v1(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(html_error(404))
    with pytest.raises(BadResponse) as caught:
        await make().complete(REQUEST)
    assert "did you mean" not in caught.value.user_message


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (html_error(502), "HTML"),
        (html_error(200), "HTML"),
        (garbage(), "malformed JSON"),
        (garbage(as_sse=False), "malformed JSON"),
        (truncated_sse(), "cut off"),
        (error_event("model crashed"), "model crashed"),
    ],
    ids=["html-502", "html-200", "garbage-sse", "garbage-json", "truncated", "error-event"],
)
async def test_unreadable_answers_are_bad_responses(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    reply: object,
    detail: str,
) -> None:
    scripted_openai.script(reply)  # type: ignore[arg-type]
    with pytest.raises(BadResponse) as caught:
        await make().complete(REQUEST)
    assert detail in caught.value.user_message


async def test_invalid_base_url_or_mode_is_not_configured() -> None:
    with pytest.raises(NotConfigured, match="baseUrl"):
        OpenAIProvider(base_url="localhost:8080", api_key=None, model="m", mode="prefix")
    with pytest.raises(NotConfigured, match="mode"):
        OpenAIProvider(base_url="http://127.0.0.1:1/v1", api_key=None, model="m", mode="fim")


async def test_provider_recovers_after_faults(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
) -> None:
    provider = make(timeout_s=0.3)
    scripted_openai.script(truncated_sse(), keepalive_only(5), status(503), text("a + b"))
    for expected in (BadResponse, EndpointTimeout, EndpointBusy):
        with pytest.raises(expected):
            await provider.complete(REQUEST)
    assert (await provider.complete(REQUEST)).text == "a + b"


# --------------------------------------------------------------------------------------------
# The key never leaks


async def test_api_key_never_in_logs_or_errors(
    scripted_openai: ScriptedOpenAI,
    make: MakeProvider,
    caplog: pytest.LogCaptureFixture,
    closed_port_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": "invalid_key"}}
    scripted_openai.script(
        status(401, body=echo),
        status(429, body={"error": {"message": f"slow down {KEY}"}}),
        error_event(f"bad key {KEY}"),
        html_error(502),
        garbage(),
        text("a + b"),
    )
    provider = make()
    errors: list[LLMError] = []
    for _ in range(5):
        with pytest.raises(LLMError) as caught:
            await provider.complete(REQUEST)
        errors.append(caught.value)
    await provider.complete(REQUEST)
    with pytest.raises(LLMError) as refused:
        await make(base_url=closed_port_url).complete(REQUEST)
    errors.append(refused.value)
    with pytest.raises(LLMError) as unlisted:
        await make(base_url=closed_port_url).list_models()
    errors.append(unlisted.value)
    for error in errors:
        logging.getLogger("grove.test").warning("failed: %s / %r", error, error)
        assert KEY not in error.user_message
        assert KEY not in str(error)
        assert KEY not in repr(error.args)
    assert isinstance(errors[0], EndpointError) and errors[0].status == 401
    assert scripted_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"
    client_stack = ("openai", "httpx", "httpcore")
    assert any(r.name.startswith(client_stack) for r in caplog.records), "no client debug logs"
    assert KEY not in caplog.text


# --------------------------------------------------------------------------------------------
# list_models()


async def test_list_models(scripted_openai: ScriptedOpenAI, make: MakeProvider) -> None:
    provider = make()
    assert isinstance(await provider.list_models(), dict)
    (recorded,) = scripted_openai.requests
    assert (recorded.method, recorded.path) == ("GET", "/v1/models")
    scripted_openai.script_models(status(500), html_error(200), models("a", "b"))
    with pytest.raises(EndpointError, match="HTTP 500"):
        await provider.list_models()
    with pytest.raises(BadResponse, match="HTML"):
        await provider.list_models()
    listing = await provider.list_models()
    assert [entry["id"] for entry in listing["data"]] == ["a", "b"]


async def test_list_models_when_unreachable(make: MakeProvider, closed_port_url: str) -> None:
    with pytest.raises(EndpointUnreachable, match="Cannot reach"):
        await make(base_url=closed_port_url).list_models()


# --------------------------------------------------------------------------------------------
# Several choices in one call (``n``)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("mode", ["prefix", "chat"])
async def test_several_choices_in_one_call(
    scripted_openai: ScriptedOpenAI, make: MakeProvider, mode: str, stream: bool
) -> None:
    answers = ("a + b\n", "a - b\n", "b + a\n")
    if mode == "chat":
        answers = tuple(f"Sure!\n```python\nreturn {a}```\nDone." for a in answers)
    # Not streamed: a server that ignores ``stream`` and answers one JSON body.
    scripted_openai.script(choices(*answers, chunk_size=2, as_sse=None if stream else False))
    provider = make(mode)
    request = replace(REQUEST, n=3, temperature=0.7)
    result = await provider.complete(request)
    [sent] = scripted_openai.completion_requests
    assert sent.body["n"] == 3 and sent.body["temperature"] == 0.7
    texts = [t.strip() for t in result.choices]
    assert texts == ["a + b", "a - b", "b + a"]
    assert result.text.strip() == "a + b"
    assert provider.n_supported is True


async def test_one_choice_is_not_asked_with_n(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(text("a + b\n"))
    result = await make().complete(REQUEST)
    [sent] = scripted_openai.completion_requests
    assert "n" not in sent.body
    assert result.choices == ()


async def test_an_endpoint_that_ignores_n_is_remembered(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(text("a + b\n"), text("a - b\n"))
    provider = make()
    first = await provider.complete(replace(REQUEST, n=2))
    second = await provider.complete(replace(REQUEST, n=2))
    assert first.choices == ("a + b\n",)
    assert provider.n_supported is False
    assert second.choices == () and second.text == "a - b\n"
    assert [r.body.get("n") for r in scripted_openai.completion_requests] == [2, None]


@pytest.mark.parametrize(
    "refusal",
    [
        status(400, body={"error": {"message": "n must be 1", "type": "invalid_request"}}),
        # llama.cpp's server.
        status(500, body={"error": {"message": "Only one completion choice is allowed"}}),
    ],
)
async def test_an_endpoint_that_refuses_n_is_asked_for_one_choice(
    scripted_openai: ScriptedOpenAI, make: MakeProvider, refusal: object
) -> None:
    scripted_openai.script(refusal, text("a + b\n"), text("a - b\n"))  # type: ignore[arg-type]
    provider = make()
    result = await provider.complete(replace(REQUEST, n=2))
    later = await provider.complete(replace(REQUEST, n=2))
    assert (result.text, later.text) == ("a + b\n", "a - b\n")
    assert provider.n_supported is False
    assert [r.body.get("n") for r in scripted_openai.completion_requests] == [2, None, None]


async def test_other_server_errors_with_n_are_not_retried(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(status(500))
    with pytest.raises(EndpointError):
        await make().complete(replace(REQUEST, n=2))
    assert len(scripted_openai.completion_requests) == 1


async def test_each_choice_stops_on_its_own(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(choices("one\nrest of one", "two, longer\nrest", chunk_size=1))
    result = await make().complete(replace(REQUEST, n=2), lambda so_far: "\n" in so_far)
    assert [t.split("\n")[0] for t in result.choices] == ["one", "two, longer"]
    assert all("rest" not in t for t in result.choices)


async def test_a_choice_repeating_a_redacted_secret_is_dropped(
    scripted_openai: ScriptedOpenAI, make: MakeProvider
) -> None:
    scripted_openai.script(choices("a + b\n", "REDACTED_SECRET_1\n"))
    secret = f'password = "{FAKE["PASSWORD"]}"\n'
    result = await make().complete(replace(REQUEST, prefix=secret + PREFIX, n=2))
    [sent] = scripted_openai.completion_requests
    assert FAKE["PASSWORD"] not in sent.body["prompt"]
    assert "REDACTED_SECRET_1" in sent.body["prompt"]
    assert result.choices == ("a + b\n", "")
