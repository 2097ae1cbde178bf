"""The one command result shape (server/lsp/command_results.py): exactly the documented JSON."""

from __future__ import annotations

import json

from lsprotocol import types

from server.lsp.command_results import (
    client_applies_edits,
    edit_result,
    markdown_result,
    message_result,
)


def _insert(uri: str, version: int, text: str) -> types.WorkspaceEdit:
    at = types.Position(line=2, character=0)
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=[types.TextEdit(range=types.Range(start=at, end=at), new_text=text)],
            )
        ]
    )


def test_an_edit_result_carries_the_workspace_edit_as_lsp_json() -> None:
    result = edit_result(_insert("file:///a.py", 7, '    """Doc."""\n'), applied=True)
    position = {"line": 2, "character": 0}
    assert json.loads(json.dumps(result)) == {
        "kind": "edit",
        "edit": {
            "documentChanges": [
                {
                    "textDocument": {"uri": "file:///a.py", "version": 7},
                    "edits": [
                        {
                            "range": {"start": position, "end": position},
                            "newText": '    """Doc."""\n',
                        }
                    ],
                }
            ]
        },
        "applied": True,
    }
    assert edit_result(_insert("file:///a.py", 1, "x"), applied=False)["applied"] is False


def test_markdown_and_message_results_and_optional_data() -> None:
    assert markdown_result("**Why** it fails.") == {
        "kind": "markdown",
        "markdown": "**Why** it fails.",
    }
    assert message_result("Nothing to explain here.") == {
        "kind": "message",
        "message": "Nothing to explain here.",
    }
    counted = message_result("1 finding in a.py.", data={"findings": 1})
    assert counted == {"kind": "message", "message": "1 finding in a.py.", "data": {"findings": 1}}


def test_edits_go_through_apply_edit_only_for_clients_that_declare_it() -> None:
    declared = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(apply_edit=True)
    )
    assert client_applies_edits(declared) is True
    silent = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities())
    assert client_applies_edits(silent) is False
    assert client_applies_edits(types.ClientCapabilities()) is False
