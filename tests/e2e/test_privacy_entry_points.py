"""Every entry point refuses every refusal reason: zero requests, one clear reason for the user.

The table, against the real server over stdio (and the real CLI in a subprocess) and the
scripted OpenAI server:

* entry points: LSP inline completion, the ``textDocument/completion`` fallback, the speculative
  request after ``grove.accepted``, the commands ``grove.generateDocstring``, ``grove.explain``,
  ``grove.explainDiagnostic`` and ``grove.review``, the docstring and explain code actions
  (listed, resolved, and the explain actions' commands run), and the CLI subcommands
  ``complete``, ``docstring``, ``explain`` and ``review``;
* reasons: a secret file name (``.env``, ``id_rsa``), a file in ``.gitignore``, in
  ``.groveignore``, matched by ``grove.context.exclude``, a file under a root whose ignore file is
  broken (not UTF-8: it fails closed), a binary file (NUL bytes, still valid UTF-8) and a huge
  file (more than ``MAX_ANALYSED_CHARS`` characters).

Each cell asserts that no POST reached the endpoint and that the user got the reason sentence
("Grove does not send NAME to a model: ..."): on stderr for the CLI (non-zero exit, nothing on
stdout); as an error response, a ``message`` result or a ``window/showMessage`` for commands and
code actions; as exactly one ``window/showMessage`` per opened document, however many requests,
for completions (for a broken ignore file: the one message naming it, per root). The speculative
path only has to send nothing. Positive controls run every entry point on an allowed file of the
same workspace and prove each one does send a request.

One server per reason runs all the LSP cells; the failures of one reason are collected and
reported together, each naming its entry point.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import converters, types
from pytest_lsp import LanguageClient

from server.lsp.documents import MAX_ANALYSED_CHARS
from tests.e2e.harness import (
    accept_edits,
    grove_client,
    inline_at,
    open_document,
    read_code_actions_properly,
    server_env,
)
from tests.support.scripted_openai import ScriptedOpenAI

SOURCE = (
    "def area(width, height):\n"
    "    total = width * height\n"
    "    return total\n"
    "\n"
    "\n"
    "def main():\n"
    "    size = area(2, 3)\n"
    "    return \n"
)
COMPLETE_AT = types.Position(line=7, character=11)  # after "return "
ACCEPTED_TEXT = "return "  # accepted just before COMPLETE_AT: the next suggestion goes there
ACCEPTED_OFFSET = SOURCE.index("    return \n") + 4
IN_AREA = types.Position(line=0, character=4)
IN_MAIN = types.Position(line=5, character=4)
AREA_DIAGNOSTIC = types.Diagnostic(
    range=types.Range(start=types.Position(1, 4), end=types.Position(1, 9)),
    message="Variable 'total' is returned right away.",
    severity=types.DiagnosticSeverity.Information,
    source="lint",
)
MAIN_DIAGNOSTIC = {
    "range": {"start": {"line": 6, "character": 4}, "end": {"line": 6, "character": 8}},
    "message": "Variable 'size' is never used.",
    "severity": 2,
    "source": "lint",
}

GITIGNORED = "git_ignored.py"
GROVEIGNORED = "grove_ignored.py"
EXCLUDED = "excluded_by_setting.py"
GROVEIGNORE = f"{GROVEIGNORED}\n".encode()
BROKEN_GROVEIGNORE = b"\xff\xfe not utf-8 \xc3\x28\n"  # unreadable: the root fails closed
ALLOWED = "app.py"
SAYS = "Grove does not send"
"""How every refusal sentence starts."""


@dataclass(frozen=True)
class Reason:
    """One refusal reason: the refused file (relative to the root) and its workspace."""

    id: str
    name: str
    text: str = SOURCE
    groveignore: bytes = GROVEIGNORE
    per_root: bool = False
    """Completions tell the user once per root (the index's message about the broken ignore
    file, which the server does not repeat per document), not once per opened document."""

    @property
    def sentence(self) -> str:
        """The start of the sentence that must reach the user."""
        return f"{SAYS} {Path(self.name).name} to a model"

    def tells(self, message: str) -> bool:
        """Whether a message shown to the user gives this reason."""
        if self.sentence in message:
            return True
        return self.per_root and ".groveignore" in message and "read for context" in message


REASONS = [
    Reason("secret-.env", ".env"),
    Reason("secret-id_rsa", "id_rsa"),
    Reason("gitignore", GITIGNORED),
    Reason("groveignore", GROVEIGNORED),
    Reason("context.exclude", EXCLUDED),
    Reason(
        "broken-ignore-file",
        "under_broken_root.py",
        groveignore=BROKEN_GROVEIGNORE,
        per_root=True,
    ),
    Reason("binary", "blob.py", text=SOURCE + "\x00\x00\x00\x01 payload\n"),
    Reason("huge", "huge.py", text=SOURCE + "x = 1\n" * (MAX_ANALYSED_CHARS // 6 + 1)),
]


def make_workspace(root: Path, reason: Reason) -> Path:
    """A project root (``.git``) with ignore files, an allowed file and the refused one."""
    (root / ".git").mkdir(parents=True)
    (root / ".gitignore").write_text(f"{GITIGNORED}\n")
    (root / ".groveignore").write_bytes(reason.groveignore)
    (root / ALLOWED).write_text(SOURCE)
    refused = root / reason.name
    refused.write_bytes(reason.text.encode("utf-8"))  # NUL bytes are valid UTF-8
    return refused


def options(base_url: str) -> dict[str, Any]:
    """Every entry point on, against the scripted endpoint; reviews only when asked."""
    return {
        "endpoint": {"baseUrl": base_url},
        "model": "scripted-model",
        "logLevel": "debug",
        "completion": {
            "mode": "prefix",
            "debounceMs": 0,
            "speculative": True,
            "fallbackItems": "always",  # answer textDocument/completion too
        },
        "context": {"exclude": [EXCLUDED]},
        "review": {"trigger": "manual"},
        "explain": {"show": "result"},
    }


# ------------------------------------------------------------------------------------------
# LSP helpers


async def status(lsp: LanguageClient) -> Any:
    """``grove.status`` (also a round trip: earlier notifications have been handled)."""
    return await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="grove.status")
    )


async def until_idle(lsp: LanguageClient, timeout_s: float = 30.0) -> None:
    """Round trips until no completion task and no model call runs (background work is done).

    A speculative request starts its task before its first await, so the first round trip
    after ``grove.accepted`` already sees it; a refused one is idle at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        now = await status(lsp)
        if now["inFlight"] == 0 and not now["busy"]:
            return
        if loop.time() > deadline:
            raise AssertionError(f"the server never became idle: {now}")
        await asyncio.sleep(0.02)  # a model call is running: let it finish


