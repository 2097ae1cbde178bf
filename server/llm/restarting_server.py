"""Restarting a model server that may die: one start at a time, bounded restarts with backoff.

:class:`RestartingServer` is the ``start``/``ensure_running`` half shared by the embedded model
run as this process's child (:class:`~server.llm.local.EmbeddedModel`) and the one shared
through a model host (:class:`~server.llm.shared_model.SharedModel`); :class:`RestartPolicy`
decides when a dead server may start again.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import signal
import time
from collections.abc import Callable

from server.llm.provider import EmbeddedModelError

log = logging.getLogger(__name__)

__all__ = ["LOG_TAIL_BYTES", "RestartPolicy", "RestartingServer"]

LOG_TAIL_BYTES = 1500
"""How much of a server's log error messages quote."""


class RestartPolicy:
    """When a dead server may start again: never after SIGILL, with backoff, a bounded number."""

    def __init__(self, max_restarts: int, window_s: float) -> None:
        self.max_restarts = max_restarts
        self.window_s = window_s
        self._times: list[float] = []

    def delay(self, returncode: int | None, log_tail: Callable[[], str]) -> float:
        """Seconds to wait before the next start; :class:`EmbeddedModelError` when none may."""
        if returncode == -signal.SIGILL:
            raise EmbeddedModelError(
                "llama.cpp crashed on a CPU instruction this machine cannot run; rebuild it "
                "for a portable baseline: CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX=ON "
                "-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON' pip install "
                "--force-reinstall --no-cache-dir 'llama-cpp-python[server]'",
                log_tail=log_tail(),
            )
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < self.window_s]
        if len(self._times) >= self.max_restarts:
            raise EmbeddedModelError(
                f"the llama.cpp server keeps exiting ({len(self._times)} restarts "
                f"in {self.window_s:g} s)",
                log_tail=log_tail(),
            )
        return min(8.0, 0.5 * 2.0 ** len(self._times))

    def record(self) -> None:
        """A restart happens now."""
        self._times.append(time.monotonic())


class RestartingServer(abc.ABC):
    """``start``/``ensure_running`` for a model server that may die.

    One start at a time (concurrent callers share it); after a death, a restart only as
    :class:`RestartPolicy` allows (never after SIGILL, with backoff, a bounded number).
    Subclasses bring the server up and tell how the last one exited.
    """

    def __init__(self, restart_policy: RestartPolicy) -> None:
        self.restart_policy = restart_policy
        self.restarts = 0
        self._lock = asyncio.Lock()
        self._wanted = False

    @property
    @abc.abstractmethod
    def base_url(self) -> str | None:
        """The server's ``/v1`` URL while it runs."""

    @property
    @abc.abstractmethod
    def pid(self) -> int | None:
        """The server's process id while it runs."""

    @abc.abstractmethod
    def is_running(self) -> bool:
        """True while the server process is alive."""

    @abc.abstractmethod
    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        """The end of the server's log (for error messages)."""

    @abc.abstractmethod
    async def _bring_up(self) -> str:
        """Start (or find) a server; its base URL."""

    @abc.abstractmethod
    async def _exit_code(self) -> int | None:
        """How the server that died exited, when known."""

    def restart_needed(self) -> bool:
        """True when the server was started, not stopped, and its process has died."""
        return self._wanted and not self.is_running()

    async def start(self) -> str:
        """Start the server (once, even when called concurrently); returns its base URL."""
        async with self._lock:
            url = self.base_url
            if url is not None:
                return url
            self._wanted = True
            return await self._bring_up()

    async def ensure_running(self) -> str:
        """The base URL, restarting a dead server with backoff (bounded restarts per window)."""
        async with self._lock:
            url = self.base_url
            if url is not None:
                return url
            if not self._wanted:
                self._wanted = True
                return await self._bring_up()
            code = await self._exit_code()
            delay = self.restart_policy.delay(code, self.log_tail)
            log.warning("embedded model exited (code %s); restarting in %.1f s", code, delay)
            await asyncio.sleep(delay)
            self.restart_policy.record()
            self.restarts += 1
            return await self._bring_up()
