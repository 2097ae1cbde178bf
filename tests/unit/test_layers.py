"""The layers stay apart: which package may import which, and no import cycle anywhere.

``analyzers/`` is pure (no ``server``, no LSP, no HTTP); the pipelines in ``server/`` and the
model layer ``server/llm/`` know nothing of pygls or lsprotocol; only ``server/lsp/`` does. The
import graph is read from the source (every import, function-level ones included), so a late
import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "analyzers")
LSP_LIBRARIES = ("pygls", "lsprotocol")
HTTP_LIBRARIES = ("openai", "httpx", "httpx2", "urllib.request", "http.client")


def _modules() -> dict[str, Path]:
    """Dotted module name → its file, for every module of the project's packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports (absolute names; ``from x import y`` gives ``x.y`` when
    that is a module of the project, else ``x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _offenders(importers: str, forbidden: tuple[str, ...], *, skip: str = "") -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if _within(name, importers) and not (skip and _within(name, skip))
        for target in targets
        if any(_within(target, bad) for bad in forbidden)
    )


def test_the_graph_is_read() -> None:
    assert "server.lsp.state" in MODULES and "analyzers.parsing" in MODULES
    assert "analyzers.parsing" in GRAPH["analyzers.context"]


def test_analyzers_are_pure() -> None:
    forbidden = ("server", *LSP_LIBRARIES, *HTTP_LIBRARIES)
    assert _offenders("analyzers", forbidden) == []


def test_only_the_lsp_layer_knows_pygls_and_lsprotocol() -> None:
    assert _offenders("server", (*LSP_LIBRARIES, "server.lsp"), skip="server.lsp") == [
        # The CLI entry point starts the language server (``grove serve``) and sets up logging.
        "server.__main__ imports server.lsp.logs",
        "server.__main__ imports server.lsp.registration",
        "server.__main__ imports server.lsp.transport",
    ]


def test_the_model_layer_imports_no_pipeline() -> None:
    """``server/llm/`` sits below the pipelines: they call it, never the other way round."""
    pipelines = tuple(
        name
        for name in MODULES
        if _within(name, "server") and not _within(name, "server.llm") and name != "server"
    )
    assert _offenders("server.llm", pipelines) == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in MODULES:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_600_lines(package: str) -> None:
    """Big modules hide their seams; ``analyzers/parsing.py`` is cohesive and exempt."""
    long = sorted(
        f"{name}: {lines}"
        for name, path in MODULES.items()
        if _within(name, package) and name != "analyzers.parsing"
        if (lines := len(path.read_text("utf-8").splitlines())) > 600
    )
    assert long == []
