"""The ``grove`` command: ``serve`` (the language server) and ``complete`` (one suggestion).

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
from server.completion import CompletionEngine
from server.logs import configure_logging
from server.settings import resolve_settings

log = logging.getLogger("server.cli")

_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``grove`` console script."""
    parser = _parser()
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["serve"])
    if args.command == "serve":
        return _serve(args)
    if args.command == "complete":
        return asyncio.run(_complete(args))
    parser.print_help(sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grove", description="Grove AI coding language server")
    parser.add_argument("--version", action="version", version=f"grove {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--log-level", default="info", choices=["error", "warning", "info", "debug"])
    complete = sub.add_parser("complete", help="print the inline completion at FILE:LINE:COL")
    complete.add_argument("location", help="FILE:LINE:COL, 1-based, COL in characters")
    complete.add_argument("--json", action="store_true", help="machine-readable output")
    complete.add_argument("--settings", help="JSON object of grove settings (same keys as editors)")
    complete.add_argument(
        "--log-level", default="warning", choices=["error", "warning", "info", "debug"]
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    from server.app import create_server

    server = create_server()
    configure_logging(args.log_level, server)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


async def _complete(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    match = _LOCATION.match(args.location)
    if match is None:
        print(f"grove: expected FILE:LINE:COL, got {args.location!r}", file=sys.stderr)
        return 2
    path = Path(match["path"])
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"grove: cannot read {path}: {error}", file=sys.stderr)
        return 2
    try:
        raw_settings = json.loads(args.settings) if args.settings else {}
    except json.JSONDecodeError as error:
        print(f"grove: --settings is not JSON: {error}", file=sys.stderr)
        return 2
    settings = resolve_settings(raw_settings)
    for problem in settings.problems:
        print(f"grove: setting ignored: {problem}", file=sys.stderr)

    source = SourceDocument(text, language_for(None, str(path)))
    line = int(match["line"]) - 1
    offset = source.lines.offset_at(line, int(match["col"]) - 1)

    def notify(level: str, message: str) -> None:
        print(message, file=sys.stderr)

    backend = ModelBackend(settings, notify)
    engine = CompletionEngine(backend)
    try:
        suggestion = await engine.suggest(str(path), source, offset, str(path), settings)
    finally:
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
    else:
        print("grove: no suggestion at this position", file=sys.stderr)
    if backend.last_error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
