"""Inline completion end to end: the real server over stdio, a real HTTP endpoint on loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.harness import (
    FIXTURES,
    endpoint_options,
    grove_client,
    inline_at,
    insert_text,
    open_document,
)
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import RecordedRequest, ScriptedOpenAI

EXAMPLES = FIXTURES / "example"


def _cursor_after(text: str, marker: str) -> tuple[int, int, int]:
    """(line, code-point column, offset) just after the first ``marker``."""
    offset = text.index(marker) + len(marker)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return line, column, offset


async def _until_status(lsp: object, key: str, value: object, attempts: int = 100) -> None:
    """Poll grove.status until ``key`` has ``value`` (the server pulls settings asynchronously)."""
    for _ in range(attempts):
        status = await lsp.workspace_execute_command_async(  # type: ignore[attr-defined]
            types.ExecuteCommandParams(command="grove.status")
        )
        if status[key] == value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"grove.status never reported {key}={value!r}")


@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_capabilities_advertise_inline_completion(
    scripted_openai: ScriptedOpenAI, client: str
) -> None:
    async with grove_client(endpoint_options(scripted_openai.base_url), client=client) as lsp:
        caps = lsp.initialize_result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is not None
        assert caps.execute_command_provider is not None
        assert "grove.status" in caps.execute_command_provider.commands
        assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental


@pytest.mark.parametrize(
    ("filename", "language_id", "marker", "reply", "expected"),
    [
        (
            "fibonacci.py",
            "python",
            "it.\n    return fibonacci(",
            "n - 1) + fibonacci(n - 2)\n",
            "n - 1) + fibonacci(n - 2)",
        ),
        (
            "shapes.ts",
            "typescript",
            "  return ",
            "Math.sqrt(dx * dx + dy * dy);\n}\n",
            "Math.sqrt(dx * dx + dy * dy);",
        ),
        (
            "server.go",
            "go",
            "\treturn ",
            'strings.Join(parts, ", ")\n}\n',
            'strings.Join(parts, ", ")',
        ),
    ],
)
@pytest.mark.parametrize("client", ["vscode", "neovim"])
async def test_inline_completion_text_and_range_are_exact(
    scripted_openai: ScriptedOpenAI,
    client: str,
    filename: str,
    language_id: str,
    marker: str,
    reply: str,
    expected: str,
) -> None:
    path = EXAMPLES / filename
    text = path.read_text("utf-8")
    line, column, offset = _cursor_after(text, marker)
    scripted_openai.script(replies.text(reply))
    async with grove_client(endpoint_options(scripted_openai.base_url), client=client) as lsp:
        open_document(lsp, path.as_uri(), language_id, text)
        result = await inline_at(lsp, path.as_uri(), line, column)
    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.insert_text == expected
    position = types.Position(line=line, character=column)
    assert item.range == types.Range(start=position, end=position)
    [request] = scripted_openai.completion_requests
    assert request.path == "/v1/completions"
    prompt = request.body["prompt"]
    assert prompt.endswith(text[:offset].splitlines()[-1])
    assert path.name in prompt.splitlines()[0]
    assert request.body["model"] == "scripted-model"
    assert request.body["stream"] is True


@pytest.mark.parametrize(
    ("encoding", "expected_character"),
    [("utf-16", 23), ("utf-8", 28), ("utf-32", 22)],
)
async def test_ranges_are_exact_in_every_encoding(
    scripted_openai: ScriptedOpenAI, encoding: str, expected_character: int
) -> None:
    text = 'def f():\n    s = "😀é世"; return \n'
    # Before the cursor: 4 spaces + 's = "' (5) + 😀 é 世 + '"; return ' (10): 22 code points;
    #   utf-16 23 (😀 is a surrogate pair); utf-8 19 ASCII + 4 (😀) + 2 (é) + 3 (世) = 28.
    uri = "file:///tmp/enc.py"
    scripted_openai.script(replies.text("s * 2\n"))
    async with grove_client(
        endpoint_options(scripted_openai.base_url), encodings=[encoding]
    ) as lsp:
        assert lsp.initialize_result.capabilities.position_encoding == encoding
        open_document(lsp, uri, "python", text)
        result = await inline_at(lsp, uri, 1, expected_character)
    assert result is not None and [i.insert_text for i in result.items] == ["s * 2"]
    position = types.Position(line=1, character=expected_character)
    assert result.items[0].range == types.Range(start=position, end=position)
    assert scripted_openai.completion_requests[0].body["prompt"].endswith('s = "😀é世"; return ')


async def test_incremental_changes_reach_the_prompt(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/inc.py"
    text = "import os\r\n\r\ndef main():\r\n    pass\r\n"
    scripted_openai.script(replies.text("os.getcwd())\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", text)
        edits = [
            (
                types.Range(
                    start=types.Position(line=3, character=4),
                    end=types.Position(line=3, character=8),
                ),
                "print(",
            ),
            (
                types.Range(
                    start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=0),
                ),
                "# 😀 héllo\r\n",
            ),
        ]
        for version, (rng, new_text) in enumerate(edits, start=2):
            lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(range=rng, text=new_text)
                    ],
                )
            )
        result = await inline_at(lsp, uri, 4, 10)
    assert result is not None and [i.insert_text for i in result.items] == ["os.getcwd())"]
    prompt = scripted_openai.completion_requests[0].body["prompt"]
    assert prompt.endswith("# 😀 héllo\r\nimport os\r\n\r\ndef main():\r\n    print(")


async def test_fim_mode_sends_the_family_template(scripted_openai: ScriptedOpenAI) -> None:
    path = EXAMPLES / "fibonacci.py"
    text = path.read_text("utf-8")
    line, column, offset = _cursor_after(text, "it.\n    return fibonacci(")
    scripted_openai.script(replies.text("n - 1) + fibonacci(n - 2)"))
    options = endpoint_options(scripted_openai.base_url, mode="qwen")
    async with grove_client(options) as lsp:
        open_document(lsp, path.as_uri(), "python", text)
        result = await inline_at(lsp, path.as_uri(), line, column)
    assert result is not None and result.items[0].insert_text == "n - 1) + fibonacci(n - 2)"
    body = scripted_openai.completion_requests[0].body
    prompt = body["prompt"]
    assert prompt.startswith("<|fim_prefix|>")
    before, _, after = prompt.partition("<|fim_suffix|>")
    assert before.endswith(text[:offset].splitlines()[-1])
    assert after.endswith("<|fim_middle|>")
    assert "def main() -> None:" in after
    assert "<|endoftext|>" in body["stop"]


async def test_endpoint_down_gives_one_message_and_no_items(closed_port_url: str) -> None:
    uri = "file:///tmp/down.py"
    async with grove_client(endpoint_options(closed_port_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = await inline_at(lsp, uri, 1, 11)
        second = await inline_at(lsp, uri, 1, 11)
        messages = [m for m in lsp.messages if "Grove" in m.message]
    assert first is not None and list(first.items) == []
    assert second is not None and list(second.items) == []
    assert len(messages) == 1
    assert messages[0].type == types.MessageType.Warning


@pytest.mark.parametrize(
    "fault",
    [replies.status(500), replies.html_error(502), replies.garbage(), replies.status(503)],
    ids=["500", "html", "garbage", "503"],
)
async def test_faulty_replies_give_no_item_and_a_message(
    scripted_openai: ScriptedOpenAI, fault: replies.Reply
) -> None:
    uri = "file:///tmp/fault.py"
    scripted_openai.script(fault)
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        result = await inline_at(lsp, uri, 1, 11)
    assert result is not None and list(result.items) == []
    assert len([m for m in lsp.messages if m.message.startswith("Grove:")]) == 1


async def test_cancel_request_answers_and_closes_the_upstream_stream(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/cancel.py"
    scripted_openai.script(replies.slow("x" * 400, chunk_delay=0.05))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=11),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        pending = lsp.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="cancel-me"
        )
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        lsp.cancel_request(types.CancelParams(id="cancel-me"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wrap_future(pending)
        request = scripted_openai.completion_requests[0]
        assert await asyncio.to_thread(request.wait_finished, 5.0)
        # The server is still serving.
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert request.client_disconnected
    assert not request.completed
    assert status["upstreamRequests"] == 1


async def test_newer_request_supersedes_older(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/supersede.py"
    scripted_openai.script(replies.slow("a" * 400, chunk_delay=0.05), replies.text("x + 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n\ny = \n")
        first = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        second = await inline_at(lsp, uri, 3, 4)
        first_result = await first
    assert first_result is not None and list(first_result.items) == []
    assert second is not None and [i.insert_text for i in second.items] == ["x + 1"]
    assert scripted_openai.completion_requests[0].wait_finished(5.0)
    assert scripted_openai.completion_requests[0].client_disconnected


async def test_did_change_is_not_blocked_by_a_slow_model(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/slow.py"
    scripted_openai.script(replies.stall_before_headers(3.0))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        pending = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
            )
        )
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
        assert not pending.done()
        result = await pending
    assert status["documents"] == 1
    # The document changed while the model ran, so the late answer is dropped.
    assert result is not None and list(result.items) == []


async def test_typing_into_a_suggestion_is_served_from_the_cache(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/typeahead.py"
    scripted_openai.script(replies.text("x * 2 + 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = await inline_at(lsp, uri, 1, 11)
        lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=1, character=11),
                            end=types.Position(line=1, character=11),
                        ),
                        text="x *",
                    )
                ],
            )
        )
        second = await inline_at(lsp, uri, 1, 14)
        again = await inline_at(lsp, uri, 1, 14)
    assert first is not None and [i.insert_text for i in first.items] == ["x * 2 + 1"]
    assert second is not None and [i.insert_text for i in second.items] == [" 2 + 1"]
    assert again is not None and [i.insert_text for i in again.items] == [" 2 + 1"]
    assert len(scripted_openai.completion_requests) == 1


async def test_fallback_completion_item_for_clients_without_inline_completion(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/fallback.py"
    scripted_openai.script(replies.text("(x) * 2\n"))
    async with grove_client(
        endpoint_options(scripted_openai.base_url), client="neovim", inline=False
    ) as lsp:
        open_document(lsp, uri, "python", "def double(x):\n    return doub\n")
        result = await lsp.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=15),
            )
        )
    assert isinstance(result, types.CompletionList)
    [item] = result.items
    assert item.text_edit is not None and isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "doub(x) * 2"
    assert item.text_edit.range == types.Range(
        start=types.Position(line=1, character=11), end=types.Position(line=1, character=15)
    )


async def test_clients_with_inline_completion_get_no_duplicate_items(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/noduplicate.py"
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        result = await lsp.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=11),
            )
        )
    assert isinstance(result, types.CompletionList) and list(result.items) == []
    assert scripted_openai.completion_requests == []


@pytest.mark.parametrize(
    ("name", "language_id", "text", "line", "character"),
    [
        ("empty.py", "python", "", 0, 0),
        ("no_newline.py", "python", "def f(x):\n    return ", 1, 11),
        ("crlf.py", "python", "def f(x):\r\n    return \r\n", 1, 11),
        ("past_end.py", "python", "def f(x):\n    return \n", 40, 200),
        ("past_line.py", "python", "def f(x):\n    return \n", 1, 999),
        ("notes.txt", "plaintext", "Shopping list:\n- apples\n- ", 2, 2),
        ("weird.zzz", "unknown-language", "fn x => \n", 0, 8),
    ],
)
async def test_edge_documents_do_not_crash(
    scripted_openai: ScriptedOpenAI,
    name: str,
    language_id: str,
    text: str,
    line: int,
    character: int,
) -> None:
    uri = f"file:///tmp/{name}"
    scripted_openai.script(replies.text("value\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, language_id, text)
        result = await inline_at(lsp, uri, line, character)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert result is not None
    assert status["documents"] == 1
    for item in result.items:
        assert item.insert_text.strip()
        assert item.range is not None and item.range.start.line <= max(text.count("\n"), 0)


async def test_one_megabyte_file_is_handled(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/big.py"
    body = "".join(f"def function_{i}(value):\n    return value + {i}\n\n" for i in range(24000))
    assert len(body) > 1_000_000
    text = body + "def last(x):\n    return \n"
    line = text.count("\n") - 1
    scripted_openai.script(replies.text("x - 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", text)
        result = await inline_at(lsp, uri, line, 11)
    assert result is not None and [i.insert_text for i in result.items] == ["x - 1"]
    assert len(scripted_openai.completion_requests[0].body["prompt"]) < 20_000


async def test_invalid_settings_fall_back_with_one_message(scripted_openai: ScriptedOpenAI) -> None:
    options = endpoint_options(scripted_openai.base_url, maxTokens="lots")
    async with grove_client(options) as lsp:
        uri = "file:///tmp/settings.py"
        scripted_openai.script(replies.text("x\n"))
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        await inline_at(lsp, uri, 1, 11)
    [message] = [m for m in lsp.messages if "settings" in m.message]
    assert "grove.completion.maxTokens" in message.message
    assert scripted_openai.completion_requests[0].body["max_tokens"] <= 64


async def test_workspace_configuration_is_pulled_and_refreshed(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/config.py"
    configuration = {"grove": {"completion": {"enabled": False}}}
    async with grove_client(
        endpoint_options(scripted_openai.base_url), configuration=configuration
    ) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        disabled = await inline_at(lsp, uri, 1, 11)
        lsp.set_configuration({"grove": {"completion": {"enabled": True}}})
        lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        scripted_openai.script(replies.text("x\n"))
        await _until_status(lsp, "completionEnabled", True)
        enabled = await inline_at(lsp, uri, 1, 11)
    assert disabled is not None and list(disabled.items) == []
    assert enabled is not None and [i.insert_text for i in enabled.items] == ["x"]


async def test_status_command_reports_without_secrets(scripted_openai: ScriptedOpenAI) -> None:
    from tests.e2e.harness import server_env

    secret = "sk-test-SECRET-0123456789"
    env = server_env(OPENAI_API_KEY=secret)
    async with grove_client(endpoint_options(scripted_openai.base_url), env=env) as lsp:
        uri = "file:///tmp/status.py"
        scripted_openai.script(replies.status(401, body={"error": {"message": "bad key"}}))
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        await inline_at(lsp, uri, 1, 11)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert scripted_openai.completion_requests[0].headers["authorization"] == f"Bearer {secret}"
    assert secret not in json.dumps(status)
    assert all(secret not in m.message for m in lsp.messages + lsp.log_messages)
    assert status["lastError"]


async def test_endpoint_recovers_after_a_failure(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/recover.py"
    scripted_openai.script(replies.status(500), replies.text("x + 1\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        failed = await inline_at(lsp, uri, 1, 11)
        recovered = await inline_at(lsp, uri, 1, 11)
    assert failed is not None and list(failed.items) == []
    assert recovered is not None and [i.insert_text for i in recovered.items] == ["x + 1"]
    shown = [m.message for m in lsp.messages]
    assert len(shown) == 2
    assert shown[1] == "Grove: the model endpoint answers again."


def _collect_status(lsp: LanguageClient, into: list[dict[str, Any]]) -> None:
    """Append every pushed ``grove/status`` payload to ``into``."""

    @lsp.feature("grove/status")
    def _on_status(params: Any) -> None:
        into.append(params._asdict())  # pygls hands unknown params over as named tuples


async def _until_pushed(
    pushed: list[dict[str, Any]], ready: Callable[[dict[str, Any]], bool]
) -> None:
    for _ in range(100):
        if pushed and ready(pushed[-1]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no such grove/status push: {pushed}")


async def test_status_is_pushed_as_the_endpoint_fails_works_and_recovers(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/pushed.py"
    scripted_openai.script(replies.status(500), replies.slow("x + 1\n", 0.1, chunk_size=1))
    pushed: list[dict[str, Any]] = []
    options = endpoint_options(scripted_openai.base_url)
    async with grove_client(options, experimental={"groveStatus": True}) as lsp:
        _collect_status(lsp, pushed)
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        await inline_at(lsp, uri, 1, 11)
        await _until_pushed(pushed, lambda s: bool(s["lastError"]) and not s["busy"])
        failed = pushed[-1]
        slow = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await _until_pushed(pushed, lambda s: s["busy"])
        recovered = await slow
        await _until_pushed(pushed, lambda s: s["lastError"] is None and not s["busy"])
    assert "500" in failed["lastError"] or "error" in failed["lastError"].lower()
    assert recovered is not None and [i.insert_text for i in recovered.items] == ["x + 1"]
    shown = ("target", "lastError", "busy", "completionEnabled")
    views = [tuple(s[k] for k in shown) for s in pushed]
    assert all(a != b for a, b in itertools.pairwise(views)), (
        "a push only when something shown changed"
    )
    assert all(s["target"].startswith("scripted-model @ ") for s in pushed)


async def test_no_status_push_without_the_capability(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/unpushed.py"
    scripted_openai.script(replies.status(500))
    pushed: list[dict[str, Any]] = []
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        _collect_status(lsp, pushed)
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        await inline_at(lsp, uri, 1, 11)
        await asyncio.sleep(0.5)
    assert pushed == []


async def test_rate_limit_holds_requests_back_until_retry_after(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/ratelimit.py"
    scripted_openai.script(replies.status(429, headers={"Retry-After": "1"}), replies.text("x\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        limited = await inline_at(lsp, uri, 1, 11)
        held_back = await inline_at(lsp, uri, 1, 11)
        assert len(scripted_openai.completion_requests) == 1
        for _ in range(60):
            later = await inline_at(lsp, uri, 1, 11)
            if later is not None and later.items:
                break
            await asyncio.sleep(0.1)
    assert limited is not None and list(limited.items) == []
    assert held_back is not None and list(held_back.items) == []
    assert later is not None and [i.insert_text for i in later.items] == ["x"]
    assert len(scripted_openai.completion_requests) == 2
    warnings = [m for m in lsp.messages if m.type == types.MessageType.Warning]
    assert len(warnings) == 1 and "rate" in warnings[0].message.lower()


async def test_stalled_endpoint_times_out_with_a_message(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/stall.py"
    scripted_openai.script(replies.stall_before_headers(5.0))
    options = endpoint_options(scripted_openai.base_url, timeoutMs=300)
    async with grove_client(options) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        result = await inline_at(lsp, uri, 1, 11)
    assert result is not None and list(result.items) == []
    [message] = lsp.messages
    assert "in time" in message.message


async def test_typing_burst_sends_one_upstream_request(scripted_openai: ScriptedOpenAI) -> None:
    uri = "file:///tmp/burst.py"
    typed = "total = sum(valu"
    scripted_openai.script(replies.text("es)\n"))
    options = endpoint_options(scripted_openai.base_url, debounceMs=80)
    async with grove_client(options) as lsp:
        open_document(lsp, uri, "python", "def f(values):\n    \n")
        pending = []
        for i, char in enumerate(typed):
            lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                start=types.Position(line=1, character=4 + i),
                                end=types.Position(line=1, character=4 + i),
                            ),
                            text=char,
                        )
                    ],
                )
            )
            pending.append(asyncio.ensure_future(inline_at(lsp, uri, 1, 5 + i)))
        results = await asyncio.gather(*pending)
    assert [list(r.items) for r in results[:-1] if r is not None] == [[]] * (len(typed) - 1)
    assert results[-1] is not None and [i.insert_text for i in results[-1].items] == ["es)"]
    [request] = scripted_openai.completion_requests
    assert request.body["prompt"].endswith("def f(values):\n    total = sum(valu")


CONTINUED = "x * 2 + 1\n"
JOINED = "x + 1\n"


def answered_in_full(record: RecordedRequest, content: str) -> bool:
    """Every piece of a one-character-per-chunk answer went out: the call was not cut short.

    ``completed`` alone is too strict: once the answer's line is complete Grove stops reading
    (early stop), and the stream's last event may or may not have been written before that.
    """
    return record.completed or record.chunks_sent >= len(content)


async def test_typing_at_the_cursor_continues_the_model_call_for_the_next_keystroke(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/continue.py"
    scripted_openai.script(replies.slow(CONTINUED, chunk_delay=0.05))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = lsp.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=11),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            ),
            msg_id="first",
        )
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        # The user types the suggestion's first character; the editor cancels the old request.
        insert_text(lsp, uri, 2, 1, 11, "x")
        lsp.cancel_request(types.CancelParams(id="first"))
        with pytest.raises(Exception, match="cancel"):
            await asyncio.wrap_future(first)
        second = await inline_at(lsp, uri, 1, 12)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert second is not None and [i.insert_text for i in second.items] == [" * 2 + 1"]
    assert len(scripted_openai.completion_requests) == 1
    assert answered_in_full(scripted_openai.completion_requests[0], CONTINUED)
    assert status["upstreamRequests"] == 1


async def test_typing_elsewhere_cancels_the_running_model_call(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/elsewhere.py"
    scripted_openai.script(replies.slow("x" * 400, chunk_delay=0.05), replies.text("y\n"))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        insert_text(lsp, uri, 2, 0, 0, "# top\n")
        second = await inline_at(lsp, uri, 2, 11)
        assert await first is not None
    assert second is not None and [i.insert_text for i in second.items] == ["y"]
    assert scripted_openai.completion_requests[0].wait_finished(5.0)
    assert scripted_openai.completion_requests[0].client_disconnected


async def test_a_repeated_request_at_the_same_place_joins_the_running_call(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/repeat.py"
    scripted_openai.script(replies.slow(JOINED, chunk_delay=0.05))
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        second = await inline_at(lsp, uri, 1, 11)
        first_result = await first
    assert first_result is not None and list(first_result.items) == []
    assert second is not None and [i.insert_text for i in second.items] == ["x + 1"]
    assert len(scripted_openai.completion_requests) == 1
    assert answered_in_full(scripted_openai.completion_requests[0], JOINED)


async def _accept(lsp: object, uri: str, item: types.InlineCompletionItem) -> None:
    """Do what an editor does on accepting ``item``: insert it, then run its command."""
    assert item.range is not None and item.command is not None
    start = item.range.start
    insert_text(lsp, uri, 2, start.line, start.character, str(item.insert_text))  # type: ignore[arg-type]
    await lsp.workspace_execute_command_async(  # type: ignore[attr-defined]
        types.ExecuteCommandParams(
            command=item.command.command, arguments=list(item.command.arguments or [])
        )
    )


@pytest.mark.parametrize("speculative", [True, False])
async def test_accepting_a_suggestion_can_start_the_next_one_at_once(
    scripted_openai: ScriptedOpenAI, speculative: bool
) -> None:
    uri = "file:///tmp/accept.py"
    scripted_openai.script(replies.text("x + 1\n"), replies.slow(" * 2\n", chunk_delay=0.05))
    options = endpoint_options(scripted_openai.base_url, speculative=speculative)
    async with grove_client(options) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        first = await inline_at(lsp, uri, 1, 11)
        assert first is not None and [i.insert_text for i in first.items] == ["x + 1"]
        await _accept(lsp, uri, first.items[0])
        if speculative:  # the model is already working on the next suggestion
            await asyncio.to_thread(scripted_openai.wait_for_requests, 2)
        second = await inline_at(lsp, uri, 1, 16)
        status = await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command="grove.status")
        )
    assert second is not None and [i.insert_text for i in second.items] == [" * 2"]
    assert len(scripted_openai.completion_requests) == 2
    assert status["accepted"] == 1
    assert status["speculative"] == (1 if speculative else 0)
