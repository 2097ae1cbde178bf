"""The settings ``grove bench`` runs with: the current ones, or one variant per ``--compare``.

Owns :class:`Variant`, :func:`parse_overrides` and :func:`resolve_variants`.  A ``--compare``
value is ``SETTING=VALUE[,SETTING=VALUE...]``, each setting named as in the settings table
without the ``grove.`` prefix (``context.budgetTokens=256``); a value is read as JSON when it
parses (``256``, ``true``, ``["dist/**"]``, ``"128"``), else as a string (``qwen``).  Commas
inside brackets, braces or quotes do not separate settings.  ``current`` alone is the current
settings unchanged.  Each variant is the current settings with its values on top, resolved by the
normal settings resolution; a setting that does not exist or a value it rejects is an error
here (a benchmark must not quietly run with a default instead).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from server.settings import SECTION, Settings, resolve_settings, schema_properties

__all__ = ["CURRENT", "BadVariant", "Variant", "parse_overrides", "resolve_variants"]

CURRENT = "current"
"""The name of the variant that changes nothing."""


class BadVariant(ValueError):
    """A ``--compare`` value that cannot be used; ``str()`` says why, in one sentence."""


@dataclass(frozen=True)
class Variant:
    """One set of settings to run every task with."""

    name: str
    """``current`` or the ``--compare`` text."""
    overrides: Mapping[str, object] = field(default_factory=dict)
    """``grove.x.y`` → value, on top of the current settings."""
    settings: Settings = field(default_factory=Settings)


def _split(spec: str) -> list[str]:
    """``spec`` split at the commas outside brackets, braces and double quotes."""
    parts: list[str] = []
    depth, quoted, escaped, start = 0, False, False, 0
    for i, ch in enumerate(spec):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    return parts


def _value(text: str) -> object:
    try:
        value: object = json.loads(text)
    except ValueError:
        return text
    return value


def parse_overrides(spec: str) -> dict[str, object]:
    """``a.b=1,c=x`` → ``{"grove.a.b": 1, "grove.c": "x"}``, each checked against the schema."""
    spec = spec.strip()
    if spec == CURRENT:
        return {}
    properties = schema_properties()
    overrides: dict[str, object] = {}
    for part in _split(spec):
        name, equals, raw = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise BadVariant(f"--compare {spec!r}: expected SETTING=VALUE, got {part.strip()!r}")
        full = name if name.startswith(SECTION + ".") else f"{SECTION}.{name}"
        if full not in properties:
            raise BadVariant(f"--compare {spec!r}: there is no setting {full}")
        if full in overrides:
            raise BadVariant(f"--compare {spec!r}: {name} is given twice")
        value = _value(raw.strip())
        checked = resolve_settings({full: value})
        problem = checked.endpoint_error or next(iter(checked.problems), None)
        if problem is not None:  # (not "using the default": the benchmark does not run)
            raise BadVariant(f"--compare {spec!r}: {problem.split('; using the default')[0]}")
        overrides[full] = value
    return overrides


def resolve_variants(base: Mapping[str, object], specs: Sequence[str]) -> list[Variant]:
    """The variants to run: the current settings alone, or one per ``--compare`` spec."""
    if not specs:
        return [Variant(CURRENT, {}, resolve_settings(base))]
    variants: list[Variant] = []
    for spec in specs:
        name = spec.strip()
        if any(v.name == name for v in variants):
            raise BadVariant(f"--compare {name!r} is given twice")
        overrides = parse_overrides(name)
        variants.append(Variant(name, overrides, resolve_settings(base, overrides)))
    return variants
