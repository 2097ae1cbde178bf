"""analyzers.markdown: model Markdown made safe to render; the one-sentence summary."""

from __future__ import annotations

import pytest

from analyzers.markdown import TRUNCATION_NOTE, first_sentence, sanitize_markdown


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("It \u202eadds\u202c numbers\u2066.\u2069", "It adds numbers."),
        ("zero\u200bwidth\ufeff and bell\x07 and \x1b[31mred\x1b[0m", "zerowidth and bell and red"),
        ("C1\x9b1m control\x85", "C1 control"),
        ("CRLF\r\nlines\rhere", "CRLF\nlines\nhere"),
        ("emoji 👩\u200d💻 keeps its joiner", "emoji 👩\u200d💻 keeps its joiner"),
    ],
    ids=["bidi", "zero-width-and-escapes", "c1", "line-endings", "zwj"],
)
def test_invisible_and_control_characters_are_removed(raw: str, clean: str) -> None:
    assert sanitize_markdown(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("See ![diagram](http://evil.example/p.png) here", "See diagram here"),
        ("![x](https://e.example/a_(b).png 'title')", "x"),
        ("![ref image][logo]\n\n[logo]: http://evil.example/logo.png", "ref image"),
        ('Pixel <img src="http://evil.example/t.gif" width=1>.', "Pixel ."),
        ("a <iframe src=x>inner</iframe> b", "a  b"),
        ("a <script>fetch('http://x')</script> b <!-- hidden --> c", "a  b  c"),
        ("<div><b>bold</b></div>", "bold"),
        ("Read <https://docs.example/a>.", "Read `https://docs.example/a`."),
        ("Mail <me@example.com>", "Mail `me@example.com`"),
        ("[docs](https://docs.python.org/3/)", "[docs](https://docs.python.org/3/)"),
        (
            "[run](command:workbench.action.quit) [js](javascript:alert(1)) [f](file:///etc)",
            "run js f",
        ),
        ("[local](../secrets.txt)", "local"),
        ("Returns Promise<string> or List<int>", "Returns Promise\\<string> or List\\<int>"),
    ],
    ids=[
        "image",
        "image-parens",
        "reference-image",
        "img-tag",
        "iframe",
        "script-and-comment",
        "tags",
        "autolink",
        "email-autolink",
        "http-link-kept",
        "unsafe-links",
        "relative-link",
        "generics",
    ],
)
def test_remote_content_and_html_are_made_inert(raw: str, clean: str) -> None:
    assert sanitize_markdown(raw) == clean


def test_code_blocks_and_inline_code_are_left_as_written() -> None:
    raw = (
        "Use `<img src=x>` carefully.\n\n"
        '```html\n<img src="http://example/x.png">\n![a](http://b)\n```\n\n'
        "~~~\n<script>ok()</script>\n~~~"
    )
    assert sanitize_markdown(raw) == raw


def test_an_open_fence_is_closed() -> None:
    assert sanitize_markdown("Text.\n\n```python\nx = 1") == "Text.\n\n```python\nx = 1\n```"
    assert sanitize_markdown("````\nx\n```\ny") == "````\nx\n```\ny\n````"


def test_long_answers_are_capped_at_a_line_with_a_note() -> None:
    raw = "Summary.\n\n```python\n" + "value = 1\n" * 5000 + "```"
    clean = sanitize_markdown(raw, max_chars=2000)
    assert len(clean) <= 2000
    assert clean.startswith("Summary.\n\n```python\nvalue = 1\n")
    assert clean.endswith("value = 1\n```\n\n" + TRUNCATION_NOTE)


def test_first_sentence() -> None:
    markdown = "## Summary\n\n**`area`** computes the area. Then it scales it.\n\nMore."
    assert first_sentence(markdown) == "Summary"
    assert first_sentence("`area` computes\nthe area. More here.") == "area computes the area."
    assert first_sentence("```\ncode\n```\n\nAfter the code.") == "After the code."
    assert first_sentence("x" * 400, limit=50) == "x" * 49 + "…"
    assert first_sentence("") == ""
