"""Finding the model server the user already runs: parsing, choosing, and the target it makes."""

from __future__ import annotations

import pytest

from server.llm.discovery import (
    PORTS_ENV,
    Found,
    Server,
    choose_chat,
    choose_completion,
    completion_mode,
    models_from_openai_list,
    ollama_sizes,
    probe_ports,
)
from server.model_choice import EMBEDDED_MODEL_NAME, auto_mode, resolve_target
from server.settings import resolve_settings


def _server(product: str, *models: str, port: int = 1, **sizes: float) -> Server:
    return Server(product, port, models, sizes)


def _found(*servers: Server) -> Found:
    return Found(servers, choose_completion(servers), choose_chat(servers))


def test_the_well_known_ports_are_probed_unless_overridden() -> None:
    assert probe_ports({}) == {"ollama": 11434, "llamacpp": 8080, "lmstudio": 1234, "vllm": 8000}
    assert probe_ports({PORTS_ENV: "ollama=5000, vllm=5001"}) == {"ollama": 5000, "vllm": 5001}
    assert probe_ports({PORTS_ENV: ""}) == {}


@pytest.mark.parametrize("raw", ["ollama", "ollama=x", "tgi=8080", "ollama:11434"])
def test_a_malformed_port_override_names_the_variable_and_the_shape(raw: str) -> None:
    with pytest.raises(ValueError, match=f"{PORTS_ENV} must look like 'ollama=11434"):
        probe_ports({PORTS_ENV: raw})


