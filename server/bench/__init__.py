"""``grove bench``: completions measured on the user's own code, with the user's own model.

* :mod:`.files` collects the files under a directory by Grove's ignore and secret rules;
* :mod:`.variants` turns ``--compare`` values into settings;
* :mod:`.runner` runs masked tasks through the completion pipeline, timed and scored;
* :mod:`.report` and :mod:`.plot` print the table and write the JSON and the SVG;
* :mod:`.command` is the command itself (arguments, order of work, exit codes).

The tasks and the scores are pure and live in :mod:`analyzers.bench`.
"""
