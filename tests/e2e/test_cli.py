"""``grove complete`` against a scripted endpoint: same pipeline as the editor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import FIXTURES, server_env
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import RecordedRequest, ScriptedOpenAI

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
    # The error once, and nothing after it that says otherwise ("no suggestion at this position").
    assert done.stderr.splitlines() == [
        f"Grove: Cannot reach the model endpoint at {closed_port_url}: is the server running?"
    ]


def test_a_base_url_without_a_scheme_is_an_error_not_the_embedded_model() -> None:
    settings = json.dumps({"endpoint": {"baseUrl": "localhost:11434"}, "model": "m"})
    for command in (("complete", f"{EXAMPLE}:9:22"), ("review", str(EXAMPLE))):
        done = _grove(*command, "--settings", settings)
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            "grove: grove.endpoint.baseUrl 'localhost:11434' has no scheme: "
            "use http://localhost:11434/v1"
        ]


def test_a_404_from_a_base_url_without_v1_suggests_v1(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.responder = lambda request: replies.html_error(404)
    root = scripted_openai.root_url
    done = _grove("complete", f"{EXAMPLE}:9:22", "--settings", _settings(root))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "HTTP 404" in line
    assert line.endswith(f"grove.endpoint.baseUrl is {root}, did you mean {root}/v1?")


def test_complete_rejects_bad_arguments(tmp_path: Path) -> None:
    assert _grove("complete", "no-location").returncode == 2
    assert _grove("complete", f"{tmp_path / 'missing.py'}:1:1").returncode == 2
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00bad")
    done = _grove("complete", f"{binary}:1:1")
    assert done.returncode == 2 and "cannot read" in done.stderr


def _chat_settings(base_url: str) -> str:
    return json.dumps(
        {"endpoint": {"baseUrl": base_url}, "model": "m", "completion": {"mode": "chat"}}
    )


def test_explain_prints_the_markdown_for_the_definition_at_a_line(
    scripted_openai: ScriptedOpenAI,
) -> None:
    answer = "`main` prints the first ten Fibonacci numbers.\n\nIt loops over `range(10)`."
    scripted_openai.script(replies.text(answer))
    settings = _chat_settings(scripted_openai.base_url)
    done = _grove("explain", f"{EXAMPLE}:14", "--settings", settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout == answer + "\n"
    prompt = scripted_openai.requests[0].body["messages"][-1]["content"]
    assert "def main() -> None:\n    for i in range(10):" in prompt
    assert "def fibonacci(n: int) -> int:" in prompt  # a definition main uses


def test_explain_json_for_a_range_past_the_end(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.script(replies.text("It defines `main`. <img src=http://x/y.png>"))
    settings = _chat_settings(scripted_openai.base_url)
    done = _grove("explain", f"{EXAMPLE}:12-99", "--json", "--settings", settings)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["start"], answer["end"]) == (12, 14)
    assert answer["subject"] == "selection"
    assert answer["markdown"] == "It defines `main`."  # the remote image is gone
    assert answer["summary"] == "It defines main."
    prompt = scripted_openai.requests[0].body["messages"][-1]["content"]
    assert "print(i, fibonacci(i))" in prompt


def test_explain_refuses_secret_files_and_bad_ranges(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    settings = _chat_settings(scripted_openai.base_url)
    secret = tmp_path / "credentials.py"
    secret.write_text("TOKEN = 'sk-do-not-send'\n")
    done = _grove("explain", f"{secret}:1", "--settings", settings)
    assert done.returncode == 1 and "secret file" in done.stderr
    assert _grove("explain", f"{EXAMPLE}:99", "--settings", settings).returncode == 2
    assert _grove("explain", f"{EXAMPLE}:5-2", "--settings", settings).returncode == 2
    spaced = tmp_path / "spaced.py"
    spaced.write_text("x = 1\n\n\ny = 2\n")
    blank = _grove("explain", f"{spaced}:2", "--settings", settings)
    assert blank.returncode == 1 and "Nothing to explain here" in blank.stderr
    assert scripted_openai.requests == []


def test_explain_reports_an_unreachable_endpoint(closed_port_url: str) -> None:
    done = _grove("explain", f"{EXAMPLE}:5", "--settings", _chat_settings(closed_port_url))
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()  # the endpoint error once, inside the final line
    assert "could not get an explanation" in line and "Cannot reach" in line


def _review_reply(request: RecordedRequest) -> replies.Reply:
    """A finding in fibonacci, a hallucinated one, nothing for the other units."""
    content = request.body["messages"][-1]["content"] if isinstance(request.body, dict) else ""
    if "def fibonacci" not in content:
        return replies.text('{"findings": []}')
    return replies.text(
        json.dumps(
            {
                "findings": [
                    {
                        "line": "if n < 2:",
                        "category": "risk",
                        "message": "Negative n is returned as is.",
                        "suggestion": "Raise ValueError for n < 0.",
                    },
                    {"line": "return memo[n]", "category": "bug", "message": "Invented."},
                ]
            }
        )
    )


def test_review_prints_anchored_findings(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.responder = _review_reply
    done = _grove("review", str(EXAMPLE), "--settings", _chat_settings(scripted_openai.base_url))
    assert done.returncode == 0, done.stderr
    row = EXAMPLE.read_text().splitlines().index("    if n < 2:")
    assert done.stdout == (
        f"{EXAMPLE}:{row + 1}:5: information [risk] Negative n is returned as is. "
        "(suggestion: Raise ValueError for n < 0.)\n"
    )
    assert "1 findings, 1 dropped" in done.stderr


def test_review_json(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.responder = _review_reply
    settings = json.dumps(
        {
            "endpoint": {"baseUrl": scripted_openai.base_url},
            "model": "m",
            "completion": {"mode": "chat"},
            "review": {"severity": {"risk": "error"}},
        }
    )
    done = _grove("review", str(EXAMPLE), "--json", "--settings", settings)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    (found,) = answer["findings"]
    assert found["severity"] == "error" and found["unit"] == "fibonacci"
    assert found["quote"] == "if n < 2:"
    assert answer["requested"] == answer["units"] == len(scripted_openai.requests)
    assert answer["dropped"] == ["quote not found"]


def test_review_refuses_secret_and_generated_files(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    settings = _chat_settings(scripted_openai.base_url)
    secret = tmp_path / "credentials.py"
    secret.write_text("TOKEN = 'sk-do-not-send'\n")
    done = _grove("review", str(secret), "--settings", settings)
    assert done.returncode == 1 and "secret file" in done.stderr
    generated = tmp_path / "model_pb2.py"
    generated.write_text("X = 1\n")
    done = _grove("review", str(generated), "--settings", settings)
    assert done.returncode == 1 and "generated" in done.stderr
    assert scripted_openai.requests == []


def test_review_reports_an_unreachable_endpoint(closed_port_url: str) -> None:
    done = _grove("review", str(EXAMPLE), "--json", "--settings", _chat_settings(closed_port_url))
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["findings"] == [] and answer["failed"] == answer["units"]
    assert answer["error"]


def test_review_says_the_model_could_not_be_reached(closed_port_url: str) -> None:
    done = _grove("review", str(EXAMPLE), "--settings", _chat_settings(closed_port_url))
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"grove: {EXAMPLE} was not reviewed: no model answer for any of its")
    assert "Cannot reach the model endpoint" in line
    assert "0 findings" not in done.stderr
