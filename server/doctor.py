"""``grove doctor``: what stands between this machine and inline completions, and each fix.

One list of checks, run alike by the ``grove doctor`` command (settings from ``--settings``) and
by the ``grove.doctor`` server command (the server's settings and model backend), which Neovim's
``:checkhealth grove`` and VS Code's "Grove: Check setup" show:

1. **Python and Grove**: the versions and the interpreter.
2. **Settings**: each problem of the settings (a warning; an unusable ``grove.endpoint.baseUrl``
   fails: then Grove uses no model at all).
3. **Grammars**: the tree-sitter grammar of every supported language loads.
4. **Model in use**: the target, where that choice came from (``setting``, ``environment``,
   ``discovery``, ``embedded``) and why.
5. For the embedded model, **Embedded model** (the ``local`` extra and the model file) and its log;
   for an endpoint, **Base URL** (scheme, a version segment such as ``/v1``) and **API key** (the
   variable's name and whether it is set: never its value).
6. **Endpoint reachable**: ``GET /models`` answers (the embedded model is started for it).
7. **Model listed** (endpoints only): ``/models`` lists the model Grove sends.
8. **Completion mode**: a one-token completion in the target's mode is accepted; the time to
   its first token.

Each check has a state (``ok``, ``warn``, ``fail``, ``info``), a one-line detail and, when it is
not ok, the exact fix: a command to run or a setting to change. Any ``fail`` blocks completions.
Checks that need what a failed one did not give are skipped (``info``, "skipped: …"); nothing
is sent to an endpoint whose set-up failed (no request without the key it needs).
"""

from __future__ import annotations

import platform
import re
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Literal
from urllib.parse import urlsplit

from analyzers.languages import SUPPORTED_LANGUAGES
from analyzers.markdown import sanitize_markdown
from analyzers.parsing import SourceDocument
from server import __version__
from server.backend import ModelBackend
from server.llm.api_key import api_key_for, is_loopback_url
from server.llm.discovery import PRODUCTS, models_from_openai_list
from server.llm.embedded_install import embedded_available, embedded_model_path
from server.llm.install_hint import DISTRIBUTION, install_command
from server.llm.openai_provider import OpenAIProvider
from server.llm.provider import (
    CompletionRequest,
    EndpointError,
    EndpointTimeout,
    EndpointUnreachable,
    LLMError,
)
from server.llm.templates import FIM_FAMILIES, resolve_mode
from server.llm.urls import display_url, with_api_version
from server.model_choice import Target
from server.settings import BASE_URL, Settings

__all__ = ["Check", "Report", "diagnose"]

State = Literal["ok", "warn", "fail", "info"]
MARKS: dict[State, str] = {"ok": "✓", "warn": "!", "fail": "✗", "info": "·"}

PYTHON = "Python and Grove"
SETTINGS = "Settings"
GRAMMARS = "Grammars"
MODEL = "Model in use"
EMBEDDED = "Embedded model"
EMBEDDED_LOG = "Embedded model log"
BASE_URL_CHECK = "Base URL"
API_KEY = "API key"
REACHABLE = "Endpoint reachable"
LISTED = "Model listed"
MODE = "Completion mode"

PROBE_PREFIX = "def add(a, b):\n    return"
"""The prompt of the one-token completion request (any model completes it)."""
LISTED_SHOWN = 5
"""How many of the models an endpoint lists a warning names."""
REJECTED_STATUSES = (400, 404, 405, 422, 501)
"""HTTP statuses with which a server refuses a request's shape (its route or its fields)."""
START_COMMANDS = {
    "ollama": "ollama serve",
    "llamacpp": "llama-server -m MODEL.gguf --port {port}",
    "lmstudio": "lms server start",
    "vllm": "vllm serve MODEL --port {port}",
}
"""How each local model server is started (product key of :data:`PRODUCTS` → command)."""
ANY_ENDPOINT = "http://localhost:11434/v1"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    state: State
    detail: str
    """One line: what was found."""
    fix: str | None = None
    """The exact command or setting that fixes it (only on ``warn`` and ``fail``)."""

    def as_json(self) -> dict[str, str]:
        """``{"name", "state", "detail", "fix"?}``."""
        data = {"name": self.name, "state": self.state, "detail": self.detail}
        if self.fix:
            data["fix"] = self.fix
        return data


