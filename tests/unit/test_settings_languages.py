"""Per-language completion switches: ``completion.disabledLanguages``, ``Settings.completes``."""

from __future__ import annotations

from server.settings import Settings, resolve_settings, schema_properties


def test_disabled_languages_default_to_none() -> None:
    settings = resolve_settings(None)
    assert settings.completion_disabled_languages == ()
    assert settings.completes("python")
    assert settings.completes("kotlin")


def test_listed_language_ids_get_no_completions_others_do() -> None:
    settings = resolve_settings({"completion": {"disabledLanguages": ["markdown", "kotlin"]}})
    assert settings.completion_disabled_languages == ("markdown", "kotlin")
    assert not settings.completes("markdown")
    assert not settings.completes("kotlin")
    assert settings.completes("python")
    assert settings.completes("scala")


def test_language_ids_match_exactly() -> None:
    """LSP languageIds are distinct names: JSX is not JavaScript, C# is ``csharp``."""
    settings = resolve_settings({"completion.disabledLanguages": ["javascript", "csharp"]})
    assert settings.completes("javascriptreact")
    assert settings.completes("cs")
    assert not settings.completes("javascript")


def test_completion_enabled_false_turns_off_every_language() -> None:
    settings = resolve_settings({"completion": {"enabled": False, "disabledLanguages": []}})
    assert not settings.completes("python")


def test_a_bad_list_falls_back_to_none_with_one_problem() -> None:
    settings = resolve_settings({"completion": {"disabledLanguages": "markdown"}})
    assert settings.completion_disabled_languages == ()
    assert settings.completes("markdown")
    [problem] = settings.problems
    assert "grove.completion.disabledLanguages must be array of string" in problem
    mixed = resolve_settings({"completion": {"disabledLanguages": ["markdown", 1]}})
    assert mixed.completion_disabled_languages == () and len(mixed.problems) == 1


def test_schema_documents_the_setting_and_the_language_override() -> None:
    properties = schema_properties()
    spec = properties["grove.completion.disabledLanguages"]
    assert spec["type"] == "array" and spec["items"] == {"type": "string"}
    assert spec["default"] == []
    assert "languageId" in spec["description"]
    assert properties["grove.completion.enabled"]["scope"] == "language-overridable"
    assert Settings().completion_disabled_languages == ()
