"""``grove.context.budgetTokens``: a number, or ``auto`` sized for the model in use."""

from __future__ import annotations

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.completion import prepare_request
from server.model_choice import (
    EMBEDDED_CONTEXT_TOKENS,
    ENDPOINT_CONTEXT_TOKENS,
    context_budget,
    resolve_target,
)
from server.settings import resolve_settings


def test_auto_is_small_on_the_embedded_model_and_larger_with_an_endpoint() -> None:
    settings = resolve_settings({})
    assert settings.context_budget_tokens == "auto"
    embedded = resolve_target(settings, {})
    endpoint = resolve_target(
        resolve_settings({"endpoint": {"baseUrl": "http://127.0.0.1:9/v1"}}), {}
    )
    assert embedded.embedded and not endpoint.embedded
    assert context_budget(settings, embedded) == EMBEDDED_CONTEXT_TOKENS
    assert context_budget(settings, endpoint) == ENDPOINT_CONTEXT_TOKENS
    assert EMBEDDED_CONTEXT_TOKENS < ENDPOINT_CONTEXT_TOKENS


def test_a_number_is_used_whatever_the_model() -> None:
    settings = resolve_settings({"context": {"budgetTokens": 700}})
    assert context_budget(settings, resolve_target(settings, {})) == 700
    assert not settings.problems


def test_a_word_other_than_auto_falls_back_to_auto_with_one_message() -> None:
    settings = resolve_settings({"context": {"budgetTokens": "huge"}})
    assert settings.context_budget_tokens == "auto"
    [problem] = settings.problems
    assert "grove.context.budgetTokens" in problem and '"auto"' in problem


def test_the_budget_bounds_what_the_prompt_holds() -> None:
    text = "".join(f"value_{n} = compute({n}, 'some text to fill the line')\n" for n in range(400))
    source = SourceDocument(text, language_for(None, "budget.py"))
    small = prepare_request(
        source, len(text), "budget.py", resolve_settings({}), mode="prefix", budget_tokens=256
    )
    large = prepare_request(
        source, len(text), "budget.py", resolve_settings({}), mode="prefix", budget_tokens=1024
    )
    assert small is not None and large is not None
    assert len(small.request.prefix) < len(large.request.prefix)
    assert len(small.request.prefix) <= 256 * 4
