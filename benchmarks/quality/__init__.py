"""The completion quality harness: real source files, masked tasks, metrics and a runner.

* :mod:`benchmarks.quality.sources` collects source files already on the machine;
* :mod:`benchmarks.quality.masking` turns them into fill-in-the-middle tasks by syntax;
* :mod:`benchmarks.quality.metrics` scores predictions (exact match, edit similarity) and
  compares strategies (paired bootstrap).
"""
