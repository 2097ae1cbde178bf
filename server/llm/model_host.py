"""The process that keeps the user's shared embedded model running, and stops it when unused.

Started, detached, by the first Grove server that needs the model (:mod:`server.llm.shared_model`)
as ``python -m server.llm.model_host --key KEY``. It reads its settings as one JSON line on stdin,
forks away from its starter (so that no Grove server is its parent: it outlives any of them and
none has to reap it), starts llama.cpp's server through :class:`~server.llm.local.EmbeddedModel`
(which ties the server to this process with ``PR_SET_PDEATHSIG``), reports ``{"ready": ...}`` or
``{"error": ...}`` as one JSON line on stdout, waits for the starter to close stdin once it has
registered the model (when the registration does not name this host then, the starter died:
stop), and then checks every quarter of a second:

* the server process — when it dies, its exit code goes into the registration and the host
  exits (the Grove servers restart the model, with their backoff, and report a SIGILL crash);
* the leases — once no Grove server has held one for the idle grace period, the host removes
  the registration (under the registry lock, after checking the leases once more, so that a
  Grove server that is joining keeps the model) and stops the server;
* the registration — when it names another host (a Grove server found this one stale) or is
  gone, the host stops.

SIGTERM, SIGINT and SIGHUP stop it too. Its own log goes to the model's log file with the
server's (``embedded-model.log`` in the user's state directory, kept after the host exits so
that it can be read; see :mod:`server.llm.model_registry`); stdout carries the one report line
and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.llm.local import EmbeddedModel
from server.llm.model_registry import (
    FileLock,
    ModelFiles,
    read_registration,
    remove_registration,
    write_registration,
)
from server.llm.provider import EmbeddedModelError

log = logging.getLogger("grove.model_host")

TICK_S = 0.25
REGISTER_WITHIN_S = 30.0
"""How long the host waits for its starter to register it and close stdin."""
_LOCK_WAIT_S = 2.0
_LOG_MAX_BYTES = 4 << 20


@dataclass(frozen=True)
class HostConfig:
    """What the starter tells the host (one JSON object on stdin)."""

    runtime_dir: Path
    key: str
    idle_grace_s: float
    launch: dict[str, Any]

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(
            {
                "runtime_dir": str(self.runtime_dir),
                "key": self.key,
                "idle_grace_s": self.idle_grace_s,
                "launch": self.launch,
            }
        )

    @classmethod
    def from_json(cls, line: str) -> HostConfig:
        """Parse :meth:`to_json` (ValueError when malformed)."""
        try:
            data = json.loads(line)
            return cls(
                runtime_dir=Path(str(data["runtime_dir"])),
                key=str(data["key"]),
                idle_grace_s=max(0.0, float(data["idle_grace_s"])),
                launch=dict(data["launch"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed host settings: {exc}") from None


class ModelHost:
    """Runs one llama.cpp server for the user's Grove servers until none uses it."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.files = ModelFiles(config.runtime_dir, config.key)
        self.model = EmbeddedModel.from_launch_settings(config.launch)
        self.pid = os.getpid()

    async def run(self) -> int:
        """Start the server, report to the starter, watch until it is time to stop."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        try:
            if not await self._start(stop):
                return 1
            await self._watch(stop)
            return 0
        finally:
            await self.model.stop()
            log.info("model host %d exits", self.pid)

    async def _start(self, stop: asyncio.Event) -> bool:
        starting = asyncio.ensure_future(self.model.start())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            await asyncio.wait({starting})
            _report({"error": "the embedded model host was stopped while starting"})
            return False
        try:
            url = starting.result()
        except EmbeddedModelError as error:
            _report({"error": error.reason, "returncode": self.model.returncode})
            return False
        ready = {
            "ready": True,
            "port": urlsplit(url).port,
            "pid": self.model.pid,
            "host_pid": self.pid,
            "startup_seconds": self.model.startup_seconds,
        }
        if _report(ready):
            await _stdin_closed(REGISTER_WITHIN_S, stop)
            current = read_registration(self.files.registration)
            if current is not None and current.get("host_pid") == self.pid:
                return True
        return False

    async def _watch(self, stop: asyncio.Event) -> None:
        lease = FileLock(self.files.lease)
        registry = FileLock(self.files.lock)
        idle_since: float | None = None
        try:
            while not stop.is_set():
                if not self.model.is_running():
                    code = self.model.returncode
                    log.warning("the llama.cpp server exited (code %s)", code)
                    await self._record_exit(registry, code)
                    return
                current = read_registration(self.files.registration)
                if current is None or current.get("host_pid") != self.pid:
                    log.info("the registration names another host now, or is gone; stopping")
                    return
                if lease.is_free():
                    now = time.monotonic()
                    idle_since = now if idle_since is None else idle_since
                    if now - idle_since >= self.config.idle_grace_s and await self._retire(
                        registry, lease
                    ):
                        return
                else:
                    idle_since = None
                self._bound_log()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), TICK_S)
            log.info("stop requested")
            if await registry.lock(exclusive=True, timeout_s=_LOCK_WAIT_S):
                remove_registration(self.files.registration, self.pid)
        finally:
            registry.close()
            lease.close()

    async def _retire(self, registry: FileLock, lease: FileLock) -> bool:
        """Unregister when still no Grove holds a lease (checked under the registry lock)."""
        if not await registry.lock(exclusive=True, timeout_s=_LOCK_WAIT_S):
            return False  # a Grove server is checking or starting a model: look again later
        try:
            if not lease.is_free():
                return False
            remove_registration(self.files.registration, self.pid)
            log.info("no Grove server used the model for %g s; stopping", self.config.idle_grace_s)
            return True
        finally:
            registry.unlock()

    async def _record_exit(self, registry: FileLock, code: int | None) -> None:
        """Leave the server's exit code in the registration for the Grove servers to read."""
        if not await registry.lock(exclusive=True, timeout_s=_LOCK_WAIT_S):
            return
        try:
            current = read_registration(self.files.registration)
            if current is not None and current.get("host_pid") == self.pid:
                write_registration(
                    self.files.registration, {**current, "state": "exited", "returncode": code}
                )
        finally:
            registry.unlock()

    def _bound_log(self) -> None:
        """Keep the shared log bounded (its writers append, so truncating in place is safe)."""
        path = self.model.log_path
        with contextlib.suppress(OSError):
            if path is not None and path.stat().st_size > _LOG_MAX_BYTES:
                os.truncate(path, 0)


