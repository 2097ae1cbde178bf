"""grove bench's report: the table's columns, the paired comparison, and the SVG plot."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from analyzers.bench.scoring import MaskedTask
from analyzers.bench.tasks import SourceFile, tasks_for_file
from server.bench.plot import svg
from server.bench.report import comparisons, markdown, summarize
from server.bench.runner import Outcome, VariantRun

SVG = "{http://www.w3.org/2000/svg}"

CODE = """def area(width, height):
    if width < 0 or height < 0:
        raise ValueError("negative size")
    product = width * height
    return round(product, 2)
"""


def _tasks() -> list[MaskedTask]:
    file = SourceFile.from_bytes("python", "/src/area.py", "area.py", CODE.encode())
    return [MaskedTask.of(task, file) for task in tasks_for_file(file, per_file=2)]


def _outcome(similarity: float, *, exact: bool = False, ms: float | None = 100.0) -> Outcome:
    return Outcome(
        prediction="" if similarity == 0 else "x",
        exact=exact,
        similarity=similarity,
        parseable=None if similarity == 0 else True,
        empty=similarity == 0,
        context_ms=2.0,
        asked=ms is not None,
        total_ms=ms,
        first_token_ms=None if ms is None else ms / 2,
    )


def _runs() -> list[VariantRun]:
    first = VariantRun("context.budgetTokens=256", "m @ http://h/v1 (prefix)", "prefix")
    first.outcomes = [_outcome(100, exact=True, ms=120), _outcome(50, ms=80)]
    second = VariantRun("completion.mode=qwen <&>", "m @ http://h/v1 (qwen)", "qwen")
    second.outcomes = [_outcome(0, ms=None), _outcome(60, ms=400)]
    return [first, second]


def test_summary_and_table() -> None:
    tasks = _tasks()
    assert len(tasks) == 2
    runs = _runs()
    first, second = (summarize(run, tasks) for run in runs)
    assert first["exact_match"] == 50.0 and first["edit_similarity"] == 75.0
    assert first["latency"] == {"n": 2, "p50_ms": 100.0, "p95_ms": 118.0}
    assert second["empty"] == 50.0 and second["parseable"] == 100.0
    assert second["latency"]["n"] == 1 and second["model_calls"] == 1
    table = markdown([first, second], comparisons(runs))
    header = table.splitlines()[0]
    for column in (
        "variant",
        "exact match %",
        "edit similarity",
        "parseable %",
        "empty %",
        "latency p50 ms",
        "latency p95 ms",
        "| n |",
    ):
        assert column in header
    assert "| context.budgetTokens=256 | m @ http://h/v1 (prefix) | 2 | 50.0 | 75.0 |" in table
    assert "| edit similarity difference | 95 % CI |" in table
    assert "| completion.mode=qwen <&> | context.budgetTokens=256 | -45.0 |" in table
    assert "got no answer" not in table
    runs[1].outcomes[0].error = "The model endpoint at http://h/v1 did not answer in time."
    second = summarize(runs[1], tasks)
    assert second["errors"] == 1
    assert markdown([first, second], []).splitlines()[-1] == (
        "completion.mode=qwen <&>: 1 of 2 tasks got no answer (counted as empty); the last "
        "error: The model endpoint at http://h/v1 did not answer in time."
    )


def test_the_plot_is_well_formed_svg_with_one_latency_bar_per_variant() -> None:
    tasks = _tasks()
    summaries = [summarize(run, tasks) for run in _runs()]
    text = svg(summaries, "grove bench: 2 tasks under src/ <&>")
    root = ElementTree.fromstring(text)
    assert root.tag == f"{SVG}svg"
    bars = root.iter(f"{SVG}rect")
    by_kind: dict[str, list[str]] = {}
    for bar in bars:
        kind = bar.get("class", "")
        if kind.startswith("bar "):
            by_kind.setdefault(kind.split()[1], []).append(bar.get("data-variant", ""))
    names = ["context.budgetTokens=256", "completion.mode=qwen <&>"]
    assert by_kind == {"es": names, "em": names, "latency": names}
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "grove bench: 2 tasks under src/ <&>" in texts
    assert any(t.startswith("B  completion.mode=qwen <&>") for t in texts)


def test_the_plot_of_one_variant_without_latency() -> None:
    run = VariantRun("current")
    run.outcomes = [_outcome(0, ms=None)]
    text = svg([summarize(run, _tasks())], "t")
    root = ElementTree.fromstring(text)
    latency = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar latency"]
    assert len(latency) == 1 and latency[0].get("height") == "0.0"
