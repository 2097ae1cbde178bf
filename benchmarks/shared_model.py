"""One embedded model shared by several Grove processes: model processes and completion latency.

Run: ``python benchmarks/shared_model.py [--requests 20] [--pause 0.3]``

Starts three worker processes, each with its own :class:`~server.backend.ModelBackend` (as three
``grove serve`` processes have), in a fresh runtime directory, so they share one embedded model:

* ``idle`` — a third window that only keeps its lease;
* ``completer`` — asks for inline-completion-like requests (the last 40 lines before a cursor
  in the middle of a statement line of ``json/decoder.py``, 24 tokens, each position new), with
  ``--pause`` seconds between them (typing), and records each request's latency;
* a reviewer, in another process — review requests back to back, built like Grove's embedded
  reviews (60-line units of ``json/decoder.py``, the review prompt, 256 tokens, json_object):
  ``reviewer`` sends them as Grove does, as background calls (they wait while any window has a
  foreground call in flight); ``direct-reviewer`` sends them straight to the model, so only
  llama.cpp's one-request-at-a-time lock and ``interrupt_requests`` order the two windows.

Scenarios: completions alone; completions while ``reviewer`` runs; completions while
``direct-reviewer`` runs. Reports the number of llama.cpp server processes, completion latency
(median, p90, max), completions cut short by an interruption (a stream that ended without a
``finish_reason``), and the reviews done and cut short. Writes
``benchmarks/results/shared_model.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.review import review_units
from benchmarks.latency import percentile, pick_positions
from server.backend import ModelBackend
from server.llm.model_registry import read_registration
from server.llm.openai_provider import Limits
from server.llm.provider import CompletionRequest, CompletionResult
from server.review import (
    EMBEDDED_MAX_FINDINGS,
    EMBEDDED_MAX_TOKENS,
    EMBEDDED_MAX_UNIT_LINES,
    build_messages,
    response_format,
)
from server.settings import resolve_settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SOURCE = Path(json.__file__).parent / "decoder.py"


# --------------------------------------------------------------------------------------------
# Workers (one per process)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _completions(backend: ModelBackend, count: int, pause: float) -> dict[str, Any]:
    text = SOURCE.read_text("utf-8")
    latencies: list[float] = []
    truncated = failed = 0
    for offset in pick_positions(text, count):
        prefix = "\n".join(text[:offset].split("\n")[-40:])
        request = CompletionRequest(prefix, "", 24, language="python", stop=("\n\n",))
        started = time.perf_counter()
        result = await backend.complete(request)
        latencies.append(time.perf_counter() - started)
        if result is None:
            failed += 1
        elif result.finish_reason is None:
            truncated += 1
        await asyncio.sleep(pause)
    return {"latencies": latencies, "truncated": truncated, "failed": failed}


async def _reviews(backend: ModelBackend, direct: bool, stop: asyncio.Event) -> dict[str, Any]:
    text = SOURCE.read_text("utf-8")
    source = SourceDocument(text, language_for(None, str(SOURCE)))
    units = review_units(source, str(SOURCE), max_lines=EMBEDDED_MAX_UNIT_LINES)
    settings = resolve_settings({})
    fmt = response_format("auto", backend, True, EMBEDDED_MAX_FINDINGS)
    done = interrupted = failed = 0
    seconds: list[float] = []
    index = 0
    provider = await backend.provider()  # asked once: later calls would apply the priority rule
    _say({"reviewing": True})
    while not stop.is_set():
        unit = units[index % len(units)]
        index += 1
        messages = build_messages(unit, "python", str(SOURCE), EMBEDDED_MAX_FINDINGS)
        started = time.perf_counter()
        result: CompletionResult | None
        if direct:  # straight to the model: no priority rule between windows
            job = settings.endpoint_job_timeout_ms / 1000
            result = await provider.chat_result(
                messages, EMBEDDED_MAX_TOKENS, 0.0, None, fmt, Limits(job, 4 * job)
            )
        else:
            result = await backend.generate_result(
                messages,
                EMBEDDED_MAX_TOKENS,
                use_chat=True,
                stop=("\n\n\n",),
                response_format=fmt,
                background=True,
            )
        seconds.append(time.perf_counter() - started)
        if result is None:
            failed += 1
        elif result.finish_reason is None:
            interrupted += 1
        else:
            done += 1
    return {"done": done, "interrupted": interrupted, "failed": failed, "seconds": seconds}


async def _worker(role: str) -> int:
    backend = ModelBackend(resolve_settings({}), lambda _level, message: _say({"note": message}))
    await backend.provider()
    _say({"ready": True})
    stop = asyncio.Event()

    async def watch_stdin() -> None:
        while line := await asyncio.to_thread(sys.stdin.readline):
            words = line.split()
            if role == "completer" and words and words[0] == "run":
                _say(await _completions(backend, int(words[1]), float(words[2])))
        stop.set()

    watcher = asyncio.ensure_future(watch_stdin())
    try:
        if role in ("reviewer", "direct-reviewer"):
            _say(await _reviews(backend, role == "direct-reviewer", stop))
        await watcher
    finally:
        await backend.aclose()
    return 0


# --------------------------------------------------------------------------------------------
# Coordinator


class Worker:
    """A worker process and its JSON lines."""

    def __init__(self, role: str, env: dict[str, str]) -> None:
        self.role = role
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", role],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self, key: str) -> dict[str, Any]:
        """The next line that has ``key`` (notes are printed to stderr)."""
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.role} exited")
            message = json.loads(line)
            if key in message:
                return dict(message)
            print(f"[{self.role}] {message}", file=sys.stderr)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()


def _llama_servers() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "llama_cpp.server"], capture_output=True, text=True)
    return {int(pid) for pid in out.stdout.split()}


def _summary(latencies: list[float]) -> dict[str, float | int]:
    return {
        "n": len(latencies),
        "median_ms": round(statistics.median(latencies) * 1000, 1),
        "p90_ms": round(percentile(latencies, 0.9) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def measure(requests: int, pause: float) -> dict[str, Any]:
    """Run the three scenarios; returns the figures."""
    before = _llama_servers()
    run_dir = tempfile.mkdtemp(prefix="grove-bench-run-")
    env = {**os.environ, "GROVE_RUNTIME_DIR": run_dir, "GROVE_EMBEDDED_IDLE_S": "2"}
    env = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    idle = Worker("idle", env)
    idle.read("ready")
    completer = Worker("completer", env)
    completer.read("ready")
    (registration_path,) = Path(run_dir).glob("embedded-*.json")
    registration = read_registration(registration_path) or {}
    scenarios: dict[str, Any] = {}
    processes: dict[str, int] = {}

    def complete(label: str) -> None:
        completer.send(f"run {requests} {pause}")
        answer = completer.read("latencies")
        processes[label] = len(_llama_servers() - before)
        scenarios[label] = {
            **_summary(answer["latencies"]),
            "truncated": answer["truncated"],
            "failed": answer["failed"],
        }

    complete("alone")
    for role in ("reviewer", "direct-reviewer"):
        reviewer = Worker(role, env)
        reviewer.read("ready")
        reviewer.read("reviewing")
        complete(f"with {role}")
        reviewer.close()
        reviews = reviewer.read("done")
        reviewer.proc.wait(60)
        scenarios[f"with {role}"]["reviews"] = {
            "done": reviews["done"],
            "interrupted": reviews["interrupted"],
            "failed": reviews["failed"],
            "median_s": round(statistics.median(reviews["seconds"]), 2)
            if reviews["seconds"]
            else None,
        }
    for worker in (completer, idle):
        worker.close()
        worker.proc.wait(60)
    deadline = time.monotonic() + 30
    while _llama_servers() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    return {
        "requests": requests,
        "pause_s": pause,
        "file": str(SOURCE),
        "model_pid": registration.get("pid"),
        "model_processes_while_running": processes,
        "model_processes_after_exit": len(_llama_servers() - before),
        "scenarios": scenarios,
        "python": platform.python_version(),
        "machine": {"cores": os.cpu_count(), "load": os.getloadavg()},
        "versions": {name: metadata.version(name) for name in ("llama_cpp_python", "openai")},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--worker", choices=("idle", "completer", "reviewer", "direct-reviewer"))
    args = parser.parse_args()
    if args.worker:
        return asyncio.run(_worker(args.worker))
    result = measure(args.requests, args.pause)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shared_model.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print()
    print("| scenario | model processes | median | p90 | max | cut short | reviews done/cut |")
    print("|---|---|---|---|---|---|---|")
    for label, row in result["scenarios"].items():
        reviews = row.get("reviews")
        done = f"{reviews['done']}/{reviews['interrupted']}" if reviews else "-"
        print(
            f"| {label} | {result['model_processes_while_running'][label]} | "
            f"{row['median_ms']} ms | {row['p90_ms']} ms | {row['max_ms']} ms | "
            f"{row['truncated']} | {done} |"
        )
    print(f"\nmodel processes after all workers exited: {result['model_processes_after_exit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
