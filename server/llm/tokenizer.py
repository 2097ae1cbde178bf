"""The embedded model's real tokenizer, loaded in-process for context budgets.

Owns :func:`load_embedded_tokenizer`.  The embedded model is a GGUF file on disk, so its vocabulary
can be loaded into this process (``vocab_only``: no weights, about 0.15 s and a few MB) and used to
count tokens in microseconds -- far cheaper than the llama.cpp server's ``/tokenize`` route, which
costs an HTTP round trip per count.  Remote endpoints keep the fast estimate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["load_embedded_tokenizer"]


def load_embedded_tokenizer(model_path: Path) -> Callable[[str], int] | None:
    """``text → token count`` with the GGUF's own vocabulary; None when llama_cpp is missing."""
    try:
        import llama_cpp
    except ImportError:
        return None
    try:
        model = llama_cpp.Llama(
            model_path=str(model_path), vocab_only=True, verbose=False, n_ctx=64, n_batch=64
        )
    except (OSError, ValueError, RuntimeError) as error:
        log.warning("could not load the embedded model's tokenizer: %s", error)
        return None

    def count(text: str) -> int:
        data = text.encode("utf-8", "surrogatepass")
        return len(model.tokenize(data, add_bos=False, special=False))

    return count
