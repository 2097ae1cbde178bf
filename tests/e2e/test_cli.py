"""``grove complete`` against a scripted endpoint: same pipeline as the editor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import FIXTURES, server_env
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI

EXAMPLE = FIXTURES / "example" / "fibonacci.py"


def _grove(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=server_env(),
        timeout=60,
    )


def _settings(base_url: str) -> str:
    return json.dumps(
        {"endpoint": {"baseUrl": base_url}, "model": "m", "completion": {"mode": "prefix"}}
    )


def test_complete_prints_the_suggestion(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("n - 1) + fibonacci(n - 2)\n"))
    done = _grove("complete", f"{EXAMPLE}:9:22", "--settings", _settings(scripted_openai.base_url))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "n - 1) + fibonacci(n - 2)\n"
    prompt = scripted_openai.completion_requests[0].body["prompt"]
    assert prompt.endswith("# Each number is the sum of the two before it.\n    return fibonacci(")


def test_complete_json(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("n - 1) + fibonacci(n - 2)\n"))
    done = _grove(
        "complete", f"{EXAMPLE}:9:22", "--json", "--settings", _settings(scripted_openai.base_url)
    )
    answer = json.loads(done.stdout)
    assert answer["text"] == "n - 1) + fibonacci(n - 2)"
    assert answer["kind"] == "single_line"
    assert (answer["line"], answer["column"]) == (9, 22)
    assert answer["error"] is None


def test_complete_reports_an_unreachable_endpoint(closed_port_url: str) -> None:
    done = _grove("complete", f"{EXAMPLE}:9:22", "--settings", _settings(closed_port_url))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Grove:" in done.stderr


def test_complete_rejects_bad_arguments(tmp_path: Path) -> None:
    assert _grove("complete", "no-location").returncode == 2
    assert _grove("complete", f"{tmp_path / 'missing.py'}:1:1").returncode == 2
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00bad")
    done = _grove("complete", f"{binary}:1:1")
    assert done.returncode == 2 and "cannot read" in done.stderr
