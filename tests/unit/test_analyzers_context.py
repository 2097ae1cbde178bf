"""Context windows under a token budget (analyzers.context), incl. prefix stability."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.context import ContextWindow, RelatedBlock, build_context, estimate_tokens
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.structure import enclosing_scopes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"


def load(name: str) -> SourceDocument:
    path = FIXTURES / name
    return SourceDocument(path.read_text(encoding="utf-8"), language_for(None, str(path)))


def total_tokens(window: ContextWindow, count: Callable[[str], int] = estimate_tokens) -> int:
    return count(window.header) + count(window.prefix) + count(window.suffix)


def assert_anchored(doc: SourceDocument, offset: int, window: ContextWindow) -> None:
    assert doc.text[:offset].endswith(window.prefix)
    assert doc.text[offset:].startswith(window.suffix)
    assert doc.text[window.prefix_start : offset] == window.prefix
    assert doc.text[offset : window.suffix_end] == window.suffix
    assert window.prompt_prefix == window.related + window.header + window.prefix
    line_start = doc.text.rfind("\n", 0, offset) + 1
    assert window.cursor_line_prefix == doc.text[line_start:offset]


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcdefghijklmnopqrstuvwxyz012345") == 10
    assert estimate_tokens("日本語") > estimate_tokens("abc")
    assert estimate_tokens("😀") >= 2


def test_large_budget_takes_the_whole_file() -> None:
    doc = load("sample.py")
    offset = doc.text.index("return sum(")
    window = build_context(doc, offset, path="src/sample.py", budget_tokens=100_000)
    assert window.header == "# path: src/sample.py\n"
    assert window.prefix == doc.text[:offset]
    assert window.suffix == doc.text[offset:]


@pytest.mark.parametrize(
    ("name", "path_line"),
    [
        ("sample.py", "# path: src/sample.py"),
        ("sample.go", "// path: src/sample.py"),
        ("sample.lua", "-- path: src/sample.py"),
        ("sample.sh", "# path: src/sample.py"),
    ],
)
def test_path_line_uses_the_language_comment(name: str, path_line: str) -> None:
    doc = load(name)
    window = build_context(doc, len(doc.text) // 2, path="src/sample.py", budget_tokens=400)
    assert window.header.splitlines()[0] == path_line


def test_small_budget_header_has_imports_and_enclosing_headers() -> None:
    doc = load("sample.py")
    marker = "return sum(item.price"
    offset = doc.text.index(marker) + len(marker)
    window = build_context(doc, offset, path="app/inventory.py", budget_tokens=300)
    lines = window.header.splitlines()
    assert lines[0] == "# path: app/inventory.py"
    assert "import json" in lines
    assert "from typing import Iterable" in lines
    assert "class Inventory:" in window.prompt_prefix
    assert total_tokens(window) <= 300
    assert_anchored(doc, offset, window)
    assert "import json" not in window.prefix


def test_header_drops_imports_before_scopes() -> None:
    doc = load("sample.py")
    marker = "return sum(item.price"
    offset = doc.text.index(marker) + len(marker)
    window = build_context(doc, offset, path="app/inventory.py", budget_tokens=160)
    assert total_tokens(window) <= 160
    assert estimate_tokens(window.header) <= 160 // 3
    assert "class Inventory:" in window.header
    assert "from typing import Iterable" not in window.header


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("sample.go", "return srv.ListenAndServe()"),
        ("Sample.java", "count++;"),
        ("sample.rb", '"heating to'),
        ("sample.ts", "done += 1;"),
        ("Sample.cs", "Console.WriteLine(station);"),
        ("sample.php", "return $entry;"),
        ("sample.lua", "lines[i] = format_line(p)"),
        ("sample.cpp", "t.data_[c * rows_ + r]"),
    ],
)
@pytest.mark.parametrize("budget", [200, 400, 1200])
def test_enclosing_headers_are_always_in_the_prompt(name: str, marker: str, budget: int) -> None:
    doc = load(name)
    offset = doc.text.index(marker)
    window = build_context(doc, offset, path=name, budget_tokens=budget)
    assert total_tokens(window) <= budget
    assert_anchored(doc, offset, window)
    for scope in enclosing_scopes(doc, offset):
        first_line = scope.header.splitlines()[0]
        assert first_line in window.prompt_prefix, (first_line, window.prompt_prefix)


def test_header_keeps_export_prefix() -> None:
    doc = load("sample.ts")
    offset = doc.text.index("done += 1;")
    window = build_context(doc, offset, path="queue.ts", budget_tokens=200)
    assert "export class TaskQueue extends EventEmitter {" in window.header.splitlines()


@pytest.mark.parametrize("budget", [90, 120])
def test_tiny_budget_keeps_the_innermost_header(budget: int) -> None:
    doc = load("sample.php")
    offset = doc.text.index("return $entry;")
    window = build_context(doc, offset, path="sample.php", budget_tokens=budget)
    assert total_tokens(window) <= budget
    assert "public function sign(string $author, string $message): Entry" in window.prompt_prefix


def test_huge_header_is_truncated_first() -> None:
    imports = "".join(f"import module_{i}\n" for i in range(300))
    text = imports + "\n\ndef f():\n    x = 1\n    return x\n"
    doc = SourceDocument(text, language_for("python", None))
    offset = text.index("return x")
    window = build_context(doc, offset, path="big.py", budget_tokens=200)
    assert total_tokens(window) <= 200
    assert estimate_tokens(window.header) <= 200 // 3
    assert window.prefix.endswith("    x = 1\n    ")
    assert "def f():" in window.header + window.prefix


def test_suffix_share() -> None:
    doc = load("sample.rs")
    offset = doc.text.index("pub fn label")
    wide = build_context(doc, offset, path="a.rs", budget_tokens=300, suffix_share=0.6)
    narrow = build_context(doc, offset, path="a.rs", budget_tokens=300, suffix_share=0.1)
    assert len(wide.suffix) > len(narrow.suffix)
    assert len(wide.prefix) <= len(narrow.prefix)
    none = build_context(doc, offset, path="a.rs", budget_tokens=300, suffix_share=0.0)
    assert none.suffix == ""


def test_custom_token_counter_is_respected() -> None:
    def words(text: str) -> int:
        return len(text.split())

    doc = load("sample.c")
    offset = doc.text.index("ring_push(r, 21.5);")
    window = build_context(doc, offset, path="ring.c", budget_tokens=60, count_tokens=words)
    assert total_tokens(window, words) <= 60
    assert_anchored(doc, offset, window)


def test_plain_text_without_tree() -> None:
    text = "".join(f"line {i}: some notes 📝\n" for i in range(200))
    doc = SourceDocument(text, None)
    offset = text.index("line 150") + 4
    window = build_context(doc, offset, path="notes.txt", budget_tokens=120)
    assert window.header == ""
    assert total_tokens(window) <= 120
    assert window.prefix.startswith("line ")
    assert_anchored(doc, offset, window)
    markdown = build_context(
        SourceDocument(text, None), offset, path="docs/x.md", budget_tokens=120
    )
    assert markdown.header == "<!-- path: docs/x.md -->\n"


def test_tiny_budgets_never_overflow() -> None:
    doc = load("sample.php")
    offset = doc.text.index("return $entry;")
    for budget in (0, 1, 3, 10, 25):
        window = build_context(doc, offset, path="sample.php", budget_tokens=budget)
        assert total_tokens(window) <= budget
        assert_anchored(doc, offset, window)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(p.name for p in FIXTURES.iterdir())),
    fraction=st.floats(0, 1),
    budget=st.integers(0, 1500),
    share=st.floats(0, 1),
)
def test_budget_and_anchoring_property(
    name: str, fraction: float, budget: int, share: float
) -> None:
    doc = load(name)
    offset = int(len(doc.text) * fraction)
    window = build_context(
        doc, offset, path=f"src/{name}", budget_tokens=budget, suffix_share=share
    )
    assert total_tokens(window) <= budget
    assert_anchored(doc, offset, window)


def type_forward(
    doc: SourceDocument, offset: int, typed: str, budget: int, path: str
) -> tuple[int, int]:
    """Type ``typed`` one character at a time; count steps whose prompt prefix is not kept."""
    previous = build_context(doc, offset, path=path, budget_tokens=budget)
    broken = 0
    for ch in typed:
        doc.apply_change(offset, offset, ch)
        offset += 1
        window = build_context(doc, offset, path=path, budget_tokens=budget)
        assert total_tokens(window) <= budget
        if not window.prompt_prefix.startswith(previous.prompt_prefix):
            broken += 1
        previous = window
    return broken, len(typed)


PYTHON_TYPED = (
    "\n        count = 0\n        for item in self._items.values():\n"
    "            if item.price > 100:  # 高い 💸\n                count += 1\n"
    "        return count\n\n    def cheapest(self) -> Item | None:\n"
    "        return min(self._items.values(), key=lambda i: i.price, default=None)\n"
)


@pytest.mark.parametrize("budget", [180, 300, 600])
def test_typing_forward_keeps_the_prompt_prefix(budget: int) -> None:
    doc = load("sample.py")
    marker = "return sum(item.price for item in self._items.values())"
    offset = doc.text.index(marker) + len(marker)
    typed = PYTHON_TYPED[:200]
    assert len(typed) == 200
    broken, steps = type_forward(doc, offset, typed, budget, "app/inventory.py")
    assert steps == 200
    assert broken <= 4


def test_typing_forward_in_a_long_go_file() -> None:
    path = FIXTURES / "sample.go"
    base = path.read_text(encoding="utf-8")
    text = base + "".join(
        f"\nfunc helper{i}(x int) int {{\n\treturn x * {i}\n}}\n" for i in range(120)
    )
    doc = SourceDocument(text, language_for("go", None))
    marker = "\ttotal := 0\n"
    offset = text.index(marker) + len(marker)
    typed = (
        "\tseen := map[string]bool{}\n\tfor _, item := range o.Items {\n"
        "\t\tif seen[item] {\n\t\t\tcontinue // 重複 ♻️\n\t\t}\n\t\tseen[item] = true\n\t}\n"
        '\tif len(seen) == 0 {\n\t\treturn "empty"\n\t}\n\t_ = fmt.Sprint(len(seen))\n'
    )
    typed = (typed * 2)[:200]
    broken, steps = type_forward(doc, offset, typed, 250, "shop/orders.go")
    assert steps == 200
    assert broken <= 4


# --- blocks from other files (context engine v2) ---------------------------------------------

RELATED_SOURCE = (
    "import helpers\n\n\ndef total(items):\n    value = helpers.scale(items)\n    return "
)


def related_doc() -> SourceDocument:
    return SourceDocument(RELATED_SOURCE, language_for(None, "app.py"))


def test_related_blocks_open_the_prompt_most_relevant_last() -> None:
    doc = related_doc()
    blocks = [
        RelatedBlock("helpers.py", "def scale(items):\n    ...", "definition"),
        RelatedBlock("other.py", "def unrelated():\n    ...", "snippet"),
    ]
    window = build_context(doc, len(doc.text), path="app.py", budget_tokens=1024, related=blocks)
    assert window.related == (
        "# path: other.py\ndef unrelated():\n    ...\n\n"
        "# path: helpers.py\ndef scale(items):\n    ...\n\n"
    )
    assert window.prompt_prefix.startswith(window.related + "# path: app.py\n")
    assert window.prompt_prefix.endswith(RELATED_SOURCE)
    assert [b.path for b in window.related_blocks] == ["other.py", "helpers.py"]


def test_related_blocks_stay_within_their_share_dropping_the_least_relevant() -> None:
    doc = related_doc()
    big = "x = 1\n" * 60  # about 120 tokens by the estimate
    blocks = [
        RelatedBlock("a.py", "def a():\n    ..."),
        RelatedBlock("big.py", big),
        RelatedBlock("c.py", "def c():\n    ..."),
    ]
    window = build_context(
        doc, len(doc.text), path="app.py", budget_tokens=256, related=blocks, related_share=0.25
    )
    assert [b.path for b in window.related_blocks] == ["c.py", "a.py"]
    assert estimate_tokens(window.related) <= 64
    total = estimate_tokens(window.related) + total_tokens(window)
    assert total <= 256


def test_related_blocks_take_budget_from_the_near_prefix() -> None:
    doc = load("sample.py")
    offset = len(doc.text) - 10
    plain = build_context(doc, offset, path="s.py", budget_tokens=300)
    block = RelatedBlock("h.py", "def helper(a, b):\n    ...")
    with_related = build_context(doc, offset, path="s.py", budget_tokens=300, related=[block])
    assert len(with_related.prefix) < len(plain.prefix)
    assert estimate_tokens(with_related.related) + total_tokens(with_related) <= 300
    assert_anchored(doc, offset, with_related)


def test_no_related_blocks_without_a_comment_syntax() -> None:
    doc = SourceDocument("some plain text\n", None)
    block = RelatedBlock("h.py", "def helper():\n    ...")
    window = build_context(doc, 5, path="notes.unknownext", budget_tokens=512, related=[block])
    assert window.related == ""
    assert window.related_blocks == ()