@dataclass(frozen=True)
class Report:
    """Every check, in order, and the model completions would go to."""

    checks: tuple[Check, ...]
    target: str
    """The target's label (never contains the key)."""

    @property
    def problems(self) -> int:
        """How many checks failed (each blocks completions)."""
        return sum(check.state == "fail" for check in self.checks)

    @property
    def ok(self) -> bool:
        """Whether nothing blocks completions (warnings allowed)."""
        return self.problems == 0

    def summary(self) -> str:
        """The last line: ready, and where completions go, or how many problems block them."""
        if self.ok:
            return f"Ready: completions go to {self.target}"
        return f"Completions are blocked: {self.problems} problem(s)"

    def data(self) -> dict[str, object]:
        """For scripts, ``--json`` and the command result's ``data``."""
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [check.as_json() for check in self.checks],
        }

    def text(self) -> str:
        """The terminal report: a line a check (its fix indented below it), then the summary."""
        lines: list[str] = []
        for check in self.checks:
            lines.append(f"{MARKS[check.state]} {check.name}: {check.detail}")
            if check.fix:
                lines.append(f"  fix: {check.fix}")
        lines.append(self.summary())
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report as Markdown (no heading: editors title it)."""
        lines = [f"**{self.summary()}**", ""]
        for check in self.checks:
            lines.append(f"- {MARKS[check.state]} **{check.name}**: {check.detail}")
            if check.fix:
                lines.append(f"  - **Fix:** {check.fix}")
        return sanitize_markdown("\n".join(lines))


async def diagnose(backend: ModelBackend, settings: Settings) -> Report:
    """Run every check against ``backend`` (its target chosen first) and ``settings``.

    The API key variable is looked up in the backend's own environment.
    """
    env = backend.env
    checks = [_python(), *_settings(settings), _grammars()]
    target = await backend.choose_target()
    checks.append(_model_in_use(backend, target))
    network = _model_checks(target)
    if target.error is not None:
        return Report((*checks, *_skipped(network, f"{BASE_URL} is unusable")), target.label)
    if target.embedded:
        setup = [_embedded(), *_embedded_log(backend)]
    else:
        setup = [_base_url(target), _api_key(target, env)]
    checks.extend(setup)
    if any(check.state == "fail" for check in setup):
        checks.extend(_skipped(network, "fix the problems above first"))
    else:
        checks.extend(await _network(backend, target, settings, env))
    return Report(tuple(checks), target.label)


def _model_checks(target: Target) -> list[str]:
    """The names of the checks that talk to the model (no listing for the embedded one)."""
    return [REACHABLE, MODE] if target.embedded else [REACHABLE, LISTED, MODE]


def _skipped(names: Sequence[str], why: str) -> list[Check]:
    return [Check(name, "info", f"skipped: {why}") for name in names]


# -------------------------------------------------------------------------------- the machine


def _python() -> Check:
    python = f"Python {platform.python_version()} ({sys.executable})"
    return Check(PYTHON, "ok", f"Grove {__version__} on {python}")


def _settings(settings: Settings) -> list[Check]:
    if not settings.problems:
        return [Check(SETTINGS, "ok", "no problems")]
    checks = []
    for problem in settings.problems:
        broken = settings.endpoint_error is not None and problem.startswith(settings.endpoint_error)
        if broken:
            checks.append(Check(SETTINGS, "fail", problem, _base_url_fix(problem)))
        else:
            checks.append(Check(SETTINGS, "warn", problem, _setting_fix(problem)))
    return checks


def _base_url_fix(problem: str) -> str:
    """``set grove.endpoint.baseUrl to "…"``: the URL the problem suggests, else an example."""
    suggested = re.search(r": use (\S+?)(?: \(|$)", problem)
    if suggested is not None:
        return f'set {BASE_URL} to "{suggested[1]}"'
    return (
        f'set {BASE_URL} to an http(s) URL such as "{ANY_ENDPOINT}", or empty it to use the '
        "embedded model"
    )


def _setting_fix(problem: str) -> str:
    unknown = re.match(r"unknown setting (\S+)", problem)
    if unknown is not None:
        return f"remove {unknown[1]} from your settings (or correct its name)"
    name = problem.split(" ", 1)[0]
    return f"give {name} a value the message allows, or remove it to use the default"


def _grammars() -> Check:
    loaded: list[str] = []
    failed: list[str] = []
    for spec in SUPPORTED_LANGUAGES:
        try:
            ok = SourceDocument("", spec).has_tree
        except Exception:  # a missing or broken grammar: whatever it raises, it does not load
            ok = False
        (loaded if ok else failed).append(spec.name)
    total = len(SUPPORTED_LANGUAGES)
    if not failed:
        return Check(GRAMMARS, "ok", f"{total} of {total} tree-sitter grammars load")
    return Check(
        GRAMMARS,
        "fail",
        f"{len(loaded)} of {total} tree-sitter grammars load; not: {', '.join(failed)}",
        _grammar_fix(),
    )


def _grammar_fix() -> str:
    """Reinstall the tree-sitter packages, as Grove's own requirements name them."""
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        requirements = []
    wanted = [r for r in requirements if r.startswith("tree-sitter") and ";" not in r]
    wanted = wanted or ["tree-sitter", "tree-sitter-language-pack"]
    packages = " ".join(shlex.quote(r.replace(" ", "")) for r in wanted)
    return f"{shlex.quote(sys.executable)} -m pip install --force-reinstall {packages}"


