"""An oracle model for the typing replay: an OpenAI-compatible endpoint that knows the real code.

The typing replay's cache-hit rate mixes two things: how often the model guesses what the user
types next, and how well Grove's cache, continuation and debounce machinery reuse an answer once
it is right.  This endpoint removes the first: it answers every ``/completions`` request with the
code that really follows the cursor (found by locating the prompt's end in the original file), so
a replay against it measures the machinery alone, with a configurable model time.

Built on the scripted test server (:mod:`tests.support.scripted_openai`), a real HTTP server.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.scripted_openai import RecordedRequest, Reply, ScriptedOpenAI, text

TAIL_SIZES = (200, 100, 50, 25, 12)
"""How much of the prompt's end is looked up in the original file (longest found wins)."""


def continuation(original: str, prompt: str, max_chars: int) -> str:
    """What follows the prompt's end in ``original``: the rest of the line and the next one."""
    for size in TAIL_SIZES:
        tail = prompt[-size:]
        found = original.find(tail) if tail else -1
        if found >= 0:
            break
    else:
        return ""
    start = found + len(tail)
    end = original.find("\n", start)
    end = original.find("\n", end + 1) if end >= 0 else len(original)
    return original[start : end if end >= 0 else len(original)][:max_chars]


def oracle_responder(
    original: str, model_s: float, max_chars: int = 120
) -> Callable[[RecordedRequest], Reply | None]:
    """A responder answering with the real continuation, streamed over ``model_s`` seconds."""

    def respond(request: RecordedRequest) -> Reply | None:
        body = request.body if isinstance(request.body, dict) else {}
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            return None
        answer = continuation(original, prompt, max_chars)
        chunks = max(len(answer) // 3, 1)
        return text(answer, chunk_size=3, chunk_delay=model_s / chunks)

    return respond


def start_oracle(original: str, model_s: float) -> ScriptedOpenAI:
    """A running oracle endpoint (close it when done)."""
    return ScriptedOpenAI(responder=oracle_responder(original, model_s)).start()
