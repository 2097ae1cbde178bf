"""Inline secret redaction: find secrets in prompt text and replace them with placeholders.

Every text Grove sends to a model passes through :class:`Redactor` first (the provider applies
it to each request body). What counts as a secret:

- **provider tokens**: the regular expressions of the ``detect-secrets`` (Yelp) regex plugins —
  AWS access key ids and secret keys, GitHub, GitLab, Slack, Stripe, OpenAI, PyPI, npm,
  SendGrid, Twilio, Discord, Telegram, Azure storage keys, basic-auth URLs and the rest of that
  maintained list. The library's own scanner is far too slow per keystroke (≈ 200 ms for a
  500-line prompt with every filter), so Grove takes the plugins' patterns and runs them only on
  lines a cheap pre-filter marks as candidates;
- **private-key blocks** (``-----BEGIN … PRIVATE KEY-----`` to its ``END`` line, or, when the
  prompt is cut inside the block, the base64 lines that follow the header);
- **JSON Web Tokens** (``eyJ….eyJ….…``);
- **secret assignments**: a string literal assigned to a name such as ``password``, ``secret``,
  ``token``, ``api_key`` (``password = "…"``, ``"apiKey": "…"``, ``token := '…'``);
- **high-entropy assignments**: a long random-looking string literal assigned to any name
  (base64-like with Shannon entropy ≥ 4.5, or hex ≥ 32 characters with entropy ≥ 3, except
  hashes, ids and UUIDs).

Not secrets: templated values (``${VAR}``, ``{{x}}``, ``<token>``), environment lookups
(``os.environ["X"]``, ``process.env.X`` — no literal is assigned), documentation samples
containing ``EXAMPLE`` (``AKIAIOSFODNN7EXAMPLE``), sequential strings, UUIDs, and Grove's own
placeholders.

A secret is replaced by an identifier-like placeholder, ``REDACTED_SECRET_<n>``, inside the
same quotes, so the code keeps its shape; a secret spanning lines keeps its line breaks, so line
numbers stay valid. The same value gets the same placeholder everywhere in one request
(:class:`Redactor` numbers them across the texts of a request). Pure: no I/O, no LSP, no HTTP.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters.heuristic import (
    is_potential_uuid,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.base import RegexBasedDetector

__all__ = [
    "PLACEHOLDER_PREFIX",
    "Redaction",
    "Redactor",
    "Secret",
    "contains_placeholder",
    "find_secrets",
    "redact",
]

PLACEHOLDER_PREFIX = "REDACTED_SECRET_"
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"\d+")

# detect-secrets plugins Grove does not take patterns from: public IPs are not secrets; private
# keys and JWTs have rules of their own below (the plugins only match the key header and the
# JWT's first two parts).
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "PrivateKeyDetector", "JwtTokenDetector"})

# A line is a candidate for the provider-token patterns when it holds a long run of token
# characters with a digit in it, or credentials in a URL (``scheme://user:password@host``).
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9+/_.=:\-])[A-Za-z0-9+/_.=:\-]{16,}")
_URL_CREDENTIALS = re.compile(r"://[^\s/:@]+:[^\s/@]+@")
_DIGIT = re.compile(r"\d")

# Characters that may surround a plugin match without being part of the secret.
_LEADING = re.compile(r"""^[\s"'`=:]*(?:[A-Za-z_][\w-]*\s*[=:]\s*)?["'`]?""")
_TRAILING = re.compile(r"""["'`\s]+$""")

_PEM_HEADER = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_FOOTER = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY_CHARS = re.compile(r"""[A-Za-z0-9+/=\s\\:,."'\-]*""")
_PEM_LINE = re.compile(
    r"""[ \t]*["']?(?:[A-Za-z0-9+/=]{16,}|(?:Proc-Type|DEK-Info):[^\n"']*)(?:\\n)?["']?[ \t]*,?"""
)
# The base64 runs of a key body (not the ``n`` of a literal ``\n`` escape before one).
_PEM_RUN = re.compile(r"(?<!\\)[A-Za-z0-9+/=]{8,}")

_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")

# ``name = "value"``, ``name: "value"``, ``"name": "value"``, ``name := 'value'``,
# ``name => "value"``, ``name: str = "value"``, ``NAME="value"``: the operator and the opening
# quote are found first (cheap), then the name before them and the literal after them.
_ASSIGN_OPERATOR = re.compile(r"""(?:=|:=|:|=>)[ \t]*[rRbBuUfF]{0,2}(?P<quote>["'`])""")
_NAME_BEFORE = re.compile(
    r"""(?P<name>[A-Za-z_$][\w$.-]*)["']?\]?[ \t]*(?::[ \t]*[A-Za-z_][\w\[\]., |]*?[ \t]*)?"""
    r"""(?::|=|=>)?$"""
)
_LITERAL = re.compile(r"""[^"'`\n\\]*(?:\\.[^"'`\n\\]*)*""")
_NAME_WINDOW = 120
_SECRET_NAME = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|signing[_-]?key|"
    r"encryption[_-]?key|session[_-]?key|bearer|webhook[_-]?url",
    re.IGNORECASE,
)
# Names whose values are not secrets even when they look random (or are empty-ish).
_NON_SECRET_NAME = re.compile(
    r"hash|sha\d*|md5|digest|checksum|integrity|commit|revision|rev|etag|uuid|guid|"
    r"(?:^|_)id$|Id$|color|colour|pattern|regex|format|fmt|prefix|suffix|url$|path|file|"
    r"name$|type$|kind$|label|message|msg|text|description|hint|placeholder|field|header|"
    r"column|param|env(?:_?var)?$",
    re.IGNORECASE,
)
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_ENV_REFERENCE = re.compile(r"^\$\w+$|^%\w+%$|^\$\{.*\}$|^\{\{.*\}\}$|^<[^<>]+>$")
_FORMAT_SLOT = re.compile(r"%[sd]|\{\w*\}")
_BASE64_ENTROPY = 4.5
_HEX_ENTROPY = 3.0
_MIN_ASSIGNED_SECRET = 4
_MIN_REPEATED = 8  # shorter known values are not searched for elsewhere (too many collisions)


