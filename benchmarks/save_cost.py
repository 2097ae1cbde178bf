"""What one file save costs on the embedded model: a review on every save, or the ``auto`` default.

Run: ``python -m benchmarks.save_cost [--file PATH] [--saves N] [--interval S] [--json PATH]``

For each setting -- ``{"review": {"trigger": "onSave"}}`` (before: every save started an LLM
review) and the default ``grove.review.trigger: "auto"`` (after: ``manual`` on the embedded model,
``onSave`` with an endpoint) -- starts a real ``grove serve`` over stdio as an editor would, with
the settings as ``initializationOptions`` and no endpoint, so Grove starts the embedded
SmolLM2-135M (llama.cpp) itself. Each run has its own ``GROVE_RUNTIME_DIR`` and
``XDG_STATE_HOME``, so it starts a model of its own and shares it with no other process, and an
empty ``GROVE_DISCOVERY_PORTS``, so no model server found on loopback replaces the model. The
client opens the file (default: the running interpreter's ``textwrap.py``) and warms the model
before the measured window: it waits for the model's registration to be ``ready``, sends one
inline completion, and waits until Grove is idle and the model's processes are quiet (the first
request of a fresh model may time out in Grove while llama.cpp goes on evaluating its prompt).
Then it sends ``didSave`` ``--saves`` times, ``--interval`` seconds apart, with a one-line edit
(``didChange``: a comment appended to the ``return`` line nearest the middle of the file) before
every save but the first, and polls ``grove.status`` until the server is idle (``reviewQueue``,
``reviewInFlight`` and ``modelCalls`` all 0 in three polls in a row, at most ``--max-wait``
seconds) and then until the model's processes used at most 0.05 CPU seconds in a second.

Measured from the first save: wall seconds to Grove's idle (and from the last save), and to the
model's quiet; CPU seconds (user + system, from ``/proc/PID/stat``) up to the model's quiet, of
the Grove server and its descendants and of the embedded model (the llama.cpp server and its
detached host, found through the run's registration: they are not the server's children);
model requests (``reviewRequests`` and ``requests`` from ``grove.status``); the
``publishDiagnostics`` notifications and the diagnostics in the last one. Writes
``benchmarks/results/save_cost.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import platform
import queue
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.soak import _complete, _open, _set_line, _status
from server import __version__
from server.llm.embedded_install import embedded_model_path
from server.llm.model_registry import RUNTIME_DIR_ENV, _proc_stat, pid_alive, read_registration
from server.llm.shared_model import IDLE_GRACE_ENV
from tests.e2e.test_jsonrpc_fuzz import RawLsp

RESULTS = Path(__file__).resolve().parent / "results" / "save_cost.json"
DEFAULT_FILE = Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py"
SETTINGS: dict[str, dict[str, Any]] = {
    "before: trigger onSave": {"review": {"trigger": "onSave"}},
    "after: trigger auto (default)": {},
}
PUBLISH = "textDocument/publishDiagnostics"
DISCOVERY_PORTS_ENV = "GROVE_DISCOVERY_PORTS"
POLL_S = 0.5
IDLE_POLLS = 3
QUIET_CPU_S = 0.05
"""The model is quiet when it used at most this much CPU in one second."""
STARTUP_TIMEOUT_S = 300.0
_TICKS = os.sysconf("SC_CLK_TCK")


class _Recorder(queue.Queue[dict[str, Any]]):
    """The client's message queue, noting every ``publishDiagnostics`` as it arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[float, dict[str, Any]]] = []

    def put(self, item: dict[str, Any], block: bool = True, timeout: float | None = None) -> None:
        if item.get("method") == PUBLISH:
            self.published.append((time.monotonic(), dict(item.get("params") or {})))
        super().put(item, block, timeout)


class Editor(RawLsp):
    """``grove serve`` on pipes that keeps the diagnostics it publishes."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env=env)
        # Nothing arrives before initialize, so no message is lost by the swap.
        self.recorder = _Recorder()
        self.messages = self.recorder


# --------------------------------------------------------------------------------------------
# Processes


def _family(roots: Iterable[int]) -> set[int]:
    """``roots`` that are alive and all their descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields is not None and len(fields) > 1:
                parents[int(entry.name)] = int(fields[1])
    family = {pid for pid in roots if pid in parents}
    while True:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        if not more:
            return family
        family |= more


def _cpu_ticks(pid: int) -> int | None:
    """User + system clock ticks of ``pid`` and its reaped children; None once it is gone."""
    fields = _proc_stat(pid)
    if fields is None or len(fields) < 15:
        return None
    return sum(int(value) for value in fields[11:15])


