"""One embedded model per user: how a Grove server finds, starts, shares and lets go of it.

Owns :class:`SharedModel`, what :class:`~server.backend.ModelBackend` uses for the embedded
target. It has the lifecycle API of :class:`~server.llm.local.EmbeddedModel` (``start``,
``ensure_running`` with restarts, backoff and the SIGILL message, from their common base
:class:`~server.llm.restarting_server.RestartingServer`; ``settle``, ``restart_needed``,
``log_tail``, ``stop``), but the llama.cpp server it hands out is shared by every Grove server
of the user that runs the same model with the same settings:

* **Finding it.** Under the registry lock (:mod:`server.llm.model_registry`), the registration
  is checked: same key (model fingerprint, Grove version, launch settings), state ``ready``,
  host and server processes alive (with their start times, against reused pids), and the port
  answers HTTP and lists the model's alias on ``GET /v1/models``. A registration that fails is
  stale; whoever notices first replaces it (and asks its host, if still there, to stop).
* **Starting it.** ``python -m server.llm.model_host`` (see there), detached: it is not a child
  of this process, so killing this Grove server leaves the model to the others.
* **Leases.** From its first start until :meth:`SharedModel.stop`, the Grove server holds a
  shared ``flock`` on the lease file — taken before the registry lock, so that the host, which
  re-checks the leases under that lock before it stops, never stops a model someone is joining.
  The kernel drops the lock when the process dies, SIGKILL included; the host stops the model
  once no lease has been held for the idle grace period (``GROVE_EMBEDDED_IDLE_S``, default
  30 s), so nothing keeps running after the last Grove server is gone.
* **Priority across windows** (:meth:`SharedModel.take_turn`). llama.cpp's server runs one
  request at a time and, with ``interrupt_requests``, ends a streaming request as soon as
  another one waits. A Grove server marks its foreground calls (completions, commands) by
  holding a shared lock on the busy file while any is in flight and for
  :data:`FOREGROUND_QUIET_S` after the last one (the user is typing); a background call (a
  review) of another Grove server waits until no lock is held. So a background call does not
  start while another window is completing (it would cut the completion short, and the next
  keystroke's completion would wait for the review's prompt), and a completion that starts
  during a background call interrupts it at its next token — after the prompt evaluation in
  progress, which llama.cpp cannot interrupt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from server import __version__
from server.llm.embedded_install import require_model_path
from server.llm.local import EmbeddedModel
from server.llm.loopback_http import answers_http, serves_alias, settle_server
from server.llm.model_host import HostConfig
from server.llm.model_registry import (
    RUNTIME_DIR_ENV,
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
    signal_process,
    state_dir,
    write_registration,
)
from server.llm.provider import EmbeddedModelError
from server.llm.restarting_server import LOG_TAIL_BYTES, RestartingServer

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_IDLE_GRACE_S", "FOREGROUND_QUIET_S", "IDLE_GRACE_ENV", "SharedModel"]

IDLE_GRACE_ENV = "GROVE_EMBEDDED_IDLE_S"
DEFAULT_IDLE_GRACE_S = 30.0
_HOST_MODULE = "server.llm.model_host"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_IDENTITY_SETTINGS = (
    "n_ctx",
    "n_threads",
    "host",
    "cache",
    "cache_size_bytes",
    "verbose",
    "server_module",
    "extra_args",
    "extra_env",
)
REGISTRY_PROTOCOL = 1
"""Bumped when the registration, the host's handshake or the lock files change meaning."""
FOREGROUND_QUIET_S = 2.0
"""Background calls of other Grove servers wait until no foreground call ran for this long."""
_BUSY_POLL_S = 0.05
_ALIAS_CHECK_S = 5.0
"""How long a joining Grove waits for ``/v1/models`` (it waits for the request being served)."""
_EXIT_RECORD_S = 2.0
_LOCK_MARGIN_S = 30.0


