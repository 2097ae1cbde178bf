"""How many prompt tokens llama.cpp really evaluated for a request, read from its own log.

Owns :class:`LlamaTimings`.  With ``GROVE_EMBEDDED_TIMINGS=1`` the embedded model runs verbose and
its log gets, per request, llama-cpp-python's ``Llama.generate: N prefix-match hit, remaining M
prompt tokens to eval`` (the KV cache held the first N tokens) or ``full prompt already cached``,
and llama.cpp's ``prompt eval time = ... / K tokens``.  The tokens read are M, or 0 for a fully
cached prompt, or K (or all the tokens sent, when that line is not written yet) when the cache
held nothing.  The harness marks the log's end before a request
and reads what was appended after it.
"""

from __future__ import annotations

import os
import re
import tempfile

from server.backend import TIMINGS_ENV

__all__ = ["LlamaTimings", "private_model_environment"]

_PREFIX_HIT = re.compile(rb"prefix-match hit, remaining (\d+) prompt tokens to eval")
_REQUEST = re.compile(
    rb"(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval|full prompt already cached"
)
_FULL_HIT = re.compile(rb"full prompt already cached")
_PROMPT_EVAL = re.compile(rb"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens")


class LlamaTimings:
    """Reads the model log appended since :meth:`mark`."""

    def __init__(self) -> None:
        self._offset = 0

    def mark(self, log: str | None) -> None:
        """Remember where the log ends now."""
        try:
            self._offset = os.path.getsize(log) if log else 0
        except OSError:
            self._offset = 0

    def requests(self, log: str | None) -> list[tuple[int | None, int]]:
        """(tokens sent, tokens read) of every request since :meth:`mark`, in order.

        The prompt's first token always matches the cache, so llama-cpp-python logs one line per
        request: ``N prefix-match hit, remaining M`` (sent N + M, read M), or ``full prompt
        already cached`` (read 0, sent not logged: None).
        """
        out: list[tuple[int | None, int]] = []
        for match in _REQUEST.finditer(self._chunk(log)):
            if match.group(1) is None:
                out.append((None, 0))
            else:
                kept, read = int(match.group(1)), int(match.group(2))
                out.append((kept + read, read))
        return out

    def _chunk(self, log: str | None) -> bytes:
        if not log:
            return b""
        try:
            with open(log, "rb") as handle:
                handle.seek(self._offset)
                return handle.read()
        except OSError:
            return b""

    def tokens_read(self, log: str | None, sent: int) -> int | None:
        """Prompt tokens evaluated by the request made since :meth:`mark` (None: no log).

        Without a prefix-match line llama.cpp reused nothing: all ``sent`` tokens were read.
        """
        if not log:
            return None
        chunk = self._chunk(log)
        hits = _PREFIX_HIT.findall(chunk)
        if hits:
            return int(hits[-1])
        if _FULL_HIT.search(chunk):
            return 0
        evals = _PROMPT_EVAL.findall(chunk)
        return int(evals[0]) if evals else sent


def private_model_environment() -> None:
    """Have llama.cpp log what it reads per request, in a model host private to this process.

    Child processes (``grove serve``) inherit it.
    """
    os.environ[TIMINGS_ENV] = "1"
    private = tempfile.mkdtemp(prefix="grove-timings-")
    os.environ.setdefault("XDG_STATE_HOME", private)
    os.environ.setdefault("GROVE_RUNTIME_DIR", private)