class CpuMeter:
    """CPU seconds of process families between :meth:`start` and :meth:`stop`."""

    def __init__(self, roots: dict[str, list[int]]) -> None:
        self.roots = roots
        self._start: dict[int, int] = {}
        self.gone: list[int] = []

    def _sample(self) -> dict[str, dict[int, int]]:
        out: dict[str, dict[int, int]] = {}
        for role, pids in self.roots.items():
            ticks = {pid: _cpu_ticks(pid) for pid in _family(pids)}
            out[role] = {pid: value for pid, value in ticks.items() if value is not None}
        return out

    def start(self) -> None:
        self._start = {
            pid: value for family in self._sample().values() for pid, value in family.items()
        }

    def stop(self) -> dict[str, Any]:
        end = self._sample()
        seen = {pid for family in end.values() for pid in family}
        self.gone = sorted(set(self._start) - seen)
        seconds = {
            role: round(
                sum(value - self._start.get(pid, 0) for pid, value in family.items()) / _TICKS, 2
            )
            for role, family in end.items()
        }
        return {
            "cpu_s": seconds,
            "cpu_s_total": round(sum(seconds.values()), 2),
            "processes": {role: sorted(family) for role, family in end.items()},
            "processes_gone_during_window": self.gone,
        }


def _registration(run_dir: Path, timeout: float) -> dict[str, Any]:
    """The run's model registration once it is ``ready`` (the model answers HTTP)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in run_dir.glob("embedded-*.json"):
            registration = read_registration(path)
            if registration and registration.get("state") == "ready":
                return registration
        time.sleep(0.2)
    raise RuntimeError(f"the embedded model did not register in {run_dir} within {timeout:g} s")


# --------------------------------------------------------------------------------------------
# One run


def _edit_line(text: str) -> int:
    """The ``return`` line nearest the middle of the file (0-based), else the middle line."""
    lines = text.split("\n")
    middle = len(lines) // 2
    try:
        returns = [n.lineno - 1 for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Return)]
    except SyntaxError:
        returns = []
    candidates = [n for n in returns if lines[n].strip().startswith("return")]
    if not candidates:
        candidates = [n for n, line in enumerate(lines) if line.strip()] or [0]
    return min(candidates, key=lambda n: abs(n - middle))


def _is_idle(status: dict[str, Any]) -> bool:
    return not (status["reviewQueue"] or status["reviewInFlight"] or status["modelCalls"])


def _wait_idle(client: Editor, limit_s: float) -> tuple[float, dict[str, Any], bool]:
    """Poll ``grove.status`` until idle ``IDLE_POLLS`` times in a row; (when, status, idle)."""
    deadline = time.monotonic() + limit_s
    streak = 0
    idle_since = time.monotonic()
    while True:
        polled = time.monotonic()
        status = _status(client)
        if _is_idle(status):
            if streak == 0:
                idle_since = polled
            streak += 1
            if streak >= IDLE_POLLS:
                return idle_since, status, True
        else:
            streak = 0
        if polled > deadline:
            return polled, status, False
        time.sleep(POLL_S)


def _wait_quiet(pids: list[int], limit_s: float) -> float:
    """When the model processes used at most :data:`QUIET_CPU_S` in a second (llama.cpp goes on
    evaluating a prompt after its client gave up on it, so Grove's idle is not the model's)."""
    deadline = time.monotonic() + limit_s
    family = _family(pids)
    while True:
        since = time.monotonic()
        before = sum(_cpu_ticks(pid) or 0 for pid in family)
        time.sleep(1.0)
        used = (sum(_cpu_ticks(pid) or 0 for pid in family) - before) / _TICKS
        if used <= QUIET_CPU_S or since > deadline:
            return since


def _counters(status: dict[str, Any]) -> dict[str, int]:
    return {
        "review_requests": int(status["reviewRequests"]),
        "model_requests": int(status["requests"]),
    }


def run_one(
    label: str, options: dict[str, Any], path: Path, saves: int, interval: float, max_wait: float
) -> dict[str, Any]:
    """Start a server with ``options``, warm its model, save ``saves`` times; the figures."""
    run_dir = Path(tempfile.mkdtemp(prefix="grove-save-cost-run-"))
    state_dir = Path(tempfile.mkdtemp(prefix="grove-save-cost-state-"))
    env = {
        RUNTIME_DIR_ENV: str(run_dir),
        "XDG_STATE_HOME": str(state_dir),
        IDLE_GRACE_ENV: "2",
        # Probe no loopback port for a model server (Ollama, llama.cpp, ...): the embedded model
        # only, even while another process listens on a well-known port.
        DISCOVERY_PORTS_ENV: "",
    }
    text = path.read_text("utf-8")
    uri = path.as_uri()
    row = _edit_line(text)
    original_line = text.split("\n")[row]
    client = Editor(env)
    registration: dict[str, Any] = {}
    try:
        started = time.monotonic()
        client.initialize({"grove": options})
        _open(client, uri, text)
        # Warm-up, outside the window: the model starts, loads, and answers once.
        registration = _registration(run_dir, STARTUP_TIMEOUT_S)
        warm_answered = _complete(client, uri, row, len(original_line))
        _, warm_status, _ = _wait_idle(client, max_wait)
        model = [registration["pid"], registration["host_pid"]]
        _wait_quiet(model, max_wait)
        warmup_s = time.monotonic() - started
        if not warm_status.get("embedded"):
            raise RuntimeError(f"not on the embedded model: {warm_status.get('target')}")
        meter = CpuMeter({"grove_server": [client.proc.pid], "model": model})
        before = _counters(warm_status)
        published_before = len(client.recorder.published)
        version = 1
        line = original_line
        meter.start()
        first_save = time.monotonic()
        last_save = first_save
        for n in range(saves):
            if n:
                time.sleep(interval)
                version += 1
                new = f"{original_line}  # edit {n}"
                _set_line(client, uri, version, row, line, new)
                line = new
            last_save = time.monotonic()
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        idle_at, status, idle = _wait_idle(client, max_wait)
        quiet_at = max(idle_at, _wait_quiet(model, max_wait))
        cpu = meter.stop()
        after = _counters(status)
        published = [params for _, params in client.recorder.published[published_before:]]
        last_count = len(published[-1].get("diagnostics", [])) if published else 0
        model_alive = pid_alive(registration["pid"], registration.get("pid_start"))
        if not status.get("embedded"):
            raise RuntimeError(f"the target changed during the run: {status.get('target')}")
    finally:
        client.close()
    _wait_model_exit(registration)
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(state_dir, ignore_errors=True)
    return {
        "label": label,
        "settings": options,
        "review_on_save": status.get("reviewOnSave"),
        "target": status.get("target"),
        "target_origin": status.get("origin"),
        "warmup_s": round(warmup_s, 2),
        "warmup_completion_answered": warm_answered,
        "warmup_last_error": warm_status.get("lastError"),
        "model_startup_s": registration.get("startup_seconds"),
        "saves": saves,
        "edit_line": row + 1,
        "wall_s_first_save_to_idle": round(idle_at - first_save, 2),
        "wall_s_last_save_to_idle": round(idle_at - last_save, 2),
        "wall_s_first_save_to_model_quiet": round(quiet_at - first_save, 2),
        "reached_idle": idle,
        **cpu,
        "review_requests": after["review_requests"] - before["review_requests"],
        "model_requests": after["model_requests"] - before["model_requests"],
        "publish_diagnostics_notifications": len(published),
        "diagnostics_in_last_publish": last_count,
        "review_last_error": status.get("reviewLastError"),
        "model_process_alive_at_end": model_alive,
        "load_after": os.getloadavg(),
    }


def _wait_model_exit(registration: dict[str, Any], timeout: float = 30.0) -> None:
    """Let the run's model stop (its idle grace) before the next run starts its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(
            pid_alive(registration.get(key), registration.get(start))
            for key, start in (("pid", "pid_start"), ("host_pid", "host_start"))
        ):
            return
        time.sleep(0.2)


