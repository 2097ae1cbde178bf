"""Per-line memoised token counting with a real tokenizer (analyzers.token_count)."""

from __future__ import annotations

import pytest

from analyzers.context import build_context
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.token_count import LineTokenCounter
from server.llm.embedded_install import embedded_model_path
from server.llm.tokenizer import load_embedded_tokenizer


def word_tokens(text: str) -> int:
    """A stand-in tokenizer: one token per whitespace-separated word, one per newline."""
    return len(text.split()) + text.count("\n")


def test_counts_are_the_sum_of_line_counts() -> None:
    counter = LineTokenCounter(word_tokens)
    text = "def f(a, b):\n    return a + b\n"
    assert counter(text) == word_tokens("def f(a, b):\n") + word_tokens("    return a + b\n")
    assert counter("") == 0
    assert counter("no newline at end") == 4


def test_each_distinct_line_is_tokenized_once() -> None:
    seen: list[str] = []

    def tokenize(text: str) -> int:
        seen.append(text)
        return word_tokens(text)

    counter = LineTokenCounter(tokenize)
    body = "".join(f"line {i}\n" for i in range(50))
    counter(body)
    assert counter.calls == 50
    # Typing on the last line re-tokenizes only that line.
    counter(body + "x = 1")
    counter(body + "x = 12")
    assert counter.calls == 52
    assert seen[-2:] == ["x = 1", "x = 12"]


def test_memo_is_bounded() -> None:
    counter = LineTokenCounter(word_tokens, max_entries=10)
    for i in range(100):
        counter(f"unique {i}\n")
    counter("unique 99\n")
    assert counter.calls == 100  # the most recent line stayed cached
    counter("unique 0\n")
    assert counter.calls == 101  # the oldest was evicted


def test_context_windows_stay_within_a_real_tokenizer_budget() -> None:
    counter = LineTokenCounter(word_tokens)
    text = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n" for i in range(200))
    doc = SourceDocument(text, language_for(None, "m.py"))
    for budget in (32, 100, 500):
        window = build_context(
            doc, len(text) // 2, path="m.py", budget_tokens=budget, count_tokens=counter
        )
        used = counter(window.related) + counter(window.header)
        used += counter(window.prefix) + counter(window.suffix)
        assert 0 < used <= budget


@pytest.mark.embedded
def test_the_embedded_models_own_tokenizer_counts_like_the_model() -> None:
    import llama_cpp  # the ``local`` extra

    path = embedded_model_path()
    assert path is not None
    count = load_embedded_tokenizer(path)
    assert count is not None
    model = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False, n_ctx=64)
    for text in ("def fibonacci(n):\n", "    return a + b  # sum\n", "日本語 😀\n"):
        expected = len(model.tokenize(text.encode(), add_bos=False, special=False))
        assert count(text) == expected > 0
