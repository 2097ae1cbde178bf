"""The arguments of Grove's commands, read one way for every command.

Clients send a command's arguments either positionally, ``[uri]`` or ``[uri, value]``, or as one
object, alone or as the single argument: ``{"textDocument": {"uri"} | "uri": …, key: value, …}``
(what the editor plugins and code actions send). :func:`read_command_args` accepts both and
returns the document URI, the first of the command's keys that is present, and the object's
other fields (``via``, ``stream``). Malformed arguments are a JSON-RPC ``InvalidParams`` error
naming what the command expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

__all__ = ["CommandArgs", "read_command_args", "read_position", "read_range"]


@dataclass(frozen=True)
class CommandArgs:
    """A command's document, its value and the rest of its object."""

    uri: str
    value: Any
    """The first of the command's keys present (or the second positional argument); None if
    absent."""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The argument object's fields (empty for positional arguments)."""


def read_command_args(args: Sequence[Any], expects: str, keys: tuple[str, ...] = ()) -> CommandArgs:
    """The URI and the value of ``keys`` from ``args``; ``expects`` names them in the error
    (e.g. ``"grove.review expects a document URI"``)."""
    data: Any = args
    while isinstance(data, (list, tuple)) and len(data) == 1:
        data = data[0]
    uri: Any = None
    value: Any = None
    fields: Mapping[str, Any] = {}
    if isinstance(data, str):
        uri = data
    elif isinstance(data, Mapping):
        document = data.get("textDocument")
        uri = document.get("uri") if isinstance(document, Mapping) else data.get("uri")
        value = next((data[key] for key in keys if data.get(key) is not None), None)
        fields = data
    elif isinstance(data, (list, tuple)) and len(data) >= 2:
        uri, value = data[0], data[1]
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams(message=expects)
    return CommandArgs(uri, value, fields)


def read_position(raw: Any) -> types.Position:
    """An LSP position from its JSON (or a ``Position`` already); InvalidParams otherwise."""
    if isinstance(raw, types.Position):
        return raw
    try:
        return types.Position(line=int(raw["line"]), character=int(raw["character"]))
    except (KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams(message=f"not a position: {raw!r}"[:200]) from None


def read_range(raw: Any) -> types.Range:
    """An LSP range from its JSON; InvalidParams otherwise."""
    if not isinstance(raw, Mapping):
        raise JsonRpcInvalidParams(message=f"not a range: {raw!r}"[:200])
    return types.Range(start=read_position(raw.get("start")), end=read_position(raw.get("end")))
