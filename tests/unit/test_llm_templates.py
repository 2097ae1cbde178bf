"""Templates: FIM layouts and stop tokens per family, mode guessing, chat fill-in prompts."""

from __future__ import annotations

import pytest

from server.llm.provider import CompletionRequest
from server.llm.templates import (
    COMPLETION_MODES,
    FIM_FAMILIES,
    chat_answer_closed,
    extract_chat_answer,
    hole_marker,
    render_chat_fill,
    render_fim,
    render_prompt,
    resolve_mode,
    stop_tokens,
    strip_echoed_prefix,
)

P = "def f(x):\n    return {x: '$x'}"
S = "\n\nprint(f(1))\n"


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("starcoder", f"<fim_prefix>{P}<fim_suffix>{S}<fim_middle>"),
        ("codellama", f"<PRE> {P} <SUF>{S} <MID>"),
        ("deepseek", f"<｜fim▁begin｜>{P}<｜fim▁hole｜>{S}<｜fim▁end｜>"),
        ("qwen", f"<|fim_prefix|>{P}<|fim_suffix|>{S}<|fim_middle|>"),
        ("codegemma", f"<|fim_prefix|>{P}<|fim_suffix|>{S}<|fim_middle|>"),
        ("codestral", f"[SUFFIX]{S}[PREFIX]{P}"),
    ],
)
def test_render_fim_exact_layout(family: str, expected: str) -> None:
    assert render_fim(family, P, S) == expected


def test_render_fim_leaves_braces_and_placeholders_in_code_alone() -> None:
    tricky = "{suffix} {prefix} {0} $prefix"
    assert render_fim("starcoder", tricky, "") == f"<fim_prefix>{tricky}<fim_suffix><fim_middle>"


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        (
            "starcoder",
            ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"),
        ),
        ("codellama", ("<EOT>",)),
        (
            "deepseek",
            ("<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
        ),
        (
            "qwen",
            (
                "<|endoftext|>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<|repo_name|>",
                "<|file_sep|>",
            ),
        ),
        (
            "codegemma",
            (
                "<|endoftext|>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<|file_separator|>",
            ),
        ),
        ("codestral", ("</s>",)),
        ("prefix", ()),
        ("chat", ()),
    ],
)
def test_stop_tokens(family: str, expected: tuple[str, ...]) -> None:
    assert stop_tokens(family) == expected


def test_modes_list_covers_every_family() -> None:
    assert set(FIM_FAMILIES) <= set(COMPLETION_MODES)
    assert COMPLETION_MODES[0] == "auto"


@pytest.mark.parametrize(
    ("model", "mode"),
    [
        ("starcoder2-3b", "starcoder"),
        ("bigcode/starcoder", "starcoder"),
        ("StarCoder2-15B-Q4_K_M.gguf", "starcoder"),
        ("codellama:7b-code", "codellama"),
        ("TheBloke/CodeLlama-13B-GGUF", "codellama"),
        ("deepseek-coder-6.7b-base", "deepseek"),
        ("deepseek-coder-v2:16b", "deepseek"),
        ("qwen2.5-coder:1.5b-base", "qwen"),
        ("Qwen/Qwen2.5-Coder-7B", "qwen"),
        ("qwen3-coder-30b-a3b", "qwen"),
        ("codegemma:2b-code", "codegemma"),
        ("codestral-latest", "codestral-fim"),
        ("gpt-3.5-turbo-instruct", "suffix"),
        ("davinci-002", "suffix"),
        ("babbage-002", "suffix"),
        ("smollm2-135m-instruct", "prefix"),
        ("gpt-4o-mini", "chat"),
        ("gpt-4.1", "chat"),
        ("gpt-5-mini", "chat"),
        ("gpt-3.5-turbo", "chat"),
        ("o1-mini", "chat"),
        ("o3", "chat"),
        ("claude-3-5-sonnet", "chat"),
        ("gemini-2.0-flash", "chat"),
        ("models/gemini-1.5-pro", "chat"),
        ("deepseek-chat", "chat"),
        ("mistral-large-latest", "chat"),
        ("llama3.2", "prefix"),
        ("some-unknown-model", "prefix"),
        ("", "prefix"),
    ],
)
def test_resolve_auto_mode_from_model_name(model: str, mode: str) -> None:
    assert resolve_mode("auto", model) == mode


def test_resolve_explicit_mode_wins_and_unknown_is_rejected() -> None:
    assert resolve_mode("qwen", "gpt-4o") == "qwen"
    assert resolve_mode("Chat", "starcoder2") == "chat"
    with pytest.raises(ValueError, match="unknown completion mode"):
        resolve_mode("fim", "x")


def test_chat_fill_marks_the_hole_and_asks_for_one_block() -> None:
    request = CompletionRequest(
        prefix="def add(a, b):\n    return ",
        suffix="\n",
        max_tokens=16,
        language="python",
        path="src/calc.py",
    )
    messages = render_chat_fill(request)
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "def add(a, b):\n    return <CURSOR>\n" in user
    assert "src/calc.py" in user and "python" in user
    assert "```python\n" in user
    assert "fenced code block" in messages[0]["content"]
    assert "$" not in user.replace("$x", "")  # every placeholder was substituted


def test_chat_fill_picks_a_fresh_marker_and_a_longer_fence_when_needed() -> None:
    request = CompletionRequest(
        prefix="text = '<CURSOR>'\n```\n", suffix="\n````\n", max_tokens=8, language="markdown"
    )
    assert hole_marker(request.prefix, request.suffix) == "<CURSOR2>"
    user = render_chat_fill(request)[1]["content"]
    assert "<CURSOR2>" in user
    assert "`````markdown\n" in user


def test_render_prompt_requires_every_value() -> None:
    with pytest.raises(KeyError):
        render_prompt("chat_fill.txt", hole="<CURSOR>")


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("```python\nreturn a + b\n```", "return a + b"),
        ("Here you go:\n\n```\nx = 1\ny = 2\n```\nThis sets x.", "x = 1\ny = 2"),
        ("```py\n    if x:\n        pass\n```", "    if x:\n        pass"),
        ("~~~\nfoo()\n~~~", "foo()"),
        ("````\n```inner```\n````", "```inner```"),
        ("```python\n```", ""),
        ("```python\npartial(", "partial("),  # cut by max_tokens: the open block counts
        ("```python\nreturn <CURSOR>a\n```", "return a"),
    ],
)
def test_extract_chat_answer_takes_the_code_block(answer: str, code: str) -> None:
    assert extract_chat_answer(answer) == code


@pytest.mark.parametrize(
    "answer",
    ["You should return the sum of a and b.", "", "Use `a + b` here.", "```python"],
)
def test_extract_chat_answer_rejects_prose(answer: str) -> None:
    assert extract_chat_answer(answer) is None


def test_chat_answer_closed() -> None:
    assert not chat_answer_closed("```py\nx = 1\n")
    assert chat_answer_closed("```py\nx = 1\n```")
    assert not chat_answer_closed("no code")


@pytest.mark.parametrize(
    ("answer", "prefix", "expected"),
    [
        ("return a + b", "def f():\n    return ", "a + b"),
        ("return a + b", "def f():\n    return", " a + b"),
        ("a + b", "def f():\n    return ", "a + b"),
        ("x", "def f():\n    ", "x"),
    ],
)
def test_strip_echoed_prefix(answer: str, prefix: str, expected: str) -> None:
    assert strip_echoed_prefix(answer, prefix) == expected
