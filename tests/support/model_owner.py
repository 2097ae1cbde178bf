"""A stand-in Grove server for the shared-model tests: one :class:`SharedModel` in its own process.

``python -m tests.support.model_owner --runtime-dir DIR [--idle-grace S] [--fake-gguf PATH]
[--reply TEXT]`` starts (or finds) the shared embedded model — the real one, or the scripted
OpenAI server standing in for llama.cpp when ``--fake-gguf`` is given — and prints one JSON line:
``{"url", "pid", "host_pid", "launched"}``, or ``{"error"}``. Then each line on stdin is a
command: ``complete`` asks the model for one completion and prints ``{"text"}`` (or
``{"error"}``). At end of input it lets go of the model (its lease) and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from server.llm.local import EMBEDDED_MODEL_ALIAS, EmbeddedModel
from server.llm.openai_provider import OpenAIProvider
from server.llm.provider import CompletionRequest, LLMError
from server.llm.shared_model import SharedModel

REPO = Path(__file__).resolve().parents[2]


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _run(args: argparse.Namespace) -> int:
    if args.fake_gguf:
        launch = EmbeddedModel(
            model_path=Path(args.fake_gguf),
            server_module="tests.support.scripted_openai",
            extra_args=("--reply", args.reply),
            extra_env={"PYTHONPATH": str(REPO)},
        )
    else:
        launch = EmbeddedModel()
    model = SharedModel(launch, runtime_dir=Path(args.runtime_dir), idle_grace_s=args.idle_grace)
    try:
        url = await model.start()
    except LLMError as error:
        _say({"error": error.user_message})
        return 1
    _say({"url": url, "pid": model.pid, "host_pid": model.host_pid, "launched": model.launched})
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.strip() != "complete":
                continue
            try:
                url = await model.ensure_running()
                provider = OpenAIProvider(
                    base_url=url,
                    api_key=None,
                    model=EMBEDDED_MODEL_ALIAS,
                    mode="prefix",
                    timeout_s=60.0,
                    name="embedded",
                )
                try:
                    result = await provider.complete(
                        CompletionRequest("def fibonacci(n):\n    ", "", 16)
                    )
                finally:
                    await provider.aclose()
                _say({"text": result.text, "pid": model.pid})
            except LLMError as error:
                await model.settle()
                _say({"error": error.user_message})
    finally:
        await model.stop()
    return 0


def main() -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--idle-grace", type=float, default=0.5)
    parser.add_argument("--fake-gguf", default="")
    parser.add_argument("--reply", default="ok")
    return asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
