"""Several candidates for an explicit request (``CompletionEngine.candidates``), one otherwise.

The engine runs against a real :class:`~server.backend.ModelBackend` and the scripted OpenAI
server on 127.0.0.1, so what the endpoint received (``n``, temperature, how many calls) is
checked on the wire. The time cap is driven by an injected clock, never by waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.completion import SAMPLE_TEMPERATURE, CompletionEngine
from server.refusal import Refused, SendPolicy
from server.settings import Settings, resolve_settings
from server.workspace import WorkspaceIndex
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import RecordedRequest, ScriptedOpenAI

TEXT = "def f(x):\n    return \n"
OFFSET = TEXT.index("return ") + len("return ")
KEY = "file:///tmp/candidates.py"


def _source() -> SourceDocument:
    return SourceDocument(TEXT, language_for(None, "candidates.py"))


def _settings(base_url: str, **completion: object) -> Settings:
    return resolve_settings(
        {
            "endpoint": {"baseUrl": base_url},
            "model": "m",
            "completion": {"mode": "prefix", **completion},
        }
    )


class CountingPolicy(SendPolicy):
    """The built-in rules, counting how often they are asked; refusing from ask ``refuse_from``."""

    def __init__(self, refuse_from: int | None = None) -> None:
        super().__init__(WorkspaceIndex(lambda path, text: None))
        self.asked = 0
        self.refuse_from = refuse_from

    def refusal(self, text: str, path: str | None) -> str | None:
        self.asked += 1
        if self.refuse_from is not None and self.asked >= self.refuse_from:
            return "Grove does not send candidates.py to a model: it became ignored."
        return super().refusal(text, path)


class Clock:
    """A monotonic clock the test moves (the scripted server moves it on every request)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engine_for(
    scripted_openai: ScriptedOpenAI,
) -> AsyncIterator[Callable[..., tuple[CompletionEngine, Settings]]]:
    backends: list[ModelBackend] = []
    messages: list[str] = []

    def make(
        policy: SendPolicy | None = None, clock: Clock | None = None, **completion: object
    ) -> tuple[CompletionEngine, Settings]:
        settings = _settings(scripted_openai.base_url, **completion)
        backend = ModelBackend(settings, lambda _level, text: messages.append(text), env={})
        backends.append(backend)
        engine = CompletionEngine(backend, policy or CountingPolicy(), clock=clock or Clock())
        return engine, settings

    yield make
    for backend in backends:
        await backend.aclose()
    assert messages == [], "no call failed in these tests"


def _bodies(scripted_openai: ScriptedOpenAI) -> list[dict[str, object]]:
    return [r.body for r in scripted_openai.completion_requests]


async def test_automatic_suggestion_is_one_greedy_call_without_n(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.script(replies.text("x + 1\n"))
    engine, settings = engine_for()
    suggestion = await engine.suggest(KEY, _source(), OFFSET, None, settings)
    assert suggestion is not None and suggestion.text == "x + 1"
    [body] = _bodies(scripted_openai)
    assert "n" not in body
    assert body["temperature"] == 0.0
    calls = engine.backend.status()["completionCalls"]
    assert isinstance(calls, dict) and calls["n"] == 1 and calls["promptTokensP50"] > 0


async def test_explicit_request_samples_the_others_in_one_call_with_n(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.choices("x * 2\n", "x - 1\n"))
    policy = CountingPolicy()
    engine, settings = engine_for(policy)
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in found] == ["x + 1", "x * 2", "x - 1"]
    assert all(s.offset == OFFSET for s in found)
    greedy, sample = _bodies(scripted_openai)
    assert "n" not in greedy and greedy["temperature"] == 0.0
    assert sample["n"] == 2 and sample["temperature"] == SAMPLE_TEMPERATURE > 0
    assert greedy["prompt"] == sample["prompt"]
    assert policy.asked >= 2, "the send policy is asked before each model call"


async def test_the_first_candidate_is_the_one_already_shown(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.choices("x * 2\n", "x - 1\n"))
    engine, settings = engine_for()
    shown = await engine.suggest(KEY, _source(), OFFSET, None, settings)
    cached = engine.cached(KEY, _source(), OFFSET)
    assert shown is not None and cached is not None
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings, first=cached)
    assert [s.text for s in found] == ["x + 1", "x * 2", "x - 1"]
    assert [s.from_cache for s in found] == [True, False, False]
    assert len(scripted_openai.completion_requests) == 2, "no second greedy call"


