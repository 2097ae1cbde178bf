"""Nothing hangs, nothing is lost: hostile files, typing bursts, a stalled model, orphans.

The real server over stdio against the scripted endpoint on loopback. Tests assert behaviour
(which requests went upstream, what answered, in which order, which processes are left), never
durations: those are in ``benchmarks/responsiveness.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.harness import endpoint_options, grove_client, inline_at, insert_text, open_document
from tests.e2e.test_jsonrpc_fuzz import REPO, RawLsp
from tests.support import scripted_openai as replies
from tests.support.scripted_openai import ScriptedOpenAI
from tests.unit.test_llm_local import FAKE_SERVER, processes_with, wait_until


async def ask_until_prompt_has(
    lsp: object, endpoint: ScriptedOpenAI, uri: str, line: int, column: int, needle: str
) -> tuple[types.InlineCompletionList | None, str]:
    """Ask for completions until the prompt holds ``needle`` (the workspace index loads on a
    worker thread); returns the last answer and prompt (which the caller checks)."""
    result, prompt = None, ""
    for _ in range(50):
        endpoint.script(replies.text("x\n"))
        result = await inline_at(lsp, uri, line, column)  # type: ignore[arg-type]
        prompt = str(endpoint.completion_requests[-1].body["prompt"])
        if needle in prompt:
            break
        await asyncio.sleep(0.1)
    return result, prompt


async def _status(lsp: object) -> dict[str, object]:
    return await lsp.workspace_execute_command_async(  # type: ignore[attr-defined,no-any-return]
        types.ExecuteCommandParams(command="grove.status")
    )


async def test_hostile_documents_get_no_request_and_leave_a_normal_one_working(
    scripted_openai: ScriptedOpenAI,
) -> None:
    scripted_openai.script(replies.text("x + 1\n"), replies.text("x + 2\n"))
    normal = "file:///tmp/normal.py"
    hostile = {
        "file:///tmp/huge.py": ("python", "value = 1\n" * 550_000 + "x = "),  # 5.5 MB
        "file:///tmp/bundle.min.js": ("javascript", "var a=" + "b+" * 1_050_000 + "c;"),
        "file:///tmp/binary.py": ("python", "def f():\n    return \x00\x01\x02\n"),
        "file:///tmp/almost-minified.js": ("javascript", "var a=" + "b+" * 400_000 + "c"),
    }
    async with grove_client(endpoint_options(scripted_openai.base_url)) as lsp:
        open_document(lsp, normal, "python", "def f(x):\n    return \n")
        for uri, (language, text) in hostile.items():
            open_document(lsp, uri, language, text)
        first = await inline_at(lsp, normal, 1, 11)
        answers = []
        for uri, (_language, text) in hostile.items():
            line = text.count("\n")
            column = len(text) - (text.rfind("\n") + 1)
            answers.append(await inline_at(lsp, uri, line, column))
            # Typing into them is taken in, and still sends nothing.
            insert_text(lsp, uri, 2, line, column, "y")
            answers.append(await inline_at(lsp, uri, line, column + 1))
        insert_text(lsp, normal, 2, 0, 0, "import os\n")
        second = await inline_at(lsp, normal, 2, 11)
        status = await _status(lsp)
    assert first is not None and [i.insert_text for i in first.items] == ["x + 1"]
    assert all(a is not None and list(a.items) == [] for a in answers)
    assert second is not None and [i.insert_text for i in second.items] == ["x + 2"]
    assert len(scripted_openai.completion_requests) == 2
    assert status["documents"] == 1 + len(hostile)
    assert status["inFlight"] == 0


async def test_unreadable_workspace_files_are_skipped(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (tmp_path / "helpers.py").write_text("def scale(value, factor):\n    return value * factor\n")
    (tmp_path / "latin.py").write_bytes(b"def broken():\n    return '\xe9\xff\xfe'\n")
    (tmp_path / "blob.py").write_bytes(b"def blob():\n    return 1\n\x00\x00\x00\xff")
    main = tmp_path / "main.py"
    text = (
        "from helpers import scale\nfrom latin import broken\nfrom blob import blob\n\n"
        "def f(x):\n    return scale(broken(), blob()) + "
    )
    main.write_text(text)
    async with grove_client(
        endpoint_options(scripted_openai.base_url), root_uri=tmp_path.as_uri()
    ) as lsp:
        open_document(lsp, main.as_uri(), "python", text)
        result, prompt = await ask_until_prompt_has(
            lsp, scripted_openai, main.as_uri(), 5, 42, "def scale"
        )
    assert result is not None and [i.insert_text for i in result.items] == ["x"]
    assert "def scale(value, factor)" in prompt
    assert "def broken" not in prompt and "def blob" not in prompt


@pytest.mark.parametrize("content", [b"x = '\xe9\xff'\n", b"x = 1\x00\xff\xfe\n"])
def test_cli_refuses_files_that_are_not_utf8_text(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "server", "complete", f"{path}:1:5"],
        cwd=REPO,
        env={**os.environ, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "grove:" in done.stderr


async def test_typing_burst_of_fifty_keystrokes(scripted_openai: ScriptedOpenAI) -> None:
    """50 keystrokes 20 ms apart: at most 2 upstream requests, the last answer fits the text."""
    uri = "file:///tmp/burst50.py"
    typed = "total = compute(alpha, beta, gamma) + offset * 2 #"[:50]
    final_line = "    " + typed

    def responder(request: replies.RecordedRequest) -> replies.Reply:
        prompt = str(request.body.get("prompt", "")) if isinstance(request.body, dict) else ""
        return replies.text(" done\n" if prompt.endswith(final_line) else " stale\n")

    scripted_openai.responder = responder
    async with grove_client(endpoint_options(scripted_openai.base_url, debounceMs=60)) as lsp:
        open_document(lsp, uri, "python", "def f(alpha, beta, gamma, offset):\n    \n")
        pending = []
        for i, char in enumerate(typed):
            insert_text(lsp, uri, i + 2, 1, 4 + i, char)
            pending.append(asyncio.ensure_future(inline_at(lsp, uri, 1, 5 + i)))
            await asyncio.sleep(0.02)
        results = await asyncio.wait_for(asyncio.gather(*pending), 30)
        status = await _status(lsp)
    assert len(typed) == 50
    shown = [[i.insert_text for i in r.items] for r in results if r is not None and r.items]
    assert shown[-1:] == [[" done"]]
    assert [" stale"] not in shown
    assert 1 <= len(scripted_openai.completion_requests) <= 2
    assert str(scripted_openai.completion_requests[-1].body["prompt"]).endswith(final_line)
    assert status["inFlight"] == 0


async def test_edits_and_other_requests_are_served_while_the_model_stalls(
    scripted_openai: ScriptedOpenAI,
) -> None:
    uri = "file:///tmp/stalled.py"
    other = "file:///tmp/other.py"
    scripted_openai.script(replies.stall_before_headers(30), replies.text("y\n"))
    options = endpoint_options(scripted_openai.base_url, timeoutMs=60_000)
    async with grove_client(options) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        open_document(lsp, other, "python", "def g(y):\n    return \n")
        stalled = asyncio.ensure_future(inline_at(lsp, uri, 1, 11))
        await asyncio.to_thread(scripted_openai.wait_for_requests, 1)
        # While the model says nothing: edits are applied, other requests answer.
        for i in range(20):
            insert_text(lsp, other, i + 2, 1, 11 + i, "y")
        status = await _status(lsp)
        answered = await inline_at(lsp, other, 1, 31)
        assert not stalled.done()
        # The user moves on in the stalled document: the stalled call is dropped.
        insert_text(lsp, uri, 2, 0, 0, "# edited\n")
        superseding = await inline_at(lsp, uri, 2, 11)
        result = await asyncio.wait_for(stalled, 10)
        after = await _status(lsp)
    assert status["inFlight"] == 1
    assert answered is not None and [i.insert_text for i in answered.items] == ["y"]
    assert str(scripted_openai.completion_requests[1].body["prompt"]).endswith("y" * 20)
    assert result is not None and list(result.items) == []
    assert superseding is not None
    first = scripted_openai.completion_requests[0]
    scripted_openai.close()
    assert first.wait_finished(5) and not first.completed
    assert after["inFlight"] == 0


async def test_unresolvable_endpoint_gives_one_message_and_no_storm() -> None:
    uri = "file:///tmp/dns.py"
    options = endpoint_options("http://grove-nonexistent.invalid/v1")
    async with grove_client(options) as lsp:
        open_document(lsp, uri, "python", "def f(x):\n    return \n")
        results = [await inline_at(lsp, uri, 1, 11) for _ in range(5)]
        status = await _status(lsp)
    assert all(r is not None and list(r.items) == [] for r in results)
    warnings = [m for m in lsp.messages if m.message.startswith("Grove:")]
    assert len(warnings) == 1
    assert int(str(status["requests"])) <= 2  # the fault gate holds the rest back


# --------------------------------------------------------------------------------------------
# The embedded model leaves no orphan however the language server ends

_LAUNCHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import server.backend as backend
    from server.llm import local

    defaults = local.EmbeddedModel.__init__.__kwdefaults__
    defaults["server_module"] = {module!r}
    defaults["model_path"] = Path(sys.argv[1])
    backend.embedded_available = lambda: (True, "")
    backend.embedded_model_path = lambda: None
    from server.__main__ import main
    sys.exit(main(["serve"]))
    """
)


@pytest.mark.parametrize("ending", ["sigterm", "client-crash", "shutdown"])
def test_embedded_model_does_not_outlive_the_server(tmp_path: Path, ending: str) -> None:
    gguf = tmp_path / f"model-{ending}.gguf"
    gguf.write_bytes(b"GGUF")
    marker = str(gguf)
    server = RawLsp(
        [sys.executable, "-c", _LAUNCHER.format(module=FAKE_SERVER), marker],
        env={"PYTHONPATH": str(REPO)},
    )
    try:
        server.initialize({})  # no endpoint: the embedded model starts after `initialized`
        assert wait_until(lambda: bool(processes_with(marker)), timeout=30)
        assert server.request("workspace/executeCommand", {"command": "grove.status"})["result"][
            "embedded"
        ]
        if ending == "sigterm":
            server.proc.send_signal(signal.SIGTERM)
        elif ending == "client-crash":
            assert server.proc.stdin is not None and server.proc.stdout is not None
            server.proc.stdin.close()
            server.proc.stdout.close()
        else:
            server.close()
        server.proc.wait(30)
        assert wait_until(lambda: not processes_with(marker), timeout=20)
    finally:
        server.close()
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
