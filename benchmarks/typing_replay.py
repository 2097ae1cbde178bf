"""Typing replay: real code typed character by character into the real language server.

Run: ``python -m benchmarks.typing_replay [--file PATH] [--function NAME] [--chars 400]``

Starts ``grove serve`` over stdio (the embedded model unless ``--endpoint`` is given), opens a
real file with one function's body removed, and types that body back at a steady pace (120 ms a
character, plus a pause after each line), the way VS Code drives an inline-completion provider:
every keystroke sends ``didChange`` and then an automatic ``textDocument/inlineCompletion``
request, cancelling the previous one if it has not answered.  A newline keystroke also inserts
the next line's indentation (the editor's auto-indent).  With ``--accept`` the typist presses Tab
whenever the ghost text shown is exactly what comes next (the editor inserts it, runs the item's
command and asks again).  Then a burst of keystrokes 20 ms apart checks how many requests reach
the model.

Reports keystroke-to-suggestion latency (from the keystroke to a non-empty answer), the share of
keystrokes that got a suggestion, requests sent upstream per keystroke and the suggestion cache's
hit rate (from ``grove.status``), and for the requests that needed the model: their time p50 /
p95 (``grove.status`` ``completionCalls``) and the prompt tokens llama.cpp was sent and really
read per request (from its log: the rest came from its KV cache).  ``--oracle-ms`` replaces the
model with an endpoint that always answers with the real code
(:mod:`benchmarks.oracle_endpoint`), to measure the cache and continuation machinery apart from
the model's accuracy.
Writes ``benchmarks/results/typing_replay.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from analyzers.bench.metrics import percentile
from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from analyzers.structure import definitions
from benchmarks.oracle_endpoint import start_oracle
from benchmarks.quality.llama_timings import LlamaTimings, private_model_environment

RESULTS = Path(__file__).resolve().parent / "results"
STATUS = "grove.status"


@dataclass
class Keystroke:
    """One keystroke's outcome."""

    at: float
    latency_ms: float | None = None
    suggested: bool = False
    cancelled: bool = False
    suggestion: str = ""
    command: Any = None


def keystrokes(body: str) -> list[str]:
    """The body split into keystrokes; a newline carries the next line's indentation."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\n":
            end = index + 1
            while end < len(body) and body[end] in " \t":
                end += 1
            out.append(body[index:end])
            index = end
        else:
            out.append(char)
            index += 1
    return out


def function_body(text: str, path: str, name: str | None) -> tuple[int, str]:
    """(offset, text) of the body of function ``name`` (or the largest one) after its header."""
    doc = SourceDocument(text, language_for(None, path))
    scopes = [s for s in definitions(doc) if s.kind in ("function", "method")]
    if name is not None:
        scopes = [s for s in scopes if s.name == name]
    if not scopes:
        raise SystemExit(f"no function {name or ''} in {path}")
    scope = max(scopes, key=lambda s: s.end - s.start) if name is None else scopes[0]
    header_end = text.index("\n", scope.body_start) + 1
    return header_end, text[header_end : scope.end]


class Replay:
    """Drives one server process like an editor."""

    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client = client
        self.uri = uri
        self.text = text
        self.version = 1
        self.pending: tuple[int, Future[Any], Keystroke] | None = None
        self.next_id = 10_000

    def _position(self, offset: int) -> types.Position:
        before = self.text[:offset]
        line = before.count("\n")
        column = offset - (before.rfind("\n") + 1)
        units = len(self.text[offset - column : offset].encode("utf-16-le")) // 2
        return types.Position(line=line, character=units)

    def type(self, offset: int, chunk: str, *, ask: bool = True) -> Keystroke:
        """Insert ``chunk`` at ``offset`` and (``ask``) request a suggestion after it."""
        start = self._position(offset)
        self.text = self.text[:offset] + chunk + self.text[offset:]
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=start), text=chunk
                    )
                ],
            )
        )
        if self.pending is not None and not self.pending[1].done():
            msg_id, _, stroke = self.pending
            stroke.cancelled = True
            self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        keystroke = Keystroke(at=time.perf_counter())
        if not ask:
            return keystroke
        self.next_id += 1
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                position=self._position(offset + len(chunk)),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            ),
            msg_id=self.next_id,
        )

        def done(result: Future[Any]) -> None:
            keystroke.latency_ms = (time.perf_counter() - keystroke.at) * 1000
            if result.cancelled() or result.exception() is not None:
                return
            value = result.result()
            items = getattr(value, "items", None) or []
            keystroke.suggested = any(getattr(item, "insert_text", "") for item in items)
            if keystroke.suggested:
                keystroke.suggestion = str(items[0].insert_text)
                keystroke.command = items[0].command

        future.add_done_callback(done)
        self.pending = (self.next_id, future, keystroke)
        return keystroke

    async def accept(self, offset: int, keystroke: Keystroke) -> Keystroke:
        """Accept ``keystroke``'s suggestion like an editor: insert it, run its command, ask on."""
        text = keystroke.suggestion
        self.type(offset, text, ask=False)
        if keystroke.command is not None:
            await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command=keystroke.command.command,
                    arguments=list(keystroke.command.arguments or []),
                )
            )
        return self.type(offset + len(text), "")

    async def settle(self) -> None:
        """Wait for the last request to answer."""
        if self.pending is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(self.pending[1]), 60)

    async def status(self) -> dict[str, Any]:
        """The server's ``grove.status``."""
        result = await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=STATUS, arguments=[])
        )
        return dict(result) if isinstance(result, dict) else {}