def test_an_openai_model_list_gives_its_ids_and_anything_else_is_not_a_model_server() -> None:
    listing = {"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"id": ""}, "junk"]}
    assert models_from_openai_list(listing) == ("a", "b")
    assert models_from_openai_list({"detail": "Not Found"}) is None
    assert models_from_openai_list(["a"]) is None


def test_ollama_tags_give_parameter_sizes() -> None:
    tags = {
        "models": [
            {"name": "qwen2.5-coder:1.5b", "details": {"parameter_size": "1.5B"}},
            {"name": "qwen2.5-coder:0.5b", "details": {"parameter_size": "494.03M"}},
            {"name": "mystery:latest", "details": {}},
            {"no": "name"},
        ]
    }
    assert ollama_sizes(tags) == {
        "qwen2.5-coder:1.5b": 1.5,
        "qwen2.5-coder:0.5b": pytest.approx(0.494, abs=1e-3),
        "mystery:latest": 0.0,
    }


@pytest.mark.parametrize(
    ("product", "model", "mode"),
    [
        ("ollama", "qwen2.5-coder:1.5b", "suffix"),
        ("ollama", "deepseek-coder:1.3b-base", "suffix"),
        ("llamacpp", "/models/qwen2.5-coder-1.5b-q8_0.gguf", "qwen"),
        ("lmstudio", "starcoder2-3b", "starcoder"),
        ("vllm", "deepseek-ai/deepseek-coder-1.3b-base", "deepseek"),
        ("vllm", "mistralai/Codestral-22B-v0.1", "codestral"),
        ("lmstudio", "codegemma-2b", "codegemma"),
        ("ollama", "llama3.2:3b", None),
        ("vllm", "gpt-oss-20b", None),
    ],
)
def test_a_code_model_gets_the_mode_its_server_accepts(
    product: str, model: str, mode: str | None
) -> None:
    assert completion_mode(product, model) == mode


def test_the_smallest_code_model_of_a_comfortable_size_is_chosen() -> None:
    ollama = _server(
        "ollama",
        "qwen2.5-coder:7b",
        "qwen2.5-coder:0.5b",
        "llama3.2:3b",
        "qwen2.5-coder:1.5b",
        "nomic-embed-text:latest",
        **{"qwen2.5-coder:7b": 7.6, "qwen2.5-coder:0.5b": 0.49, "qwen2.5-coder:1.5b": 1.5},
    )
    choice = choose_completion([ollama])
    assert choice is not None
    assert (choice.model, choice.mode) == ("qwen2.5-coder:1.5b", "suffix")
    assert choice.found_on == "Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:1"


def test_a_named_model_on_a_found_server_wins_over_the_ranking() -> None:
    servers = [_server("vllm", "Qwen/Qwen2.5-Coder-1.5B", "Qwen/Qwen2.5-Coder-7B")]
    choice = choose_completion(servers, wanted="Qwen/Qwen2.5-Coder-7B")
    assert choice is not None and choice.model == "Qwen/Qwen2.5-Coder-7B"


def test_with_only_chat_models_the_summary_says_which_could_explain_and_how() -> None:
    found = _found(_server("ollama", "llama3.2:1b", "llama3.1:8b", port=11434))
    assert found.completion is None
    assert found.chat is not None and found.chat.model == "llama3.1:8b"
    summary = found.summary()
    assert "Ollama · llama3.1:8b, found on 127.0.0.1:11434" in summary
    assert "embedded model keeps inline completion" in summary
    assert 'grove.endpoint.baseUrl to "http://127.0.0.1:11434/v1"' in summary
    assert 'grove.model to "llama3.1:8b"' in summary


def test_servers_without_usable_models_and_no_servers_are_said_plainly() -> None:
    embeddings_only = _found(_server("lmstudio", "text-embedding-nomic-embed-text-v1.5"))
    assert embeddings_only.summary() == (
        "found LM Studio on 127.0.0.1:1, serving no model Grove can use"
    )
    assert _found().summary() == "no model server found on loopback"


def test_a_found_code_model_becomes_the_target_without_the_users_key() -> None:
    found = _found(_server("ollama", "qwen2.5-coder:1.5b", port=11434))
    target = resolve_target(resolve_settings(), {"OPENAI_API_KEY": "sk-x"}, found)
    assert not target.embedded
    assert (target.base_url, target.model, target.mode) == (
        "http://127.0.0.1:11434/v1",
        "qwen2.5-coder:1.5b",
        "suffix",
    )
    assert target.api_key_env == ""
    assert target.source == "discovery"
    assert target.label == "Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434 (suffix)"
    assert "grove.endpoint.discover: false turns this off" in target.origin


def test_an_explicit_completion_mode_is_kept_for_a_found_model() -> None:
    found = _found(_server("llamacpp", "qwen2.5-coder-1.5b", port=8080))
    settings = resolve_settings({"completion": {"mode": "chat"}})
    assert resolve_target(settings, {}, found).mode == "chat"


def test_configured_endpoints_and_the_off_switch_win_over_discovery() -> None:
    found = _found(_server("ollama", "qwen2.5-coder:1.5b", port=11434))
    configured = resolve_settings({"endpoint": {"baseUrl": "http://127.0.0.1:9/v1"}, "model": "m"})
    assert resolve_target(configured, {}, found).source == "setting"
    environment = resolve_target(resolve_settings(), {"OPENAI_BASE_URL": "http://h:1/v1"}, found)
    assert environment.source == "environment"
    off = resolve_target(resolve_settings({"endpoint": {"discover": False}}), {}, found)
    assert off.embedded and off.model == EMBEDDED_MODEL_NAME
    assert off.origin == "no endpoint set and grove.endpoint.discover is false"


def test_the_embedded_target_says_what_discovery_found() -> None:
    target = resolve_target(resolve_settings(), {}, _found())
    assert target.embedded
    assert target.origin == "no endpoint set; no model server found on loopback"


@pytest.mark.parametrize(
    ("setting", "model", "base_url", "mode"),
    [
        ("auto", "qwen2.5-coder:1.5b", "http://localhost:11434/v1", "suffix"),
        ("auto", "qwen2.5-coder-1.5b", "http://localhost:8080/v1", "qwen"),
        ("auto", "llama3.2", "http://localhost:11434/v1", "prefix"),
        ("qwen", "qwen2.5-coder:1.5b", "http://localhost:11434/v1", "qwen"),
    ],
)
def test_auto_on_ollamas_port_agrees_with_the_ollama_recipe(
    setting: str, model: str, base_url: str, mode: str
) -> None:
    assert auto_mode(setting, model, base_url) == mode
