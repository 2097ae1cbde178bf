"""The ``grove`` command: ``serve`` (the language server), ``complete``, ``docstring``,
``explain``, ``review``, ``doctor`` and ``bench``.

``python -m server`` is ``grove serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from pathlib import Path

from analyzers.languages import language_for
from analyzers.parsing import SourceDocument
from server import __version__
from server.backend import ModelBackend
from server.bench.command import add_arguments as add_bench_arguments
from server.cli_workspace import open_workspace
from server.completion import CompletionEngine
from server.context_sources import FileFacts, RelatedContext
from server.lsp.logs import configure_logging
from server.lsp.transport import serve_stdio
from server.refusal import Refused, SendPolicy
from server.settings import Settings, resolve_settings
from server.workspace import WorkspaceIndex

log = logging.getLogger("server.cli")

_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$")


_LOG_LEVELS = ["error", "warning", "info", "debug", "trace"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``grove`` console script."""
    parser = _parser()
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["serve"])
    if args.command == "serve":
        return _serve(args)
    commands = {
        "complete": _complete,
        "docstring": _docstring,
        "explain": _explain,
        "review": _review,
        "doctor": _doctor,
        "bench": _bench,
    }
    command = commands.get(args.command)
    if command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return asyncio.run(command(args))
    finally:
        _finish()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grove", description="Grove AI coding language server")
    parser.add_argument("--version", action="version", version=f"grove {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--log-level", default="info", choices=_LOG_LEVELS)
    complete = sub.add_parser("complete", help="print the inline completion at FILE:LINE:COL")
    complete.add_argument("location", help="FILE:LINE:COL, 1-based, COL in characters")
    complete.add_argument("--json", action="store_true", help="machine-readable output")
    complete.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    complete.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    docstring = sub.add_parser(
        "docstring", help="write the docstring of the definition at FILE:LINE"
    )
    docstring.add_argument("location", help="FILE:LINE, 1-based")
    docstring.add_argument("--apply", action="store_true", help="write the docstring into FILE")
    docstring.add_argument("--json", action="store_true", help="machine-readable output")
    docstring.add_argument(
        "--settings", help="JSON object of grove settings (same keys as editors)"
    )
    docstring.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    explain = sub.add_parser(
        "explain", help="explain the code at FILE:LINE (its definition) or FILE:START-END"
    )
    explain.add_argument(
        "location", help="FILE:LINE (the definition there) or FILE:START-END, 1-based lines"
    )
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    explain.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    review = sub.add_parser("review", help="review FILE with the model (LLM diagnostics)")
    review.add_argument("location", metavar="FILE", help="the file to review")
    review.add_argument("--json", action="store_true", help="machine-readable output")
    review.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    review.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    doctor = sub.add_parser(
        "doctor", help="check the setup: what blocks completions, and how to fix it"
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    doctor.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    bench = sub.add_parser(
        "bench", help="measure completions on your own code: your model, mode and budget"
    )
    add_bench_arguments(bench)
    bench.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    bench.add_argument("--log-level", default="warning", choices=_LOG_LEVELS)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from server.lsp.registration import create_server

    server = create_server()
    configure_logging(args.log_level, server)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        serve_stdio(server)
    return 0


def _open(
    args: argparse.Namespace, pattern: re.Pattern[str], form: str
) -> tuple[Path, re.Match[str], SourceDocument, Settings] | None:
    """Parse the location, read the file and the --settings; None after printing why not."""
    configure_logging(args.log_level)
    match = pattern.match(args.location)
    if match is None:
        print(f"grove: expected {form}, got {args.location!r}", file=sys.stderr)
        return None
    path = Path(match["path"])
    loaded = _load_inputs(path, args.settings)
    if loaded is None:
        return None
    text, settings = loaded
    return path, match, SourceDocument(text, language_for(None, str(path))), settings


def _load_inputs(path: Path, settings_json: str | None) -> tuple[str, Settings] | None:
    """The file's text and the --settings, or None after printing why not."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"grove: cannot read {path}: {error}", file=sys.stderr)
        return None
    settings = _parse_settings(settings_json)
    if settings is None:
        return None
    if settings.endpoint_error is not None:
        print(f"grove: {settings.endpoint_error}", file=sys.stderr)
        return None
    for problem in settings.problems:
        print(f"grove: setting ignored: {problem}", file=sys.stderr)
    return text, settings


def _parse_settings(settings_json: str | None) -> Settings | None:
    """The --settings resolved (problems included), or None after printing why not."""
    try:
        raw_settings = json.loads(settings_json) if settings_json else {}
    except json.JSONDecodeError as error:
        print(f"grove: --settings is not JSON: {error}", file=sys.stderr)
        return None
    return resolve_settings(raw_settings)


_pending: list[str] = []
"""Model and workspace messages not printed yet (see :func:`_finish`)."""


def _notify(level: str, message: str) -> None:
    """Model and workspace messages go to stderr in the CLI, when the command ends."""
    _pending.append(message)


def _finish(last: str | None = None) -> None:
    """Print the pending messages, each once, then ``last`` (the command's own final word).

    A message that ``last`` repeats (the model error inside "could not get an explanation: …")
    is left out, so every error appears once and the last line agrees with it.
    """
    shown: set[str] = set()
    for message in _pending:
        core = message.removeprefix("Grove: ")
        if message in shown or (last is not None and core in last):
            continue
        shown.add(message)
        print(message, file=sys.stderr)
    _pending.clear()
    if last is not None:
        print(last, file=sys.stderr)


async def _backend(settings: Settings) -> ModelBackend:
    """The model backend, with its model chosen (a look for a local model server first)."""
    backend = ModelBackend(settings, _notify)
    await backend.choose_target()
    return backend


def _workspace(
    path: Path, settings: Settings
) -> tuple[WorkspaceIndex[FileFacts], RelatedContext, SendPolicy]:
    """The workspace index (rooted at the file's project), its context engine and send policy."""
    workspace = open_workspace(str(path.resolve()), settings.context_exclude, _notify)
    return workspace.index, workspace.related, workspace.policy


async def _complete(args: argparse.Namespace) -> int:
    opened = _open(args, _LOCATION, "FILE:LINE:COL")
    if opened is None:
        return 2
    path, match, source, settings = opened
    line = int(match["line"]) - 1
    offset = source.lines.offset_at(line, int(match["col"]) - 1)
    backend = await _backend(settings)
    absolute = str(path.resolve())
    index, related, policy = _workspace(path, settings)
    engine = CompletionEngine(
        backend,
        policy,
        related=related.blocks if settings.context_cross_file else None,
        display_path=related.display_path,
    )
    try:
        if settings.context_cross_file:
            related.prefetch(source, absolute)
            await index.idle()
        suggestion = await engine.suggest(absolute, source, offset, absolute, settings)
    except Refused as refused:
        _finish(f"grove: {refused}")
        return 1
    finally:
        index.close()
        await backend.aclose()
    if args.json:
        line_out, column_out = source.lines.position_at(offset)
        print(
            json.dumps(
                {
                    "file": str(path),
                    "line": line_out + 1,
                    "column": column_out + 1,
                    "text": suggestion.text if suggestion else None,
                    "kind": suggestion.kind.name.lower() if suggestion else None,
                    "model": backend.target.label,
                    "seconds": round(suggestion.elapsed_s, 3) if suggestion else None,
                    "error": backend.last_error,
                },
                ensure_ascii=False,
            )
        )
    elif suggestion is not None:
        print(suggestion.text)
    elif not backend.last_error:  # (after a model error, that error is the last word)
        _finish("grove: no suggestion at this position")
    if backend.last_error:
        return 1
    return 0


_LINE_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")


async def _docstring(args: argparse.Namespace) -> int:
    from server.docstrings import DocstringError, generate_docstring

    opened = _open(args, _LINE_LOCATION, "FILE:LINE")
    if opened is None:
        return 2
    path, match, source, settings = opened
    line = min(max(int(match["line"]) - 1, 0), source.lines.line_count - 1)
    offset = _line_indent_offset(source, line)
    backend = await _backend(settings)
    index, _related, policy = _workspace(path, settings)
    try:
        result = await generate_docstring(
            backend, policy, source, offset, str(path), style=settings.docstring_style
        )
    except DocstringError as error:
        _finish(f"grove: {error}")
        return 1
    finally:
        index.close()
        await backend.aclose()
    edit = result.edit
    if args.apply:
        new_text = source.text[: edit.start] + edit.text + source.text[edit.end :]
        path.write_bytes(new_text.encode("utf-8"))
    if args.json:
        start_line, start_col = source.lines.position_at(edit.start)
        end_line, end_col = source.lines.position_at(edit.end)
        print(
            json.dumps(
                {
                    "file": str(path),
                    "name": result.target.name,
                    "start": {"line": start_line + 1, "column": start_col + 1},
                    "end": {"line": end_line + 1, "column": end_col + 1},
                    "text": edit.text,
                    "source": result.source,
                    "attempts": result.attempts,
                    "problems": list(result.problems),
                    "applied": bool(args.apply),
                    "model": backend.target.label,
                    "error": backend.last_error,
                },
                ensure_ascii=False,
            )
        )
    elif not args.apply:
        print(edit.text, end="" if edit.text.endswith("\n") else "\n")
    if result.source == "skeleton":
        why = "; ".join(result.problems) or "no usable model answer"
        _finish(f"grove: inserted a TODO skeleton ({why})")
    return 0


def _line_indent_offset(source: SourceDocument, line: int) -> int:
    """The offset of the first non-blank character of ``line`` (its end when blank)."""
    line_text = source.lines.line_text(line)
    return source.lines.line_start(line) + len(line_text) - len(line_text.lstrip())


_LINES_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?:-(?P<end>\d+))?$")


async def _explain(args: argparse.Namespace) -> int:
    from server.explain import ExplainError, ExplainRequest, ExplanationStore, explain

    opened = _open(args, _LINES_LOCATION, "FILE:LINE or FILE:START-END")
    if opened is None:
        return 2
    path, match, source, settings = opened
    lines = source.lines
    first = int(match["line"]) - 1
    last = int(match["end"]) - 1 if match["end"] else first
    if not 0 <= first < lines.line_count or last < first:  # (lines are 1-based on the CLI)
        print(
            f"grove: {args.location!r} is not a range of lines in {path} "
            f"({lines.line_count} lines)",
            file=sys.stderr,
        )
        return 2
    final = lines.line_count - 1
    if final > 0 and not lines.line_text(final):
        final -= 1  # the empty "line" after the file's last line break
    last = min(last, final)  # a range past the end stops at the end
    if match["end"]:
        start, end = lines.line_start(first), lines.line_end(last)
    else:
        start = end = _line_indent_offset(source, first)
    absolute = str(path.resolve())
    backend = await _backend(settings)
    index, related, policy = _workspace(path, settings)
    try:
        request = ExplainRequest(
            source, start, end, path=absolute, shown_path=related.display_path(absolute)
        )
        result = await explain(
            backend, settings, request, ExplanationStore(), policy, related=related
        )
    except ExplainError as error:
        _finish(f"grove: {error}")
        return 1
    finally:
        index.close()
        await backend.aclose()
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(path),
                    "start": first + 1,
                    "end": last + 1,
                    "subject": result.subject,
                    "summary": result.summary,
                    "markdown": result.markdown,
                    "omittedLines": result.omitted_lines,
                    "model": backend.target.label,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(result.markdown)
    return 0


_FILE = re.compile(r"^(?P<path>.+)$")


async def _review(args: argparse.Namespace) -> int:
    from server.review import Reviewer

    opened = _open(args, _FILE, "FILE")
    if opened is None:
        return 2
    path, _match, source, settings = opened
    absolute = str(path.resolve())
    backend = await _backend(settings)
    index, _related, policy = _workspace(path, settings)
    reviewer = Reviewer(backend, lambda: settings, policy)
    try:
        report = await reviewer.review(absolute, source, absolute)
        placed = reviewer.findings(absolute, source, absolute)
    finally:
        index.close()
        await backend.aclose()
    if report.skipped is not None:
        _finish(f"grove: {report.skipped}")
        return 1
    unreachable = bool(report.requested) and report.failed >= report.requested
    severity = {
        p.finding.category: str(getattr(settings, f"review_severity_{p.finding.category}"))
        for p in placed
    }
    placed = [p for p in placed if severity[p.finding.category] != "off"]
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(path),
                    "units": report.units,
                    "requested": report.requested,
                    "failed": report.failed,
                    "proposed": report.proposed,
                    "dropped": report.dropped,
                    "findings": [
                        {
                            "line": p.line + 1,
                            "column": p.column + 1,
                            "endLine": p.end_line + 1,
                            "endColumn": p.end_column + 1,
                            "category": p.finding.category,
                            "severity": severity[p.finding.category],
                            "message": p.finding.message,
                            "suggestion": p.finding.suggestion,
                            "unit": p.unit,
                            "quote": p.finding.quote[0],
                        }
                        for p in placed
                    ],
                    "model": backend.target.label,
                    "error": reviewer.last_error if report.failed else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        for p in placed:
            finding = p.finding
            tail = f" (suggestion: {finding.suggestion})" if finding.suggestion else ""
            print(
                f"{path}:{p.line + 1}:{p.column + 1}: {severity[finding.category]} "
                f"[{finding.category}] {finding.message}{tail}"
            )
    if unreachable and backend.last_error:
        _finish(
            f"grove: {path} was not reviewed: no model answer for any of its "
            f"{report.requested} units: {backend.last_error}"
        )
        return 1
    if not args.json:
        failed = f", {report.failed} failed" if report.failed else ""
        _finish(
            f"grove: {report.units} units, {report.requested - report.failed} reviewed{failed}, "
            f"{len(placed)} findings, {len(report.dropped)} dropped"
        )
    return 1 if report.failed and backend.last_error else 0


async def _doctor(args: argparse.Namespace) -> int:
    from server.doctor import diagnose

    configure_logging(args.log_level)
    settings = _parse_settings(args.settings)
    if settings is None:
        return 2
    backend = await _backend(settings)
    try:
        report = await diagnose(backend, settings)
    finally:
        await backend.aclose()
    print(json.dumps(report.data(), ensure_ascii=False) if args.json else report.text())
    return 0 if report.ok else 1


async def _bench(args: argparse.Namespace) -> int:
    from server.bench.command import run_bench

    configure_logging(args.log_level)
    return await run_bench(
        args,
        notify=_notify,
        finish=_finish,
        out=print,
        err=lambda line: print(line, file=sys.stderr, flush=True),
    )


if __name__ == "__main__":
    sys.exit(main())