# -------------------------------------------------------------------------------- the target


def _model_in_use(backend: ModelBackend, target: Target) -> Check:
    if target.error is not None:
        return Check(MODEL, "info", f"none: {BASE_URL} is unusable (see {SETTINGS})")
    origin = target.origin
    found = backend.found
    if found is not None and target.embedded and found.summary() not in origin:
        origin = f"{origin}; {found.summary()}"
    return Check(MODEL, "ok", f"{target.label}, from {target.source}: {origin}")


def _embedded() -> Check:
    available, why = embedded_available()
    if available:
        return Check(EMBEDDED, "ok", f"the local extra is installed; model {embedded_model_path()}")
    missing = re.search(r"\(missing: (.*?)\):", why)
    detail = f"the local extra is not installed (missing: {missing[1]})" if missing else why
    return Check(EMBEDDED, "fail", detail, install_command())


def _embedded_log(backend: ModelBackend) -> list[Check]:
    log = backend.status().get("embeddedLog")
    return [Check(EMBEDDED_LOG, "info", str(log))] if log else []


def _url_setting(target: Target) -> str:
    return "OPENAI_BASE_URL" if target.source == "environment" else BASE_URL


def _set_url(target: Target, url: str) -> str:
    if target.source == "environment":
        return f"export OPENAI_BASE_URL={shlex.quote(url)}"
    return f'set {BASE_URL} to "{url}"'


def _base_url(target: Target) -> Check:
    url = target.base_url or ""
    shown = display_url(url)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        fixed = url if "://" in url else f"http://{url}"
        web = fixed.startswith(("http://", "https://"))
        example = (with_api_version(fixed) or fixed) if web else ANY_ENDPOINT
        return Check(
            BASE_URL_CHECK,
            "fail",
            f"{_url_setting(target)} {url[:60]!r} is not an http(s) URL",
            _set_url(target, example),
        )
    versioned = with_api_version(shown)
    if versioned is not None:
        return Check(
            BASE_URL_CHECK,
            "warn",
            f"{shown} has no API version in its path: did you mean {versioned}?",
            _set_url(target, versioned),
        )
    where = "this machine" if is_loopback_url(url) else "a remote host"
    return Check(BASE_URL_CHECK, "ok", f"{shown} ({scheme}, {where})")


