"""``grove bench`` as a user runs it: the real CLI on a small repository, a real HTTP endpoint.

The scripted endpoint answers like an oracle (the code that really follows the prompt in the
repository), so the scores are known to be high; it records every request, so the tests can see
which files reached it and which settings each variant sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import server_env
from tests.support import scripted_openai as replies
from tests.support.bench_repo import EXCLUDE, GOOD_FILES, MARKERS, make_repo
from tests.support.scripted_openai import RecordedRequest, Reply, ScriptedOpenAI

COLUMNS = (
    "| variant | model | n | exact match % | edit similarity | parseable % | empty % "
    "| latency p50 ms | latency p95 ms |"
)


def _grove(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "bench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env if env is not None else server_env(),
        timeout=300,
    )


def _settings(base_url: str) -> str:
    return json.dumps(
        {
            "endpoint": {"baseUrl": base_url},
            "model": "m",
            "completion": {"mode": "prefix"},
            "context": {"exclude": [EXCLUDE]},
        }
    )


def _oracle(repo: Path) -> ScriptedOpenAI:
    """An endpoint answering with what follows the prompt's last 60 characters in the repo."""
    texts = [(repo / name).read_text("utf-8") for name in GOOD_FILES]

    def respond(request: RecordedRequest) -> Reply | None:
        prompt = request.body.get("prompt") if isinstance(request.body, dict) else None
        if not isinstance(prompt, str):
            return None
        tail = prompt[-60:]
        for text in texts:
            found = text.find(tail)
            if found >= 0:
                return replies.text(text[found + len(tail) : found + len(tail) + 300])
        return replies.text("")

    return ScriptedOpenAI(responder=respond).start()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    make_repo(root)
    return root


@pytest.fixture
def oracle(repo: Path) -> Iterator[ScriptedOpenAI]:
    server = _oracle(repo)
    try:
        yield server
    finally:
        server.close()


def _sent(server: ScriptedOpenAI) -> str:
    return json.dumps([request.body for request in server.requests])


def test_bench_measures_the_model_on_your_own_code(repo: Path, oracle: ScriptedOpenAI) -> None:
    done = _grove(
        repo, "--tasks", "8", "--json", "result.json", "--settings", _settings(oracle.base_url)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "8 tasks from 4 files under . (seed 0)"
    assert COLUMNS in lines
    (row,) = [line for line in lines if line.startswith("| current |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == f"m @ {oracle.base_url} (prefix)"
    assert cells[2] == "8"
    assert float(cells[3]) >= 50  # the oracle knows the code: most answers are exact
    assert float(cells[4]) >= 80
    # Progress on stderr: one line per task, "[3/8] path:line kind  ES 62 ...".
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and progress[0].startswith("[1/8] ")
    assert "4 files used (2 javascript, 2 python)" in done.stderr
    assert "skipped by Grove's rules" in done.stderr
    # Nothing Grove must not send reached the endpoint; every task is from an allowed file.
    assert len(oracle.requests) == 8
    sent = _sent(oracle)
    assert [marker for marker in MARKERS.values() if marker in sent] == []
    result = json.loads((repo / "result.json").read_text("utf-8"))
    assert {task["path"] for task in result["tasks"]} <= set(GOOD_FILES)
    assert result["summary"][0]["n"] == 8 and result["meta"]["tasks"] == 8
    plot = ElementTree.parse(repo / "grove-bench.svg").getroot()
    assert plot.tag == "{http://www.w3.org/2000/svg}svg"


def test_compare_runs_every_variant_on_the_same_tasks(repo: Path, oracle: ScriptedOpenAI) -> None:
    plot = repo / "out" / "plot.svg"
    plot.parent.mkdir()
    done = _grove(
        repo,
        "--tasks",
        "6",
        "--seed",
        "3",
        "--plot",
        str(plot),
        "--compare",
        "context.budgetTokens=64",
        "--compare",
        "context.budgetTokens=1024,completion.maxTokens=24",
        "--settings",
        _settings(oracle.base_url),
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| context.")]
    assert [row.split("|")[1].strip() for row in rows[:2]] == [
        "context.budgetTokens=64",
        "context.budgetTokens=1024,completion.maxTokens=24",
    ]
    assert "| edit similarity difference | 95 % CI |" in done.stdout
    requests = [r.body for r in oracle.requests]
    assert len(requests) == 12
    small, large = requests[:6], requests[6:]
    # The same positions (the prompts end alike), with each variant's own settings.
    assert [r["prompt"][-40:] for r in small] == [r["prompt"][-40:] for r in large]
    assert all(len(a["prompt"]) <= len(b["prompt"]) for a, b in zip(small, large, strict=True))
    assert any(len(a["prompt"]) < len(b["prompt"]) for a, b in zip(small, large, strict=True))
    assert {r["max_tokens"] for r in large} <= {24, 24 + 2}  # (+2: token healing, if any)
    assert max(r["max_tokens"] for r in small) > 24
    svg = ElementTree.parse(plot).getroot()
    latency = [
        e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar latency"
    ]
    assert len(latency) == 2
    assert "[A 1/6] " in done.stderr and "[B 6/6] " in done.stderr


def test_a_bad_compare_setting_is_a_usage_error(repo: Path, oracle: ScriptedOpenAI) -> None:
    settings = _settings(oracle.base_url)
    done = _grove(repo, "--compare", "endpoint.mode=fim", "--settings", settings)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "grove: --compare 'endpoint.mode=fim': there is no setting grove.endpoint.mode"
    ]
    done = _grove(repo, "--compare", "completion.maxTokens=many", "--settings", settings)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "grove.completion.maxTokens must be integer" in line
    assert _grove(repo, "--tasks", "0").returncode == 2
    assert _grove(repo, "--languages", "cobol").returncode == 2
    assert _grove(repo, "no/such/dir", "--settings", settings).returncode == 2
    assert oracle.requests == []
    assert not (repo / "grove-bench.svg").exists()


def test_an_unreachable_endpoint_stops_with_one_message(repo: Path, closed_port_url: str) -> None:
    done = _grove(repo, "--tasks", "5", "--settings", _settings(closed_port_url))
    assert done.returncode == 1
    assert done.stdout == ""
    unreachable = f"Cannot reach the model endpoint at {closed_port_url}: is the server running?"
    assert done.stderr.count(unreachable) == 1
    assert done.stderr.splitlines()[-1] == f"grove: bench stopped (current): {unreachable}"
    assert not (repo / "grove-bench.svg").exists()


def test_a_directory_without_usable_code_is_an_error(
    tmp_path: Path, oracle: ScriptedOpenAI
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing to complete here\n", "utf-8")
    (empty / ".env").write_text("TOKEN=sk-not-this\n", "utf-8")
    done = _grove(empty, "--settings", _settings(oracle.base_url))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == "grove: no file under . can be used for tasks"
    assert "0 files used; 1 file skipped by Grove's rules" in done.stderr
    assert oracle.requests == []


@pytest.mark.embedded
def test_bench_on_the_embedded_model(repo: Path, tmp_path: Path) -> None:
    env = server_env(GROVE_RUNTIME_DIR=str(tmp_path / "run"), GROVE_EMBEDDED_IDLE_S="0")
    done = _grove(
        repo, "--tasks", "3", "--settings", json.dumps({"context": {"exclude": [EXCLUDE]}}), env=env
    )
    assert done.returncode == 0, done.stderr
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("| current |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "smollm2-135m-instruct @ embedded (prefix)"
    assert cells[2] == "3"
    assert 0 <= float(cells[4]) <= 100
    assert (repo / "grove-bench.svg").is_file()
