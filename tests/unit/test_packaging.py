"""Every data file the code loads at run time is shipped in the wheel (package-data globs)."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_is_covered_by_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    packages: list[str] = config["packages"]
    package_data: dict[str, list[str]] = config["package-data"]
    uncovered = []
    for top in ("server", "analyzers"):
        for path in (ROOT / top).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            package = ".".join(path.parent.relative_to(ROOT).parts)
            globs = package_data.get(package, [])
            if package not in packages or not any(fnmatch.fnmatch(path.name, g) for g in globs):
                uncovered.append(str(path.relative_to(ROOT)))
    assert uncovered == []


def test_every_python_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("server", "analyzers")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= set(config["packages"])