def _api_key(target: Target, env: Mapping[str, str]) -> Check:
    """The key variable's name and whether it is set; never its value."""
    name = target.api_key_env
    url = target.base_url or ""
    if not name:
        if target.source == "discovery":
            return Check(API_KEY, "info", "no key is sent to a model server found on loopback")
        return Check(API_KEY, "info", "no key is sent (grove.endpoint.apiKeyEnv is empty)")
    is_set = bool(env.get(name))
    loopback = is_loopback_url(url)
    no_key = 'set grove.endpoint.apiKeyEnv to "" if the endpoint needs no key'
    if is_set and not loopback and urlsplit(url).scheme.lower() != "https":
        return Check(
            API_KEY,
            "fail",
            f"{name} is set, but Grove sends no key over plain http:// to a remote host",
            f"use an https:// URL in {_url_setting(target)}, or {no_key}",
        )
    if is_set:
        return Check(API_KEY, "ok", f"{name} is set (sent as the bearer token)")
    if loopback:
        return Check(API_KEY, "ok", f"{name} is not set (none needed on this machine)")
    return Check(
        API_KEY,
        "fail",
        f"{name} (grove.endpoint.apiKeyEnv) is not set, and {display_url(url)} is remote",
        f"export {name}=<your key>, or {no_key}",
    )


# -------------------------------------------------------------------------------- the model


async def _network(
    backend: ModelBackend, target: Target, settings: Settings, env: Mapping[str, str]
) -> list[Check]:
    """Reachable, listed, mode: the checks that talk to the model."""
    started = time.monotonic()
    owned = not target.embedded and not target.model
    try:
        if owned:  # nothing to complete with, but the list tells which model to set
            provider = OpenAIProvider(
                base_url=target.base_url or "",
                api_key=api_key_for(target.base_url or "", target.api_key_env, env),
                model="",
                mode="prefix",
                timeout_s=settings.completion_timeout_ms / 1000,
                name="endpoint",
            )
        else:
            provider = await backend.provider()  # (starts the embedded model)
    except LLMError as error:
        return [
            Check(REACHABLE, "fail", error.user_message, _fix(error, backend, target, settings)),
            *_skipped(_model_checks(target)[1:], "the model is not available"),
        ]
    try:
        return await _ask(backend, provider, target, settings, started)
    finally:
        if owned:
            await provider.aclose()


async def _ask(
    backend: ModelBackend,
    provider: OpenAIProvider,
    target: Target,
    settings: Settings,
    started: float,
) -> list[Check]:
    try:
        listing = await provider.list_models()
    except LLMError as error:
        unreachable = isinstance(error, EndpointUnreachable | EndpointTimeout)
        why = "endpoint not reachable" if unreachable else "the endpoint did not answer GET /models"
        return [
            Check(REACHABLE, "fail", error.user_message, _fix(error, backend, target, settings)),
            *_skipped(_model_checks(target)[1:], why),
        ]
    if target.embedded:
        seconds = time.monotonic() - started
        reached = f"the embedded model answers at {provider.endpoint} (ready in {seconds:.1f} s)"
        checks = [Check(REACHABLE, "ok", reached)]
    else:
        checks = [Check(REACHABLE, "ok", f"{provider.endpoint} answers GET /models")]
        checks.append(_listed(target.model, models_from_openai_list(listing) or ()))
        if not target.model:
            return [*checks, *_skipped([MODE], "grove.model is empty")]
    return [*checks, await _mode(backend, target, settings)]


def _listed(model: str, ids: Sequence[str]) -> Check:
    shown = ", ".join(ids[:LISTED_SHOWN]) + (
        f" (+{len(ids) - LISTED_SHOWN} more)" if len(ids) > LISTED_SHOWN else ""
    )
    if not model:
        fix = (
            f'set grove.model to one of them, e.g. "{ids[0]}"'
            if ids
            else "set grove.model to the name of a model your endpoint serves"
        )
        empty = "grove.model is empty (and GROVE_MODEL, OPENAI_MODEL are not set)"
        where = f"; the endpoint lists {shown}" if ids else ""
        return Check(LISTED, "fail", f"{empty}{where}", fix)
    if model in ids or f"{model}:latest" in ids:
        return Check(LISTED, "ok", f"{model} is listed")
    if not ids:
        return Check(LISTED, "info", f"the endpoint lists no models; {model} is sent as named")
    return Check(
        LISTED,
        "warn",
        f"{model} is not among the models the endpoint lists: {shown}",
        f'set grove.model to the name the endpoint lists, e.g. "{ids[0]}"',
    )


