"""The scripted OpenAI-compatible endpoint, answering by rules from a JSON file (editor suites).

The VS Code suite (``editors/vscode/e2e``) runs in Node, so it cannot script replies in-process
as the Python tests do. It starts this module instead::

    python -m tests.support.rules_endpoint --port P --rules rules.json --log requests.jsonl

and rewrites ``rules.json`` between scenarios. The file is read again on every request::

    {"rules": [{"when": ["def add(", "<fim"], "reply": " a + b", "chunkDelay": 0.05}],
     "default": ""}

A rule matches when every string of ``when`` occurs in the request's prompt text (its
``prompt``, ``suffix`` and every chat message joined); the first match answers, streamed when
the request asks for a stream (``chunkDelay`` seconds between chunks of ``chunkSize``
characters). ``"status": 500`` answers that HTTP error instead. ``"sampled": true`` limits a
rule to requests with a temperature above 0 (the extra candidates of an explicit request),
``false`` to greedy ones. Each request is appended to
the log as one JSON line (path and prompt text), so a suite can see what Grove sent.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tests.support.scripted_openai import RecordedRequest, Reply, ScriptedOpenAI, status, text


def prompt_text(body: Any) -> str:
    """Everything a request asks the model about, as one string."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for key in ("prompt", "suffix"):
        value = body.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(str(item) for item in value)
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            parts.append(str(message.get("content", "")))
    return "\n".join(parts)


def _temperature(body: Any) -> float:
    value = body.get("temperature") if isinstance(body, dict) else None
    return float(value) if isinstance(value, (int, float)) else 0.0


class RulesResponder:
    """Answers each request from the first matching rule of a JSON file."""

    def __init__(self, rules_file: Path, log_file: Path | None) -> None:
        self.rules_file = rules_file
        self.log_file = log_file
        self._log_lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply | None:
        """The reply for one POST request."""
        asked = prompt_text(request.body)
        self._log(request, asked)
        config = self._load()
        sampled = _temperature(request.body) > 0
        for rule in config.get("rules", []):
            if rule.get("sampled", sampled) != sampled:
                continue
            if all(needle in asked for needle in rule.get("when", [])):
                return self._reply(rule)
        return text(str(config.get("default", "")))

    def _load(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.rules_file.read_text("utf-8"))
        except (OSError, ValueError) as error:
            sys.stderr.write(f"rules_endpoint: cannot read {self.rules_file}: {error}\n")
            return {}
        return loaded if isinstance(loaded, dict) else {}

    @staticmethod
    def _reply(rule: dict[str, Any]) -> Reply:
        if "status" in rule:
            return status(int(rule["status"]))
        return text(
            str(rule.get("reply", "")),
            chunk_size=int(rule.get("chunkSize", 3)),
            chunk_delay=float(rule.get("chunkDelay", 0.0)),
        )

    def _log(self, request: RecordedRequest, asked: str) -> None:
        if self.log_file is None:
            return
        line = json.dumps({"path": request.path, "prompt": asked})
        with self._log_lock, self.log_file.open("a", encoding="utf-8") as log:
            log.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model", default="scripted-model")
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--log", type=Path, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = ScriptedOpenAI(
        host=args.host,
        port=args.port,
        model_ids=(args.model,),
        responder=RulesResponder(args.rules, args.log),
    ).start()
    sys.stderr.write(f"rules endpoint on {server.base_url}\n")
    sys.stderr.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