async def command(lsp: LanguageClient, name: str, *arguments: Any) -> Any:
    return await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))
    )


def position_json(position: types.Position) -> dict[str, int]:
    return {"line": position.line, "character": position.character}


def reopen(lsp: LanguageClient, uri: str, text: str, first: bool = False) -> None:
    """(Re)open a document: a fresh start for its completion cache and one-time notices."""
    if not first:
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    open_document(lsp, uri, "python", text)


async def inline_completions(lsp: LanguageClient, uri: str, *, invoked: bool = False) -> list[Any]:
    """Three inline completion requests at the same place (as typing pauses, or cycling, do)."""
    trigger = types.InlineCompletionTriggerKind
    kind = trigger.Invoked if invoked else trigger.Automatic
    line, character = COMPLETE_AT.line, COMPLETE_AT.character
    return [await inline_at(lsp, uri, line, character, kind) for _ in range(3)]


async def fallback_completions(lsp: LanguageClient, uri: str) -> list[Any]:
    """Three ``textDocument/completion`` requests at the same place."""
    results = []
    for _ in range(3):
        results.append(
            await lsp.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri), position=COMPLETE_AT
                )
            )
        )
    return results


async def accept(lsp: LanguageClient, uri: str) -> None:
    """What the editor runs after the user accepted a suggestion ending at COMPLETE_AT."""
    await command(lsp, "grove.accepted", uri, ACCEPTED_OFFSET, ACCEPTED_TEXT)