async def _mode(backend: ModelBackend, target: Target, settings: Settings) -> Check:
    """One one-token completion in the target's mode; the time to its first token."""
    request = CompletionRequest(PROBE_PREFIX, "\n", max_tokens=1, language="python")
    mode = target.mode
    try:
        with backend.priority.foreground(preempt=target.embedded):
            provider = await backend.provider()  # (the embedded model: this window's turn)
            mode = provider.mode
            sent = time.monotonic()
            result = await provider.complete(request)
    except LLMError as error:
        return Check(
            MODE,
            "fail",
            f"{mode} mode: {error.user_message}",
            _fix(error, backend, target, settings, mode=mode),
        )
    if result.first_token_s is not None:
        return Check(
            MODE, "ok", f"{mode} mode accepted; first token in {result.first_token_s * 1000:.0f} ms"
        )
    elapsed = result.total_s if result.total_s is not None else time.monotonic() - sent
    return Check(MODE, "ok", f"{mode} mode accepted; answered in {elapsed * 1000:.0f} ms")


# -------------------------------------------------------------------------------- fixes


def _fix(
    error: LLMError,
    backend: ModelBackend,
    target: Target,
    settings: Settings,
    *,
    mode: str | None = None,
) -> str:
    """The fix for a failed model call (``mode``: the completion request's mode)."""
    url = display_url(target.base_url or "")
    if isinstance(error, EndpointError):
        versioned = with_api_version(url)
        if error.status == 404 and error.hint and versioned is not None:
            return _set_url(target, versioned)
        if error.status in (401, 403) and target.api_key_env:
            return (
                f"check the key in {target.api_key_env}: the endpoint refused it "
                "(grove.endpoint.apiKeyEnv names the variable)"
            )
        if mode is not None and error.status in REJECTED_STATUSES:
            return _mode_fix(mode, target.model)
    if target.embedded:
        return f"see the embedded model's log: {backend.status().get('embeddedLog')}"
    if isinstance(error, EndpointUnreachable):
        return _start_fix(target)
    if isinstance(error, EndpointTimeout):
        return (
            f"the model at {url} took longer than grove.completion.timeoutMs "
            f"({settings.completion_timeout_ms} ms): check that it is not busy or still loading, "
            "use a smaller model, or raise grove.completion.timeoutMs"
        )
    return f"check the model server at {url} (its log says why), or set {_url_setting(target)}"


def _start_fix(target: Target) -> str:
    """What to start, and where, for an endpoint that does not answer."""
    url = target.base_url or ""
    parts = urlsplit(url)
    elsewhere = f"or set {_url_setting(target)} to where your model server runs"
    if not is_loopback_url(url):
        return (
            f"check that {parts.hostname} is reachable from this machine (network, VPN, proxy) "
            f"and serves an OpenAI-compatible API at {display_url(url)}, {elsewhere}"
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    product = next((key for key, (_name, known) in PRODUCTS.items() if known == port), None)
    if product is None:
        command = START_COMMANDS["llamacpp"].format(port=port)
        return f"start your model server on port {port} (e.g. `{command}`), {elsewhere}"
    name = PRODUCTS[product][0]
    command = START_COMMANDS[product].format(port=port)
    return f"start {name} (`{command}`) so that it listens on port {port}, {elsewhere}"


def _mode_fix(mode: str, model: str) -> str:
    """Modes to try when the server refused a completion request in ``mode``."""
    family = resolve_mode("auto", model)
    if mode == "chat":
        choices = [family if family in FIM_FAMILIES else "prefix"]
    elif mode == "codestral-fim":
        choices = ["codestral", "chat"]
    else:
        choices = [family] if family in FIM_FAMILIES and family != mode else []
        choices.append("chat")
    wanted = " or ".join(f'"{choice}"' for choice in choices)
    return f"set grove.completion.mode to {wanted} (the server refused {mode} mode)"
