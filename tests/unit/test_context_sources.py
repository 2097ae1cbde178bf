"""Context from other workspace files through the real index (server.context_sources)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server.context_sources import FileFacts, RelatedContext, analyze_file
from server.workspace import WorkspaceIndex

GEOMETRY = '''\
"""Shapes."""


def area(shape, *, scale=1.0):
    """Area of a shape in square units."""
    return shape.width * shape.height * scale


def perimeter(shape):
    return 2 * (shape.width + shape.height)
'''

APP = (
    "from geometry import area\n"
    "from secrets_store import token\n"
    "\n"
    "\n"
    "def describe(square):\n"
    "    size = area(square, scale=2.0)\n"
    "    key = token()\n"
    "    return \n"
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[WorkspaceIndex[FileFacts]]:
    (tmp_path / "geometry.py").write_text(GEOMETRY)
    (tmp_path / "secrets_store.py").write_text("def token():\n    return 'abc'\n")
    (tmp_path / ".groveignore").write_text("secrets_store.py\n")
    (tmp_path / "app.py").write_text(APP)
    index: WorkspaceIndex[FileFacts] = WorkspaceIndex(analyze_file)
    index.set_roots([str(tmp_path)])
    yield index
    index.close()


def app_doc() -> tuple[SourceDocument, int]:
    doc = SourceDocument(APP, language_for(None, "app.py"))
    return doc, APP.index("return ") + len("return ")


async def test_imported_definitions_arrive_once_indexed_and_ignored_files_never(
    index: WorkspaceIndex[FileFacts], tmp_path: Path
) -> None:
    related = RelatedContext(index)
    doc, offset = app_doc()
    app = str(tmp_path / "app.py")
    # Nothing is indexed yet: the request does not wait, it goes without.
    assert related.blocks("app", doc, offset, app) == []
    await index.load(str(tmp_path / "geometry.py"))
    await index.load(str(tmp_path / "geometry.py"))
    blocks = related.blocks("app", doc, offset, app)
    assert [(b.path, b.kind) for b in blocks] == [("geometry.py", "definition")]
    assert blocks[0].text.startswith("def area(shape, *, scale=1.0):")
    assert "Area of a shape" in blocks[0].text
    assert "perimeter" not in blocks[0].text
    assert all("token" not in b.text for b in blocks)


async def test_blocks_stay_fixed_while_typing_in_the_same_cell(
    index: WorkspaceIndex[FileFacts], tmp_path: Path
) -> None:
    related = RelatedContext(index)
    doc, offset = app_doc()
    app = str(tmp_path / "app.py")
    await index.load(str(tmp_path / "geometry.py"))
    related.blocks("app", doc, offset, app)  # schedules the existence checks
    await index.idle()
    first = related.blocks("app", doc, offset, app)
    # Typing a call to another imported name does not change the prompt's opening.
    doc.apply_change(offset, offset, "perimeter(square)")
    assert related.blocks("app", doc, offset + 17, app) is first
    related.forget("app")
    assert related.blocks("app", doc, offset + 17, app) == first


async def test_no_blocks_for_an_ignored_file(
    index: WorkspaceIndex[FileFacts], tmp_path: Path
) -> None:
    related = RelatedContext(index)
    await index.load(str(tmp_path / "geometry.py"))
    doc, offset = app_doc()
    assert related.blocks("s", doc, offset, str(tmp_path / "secrets_store.py")) == []
    assert related.blocks("s", doc, offset, None) == []


async def test_similar_code_from_open_files_of_the_same_language(
    index: WorkspaceIndex[FileFacts], tmp_path: Path
) -> None:
    related = RelatedContext(index)
    other = str(tmp_path / "report.py")
    index.note_open(other, "def describe_circle(circle):\n    size = area(circle, scale=2.0)\n")
    lua = str(tmp_path / "init.lua")
    index.note_open(lua, "local function describe(square)\n  local size = area(square)\nend\n")
    await index.load(other)
    await index.load(lua)
    await index.load(str(tmp_path / "geometry.py"))
    doc, offset = app_doc()
    blocks = related.blocks("app", doc, offset, str(tmp_path / "app.py"))
    snippets = [b for b in blocks if b.kind == "snippet"]
    assert [b.path for b in snippets] == ["report.py"]


def test_analyze_file_summarises_and_windows() -> None:
    facts = analyze_file("/w/geometry.py", GEOMETRY)
    assert facts is not None
    assert facts.language == "python"
    assert set(facts.definitions) == {"area", "perimeter"}
    assert facts.windows and facts.windows[0].path == "/w/geometry.py"
    assert analyze_file("/w/notes.unknownext", "text") is None
