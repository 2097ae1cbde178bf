"""Provider contract: error messages, Retry-After parsing, key scrubbing, the fault gate."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from server.llm.provider import (
    BadResponse,
    EmbeddedModelError,
    EndpointBusy,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    FaultGate,
    LLMError,
    NotConfigured,
    RateLimited,
    parse_retry_after,
    scrub_secret,
)

KEY = "sk-test-0123456789abcdefSECRET"


@pytest.mark.parametrize(
    "error",
    [
        EndpointUnreachable("ConnectError", endpoint="http://127.0.0.1:9/v1"),
        EndpointTimeout(endpoint="http://h/v1"),
        RateLimited(7.0, endpoint="http://h/v1"),
        RateLimited(None),
        EndpointBusy(),
        EndpointError(500, "boom"),
        EndpointError(401, f"Incorrect API key provided: {KEY}"),
        BadResponse("an HTML page"),
        NotConfigured(),
        EmbeddedModelError("exited", log_tail="Traceback ..."),
    ],
)
def test_every_error_has_one_clear_sentence(error: LLMError) -> None:
    message = error.user_message
    assert message and message.endswith((".", "?"))
    assert "\n" not in message
    assert KEY not in message and KEY not in str(error)
    assert isinstance(error, LLMError)


def test_messages_are_specific() -> None:
    assert "127.0.0.1:9" in EndpointUnreachable(endpoint="http://127.0.0.1:9/v1").user_message
    assert "7 s" in RateLimited(6.2).user_message
    assert "HTTP 404" in EndpointError(404).user_message
    assert "grove.endpoint.baseUrl" in EndpointError(404).user_message
    assert "apiKeyEnv" in EndpointError(401, "bad key").user_message
    assert "pip install -e '" in NotConfigured().user_message
    assert "[local]'" in NotConfigured().user_message
    assert "grove.endpoint.baseUrl" in NotConfigured().user_message
    assert NotConfigured("grove.model is empty").user_message == "grove.model is empty"
    assert EndpointError(500, "x" * 1000).user_message.__len__() < 300


def test_scrub_secret() -> None:
    text = f"key {KEY} header Authorization: Bearer {KEY} other sk-abcdefghijklmnop"
    scrubbed = scrub_secret(text, KEY)
    assert KEY not in scrubbed
    assert "sk-abcdefghijklmnop" not in scrubbed
    assert "Bearer ***" in scrubbed


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "nope", "Retry-After": "9"}, 9.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    later = format_datetime(datetime(2025, 1, 1, 12, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=now) == 30.0
    earlier = format_datetime(datetime(2025, 1, 1, 11, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after({"Retry-After": earlier}, now=now) == 0.0


# --------------------------------------------------------------------------------------------
# FaultGate


def test_gate_shows_one_message_per_cooldown() -> None:
    gate = FaultGate(cooldown_s=30)
    assert gate.record(EndpointUnreachable(), now=100.0) is True
    assert gate.record(EndpointUnreachable(), now=101.0) is False
    assert gate.record(EndpointTimeout(), now=120.0) is False
    assert gate.record(EndpointUnreachable(), now=130.0) is True
    assert gate.consecutive_failures == 4


def test_gate_success_resets_cooldown_and_blocks() -> None:
    gate = FaultGate(cooldown_s=30)
    assert gate.record(EndpointBusy(), now=0.0)
    assert gate.blocked_until(0.1) is not None
    gate.record_success()
    assert gate.consecutive_failures == 0
    assert gate.blocked_until(0.1) is None
    assert gate.record(EndpointUnreachable(), now=1.0) is True


def test_gate_blocks_for_retry_after() -> None:
    gate = FaultGate()
    gate.record(RateLimited(7.0), now=50.0)
    assert gate.blocked_until(50.0) == 57.0
    assert gate.blocked_until(56.9) == 57.0
    assert gate.blocked_until(57.0) is None


def test_gate_blocks_for_default_cooldown_without_retry_after() -> None:
    gate = FaultGate(default_retry_s=30.0)
    gate.record(RateLimited(None), now=10.0)
    assert gate.blocked_until(10.0) == 40.0


def test_gate_caps_absurd_retry_after() -> None:
    gate = FaultGate(max_block_s=600.0)
    gate.record(RateLimited(86400.0), now=0.0)
    assert gate.blocked_until(0.0) == 600.0


def test_gate_first_failure_does_not_block_but_repeats_back_off() -> None:
    gate = FaultGate(backoff_base_s=1.0, backoff_max_s=30.0)
    gate.record(EndpointUnreachable(), now=0.0)
    assert gate.blocked_until(0.0) is None
    waits = []
    now = 0.0
    for _ in range(8):
        gate.record(EndpointTimeout(), now=now)
        until = gate.blocked_until(now)
        assert until is not None
        waits.append(until - now)
        now = until
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_gate_never_shortens_a_block() -> None:
    gate = FaultGate()
    gate.record(RateLimited(20.0), now=0.0)
    gate.record(EndpointUnreachable(), now=1.0)  # backoff 1 s would end at 2.0
    assert gate.blocked_until(1.0) == 20.0
