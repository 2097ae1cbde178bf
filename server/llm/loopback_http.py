"""Minimal HTTP probes of a model server on loopback: is it up, does it serve a model.

Plain ``asyncio`` streams rather than an HTTP client, so a probe costs one connection and never
waits longer than its timeout. :func:`answers_http` asks for a path llama.cpp's server answers
without taking its model lock, so probing never interrupts a streaming request;
:func:`serves_alias` reads ``GET /v1/models``, which only answers between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

from server.llm.waiting import wait_within

__all__ = ["answers_http", "http_status", "serves_alias", "settle_server"]

_HTTP_BODY_LIMIT = 1 << 16
_PING_PATH = "/grove-ping"
"""Any answer (a 404) shows the server is up; llama.cpp serves it without the model lock."""


async def _http_get(
    host: str, port: int, path: str, timeout: float, *, body: bool = False
) -> tuple[int, bytes] | None:
    """``GET path`` on host:port: (status, body if asked for), or None when it does not answer."""
    writer: asyncio.StreamWriter | None = None
    try:
        reader, connected = await wait_within(asyncio.open_connection(host, port), timeout)
        writer = connected
        connected.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        await connected.drain()
        line = await wait_within(reader.readline(), timeout)
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            return None
        if not body:
            return int(parts[1]), b""
        raw = await wait_within(reader.read(_HTTP_BODY_LIMIT), timeout)
        while len(raw) < _HTTP_BODY_LIMIT:
            more = await wait_within(reader.read(_HTTP_BODY_LIMIT - len(raw)), timeout)
            if not more:
                break
            raw += more
        return int(parts[1]), raw.partition(b"\r\n\r\n")[2]
    except (OSError, asyncio.TimeoutError, ValueError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await wait_within(writer.wait_closed(), 1.0)


async def http_status(host: str, port: int, path: str, timeout: float) -> int | None:
    """The status code of ``GET path`` on host:port, or None when it does not answer."""
    answer = await _http_get(host, port, path, timeout)
    return None if answer is None else answer[0]


async def answers_http(host: str, port: int, timeout: float) -> bool:
    """True when host:port answers HTTP at all (a path that needs no model lock)."""
    return await http_status(host, port, _PING_PATH, timeout) is not None


async def serves_alias(host: str, port: int, alias: str, timeout: float) -> bool | None:
    """Whether ``GET /v1/models`` on host:port lists ``alias``; None when it does not answer.

    llama.cpp's server answers this route only between requests (it takes the model lock), so
    a busy model may not answer within ``timeout``.
    """
    answer = await _http_get(host, port, "/v1/models", timeout, body=True)
    if answer is None:
        return None
    status, raw = answer
    if status != 200:
        return False
    try:
        listed = json.loads(raw)
        return any(
            isinstance(entry, dict) and entry.get("id") == alias for entry in listed.get("data", [])
        )
    except (ValueError, AttributeError):  # not JSON (e.g. chunked): look for the quoted alias
        return f'"{alias}"'.encode() in raw


async def settle_server(alive: Callable[[], bool], host: str, port: int, timeout_s: float) -> None:
    """Wait (at most ``timeout_s``) until the server at host:port answers HTTP or ``alive()`` ends.

    The path asked for needs no model lock, so this never interrupts a streaming request.
    """
    deadline = time.monotonic() + timeout_s
    while alive() and time.monotonic() < deadline:
        if await answers_http(host, port, 0.2):
            return
        await asyncio.sleep(0.05)
