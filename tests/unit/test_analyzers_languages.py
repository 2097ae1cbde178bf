"""Language registry (analyzers.languages) and its consistency with the grammars and queries."""

from __future__ import annotations

import pytest

from analyzers.languages import SUPPORTED_LANGUAGES, LanguageSpec, language_for
from analyzers.parsing import SourceDocument, grammar_has_node_type

EXPECTED = {
    "python",
    "javascript",
    "typescript",
    "tsx",
    "go",
    "rust",
    "java",
    "c",
    "cpp",
    "ruby",
    "lua",
    "csharp",
    "php",
    "bash",
}


def test_all_required_languages_are_supported() -> None:
    assert {spec.name for spec in SUPPORTED_LANGUAGES} >= EXPECTED


@pytest.mark.parametrize(
    ("language_id", "name"),
    [
        ("python", "python"),
        ("typescriptreact", "tsx"),
        ("javascriptreact", "javascript"),
        ("typescript", "typescript"),
        ("shellscript", "bash"),
        ("sh", "bash"),
        ("bash", "bash"),
        ("csharp", "csharp"),
        ("cpp", "cpp"),
        ("c++", "cpp"),
        ("c", "c"),
        ("go", "go"),
        ("rust", "rust"),
        ("ruby", "ruby"),
        ("lua", "lua"),
        ("php", "php"),
        ("java", "java"),
    ],
)
def test_language_ids(language_id: str, name: str) -> None:
    spec = language_for(language_id, None)
    assert spec is not None
    assert spec.name == name


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("src/app.py", "python"),
        ("C:\\work\\ui\\App.TSX", "tsx"),
        ("lib/index.mjs", "javascript"),
        ("main.go", "go"),
        ("include/ring.h", "c"),
        ("matrix.hpp", "cpp"),
        ("Rakefile", "ruby"),
        ("/home/u/.bashrc", "bash"),
        ("Program.cs", "csharp"),
    ],
)
def test_extensions(path: str, name: str) -> None:
    spec = language_for(None, path)
    assert spec is not None
    assert spec.name == name


def test_language_id_wins_over_extension_and_unknown_is_none() -> None:
    spec = language_for("python", "script.js")
    assert spec is not None and spec.name == "python"
    fallback = language_for("plaintext", "script.js")
    assert fallback is not None and fallback.name == "javascript"
    assert language_for("plaintext", "notes.txt") is None
    assert language_for(None, None) is None
    assert language_for("markdown", "README") is None


@pytest.mark.parametrize("spec", SUPPORTED_LANGUAGES, ids=lambda s: s.name)
def test_node_types_exist_in_grammar(spec: LanguageSpec) -> None:
    named = (
        spec.comment_types
        | spec.string_types
        | spec.definition_types
        | spec.wrapper_types
        | spec.block_types
    )
    missing = sorted(kind for kind in named if not grammar_has_node_type(spec.grammar, kind))
    assert missing == []


@pytest.mark.parametrize("spec", SUPPORTED_LANGUAGES, ids=lambda s: s.name)
def test_queries_compile(spec: LanguageSpec) -> None:
    doc = SourceDocument("", spec)
    for purpose in ("definitions", "imports", "comments"):
        assert doc.has_query(purpose), purpose
