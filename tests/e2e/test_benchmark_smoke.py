"""The benchmark harness runs end to end on a handful of tasks, so it cannot rot.

The scripted OpenAI server answers every completion with the masked text itself (found by the
end of the prompt), so every strategy's pipeline -- context, request, post-processing, scoring
-- must produce exact matches.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzers.bench.tasks import build_tasks, masked_text
from benchmarks import typing_replay
from benchmarks.oracle_endpoint import continuation, oracle_responder
from benchmarks.quality import run as harness
from benchmarks.quality.sources import collect_sources
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import RecordedRequest, ScriptedOpenAI

SELECT = {"textwrap.py", "shlex.py", "fnmatch.py", "heapq.py", "json/decoder.py"}


async def test_quality_harness_scores_every_strategy(scripted_openai: ScriptedOpenAI) -> None:
    collected = collect_sources(["python"], select=lambda relpath: relpath in SELECT)
    files = collected.all_files()
    tasks = build_tasks(files, per_file=2, limit=4)
    by_path = {f.path: f for f in files}
    holes = [(masked_text(t, by_path[t.path].text)[: t.offset], t.target) for t in tasks]

    def answer(request: RecordedRequest) -> replies.Reply | None:
        prompt = str((request.body or {}).get("prompt", ""))
        for before, target in holes:
            if before.endswith(prompt[-300:]):
                return replies.text(target + "\n")
        return None

    scripted_openai.responder = answer
    result = await harness.run(
        split="",
        tasks=4,
        budget=256,
        strategies=[harness.GROVE, *harness.BASELINES],
        languages=["python"],
        select=lambda relpath: relpath in SELECT,
        options={
            "endpoint": {"baseUrl": scripted_openai.base_url},
            "model": "scripted-model",
            "completion": {"mode": "prefix", "timeoutMs": 10_000},
        },
        env={},
    )
    rows = result["tasks"]
    assert isinstance(rows, list) and len(rows) == 4
    for row in rows:
        assert set(row["outcomes"]) == {harness.GROVE, *harness.BASELINES}
    summary = result["summary"]
    assert isinstance(summary, dict)
    quality = summary["quality"]
    for name in (harness.GROVE, *harness.BASELINES):
        assert quality[name]["n"] == 4
        assert quality[name]["exact_match"] >= 50.0, (name, rows)
        assert quality[name]["parseable"] == 100.0
    assert set(summary["grove_vs"]) == set(harness.BASELINES)
    meta = result["meta"]
    assert isinstance(meta, dict) and meta["files"] and meta["versions"]
    text = harness.markdown(summary, meta)
    for name in (harness.GROVE, *harness.BASELINES):
        assert f"| {name} |" in text
    json.dumps(result)  # the result is JSON-ready


async def test_baselines_from_an_earlier_run_are_scored_not_asked(
    scripted_openai: ScriptedOpenAI,
) -> None:
    collected = collect_sources(["python"], select=lambda relpath: relpath in SELECT)
    tasks = build_tasks(collected.all_files(), per_file=2, limit=2)
    earlier = {
        "prediction": "x",
        "exact": False,
        "similarity": 12.0,
        "parseable": True,
        "empty": False,
        "context_ms": 0.1,
    }
    result = await harness.run(
        split="",
        tasks=2,
        budget=256,
        strategies=[harness.GROVE],
        languages=["python"],
        select=lambda relpath: relpath in SELECT,
        options={
            "endpoint": {"baseUrl": scripted_openai.base_url},
            "model": "scripted-model",
            "completion": {"mode": "prefix", "timeoutMs": 10_000},
        },
        env={},
        baselines={task.id: {"prefix-only": earlier} for task in tasks},
    )
    rows = result["tasks"]
    assert isinstance(rows, list)
    assert [set(row["outcomes"]) for row in rows] == [{harness.GROVE, "prefix-only"}] * 2
    assert all(row["outcomes"]["prefix-only"]["similarity"] == 12.0 for row in rows)
    summary = result["summary"]
    assert isinstance(summary, dict)
    assert summary["quality"]["prefix-only"]["n"] == 2
    assert set(summary["grove_vs"]) == {"prefix-only"}
    # Only Grove's requests (and its warm-cache measurement) reached the model.
    assert all("prompt" in (r.body or {}) for r in scripted_openai.requests)
    assert len(scripted_openai.requests) <= 4


def test_the_harness_command_line_rejects_unknown_strategies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        harness.main(["--strategies", "grove,nonsense"])
    assert exit_.value.code == 2
    assert "unknown strategies: nonsense" in capsys.readouterr().err


async def test_typing_replay_drives_the_real_server(scripted_openai: ScriptedOpenAI) -> None:
    decoder = Path(json.__file__).parent / "decoder.py"
    # The oracle endpoint predicts the body exactly: the replay accepts it and the cache serves
    # the rest.
    scripted_openai.responder = oracle_responder(decoder.read_text("utf-8"), 0.0, 40)
    options = {
        "endpoint": {"baseUrl": scripted_openai.base_url},
        "model": "scripted-model",
        "completion": {"mode": "prefix", "speculative": True},
    }
    result = await typing_replay.replay(
        decoder, "JSONObject", 120, 100.0, options, line_pause_ms=0.0, accept=True
    )
    assert result["keystrokes"] + result["accepted_chars"] >= 1
    assert result["accepted_suggestions"] >= 1
    # At most one request per keystroke, and per acceptance one more plus the speculative one.
    limit = result["keystrokes"] + 2 * result["accepted_suggestions"] + 1
    assert result["upstream_requests"] <= limit
    burst = result["burst"]
    assert isinstance(burst, dict) and burst["upstream_requests"] <= 2
    status = result["status"]
    assert isinstance(status, dict) and status["accepted"] == result["accepted_suggestions"]


def test_the_oracle_continues_from_the_prompts_end() -> None:
    original = "def f(x):\n    y = x + 1\n    return y * 2\n\nprint(f(3))\n"
    assert continuation(original, "header\ndef f(x):\n    y = x", 100) == (" + 1\n    return y * 2")
    assert continuation(original, "def f(x):\n", 100) == "    y = x + 1\n    return y * 2"
    assert continuation(original, "def f(x):\n", 5) == "    y"
    assert continuation(original, "not in the file", 100) == ""