async def test_candidates_are_deduplicated_after_post_processing(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    # Raw texts differ; post-processed (first line of a single-line completion) two are equal.
    scripted_openai.script(
        replies.text("x + 1\n"),
        replies.choices("x + 1\nprint(x)\n", "x * 2\n"),
        replies.text("x * 2  \n\nmore\n"),
        replies.text("x - 1\n"),
    )
    engine, settings = engine_for()
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in found] == ["x + 1", "x * 2", "x - 1"]
    assert [b.get("n") for b in _bodies(scripted_openai)] == [None, 2, None, None]


async def test_an_endpoint_that_ignores_n_gets_one_call_per_sample(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    # ``text`` answers a single choice whatever ``n`` says, as llama-cpp-python does.
    scripted_openai.script(
        replies.text("x + 1\n"), replies.text("x * 2\n"), replies.text("x - 1\n")
    )
    engine, settings = engine_for()
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in found] == ["x + 1", "x * 2", "x - 1"]
    bodies = _bodies(scripted_openai)
    assert [b.get("n") for b in bodies] == [None, 2, None]
    assert [b["temperature"] for b in bodies] == [0.0, SAMPLE_TEMPERATURE, SAMPLE_TEMPERATURE]


async def test_samples_that_keep_repeating_stop_after_a_bounded_number_of_calls(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.default = replies.text("x + 1\n")
    engine, settings = engine_for()
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in found] == ["x + 1"]
    # The greedy call, then two sample calls per missing candidate.
    assert len(scripted_openai.completion_requests) == 1 + 2 * 2


async def test_sampling_stops_at_the_time_cap(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    clock = Clock()
    answers = iter(["x + 1\n", "x * 2\n", "x - 1\n"])

    def answer(_request: RecordedRequest) -> replies.Reply:
        clock.now += 6.0  # each model call "takes" 6 s of the 10 s cap
        return replies.text(next(answers))

    scripted_openai.responder = answer
    engine, settings = engine_for(clock=clock, timeoutMs=10_000)
    found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in found] == ["x + 1", "x * 2"]
    assert len(scripted_openai.completion_requests) == 2


async def test_a_failed_sample_call_ends_sampling_with_what_was_found(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.status(503))
    settings = _settings(scripted_openai.base_url)
    notes: list[str] = []
    backend = ModelBackend(settings, lambda _level, text: notes.append(text), env={})
    try:
        engine = CompletionEngine(backend, CountingPolicy())
        found = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    finally:
        await backend.aclose()
    assert [s.text for s in found] == ["x + 1"]
    assert len(scripted_openai.completion_requests) == 2, "no retry storm after a failure"
    assert len(notes) == 1 and "busy" in notes[0]


async def test_the_send_policy_is_asked_before_every_sample(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.default = replies.text("x + 1\n")
    policy = CountingPolicy(refuse_from=2)  # the file becomes ignored after the first call
    engine, settings = engine_for(policy)
    with pytest.raises(Refused, match="became ignored"):
        await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert len(scripted_openai.completion_requests) == 1


async def test_candidates_are_cached_for_typing_into_any_of_them(
    scripted_openai: ScriptedOpenAI, engine_for: Callable[..., tuple[CompletionEngine, Settings]]
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.choices("x * 2\n", "x - 1\n"))
    engine, settings = engine_for()
    await engine.candidates(KEY, _source(), OFFSET, None, settings)
    again = await engine.candidates(KEY, _source(), OFFSET, None, settings)
    assert [s.text for s in again] == ["x + 1", "x * 2", "x - 1"]
    assert len(scripted_openai.completion_requests) == 2, "a repeated explicit request is cached"
    repeated = engine.cached(KEY, _source(), OFFSET)
    assert repeated is not None and repeated.text == "x + 1", "the first candidate is served"
    typed = _source()
    typed.apply_change(OFFSET, OFFSET, "x *")
    hit = engine.cached(KEY, typed, OFFSET + 3)
    assert hit is not None and hit.text == " 2"
