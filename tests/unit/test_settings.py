"""Settings: schema-driven defaults, validation with fallback, nested and dotted option shapes."""

from __future__ import annotations

import dataclasses

import pytest

from server.llm.urls import with_api_version
from server.settings import (
    Settings,
    _attribute_name,
    resolve_settings,
    schema_properties,
)


def test_schema_and_settings_fields_agree() -> None:
    fields = {
        # array settings are tuples on the (frozen) Settings, lists in the schema
        f.name: list(f.default) if isinstance(f.default, tuple) else f.default
        for f in dataclasses.fields(Settings)
        if f.name not in ("problems", "endpoint_error")
    }
    from_schema = {_attribute_name(k): v["default"] for k, v in schema_properties().items()}
    assert fields == from_schema


def test_defaults_without_options() -> None:
    settings = resolve_settings(None)
    assert settings == Settings()
    assert settings.problems == ()


def test_nested_and_dotted_options_are_read() -> None:
    nested = resolve_settings({"completion": {"maxTokens": 32, "mode": "qwen"}, "model": "m"})
    dotted = resolve_settings(
        {"grove.completion.maxTokens": 32, "completion.mode": "qwen", "model": "m"}
    )
    assert nested == dotted
    assert nested.completion_max_tokens == 32
    assert nested.completion_mode == "qwen"
    assert nested.model == "m"


def test_later_sources_win() -> None:
    settings = resolve_settings(
        {"completion": {"maxTokens": 32}}, {"completion": {"maxTokens": 16}}
    )
    assert settings.completion_max_tokens == 16


@pytest.mark.parametrize(
    ("options", "attribute", "fragment"),
    [
        ({"completion": {"maxTokens": "many"}}, "completion_max_tokens", "must be integer"),
        ({"completion": {"maxTokens": 0}}, "completion_max_tokens", "between 1 and 1024"),
        ({"completion": {"enabled": "yes"}}, "completion_enabled", "must be boolean"),
        ({"completion": {"mode": "magic"}}, "completion_mode", "must be one of"),
        ({"endpoint": {"apiKeyEnv": "sk-not-a-name!"}}, "endpoint_api_key_env", "not a valid"),
        ({"context": {"exclude": "*.log"}}, "context_exclude", "must be array of string"),
        ({"context": {"exclude": ["*.log", 3]}}, "context_exclude", "must be array of string"),
    ],
)
def test_invalid_value_falls_back_to_default_with_one_problem(
    options: dict[str, object], attribute: str, fragment: str
) -> None:
    settings = resolve_settings(options)
    assert getattr(settings, attribute) == getattr(Settings(), attribute)
    assert len(settings.problems) == 1
    assert fragment in settings.problems[0]
    assert "using the default" in settings.problems[0]


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        (
            "localhost:11434",
            "grove.endpoint.baseUrl 'localhost:11434' has no scheme: use http://localhost:11434/v1",
        ),
        (
            "api.example.com/v1/",
            "grove.endpoint.baseUrl 'api.example.com/v1/' has no scheme: "
            "use http://api.example.com/v1",
        ),
        ("ftp://example.com/v1", 'grove.endpoint.baseUrl must be an http(s) URL, got "ftp:'),
    ],
)
def test_an_unusable_base_url_is_an_endpoint_error_not_the_default(
    base_url: str, problem: str
) -> None:
    settings = resolve_settings({"endpoint": {"baseUrl": base_url}})
    assert settings.endpoint_base_url is None
    assert settings.endpoint_error is not None and settings.endpoint_error.startswith(problem)
    (reported,) = settings.problems
    assert reported.startswith(problem) and "until then Grove uses no model" in reported


def test_with_api_version() -> None:
    assert with_api_version("http://localhost:11434") == "http://localhost:11434/v1"
    assert with_api_version("http://localhost:11434/") == "http://localhost:11434/v1"
    assert with_api_version("https://h/openai") == "https://h/openai/v1"
    assert with_api_version("http://localhost:11434/v1") is None
    assert with_api_version("https://openrouter.ai/api/v1/") is None
    assert with_api_version("https://h/v1beta") is None
    assert with_api_version("https://h/api/paas/v4") is None


def test_invalid_value_does_not_discard_valid_neighbours() -> None:
    settings = resolve_settings({"completion": {"maxTokens": -5, "debounceMs": 10}})
    assert settings.completion_debounce_ms == 10
    assert settings.completion_max_tokens == 64


def test_unknown_key_is_reported_not_fatal() -> None:
    settings = resolve_settings({"completion": {"maxTokenz": 5}})
    assert settings == Settings()
    assert settings.problems == ("unknown setting grove.completion.maxTokenz (ignored)",)


def test_empty_base_url_means_unset() -> None:
    assert resolve_settings({"endpoint": {"baseUrl": ""}}).endpoint_base_url is None


def test_non_object_options_give_defaults() -> None:
    assert resolve_settings("garbage", 42, ["x"]) == Settings()


def test_readme_settings_table_is_generated_from_the_schema() -> None:
    from pathlib import Path

    from server.settings import settings_table_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    assert settings_table_markdown() in readme


def test_exclude_globs_are_read_as_a_tuple() -> None:
    settings = resolve_settings({"context": {"exclude": ["*.min.js", "generated/"]}})
    assert settings.context_exclude == ("*.min.js", "generated/")
    assert resolve_settings({"context.exclude": []}).context_exclude == ()
