"""grove bench --compare: SETTING=VALUE lists, read as JSON when they parse, checked strictly."""

from __future__ import annotations

import pytest

from server.bench.variants import CURRENT, BadVariant, parse_overrides, resolve_variants


def test_values_are_json_when_they_parse_else_strings() -> None:
    assert parse_overrides("context.budgetTokens=256") == {"grove.context.budgetTokens": 256}
    assert parse_overrides("completion.mode=qwen,context.crossFile=false") == {
        "grove.completion.mode": "qwen",
        "grove.context.crossFile": False,
    }
    assert parse_overrides("model=qwen2.5-coder:1.5b") == {"grove.model": "qwen2.5-coder:1.5b"}
    assert parse_overrides('model="123"') == {"grove.model": "123"}
    assert parse_overrides("endpoint.baseUrl=http://127.0.0.1:8080/v1") == {
        "grove.endpoint.baseUrl": "http://127.0.0.1:8080/v1"
    }


def test_commas_inside_json_do_not_split() -> None:
    assert parse_overrides('context.exclude=["dist/**","a,b/**"], completion.maxTokens=32') == {
        "grove.context.exclude": ["dist/**", "a,b/**"],
        "grove.completion.maxTokens": 32,
    }


def test_the_grove_prefix_is_optional_and_current_changes_nothing() -> None:
    assert parse_overrides("grove.context.budgetTokens=512") == {"grove.context.budgetTokens": 512}
    assert parse_overrides(CURRENT) == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("endpoint.mode=fim", "there is no setting grove.endpoint.mode"),
        (
            "context.budgetTokens=lots",
            "grove.context.budgetTokens must be auto or a number from 64 to 32000",
        ),
        ("completion.maxTokens=lots", "grove.completion.maxTokens must be integer, got"),
        ("context.budgetTokens=1", "must be between"),
        ("completion.mode=fim", "grove.completion.mode must be one of"),
        ("context.budgetTokens", "expected SETTING=VALUE"),
        ("=3", "expected SETTING=VALUE"),
        ("model=a,model=b", "model is given twice"),
        ("endpoint.baseUrl=localhost:8080", "has no scheme"),
    ],
)
def test_a_bad_setting_is_one_clear_error(spec: str, message: str) -> None:
    with pytest.raises(BadVariant) as raised:
        parse_overrides(spec)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"--compare {spec!r}: ")
    assert "default" not in str(raised.value)  # nothing runs with a default instead


def test_variants_layer_on_the_current_settings() -> None:
    base = {"completion": {"mode": "prefix", "maxTokens": 40}, "context": {"budgetTokens": 900}}
    (current,) = resolve_variants(base, [])
    assert current.name == CURRENT and current.settings.context_budget_tokens == 900
    small, both = resolve_variants(
        base, ["context.budgetTokens=256", "context.budgetTokens=2048,completion.maxTokens=16"]
    )
    assert (small.settings.context_budget_tokens, small.settings.completion_max_tokens) == (256, 40)
    assert (both.settings.context_budget_tokens, both.settings.completion_max_tokens) == (2048, 16)
    assert small.settings.completion_mode == both.settings.completion_mode == "prefix"
    with pytest.raises(BadVariant, match="given twice"):
        resolve_variants(base, ["model=a", "model=a"])