async def list_actions(
    lsp: LanguageClient, uri: str, diagnostic: types.Diagnostic = AREA_DIAGNOSTIC
) -> list[types.CodeAction]:
    """The code actions at IN_AREA with a diagnostic in the context."""
    read_code_actions_properly(lsp)
    result = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=IN_AREA, end=IN_AREA),
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


ACTION_KINDS = {
    "code action: docstring": lambda title: "docstring" in title,
    "code action: explain code": lambda title: title.startswith("Explain this code"),
    "code action: explain diagnostic": lambda title: title.startswith("Explain this diagnostic"),
}


def pick(actions: list[types.CodeAction], cell: str) -> types.CodeAction | None:
    return next((a for a in actions if ACTION_KINDS[cell](a.title)), None)


_CONVERTER = converters.get_converter()


def retarget(action: types.CodeAction, old_uri: str, new_uri: str) -> types.CodeAction:
    """The same action (data, command arguments) for another document."""
    raw = json.dumps(_CONVERTER.unstructure(action, types.CodeAction))
    return _CONVERTER.structure(json.loads(raw.replace(old_uri, new_uri)), types.CodeAction)


async def run_action(lsp: LanguageClient, action: types.CodeAction) -> Any:
    """Resolve the action, then run its command if it has one (what the editor does)."""
    resolved = await lsp.code_action_resolve_async(action)
    if resolved.command is not None:
        return await command(lsp, resolved.command.command, *(resolved.command.arguments or []))
    return resolved


def notices(lsp: LanguageClient, since: int, sentence: str) -> list[str]:
    """The window/showMessage texts after the first ``since`` that carry ``sentence``."""
    return [m.message for m in lsp.messages[since:] if sentence in m.message]


def said_in_result(outcome: Any, sentence: str) -> bool:
    """Whether a command answered a ``message`` result carrying ``sentence``."""
    return (
        isinstance(outcome, dict)
        and outcome.get("kind") == "message"
        and sentence in str(outcome.get("message"))
    )


def told_once(lsp: LanguageClient, reason: Reason, since: int, entry: str) -> list[str]:
    """Problems unless exactly one message since the document was opened gave the reason."""
    start = 0 if reason.per_root else since
    told = [m.message for m in lsp.messages[start:] if reason.tells(m.message)]
    if len(told) == 1:
        return []
    return [f"{entry}: {len(told)} messages gave the reason (want exactly one): {told}"]


@dataclass
class Table:
    """The cells of one reason: requests per entry point, and what went wrong."""

    lsp: LanguageClient
    endpoint: ScriptedOpenAI
    sentence: str
    failures: list[str]

    async def cell(self, entry: str, work: Awaitable[Any], *, tell: bool = True) -> Any:
        """Run one entry point; record requests that reached the endpoint and a missing reason."""
        sent_before = len(self.endpoint.completion_requests)
        shown_before = len(self.lsp.messages)
        outcome: Any = None
        error: str | None = None
        try:
            outcome = await work
        except Exception as exc:  # an error response is one way to give the reason
            error = str(exc)
        await until_idle(self.lsp)
        sent = len(self.endpoint.completion_requests) - sent_before
        if sent:
            self.failures.append(f"{entry}: {sent} request(s) reached the endpoint")
        told = (
            (error is not None and self.sentence in error)
            or said_in_result(outcome, self.sentence)
            or notices(self.lsp, shown_before, self.sentence)
        )
        if tell and not told:
            got = f"error {error!r}" if error is not None else f"result {outcome!r}"
            self.failures.append(
                f"{entry}: no error, message result or showMessage with {self.sentence!r} "
                f"({got[:300]})"
            )
        return outcome


# ------------------------------------------------------------------------------------------
# LSP cells


