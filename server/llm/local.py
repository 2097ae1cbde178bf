"""The embedded default model: SmolLM2-135M-Instruct served by llama.cpp's OpenAI server.

Owns the lifecycle of one child process, ``python -m llama_cpp.server``, bound to loopback on a
free port: starting it on the GGUF that :mod:`server.llm.embedded_install` finds and waiting
until ``GET /v1/models`` answers, restarting it when it dies (as
:class:`~server.llm.restarting_server.RestartingServer` allows: with backoff, a bounded number
of times), and stopping it without leaving orphans (``PR_SET_PDEATHSIG`` on Linux, its own
process group, an ``atexit`` hook). The child's output goes to a log file, never to our stdout
(which is the LSP transport). Requests to it go through
:class:`~server.llm.openai_provider.OpenAIProvider` like any other endpoint, with the model name
:data:`EMBEDDED_MODEL_ALIAS`.

A Grove server does not run :class:`EmbeddedModel` itself: it shares one per user through
:mod:`server.llm.shared_model`, whose host process (:mod:`server.llm.model_host`) is what owns
the :class:`EmbeddedModel`. The server keeps llama.cpp's ``interrupt_requests`` on: it serves
one request at a time, and a waiting request ends the one that is streaming.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from server.llm.embedded_install import require_model_path
from server.llm.loopback_http import http_status, settle_server
from server.llm.provider import EmbeddedModelError
from server.llm.restarting_server import LOG_TAIL_BYTES, RestartingServer, RestartPolicy

log = logging.getLogger(__name__)

__all__ = ["EMBEDDED_MODEL_ALIAS", "EmbeddedModel"]

EMBEDDED_MODEL_ALIAS = "smollm2-135m-instruct"
_PR_SET_PDEATHSIG = 1
_LOG_MAX_BYTES = 4 << 20


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _child_setup_for(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGTERM when this process dies (Linux).

    The libc handle is resolved here, in the parent, so the child only makes one system call
    between fork and exec. Note ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the
    child exits; Grove starts the child from the event-loop thread, which lives as long as
    the server.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    sigterm = int(signal.SIGTERM)

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to the child's process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)
        else:  # pragma: no cover - non-POSIX
            proc.send_signal(sig)


class EmbeddedModel(RestartingServer):
    """One llama.cpp server child process on loopback, started on demand.

    ``log_path`` names the child's log file; without it the log is an unlinked temporary file.
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        host: str = "127.0.0.1",
        cache: bool = False,
        cache_size_bytes: int | None = None,
        verbose: bool = False,
        startup_timeout_s: float = 120.0,
        stop_grace_s: float = 5.0,
        max_restarts: int = 3,
        restart_window_s: float = 300.0,
        server_module: str = "llama_cpp.server",
        extra_args: Sequence[str] = (),
        extra_env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, min(4, os.cpu_count() or 2))
        self.host = host
        self.cache = cache
        self.cache_size_bytes = cache_size_bytes
        self.verbose = verbose
        self.startup_timeout_s = startup_timeout_s
        self.stop_grace_s = stop_grace_s
        self.server_module = server_module
        self.extra_args = tuple(extra_args)
        self.extra_env = dict(extra_env or {})
        self.log_path = log_path
        self.model_alias = EMBEDDED_MODEL_ALIAS
        self.startup_seconds: float | None = None
        super().__init__(RestartPolicy(max_restarts, restart_window_s))
        self._log_fd: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._returncode: int | None = None
        self._atexit_registered = False

    # ----------------------------------------------------------------------------------------
    # Launch settings (what another process needs to run the same server)

    def launch_settings(self) -> dict[str, Any]:
        """The constructor's arguments as JSON values (:meth:`from_launch_settings` reverses)."""
        return {
            "model_path": None if self.model_path is None else str(self.model_path),
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "host": self.host,
            "cache": self.cache,
            "cache_size_bytes": self.cache_size_bytes,
            "verbose": self.verbose,
            "startup_timeout_s": self.startup_timeout_s,
            "stop_grace_s": self.stop_grace_s,
            "max_restarts": self.restart_policy.max_restarts,
            "restart_window_s": self.restart_policy.window_s,
            "server_module": self.server_module,
            "extra_args": list(self.extra_args),
            "extra_env": dict(self.extra_env),
            "log_path": None if self.log_path is None else str(self.log_path),
        }

    @classmethod
    def from_launch_settings(cls, data: Mapping[str, Any]) -> EmbeddedModel:
        """An :class:`EmbeddedModel` from :meth:`launch_settings` (ValueError when malformed)."""
        try:
            model_path, log_path, size = (
                data["model_path"],
                data["log_path"],
                data["cache_size_bytes"],
            )
            return cls(
                model_path=None if model_path is None else Path(str(model_path)),
                n_ctx=int(data["n_ctx"]),
                n_threads=int(data["n_threads"]),
                host=str(data["host"]),
                cache=bool(data["cache"]),
                cache_size_bytes=None if size is None else int(size),
                verbose=bool(data["verbose"]),
                startup_timeout_s=float(data["startup_timeout_s"]),
                stop_grace_s=float(data["stop_grace_s"]),
                max_restarts=int(data["max_restarts"]),
                restart_window_s=float(data["restart_window_s"]),
                server_module=str(data["server_module"]),
                extra_args=[str(arg) for arg in data["extra_args"]],
                extra_env={str(k): str(v) for k, v in dict(data["extra_env"]).items()},
                log_path=None if log_path is None else Path(str(log_path)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed launch settings: {exc}") from None

    # ----------------------------------------------------------------------------------------
    # State

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def base_url(self) -> str | None:
        """``http://127.0.0.1:PORT/v1`` while the server runs."""
        if self._port is None or not self.is_running():
            return None
        return f"http://{self.host}:{self._port}/v1"

    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """How the last child exited (negative: the signal that killed it); None while it runs."""
        if self._proc is not None:
            return self._proc.poll()
        return self._returncode

    async def settle(self, timeout_s: float = 1.0) -> None:
        """After a failed call: give a dying server time to be reaped, so the next call restarts it.

        A killed server closes its sockets a moment before its process can be reaped; a call in
        that moment would still see it running. Returns as soon as the server answers HTTP.
        """
        proc, port = self._proc, self._port
        if proc is None or port is None:
            return
        await settle_server(lambda: proc.poll() is None, self.host, port, timeout_s)

    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        """The last ``limit`` bytes of the child's log (for error messages)."""
        if self._log_fd is None:
            return ""
        try:
            size = os.fstat(self._log_fd).st_size
            data = os.pread(self._log_fd, limit, max(0, size - limit))
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace").strip()

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    async def _bring_up(self) -> str:
        return await self._launch()

    async def _exit_code(self) -> int | None:
        return self.returncode

    async def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after a grace period); safe to repeat."""
        self._wanted = False
        proc, self._proc = self._proc, None
        self._port = None
        if proc is not None:
            self._returncode = proc.poll()
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace_s
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if proc.poll() is None:
                log.warning("embedded model ignored SIGTERM; killing it")
                _signal_group(proc, signal.SIGKILL)
                while proc.poll() is None:
                    await asyncio.sleep(0.02)
            self._returncode = proc.returncode
        elif proc is not None:
            # Reap a dead child, and any stragglers left in its process group.
            _signal_group(proc, signal.SIGKILL)
        if proc is not None:
            log.info("embedded model stopped")
        self._forget_atexit()
        if self._log_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._log_fd)
            self._log_fd = None

    # ----------------------------------------------------------------------------------------
    # Internals

    def _argv(self, model_path: Path, port: int) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            self.server_module,
            "--model",
            str(model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            self.host,
            "--port",
            str(port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            "--logits_all",
            "False",
            "--verbose",
            str(self.verbose),
            "--interrupt_requests",
            "True",
        ]
        if self.cache:
            argv += ["--cache", "True", "--cache_type", "ram"]
            if self.cache_size_bytes is not None:
                argv += ["--cache_size", str(self.cache_size_bytes)]
        return argv + list(self.extra_args)

    def _open_log(self) -> int:
        """The child's log: ``log_path``, else an unlinked temp file (nothing left behind)."""
        if self._log_fd is None and self.log_path is not None:
            flags = os.O_RDWR | os.O_CREAT | os.O_APPEND
            self._log_fd = os.open(self.log_path, flags, 0o600)
        elif self._log_fd is None:
            fd, name = tempfile.mkstemp(prefix="grove-llama-", suffix=".log")
            with contextlib.suppress(ImportError, OSError):
                import fcntl

                fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
            with contextlib.suppress(OSError):
                os.unlink(name)
            self._log_fd = fd
        elif os.fstat(self._log_fd).st_size > _LOG_MAX_BYTES:
            os.ftruncate(self._log_fd, 0)
        return self._log_fd

    async def _launch(self) -> str:
        model_path = require_model_path(self.model_path)
        last_error: EmbeddedModelError | None = None
        for _attempt in range(3):  # a new port when another process grabbed ours first
            port = _free_port(self.host)
            argv = self._argv(model_path, port)
            log.info("starting embedded model: %s", " ".join(argv[1:]))
            env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env}
            log_fd = self._open_log()
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,
                    stderr=subprocess.STDOUT,
                    env=env,
                    close_fds=True,
                    start_new_session=True,
                    preexec_fn=_child_setup_for(os.getpid()),
                )
            except OSError as exc:
                raise EmbeddedModelError(f"cannot launch {sys.executable}: {exc}") from None
            self._proc, self._port = proc, port
            self._remember_atexit()
            started = time.monotonic()
            try:
                await self._wait_ready(proc, port)
            except EmbeddedModelError as error:
                if "address already in use" in error.log_tail.lower():
                    last_error = error
                    continue
                raise
            except BaseException:
                await self.stop()
                raise
            self.startup_seconds = time.monotonic() - started
            log.info(
                "embedded model ready on port %d in %.1f s (pid %d)",
                port,
                self.startup_seconds,
                proc.pid,
            )
            return f"http://{self.host}:{port}/v1"
        assert last_error is not None
        raise last_error

    async def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        delay = 0.05
        while True:
            if self._proc is not proc:
                raise EmbeddedModelError("the embedded model was stopped while starting")
            code = proc.poll()
            if code is not None:
                self._proc, self._returncode = None, code
                raise EmbeddedModelError(
                    f"the llama.cpp server exited during startup (code {code})",
                    log_tail=self.log_tail(),
                )
            if await http_status(self.host, port, "/v1/models", 1.0) == 200:
                return
            if time.monotonic() > deadline:
                tail = self.log_tail()
                await self.stop()
                raise EmbeddedModelError(
                    f"the llama.cpp server did not answer within {self.startup_timeout_s:g} s",
                    log_tail=tail,
                )
            await asyncio.sleep(delay)
            delay = min(0.5, delay * 1.5)

    def _remember_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self._kill_now)
            self._atexit_registered = True

    def _forget_atexit(self) -> None:
        if self._atexit_registered:
            atexit.unregister(self._kill_now)
            self._atexit_registered = False

    def _kill_now(self) -> None:
        """Synchronous last-resort stop for interpreter exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=min(2.0, self.stop_grace_s))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2.0)