# --------------------------------------------------------------------------------------------
# Report


def _model_hash() -> str | None:
    model_path = embedded_model_path()
    return hashlib.sha256(model_path.read_bytes()).hexdigest()[:16] if model_path else None


def measure(path: Path, saves: int, interval: float, max_wait: float) -> dict[str, Any]:
    """Both runs, with the machine, versions and model hash."""
    load_before = os.getloadavg()
    runs = []
    for label, options in SETTINGS.items():
        print(f"{label}: starting grove serve ...", file=sys.stderr)
        runs.append(run_one(label, options, path, saves, interval, max_wait))
        print(json.dumps(runs[-1], indent=2), file=sys.stderr)
    text = path.read_text("utf-8")
    return {
        "file": str(path),
        "file_lines": text.count("\n") + (not text.endswith("\n")),
        "file_sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
        "saves": saves,
        "interval_s": interval,
        "window": (
            "from the first didSave to idle (reviewQueue, reviewInFlight and modelCalls 0 in "
            f"{IDLE_POLLS} grove.status polls {POLL_S:g} s apart) and then to the model's quiet "
            f"(at most {QUIET_CPU_S:g} CPU s in a second); the embedded model's start-up and one "
            "warm-up inline completion happen before the window and are not counted"
        ),
        "runs": runs,
        "python": platform.python_version(),
        "grove": __version__,
        "machine": {
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "versions": {
            name: metadata.version(name) for name in ("llama_cpp_python", "pygls", "lsprotocol")
        },
        "model": {"file": str(embedded_model_path()), "sha256": _model_hash()},
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| setting | review on save | wall s (first save → idle) | CPU s server | "
        "CPU s model | CPU s total | model requests (reviews) | diagnostics published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['label']} | {run['review_on_save']} | {run['wall_s_first_save_to_idle']} | "
            f"{run['cpu_s']['grove_server']} | {run['cpu_s']['model']} | {run['cpu_s_total']} | "
            f"{run['model_requests']} ({run['review_requests']}) | "
            f"{run['publish_diagnostics_notifications']} notifications, "
            f"{run['diagnostics_in_last_publish']} in the last |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between saves")
    parser.add_argument("--max-wait", type=float, default=900.0, help="bound on the wait for idle")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = measure(args.file.resolve(), args.saves, args.interval, args.max_wait)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))
    print()
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