@pytest.mark.parametrize("reason", REASONS, ids=[r.id for r in REASONS])
async def test_lsp_entry_points_send_nothing_for_a_refused_document(
    scripted_openai: ScriptedOpenAI, tmp_path: Path, reason: Reason
) -> None:
    root = tmp_path / "workspace"
    refused = make_workspace(root, reason)
    uri = refused.as_uri()
    # The same code outside the workspace (allowed): what the server puts on its code actions.
    template = tmp_path / "elsewhere" / "template.py"
    template.parent.mkdir()
    template.write_text(SOURCE)
    failures: list[str] = []
    async with grove_client(options(scripted_openai.base_url), root_uri=root.as_uri()) as lsp:
        applied = accept_edits(lsp)
        table = Table(lsp, scripted_openai, reason.sentence, failures)

        # Inline completion: empty answers, one notice however many requests.
        reopen(lsp, uri, reason.text, first=True)
        shown = len(lsp.messages)
        results = await table.cell("inline completion", inline_completions(lsp, uri), tell=False)
        if not all(r is not None and not r.items for r in results or []):
            failures.append(f"inline completion: suggestions {results!r}")
        failures += told_once(lsp, reason, shown, "inline completion")

        # Explicit requests (Invoked: several candidates), on a freshly opened document.
        reopen(lsp, uri, reason.text)
        shown = len(lsp.messages)
        results = await table.cell(
            "inline completion (invoked)", inline_completions(lsp, uri, invoked=True), tell=False
        )
        if not all(r is not None and not r.items for r in results or []):
            failures.append(f"inline completion (invoked): suggestions {results!r}")
        failures += told_once(lsp, reason, shown, "inline completion (invoked)")

        # The textDocument/completion fallback, on a freshly opened document.
        reopen(lsp, uri, reason.text)
        shown = len(lsp.messages)
        results = await table.cell(
            "completion fallback", fallback_completions(lsp, uri), tell=False
        )
        if not all(r is not None and not r.items for r in results or []):
            failures.append(f"completion fallback: items {results!r}")
        failures += told_once(lsp, reason, shown, "completion fallback")

        # The speculative request after an accepted suggestion: nothing sent is enough.
        reopen(lsp, uri, reason.text)
        await table.cell("speculative after grove.accepted", accept(lsp, uri), tell=False)

        # Commands.
        await table.cell(
            "grove.generateDocstring",
            command(lsp, "grove.generateDocstring", uri, position_json(IN_MAIN)),
        )
        await table.cell(
            "grove.explain",
            command(
                lsp,
                "grove.explain",
                {"textDocument": {"uri": uri}, "position": position_json(IN_MAIN)},
            ),
        )
        await table.cell(
            "grove.explainDiagnostic",
            command(
                lsp,
                "grove.explainDiagnostic",
                {"textDocument": {"uri": uri}, "diagnostic": MAIN_DIAGNOSTIC},
            ),
        )
        await table.cell("grove.review", command(lsp, "grove.review", uri))

        # Code actions: listing sends nothing; each action, offered here or built with the data
        # the server puts on it for this code, is resolved (and its command run): refused.
        offered = await table.cell("code actions (listing)", list_actions(lsp, uri), tell=False)
        open_document(lsp, template.as_uri(), "python", SOURCE)
        templates = await list_actions(lsp, template.as_uri())
        for cell in ACTION_KINDS:
            action = pick(offered or [], cell)
            if action is None:
                model = pick(templates, cell)
                assert model is not None, f"{cell}: not offered on an allowed copy {templates}"
                action = retarget(model, template.as_uri(), uri)
            await table.cell(cell, run_action(lsp, action))

        await until_idle(lsp)
    if scripted_openai.completion_requests and not failures:
        failures.append(
            f"{len(scripted_openai.completion_requests)} request(s) reached the endpoint"
        )
    touched = [p for p in applied if uri in json.dumps(_CONVERTER.unstructure(p))]
    if touched:
        failures.append(f"edits applied to the refused document: {touched}")
    assert not failures, f"{reason.id}:\n" + "\n".join(failures)


