"""Model answers: the template the model fills, parsing it back, salvage, and skeletons.

* :func:`answer_template` -- summary, then ``Args:``/``Returns:``/``Raises:`` sections that name
  the real parameters and errors (one layout for every language and style);
* :func:`parse_answer` -- that layout back to a :class:`DocContent`, with the problems that make
  it unusable (code fences, code, prose around it, wrong or missing parameters);
* :func:`salvage_answer` -- the documentation text inside code the model answered with;
* :func:`skeleton` -- a clearly marked ``TODO`` content built from the syntax tree alone.
"""

from __future__ import annotations

import inspect
import re

from analyzers.docstrings.model import SKELETON_MARK, DocContent, DocTarget

__all__ = ["FENCE", "answer_template", "parse_answer", "salvage_answer", "skeleton"]

_SECTION_NAMES = {
    "args": "params",
    "arguments": "params",
    "parameters": "params",
    "params": "params",
    "returns": "returns",
    "return": "returns",
    "yields": "returns",
    "raises": "raises",
    "throws": "raises",
    "exceptions": "raises",
}
_SECTION = re.compile(r"^(?P<name>[A-Za-z]+)\s*:\s*(?P<rest>.*)$")
_ENTRY = re.compile(
    r"^(?P<name>(?:\*{1,2}|\.\.\.|&)?[A-Za-z_$][\w$.]*(?:::[A-Za-z_]\w*)*)\s*(?:\([^)]*\))?"
    r"\s*:\s*(?P<text>.*)$"
)
_SHARED_ENTRY = re.compile(
    r"^(?P<names>[*.]*[A-Za-z_$][\w$]*(?:\s*,\s*[*.]*[A-Za-z_$][\w$]*)+)\s*:\s*(?P<text>.*)$"
)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})", re.MULTILINE)
_CODE_LINE = re.compile(
    r"^\s*(?:(?:async\s+)?def\s|class\s+\w+.*[:{(]|function\b|func\s|(?:pub\s+)?fn\s|import\s|"
    r"from\s+\S+\s+import\b|return\s|const\s+\w+\s*=|let\s+\w+\s*=|var\s+\w+\s*=|#include\b)"
    r"|[;{}]\s*$"
)
_PROSE = re.compile(
    r"^\s*(?:here(?:'s| is| are)\b|sure\b|certainly\b|of course\b|below is\b|the (?:doc(?:string|"
    r"umentation)|comment) (?:is|for)\b|i (?:hope|have|will|can)\b|let me know\b|note:)",
    re.IGNORECASE,
)
_QUOTES = ('r"""', '"""', "r'''", "'''")


def answer_template(target: DocTarget) -> str:
    """The layout the model is asked to fill: summary, then the sections with real names."""
    parts = [f"<one-line summary of what {target.name} does>"]
    if target.params and target.kind != "class":
        parts.append("Args:\n" + "\n".join(f"    {p.key}: ..." for p in target.params))
    if target.returns_value:
        parts.append(("Yields:" if target.yields else "Returns:") + "\n    ...")
    if target.raises:
        parts.append("Raises:\n" + "\n".join(f"    {r}: ..." for r in target.raises))
    return "\n\n".join(parts)


def _strip_wrappers(lines: list[str]) -> list[str]:
    """Remove quotes or comment markers a model may wrap the text in (content is kept)."""
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return lines
    first = lines[0].lstrip()
    for quote in _QUOTES:
        if first.startswith(quote):
            lines[0] = first[len(quote) :]
            break
    last = lines[-1].rstrip()
    for quote in ('"""', "'''"):
        if last.endswith(quote):
            lines[-1] = last[: -len(quote)]
            break
    body = [ln for ln in lines if ln.strip()]
    for marker in ("///", "---", "//", "#"):
        if body and all(ln.lstrip().startswith(marker) for ln in body):
            return [ln.lstrip()[len(marker) :].removeprefix(" ") for ln in lines]
    if lines and lines[0].strip() == "/**" and lines[-1].strip() == "*/":
        return [ln.lstrip().removeprefix("*").removeprefix(" ") for ln in lines[1:-1]]
    return lines


