"""One embedded model per user: the registry, leases, stale registrations, restarts, priority.

The model is the scripted OpenAI server standing in for ``python -m llama_cpp.server`` (same
command-line shape), run by the real model host (``python -m server.llm.model_host``); the Grove
servers are :class:`SharedModel` objects in this process or ``tests.support.model_owner``
processes. The start, failure and restart tests shared with :class:`EmbeddedModel` are in
test_llm_local.py. Every test has its own runtime directory. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.llm.local import EmbeddedModel
from server.llm.model_registry import (
    LOG_ROTATE_BYTES,
    FileLock,
    ModelFiles,
    embedded_log_path,
    model_fingerprint,
    model_key,
    open_model_log,
    pid_alive,
    process_start,
    read_registration,
    runtime_dir,
    state_dir,
    write_registration,
)
from server.llm.provider import EmbeddedModelError
from server.llm.shared_model import FOREGROUND_QUIET_S, SharedModel
from tests.support.scripted_openai import ScriptedOpenAI
from tests.unit.test_llm_local import FAKE_SERVER, REPO, alive, processes_with, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


@contextlib.contextmanager
def _flock_holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding a shared flock on ``path`` (SIGKILL it to end the lock)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, time\n"
            f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_SH)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF")
    return path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    return path


def _model_pids(model: SharedModel) -> set[int]:
    found = set()
    if model.registration is not None:
        for name in ("pid", "host_pid"):
            value = model.registration.get(name)
            if isinstance(value, int):
                found.add(value)
    return found


@pytest.fixture
async def shared(fake_gguf: Path, run_dir: Path) -> AsyncIterator[Callable[..., SharedModel]]:
    """SharedModels (Grove servers) on the stand-in server; afterwards nothing may be left."""
    made: list[SharedModel] = []

    def factory(*extra: str, idle_grace_s: float = 0.2, **kwargs: Any) -> SharedModel:
        launch = EmbeddedModel(
            model_path=fake_gguf,
            server_module=FAKE_SERVER,
            extra_args=extra,
            extra_env={"PYTHONPATH": str(REPO)},
            **kwargs,
        )
        model = SharedModel(
            launch, runtime_dir=run_dir, idle_grace_s=idle_grace_s, env=_state_env(run_dir)
        )
        made.append(model)
        return model

    yield factory
    pids: set[int] = set()
    for model in made:
        pids |= _model_pids(model)
        await model.stop()
    for pid in pids:  # a long idle grace is not waited for
        if pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
    assert await asyncio.to_thread(wait_until, lambda: not any(alive(p) for p in pids), 20)


def _state_env(run_dir: Path) -> dict[str, str]:
    """An ``XDG_STATE_HOME`` of the test's own: the model's log goes to ``state/grove``."""
    return {"XDG_STATE_HOME": str(run_dir.parent / "state")}


def _log(run_dir: Path) -> Path:
    return run_dir.parent / "state" / "grove" / "embedded-model.log"


def _owner(
    run_dir: Path, fake_gguf: Path | None, *, idle_grace: float = 0.2
) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.support.model_owner", "--runtime-dir", str(run_dir)]
    argv += ["--idle-grace", str(idle_grace)]
    if fake_gguf is not None:
        argv += ["--fake-gguf", str(fake_gguf), "--reply", "shared answer"]
    return subprocess.Popen(
        argv,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **_state_env(run_dir)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _said(owner: subprocess.Popen[str]) -> dict[str, Any]:
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line, "the owner process exited"
    answer = json.loads(line)
    assert isinstance(answer, dict)
    return answer


def _ask(owner: subprocess.Popen[str]) -> dict[str, Any]:
    assert owner.stdin is not None
    owner.stdin.write("complete\n")
    owner.stdin.flush()
    return _said(owner)


@pytest.fixture
def owners(run_dir: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for owner in started:
        if owner.poll() is None:
            owner.kill()
        owner.wait(10)
        for pipe in (owner.stdin, owner.stdout):
            if pipe is not None:
                pipe.close()


# --------------------------------------------------------------------------------------------
# The registry's pieces


def test_runtime_dir_is_private_per_user_and_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    override = tmp_path / "override" / "grove"
    assert runtime_dir({"GROVE_RUNTIME_DIR": str(override)}) == override
    assert stat.S_IMODE(override.stat().st_mode) == 0o700
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    assert runtime_dir({"XDG_RUNTIME_DIR": str(xdg)}) == xdg / "grove"
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    fallback = runtime_dir({})
    assert fallback == tmp_path / f"grove-{os.getuid()}"
    fallback.chmod(0o755)
    runtime_dir({})
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o700
    trap = tmp_path / "trap"
    trap.symlink_to(xdg)
    with pytest.raises(EmbeddedModelError, match="not a directory of this user"):
        runtime_dir({"GROVE_RUNTIME_DIR": str(trap)})


def test_fingerprint_follows_the_file_and_the_key_the_settings(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"a" * (3 << 20))
    first = model_fingerprint(model)
    assert model_fingerprint(model) == first
    with model.open("r+b") as handle:
        handle.seek((3 << 20) - 10)
        handle.write(b"b")
    os.utime(model, ns=(0, model.stat().st_mtime_ns))
    assert model_fingerprint(model) != first
    assert model_key({"n_ctx": 2048, "model": first}) == model_key({"model": first, "n_ctx": 2048})
    assert model_key({"n_ctx": 2048}) != model_key({"n_ctx": 4096})


def test_unreadable_registration_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    assert read_registration(path) is None
    write_registration(path, {"state": "ready", "port": 1})
    assert read_registration(path) == {"state": "ready", "port": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{not json")
    assert read_registration(path) == {}


def test_a_lease_ends_with_its_process_even_on_sigkill(tmp_path: Path) -> None:
    lease = tmp_path / "x.lease"
    with _flock_holder(lease) as holder:
        probe = FileLock(lease)
        assert not probe.is_free()
        other = FileLock(lease)
        assert other.try_lock(exclusive=False)  # leases are shared
        other.close()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        assert probe.is_free()
        probe.close()


def test_pid_alive_tells_reused_pids_and_zombies_apart() -> None:
    me = os.getpid()
    assert pid_alive(me, process_start(me))
    assert not pid_alive(me, "1")  # same pid, another start time: a reused pid
    assert not pid_alive(None) and not pid_alive(True) and not pid_alive(-1)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    assert wait_until(lambda: not pid_alive(child.pid))  # a zombie until reaped
    child.wait(10)
    assert not pid_alive(child.pid)


# --------------------------------------------------------------------------------------------
# Sharing


async def test_three_groves_share_one_model_process(
    shared: Callable[..., SharedModel],
) -> None:
    marker = f"grove-{uuid.uuid4().hex}"
    models = [shared("--startup-delay", "0.3", "--reply", marker) for _ in range(3)]
    urls = await asyncio.gather(*(model.start() for model in models))
    assert len(set(urls)) == 1
    assert sum(model.launched for model in models) == 1
    assert len(processes_with(marker)) == 1
    assert len({model.pid for model in models}) == 1


async def test_killing_one_grove_leaves_the_others_working_and_the_last_exit_stops_all(
    fake_gguf: Path, run_dir: Path, owners: list[subprocess.Popen[str]]
) -> None:
    owners.extend(_owner(run_dir, fake_gguf) for _ in range(3))
    said = [await asyncio.to_thread(_said, owner) for owner in owners]
    assert all("url" in answer for answer in said), said
    assert len({answer["pid"] for answer in said}) == 1
    assert sum(answer["launched"] for answer in said) == 1
    model_pid, host_pid = said[0]["pid"], said[0]["host_pid"]
    starter = next(o for o, a in zip(owners, said, strict=True) if a["launched"])
    starter.send_signal(signal.SIGKILL)
    starter.wait(10)
    for owner in owners:
        if owner is not starter:
            answer = await asyncio.to_thread(_ask, owner)
            assert answer == {"text": "shared answer", "pid": model_pid}
    assert alive(model_pid) and alive(host_pid)
    for owner in owners:
        if owner.stdin is not None and not owner.stdin.closed:
            owner.stdin.close()  # end of input: the owner lets go of the model and exits
    for owner in owners:
        owner.wait(20)
    assert await asyncio.to_thread(
        wait_until, lambda: not alive(model_pid) and not alive(host_pid), 20
    )
    assert not (run_dir / f"embedded-{_key(run_dir)}.json").exists()


def _key(run_dir: Path) -> str:
    (lease,) = run_dir.glob("embedded-*.lease")
    return lease.name.removeprefix("embedded-").removesuffix(".lease")


async def test_the_model_outlives_its_starter_and_waits_out_the_grace_for_a_joiner(
    shared: Callable[..., SharedModel],
) -> None:
    first, second = shared(idle_grace_s=60), shared(idle_grace_s=60)
    await first.start()
    await second.start()
    pid = second.pid
    assert pid is not None and first.launched == 1 and second.launched == 0
    await first.stop()  # the Grove that started it lets go: the other one keeps using it
    assert second.is_running() and await second.ensure_running() == second.base_url
    await second.stop()  # the last lease ends: the model waits out the grace period
    assert pid_alive(pid)
    joiner = shared(idle_grace_s=60)
    await joiner.start()
    assert joiner.pid == pid and joiner.launched == 0


async def test_the_host_stops_the_model_once_no_lease_is_left(
    shared: Callable[..., SharedModel], run_dir: Path
) -> None:
    model = shared(idle_grace_s=0.2)
    await model.start()
    pids = _model_pids(model)
    files = model.files
    assert files is not None and files.registration.exists()
    await model.stop()
    assert await asyncio.to_thread(wait_until, lambda: not any(alive(p) for p in pids), 20)
    assert not files.registration.exists()
    assert files.log == _log(run_dir) and files.log.exists()  # kept, to be read afterwards


# --------------------------------------------------------------------------------------------
# Stale registrations


def _scripted_other() -> ScriptedOpenAI:
    return ScriptedOpenAI(model_ids=("some-other-model",)).start()


@pytest.mark.parametrize("staleness", ["dead pids", "foreign port", "other model hash", "corrupt"])
async def test_a_stale_registration_is_replaced(
    shared: Callable[..., SharedModel], staleness: str
) -> None:
    original = shared()
    await original.start()
    files = original.files
    registration = dict(original.registration or {})
    assert files is not None and registration
    old_host, old_pid = registration["host_pid"], registration["pid"]
    other: ScriptedOpenAI | None = None
    try:
        if staleness == "dead pids":
            await original.stop()
            assert await asyncio.to_thread(wait_until, lambda: not alive(old_host), 20)
            write_registration(files.registration, registration)  # as if it had crashed
        elif staleness == "foreign port":
            await original.stop()
            assert await asyncio.to_thread(wait_until, lambda: not alive(old_host), 20)
            other = _scripted_other()
            me = os.getpid()  # live pids that are no model: the port must tell
            write_registration(
                files.registration,
                {
                    **registration,
                    "port": other.port,
                    "pid": me,
                    "pid_start": process_start(me),
                    "host_pid": me,
                    "host_start": process_start(me),
                },
            )
        elif staleness == "other model hash":
            identity = {**registration["identity"], "model": "4-0-0123456789abcdef"}
            write_registration(files.registration, {**registration, "identity": identity})
        else:
            await original.stop()
            files.registration.write_text('{"state": "rea')
        replacement = shared()
        url = await replacement.start()
        assert replacement.launched == 1
        assert replacement.pid not in (old_pid, os.getpid())
        current = read_registration(files.registration)
        assert current is not None and current["host_pid"] == replacement.host_pid
        assert url == replacement.base_url
        # A live host that was replaced stops, with its model.
        assert await asyncio.to_thread(wait_until, lambda: not alive(old_pid), 20)
        assert alive(os.getpid())
    finally:
        if other is not None:
            other.close()


# --------------------------------------------------------------------------------------------
# Restarts, failures, kills


async def test_a_killed_model_is_restarted_once_and_the_others_follow(
    shared: Callable[..., SharedModel],
) -> None:
    first, second = shared(), shared()
    await first.start()
    await second.start()
    pid = first.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert await asyncio.to_thread(wait_until, lambda: not first.is_running())
    assert first.restart_needed() and second.restart_needed()
    url = await first.ensure_running()
    assert first.restarts == 1 and first.launched == 2 and first.pid not in (None, pid)
    assert await second.ensure_running() == url
    assert second.pid == first.pid and second.launched == 0 and second.restarts == 1


async def test_a_killed_host_takes_its_model_down_and_is_replaced(
    shared: Callable[..., SharedModel],
) -> None:
    model = shared()
    await model.start()
    pid, host = model.pid, model.host_pid
    assert pid is not None and host is not None
    os.kill(host, signal.SIGKILL)
    assert await asyncio.to_thread(wait_until, lambda: not alive(pid), 15)  # PR_SET_PDEATHSIG
    await model.settle()
    assert model.restart_needed()
    await model.ensure_running()
    assert model.restarts == 1 and model.pid not in (None, pid)


async def test_the_model_log_never_reaches_stdout(
    fake_gguf: Path, run_dir: Path, owners: list[subprocess.Popen[str]]
) -> None:
    owners.append(_owner(run_dir, fake_gguf))
    said = await asyncio.to_thread(_said, owners[0])
    assert "url" in said
    log_text = _log(run_dir).read_text()
    assert "scripted server on" in log_text and "grove-model-host" in log_text
    stdin, stdout = owners[0].stdin, owners[0].stdout
    assert stdin is not None and stdout is not None
    stdin.close()
    assert stdout.read() == ""  # nothing but the owner's own JSON line


# --------------------------------------------------------------------------------------------
# Priority across Grove servers


async def test_background_calls_wait_for_foreground_calls_of_other_groves(
    shared: Callable[..., SharedModel], run_dir: Path
) -> None:
    editor, reviewer = shared(), shared()
    await editor.start()
    await reviewer.start()
    typing = True
    await editor.take_turn(lambda: typing)  # a completion is in flight in the editor
    review = asyncio.ensure_future(reviewer.take_turn(lambda: False))
    done, _ = await asyncio.wait({review}, timeout=0.3)
    assert not done, "a background call went out while another window's completion ran"
    typing = False  # the editor's user stops typing: the review goes out after a quiet moment
    await asyncio.wait_for(review, 10)
    # Within one Grove server its own priority gate decides: its own mark does not hold it.
    await editor.take_turn(lambda: True)
    await asyncio.wait_for(editor.take_turn(lambda: False), FOREGROUND_QUIET_S / 2)
    # A foreground mark dies with its process.
    files = reviewer.files
    assert files is not None
    with _flock_holder(files.busy) as holder:
        waiting = asyncio.ensure_future(reviewer.take_turn(lambda: False))
        done, _ = await asyncio.wait({waiting}, timeout=0.3)
        assert not done
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(waiting, 10)


def test_model_files_are_named_by_key(tmp_path: Path) -> None:
    files = ModelFiles(tmp_path, "abc")
    names = {p.name for p in (files.registration, files.lock, files.lease, files.busy)}
    assert names == {
        "embedded-abc.json",
        "embedded-abc.lock",
        "embedded-abc.lease",
        "embedded-abc.busy",
    }
    assert files.log == tmp_path / "embedded-model.log"  # one log, shared by all instances
    state = tmp_path / "state"
    assert ModelFiles(tmp_path, "abc", state).log == state / "embedded-model.log"


def test_the_log_is_in_the_state_directory_and_bounded(tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "grove"
    assert state_dir({"XDG_STATE_HOME": "relative", "HOME": str(tmp_path)}) == (
        tmp_path / ".local" / "state" / "grove"
    )
    assert embedded_log_path({"HOME": str(tmp_path)}) == (
        tmp_path / ".local" / "state" / "grove" / "embedded-model.log"
    )
    path = tmp_path / "state" / "grove" / "embedded-model.log"
    os.close(open_model_log(path))  # creates the directory
    assert path.exists() and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    fd = open_model_log(path)
    os.write(fd, b"kept\n")
    os.close(fd)
    os.close(open_model_log(path))
    assert path.read_bytes() == b"kept\n"  # a small log is appended to
    path.write_bytes(b"x" * (LOG_ROTATE_BYTES + 1))
    os.close(open_model_log(path))
    assert path.read_bytes() == b""  # a big one is moved aside at the next start
    assert path.with_name("embedded-model.log.1").stat().st_size == LOG_ROTATE_BYTES + 1