async def test_lsp_entry_points_do_send_for_an_allowed_document(
    scripted_openai: ScriptedOpenAI, tmp_path: Path
) -> None:
    """The positive control: the same calls on an allowed file each reach the endpoint."""
    root = tmp_path / "workspace"
    make_workspace(root, REASONS[0])  # the refused .env sits next to the allowed file
    uri = (root / ALLOWED).as_uri()
    sent: dict[str, int] = {}

    async def cell(entry: str, work: Awaitable[Any]) -> Any:
        before = len(scripted_openai.completion_requests)
        try:
            outcome = await work
        except Exception as error:  # only the requests matter here
            outcome = error
        await until_idle(lsp)
        sent[entry] = len(scripted_openai.completion_requests) - before
        return outcome

    async with grove_client(options(scripted_openai.base_url), root_uri=root.as_uri()) as lsp:
        accept_edits(lsp)
        reopen(lsp, uri, SOURCE, first=True)
        await cell("inline completion", inline_completions(lsp, uri))
        reopen(lsp, uri, SOURCE)
        await cell("inline completion (invoked)", inline_completions(lsp, uri, invoked=True))
        reopen(lsp, uri, SOURCE)
        await cell("completion fallback", fallback_completions(lsp, uri))
        reopen(lsp, uri, SOURCE)
        await cell("speculative after grove.accepted", accept(lsp, uri))
        speculative = (await status(lsp))["speculative"]
        await cell(
            "grove.generateDocstring",
            command(lsp, "grove.generateDocstring", uri, position_json(IN_MAIN)),
        )
        await cell(
            "grove.explain",
            command(
                lsp,
                "grove.explain",
                {"textDocument": {"uri": uri}, "position": position_json(IN_MAIN)},
            ),
        )
        await cell(
            "grove.explainDiagnostic",
            command(
                lsp,
                "grove.explainDiagnostic",
                {"textDocument": {"uri": uri}, "diagnostic": MAIN_DIAGNOSTIC},
            ),
        )
        await cell("grove.review", command(lsp, "grove.review", uri))
        actions = await list_actions(lsp, uri)
        for name in ACTION_KINDS:
            action = pick(actions, name)
            assert action is not None, f"{name} not offered: {actions}"
            await cell(name, run_action(lsp, action))
    assert speculative == 1
    assert all(count >= 1 for count in sent.values()), sent


# ------------------------------------------------------------------------------------------
# CLI cells
#
# ``python -m server`` spends about two CPU seconds importing before it does anything, and the
# table has 32 CLI cells. So the refused cells run in processes forked from one process that
# imported the CLI once (each child calls ``server.__main__.main(argv)`` exactly as
# ``python -m server`` does, with its own stdout, stderr and exit code); the positive control
# runs the real ``python -m server``.

SUBCOMMANDS = ["complete", "docstring", "explain", "review"]

FORKING_CLI = """
import json, os, signal, sys, traceback
from server.__main__ import main

def child(argv, out, err):
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
    signal.alarm(120)
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

for line in sys.stdin:
    jobs = json.loads(line)
    children = {}
    for number, job in enumerate(jobs):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(**job)
        children[pid] = number
    codes = [None] * len(jobs)
    while children:
        pid, status = os.wait()
        codes[children.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(codes), flush=True)
"""


@dataclass(frozen=True)
class CliRun:
    """One ``grove SUBCOMMAND`` run and the POSTs its endpoint received."""

    subcommand: str
    returncode: int
    stdout: str
    stderr: str
    posts: int

    def __str__(self) -> str:
        return (
            f"grove {self.subcommand}: exit {self.returncode}, {self.posts} request(s), "
            f"stdout {self.stdout[-300:]!r}, stderr {self.stderr[-1500:]!r}"
        )


Runner = Callable[[list[list[str]]], list[tuple[int, str, str]]]
"""Runs CLI argument lists at once: (exit code, stdout, stderr) for each."""


