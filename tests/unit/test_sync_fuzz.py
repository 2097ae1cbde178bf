"""Document sync fuzzed through server/lsp/documents.py with its real position codec.

A seeded random client edits documents the way editors do: incremental changes, several
changes in one ``didChange`` (each applied to the result of the previous one), whole-document
replacements inside a batch, CRLF line endings and astral characters (emoji: surrogate pairs in
UTF-16) -- in each of the three negotiated position encodings. The client keeps its own model
of the text and computes positions with its own (independent) encoder. After every step the
server's text must equal the client's, its line index must equal a fresh one, and its
incremental tree must equal a fresh parse of the same text.
"""

from __future__ import annotations

import random
import re

import pytest
from lsprotocol import types

from analyzers.positions import Encoding, line_starts
from server.lsp.documents import DocumentStore

from .test_analyzers_parsing import assert_same_as_fresh

STEPS = 300
ENCODINGS: list[Encoding] = ["utf-16", "utf-8", "utf-32"]
_BREAK = re.compile(r"\r\n|\r|\n")

PIECES = [
    "a",
    "xy",
    " ",
    "    ",
    "\n",
    "\r\n",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    '"',
    "#",
    "def ",
    "return ",
    "if ",
    "😀",
    "🐍=",
    "日本",
    "é",
    "\t",
]

START = {
    "python": (
        "def greet(name):\r\n    return f'héllo {name} 😀'\r\n\r\nclass 日本:\r\n    pass\r\n"
    ),
    "typescript": "function f(a: number) {\n  return a + 1; // 🐍\n}\n\nconst s = 'ü';\n",
}


def units(text: str, encoding: Encoding) -> int:
    """Length of ``text`` in the encoding's code units (the client's own encoder)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def position(text: str, offset: int, encoding: Encoding) -> types.Position:
    """The LSP position of a code-point offset, as a client computes it."""
    line = 0
    line_start = 0
    for match in _BREAK.finditer(text, 0, offset):
        line += 1
        line_start = match.end()
    return types.Position(line=line, character=units(text[line_start:offset], encoding))


def valid_offsets(text: str) -> list[int]:
    """Offsets a client can name: not between the ``\\r`` and ``\\n`` of a CRLF."""
    return [i for i in range(len(text) + 1) if text[i - 1 : i + 1] != "\r\n"]


def random_insert(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def random_change(
    rng: random.Random, text: str, encoding: Encoding
) -> tuple[types.TextDocumentContentChangeEvent, str]:
    """One content change and the client's text after it."""
    if rng.random() < 0.03:
        new = rng.choice(list(START.values())) + random_insert(rng)
        return types.TextDocumentContentChangeWholeDocument(text=new), new
    offsets = valid_offsets(text)
    start = rng.choice(offsets)
    deleting = rng.random() < (0.2 if len(text) < 1_000 else 0.6)
    reach = 10 if deleting else 2
    end = rng.choice([o for o in offsets if start <= o <= start + reach])
    inserted = "" if deleting else random_insert(rng)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=position(text, start, encoding), end=position(text, end, encoding)),
        text=inserted,
    )
    return change, text[:start] + inserted + text[end:]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("language_id", sorted(START))
def test_random_batches_keep_text_and_tree_in_step(encoding: Encoding, language_id: str) -> None:
    rng = random.Random(f"grove-sync-{encoding}-{language_id}")
    store = DocumentStore()
    uri = f"file:///tmp/fuzz.{'py' if language_id == 'python' else 'ts'}"
    text = START[language_id]
    store.open(types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text))
    for step in range(STEPS):
        batch: list[types.TextDocumentContentChangeEvent] = []
        for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
            change, text = random_change(rng, text, encoding)
            batch.append(change)
        identifier = types.VersionedTextDocumentIdentifier(uri=uri, version=step + 2)
        document = store.change(identifier, batch, encoding)
        assert document is not None
        assert document.source.text == text, f"step {step}: {batch}"
        assert document.version == step + 2
        assert document.source.lines.starts == line_starts(text)
        if step % 3 == 0 or step == STEPS - 1:
            assert_same_as_fresh(document.source, strict=False)
        # The codec maps the client's positions back to the same offsets.
        offset = rng.choice(valid_offsets(text))
        assert document.offset_at(position(text, offset, encoding), encoding) == offset
        assert document.position_at(offset, encoding) == position(text, offset, encoding)
    # Undo everything with one exact replacement: the tree must match a fresh parse exactly.
    original = START[language_id]
    whole = types.Range(
        start=types.Position(line=0, character=0), end=position(text, len(text), encoding)
    )
    store.change(
        types.VersionedTextDocumentIdentifier(uri=uri, version=STEPS + 2),
        [types.TextDocumentContentChangePartial(range=whole, text=original)],
        encoding,
    )
    document = store.get(uri)
    assert document is not None and document.source.text == original
    assert_same_as_fresh(document.source)


def test_positions_inside_a_surrogate_pair_or_past_the_end_are_clamped() -> None:
    store = DocumentStore()
    uri = "file:///tmp/clamp.py"
    store.open(types.TextDocumentItem(uri=uri, language_id="python", version=1, text="a😀b\r\nc\n"))
    # character 2 in UTF-16 is inside the emoji's surrogate pair; line 9 does not exist.
    inside = types.Position(line=0, character=2)
    beyond = types.Position(line=9, character=4)
    document = store.change(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [
            types.TextDocumentContentChangePartial(
                range=types.Range(start=inside, end=inside), text="X"
            ),
            types.TextDocumentContentChangePartial(
                range=types.Range(start=beyond, end=beyond), text="Z"
            ),
            types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=0, character=999),
                    end=types.Position(line=0, character=0),
                ),
                text="",
            ),
        ],
        "utf-16",
    )
    assert document is not None
    text = document.source.text
    assert text.endswith("c\nZ")
    assert "\ud83d" not in text and "\ude00" not in text  # the pair was never split
    assert_same_as_fresh(document.source, strict=False)
