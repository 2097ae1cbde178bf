"""Finding a model server the user already runs on this machine.

With no endpoint configured, Grove probes the loopback address (127.0.0.1 only, never another
host) at the well-known ports of local model servers — Ollama 11434, llama.cpp's server 8080,
LM Studio 1234, vLLM 8000 — one short request each, all in parallel. Each answer's model list
(``GET /v1/models``; Ollama also ``GET /api/tags``) is read, and :func:`choose` picks a code model
whose fill-in-the-middle family Grove knows, with the completion mode that server accepts.

``GROVE_DISCOVERY_PORTS`` overrides the ports (``"ollama=11434,lmstudio=1234"``; empty: probe
nothing). The test suite sets it, so tests never depend on what runs on the real ports.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import openai

from server.llm.templates import FIM_FAMILIES, resolve_mode
from server.llm.waiting import wait_within

PORTS_ENV = "GROVE_DISCOVERY_PORTS"
HOST = "127.0.0.1"
CONNECT_TIMEOUT_S = 0.25
ANSWER_TIMEOUT_S = 1.5
"""A probe gives up after this long: a server that takes longer is not ready to complete code."""

PRODUCTS: dict[str, tuple[str, int]] = {
    "ollama": ("Ollama", 11434),
    "llamacpp": ("llama.cpp", 8080),
    "lmstudio": ("LM Studio", 1234),
    "vllm": ("vLLM", 8000),
}
"""Product key → (its name, its default port), in the order a tie is decided."""

_OWNED_BY = {"llamacpp": "llamacpp", "vllm": "vllm", "organization_owner": "lmstudio"}
"""``owned_by`` of a ``/v1/models`` entry → the product that answers that way."""

_NOT_FOR_TEXT = re.compile(r"embed|rerank|whisper|clip|bge-|e5-|minilm", re.IGNORECASE)
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*b\b", re.IGNORECASE)
PREFERRED_BILLIONS = (1.0, 8.0)
"""Code models in this size range answer fast enough for ghost text on a laptop: the smallest
of them is chosen first, then the smallest of the rest."""


@dataclass(frozen=True)
class Server:
    """A model server that answered on loopback."""

    product: str
    """Its product key (``ollama``, ``llamacpp``, ``lmstudio``, ``vllm``)."""
    port: int
    models: tuple[str, ...]
    sizes: Mapping[str, float]
    """Model → parameter count in billions, where the server says (Ollama's ``/api/tags``)."""

    @property
    def name(self) -> str:
        """The product's name (``Ollama``)."""
        return PRODUCTS[self.product][0]

    @property
    def base_url(self) -> str:
        """Its OpenAI-compatible base URL."""
        return f"http://{HOST}:{self.port}/v1"

    @property
    def address(self) -> str:
        """``127.0.0.1:11434``."""
        return f"{HOST}:{self.port}"


@dataclass(frozen=True)
class Choice:
    """A model on a found server, and the mode Grove would use with it."""

    server: Server
    model: str
    mode: str

    @property
    def label(self) -> str:
        """``Ollama · qwen2.5-coder:1.5b``."""
        return f"{self.server.name} · {self.model}"

    @property
    def found_on(self) -> str:
        """``Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434``."""
        return f"{self.label}, found on {self.server.address}"


@dataclass(frozen=True)
class Found:
    """What one look found: the servers, the code model to complete with, a chat model."""

    servers: tuple[Server, ...]
    completion: Choice | None
    """A code model with a known fill-in-the-middle family (None: keep the embedded model)."""
    chat: Choice | None
    """When no code model was found: a general model that could serve explanations."""

    def summary(self) -> str:
        """One sentence for status, doctor and the log."""
        if self.completion is not None:
            return f"using {self.completion.found_on}"
        if self.chat is not None:
            server = self.chat.server
            return (
                f"found {self.chat.found_on}, which has no fill-in-the-middle training: the "
                "embedded model keeps inline completion; to use it for explanations, docstrings "
                f'and review set grove.endpoint.baseUrl to "{server.base_url}" and grove.model '
                f'to "{self.chat.model}"'
            )
        if self.servers:
            names = ", ".join(f"{s.name} on {s.address}" for s in self.servers)
            return f"found {names}, serving no model Grove can use"
        return "no model server found on loopback"

    def as_json(self) -> dict[str, object]:
        """For ``grove.status`` (names, addresses and models only)."""
        return {
            "servers": [
                {"product": s.name, "address": s.address, "models": list(s.models)}
                for s in self.servers
            ],
            "completionModel": self.completion.found_on if self.completion else None,
            "chatModel": self.chat.found_on if self.chat else None,
            "summary": self.summary(),
        }


def probe_ports(env: Mapping[str, str]) -> dict[str, int]:
    """Product key → port to probe: the well-known ports, or ``GROVE_DISCOVERY_PORTS``.

    Raises ValueError naming the variable when the override is malformed.
    """
    raw = env.get(PORTS_ENV)
    if raw is None:
        return {key: port for key, (_name, port) in PRODUCTS.items()}
    ports: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, port = item.partition("=")
        if key.strip() not in PRODUCTS or not port.strip().isdigit():
            raise ValueError(
                f"{PORTS_ENV} must look like 'ollama=11434,lmstudio=1234' (products: "
                f"{', '.join(PRODUCTS)}), got {raw!r}"
            )
        ports[key.strip()] = int(port)
    return ports


async def look(ports: Mapping[str, int]) -> Found:
    """Probe every port in parallel; what answered, and the models to use."""
    answers = await asyncio.gather(*(_probe(product, port) for product, port in ports.items()))
    servers = tuple(server for server in answers if server is not None)
    return Found(servers, choose_completion(servers), choose_chat(servers))


async def _probe(product: str, port: int) -> Server | None:
    """The server at ``port`` and its models; None when nothing usable answers."""
    client = openai.AsyncOpenAI(
        base_url=f"http://{HOST}:{port}",
        api_key="not-needed",  # never the user's key: this is whatever listens on the port
        max_retries=0,
        timeout=openai.Timeout(ANSWER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
    )
    try:
        listed = await _get_json(client, "/v1/models")
        models = models_from_openai_list(listed)
        if models is None:
            return None
        sizes = listed_sizes(listed)
        owned_by = _owners(listed)
        if product == "ollama" or "library" in owned_by:
            tagged = ollama_sizes(await _get_json(client, "/api/tags"))
            if tagged:
                models = tuple(dict.fromkeys((*models, *tagged)))
                sizes.update(tagged)
                product = "ollama"
        for owner in owned_by:
            product = _OWNED_BY.get(owner, product)
        return Server(product, port, models, sizes)
    finally:
        await client.close()


async def _get_json(client: openai.AsyncOpenAI, path: str) -> object | None:
    """The JSON answer to ``GET path``; None for any failure (refused, HTTP error, not JSON)."""
    try:
        data: object = await wait_within(
            client.get(path, cast_to=object), ANSWER_TIMEOUT_S + CONNECT_TIMEOUT_S
        )
    except (openai.APIError, asyncio.TimeoutError, ValueError):
        return None
    return data if isinstance(data, Mapping) else None


def models_from_openai_list(data: object) -> tuple[str, ...] | None:
    """The ids of a ``/v1/models`` answer; None when it is not one (another kind of server)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        return None
    ids = (entry.get("id") for entry in data["data"] if isinstance(entry, Mapping))
    return tuple(i for i in ids if isinstance(i, str) and i)


def _owners(data: object) -> set[str]:
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        return set()
    owners = (entry.get("owned_by") for entry in data["data"] if isinstance(entry, Mapping))
    return {owner for owner in owners if isinstance(owner, str)}


def listed_sizes(data: object) -> dict[str, float]:
    """Model → billions of parameters from ``/v1/models`` entries that carry llama.cpp's
    ``meta.n_params``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        return {}
    sizes: dict[str, float] = {}
    for entry in data["data"]:
        meta = entry.get("meta") if isinstance(entry, Mapping) else None
        params = meta.get("n_params") if isinstance(meta, Mapping) else None
        if isinstance(params, int | float) and isinstance(entry.get("id"), str):
            sizes[entry["id"]] = params / 1e9
    return sizes


def ollama_sizes(data: object) -> dict[str, float]:
    """Model → billions of parameters from Ollama's ``/api/tags`` (models it cannot size: 0)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("models"), list):
        return {}
    sizes: dict[str, float] = {}
    for entry in data["models"]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        details = entry.get("details")
        size = details.get("parameter_size") if isinstance(details, Mapping) else None
        sizes[entry["name"]] = _billions(size) if isinstance(size, str) else 0.0
    return sizes


def _billions(text: str) -> float:
    """``"1.5B"`` → 1.5, ``"qwen2.5-coder:7b"`` → 7.0, unknown → 0 (``"494.03M"`` → 0.494)."""
    found = _SIZE.search(text)
    if found is not None:
        return float(found.group(1))
    millions = re.search(r"(\d+(?:\.\d+)?)\s*m\b", text, re.IGNORECASE)
    return float(millions.group(1)) / 1000 if millions else 0.0


def completion_mode(product: str, model: str) -> str | None:
    """The mode Grove completes with for ``model`` on ``product``; None: no FIM family known.

    Ollama applies the model's own template, which builds the fill-in-the-middle prompt from
    the ``suffix`` field (a raw FIM prompt would be wrapped as a chat turn): ``suffix``. The
    other servers take the raw prompt: the family's own template.
    """
    guessed = resolve_mode("auto", model)
    family = "codestral" if guessed == "codestral-fim" else guessed
    if family not in FIM_FAMILIES:
        return None
    return "suffix" if product == "ollama" else family


def _rank(server: Server, model: str) -> tuple[int, float]:
    """Sort key: sizes in :data:`PREFERRED_BILLIONS` first, smallest first; unknown sizes last."""
    size = server.sizes.get(model) or _billions(model.rsplit("/", 1)[-1])
    low, high = PREFERRED_BILLIONS
    if low <= size <= high:
        return (0, size)
    return (1, size) if size else (2, 0.0)


def _usable(model: str) -> bool:
    return not _NOT_FOR_TEXT.search(model)


def choose_completion(servers: Sequence[Server], wanted: str = "") -> Choice | None:
    """The code model to complete with: ``wanted`` if a server lists it, else the best ranked."""
    candidates = [
        Choice(server, model, mode)
        for server in servers
        for model in server.models
        if _usable(model) and (mode := completion_mode(server.product, model)) is not None
    ]
    if wanted:
        named = [c for c in candidates if c.model == wanted]
        if named:
            return named[0]
    if not candidates:
        return None
    return min(candidates, key=lambda c: _rank(c.server, c.model))


def choose_chat(servers: Sequence[Server]) -> Choice | None:
    """A general model that could serve explanations (when no code model was found)."""
    if choose_completion(servers) is not None:
        return None
    candidates = [
        Choice(server, model, "chat")
        for server in servers
        for model in server.models
        if _usable(model)
    ]
    if not candidates:
        return None
    # Explanations want the largest model still in the comfortable range.
    return min(
        candidates, key=lambda c: (_rank(c.server, c.model)[0], -_rank(c.server, c.model)[1])
    )