def spawned(argvs: list[list[str]]) -> list[tuple[int, str, str]]:
    """Each argument list as a real ``python -m server`` process."""

    def run(argv: list[str]) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "server", *argv],
            capture_output=True,
            text=True,
            env=server_env(),
            timeout=120,
        )
        return done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=len(argvs)) as pool:
        return list(pool.map(run, argvs))


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """Each argument list in a child forked from one process that imported the CLI."""
    outputs = tmp_path_factory.mktemp("cli-output")
    parent = subprocess.Popen(
        [sys.executable, "-c", FORKING_CLI],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=server_env(),
    )
    assert parent.stdin is not None and parent.stdout is not None
    jobs_in, codes_out = parent.stdin, parent.stdout
    batches = 0

    def run(argvs: list[list[str]]) -> list[tuple[int, str, str]]:
        nonlocal batches
        batches += 1
        files = [
            (outputs / f"{batches}-{n}.out", outputs / f"{batches}-{n}.err")
            for n in range(len(argvs))
        ]
        jobs = [
            {"argv": argv, "out": str(out), "err": str(err)}
            for argv, (out, err) in zip(argvs, files, strict=True)
        ]
        jobs_in.write(json.dumps(jobs) + "\n")
        jobs_in.flush()
        line = codes_out.readline()
        assert line, f"the forking CLI process exited ({parent.poll()})"
        codes = json.loads(line)
        return [
            (code, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))
            for code, (out, err) in zip(codes, files, strict=True)
        ]

    try:
        yield run
    finally:
        jobs_in.close()
        parent.wait(timeout=30)


def every_subcommand(run: Runner, path: Path) -> list[CliRun]:
    """Each subcommand on ``path`` at once, each against its own scripted endpoint."""
    endpoints = [ScriptedOpenAI().start() for _ in SUBCOMMANDS]
    try:
        argvs = [
            cli_argv(subcommand, path, endpoint.base_url)
            for subcommand, endpoint in zip(SUBCOMMANDS, endpoints, strict=True)
        ]
        return [
            CliRun(subcommand, *done, len(endpoint.completion_requests))
            for subcommand, done, endpoint in zip(SUBCOMMANDS, run(argvs), endpoints, strict=True)
        ]
    finally:
        for endpoint in endpoints:
            endpoint.close()


def cli_argv(subcommand: str, path: Path, base_url: str) -> list[str]:
    """``SUBCOMMAND LOCATION --settings ...`` for the scripted endpoint at ``base_url``."""
    location = {
        "complete": f"{path}:{COMPLETE_AT.line + 1}:{COMPLETE_AT.character + 1}",
        "docstring": f"{path}:{IN_MAIN.line + 1}",
        "explain": f"{path}:{IN_MAIN.line + 1}",
        "review": str(path),
    }[subcommand]
    settings = {
        "endpoint": {"baseUrl": base_url},
        "model": "scripted-model",
        "completion": {"mode": "prefix" if subcommand == "complete" else "chat"},
        "context": {"exclude": [EXCLUDED]},
    }
    return [subcommand, location, "--settings", json.dumps(settings)]


@pytest.mark.parametrize("reason", REASONS, ids=[r.id for r in REASONS])
def test_cli_subcommands_send_nothing_for_a_refused_file(
    forked: Runner, tmp_path: Path, reason: Reason
) -> None:
    refused = make_workspace(tmp_path / "workspace", reason)
    failures = []
    for run in every_subcommand(forked, refused):
        told = reason.sentence in run.stderr
        if run.posts or run.returncode == 0 or not told or run.stdout:
            failures.append(str(run))
    assert not failures, f"{reason.id}:\n" + "\n".join(failures)


@pytest.mark.parametrize("runner", ["python -m server", "forked"])
def test_cli_subcommands_do_send_for_an_allowed_file(
    request: pytest.FixtureRequest, tmp_path: Path, runner: str
) -> None:
    """The positive control: each subcommand on an allowed file reaches the endpoint."""
    run = spawned if runner == "python -m server" else request.getfixturevalue("forked")
    root = tmp_path / "workspace"
    make_workspace(root, REASONS[0])  # the refused .env sits next to the allowed file
    runs = every_subcommand(run, root / ALLOWED)
    assert all(run.posts >= 1 and run.returncode == 0 for run in runs), "\n".join(map(str, runs))
