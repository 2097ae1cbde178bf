"""Where the Grove servers of one user find their shared embedded model, and the locks on it.

Owns the per-user runtime directory (``$GROVE_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/grove``,
else ``grove-<uid>`` under the temp directory; created with mode 0700, and refused when another
user owns it) and the files of one model instance in it, all named by the instance's key
(:func:`model_key`: a hash of the model file's fingerprint, Grove's version and the launch
settings that matter, so only interchangeable models are shared):

* ``embedded-<key>.json`` — the registration: state, port, process ids with their start times,
  and what the key was made of; replaced atomically, only under the registry lock;
* ``embedded-<key>.lock`` — the registry lock, held while a registration is checked, replaced
  or removed;
* ``embedded-<key>.lease`` — every Grove server that uses the model holds a shared lock on it;
  the model's host sees that none is left when it can lock it exclusively;
* ``embedded-<key>.busy`` — a Grove server holds a shared lock on it while it has a foreground
  model call in flight; background calls wait until it is free;

The host's and the llama.cpp server's output go to one log shared by all instances,
``embedded-model.log`` in the user's state directory (``$XDG_STATE_HOME/grove``, else
``~/.local/state/grove``; :func:`embedded_log_path`), kept after the model stops so that it can
be found (``grove.status`` and ``:checkhealth grove`` name it), and bounded: a start moves a log
over ~1 MB to ``embedded-model.log.1`` (:func:`open_model_log`), and the host truncates it when it
grows past a few MB.

All locks are ``flock(2)`` locks: the kernel drops them when their process exits, SIGKILL
included, so a lease or a busy mark can never outlive its Grove server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.llm.provider import EmbeddedModelError

__all__ = [
    "EMBEDDED_LOG_NAME",
    "LOG_ROTATE_BYTES",
    "RUNTIME_DIR_ENV",
    "FileLock",
    "ModelFiles",
    "embedded_log_path",
    "model_fingerprint",
    "model_key",
    "open_model_log",
    "pid_alive",
    "process_start",
    "read_registration",
    "remove_registration",
    "runtime_dir",
    "state_dir",
    "write_registration",
]

RUNTIME_DIR_ENV = "GROVE_RUNTIME_DIR"
EMBEDDED_LOG_NAME = "embedded-model.log"
_SAMPLE_BYTES = 1 << 20
LOG_ROTATE_BYTES = 1 << 20
"""A model start moves a log larger than this aside (to ``embedded-model.log.1``)."""


def state_dir(env: Mapping[str, str]) -> Path:
    """The user's state directory for Grove: ``$XDG_STATE_HOME/grove``, else ``~/.local/state``."""
    xdg = env.get("XDG_STATE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "grove"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "grove"


def embedded_log_path(env: Mapping[str, str]) -> Path:
    """Where the embedded model's log is (whether or not it exists yet)."""
    return state_dir(env) / EMBEDDED_LOG_NAME


def open_model_log(path: Path) -> int:
    """Open the model's log to append (created with its directory; a big one is moved aside)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def runtime_dir(env: Mapping[str, str]) -> Path:
    """The user's private runtime directory for Grove (created when missing)."""
    override = env.get(RUNTIME_DIR_ENV)
    xdg = env.get("XDG_RUNTIME_DIR")
    if override:
        path = Path(override)
    elif xdg:
        path = Path(xdg) / "grove"
    else:
        path = Path(tempfile.gettempdir()) / f"grove-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise EmbeddedModelError(
                f"the runtime directory {path} is not a directory of this user: remove it or "
                f"set {RUNTIME_DIR_ENV} to a private directory"
            )
        if info.st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise EmbeddedModelError(
            f"cannot use the runtime directory {path} ({exc.strerror or exc}): set "
            f"{RUNTIME_DIR_ENV} to a private directory"
        ) from None
    return path


