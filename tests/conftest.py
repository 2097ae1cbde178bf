"""Shared pytest set-up: the scripted OpenAI-compatible server fixtures, and the embedded rule.

Tests marked ``embedded`` run the real bundled model and need the ``local`` extra. Without it
they are skipped with the reason (a light install still runs everything else). With
``GROVE_REQUIRE_EMBEDDED=1`` (set by ``.ci/run``) nothing marked ``embedded`` may be skipped:
a missing extra, or a skip from inside such a test, is reported as a failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator

import pytest

from server.llm.embedded_install import embedded_available

pytest_plugins = ["tests.support.fixtures"]

# The shared embedded model registers itself in a runtime directory: the suite uses its own, and
# the model stops soon after the last test lets go of it (every server the tests start inherits
# this environment).
os.environ.setdefault("GROVE_RUNTIME_DIR", tempfile.mkdtemp(prefix="grove-test-runtime-"))
os.environ.setdefault("GROVE_EMBEDDED_IDLE_S", "2")
# The embedded model's log goes to $XDG_STATE_HOME/grove: never the real home's during the suite.
os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="grove-test-state-"))

# Looking for model servers on the real well-known loopback ports would make the suite depend on
# what runs on this machine: tests that exercise discovery name their own ports.
os.environ.setdefault("GROVE_DISCOVERY_PORTS", "")

REQUIRE_EMBEDDED = "GROVE_REQUIRE_EMBEDDED"


def _required() -> bool:
    return os.environ.get(REQUIRE_EMBEDDED, "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``embedded`` tests, with the reason, when the ``local`` extra is missing."""
    available, why = embedded_available()
    if available or _required():
        return
    skip = pytest.mark.skip(reason=f"needs the 'local' extra: {why}")
    for item in items:
        if item.get_closest_marker("embedded") is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under ``GROVE_REQUIRE_EMBEDDED``, an ``embedded`` test that was skipped has failed."""
    report = yield
    if report.skipped and _required() and item.get_closest_marker("embedded") is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked 'embedded' and was skipped, but {REQUIRE_EMBEDDED} is set "
            f"(CI runs every embedded test): {report.longrepr}"
        )
    return report
