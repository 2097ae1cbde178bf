"""Pytest fixtures for the LLM layer (load with ``pytest_plugins = ["tests.support.fixtures"]``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.scripted_openai import ScriptedOpenAI


@pytest.fixture
def scripted_openai() -> Iterator[ScriptedOpenAI]:
    """A started scripted OpenAI server; ``.base_url`` is ``http://127.0.0.1:PORT/v1``."""
    server = ScriptedOpenAI().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A ``/v1`` base URL on a loopback port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
