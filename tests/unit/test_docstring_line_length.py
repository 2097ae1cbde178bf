"""Line length from formatter settings, and wrapping/rejecting over-long docstring lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzers.docstrings import (
    DocContent,
    DocEdit,
    DocTarget,
    configure,
    find_target,
    formatter_line_length,
    render_edit,
    validate_edit,
)
from analyzers.docstrings.line_length import editorconfig_line_length
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_configured_is_zero(tmp_path: Path) -> None:
    assert formatter_line_length(str(tmp_path / "a.py"), "python") == 0
    assert formatter_line_length(None, "python") == 0


def test_pyproject_ruff_or_black_found_above_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n')
    assert formatter_line_length(str(tmp_path / "src" / "pkg" / "a.py"), "python") == 100
    _write(tmp_path / "src" / "pyproject.toml", "[tool.black]\nline-length = 79\n")
    assert formatter_line_length(str(tmp_path / "src" / "pkg" / "a.py"), "python") == 79


def test_ruff_toml_and_flake8(tmp_path: Path) -> None:
    _write(tmp_path / "ruff.toml", "line-length = 120\n")
    assert formatter_line_length(str(tmp_path / "a.py"), "python") == 120
    _write(tmp_path / "sub" / "setup.cfg", "[flake8]\nmax-line-length = 99\n")
    assert formatter_line_length(str(tmp_path / "sub" / "a.py"), "python") == 99


def test_prettier_settings_for_javascript(tmp_path: Path) -> None:
    _write(tmp_path / ".prettierrc", '{"printWidth": 80, "semi": false}')
    assert formatter_line_length(str(tmp_path / "a.ts"), "typescript") == 80
    _write(tmp_path / "yaml" / ".prettierrc", "semi: false\nprintWidth: 90\n")
    assert formatter_line_length(str(tmp_path / "yaml" / "a.js"), "javascript") == 90
    _write(tmp_path / "pkg" / "package.json", '{"name": "x", "prettier": {"printWidth": 70}}')
    assert formatter_line_length(str(tmp_path / "pkg" / "a.js"), "javascript") == 70
    assert formatter_line_length(str(tmp_path / "a.py"), "python") == 0  # prettier is not Python's


def test_editorconfig_sections_and_root(tmp_path: Path) -> None:
    _write(tmp_path / ".editorconfig", "[*]\nmax_line_length = 110\n")
    _write(
        tmp_path / "proj" / ".editorconfig",
        "root = true\n\n[*.{py,rb}]\nmax_line_length = 72\n\n[Makefile]\nindent_style = tab\n",
    )
    assert formatter_line_length(str(tmp_path / "proj" / "a.rb"), "ruby") == 72
    assert formatter_line_length(str(tmp_path / "proj" / "a.go"), "go") == 0  # root stops
    assert formatter_line_length(str(tmp_path / "other" / "a.go"), "go") == 110


def test_formatter_setting_wins_over_editorconfig(tmp_path: Path) -> None:
    _write(tmp_path / ".editorconfig", "[*.py]\nmax_line_length = 72\n")
    _write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    assert formatter_line_length(str(tmp_path / "a.py"), "python") == 100


def test_editorconfig_off_is_no_limit() -> None:
    assert editorconfig_line_length("[*]\nmax_line_length = off\n", "a.py") == (0, False)


LONG = " ".join(["word"] * 40)


def _at_return(text: str, path: str) -> tuple[SourceDocument, DocTarget]:
    doc = SourceDocument(text, language_for(None, path))
    target = find_target(doc, text.index("return"))
    assert target is not None
    return doc, target


def test_long_text_is_wrapped_to_the_line_length() -> None:
    doc, target = _at_return("def f(alpha):\n    return alpha\n", "a.py")
    narrow = configure(target, line_length=60)
    edit = render_edit(DocContent(LONG, LONG, {"alpha": LONG}, LONG), narrow)
    assert validate_edit(doc, narrow, edit) == []
    lines = edit.text.splitlines()
    assert max(len(line) for line in lines) <= 60
    assert "        alpha: word word" in edit.text
    assert "            word word" in edit.text  # hanging indent of the Args entry


def test_over_long_lines_are_rejected_unless_a_word_cannot_be_broken() -> None:
    doc, target = _at_return(
        "class A {\n    int f(int a) {\n        return a;\n    }\n}\n", "A.java"
    )
    target = replace(target, line_length=50)
    edit = render_edit(DocContent("Short.", params={"a": "A."}, returns="R."), target)
    assert validate_edit(doc, target, edit) == []
    long_line = edit.text.replace("Short.", LONG)
    problems = validate_edit(doc, target, DocEdit(edit.start, edit.end, long_line))
    assert any("characters long (the limit is 50)" in p for p in problems)
    url = "https://example.com/" + "x" * 60
    ok = render_edit(DocContent(f"See {url}", params={"a": "A."}, returns="R."), target)
    assert validate_edit(doc, target, ok) == []
