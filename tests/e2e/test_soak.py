"""A small soak (``benchmarks/soak.py`` at a tenth of its size or less): nothing leaks.

Asserts behaviour only: no file descriptor or thread left behind, nothing in flight afterwards,
every document closed, the upstream traffic bounded by the requests made. Memory is the
benchmark's figure (RSS depends on the allocator and the machine).
"""

from __future__ import annotations

from benchmarks.soak import soak


def test_small_soak_leaves_no_descriptors_or_work_behind() -> None:
    result = soak(edits=500, completions=100, documents=20)
    assert result["fd_growth"] <= 0, result
    # Thread pools start workers lazily up to their limit (one more under load is not a leak);
    # a leak grows with the work: 20 documents and 100 completions would add many.
    assert result["thread_growth"] <= 2, result
    assert result["status_after"] == {
        "documents": 1,
        "inFlight": 0,
        # The status request itself; pygls used to keep every notification's future too.
        "pendingHandlers": 1,
        "reviewInFlight": 0,
        "reviewQueue": 0,
    }
    assert 0 < result["upstream_requests"] <= 100 + 20
    assert result["completions_with_an_item"] > 0