def parse_answer(answer: str, target: DocTarget) -> tuple[DocContent | None, list[str]]:
    """The model's docstring text → content; the list names every problem found (empty: ok)."""
    problems: list[str] = []
    if FENCE.search(answer):
        problems.append("the answer contains a code fence; answer with plain text only")
    lines = _strip_wrappers(answer.replace("\r\n", "\n").split("\n"))
    header_line = target.header.split("\n", 1)[0].strip()
    for line in lines:
        if _CODE_LINE.search(line) or (len(header_line) > 8 and header_line in line):
            problems.append(f"the answer contains code ({line.strip()[:60]!r}); write prose only")
            break
    if lines and _PROSE.search(lines[0]):
        problems.append(f"the answer starts with chatter ({lines[0].strip()[:60]!r})")
    paragraphs: list[str] = []
    current: list[str] = []
    sections: dict[str, list[str]] = {}
    section: str | None = None
    for raw in lines:
        stripped = raw.strip()
        match = _SECTION.match(stripped)
        key = _SECTION_NAMES.get(match.group("name").lower()) if match else None
        at_margin = not raw.startswith((" ", "\t"))
        indented_header = match is not None and not match.group("rest") and section is not None
        if match is not None and key is not None and (at_margin or indented_header):
            section = key
            sections.setdefault(key, [])
            if match.group("rest"):
                sections[key].append(match.group("rest"))
            continue
        if section is not None:
            if stripped and not raw.startswith((" ", "\t")) and key is None:
                problems.append(f"text after the sections ({stripped[:60]!r})")
                section = None
            else:
                sections[section].append(raw)
                continue
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    if not paragraphs or paragraphs[0].startswith("<"):
        problems.append("the answer has no summary line")
        return None, problems
    summary, description = paragraphs[0], "\n\n".join(paragraphs[1:])
    params = _entries(sections.get("params", []))
    raises = _entries(sections.get("raises", []))
    returns = " ".join(s.strip() for s in sections.get("returns", []) if s.strip())
    content = DocContent(summary, description, params, returns, raises)
    problems.extend(_content_problems(content, target))
    return content, problems


_TRIPLE_QUOTED = re.compile(r"(\"\"\"|\'\'\')(.*?)\1", re.DOTALL)
_BLOCK_DOC = re.compile(r"/\*\*(.*?)\*/", re.DOTALL)
_LINE_DOCS = {
    "ruby": re.compile(r"(?:^[ \t]*#.*(?:\n|$))+", re.MULTILINE),
    "lua": re.compile(r"(?:^[ \t]*---.*(?:\n|$))+", re.MULTILINE),
}
_SLASH_DOC = re.compile(r"(?:^[ \t]*///?.*(?:\n|$))+", re.MULTILINE)
_MARKERS = {"ruby": "#", "lua": "-"}
_XML_TAG = re.compile(r"<(\w+)((?:\s+\w+=\"[^\"]*\")*)\s*>(.*?)</\1>", re.DOTALL)


def salvage_answer(answer: str, language: str) -> str | None:
    """The documentation text inside code the model answered with, if it wrote one.

    Small models often answer with the whole definition, docstring included, in a code block.
    Only the docstring's text is taken (and then parsed, rendered and validated like any
    answer); the model's code is discarded. Tags (``@param``, YARD, LuaLS, C# XML) are turned
    into the ``Args:``/``Returns:``/``Raises:`` layout.
    """
    if language == "python":
        match = _TRIPLE_QUOTED.search(answer)
        return inspect.cleandoc(match.group(2)) if match and match.group(2).strip() else None
    block = _BLOCK_DOC.search(answer)
    if block is not None and language not in ("ruby", "lua", "go", "rust"):
        lines = [
            ln.strip().removeprefix("*").removeprefix(" ") for ln in block.group(1).split("\n")
        ]
        return _tags_to_sections("\n".join(lines).strip(), language) or None
    match = _LINE_DOCS.get(language, _SLASH_DOC).search(answer)
    if match is None:
        return None
    marker = _MARKERS.get(language, "/")
    lines = [ln.strip().lstrip(marker).removeprefix(" ") for ln in match.group(0).splitlines()]
    text = "\n".join(lines).strip()
    if language == "csharp":
        text = _xml_to_tags(text)
    return _tags_to_sections(text, language) or None


