"""Choosing context from other files for one cursor (analyzers.related)."""

from __future__ import annotations

from collections.abc import Mapping

from analyzers.crossfile import DefinitionSummary, ImportedName
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.related import select_related
from analyzers.snippets import snippet_windows

APP = (
    "from shapes import area, perimeter\n"
    "import geometry.vectors\n"
    "import unused_module\n"
    "\n"
    "\n"
    "def describe(square):\n"
    "    size = area(square)\n"
    "    length = geometry.vectors.norm(square.diagonal)\n"
    "    return \n"
)

SHAPES = {
    "area": DefinitionSummary("area", "function", "def area(shape):\n    ...", 0),
    "perimeter": DefinitionSummary("perimeter", "function", "def perimeter(shape):\n    ...", 3),
}
VECTORS = {
    "norm": DefinitionSummary("norm", "function", "def norm(v):\n    ...", 0),
    "dot": DefinitionSummary("dot", "function", "def dot(a, b):\n    ...", 4),
}


def app() -> tuple[SourceDocument, int]:
    doc = SourceDocument(APP, language_for(None, "app.py"))
    return doc, APP.index("return ") + len("return ")


def lookup_from(
    modules: Mapping[str, tuple[str, Mapping[str, DefinitionSummary]] | None],
    asked: list[ImportedName] | None = None,
):  # type: ignore[no-untyped-def]
    def lookup(imported: ImportedName) -> tuple[str, Mapping[str, DefinitionSummary]] | None:
        if asked is not None:
            asked.append(imported)
        return modules.get(imported.module, ("", {}))

    return lookup


def test_definitions_of_used_imports_nearest_use_first() -> None:
    doc, offset = app()
    modules = {
        "shapes": ("shapes.py", SHAPES),
        "geometry.vectors": ("geometry/vectors.py", VECTORS),
    }
    selection = select_related(doc, offset, path="app.py", lookup=lookup_from(modules))
    assert selection.complete
    texts = [b.text for b in selection.blocks]
    # norm is used on the line nearest the cursor; perimeter and dot are never used.
    assert texts == [VECTORS["norm"].text, SHAPES["area"].text]
    assert [b.path for b in selection.blocks] == ["geometry/vectors.py", "shapes.py"]
    assert all(b.kind == "definition" for b in selection.blocks)


def test_unused_imports_are_not_even_looked_up() -> None:
    doc, offset = app()
    asked: list[ImportedName] = []
    select_related(doc, offset, path="app.py", lookup=lookup_from({}, asked))
    assert "unused_module" not in [a.module for a in asked]
    assert "perimeter" not in [a.name for a in asked]


def test_a_module_not_ready_makes_the_selection_incomplete() -> None:
    doc, offset = app()
    modules: dict[str, tuple[str, Mapping[str, DefinitionSummary]] | None] = {
        "shapes": None,
        "geometry.vectors": ("geometry/vectors.py", VECTORS),
    }
    selection = select_related(doc, offset, path="app.py", lookup=lookup_from(modules))
    assert not selection.complete
    assert [b.text for b in selection.blocks] == [VECTORS["norm"].text]


def test_similar_snippets_from_other_files_follow_the_definitions() -> None:
    doc, offset = app()
    other = "def describe_circle(circle):\n    size = area(circle)\n    return size\n"
    unrelated = "class Parser:\n    def feed(self, data):\n        self.buffer += data\n"
    pool = snippet_windows("circle.py", other) + snippet_windows("parser.py", unrelated)
    pool += snippet_windows("app.py", APP)  # the file itself is never a snippet source
    modules = {"shapes": ("shapes.py", SHAPES)}
    selection = select_related(
        doc, offset, path="app.py", lookup=lookup_from(modules), snippet_pool=pool
    )
    kinds = [(b.kind, b.path) for b in selection.blocks]
    assert kinds == [("definition", "shapes.py"), ("snippet", "circle.py")]


def test_a_snippet_shows_what_followed_the_similar_code() -> None:
    doc, offset = app()
    other = (
        "def describe_circle(circle):\n"
        "    size = area(circle)\n"
        "    log_size(size)\n"
        "    return size\n"
    )
    pool = snippet_windows("circle.py", other, window_lines=2, step=2, follow_lines=1)
    selection = select_related(
        doc, offset, path="app.py", lookup=lookup_from({}), snippet_pool=pool
    )
    snippets = [b.text for b in selection.blocks if b.kind == "snippet"]
    assert snippets == ["def describe_circle(circle):\n    size = area(circle)\n    log_size(size)"]


def test_limits_are_respected() -> None:
    doc, offset = app()
    modules = {
        "shapes": ("shapes.py", SHAPES),
        "geometry.vectors": ("geometry/vectors.py", VECTORS),
    }
    selection = select_related(
        doc, offset, path="app.py", lookup=lookup_from(modules), max_definitions=1, max_snippets=0
    )
    assert [b.text for b in selection.blocks] == [VECTORS["norm"].text]


def test_the_files_own_far_definitions_that_the_code_uses_form_an_outline() -> None:
    helper = (
        'def normalise(value, *, lower=True):\n    """Trim and fold case."""\n    return value\n'
    )
    filler = "".join(f"CONSTANT_{i} = {i}\n" for i in range(80))
    near = "def near_helper(x):\n    return x\n\n"
    code = (
        helper
        + filler
        + near
        + "def main(raw):\n    cleaned = normalise(raw)\n    near_helper(raw)\n    return \n"
    )
    doc = SourceDocument(code, language_for(None, "app.py"))
    offset = code.index("    return \n") + len("    return ")
    selection = select_related(
        doc, offset, path="/w/app.py", lookup=lookup_from({}), shown_path="app.py"
    )
    assert [(b.kind, b.path) for b in selection.blocks] == [("outline", "app.py")]
    assert selection.blocks[0].text.startswith("def normalise(value, *, lower=True):")
    # Without the document's own path shown, no outline.
    plain = select_related(doc, offset, path="/w/app.py", lookup=lookup_from({}))
    assert plain.blocks == []
