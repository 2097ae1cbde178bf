"""The docstring pipeline shared by the language server and the CLI.

document + offset → target definition (analyzers.docstrings) → prompt (``docstring.txt``) →
model text → parse + render + validate → retry once with the problems → else a skeleton from
the syntax tree. Nothing unvalidated is ever returned; nothing here knows LSP types; nothing is
sent for a document the send policy refuses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from analyzers.docstrings import (
    DocEdit,
    DocTarget,
    answer_template,
    configure,
    find_target,
    formatter_line_length,
    parse_answer,
    render_edit,
    salvage_answer,
    skeleton,
    validate_edit,
)
from analyzers.parsing import SourceDocument
from server.backend import ModelBackend
from server.llm.templates import render_prompt
from server.refusal import SendPolicy

log = logging.getLogger(__name__)

MAX_CODE_CHARS = 4_000
MAX_TOKENS = 320
_STOPS = ("```", "\n\n\n\n")
_SECTION = re.compile(r"^\[(system|example|example_answer|user|retry)\]\s*$", re.MULTILINE)

Source = Literal["model", "retry", "skeleton"]


class DocstringError(Exception):
    """No docstring can be produced here; the message is one sentence for the user."""


class NothingToDocument(DocstringError):
    """No definition Grove can document at the position: an answer, not a failure."""


@dataclass(frozen=True)
class DocstringResult:
    """A validated edit and how it was obtained."""

    target: DocTarget
    edit: DocEdit
    source: Source
    """``model`` (first answer), ``retry`` (second answer) or ``skeleton`` (fallback)."""
    attempts: int
    problems: tuple[str, ...]
    """Validation problems of the last rejected model answer (empty when none was rejected)."""


def target_at(source: SourceDocument, offset: int) -> DocTarget:
    """The definition to document at ``offset``, or :class:`NothingToDocument`."""
    spec = source.language
    if spec is None:
        raise NothingToDocument("Grove cannot generate docstrings for this file type.")
    target = find_target(source, offset)
    if target is None:
        line = source.lines.line_of(offset) + 1
        raise NothingToDocument(
            f"No function, method or class (that parses) at line {line}: "
            "put the cursor on a definition."
        )
    return target


Progress = Callable[[str], None]


def _no_progress(message: str) -> None:
    """Progress sink for callers that show none."""


def build_messages(
    target: DocTarget,
    source: SourceDocument,
    path: str | None,
    rejected: tuple[str, list[str]] | None = None,
) -> list[dict[str, str]]:
    """Messages from ``docstring.txt``: system, a one-shot example, then the request.

    ``rejected`` (the previous answer and its problems) adds that answer and the ``retry``
    message, so the model sees what was wrong.
    """
    code = source.text[target.start : target.end].replace("\r\n", "\n")
    if len(code) > MAX_CODE_CHARS:
        code = code[:MAX_CODE_CHARS] + "\n..."
    rendered = render_prompt(
        "docstring.txt",
        kind=target.kind,
        def_name=target.name,
        language=source.language.name if source.language else "source",
        file_info=f" ({path})" if path else "",
        code=code,
        template=answer_template(target),
        errors="; ".join(rejected[1]) if rejected else "",
    )
    parts = _SECTION.split(rendered)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    messages = [
        {"role": "system", "content": sections["system"]},
        {"role": "user", "content": sections["example"]},
        {"role": "assistant", "content": sections["example_answer"]},
        {"role": "user", "content": sections["user"]},
    ]
    if rejected is not None:
        messages.append({"role": "assistant", "content": rejected[0].strip()})
        messages.append({"role": "user", "content": sections["retry"]})
    return messages


def use_chat_endpoint(backend: ModelBackend) -> bool:
    """Chat endpoint for chat-mode targets and the embedded instruct model."""
    return backend.target.mode == "chat" or backend.target.embedded


async def generate_docstring(
    backend: ModelBackend,
    policy: SendPolicy,
    source: SourceDocument,
    offset: int,
    path: str | None = None,
    *,
    use_chat: bool | None = None,
    style: str = "auto",
    line_length: int | None = None,
    progress: Progress = _no_progress,
) -> DocstringResult:
    """A validated docstring edit for the definition at ``offset`` (model, retry or skeleton).

    ``style`` is the ``grove.docstring.style`` setting; ``line_length`` defaults to the file's
    formatter settings (0: the language default); ``progress`` hears what is happening.
    A document the send policy refuses raises :class:`DocstringError` with its reason.
    """
    why = policy.refusal(source.text, path)
    if why is not None:
        raise DocstringError(why)
    target = target_at(source, offset)
    if line_length is None:
        line_length = formatter_line_length(path, target.language)
    target = configure(target, style, line_length)
    chat = use_chat_endpoint(backend) if use_chat is None else use_chat
    problems: list[str] = []
    rejected: tuple[str, list[str]] | None = None
    attempts = 0
    for source_kind in ("model", "retry"):
        messages = build_messages(target, source, path, rejected)
        if not chat:
            messages.append({"role": "assistant", "content": "Documentation:\n"})
        attempts += 1
        progress("asking the model" if source_kind == "model" else "answer rejected, asking again")
        answer = await backend.generate_text(messages, MAX_TOKENS, use_chat=chat, stop=_STOPS)
        if answer is None:
            problems = [backend.last_error or "the model did not answer"]
            break
        content, problems = parse_answer(answer, target)
        if problems:
            salvaged = salvage_answer(answer, target.language)
            if salvaged is not None:
                content, salvage_problems = parse_answer(salvaged, target)
                if not salvage_problems:
                    log.debug("docstring text taken from the code the model wrote")
                problems = salvage_problems
        if content is not None and not problems:
            edit = render_edit(content, target)
            problems = validate_edit(source, target, edit)
            if not problems:
                kind: Source = "model" if source_kind == "model" else "retry"
                return DocstringResult(target, edit, kind, attempts, ())
        log.info("docstring answer rejected (%s): %s", source_kind, "; ".join(problems))
        rejected = (answer, problems)
    progress("no valid answer: writing a skeleton")
    edit = render_edit(skeleton(target), target)
    invalid = validate_edit(source, target, edit)
    if invalid:
        raise DocstringError("Grove could not place a docstring here: " + "; ".join(invalid))
    return DocstringResult(target, edit, "skeleton", attempts, tuple(problems))
