"""Token healing: end the prompt on a token boundary and make the answer retype what was cut.

Owns :func:`heal_split`, :func:`healed_answer`, :func:`healing_stop_check` and
:func:`healing_grammar`.

A BPE tokenizer attaches whitespace to the word that follows it (``"\\n       "`` + ``" return"``),
so a prompt that ends in whitespace -- after a line's indentation, after ``if `` -- ends on a
token the model rarely saw at that place, and a small model answers with a stray comment or
newline.  The prompt is therefore cut back to where a tokenizer would have split anyway: the end
of the previous line when the cursor's line holds only indentation, else the last non-blank
character.  The model's answer must begin with the whitespace that was cut
(:func:`healed_answer`); it is returned without it (blank lines the model puts first are
dropped: the user is already on the line), or rejected when it goes another way (a different
indentation).  No constrained decoding is needed: the check runs on the streamed text,
and generation stops as soon as the answer has diverged (:func:`healing_stop_check`).

A half-typed word is not healed: without a grammar (which costs llama.cpp about 15 ms a token on
2 cores) the model's greedy word would have to be the one being typed, and any other would leave
the user with no suggestion at all.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "MAX_HEALED_CHARS",
    "heal_split",
    "healed_answer",
    "healing_grammar",
    "healing_stop_check",
]

MAX_HEALED_CHARS = 48
"""Longest whitespace cut from the prompt; deeper indentation is left as it is."""


def heal_split(prompt: str) -> tuple[str, str]:
    """(prompt cut back to a token boundary, the whitespace the answer must start with)."""
    line_start = prompt.rfind("\n") + 1
    line = prompt[line_start:]
    if line_start and not line.strip(" \t"):
        cut = line_start - 1
        if cut > 0 and prompt[cut - 1] == "\r":
            cut -= 1
    else:
        cut = line_start + len(line.rstrip(" \t"))
    tail = prompt[cut:]
    if not tail or cut == 0 or len(tail) > MAX_HEALED_CHARS:
        return prompt, ""
    return prompt[:cut], tail


def _without_blank_lines(answer: str, tail: str) -> str:
    """``answer`` less the blank lines it opens with after a newline the tail also starts with.

    The user is already on the line: a model that puts a blank line before the statement still
    means the statement.
    """
    newline = tail[: len(tail) - len(tail.lstrip("\r\n"))]
    if not newline or not answer.startswith(newline):
        return answer
    rest = answer[len(newline) :]
    while True:
        end = rest.find("\n")
        if end < 0 or rest[:end].strip():
            return newline + rest
        rest = rest[end + 1 :]


def healed_answer(answer: str, tail: str) -> str | None:
    """``answer`` without the healed ``tail``; None when it does not start with it."""
    if not tail:
        return answer
    answer = _without_blank_lines(answer, tail)
    if not answer.startswith(tail):
        return None
    return answer[len(tail) :]


def healing_stop_check(tail: str, inner: Callable[[str], bool]) -> Callable[[str], bool]:
    """A stop check on the raw stream: stop once it leaves ``tail``; else ``inner`` on the rest."""
    if not tail:
        return inner

    def check(generated: str) -> bool:
        generated = _without_blank_lines(generated, tail)
        if len(generated) < len(tail):
            return not tail.startswith(generated)
        if not generated.startswith(tail):
            return True
        return inner(generated[len(tail) :])

    return check


def healing_grammar(tail: str) -> str:
    """A GBNF grammar for answers that start with ``tail`` and go on with anything."""
    escaped = (
        tail.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'root ::= "{escaped}" [^\\x00]*'