async def _drain(stream: asyncio.StreamReader | None, log_path: Path | None) -> None:
    """Read the server's stderr (a full pipe would block it), keeping it if asked."""
    if stream is None:
        return
    with open(log_path or os.devnull, "ab") as sink:
        while chunk := await stream.read(65536):
            sink.write(chunk)


async def replay(
    path: Path,
    function: str | None,
    chars: int,
    interval_ms: float,
    options: dict[str, Any],
    server_log: Path | None = None,
    *,
    line_pause_ms: float = 0.0,
    accept: bool = False,
) -> dict[str, object]:
    """Run the replay and return the JSON-ready result."""
    original = path.read_text("utf-8")
    body_start, body = function_body(original, str(path), function)
    if len(body) > chars:
        # Whole lines only: the rest of the body stays below the cursor, as in a real edit.
        body = body[: body.rfind("\n", 0, chars) + 1] or body[:chars]
    # Keep the removed part's last line break, so the code below stays on the next line.
    body = body.removesuffix("\n")
    text = original[:body_start] + original[body_start + len(body) :]
    client = LanguageClient("grove-replay", "1")
    level = "debug" if server_log else "warning"
    await client.start_io(sys.executable, "-m", "server", "serve", "--log-level", level)
    server = getattr(client, "_server", None)
    drain = asyncio.ensure_future(_drain(server.stderr if server is not None else None, server_log))
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options={"grove": options},
            root_uri=path.parent.as_uri(),
        )
    )
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    session = Replay(client, uri, text)
    # Wait until the model answers once (start-up is not part of typing).
    started = time.perf_counter()
    warm = session.type(body_start, "")
    await session.settle()
    startup_s = time.perf_counter() - started
    del warm
    before = await session.status()
    timings = LlamaTimings()
    timings.mark(before.get("embeddedLog"))
    strokes: list[Keystroke] = []
    offset = body_start
    typed = 0
    accepted: list[str] = []
    pending = keystrokes(body)
    while pending:
        last = strokes[-1] if strokes else None
        rest = body[typed:]
        if (
            accept
            and last is not None
            and len(last.suggestion) >= 2
            and rest.startswith(last.suggestion)
        ):
            # The ghost text is exactly what the user was about to type: Tab.
            accepted.append(last.suggestion)
            strokes.append(await session.accept(offset, last))
            offset += len(last.suggestion)
            typed += len(last.suggestion)
            pending = keystrokes(body[typed:])
        else:
            chunk = pending.pop(0)
            strokes.append(session.type(offset, chunk))
            offset += len(chunk)
            typed += len(chunk)
        pause = interval_ms + (line_pause_ms if strokes and body[typed - 1 : typed] == "\n" else 0)
        await asyncio.sleep(pause / 1000)
    await session.settle()
    after = await session.status()
    model_requests = timings.requests(after.get("embeddedLog"))
    # A burst: 30 keystrokes 20 ms apart (a fast typist or a paste typed out).
    burst_text = "value = compute_total(items, default=None)\n"
    burst_offset = offset
    for char in burst_text[:30]:
        session.type(burst_offset, char)
        burst_offset += 1
        await asyncio.sleep(0.02)
    await session.settle()
    after_burst = await session.status()
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    drain.cancel()

    answered = [s for s in strokes if s.latency_ms is not None and not s.cancelled]
    suggested = [s.latency_ms for s in answered if s.suggested and s.latency_ms is not None]
    upstream = int(after.get("upstreamRequests", 0)) - int(before.get("upstreamRequests", 0))
    burst_upstream = int(after_burst.get("upstreamRequests", 0)) - int(
        after.get("upstreamRequests", 0)
    )
    return {
        "file": str(path),
        "function": function,
        "python": platform.python_version(),
        "machine": {"cores": os.cpu_count(), "load": os.getloadavg()},
        "interval_ms": interval_ms,
        "startup_s": round(startup_s, 2),
        "line_pause_ms": line_pause_ms,
        "accept": accept,
        "speculative": bool(options.get("completion", {}).get("speculative")),
        "body_chars": len(body),
        "keystrokes": len(strokes) - len(accepted),
        "accepted_suggestions": len(accepted),
        "accepted_chars": sum(len(a) for a in accepted),
        "cancelled_by_next_keystroke": sum(s.cancelled for s in strokes),
        "with_suggestion": len(suggested),
        "suggestion_share": round(len(suggested) / max(len(strokes), 1), 3),
        "keystroke_to_suggestion_ms": {
            "n": len(suggested),
            "p50": round(percentile(suggested, 0.5), 1) if suggested else None,
            "p95": round(percentile(suggested, 0.95), 1) if suggested else None,
        },
        "model_calls": _model_calls(after, model_requests),
        "upstream_requests": upstream,
        "upstream_per_keystroke": round(upstream / max(len(strokes), 1), 3),
        "cache_hit_rate": after.get("cacheHitRate"),
        "burst": {"keystrokes": 30, "interval_ms": 20, "upstream_requests": burst_upstream},
        "status": after_burst,
    }


