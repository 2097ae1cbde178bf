"""Prompt templates: FIM families with their stop tokens, completion modes, chat fill-in.

Owns every prompt string the LLM layer sends. FIM templates are rendered with ``str.format``
(values are never re-interpreted, so braces in code are safe); prompt files under
``server/prompts/`` are rendered with ``string.Template`` by :func:`render_prompt`.

``resolve_mode("auto", model)`` guesses the mode from the model name (lower-cased, last path
segment, so ``bigcode/starcoder2-3b`` and ``qwen2.5-coder:1.5b`` work). First match wins:

==========================================================  =================
model name contains / starts with                           mode
==========================================================  =================
``starcoder``, ``starcoder2``, ``santacoder``               ``starcoder``
``codellama``, ``code-llama``                               ``codellama``
``deepseek-coder``                                          ``deepseek``
``qwen2.5-coder``, ``qwen3-coder`` (``qwen*coder``)         ``qwen``
``codegemma``                                               ``codegemma``
``codestral``                                               ``codestral-fim``
``gpt-3.5-turbo-instruct``, ``davinci``, ``babbage``        ``suffix``
``smollm``                                                  ``prefix``
starts with ``gpt-4``, ``gpt-5``, ``gpt-3.5``, ``chatgpt``,  ``chat``
``o1``/``o3``/``o4``..., ``claude``, ``gemini``,
``deepseek-chat``, ``deepseek-reasoner``, ``mistral-large``,
``mistral-medium``, ``mistral-small``, ``grok``, ``command``
anything else                                               ``prefix``
==========================================================  =================
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from pathlib import Path

from server.llm.provider import CompletionRequest

__all__ = [
    "CHAT_MODE",
    "COMPLETION_MODES",
    "FIM_FAMILIES",
    "FIM_TEMPLATES",
    "FimTemplate",
    "chat_answer_closed",
    "extract_chat_answer",
    "hole_marker",
    "load_prompt",
    "render_chat_fill",
    "render_fim",
    "render_prompt",
    "resolve_mode",
    "stop_tokens",
    "strip_echoed_prefix",
]

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class FimTemplate:
    """A fill-in-the-middle prompt layout (``{prefix}``/``{suffix}``) and its stop tokens."""

    template: str
    stop: tuple[str, ...]


_DS_BEGIN = "<\uff5cfim\u2581begin\uff5c>"
_DS_HOLE = "<\uff5cfim\u2581hole\uff5c>"
_DS_END = "<\uff5cfim\u2581end\uff5c>"
_DS_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"

_QWEN_LAYOUT = "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"

FIM_TEMPLATES: dict[str, FimTemplate] = {
    "starcoder": FimTemplate(
        "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
        ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"),
    ),
    "codellama": FimTemplate("<PRE> {prefix} <SUF>{suffix} <MID>", ("<EOT>",)),
    "deepseek": FimTemplate(
        _DS_BEGIN + "{prefix}" + _DS_HOLE + "{suffix}" + _DS_END,
        (_DS_EOS, _DS_BEGIN, _DS_HOLE, _DS_END),
    ),
    "qwen": FimTemplate(
        _QWEN_LAYOUT,
        (
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ),
    ),
    "codegemma": FimTemplate(
        _QWEN_LAYOUT,
        (
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|file_separator|>",
        ),
    ),
    "codestral": FimTemplate("[SUFFIX]{suffix}[PREFIX]{prefix}", ("</s>",)),
}

FIM_FAMILIES: tuple[str, ...] = tuple(FIM_TEMPLATES)

CHAT_MODE = "chat"

COMPLETION_MODES: tuple[str, ...] = (
    "auto",
    "prefix",
    "starcoder",
    "codellama",
    "deepseek",
    "qwen",
    "codegemma",
    "codestral",
    "suffix",
    "codestral-fim",
    "chat",
)

_AUTO_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), mode)
    for pattern, mode in (
        (r"starcoder|santacoder", "starcoder"),
        (r"code-?llama", "codellama"),
        (r"deepseek-?coder", "deepseek"),
        (r"qwen[\d.]*-?coder", "qwen"),
        (r"codegemma", "codegemma"),
        (r"codestral", "codestral-fim"),
        (r"gpt-3\.5-turbo-instruct|davinci|babbage", "suffix"),
        (r"smollm", "prefix"),
        (
            r"^(gpt-4|gpt-5|gpt-3\.5|chatgpt|o\d\b|claude|gemini|deepseek-(chat|reasoner)"
            r"|mistral-(large|medium|small)|grok|command)",
            "chat",
        ),
    )
)


def resolve_mode(mode: str, model: str) -> str:
    """The concrete completion mode: ``mode`` itself, or a guess from ``model`` for ``auto``."""
    mode = (mode or "auto").strip().lower()
    if mode != "auto":
        if mode not in COMPLETION_MODES:
            raise ValueError(f"unknown completion mode {mode!r}")
        return mode
    name = model.strip().lower().rsplit("/", 1)[-1]
    for pattern, guessed in _AUTO_RULES:
        if pattern.search(name):
            return guessed
    return "prefix"


def render_fim(family: str, prefix: str, suffix: str) -> str:
    """The raw ``/completions`` prompt for a FIM family."""
    return FIM_TEMPLATES[family].template.format(prefix=prefix, suffix=suffix)


def stop_tokens(family: str) -> tuple[str, ...]:
    """The stop sequences that end a FIM family's answer (empty for non-FIM modes)."""
    template = FIM_TEMPLATES.get(family)
    return template.stop if template is not None else ()


