"""Token healing: where the prompt is cut, and how the answer is checked and trimmed."""

from __future__ import annotations

import pytest

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.postprocess import make_stop_check
from analyzers.token_healing import (
    MAX_HEALED_CHARS,
    heal_split,
    healed_answer,
    healing_grammar,
    healing_stop_check,
)
from server.backend import ModelBackend
from server.completion import CompletionEngine, PreparedRequest, prepare_request
from server.refusal import SendPolicy
from server.settings import resolve_settings
from server.workspace import WorkspaceIndex
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI


@pytest.mark.parametrize(
    ("prompt", "cut", "tail"),
    [
        # Only indentation on the cursor's line: back to the end of the line above.
        ("def f():\n    ", "def f():", "\n    "),
        # A blank line at column 0.
        ("x = 1\n", "x = 1", "\n"),
        # After a keyword and its space: the space is retyped with the next word.
        ("    if ", "    if", " "),
        # Spaces and tabs after code on the line.
        ("x = \t", "x =", " \t"),
        # Windows line endings keep the carriage return with the newline.
        ("a\r\n  ", "a", "\r\n  "),
    ],
)
def test_the_prompt_is_cut_back_to_a_token_boundary(prompt: str, cut: str, tail: str) -> None:
    assert heal_split(prompt) == (cut, tail)
    assert cut + tail == prompt


@pytest.mark.parametrize(
    "prompt", ["x = foo.", "foo(", "items[", "def f():\n    retu", "x = foo", "impo", "   ", ""]
)
def test_a_prompt_ending_in_a_word_or_punctuation_or_only_blanks_is_left(prompt: str) -> None:
    assert heal_split(prompt) == (prompt, "")


def test_a_tail_longer_than_the_limit_is_left_alone() -> None:
    prompt = "x = 1\n" + " " * (MAX_HEALED_CHARS + 1)
    assert heal_split(prompt) == (prompt, "")


def test_the_answer_loses_the_healed_text_or_is_rejected() -> None:
    assert healed_answer("\n    return x", "\n    ") == "return x"
    assert healed_answer("\nreturn x", "\n    ") is None
    assert healed_answer("# comment", " ") is None
    assert healed_answer("anything", "") == "anything"


def test_the_stop_check_sees_the_answer_after_the_healed_text() -> None:
    seen: list[str] = []

    def inner(text: str) -> bool:
        seen.append(text)
        return "\n" in text

    check = healing_stop_check("\n    ", inner)
    assert check("\n  ") is False  # still retyping the indentation
    assert check("\n    return x") is False
    assert check("\n    return x\n") is True  # the inner check ends the line
    assert seen == ["return x", "return x\n"]


def test_the_stop_check_stops_as_soon_as_the_answer_leaves_the_healed_text() -> None:
    check = healing_stop_check("\n    ", lambda text: False)
    assert check("\n") is False
    assert check("\n\t") is True
    assert check("\n  return") is True


def test_without_a_healed_tail_the_stop_check_is_the_inner_one() -> None:
    def inner(text: str) -> bool:
        return text == "x"

    assert healing_stop_check("", inner) is inner


def _prepared(text: str, mode: str, *, heal: bool = True) -> PreparedRequest:
    source = SourceDocument(text, language_for(None, "healing.py"))
    settings = resolve_settings({})
    prepared = prepare_request(source, len(text), "healing.py", settings, mode=mode, heal=heal)
    assert prepared is not None
    return prepared


def test_a_prefix_mode_request_ends_on_the_line_above_and_expects_the_indentation() -> None:
    text = "def area(width, height):\n    "
    prepared = _prepared(text, "prefix")
    assert prepared.request.prefix.endswith("def area(width, height):")
    assert prepared.healed == "\n    "
    unhealed = _prepared(text, "prefix", heal=False)
    assert unhealed.request.prefix.endswith("height):\n    ")
    assert prepared.request.max_tokens > unhealed.request.max_tokens


def test_the_prepared_request_trims_and_checks_the_models_answer() -> None:
    text = "def area(width, height):\n    "
    prepared = _prepared(text, "prefix")
    source = SourceDocument(text, language_for(None, "healing.py"))
    stop = prepared.stop_check(source, len(text))
    plain = make_stop_check(source, len(text), prepared.kind)
    for answer in ["return width", "return width * height\n", "return width\n\ndef other():\n"]:
        assert stop("\n    " + answer) is plain(answer)
    assert stop("\n    return width * height\n\ndef other():\n") is True
    assert stop("\n# a comment") is True
    assert prepared.answer("\n    return width * height\n") == "return width * height\n"
    assert prepared.answer("\n# a comment") is None


@pytest.mark.parametrize("mode", ["fim", "suffix", "starcoder"])
def test_modes_whose_prompt_does_not_end_at_the_cursor_are_not_healed(mode: str) -> None:
    prepared = _prepared("def area(width, height):\n    ", mode)
    assert prepared.healed == ""
    assert prepared.request.prefix.endswith("height):\n    ")


def test_blank_lines_the_model_puts_before_the_statement_are_dropped() -> None:
    tail = "\n    "
    assert healed_answer("\n\n    return x", tail) == "return x"
    assert healed_answer("\n  \t\n\n    return x", tail) == "return x"
    assert healed_answer("\n\nreturn x", tail) is None
    check = healing_stop_check(tail, lambda text: False)
    assert check("\n\n") is False  # a blank line so far: the indentation may still come
    assert check("\n\n   ") is False
    assert check("\n\n    return") is False
    assert check("\n\nreturn") is True


def test_the_grammar_makes_the_answer_retype_the_healed_whitespace() -> None:
    assert healing_grammar("\n    ") == 'root ::= "\\n    " [^\\x00]*'
    assert healing_grammar('\r\n\t"') == 'root ::= "\\r\\n\\t\\"" [^\\x00]*'


async def _ask_once(scripted_openai: ScriptedOpenAI) -> tuple[PreparedRequest, str]:
    """Heal ``def f(x):\\n    `` in prefix mode and ask the scripted endpoint through the engine."""
    settings = resolve_settings(
        {
            "endpoint": {"baseUrl": scripted_openai.base_url},
            "model": "m",
            "completion": {"mode": "prefix"},
        }
    )
    backend = ModelBackend(settings, lambda _level, _text: None, env={})
    engine = CompletionEngine(backend, SendPolicy(WorkspaceIndex(lambda path, text: None)))
    text = "def f(x):\n    "
    source = SourceDocument(text, language_for(None, "healing.py"))
    prepared = prepare_request(source, len(text), "healing.py", settings, mode="prefix", heal=True)
    assert prepared is not None and prepared.healed == "\n    "
    try:
        result = await engine.ask(prepared, source, len(text))
    finally:
        await backend.aclose()
    assert result is not None
    return prepared, prepared.finish(result.text, source, len(text))


async def test_an_answer_that_leaves_the_healed_text_is_asked_again_under_the_grammar(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("\n# a comment\n"), replies.text("\n    return x\n"))
    _, suggestion = await _ask_once(scripted_openai)
    assert suggestion == "return x"
    first, second = (r.body for r in scripted_openai.completion_requests)
    assert first["prompt"] == second["prompt"]
    assert str(first["prompt"]).endswith("def f(x):")
    assert "grammar" not in first
    assert second["grammar"] == healing_grammar("\n    ")


async def test_an_answer_that_retypes_the_healed_text_is_asked_once(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("\n    return x\n"))
    _, suggestion = await _ask_once(scripted_openai)
    assert suggestion == "return x"
    assert len(scripted_openai.completion_requests) == 1
