"""The provider contract: request/result types, errors, fault gate.

Owns everything the rest of Grove needs to *talk about* a model call without knowing how it is
made: :class:`CompletionRequest` in, :class:`CompletionResult` out, one :class:`LLMError`
subclass per fault (each with a one-sentence ``user_message`` that never contains the API key),
and :class:`FaultGate`, the pure cooldown logic that keeps a failing endpoint from producing a
message storm or a request storm.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import ClassVar

from server.llm.install_hint import install_command

__all__ = [
    "BadResponse",
    "CompletionRequest",
    "CompletionResult",
    "EmbeddedModelError",
    "EndpointBusy",
    "EndpointError",
    "EndpointTimeout",
    "EndpointUnreachable",
    "FaultGate",
    "LLMError",
    "NotConfigured",
    "RateLimited",
    "parse_retry_after",
    "scrub_secret",
]


@dataclass(frozen=True)
class CompletionRequest:
    """One fill-in request: the text before and after the cursor plus generation limits."""

    prefix: str
    suffix: str
    max_tokens: int
    language: str = ""
    path: str = ""
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    n: int = 1
    """How many choices to sample in this one call (the API's ``n``); endpoints may give fewer."""
    grammar: str = ""
    """A GBNF grammar the answer must follow (llama.cpp servers only; empty: none)."""


@dataclass(frozen=True)
class CompletionResult:
    """What the model produced.

    ``finish_reason`` is the server's value (``"stop"``, ``"length"``...) when the stream ended
    normally, ``"stop"`` when a stop sequence was found client-side, ``None`` when
    ``should_stop`` ended the stream, ``"output_cap"``/``"time_limit"`` when Grove's own bounds
    cut a runaway stream, and ``"rejected"`` when a chat answer held no code block.
    """

    text: str
    finish_reason: str | None
    stopped_early: bool
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_s: float | None = None
    """Seconds from sending the request to the first generated text (prompt processing)."""
    total_s: float | None = None
    """Seconds from sending the request to the end of the answer."""
    choices: tuple[str, ...] = ()
    """Every choice's text in index order (``text`` is the first) when the request asked for
    several (``n`` > 1); empty otherwise. Fewer than ``n``: the endpoint ignored ``n``."""


# --------------------------------------------------------------------------------------------
# Errors


_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
_KEY_LIKE = re.compile(r"\b(sk|pk|rk|key|api|tok)-[A-Za-z0-9_\-]{8,}")


def scrub_secret(text: str, secret: str | None = None) -> str:
    """Remove ``secret`` and anything that looks like a bearer token or API key from text."""
    if secret:
        text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    return _KEY_LIKE.sub("***", text)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LLMError(Exception):
    """Base of every model-call failure; ``user_message`` is one sentence for the editor."""

    kind: ClassVar[str] = "error"

    def __init__(self, detail: str = "", *, endpoint: str = "") -> None:
        self.detail = _short(scrub_secret(detail), 400)
        self.endpoint = endpoint
        super().__init__(self.user_message)

    def _at(self) -> str:
        return f" at {self.endpoint}" if self.endpoint else ""

    @property
    def user_message(self) -> str:
        """One clear sentence for the user (never contains the API key)."""
        return f"The model call failed{self._at()}."

    def __str__(self) -> str:
        if self.detail and self.detail not in self.user_message:
            return f"{self.user_message} ({self.detail})"
        return self.user_message


class EndpointUnreachable(LLMError):
    """Connection refused, DNS failure, connection reset before any answer."""

    kind = "unreachable"

    @property
    def user_message(self) -> str:
        return f"Cannot reach the model endpoint{self._at()}: is the server running?"


class EndpointTimeout(LLMError):
    """Connect or read timeout, or a stream that stalled (including keep-alive-only streams)."""

    kind = "timeout"

    @property
    def user_message(self) -> str:
        return f"The model endpoint{self._at()} did not answer in time."


class RateLimited(LLMError):
    """HTTP 429; ``retry_after`` is the server's requested wait in seconds, when it gave one."""

    kind = "rate_limited"

    def __init__(
        self, retry_after: float | None = None, detail: str = "", *, endpoint: str = ""
    ) -> None:
        self.retry_after = retry_after
        super().__init__(detail, endpoint=endpoint)

    @property
    def user_message(self) -> str:
        if self.retry_after is not None:
            wait = max(1, math.ceil(self.retry_after))
            return (
                f"The model endpoint{self._at()} is rate-limiting requests; "
                f"Grove pauses for {wait} s."
            )
        return f"The model endpoint{self._at()} is rate-limiting requests; Grove pauses a while."


class EndpointBusy(LLMError):
    """HTTP 503: the server is overloaded or still loading the model."""

    kind = "busy"

    @property
    def user_message(self) -> str:
        return f"The model endpoint{self._at()} is busy (HTTP 503); Grove will retry shortly."


class EndpointError(LLMError):
    """Any other HTTP 4xx/5xx; ``message`` is the server's own (short, scrubbed) explanation."""

    kind = "http_error"

    def __init__(
        self, status: int, message: str = "", *, endpoint: str = "", hint: str = ""
    ) -> None:
        self.status = status
        self.message = _short(scrub_secret(message))
        self.hint = hint
        super().__init__(message, endpoint=endpoint)

    @property
    def user_message(self) -> str:
        said = f" ({self.message.rstrip('.')})" if self.message else ""
        if self.hint:
            return f"The model endpoint{self._at()} answered HTTP {self.status}{said}; {self.hint}"
        hint = ""
        if self.status in (401, 403):
            hint = " (check the API key: grove.endpoint.apiKeyEnv)"
        elif self.status == 404:
            hint = " (check grove.endpoint.baseUrl and grove.model)"
        said = f": {self.message.rstrip('.')}" if self.message else ""
        return f"The model endpoint{self._at()} answered HTTP {self.status}{said}{hint}."


class BadResponse(LLMError):
    """The answer could not be read: HTML page, malformed JSON or SSE, missing fields, cut off."""

    kind = "bad_response"

    @property
    def user_message(self) -> str:
        what = f" ({self.detail.rstrip('.')})" if self.detail else ""
        return f"The model endpoint{self._at()} sent an answer Grove cannot read{what}."


class NotConfigured(LLMError):
    """No endpoint is set and the embedded model is unavailable (or the setup is incomplete)."""

    kind = "not_configured"

    @property
    def user_message(self) -> str:
        if self.detail:
            return self.detail
        return (
            "No model endpoint is configured and the embedded model is not installed: "
            f"install it with `{install_command()}` or set grove.endpoint.baseUrl."
        )

    def __str__(self) -> str:
        return self.user_message


class EmbeddedModelError(LLMError):
    """The embedded llama.cpp server could not be started or keeps dying."""

    kind = "embedded"

    def __init__(self, reason: str, *, log_tail: str = "") -> None:
        self.reason = _short(reason, 300)
        self.log_tail = log_tail
        super().__init__(f"{reason}; log tail: {log_tail}" if log_tail else reason)

    @property
    def user_message(self) -> str:
        return f"Grove's embedded model could not run: {self.reason.rstrip('.')}."


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return max(0.0, value)
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        current = time.time() if now is None else now
        return max(0.0, when.timestamp() - current)
    return max(0.0, value) if math.isfinite(value) else None


# --------------------------------------------------------------------------------------------
# Fault gate


class FaultGate:
    """Cooldown tracker: one user message per cooldown, no requests while rate-limited.

    Pure logic driven by explicit ``now`` values (any monotonic clock). Blocking rules:
    a 429 blocks for its ``Retry-After`` (or ``default_retry_s``); from the second consecutive
    failure on, requests back off exponentially (``backoff_base_s`` doubling up to
    ``backoff_max_s``). A success resets everything.
    """

    def __init__(
        self,
        *,
        cooldown_s: float = 30.0,
        default_retry_s: float = 30.0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        max_block_s: float = 600.0,
    ) -> None:
        self.cooldown_s = cooldown_s
        self.default_retry_s = default_retry_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_block_s = max_block_s
        self._failures = 0
        self._blocked_until: float | None = None
        self._shown_at: float | None = None
        self.last_error: LLMError | None = None

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def record(self, error: LLMError, now: float) -> bool:
        """Note a failure; True when its message should be shown to the user now."""
        self._failures += 1
        self.last_error = error
        wait = 0.0
        if self._failures >= 2:
            wait = min(self.backoff_max_s, self.backoff_base_s * 2 ** (self._failures - 2))
        if isinstance(error, RateLimited):
            asked = error.retry_after if error.retry_after is not None else self.default_retry_s
            wait = max(wait, asked)
        elif isinstance(error, EndpointBusy):
            wait = max(wait, self.backoff_base_s)
        wait = min(wait, self.max_block_s)
        if wait > 0:
            until = now + wait
            if self._blocked_until is None or until > self._blocked_until:
                self._blocked_until = until
        if self._shown_at is None or now - self._shown_at >= self.cooldown_s:
            self._shown_at = now
            return True
        return False

    def blocked_until(self, now: float) -> float | None:
        """The time before which no request should be sent, or None when free to send."""
        if self._blocked_until is not None and self._blocked_until > now:
            return self._blocked_until
        return None

    def record_success(self) -> None:
        """The endpoint answered: clear failures, blocks and the message cooldown."""
        self._failures = 0
        self._blocked_until = None
        self._shown_at = None
        self.last_error = None