# --------------------------------------------------------------------------------------------
# Prompt files


@functools.lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    """The text of ``server/prompts/<name>`` (cached)."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad prompt name {name!r}")
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")


def render_prompt(name: str, **values: str) -> str:
    """Render a prompt file with ``string.Template`` (every ``$name`` must be supplied)."""
    return string.Template(load_prompt(name)).substitute(values)


_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    parts = _SECTION.split(text)
    # parts = [before, name1, body1, name2, body2, ...]
    return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}


# --------------------------------------------------------------------------------------------
# Chat fill-in

_FENCE_RUN = re.compile(r"`{3,}")


def hole_marker(prefix: str, suffix: str) -> str:
    """A hole marker that does not already occur in the code (normally ``<CURSOR>``)."""
    marker = "<CURSOR>"
    n = 1
    while marker in prefix or marker in suffix:
        n += 1
        marker = f"<CURSOR{n}>"
    return marker


def render_chat_fill(request: CompletionRequest) -> list[dict[str, str]]:
    """System + user messages asking a chat model to fill the hole at the cursor."""
    marker = hole_marker(request.prefix, request.suffix)
    code = request.prefix + marker + request.suffix
    longest = max((len(m) for m in _FENCE_RUN.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    language = request.language or "source"
    values = {
        "hole": marker,
        "language": language,
        "file_info": f" ({request.path})" if request.path else "",
        "fence": fence,
        "fence_lang": request.language,
        "code": code,
    }
    rendered = render_prompt("chat_fill.txt", **values)
    sections = _sections(rendered)
    return [
        {"role": "system", "content": sections["system"]},
        {"role": "user", "content": sections["user"]},
    ]


_OPEN_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[^\n`]*\n", re.MULTILINE)


def _find_block(text: str) -> tuple[str, bool] | None:
    """The first fenced block's body and whether it is closed; None when no block opened."""
    opening = _OPEN_FENCE.search(text)
    if opening is None:
        return None
    fence = opening.group("fence")
    closing = re.compile(
        r"^[ \t]{0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$",
        re.MULTILINE,
    )
    body_start = opening.end()
    end = closing.search(text, body_start)
    if end is None:
        return text[body_start:], False
    body = text[body_start : end.start()]
    if body.endswith("\n"):
        body = body[:-1]
    return body, True


def extract_chat_answer(text: str, marker: str = "<CURSOR>") -> str | None:
    """The code of the first fenced block in a chat answer; None for prose-only answers."""
    found = _find_block(text)
    if found is None:
        return None
    body, _closed = found
    return body.replace(marker, "")


def chat_answer_closed(text: str) -> bool:
    """True once the answer's first fenced block has its closing fence."""
    found = _find_block(text)
    return found is not None and found[1]


def strip_echoed_prefix(answer: str, prefix: str) -> str:
    """Drop the cursor line's text when a chat model repeats it at the start of its answer."""
    typed = prefix.rsplit("\n", 1)[-1].lstrip()
    if len(typed.strip()) < 2:
        return answer
    stripped = answer.lstrip(" \t")
    if stripped.startswith(typed):
        return stripped[len(typed) :]
    return answer