def _model_calls(
    status: dict[str, Any], requests: Sequence[tuple[int | None, int]]
) -> dict[str, object]:
    """The requests that needed the model: their time (Grove's status) and tokens (llama.cpp)."""
    calls = status.get("completionCalls") or {}
    sent = [float(s) for s, _ in requests if s is not None]
    read = [float(r) for _, r in requests]
    return {
        "finished": calls.get("n"),
        "model_time_p50_ms": calls.get("p50Ms"),
        "model_time_p95_ms": calls.get("p95Ms"),
        "llama_requests": len(requests),
        "tokens_sent_p50": round(percentile(sent, 0.5)) if sent else None,
        "tokens_read_p50": round(percentile(read, 0.5)) if read else None,
        "tokens_read_p95": round(percentile(read, 0.95)) if read else None,
        "tokens_read_mean": round(sum(read) / len(read), 1) if read else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--function", default=None)
    parser.add_argument("--chars", type=int, default=400)
    parser.add_argument("--interval-ms", type=float, default=120.0)
    parser.add_argument("--endpoint", help="OpenAI-compatible base URL (default: embedded model)")
    parser.add_argument("--model", default="")
    parser.add_argument(
        "--oracle-ms",
        type=float,
        help="answer from an oracle endpoint that knows the real code, taking this long a request",
    )
    parser.add_argument("--server-log", type=Path, help="write the server's debug log here")
    parser.add_argument(
        "--line-pause-ms", type=float, default=400.0, help="extra pause after a line break"
    )
    parser.add_argument(
        "--accept", action="store_true", help="accept a suggestion that matches the next text"
    )
    parser.add_argument(
        "--speculative", action="store_true", help="grove.completion.speculative on"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "typing_replay.json")
    parser.add_argument("--budget", type=int, help="grove.context.budgetTokens (default: auto)")
    args = parser.parse_args(argv)
    private_model_environment()
    path = args.file or Path(json.__file__).parent / "decoder.py"
    function = args.function if args.file else (args.function or "JSONObject")
    options: dict[str, Any] = {"completion": {"speculative": args.speculative}}
    if args.budget:
        options["context"] = {"budgetTokens": args.budget}
    if args.endpoint:
        options |= {"endpoint": {"baseUrl": args.endpoint}, "model": args.model}
    oracle = None
    if args.oracle_ms is not None:
        oracle = start_oracle(path.read_text("utf-8"), args.oracle_ms / 1000)
        options |= {"endpoint": {"baseUrl": oracle.base_url}, "model": "test-model"}
        options["completion"]["mode"] = "prefix"
    try:
        result = asyncio.run(
            replay(
                path,
                function,
                args.chars,
                args.interval_ms,
                options,
                args.server_log,
                line_pause_ms=args.line_pause_ms,
                accept=args.accept,
            )
        )
    finally:
        if oracle is not None:
            oracle.close()
    result["oracle_model_ms"] = args.oracle_ms
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