def model_fingerprint(path: Path) -> str:
    """Size, mtime and a hash of the first and last MiB: cheap, and changes with the file."""
    info = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(_SAMPLE_BYTES))
        if info.st_size > _SAMPLE_BYTES:
            handle.seek(max(_SAMPLE_BYTES, info.st_size - _SAMPLE_BYTES))
            digest.update(handle.read(_SAMPLE_BYTES))
    return f"{info.st_size}-{info.st_mtime_ns}-{digest.hexdigest()[:32]}"


def model_key(identity: Mapping[str, Any]) -> str:
    """A short stable name for everything that makes two model instances interchangeable."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ModelFiles:
    """The files of one model instance (see the module docstring)."""

    directory: Path
    key: str
    log_dir: Path | None = None
    """Where the log is (the state directory); None: the runtime directory."""

    def _named(self, suffix: str) -> Path:
        return self.directory / f"embedded-{self.key}{suffix}"

    @property
    def registration(self) -> Path:
        return self._named(".json")

    @property
    def lock(self) -> Path:
        return self._named(".lock")

    @property
    def lease(self) -> Path:
        return self._named(".lease")

    @property
    def busy(self) -> Path:
        return self._named(".busy")

    @property
    def log(self) -> Path:
        return (self.directory if self.log_dir is None else self.log_dir) / EMBEDDED_LOG_NAME


# --------------------------------------------------------------------------------------------
# The registration file


def read_registration(path: Path) -> dict[str, Any] | None:
    """The registration, None when there is none, ``{}`` when it cannot be read as one."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_registration(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the registration atomically (a reader sees the old one or the new one)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(dict(data), handle, sort_keys=True)
    os.replace(temporary, path)


def remove_registration(path: Path, host_pid: int) -> bool:
    """Remove the registration if it names ``host_pid``; True when it did."""
    current = read_registration(path)
    if current is None or current.get("host_pid") != host_pid:
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True


# --------------------------------------------------------------------------------------------
# Processes


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (Linux), else None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text("ascii", errors="replace")
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


def process_start(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, Linux), to tell it from a reused pid."""
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def pid_alive(pid: object, started: object = None) -> bool:
    """True while ``pid`` is a live process of this user, not a zombie, started at ``started``."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    fields = _proc_stat(pid)
    if fields is None:
        return not Path("/proc/self/stat").exists()  # no /proc: os.kill is all we know
    if fields[0] in ("Z", "X"):
        return False
    return started is None or (len(fields) > 19 and fields[19] == started)


def signal_process(pid: object, started: object, sig: signal.Signals, marker: str) -> bool:
    """Send ``sig`` to ``pid`` if it is the process that started at ``started`` and its command
    line contains ``marker`` (Linux only: no guessing about a reused pid); True when sent.
    """
    if not isinstance(pid, int) or started is None or not pid_alive(pid, started):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    if marker.encode() not in cmdline:
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
        return True
    return False


# --------------------------------------------------------------------------------------------
# Locks


class FileLock:
    """An ``flock(2)`` lock on one file through its own open file description.

    Two :class:`FileLock` objects on the same file exclude each other even in one process.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = False
        self._fd: int | None = None

    def try_lock(self, *, exclusive: bool) -> bool:
        """Take the lock without waiting; False when a conflicting lock is held."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    async def lock(self, *, exclusive: bool, timeout_s: float, poll_s: float = 0.05) -> bool:
        """Take the lock, waiting at most ``timeout_s``; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while not self.try_lock(exclusive=exclusive):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll_s)
        return True

    def is_free(self) -> bool:
        """True when nobody holds the lock (probes with an exclusive lock, released at once)."""
        if not self.try_lock(exclusive=True):
            return False
        self.unlock()
        return True

    def unlock(self) -> None:
        """Release the lock (the file stays open)."""
        if self._fd is not None and self.held:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        """Release the lock and close the file; safe to repeat."""
        self.unlock()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
