"""The LLM review, pure side: what to review, and what to keep of the model's answer.

* :mod:`.units` -- :func:`review_units`: the review units of a document (functions, methods,
  module-level chunks), their context hashes, the prompt's code block, the findings schema and
  the reasons a file is not reviewed;
* :mod:`.answers` -- parsing and validating an answer: every finding must quote its line, and
  duplicates and findings over the caps are dropped.
"""

from __future__ import annotations

from analyzers.review.answers import (
    MAX_PER_FILE,
    MAX_PER_UNIT,
    Finding,
    PlacedFinding,
    UnitAnswer,
    cap_file,
    place,
    read_answer,
    reanchor,
)
from analyzers.review.units import (
    CATEGORIES,
    ReviewUnit,
    UnitKind,
    code_block,
    finding_schema,
    review_units,
    skip_reason,
)

__all__ = [
    "CATEGORIES",
    "MAX_PER_FILE",
    "MAX_PER_UNIT",
    "Finding",
    "PlacedFinding",
    "ReviewUnit",
    "UnitAnswer",
    "UnitKind",
    "cap_file",
    "code_block",
    "finding_schema",
    "place",
    "read_answer",
    "reanchor",
    "review_units",
    "skip_reason",
]
