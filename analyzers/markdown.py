"""Make model-written Markdown safe to show in an editor.

Owns :func:`sanitize_markdown`, applied to every explanation before it reaches a client, and
:func:`first_sentence` (the summary a minimal client gets as a message). What the sanitiser does:

* removes terminal escape sequences, control characters (C0 except tab and newline, DEL, C1)
  and the invisible
  bidirectional/zero-width characters that can make text read differently than it runs;
* removes images (``![alt](url)``, ``![alt][ref]``; the alt text stays as plain text) and
  link reference definitions (``[ref]: url``), so nothing is fetched when the text is rendered;
* removes raw HTML elements (``<img>``, ``<iframe>``, ``<script>…</script>``, comments, …) and
  escapes other tag-like text (``Promise<string>``) so no renderer reads it as HTML;
* turns autolinks (``<https://…>``) into inline code and drops links whose target is not
  ``http``, ``https`` or ``mailto`` (``javascript:``, ``command:``, ``file:``, relative paths),
  keeping their text;
* closes a code fence left open (a cut-off stream) and caps the length at a line boundary.

Code blocks and inline code spans are left as written (only control characters are removed):
renderers show them literally.
"""

from __future__ import annotations

import re

__all__ = ["MAX_MARKDOWN_CHARS", "first_sentence", "sanitize_markdown"]

MAX_MARKDOWN_CHARS = 16_000
TRUNCATION_NOTE = "*(Grove cut this answer: it was too long.)*"

# C0 controls except \t and \n, DEL and C1 controls; bidi embeddings/overrides/isolates and marks;
# zero-width space, word joiner and BOM. (ZWJ U+200D stays: emoji sequences use it.)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_TERMINAL_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor movement)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks)
    r"|\x1b[@-_]"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_IMAGE_INLINE = re.compile(r"!\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)?")
_IMAGE_REFERENCE = re.compile(r"!\[([^\]\n]*)\]\[[^\]\n]*\]")
_IMAGE_SHORTCUT = re.compile(r"!\[([^\]\n]*)\]")
_REFERENCE_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.MULTILINE)
_LINK = re.compile(
    r"\[([^\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)"
)
_AUTOLINK = re.compile(r"<((?:[A-Za-z][A-Za-z0-9+.-]{1,31}):[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_WITH_CONTENT = re.compile(
    r"<(script|style|iframe|object|svg|math|template|noscript|textarea|title)\b[^>]*>.*?"
    r"(?:</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)/?>")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")

_HTML_ELEMENT_NAMES = """
    a abbr address area article aside audio b base bdi bdo blockquote body br button canvas
    caption center cite code col colgroup data datalist dd del details dfn dialog div dl dt em
    embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head
    header hr html i iframe img input ins kbd label legend li link main map mark marquee menu
    meta meter nav noscript object ol optgroup option output p param picture pre progress q rp
    rt ruby s samp script section select slot small source span strike strong style sub
    summary sup table tbody td template textarea tfoot th thead time title tr track tt u ul var
    video wbr svg math image use foreignobject applet basefont bgsound blink embed isindex
    keygen listing plaintext xmp"""
_HTML_ELEMENTS = frozenset(_HTML_ELEMENT_NAMES.split())


def sanitize_markdown(text: str, max_chars: int = MAX_MARKDOWN_CHARS) -> str:
    """``text`` made safe to render (see the module docstring); never longer than ``max_chars``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _TERMINAL_ESCAPE.sub("", text))
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence is None:
            if opening is not None:
                out.append(_clean_prose("\n".join(prose)))
                prose = []
                fence = opening.group(1)
                out.append(line)
            else:
                prose.append(line)
        else:
            out.append(line)
            if opening is not None and _closes(line, fence):
                fence = None
    if fence is None:
        out.append(_clean_prose("\n".join(prose)))
    elif out[-1] != "":
        out.append(fence)
    else:
        out[-1] = fence
    cleaned = "\n".join(out).strip()
    cleaned = re.sub(r"\n{4,}", "\n\n\n", cleaned)
    return _cap(cleaned, max_chars)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
        and len(line) - len(line.lstrip(" ")) <= 3
    )


def _clean_prose(text: str) -> str:
    """Sanitise Markdown outside code blocks, leaving inline code spans as they are."""
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_clean_inline(text[position : span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_clean_inline(text[position:]))
    return "".join(pieces)


def _clean_inline(text: str) -> str:
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_WITH_CONTENT.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _IMAGE_INLINE.sub(_alt, text)
    text = _IMAGE_REFERENCE.sub(_alt, text)
    text = _IMAGE_SHORTCUT.sub(_alt, text)
    text = _AUTOLINK.sub(lambda m: f"`{m.group(1)}`", text)
    text = _LINK.sub(_link, text)
    return _TAG.sub(_tag, text)


def _alt(match: re.Match[str]) -> str:
    return match.group(1)


def _link(match: re.Match[str]) -> str:
    label, target = match.group(1), match.group(2)
    if target.lower().startswith(_SAFE_SCHEMES):
        return match.group(0)
    return label


def _tag(match: re.Match[str]) -> str:
    if match.group(1).lower() in _HTML_ELEMENTS:
        return ""
    return "\\" + match.group(0)


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    budget = max(max_chars - len(TRUNCATION_NOTE) - 8, 0)
    cut = text[:budget]
    newline = cut.rfind("\n")
    if newline > budget // 2:
        cut = cut[:newline]
    open_fence = _open_fence(cut)
    tail = f"\n{open_fence}" if open_fence else ""
    return f"{cut.rstrip()}{tail}\n\n{TRUNCATION_NOTE}"


def _open_fence(text: str) -> str | None:
    fence: str | None = None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if opening is None:
            continue
        if fence is None:
            fence = opening.group(1)
        elif _closes(line, fence):
            fence = None
    return fence


_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_MARKUP = re.compile(r"^#{1,6}\s+|^[*-]\s+|\*\*|__|`")


def first_sentence(markdown: str, limit: int = 300) -> str:
    """The first sentence of the first paragraph, without Markdown markup (for a message)."""
    for paragraph in markdown.split("\n\n"):
        stripped = paragraph.strip()
        if not stripped or _FENCE.match(stripped):
            continue
        flat = " ".join(_MARKUP.sub("", line.strip()) for line in stripped.split("\n"))
        flat = _MARKUP.sub("", flat).strip()
        if not flat:
            continue
        sentence = _SENTENCE_END.split(flat, maxsplit=1)[0]
        if len(sentence) > limit:
            sentence = sentence[: limit - 1].rstrip() + "…"
        return sentence
    return ""