@dataclass(frozen=True)
class Secret:
    """One secret found in a text: ``text[start:end]``, and the rule that found it."""

    start: int
    end: int
    kind: str
    key: str = ""
    """What the placeholder is numbered by, when not the span's own text (a key's body)."""


@dataclass(frozen=True)
class Redaction:
    """A redacted text and what was replaced in it."""

    text: str
    secrets: tuple[Secret, ...]
    """Spans in the *original* text, in order."""
    placeholders: tuple[str, ...]
    """The placeholder written for each secret (same order as :attr:`secrets`)."""

    @property
    def redacted(self) -> bool:
        """Whether anything was replaced."""
        return bool(self.secrets)


class Redactor:
    """Redacts the texts of one request, numbering placeholders per distinct secret value.

    A value found once is a secret everywhere: its other occurrences (in this text or in a
    later one of the same request) get the same placeholder, wherever they stand.
    """

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._known: dict[str, str] = {}  # a secret's text → what its placeholder is named by

    @property
    def placeholders(self) -> frozenset[str]:
        """Every placeholder written so far."""
        return frozenset(self._names.values())

    def redact(self, text: str) -> Redaction:
        """``text`` with every secret replaced by its placeholder (line breaks kept)."""
        found = list(find_secrets(text))
        for secret in found:
            value = text[secret.start : secret.end]
            self._known.setdefault(value, secret.key or value)
        found.extend(self._repeats(text))
        secrets = _merged(found)
        if not secrets:
            return Redaction(text, (), ())
        parts: list[str] = []
        placeholders: list[str] = []
        position = 0
        for secret in secrets:
            value = text[secret.start : secret.end]
            key = secret.key or self._known.get(value, value)
            name = self._names.get(key)
            if name is None:
                name = f"{PLACEHOLDER_PREFIX}{len(self._names) + 1}"
                self._names[key] = name
            placeholders.append(name)
            parts.append(text[position : secret.start])
            parts.append(name + "".join(re.findall(r"\r\n|\r|\n", value)))
            position = secret.end
        parts.append(text[position:])
        return Redaction("".join(parts), secrets, tuple(placeholders))

    def _repeats(self, text: str) -> Iterator[Secret]:
        """Every occurrence of an already known secret value in ``text``."""
        for value, key in self._known.items():
            if len(value) < _MIN_REPEATED:
                continue
            start = text.find(value)
            while start != -1:
                yield Secret(start, start + len(value), "repeated", key)
                start = text.find(value, start + len(value))


def redact(text: str) -> Redaction:
    """Redact one text on its own (placeholders numbered from 1)."""
    return Redactor().redact(text)


def contains_placeholder(text: str, placeholders: Iterable[str] | None = None) -> bool:
    """Whether ``text`` repeats a placeholder (any ``REDACTED_SECRET_<n>``, or one of these)."""
    if placeholders is None:
        return _PLACEHOLDER.search(text) is not None
    return any(match.group(0) in set(placeholders) for match in _PLACEHOLDER.finditer(text))


def find_secrets(text: str) -> tuple[Secret, ...]:
    """Every secret in ``text``, sorted, overlapping findings merged."""
    found = [
        *_private_keys(text),
        *_jwts(text),
        *_provider_tokens(text),
        *_assignments(text),
    ]
    return _merged(s for s in found if s.end > s.start and _plausible(text[s.start : s.end]))


def _merged(found: Iterable[Secret]) -> tuple[Secret, ...]:
    """``found`` sorted, overlapping findings merged into the first one."""
    merged: list[Secret] = []
    for secret in sorted(found, key=lambda s: (s.start, -s.end)):
        if merged and secret.start < merged[-1].end:
            last = merged[-1]
            if secret.end > last.end:
                merged[-1] = Secret(last.start, secret.end, last.kind, last.key)
            continue
        merged.append(secret)
    return tuple(merged)


# ---------------------------------------------------------------------------------------------
# Rules


