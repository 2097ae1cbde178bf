"""Line index and LSP position-encoding conversion.

Owns the mapping between code-point offsets into a document's text (the unit used by the whole
analyzers API) and (line, column) positions, and the conversion of a column between code points
and the code units of an LSP ``positionEncoding`` (utf-8 bytes, utf-16 units, utf-32 = code
points).

Line breaks are ``\\n``, ``\\r\\n`` and a lone ``\\r``, as LSP defines them.  A line's text never
includes its line ending.  Every lookup clamps out-of-range input instead of raising.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import AnyStr, Literal

__all__ = [
    "Encoding",
    "LineIndex",
    "byte_line_starts",
    "column_to_units",
    "edit_byte_starts",
    "edit_starts",
    "last_non_space",
    "line_starts",
    "units_to_column",
]

Encoding = Literal["utf-8", "utf-16", "utf-32"]

_BREAK_RE = re.compile(r"\r\n|\r|\n")
_BYTE_BREAK_RE = re.compile(rb"\r\n|\r|\n")
_OTHER_SEPARATORS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_starts(text: str) -> list[int]:
    """Code-point offsets of the starts of the lines of ``text`` (the first is always 0)."""
    if not any(sep in text for sep in _OTHER_SEPARATORS):
        # str.splitlines runs in C and knows "\r\n" and lone "\r"; it also splits on the
        # separators checked above, which LSP does not treat as line breaks.
        starts = list(accumulate(map(len, text.splitlines(True)), initial=0))
        if len(starts) > 1 and not text.endswith(("\n", "\r")):
            starts.pop()
        return starts
    starts = [0]
    starts.extend(m.end() for m in _BREAK_RE.finditer(text))
    return starts


class LineIndex:
    """Immutable index of line starts for one text; all lookups are O(log n)."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str, *, _starts: list[int] | None = None) -> None:
        self._text = text
        self._starts = line_starts(text) if _starts is None else _starts

    @property
    def text(self) -> str:
        """The indexed text."""
        return self._text

    @property
    def line_count(self) -> int:
        """Number of lines (a trailing line break starts one more, empty, line)."""
        return len(self._starts)

    @property
    def starts(self) -> list[int]:
        """Code-point offsets of the line starts (do not mutate)."""
        return self._starts

    def _clamp_line(self, line: int) -> int:
        if line < 0:
            return 0
        last = len(self._starts) - 1
        return last if line > last else line

    def line_start(self, line: int) -> int:
        """Offset of the first character of ``line`` (clamped to the existing lines)."""
        return self._starts[self._clamp_line(line)]

    def line_end(self, line: int) -> int:
        """Offset just past the last character of ``line``, excluding its line ending."""
        line = self._clamp_line(line)
        if line + 1 >= len(self._starts):
            return len(self._text)
        nxt = self._starts[line + 1]
        if nxt >= 2 and self._text[nxt - 2 : nxt] == "\r\n":
            return nxt - 2
        return nxt - 1

    def line_text(self, line: int) -> str:
        """Text of ``line`` without its line ending."""
        line = self._clamp_line(line)
        return self._text[self._starts[line] : self.line_end(line)]

    def line_of(self, offset: int) -> int:
        """Line containing ``offset`` (clamped)."""
        if offset <= 0:
            return 0
        return bisect_right(self._starts, offset) - 1

    def offset_at(self, line: int, column: int) -> int:
        """Offset of a code-point (line, column), clamping both to the text."""
        if line < 0:
            return 0
        if line >= len(self._starts):
            line = len(self._starts) - 1
        start = self._starts[line]
        if column <= 0:
            return start
        end = self.line_end(line)
        return min(start + column, end)

    def position_at(self, offset: int) -> tuple[int, int]:
        """(line, code-point column) of ``offset``, clamped to the text.

        An offset inside a ``\\r\\n`` pair maps to the end of its line.
        """
        if offset <= 0:
            return (0, 0)
        if offset > len(self._text):
            offset = len(self._text)
        line = bisect_right(self._starts, offset) - 1
        column = offset - self._starts[line]
        end = self.line_end(line)
        if offset > end:
            column = end - self._starts[line]
        return (line, column)

    def edited(self, new_text: str, start: int, old_end: int, new_end: int) -> LineIndex:
        """Index of ``new_text``, which is this text with ``[start, old_end)`` replaced.

        ``new_end`` is where the replacement ends in ``new_text``.  Only the lines around the
        edit are rescanned; the others are shifted.
        """
        return LineIndex(
            new_text,
            _starts=edit_starts(self._starts, new_text, start, old_end, new_end),
        )


