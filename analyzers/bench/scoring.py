"""One suggestion on one masked task, scored: exact match, edit similarity, parseable, empty.

Owns :class:`MaskedTask` (a task's masked document and the original file's syntax error count)
and :func:`score`.  A non-empty suggestion is *parseable* when inserting it at the cursor leaves
no more syntax errors than the original file had (a file that did not parse is not held against
the model).
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.bench.metrics import edit_similarity, exact_match
from analyzers.bench.tasks import SourceFile, Task, masked_text
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument

__all__ = ["MaskedTask", "Score", "score"]


@dataclass(frozen=True)
class Score:
    """How one suggestion compares with the masked target."""

    exact: bool
    similarity: float
    """Edit similarity, 0-100."""
    parseable: bool | None
    """None for an empty suggestion."""
    empty: bool


@dataclass(frozen=True)
class MaskedTask:
    """A task ready to run: the document with its target removed, cursor at ``task.offset``."""

    task: Task
    document: SourceDocument
    baseline_errors: int
    """Syntax errors of the original (unmasked) file."""

    @classmethod
    def of(cls, task: Task, file: SourceFile) -> MaskedTask:
        """Mask ``task`` in ``file`` (raises ``ValueError`` if the file no longer holds it)."""
        language = language_for(None, file.path)
        document = SourceDocument(masked_text(task, file.text), language)
        return cls(task, document, SourceDocument(file.text, language).error_count())

    @property
    def line(self) -> int:
        """1-based line of the cursor."""
        return self.document.lines.position_at(self.task.offset)[0] + 1


def score(prediction: str, masked: MaskedTask) -> Score:
    """Score ``prediction`` (the text inserted at the cursor) against the task's target."""
    task, doc = masked.task, masked.document
    parseable: bool | None = None
    if prediction:
        filled = SourceDocument(
            doc.text[: task.offset] + prediction + doc.text[task.offset :], doc.language
        )
        parseable = filled.error_count() <= masked.baseline_errors
    return Score(
        exact=exact_match(prediction, task.target, task.language),
        similarity=edit_similarity(prediction, task.target, task.language),
        parseable=parseable,
        empty=not prediction,
    )
