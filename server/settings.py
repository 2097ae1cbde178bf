"""Client options → resolved Settings.

The JSON Schema in ``settings_schema.json`` is the single source of every setting: its name,
type, default, bounds and description. This module reads raw options as clients send them
(nested ``{"completion": {"maxTokens": 64}}``, dotted ``{"completion.maxTokens": 64}``, with or
without the ``grove`` section prefix), validates each value against the schema, and falls back
to the default for anything invalid while collecting one human-readable problem per bad key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from server.llm.urls import with_api_version

SECTION = "grove"
BASE_URL = "grove.endpoint.baseUrl"


@cache
def settings_schema() -> dict[str, Any]:
    """The settings JSON Schema shipped with the package."""
    text = resources.files("server").joinpath("settings_schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_properties() -> dict[str, dict[str, Any]]:
    """Setting name (``grove.x.y``) → its schema entry."""
    properties: dict[str, dict[str, Any]] = settings_schema()["properties"]
    return properties


@dataclass(frozen=True)
class Settings:
    """Resolved, validated settings; every field has a value."""

    endpoint_base_url: str | None = None
    endpoint_discover: bool = True
    endpoint_api_key_env: str = "OPENAI_API_KEY"
    endpoint_job_timeout_ms: int = 60000
    model: str = ""
    completion_enabled: bool = True
    completion_disabled_languages: tuple[str, ...] = ()
    completion_mode: str = "auto"
    completion_max_tokens: int = 64
    completion_debounce_ms: int = 60
    completion_timeout_ms: int = 10000
    completion_speculative: bool = False
    completion_fallback_items: str = "auto"
    context_budget_tokens: int | str = "auto"
    """A number of tokens, or ``auto`` (see :func:`server.model_choice.context_budget`)."""
    context_cross_file: bool = True
    context_exclude: tuple[str, ...] = ()
    docstring_style: str = "auto"
    embedded_threads: int = 0
    embedded_context_size: int = 2048
    explain_show: str = "auto"
    review_trigger: str = "auto"
    review_idle_ms: int = 2000
    review_max_in_flight: int = 2
    review_constrained_decoding: str = "auto"
    review_severity_bug: str = "warning"
    review_severity_risk: str = "information"
    review_severity_smell: str = "information"
    review_severity_style: str = "hint"
    privacy_redact_secrets: bool = True
    log_level: str = "info"
    problems: tuple[str, ...] = field(default=(), compare=False)
    endpoint_error: str | None = None
    """Why a non-empty ``grove.endpoint.baseUrl`` is unusable: then no model is used at all
    (not the embedded one either) and every model call reports this sentence."""

    def completes(self, language_id: str) -> bool:
        """Whether documents of this LSP languageId get completions (inline, items, speculative)."""
        return self.completion_enabled and language_id not in self.completion_disabled_languages


def _attribute_name(setting: str) -> str:
    """``grove.endpoint.baseUrl`` → ``endpoint_base_url``."""
    dotted = setting.removeprefix(SECTION + ".")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", dotted).lower()
    return snake.replace(".", "_")


def flatten_options(raw: object) -> dict[str, object]:
    """Nested or dotted client options → ``{"grove.a.b": value}``."""
    flat: dict[str, object] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict) and not _is_leaf_key(prefix):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            flat[prefix] = value

    if isinstance(raw, dict):
        walk("", raw)
    result: dict[str, object] = {}
    for key, value in flat.items():
        name = key if key.startswith(SECTION + ".") else f"{SECTION}.{key}"
        result[name] = value
    return result


def _is_leaf_key(prefix: str) -> bool:
    name = prefix if prefix.startswith(SECTION + ".") else f"{SECTION}.{prefix}"
    return name in schema_properties()


def _check(name: str, value: object, spec: dict[str, Any]) -> str | None:
    """Return a problem sentence if ``value`` does not satisfy ``spec``."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    ok_type = (
        ("null" in types and value is None)
        or ("string" in types and isinstance(value, str))
        or ("boolean" in types and isinstance(value, bool))
        or ("integer" in types and isinstance(value, int) and not isinstance(value, bool))
        or ("array" in types and isinstance(value, list) and _items_ok(value, spec))
    )
    if not ok_type:
        return f"{name} must be {' or '.join(_type_names(spec))}, got {json.dumps(value)[:60]}"
    if "enum" in spec and value not in spec["enum"]:
        return f"{name} must be one of {', '.join(spec['enum'])}, got {json.dumps(value)[:60]}"
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{name} must be between {low} and {high}, got {value}"
    if isinstance(value, str) and "pattern" in spec and not re.match(spec["pattern"], value):
        if spec["pattern"] == "^auto$":
            return (
                f"{name} must be auto or a number from {spec['minimum']} to {spec['maximum']}, "
                f"got {json.dumps(value)[:60]}"
            )
        return f"{name} is not a valid value: {json.dumps(value)[:60]}"
    uri_like = isinstance(value, str) and spec.get("format") == "uri" and value
    if uri_like and "://" not in str(value) and re.match(r"^[^\s/]+", str(value)):
        fixed = "http://" + str(value).rstrip("/")
        return f"{name} {str(value)[:60]!r} has no scheme: use {with_api_version(fixed) or fixed}"
    if uri_like and not re.match(r"^https?://[^\s/]+", str(value)):
        return f"{name} must be an http(s) URL, got {json.dumps(value)[:60]}"
    return None


