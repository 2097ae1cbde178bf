"""Every command reads its arguments one way: positional or one object, alone or wrapped."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from server.lsp.command_args import read_command_args, read_position, read_range

URI = "file:///w/a.py"
POSITION = {"line": 3, "character": 4}


@pytest.mark.parametrize(
    "args",
    [
        [URI, POSITION],
        [{"textDocument": {"uri": URI}, "position": POSITION, "via": "codeAction"}],
        [[{"uri": URI, "position": POSITION}]],
        [{"uri": URI, "range": None, "position": POSITION}],
    ],
)
def test_positional_and_object_forms_give_the_same_uri_and_value(args: list[object]) -> None:
    call = read_command_args(args, "x expects a document URI", ("range", "position"))
    assert (call.uri, call.value) == (URI, POSITION)
    assert read_position(call.value) == types.Position(line=3, character=4)


def test_a_uri_alone_and_the_object_fields() -> None:
    assert read_command_args([URI], "x").uri == URI
    call = read_command_args([{"textDocument": {"uri": URI}, "stream": "t1"}], "x", ("range",))
    assert call.value is None
    assert call.fields["stream"] == "t1"


@pytest.mark.parametrize("args", [[], [42], [{"position": POSITION}], [{"textDocument": 1}]])
def test_no_uri_is_invalid_params_naming_what_is_expected(args: list[object]) -> None:
    with pytest.raises(JsonRpcInvalidParams, match=r"grove\.review expects a document URI"):
        read_command_args(args, "grove.review expects a document URI")


def test_positions_and_ranges_are_checked() -> None:
    rng = read_range({"start": POSITION, "end": {"line": 3, "character": 9}})
    assert (rng.start.character, rng.end.character) == (4, 9)
    with pytest.raises(JsonRpcInvalidParams, match="not a position"):
        read_position({"line": "x"})
    with pytest.raises(JsonRpcInvalidParams, match="not a range"):
        read_range([1, 2])