def _plausible(value: str) -> bool:
    """False for values that are certainly not secrets (samples, templates, placeholders)."""
    stripped = value.strip()
    if len(stripped) < _MIN_ASSIGNED_SECRET:
        return False
    if "EXAMPLE" in stripped or _PLACEHOLDER.fullmatch(stripped):
        return False
    if _ENV_REFERENCE.match(stripped) or is_templated_secret(stripped):
        return False
    return not is_sequential_string(stripped)


@cache
def _plugin_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(plugin name, pattern) for every detect-secrets regex plugin Grove uses."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    plugins: list[object] = list(get_mapping_from_secret_type_to_class().values())
    for plugin in plugins:
        if not isinstance(plugin, type) or not issubclass(plugin, RegexBasedDetector):
            continue
        name = plugin.__name__
        if name in _SKIPPED_PLUGINS:
            continue
        denylist = plugin.denylist
        if isinstance(denylist, (list, tuple)):
            patterns.extend((name, pattern) for pattern in denylist)
    return tuple(patterns)


def _candidate_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line worth running the provider-token patterns on."""
    starts: set[int] = set()
    for match in _TOKEN_RUN.finditer(text):
        if _DIGIT.search(match.group(0)):
            starts.add(text.rfind("\n", 0, match.start()) + 1)
    for match in _URL_CREDENTIALS.finditer(text):
        starts.add(text.rfind("\n", 0, match.start()) + 1)
    for start in sorted(starts):
        end = text.find("\n", start)
        yield start, text[start : len(text) if end == -1 else end + 1]


def _provider_tokens(text: str) -> Iterator[Secret]:
    patterns = _plugin_patterns()
    for offset, line in _candidate_lines(text):
        for name, pattern in patterns:
            for match in pattern.finditer(line):
                start, end = _secret_span(match)
                if end > start:
                    yield Secret(offset + start, offset + end, name)


def _secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The secret's own span in a plugin match (its longest group, or the trimmed match)."""
    groups = [i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    whole = match.group(0)
    if groups and any(c in whole for c in "\"'=: @"):
        best = max(groups, key=lambda i: len(match.group(i)))
        return match.span(best)
    start, end = match.span()
    lead = _LEADING.match(whole)
    if lead is not None:
        start += lead.end()
    trail = _TRAILING.search(match.string, start, end)
    if trail is not None:
        end = trail.start()
    return start, end


def _private_keys(text: str) -> Iterator[Secret]:
    """Each base64 run of a key body (one placeholder per key, so every line keeps its shape)."""
    for header in _PEM_HEADER.finditer(text):
        body_start = header.end()
        footer = _PEM_FOOTER.search(text, body_start)
        if footer is not None and _PEM_BODY_CHARS.fullmatch(text, body_start, footer.start()):
            body_end = footer.start()
        else:  # cut off (or not a key at all): only the base64 lines right below the header
            body_end = body_start
            position = text.find("\n", body_start) + 1
            while 0 < position < len(text):
                line_end = text.find("\n", position)
                line_end = len(text) if line_end == -1 else line_end
                if not _PEM_LINE.fullmatch(text, position, line_end):
                    break
                body_end, position = line_end, line_end + 1
        key = text[body_start:body_end]
        for run in _PEM_RUN.finditer(text, body_start, body_end):
            yield Secret(run.start(), run.end(), "private key", key)


def _jwts(text: str) -> Iterator[Secret]:
    if "eyJ" not in text:
        return
    for match in _JWT.finditer(text):
        yield Secret(match.start(), match.end(), "JSON web token")


def _entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_random(value: str) -> bool:
    """A long base64/hex-like string with high Shannon entropy (and no spaces)."""
    if is_potential_uuid(value) or "://" in value or value.startswith(("/", "./", "~")):
        return False
    if _HEX.fullmatch(value):
        return _entropy(value) >= _HEX_ENTROPY
    if not _BASE64ISH.fullmatch(value):
        return False
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    return classes >= 2 and _entropy(value) >= _BASE64_ENTROPY


def _assignments(text: str) -> Iterator[Secret]:
    for operator in _ASSIGN_OPERATOR.finditer(text):
        line_start = text.rfind("\n", max(0, operator.start() - _NAME_WINDOW), operator.start())
        before = text[
            max(line_start + 1, operator.start() - _NAME_WINDOW) : operator.end("quote") - 1
        ]
        named = _NAME_BEFORE.search(before.rstrip(" \trRbBuUfF"))
        if named is None:
            continue
        quote = operator.group("quote")
        literal = _LITERAL.match(text, operator.end())
        if literal is None or not text.startswith(quote, literal.end()):
            continue
        value = literal.group(0)
        if not value or value != value.strip():
            continue
        name = named.group("name").rsplit(".", 1)[-1]
        secret_name = _SECRET_NAME.search(name) is not None
        if _NON_SECRET_NAME.search(name) and not _SECRET_NAME.fullmatch(name):
            continue  # hashes, ids, names, messages: random-looking by nature, not credentials
        if secret_name:
            if " " in value or _FORMAT_SLOT.search(value) or _SECRET_NAME.fullmatch(value):
                continue  # a sentence, a format string or a field name, not a credential
        elif not _looks_random(value):
            continue
        yield Secret(literal.start(), literal.end(), "assignment")
