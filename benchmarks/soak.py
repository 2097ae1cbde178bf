"""Soak: many edits, completions and open/close cycles against ``grove serve`` over stdio.

Run: ``python benchmarks/soak.py [--edits 10000] [--completions 2000] [--documents 200]``

Drives the real server (``python -m server serve``) over stdio against the scripted
OpenAI-compatible server on loopback, and measures the server process itself: resident memory
(``VmRSS`` in ``/proc/PID/status``), open file descriptors (``/proc/PID/fd``), threads, and
what ``grove.status`` reports as in flight. The baseline is taken after a warm-up (a few
completions, one document opened and closed), so lazily built caches and imports count as
baseline, not as growth. Writes ``benchmarks/results/soak.json`` and prints a summary.

``tests/e2e/test_soak.py`` runs a small version of :func:`soak` and asserts no descriptor leak
and nothing left in flight (not memory: that is this script's figure).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.test_jsonrpc_fuzz import RawLsp
from tests.support.scripted_openai import ScriptedOpenAI, text

RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"
MAIN_URI = "file:///tmp/grove-soak/main.py"
MAIN_TEXT = "import math\n\n\ndef area(radius):\n    return \n"


def process_figures(pid: int) -> dict[str, int]:
    """RSS (KiB), open descriptors and threads of a process, from /proc."""
    figures = {"rss_kib": 0, "threads": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            figures["rss_kib"] = int(line.split()[1])
        elif line.startswith("Threads:"):
            figures["threads"] = int(line.split()[1])
    figures["fds"] = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    return figures


def _status(client: RawLsp) -> dict[str, Any]:
    response = client.request("workspace/executeCommand", {"command": "grove.status"})
    result: dict[str, Any] = response["result"]
    return result


def _complete(client: RawLsp, uri: str, line: int, character: int) -> bool:
    """One inline completion; True when it returned an item."""
    response = client.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 2},
        },
    )
    result = response.get("result") or {}
    items = result.get("items", []) if isinstance(result, dict) else result
    return bool(items)


def _open(client: RawLsp, uri: str, body: str) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": body}},
    )


def _close(client: RawLsp, uri: str) -> None:
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def _set_line(client: RawLsp, uri: str, version: int, line: int, old: str, new: str) -> None:
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": line, "character": 0},
                        "end": {"line": line, "character": len(old)},
                    },
                    "text": new,
                }
            ],
        },
    )


def soak(edits: int, completions: int, documents: int, *, verbose: bool = False) -> dict[str, Any]:
    """Run the soak and return its figures (baseline, after, per-phase seconds)."""
    with ScriptedOpenAI(default=text("radius * radius\n")) as endpoint:
        client = RawLsp()
        try:
            client.initialize(
                {
                    "endpoint": {"baseUrl": endpoint.base_url},
                    "model": "scripted-model",
                    "completion": {"mode": "prefix", "debounceMs": 0},
                    "context": {"crossFile": False},
                    "review": {"trigger": "manual"},
                }
            )
            pid = client.proc.pid
            # Warm-up: everything lazily built once counts as baseline.
            _open(client, MAIN_URI, MAIN_TEXT)
            line = "    return "
            for i in range(20):
                new = f"    return v{i} + "
                _set_line(client, MAIN_URI, i + 2, 4, line, new)
                line = new
                _complete(client, MAIN_URI, 4, len(line))
            _open(client, "file:///tmp/grove-soak/warm.py", MAIN_TEXT)
            _close(client, "file:///tmp/grove-soak/warm.py")
            _status(client)
            baseline = process_figures(pid)
            warm_requests = len(endpoint.completion_requests)
            timings: dict[str, float] = {}

            started = time.monotonic()
            every = max(1, edits // max(completions, 1))
            version = 100
            shown = done = 0
            timeline = [baseline["rss_kib"]]
            for i in range(edits):
                if i and i % max(1, edits // 10) == 0:
                    timeline.append(process_figures(pid)["rss_kib"])
                new = f"    return v{i % 997} + "
                version += 1
                _set_line(client, MAIN_URI, version, 4, line, new)
                line = new
                if i % every == every - 1 and done < completions:
                    shown += _complete(client, MAIN_URI, 4, len(line))
                    done += 1
            while done < completions:
                shown += _complete(client, MAIN_URI, 4, len(line))
                done += 1
            timings["edits_and_completions_s"] = round(time.monotonic() - started, 2)

            started = time.monotonic()
            for n in range(documents):
                uri = f"file:///tmp/grove-soak/doc{n}.py"
                _open(client, uri, MAIN_TEXT.replace("area", f"area{n}"))
                shown += _complete(client, uri, 4, 11)
                _close(client, uri)
            timings["open_close_s"] = round(time.monotonic() - started, 2)

            status = _status(client)
            after = process_figures(pid)
            upstream = len(endpoint.completion_requests) - warm_requests
        finally:
            client.close()
    growth = (after["rss_kib"] - baseline["rss_kib"]) / max(baseline["rss_kib"], 1)
    result = {
        "edits": edits,
        "completions": completions,
        "documents": documents,
        "completions_with_an_item": shown,
        "upstream_requests": upstream,
        "baseline": baseline,
        "after": after,
        "rss_growth_percent": round(100 * growth, 1),
        "rss_kib_every_tenth_of_the_edits": timeline,
        "fd_growth": after["fds"] - baseline["fds"],
        "thread_growth": after["threads"] - baseline["threads"],
        "status_after": {
            key: status.get(key)
            for key in ("documents", "inFlight", "pendingHandlers", "reviewInFlight", "reviewQueue")
        },
        "seconds": timings,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if verbose:
        print(json.dumps(result, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=2_000)
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args(argv)
    result = soak(args.edits, args.completions, args.documents)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = result["rss_growth_percent"] <= 20 and result["fd_growth"] <= 0
    print("PASS" if ok else "FAIL: RSS grew more than 20 % or descriptors leaked")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
