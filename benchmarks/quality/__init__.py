"""The completion quality harness: real source files, masked tasks, metrics and a runner.

* :mod:`benchmarks.quality.sources` collects source files already on the machine;
* :mod:`analyzers.bench.tasks` turns them into fill-in-the-middle tasks by syntax and
  :mod:`analyzers.bench.metrics` scores predictions (exact match, edit similarity) and compares
  strategies (paired bootstrap) -- both shared with ``grove bench``, which runs the same tasks on
  the user's own code (:mod:`server.bench`);
* :mod:`benchmarks.quality.show_tasks` prints the tasks this machine's sources give.
"""