def edit_starts(old: list[int], new_text: str, start: int, old_end: int, new_end: int) -> list[int]:
    """Line starts of ``new_text`` derived from the old text's starts ``old`` after an edit."""
    starts = _rescan_edit(_BREAK_RE, old, new_text, start, old_end, new_end)
    return line_starts(new_text) if starts is None else starts


def byte_line_starts(data: bytes) -> list[int]:
    """Byte offsets of the starts of the lines of utf-8 ``data`` (the first is always 0)."""
    starts = [0]
    starts.extend(m.end() for m in _BYTE_BREAK_RE.finditer(data))
    return starts


def edit_byte_starts(
    old: list[int], new_data: bytes, start: int, old_end: int, new_end: int
) -> list[int]:
    """:func:`edit_starts` on utf-8 bytes: offsets and the edit are byte offsets.

    Line breaks are ASCII, so the byte and code-point line structures always agree.
    """
    starts = _rescan_edit(_BYTE_BREAK_RE, old, new_data, start, old_end, new_end)
    return byte_line_starts(new_data) if starts is None else starts


def _rescan_edit(
    breaks: re.Pattern[AnyStr], old: list[int], new: AnyStr, start: int, old_end: int, new_end: int
) -> list[int] | None:
    """Line starts of ``new`` rescanning only around the edit; None when a full scan is needed."""
    # The rescanned window begins at a line start strictly before the edit (so a "\r" | "\n"
    # pair split or joined at the edit's start is seen) and ends at a line start at least two
    # characters past the edit (so the line ending before it lies wholly in unchanged text).
    i_ws = max(bisect_right(old, start - 1) - 1, 0)
    ws = old[i_ws]
    i_we = bisect_right(old, old_end + 1)
    delta = new_end - old_end
    result = old[: i_ws + 1]
    if i_we >= len(old):
        result.extend(m.end() for m in breaks.finditer(new, ws))
        return result
    we_new = old[i_we] + delta
    result.extend(m.end() for m in breaks.finditer(new, ws, we_new))
    if result[-1] != we_new:
        # Defensive: the window must end at a line start; the caller scans the whole text.
        return None
    tail = old[i_we + 1 :]
    if delta:
        result.extend(map(delta.__add__, tail))
    else:
        result.extend(tail)
    return result


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unit_len(ch: str, encoding: Encoding) -> int:
    cp = ord(ch)
    if encoding == "utf-16":
        return 2 if cp > 0xFFFF else 1
    if cp < 0x80:
        return 1
    if cp < 0x800:
        return 2
    if cp < 0x10000:
        return 3
    return 4


def units_to_column(line_text: str, units: int, encoding: Encoding) -> int:
    """Convert a client column in ``encoding`` code units to a code-point column.

    Clamps to the line length; a unit count that falls inside a character (inside a UTF-16
    surrogate pair or a multi-byte UTF-8 sequence) rounds down to that character's start.
    """
    if units <= 0:
        return 0
    if encoding == "utf-32" or line_text.isascii():
        return min(units, len(line_text))
    if _has_surrogates(line_text):
        column = 0
        used = 0
        for ch in line_text:
            used += _unit_len(ch, encoding)
            if used > units:
                break
            column += 1
        return column
    if encoding == "utf-16":
        data = line_text.encode("utf-16-le")
        return len(data[: units * 2].decode("utf-16-le", errors="ignore"))
    data = line_text.encode("utf-8")
    return len(data[:units].decode("utf-8", errors="ignore"))


def column_to_units(line_text: str, column: int, encoding: Encoding) -> int:
    """Convert a code-point column to ``encoding`` code units (column clamped to the line)."""
    if column <= 0:
        return 0
    if column > len(line_text):
        column = len(line_text)
    if encoding == "utf-32":
        return column
    prefix = line_text[:column]
    if prefix.isascii():
        return column
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le", errors="surrogatepass")) // 2
    return len(prefix.encode("utf-8", errors="surrogatepass"))


def last_non_space(text: str, end: int) -> int:
    """Offset just past the last non-whitespace character before ``end`` (0 if none)."""
    end = min(max(end, 0), len(text))
    while end > 0:
        lo = max(end - 256, 0)
        stripped = len(text[lo:end].rstrip())
        if stripped:
            return lo + stripped
        end = lo
    return 0