def _items_ok(value: list[object], spec: dict[str, Any]) -> bool:
    """Whether every item of an array setting has the schema's item type (only strings so far)."""
    item_type = spec.get("items", {}).get("type")
    return item_type != "string" or all(isinstance(item, str) for item in value)


def _type_names(spec: dict[str, Any]) -> list[str]:
    """``["string", "null"]``, or ``["array of string"]`` for an array setting."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    item_type = spec.get("items", {}).get("type")
    return [f"array of {item_type}" if t == "array" and item_type else t for t in types]


def resolve_settings(*sources: object) -> Settings:
    """Merge raw option objects (later ones win) into validated Settings."""
    merged: dict[str, object] = {}
    for source in sources:
        merged.update(flatten_options(source))
    properties = schema_properties()
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, value in merged.items():
        spec = properties.get(name)
        if spec is None:
            problems.append(f"unknown setting {name} (ignored)")
            continue
        if isinstance(value, str) and value == "" and "null" in spec["type"]:
            value = None
        problem = _check(name, value, spec)
        if problem and name == BASE_URL and value is not None:
            # A wrong endpoint must not quietly become the embedded model: no model at all.
            values["endpoint_error"] = problem
            problems.append(f"{problem} (until then Grove uses no model)")
            continue
        if problem:
            problems.append(f"{problem}; using the default {json.dumps(spec['default'])}")
            continue
        values[_attribute_name(name)] = tuple(value) if isinstance(value, list) else value
    return Settings(**values, problems=tuple(problems))  # type: ignore[arg-type]


def settings_table_markdown() -> str:
    """The README's settings table, generated from the schema."""
    rows = ["| Setting | Type | Default | Description |", "|---|---|---|---|"]
    for name, spec in schema_properties().items():
        kind = " / ".join(_type_names(spec))
        if "enum" in spec:
            kind = " \\| ".join(f"`{v}`" for v in spec["enum"])
        elif "minimum" in spec and spec.get("pattern") == "^auto$":
            kind = f"`auto` \\| integer ({spec['minimum']}–{spec['maximum']})"
        elif "minimum" in spec:
            kind = f"{kind} ({spec['minimum']}–{spec['maximum']})"
        default = f"`{json.dumps(spec['default'])}`"
        rows.append(f"| `{name}` | {kind} | {default} | {spec['description']} |")
    return "\n".join(rows)
