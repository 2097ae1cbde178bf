"""The pure parts of measuring completions on real code: masked tasks, scores, statistics.

* :mod:`.tasks` cuts fill-in-the-middle tasks from source files by syntax;
* :mod:`.scoring` scores one suggestion on one task (exact match, edit similarity, parseable);
* :mod:`.metrics` holds the metric definitions and the statistics (percentiles, bootstrap).

Used by ``grove bench`` (``server/bench/``, on the user's own files) and by the offline quality
harness (``benchmarks/quality/``, on code already on the machine).
"""