def _xml_to_tags(text: str) -> str:
    """C# XML documentation → summary text and ``@param``-style tags."""
    out: list[str] = []
    for tag, attributes, body in _XML_TAG.findall(text):
        body = " ".join(body.split())
        name = re.search(r'(?:name|cref)="([^"]*)"', attributes)
        if tag in ("summary", "remarks"):
            out.append(body)
        elif tag == "param" and name:
            out.append(f"@param {name.group(1)} {body}")
        elif tag == "returns":
            out.append(f"@returns {body}")
        elif tag == "exception" and name:
            out.append(f"@throws {name.group(1)} {body}")
    return "\n".join(out) if out else text


def _tags_to_sections(text: str, language: str) -> str:
    """``@param``/``@return``/``@throws`` tags (JSDoc, Javadoc, YARD, LuaLS) → sections."""
    prose: list[str] = []
    params: list[str] = []
    returns: list[str] = []
    raises: list[str] = []
    for line in text.splitlines():
        tag = re.match(r"@(\w+)\s*(?:\{[^}]*\}\s*)?(.*)$", line.strip())
        if tag is None:
            prose.append(line)
            continue
        name, rest = tag.group(1), tag.group(2)
        if name in ("param", "arg", "argument"):
            entry = re.match(
                r"(?:\[\w+\]\s*)?\[?([\w$.]+)(?:=[^\]]*)?\]?\s*(?:\[[^\]]*\])?\s*-?\s*(.*)$", rest
            )
            if entry is not None:
                text_part = entry.group(2)
                if language == "lua":  # ---@param name type text
                    text_part = text_part.split(" ", 1)[1] if " " in text_part else ""
                params.append(f"    {entry.group(1)}: {text_part}")
        elif name in ("returns", "return"):
            if language == "lua":
                rest = rest.split(" ", 1)[1] if " " in rest else ""
            returns.append("    " + re.sub(r"^\[[^\]]*\]\s*", "", rest))
        elif name in ("throws", "exception", "raise", "raises"):
            thrown = re.match(r"\[?([\w:.]+)?\]?\s*-?\s*(.*)$", rest)
            if thrown is not None and thrown.group(1):
                raises.append(f"    {thrown.group(1)}: {thrown.group(2)}")
    out = "\n".join(prose).strip()
    for title, entries in (("Args", params), ("Returns", returns), ("Raises", raises)):
        if entries:
            out += f"\n\n{title}:\n" + "\n".join(entries)
    return out


def _entries(lines: list[str]) -> dict[str, str]:
    entries: dict[str, str] = {}
    last: str | None = None
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        several = _SHARED_ENTRY.match(stripped)
        if several is not None:  # "x, y: The data."
            for name in several.group("names").split(","):
                last = name.strip().lstrip("*.&")
                entries[last] = several.group("text").strip()
            continue
        match = _ENTRY.match(stripped)
        if match is not None:
            last = match.group("name").lstrip("*.&")
            entries[last] = match.group("text").strip()
        elif last is not None:
            entries[last] = (entries[last] + " " + stripped).strip()
        else:
            entries[stripped] = ""
    return entries


def _content_problems(content: DocContent, target: DocTarget) -> list[str]:
    problems: list[str] = []
    placeholder = re.compile(r"^\.\.\.$|^<.*>$")
    if placeholder.match(content.summary):
        problems.append("the summary is still a placeholder")
    if target.lists_params:
        real = [p.key for p in target.params]
        named = list(content.params)
        missing = [n for n in real if n not in content.params]
        invented = [n for n in named if n not in real]
        if missing:
            problems.append("Args is missing the parameter(s) " + ", ".join(missing))
        if invented:
            problems.append(
                "Args names parameter(s) the code does not have: " + ", ".join(invented)
            )
        empty = [n for n in real if n in content.params and placeholder.match(content.params[n])]
        if empty or any(not content.params.get(n, "x") for n in real):
            problems.append("every parameter needs a description")
    if content.returns and placeholder.match(content.returns):
        problems.append("the Returns section is still a placeholder")
    return problems


def skeleton(target: DocTarget) -> DocContent:
    """A clearly marked placeholder docstring built from the syntax tree alone."""
    return DocContent(
        summary=f"{SKELETON_MARK}: describe {target.name}.",
        params={p.key: f"{SKELETON_MARK}." for p in target.params},
        returns=f"{SKELETON_MARK}." if target.returns_value else "",
        raises={r: f"{SKELETON_MARK}." for r in target.raises},
    )
