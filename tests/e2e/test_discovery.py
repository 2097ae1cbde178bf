"""Finding the model server the user already runs, against servers that answer as each product.

Each scripted server answers ``GET /v1/models`` (and Ollama's ``GET /api/tags``) with the JSON
that product sends, on a port the test picks; ``GROVE_DISCOVERY_PORTS`` points Grove at them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from lsprotocol import types

from server.backend import ModelBackend
from server.llm.discovery import PORTS_ENV, look
from server.llm.provider import CompletionRequest
from server.settings import resolve_settings
from tests.e2e.harness import FIXTURES, grove_client, inline_at, open_document, server_env
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

OLLAMA_MODELS = {
    "object": "list",
    "data": [
        {"id": "llama3.2:3b", "object": "model", "created": 1733000000, "owned_by": "library"},
        {"id": "qwen2.5-coder:7b", "object": "model", "created": 1733000000, "owned_by": "library"},
        {
            "id": "qwen2.5-coder:1.5b",
            "object": "model",
            "created": 1733000000,
            "owned_by": "library",
        },
    ],
}


def _tag(name: str, size: str, family: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-11-30T10:00:00Z",
        "size": 986062089,
        "digest": "0" * 64,
        "details": {
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": size,
            "quantization_level": "Q4_K_M",
        },
    }


OLLAMA_TAGS = {
    "models": [
        _tag("llama3.2:3b", "3.2B", "llama"),
        _tag("qwen2.5-coder:7b", "7.6B", "qwen2"),
        _tag("qwen2.5-coder:1.5b", "1.5B", "qwen2"),
    ]
}
LLAMACPP_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "/models/qwen2.5-coder-3b-q8_0.gguf",
            "object": "model",
            "created": 1733000000,
            "owned_by": "llamacpp",
            "meta": {"vocab_type": 2, "n_vocab": 151936, "n_ctx_train": 32768, "n_params": 3.09e9},
        }
    ],
}
LMSTUDIO_MODELS = {
    "data": [
        {"id": "qwen2.5-7b-instruct", "object": "model", "owned_by": "organization_owner"},
        {
            "id": "text-embedding-nomic-embed-text-v1.5",
            "object": "model",
            "owned_by": "organization_owner",
        },
    ],
    "object": "list",
}
VLLM_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "deepseek-ai/deepseek-coder-6.7b-base",
            "object": "model",
            "created": 1733000000,
            "owned_by": "vllm",
            "root": "deepseek-ai/deepseek-coder-6.7b-base",
            "parent": None,
            "max_model_len": 16384,
        }
    ],
}


def _product(listing: dict[str, Any], **more: Any) -> ScriptedOpenAI:
    answers = {"/v1/models": listing, **{f"/{path}": body for path, body in more.items()}}
    return ScriptedOpenAI(get_answers=answers).start()


@pytest.fixture
def ollama() -> Iterator[ScriptedOpenAI]:
    server = _product(OLLAMA_MODELS, **{"api/tags": OLLAMA_TAGS})
    yield server
    server.close()


def _ports(**servers: ScriptedOpenAI | int) -> dict[str, int]:
    return {k: (v if isinstance(v, int) else v.port) for k, v in servers.items()}


def _ports_env(**servers: ScriptedOpenAI | int) -> str:
    return ",".join(f"{k}={v}" for k, v in _ports(**servers).items())


async def test_each_products_model_list_is_read_and_the_best_code_model_chosen(
    ollama: ScriptedOpenAI, closed_port_url: str
) -> None:
    not_a_model_server = ScriptedOpenAI().start().script_models(replies.html_error(404))
    others = [_product(LLAMACPP_MODELS), _product(LMSTUDIO_MODELS), _product(VLLM_MODELS)]
    llamacpp, lmstudio, vllm = others
    try:
        found = await look(_ports(ollama=ollama, llamacpp=llamacpp, lmstudio=lmstudio, vllm=vllm))
        assert [(s.name, s.port) for s in found.servers] == [
            ("Ollama", ollama.port),
            ("llama.cpp", llamacpp.port),
            ("LM Studio", lmstudio.port),
            ("vLLM", vllm.port),
        ]
        assert found.servers[0].models == ("llama3.2:3b", "qwen2.5-coder:7b", "qwen2.5-coder:1.5b")
        assert found.completion is not None
        # The smallest code model in the comfortable range, in the mode its server accepts.
        assert (found.completion.server.name, found.completion.model, found.completion.mode) == (
            "Ollama",
            "qwen2.5-coder:1.5b",
            "suffix",
        )
        assert found.chat is None

        alone = await look(_ports(llamacpp=llamacpp))
        assert alone.completion is not None
        assert (alone.completion.model, alone.completion.mode) == (
            "/models/qwen2.5-coder-3b-q8_0.gguf",
            "qwen",
        )

        # Neither a closed port nor a web server that is not a model server is "found".
        dead = int(closed_port_url.rsplit(":", 1)[1].split("/")[0])
        nothing = await look({"ollama": dead, "vllm": not_a_model_server.port})
        assert nothing.servers == ()
        assert nothing.summary() == "no model server found on loopback"
    finally:
        not_a_model_server.close()
        for server in others:
            server.close()


async def test_only_chat_models_keep_the_embedded_model_and_say_which_could_explain() -> None:
    lmstudio = _product(LMSTUDIO_MODELS)
    messages: list[tuple[str, str]] = []
    try:
        backend = ModelBackend(
            resolve_settings(),
            lambda level, text: messages.append((level, text)),
            env={PORTS_ENV: _ports_env(lmstudio=lmstudio)},
        )
        target = await backend.choose_target()
        assert target.embedded
        found_on = f"LM Studio · qwen2.5-7b-instruct, found on 127.0.0.1:{lmstudio.port}"
        summary = (
            f"found {found_on}, which has no fill-in-the-middle training: the embedded model "
            "keeps inline completion; to use it for explanations, docstrings and review set "
            f'grove.endpoint.baseUrl to "http://127.0.0.1:{lmstudio.port}/v1" and grove.model '
            'to "qwen2.5-7b-instruct"'
        )
        assert messages == [("info", f"Grove: {summary}.")]
        assert backend.status()["discovery"] == {
            "servers": [
                {
                    "product": "LM Studio",
                    "address": f"127.0.0.1:{lmstudio.port}",
                    "models": ["qwen2.5-7b-instruct", "text-embedding-nomic-embed-text-v1.5"],
                }
            ],
            "completionModel": None,
            "chatModel": found_on,
            "summary": summary,
        }
        await backend.aclose()
    finally:
        lmstudio.close()


async def test_completions_go_to_the_found_server_in_its_mode_without_the_users_key(
    ollama: ScriptedOpenAI,
) -> None:
    ollama.script(replies.text("a + b"))
    backend = ModelBackend(
        resolve_settings(),
        lambda level, text: None,
        env={PORTS_ENV: _ports_env(ollama=ollama), "OPENAI_API_KEY": "sk-USER-SECRET"},
    )
    try:
        await backend.choose_target()
        status = backend.status()
        assert status["target"] == (
            f"Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:{ollama.port} (suffix)"
        )
        assert status["source"] == "discovery"
        result = await backend.complete(
            CompletionRequest(prefix="def add(a, b):\n    return ", suffix="\n", max_tokens=8)
        )
        assert result is not None and result.text == "a + b"
    finally:
        await backend.aclose()
    request = ollama.completion_requests[0]
    assert request.path == "/v1/completions"
    assert request.body["model"] == "qwen2.5-coder:1.5b"
    assert request.body["suffix"] == "\n"  # Ollama builds the model's FIM prompt from it
    assert "sk-USER-SECRET" not in json.dumps(request.headers)


async def test_a_server_that_goes_away_hands_over_to_the_embedded_model_once_then_comes_back(
    ollama: ScriptedOpenAI,
) -> None:
    port = ollama.port
    messages: list[tuple[str, str]] = []
    backend = ModelBackend(
        resolve_settings(),
        lambda level, text: messages.append((level, text)),
        env={PORTS_ENV: f"ollama={port}", "GROVE_DISCOVERY_INTERVAL_S": "0.2"},
    )
    request = CompletionRequest(prefix="x = ", suffix="", max_tokens=4)
    back: ScriptedOpenAI | None = None
    try:
        assert (await backend.choose_target()).source == "discovery"
        ollama.close()
        assert await backend.complete(request) is None
        assert backend.target.embedded
        assert backend.last_error is None
        assert len(messages) == 1
        level, text = messages[0]
        assert level == "warning"
        assert text == (
            f"Grove: Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:{port}, stopped answering; "
            "the embedded model stands in until it is back (Grove looks again every 0.2 s)."
        )

        back = ScriptedOpenAI(
            port=port, get_answers={"/v1/models": OLLAMA_MODELS, "/api/tags": OLLAMA_TAGS}
        ).start()
        for _ in range(50):  # the periodic look finds it (every 0.2 s here)
            if backend.target.source == "discovery":
                break
            await asyncio.sleep(0.1)
        assert backend.target.source == "discovery"
        assert messages[1:] == [
            (
                "info",
                f"Grove: Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:{port} answers again; "
                "using it.",
            )
        ]
    finally:
        await backend.aclose()
        if back is not None:
            back.close()


async def test_discovery_off_probes_nothing(ollama: ScriptedOpenAI) -> None:
    backend = ModelBackend(
        resolve_settings({"endpoint": {"discover": False}}),
        lambda level, text: None,
        env={PORTS_ENV: _ports_env(ollama=ollama)},
    )
    target = await backend.choose_target()
    await backend.aclose()
    assert target.embedded
    assert ollama.requests == []


async def test_the_editor_sees_the_found_model_and_gets_its_completions(
    ollama: ScriptedOpenAI,
) -> None:
    ollama.script(replies.text("a + b"))
    env = server_env(**{PORTS_ENV: _ports_env(ollama=ollama)})
    async with grove_client({"completion": {"debounceMs": 0}}, env=env) as lsp:
        status: dict[str, Any] = {}
        for _ in range(100):  # the look runs when the editor says "initialized"
            status = await lsp.workspace_execute_command_async(
                types.ExecuteCommandParams(command="grove.status")
            )
            if status["source"] == "discovery":
                break
            await asyncio.sleep(0.05)
        assert status["target"] == (
            f"Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:{ollama.port} (suffix)"
        )
        assert status["embeddedLog"] is None
        uri = (FIXTURES / "example" / "add.py").as_uri()
        open_document(lsp, uri, "python", "def add(a, b):\n    return \n")
        result = await inline_at(lsp, uri, 1, 11)
        assert result is not None and [item.insert_text for item in result.items] == ["a + b"]
    assert ollama.completion_requests[0].body["model"] == "qwen2.5-coder:1.5b"


def test_the_cli_uses_the_found_model(ollama: ScriptedOpenAI) -> None:
    ollama.script(replies.text("n - 1) + fibonacci(n - 2)\n"))
    done = subprocess.run(
        [sys.executable, "-m", "server", "complete", f"{FIXTURES}/example/fibonacci.py:9:22"],
        capture_output=True,
        text=True,
        env=server_env(**{PORTS_ENV: _ports_env(ollama=ollama)}),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "n - 1) + fibonacci(n - 2)\n"
    body = ollama.completion_requests[0].body
    assert body["model"] == "qwen2.5-coder:1.5b"
    assert "suffix" in body