async def _stdin_closed(timeout_s: float, stop: asyncio.Event) -> None:
    """Wait until the starter closes our stdin (or dies), at most ``timeout_s``."""
    os.set_blocking(0, False)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stop.is_set():
        try:
            if not os.read(0, 4096):
                break
        except BlockingIOError:
            await asyncio.sleep(0.02)
        except OSError:
            break
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def _report(message: dict[str, Any]) -> bool:
    """Write the one report line to the starter, then point stdout at /dev/null for good."""
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
        return True
    except OSError:  # BrokenPipeError: the starter is gone
        return False
    finally:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """``python -m server.llm.model_host --key KEY`` with the settings on stdin."""
    parser = argparse.ArgumentParser(description="Grove's shared embedded model host")
    parser.add_argument("--key", required=True, help="the model instance's key (for ps)")
    args = parser.parse_args(argv)
    try:
        config = HostConfig.from_json(sys.stdin.readline())
    except ValueError as error:
        sys.stderr.write(f"grove model host: {error}\n")
        return 2
    if config.key != args.key:
        sys.stderr.write("grove model host: --key does not match the settings\n")
        return 2
    if os.fork():
        os._exit(0)  # the starter reaps this parent at once; the host is nobody's child
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s grove-model-host[%(process)d] %(levelname)s %(message)s",
    )
    return asyncio.run(ModelHost(config).run())


if __name__ == "__main__":
    sys.exit(main())