def _idle_grace(env: Mapping[str, str]) -> float:
    raw = env.get(IDLE_GRACE_ENV, "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_IDLE_GRACE_S
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %g", IDLE_GRACE_ENV, raw, 30.0)
        return DEFAULT_IDLE_GRACE_S


class SharedModel(RestartingServer):
    """The user's shared embedded model, as one Grove server uses it.

    ``launch`` carries the llama.cpp server's settings (it is never started here: the host
    process runs its own copy). ``runtime_dir`` and ``idle_grace_s`` default to the
    environment (``GROVE_RUNTIME_DIR``, ``XDG_RUNTIME_DIR``, ``GROVE_EMBEDDED_IDLE_S``).
    """

    def __init__(
        self,
        launch: EmbeddedModel,
        *,
        runtime_dir: Path | None = None,
        idle_grace_s: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.launch = launch
        self._env = os.environ if env is None else env
        self._runtime_dir = runtime_dir
        self.idle_grace_s = idle_grace_s if idle_grace_s is not None else _idle_grace(self._env)
        self.model_alias = launch.model_alias
        self.host = launch.host
        super().__init__(launch.restart_policy)
        self.launched = 0
        """Model hosts this Grove server started (the others it found registered)."""
        self.startup_seconds: float | None = None
        self.files: ModelFiles | None = None
        self.registration: dict[str, Any] | None = None
        """The registration of the instance in use (None before the first start)."""
        self._lease: FileLock | None = None
        self._busy: FileLock | None = None
        self._probe: FileLock | None = None
        self._holder: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------------------------------
    # State

    @property
    def pid(self) -> int | None:
        """The llama.cpp server's process id while the instance in use runs."""
        return self._registered_int("pid") if self.is_running() else None

    @property
    def host_pid(self) -> int | None:
        """The model host's process id of the instance in use."""
        return self._registered_int("host_pid")

    @property
    def base_url(self) -> str | None:
        """``http://127.0.0.1:PORT/v1`` while the instance in use runs."""
        port = self._registered_int("port")
        if port is None or not self.is_running():
            return None
        return f"http://{self.host}:{port}/v1"

    def is_running(self) -> bool:
        """True while the llama.cpp server of the instance in use is alive."""
        current = self.registration
        return current is not None and pid_alive(current.get("pid"), current.get("pid_start"))

    async def settle(self, timeout_s: float = 1.0) -> None:
        """After a failed call: give a dying server time to exit, so the next call restarts it."""
        port = self._registered_int("port")
        if port is not None:
            await settle_server(self.is_running, self.host, port, timeout_s)

    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        """The last ``limit`` bytes of the model's log (the host's and the server's output)."""
        if self.files is None:
            return ""
        try:
            with self.files.log.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - limit))
                data = handle.read(limit)
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace").strip()

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    async def stop(self) -> None:
        """Let go of the model (release the lease); its host stops it when nobody else uses it."""
        self._wanted = False
        if self._holder is not None:
            self._holder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._holder
            self._holder = None
        for lock in (self._busy, self._probe, self._lease):
            if lock is not None:
                lock.close()
        self._busy = self._probe = self._lease = None
        if self.registration is not None:
            log.info("released the shared embedded model")
        self.registration = None

    # ----------------------------------------------------------------------------------------
    # Priority across Grove servers

    async def take_turn(self, foreground: Callable[[], bool]) -> None:
        """Apply the priority rule before a model call goes out.

        ``foreground()`` tells whether this Grove server has a foreground call in flight (the
        caller's, for a foreground call). Foreground: mark it in the busy file until
        ``foreground()`` has been False for :data:`FOREGROUND_QUIET_S` (the user is still
        typing). Background: wait until no other Grove server marks one; within this Grove
        server, its own priority gate already decided (so its own mark is dropped).
        """
        if self.files is None or not self._wanted:
            return
        if foreground():
            self._hold_busy(foreground)
            return
        if self._holder is not None:
            self._holder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._holder
            self._holder = None
        if self._probe is None:
            self._probe = FileLock(self.files.busy)
        while not self._probe.is_free():
            await asyncio.sleep(_BUSY_POLL_S)

    def _hold_busy(self, foreground: Callable[[], bool]) -> None:
        if self._holder is not None and not self._holder.done():
            return
        assert self.files is not None
        if self._busy is None:
            self._busy = FileLock(self.files.busy)
        busy = self._busy
        busy.try_lock(exclusive=False)  # at once, so it is held before the request goes out

        async def hold() -> None:
            try:
                while not busy.held and foreground():  # a background probe held it a moment
                    busy.try_lock(exclusive=False)
                    await asyncio.sleep(0.005)
                quiet_since: float | None = None
                while quiet_since is None or time.monotonic() - quiet_since < FOREGROUND_QUIET_S:
                    if foreground():
                        quiet_since = None
                    elif quiet_since is None:
                        quiet_since = time.monotonic()
                    await asyncio.sleep(_BUSY_POLL_S)
            finally:
                busy.unlock()

        self._holder = asyncio.ensure_future(hold())

    # ----------------------------------------------------------------------------------------
    # Internals

    def _registered_int(self, name: str) -> int | None:
        value = None if self.registration is None else self.registration.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    async def _identity(self) -> tuple[dict[str, Any], Path]:
        model_path = require_model_path(self.launch.model_path)
        fingerprint = await asyncio.to_thread(model_fingerprint, model_path)
        settings = self.launch.launch_settings()
        identity = {
            "version": __version__,
            "protocol": REGISTRY_PROTOCOL,
            "model": fingerprint,
            "alias": self.model_alias,
            **{name: settings[name] for name in _IDENTITY_SETTINGS},
        }
        return identity, model_path

    def _log_dir(self) -> Path | None:
        """The state directory for the model's log (None, the runtime directory, if unusable)."""
        path = state_dir(self._env)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot use %s for the embedded model's log (%s)", path, exc)
            return None
        return path

    def log_path(self) -> Path:
        """Where the embedded model's log is (or will be)."""
        return self.files.log if self.files is not None else embedded_log_path(self._env)

    async def _bring_up(self) -> str:
        """Use the registered model if it is sound, else start one; returns its base URL."""
        identity, model_path = await self._identity()
        where = (
            self._env if self._runtime_dir is None else {RUNTIME_DIR_ENV: str(self._runtime_dir)}
        )
        files = ModelFiles(runtime_dir(where), model_key(identity), self._log_dir())
        if files != self.files:
            await self.stop()
            self._wanted = True
            self.files = files
        await self._take_lease(files)
        registry = FileLock(files.lock)
        wait_s = self.launch.startup_timeout_s + _LOCK_MARGIN_S
        try:
            if not await registry.lock(exclusive=True, timeout_s=wait_s):
                raise EmbeddedModelError(
                    f"another Grove server held the model registry for {wait_s:g} s ({files.lock})"
                )
            current = read_registration(files.registration)
            if current is not None:
                why = await self._stale(current, identity, files.key)
                if why is None:
                    self._use(current)
                    log.info(
                        "using the shared embedded model on port %s (pid %s)",
                        current.get("port"),
                        current.get("pid"),
                    )
                    return self._url()
                log.info("replacing the embedded model's registration: %s", why)
                signal_process(
                    current.get("host_pid"), current.get("host_start"), signal.SIGTERM, _HOST_MODULE
                )
            self._use(await self._launch(files, identity, model_path))
            return self._url()
        finally:
            registry.close()

    def _use(self, registration: dict[str, Any]) -> None:
        self.registration = registration
        started = registration.get("startup_seconds")
        self.startup_seconds = float(started) if isinstance(started, int | float) else None

    def _url(self) -> str:
        return f"http://{self.host}:{self._registered_int('port')}/v1"

    async def _take_lease(self, files: ModelFiles) -> None:
        if self._lease is None:
            self._lease = FileLock(files.lease)
        if not await self._lease.lock(exclusive=False, timeout_s=5.0, poll_s=0.01):
            raise EmbeddedModelError(f"cannot take a lease on the embedded model ({files.lease})")

    async def _stale(
        self, current: dict[str, Any], identity: dict[str, Any], key: str
    ) -> str | None:
        """Why a registration cannot be used, or None when it can."""
        if current.get("key") != key or current.get("identity") != identity:
            return "it is for another model, Grove version or settings"
        if current.get("state") != "ready":
            return f"its server exited (code {current.get('returncode')})"
        if not pid_alive(current.get("host_pid"), current.get("host_start")):
            return "its host process is gone"
        if not pid_alive(current.get("pid"), current.get("pid_start")):
            return "its server process is gone"
        port = current.get("port")
        if not isinstance(port, int) or not await answers_http(self.host, port, 1.0):
            return "its port does not answer"
        listed = await serves_alias(self.host, port, self.model_alias, _ALIAS_CHECK_S)
        if listed is False:
            return f"its port answers something else than {self.model_alias}"
        if listed is None:
            log.info("the shared embedded model is busy; its processes live, using it")
        return None

    async def _exit_code(self) -> int | None:
        """The exit code the host recorded for the server that was in use (waits a moment)."""
        used = self.registration
        if used is None or self.files is None:
            return None
        deadline = time.monotonic() + _EXIT_RECORD_S
        while True:
            current = read_registration(self.files.registration) or {}
            same = all(current.get(k) == used.get(k) for k in ("host_pid", "pid"))
            if not same:
                return None
            if current.get("state") == "exited":
                code = current.get("returncode")
                return code if isinstance(code, int) else None
            if not pid_alive(used.get("host_pid"), used.get("host_start")):
                return None
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def _launch(
        self, files: ModelFiles, identity: dict[str, Any], model_path: Path
    ) -> dict[str, Any]:
        """Start a model host (the registry lock is held) and register its model."""
        launch = {**self.launch.launch_settings(), "model_path": str(model_path)}
        launch["log_path"] = str(files.log)
        config = HostConfig(files.directory, files.key, self.idle_grace_s, launch)
        try:
            log_fd = open_model_log(files.log)
        except OSError as exc:
            raise EmbeddedModelError(f"cannot open the model's log {files.log}: {exc}") from None
        log.info("starting the shared embedded model (key %s)", files.key)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", _HOST_MODULE, "--key", files.key],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_fd,
                cwd=_PACKAGE_ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                close_fds=True,
                start_new_session=True,
            )
        except OSError as exc:
            raise EmbeddedModelError(f"cannot launch {sys.executable}: {exc}") from None
        finally:
            os.close(log_fd)
        self.launched += 1
        try:
            report = await self._handshake(proc, config)
            if "error" in report:
                raise EmbeddedModelError(str(report["error"]), log_tail=self.log_tail())
            registration = self._registered(files, identity, report)
        except BaseException:
            await self._kill_group(proc)
            raise
        finally:
            for pipe in (proc.stdin, proc.stdout):  # closing stdin: "you are registered"
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        log.info(
            "embedded model ready on port %s (pid %s, host %s)",
            registration["port"],
            registration["pid"],
            registration["host_pid"],
        )
        return registration

    def _registered(
        self, files: ModelFiles, identity: dict[str, Any], report: dict[str, Any]
    ) -> dict[str, Any]:
        """Write the registration of a host that reported ready."""
        pid, host_pid = report.get("pid"), report.get("host_pid")
        registration = {
            "state": "ready",
            "key": files.key,
            "identity": identity,
            "alias": self.model_alias,
            "port": report.get("port"),
            "pid": pid,
            "pid_start": process_start(pid) if isinstance(pid, int) else None,
            "host_pid": host_pid,
            "host_start": process_start(host_pid) if isinstance(host_pid, int) else None,
            "started_at": time.time(),
            "startup_seconds": report.get("startup_seconds"),
            "idle_grace_s": self.idle_grace_s,
            "log": str(files.log),
        }
        write_registration(files.registration, registration)
        return registration

    async def _handshake(self, proc: subprocess.Popen[bytes], config: HostConfig) -> dict[str, Any]:
        """Send the host its settings and read its one report line (stdin stays open)."""
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write((config.to_json() + "\n").encode("utf-8"))
            proc.stdin.flush()
        except OSError:
            pass  # it died at once: its exit shows below
        deadline = time.monotonic() + self.launch.startup_timeout_s + 15.0
        while proc.poll() is None:  # the parent half exits as soon as it has forked
            if time.monotonic() > deadline:
                raise EmbeddedModelError("the embedded model host did not start")
            await asyncio.sleep(0.02)
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        received = b""
        while b"\n" not in received:
            try:
                chunk: bytes | None = os.read(fd, 4096)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                raise EmbeddedModelError(
                    f"the embedded model host exited during startup (code {proc.returncode})",
                    log_tail=self.log_tail(),
                )
            if chunk:
                received += chunk
                continue
            if time.monotonic() > deadline:
                raise EmbeddedModelError(
                    "the embedded model host did not report within "
                    f"{self.launch.startup_timeout_s + 15.0:g} s",
                    log_tail=self.log_tail(),
                )
            await asyncio.sleep(0.05)
        try:
            report = json.loads(received.partition(b"\n")[0])
        except ValueError:
            report = None
        if not isinstance(report, dict) or not ("error" in report or "ready" in report):
            raise EmbeddedModelError("the embedded model host sent a malformed report")
        return report

    async def _kill_group(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop a host that is still starting: SIGTERM to its group, SIGKILL after the grace."""
        pgid = proc.pid  # the host's parent half led a new session; the host is in its group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + self.launch.stop_grace_s + 2.0
        while time.monotonic() < deadline:
            proc.poll()  # reap the parent half, or the group never empties
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            await asyncio.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        proc.poll()
