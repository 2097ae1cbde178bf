"""Which model Grove talks to, and what happens when it fails.

Resolves settings and the environment into one provider: a configured OpenAI-compatible
endpoint (``grove.endpoint.baseUrl``, else ``OPENAI_BASE_URL``), or the embedded SmolLM2 model
served by llama.cpp on loopback. Every model call goes through :meth:`ModelBackend.complete`,
which applies the fault gate: a failing endpoint produces one message per cooldown, requests are
held back while rate-limited, and the next success clears the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from analyzers.context import estimate_tokens
from analyzers.token_count import LineTokenCounter
from server.llm.api_key import api_key_for
from server.llm.discovery import PRODUCTS, Found, completion_mode, look, probe_ports
from server.llm.local import EmbeddedModel, embedded_available, embedded_model_path
from server.llm.model_registry import embedded_log_path
from server.llm.openai_provider import Limits, OpenAIProvider
from server.llm.provider import (
    BadResponse,
    CompletionRequest,
    CompletionResult,
    EndpointUnreachable,
    FaultGate,
    LLMError,
    NotConfigured,
)
from server.llm.shared_model import SharedModel
from server.llm.templates import resolve_mode
from server.llm.tokenizer import load_embedded_tokenizer
from server.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"
OLLAMA_PORT = PRODUCTS["ollama"][1]
LOOK_AGAIN_S = 60.0
LOOK_AGAIN_ENV = "GROVE_DISCOVERY_INTERVAL_S"
"""Seconds between looks for a local model server while the embedded model stands in."""
JOB_DURATION_FACTOR = 4
"""A docstring, explanation or review may run this many times `grove.endpoint.jobTimeoutMs`."""

Notify = Callable[[str, str], None]
"""(level, message) → shown to the user; level is "error", "warning" or "info"."""


@dataclass(frozen=True)
class Target:
    """The endpoint a provider talks to, as resolved from settings and environment."""

    base_url: str | None
    model: str
    mode: str
    api_key_env: str
    embedded: bool
    error: str | None = None
    """Set when ``grove.endpoint.baseUrl`` is unusable: no model is called, this is reported."""
    source: str = "embedded"
    """Where the choice came from: ``setting``, ``environment``, ``discovery`` or ``embedded``."""
    origin: str = ""
    """Why this target, in one sentence (status and doctor)."""
    found_on: str = ""
    """For a discovered server: ``Ollama · qwen2.5-coder:1.5b, found on 127.0.0.1:11434``."""

    @property
    def label(self) -> str:
        """Short description for status and logs (never contains the key)."""
        if self.error is not None:
            return "none (grove.endpoint.baseUrl is invalid)"
        if self.found_on:
            return f"{self.found_on} ({self.mode})"
        where = "embedded" if self.embedded else (self.base_url or "?")
        return f"{self.model or '?'} @ {where} ({self.mode})"


DISCOVERY_OFF = "grove.endpoint.discover: false turns this off"


def resolve_target(
    settings: Settings, env: Mapping[str, str], found: Found | None = None
) -> Target:
    """Settings + environment (+ what discovery found on loopback) → the endpoint to use."""
    if settings.endpoint_error is not None:
        return Target(
            None,
            settings.model,
            "prefix",
            "",
            embedded=False,
            error=settings.endpoint_error,
            source="setting",
            origin="grove.endpoint.baseUrl is set but unusable",
        )
    configured = settings.endpoint_base_url or env.get("OPENAI_BASE_URL") or None
    if configured is not None:
        model = settings.model or env.get("GROVE_MODEL") or env.get("OPENAI_MODEL") or ""
        mode = auto_mode(settings.completion_mode, model, configured)
        source, origin = (
            ("setting", "grove.endpoint.baseUrl is set")
            if settings.endpoint_base_url
            else ("environment", "OPENAI_BASE_URL is set (grove.endpoint.baseUrl is empty)")
        )
        return Target(
            configured,
            model,
            mode,
            settings.endpoint_api_key_env,
            embedded=False,
            source=source,
            origin=origin,
        )
    choice = found.completion if found is not None and settings.endpoint_discover else None
    if choice is not None:
        mode = choice.mode if settings.completion_mode == "auto" else settings.completion_mode
        return Target(
            choice.server.base_url,
            choice.model,
            mode,
            "",  # a server found on loopback never gets the user's API key
            embedded=False,
            source="discovery",
            origin=f"no endpoint set; found running on this machine ({DISCOVERY_OFF})",
            found_on=choice.found_on,
        )
    mode = settings.completion_mode if settings.completion_mode != "auto" else "prefix"
    if not settings.endpoint_discover:
        origin = "no endpoint set and grove.endpoint.discover is false"
    elif found is None:
        origin = "no endpoint set (looking for a model server on loopback)"
    else:
        origin = f"no endpoint set; {found.summary()}"
    return Target(
        None, settings.model or EMBEDDED_MODEL_NAME, mode, "", embedded=True, origin=origin
    )


def auto_mode(setting: str, model: str, base_url: str) -> str:
    """``grove.completion.mode`` made concrete for a configured endpoint.

    ``auto`` guesses from the model name; on Ollama's port a fill-in-the-middle family becomes
    ``suffix``, the field Ollama builds the model's own FIM prompt from.
    """
    mode = resolve_mode(setting, model)
    if setting.strip().lower() in ("", "auto") and urlsplit(base_url).port == OLLAMA_PORT:
        return completion_mode("ollama", model) or mode
    return mode


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class Preempted(Exception):
    """A background model call gave way to a foreground one; try it again later."""


class PriorityGate:
    """Foreground model calls (completions, commands) first; background ones (reviews) wait.

    A background call starts only while no foreground call runs. A foreground call that starts
    with ``preempt`` (the embedded model serves one request at a time) cancels the running
    background calls, which then raise :class:`Preempted`.
    """

    def __init__(self) -> None:
        self.foreground_calls = 0
        self.background_calls = 0
        self._idle: asyncio.Event | None = None
        self._signals: set[asyncio.Future[None]] = set()

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            if not self.foreground_calls:
                self._idle.set()
        return self._idle

    @contextlib.contextmanager
    def foreground(self, *, preempt: bool) -> Iterator[None]:
        """Hold background calls back while the block runs (and preempt running ones)."""
        self.foreground_calls += 1
        self._event().clear()
        if preempt:
            for signal in self._signals:
                if not signal.done():
                    signal.set_result(None)
        try:
            yield
        finally:
            self.foreground_calls -= 1
            if not self.foreground_calls:
                self._event().set()

    async def background(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work()`` once no foreground call runs; :class:`Preempted` if one preempts it."""
        while self.foreground_calls:
            await self._event().wait()
        signal: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        inner = asyncio.ensure_future(work())
        self._signals.add(signal)
        self.background_calls += 1
        try:
            waiters: set[asyncio.Future[Any]] = {inner, signal}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._signals.discard(signal)
            self.background_calls -= 1
            if not inner.done():
                inner.cancel()
        if not inner.done():
            with contextlib.suppress(asyncio.CancelledError):
                await inner  # the HTTP stream is closed before the foreground call goes out
            raise Preempted
        return inner.result()


class ModelBackend:
    """Owns the provider, the embedded model process and the fault gate."""

    def __init__(
        self,
        settings: Settings,
        notify: Notify,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = env if env is not None else os.environ
        self._notify = notify
        self._clock = clock
        self._settings = settings
        self.target = resolve_target(settings, self._env)
        self.found: Found | None = None
        """What the last look for a local model server found (None: not looked yet)."""
        self._looking: asyncio.Future[Found | None] | None = None
        self._look_loop: asyncio.Future[None] | None = None
        self._last_summary: str | None = None
        self._lost: str | None = None
        """The discovered server that stopped answering, until it answers again."""
        self.last_error: str | None = self.target.error
        self._provider: OpenAIProvider | None = None
        self._embedded: SharedModel | None = None
        self._start_lock = asyncio.Lock()
        self.gate = FaultGate()
        self.requests = 0
        self._said_not_configured = self.target.error is not None
        """A settings error was already shown by whoever validated the settings."""
        self._provider_base_url = ""
        self._closing: set[asyncio.Future[None]] = set()
        self._embedded_counter: LineTokenCounter | None = None
        self.priority = PriorityGate()
        self.calls_in_flight = 0
        self.on_change: Callable[[], None] | None = None
        """Called when a model call starts or ends (its outcome may change :meth:`status`)."""

    def configure(self, settings: Settings) -> bool:
        """Adopt new settings; returns True when the endpoint changed."""
        self._settings = settings
        if self._provider is not None:
            self._provider.redact_secrets = settings.privacy_redact_secrets
        return self._adopt(resolve_target(settings, self._env, self._found()))

    def _adopt(self, target: Target) -> bool:
        """Switch to ``target`` (closing the old provider); False when nothing changed."""
        if target == self.target:
            return False
        log.info("model target changed: %s (%s)", target.label, target.origin)
        if target.error is not None or self.target.error is not None:
            self.last_error = target.error
        self.target = target
        old = self._provider
        self._provider = None
        self.gate = FaultGate()
        # An invalid grove.endpoint.baseUrl was shown once with the settings problems; it stays
        # in ``last_error`` (grove.status) and every model call fails with it.
        self._said_not_configured = target.error is not None
        if old is not None:
            self._closing.add(asyncio.ensure_future(old.aclose()))
            self._closing = {task for task in self._closing if not task.done()}
        self._changed()
        return True

    # ----------------------------------------------------------------------------------------
    # Discovery: a model server the user already runs on loopback

    @property
    def discovery_applies(self) -> bool:
        """Whether no endpoint is configured and ``grove.endpoint.discover`` is on."""
        settings = self._settings
        return (
            settings.endpoint_discover
            and settings.endpoint_error is None
            and not settings.endpoint_base_url
            and not self._env.get("OPENAI_BASE_URL")
        )

    @property
    def env(self) -> Mapping[str, str]:
        """The environment this backend reads (``OPENAI_BASE_URL``, the key variable...)."""
        return self._env

    @property
    def _knobs(self) -> Mapping[str, str]:
        """The process environment under the given one: the discovery overrides
        (``GROVE_DISCOVERY_PORTS``, ``GROVE_DISCOVERY_INTERVAL_S``) hold for every backend."""
        return {**os.environ, **self._env}

    def _found(self) -> Found | None:
        return self.found if self.discovery_applies else None

    async def choose_target(self) -> Target:
        """Look for a local model server once, if discovery applies; the target to use."""
        if self.discovery_applies and self.found is None:
            await self.look()
        return self.target

    async def look(self) -> Found | None:
        """Probe loopback now (one look at a time) and switch target if the answer says so."""
        if self._looking is None or self._looking.done():
            self._looking = asyncio.ensure_future(self._look_once())
        return await asyncio.shield(self._looking)

    async def _look_once(self) -> Found | None:
        try:
            ports = probe_ports(self._knobs)
        except ValueError as error:
            if self.found is None:
                log.warning("model discovery is off: %s", error)
            ports = {}
        before = self.target
        found = await look(ports)
        first = self.found is None
        self.found = found
        if not self.discovery_applies:
            return found
        if first or found.summary() != (self._last_summary or ""):
            log.info("model discovery: %s", found.summary())
        self._last_summary = found.summary()
        changed = self._adopt(resolve_target(self._settings, self._env, found))
        if changed and self.target.source == "discovery" and self._lost is not None:
            self._notify("info", f"Grove: {self.target.found_on} answers again; using it.")
            self._lost = None
        elif first and found.completion is None and found.chat is not None:
            self._notify("info", f"Grove: {found.summary()}.")
        if changed and before.source == "discovery" and self.target.embedded:
            log.info("the discovered model server is gone: %s", before.found_on)
        return found

    def start_looking(self) -> None:
        """Look again every :data:`LOOK_AGAIN_S` while the embedded model stands in."""
        if self._look_loop is None or self._look_loop.done():
            self._look_loop = asyncio.ensure_future(self._keep_looking())

    async def _keep_looking(self) -> None:
        interval = _float_env(self._knobs, LOOK_AGAIN_ENV, LOOK_AGAIN_S)
        while True:
            await asyncio.sleep(interval)
            if self.discovery_applies and (self.target.embedded or self.found is None):
                await self.look()

    def _lose_discovered(self, error: LLMError) -> None:
        """The discovered server stopped answering: the embedded model stands in, once told."""
        gone = self.target
        self._lost = gone.found_on
        self.found = Found((), None, None)
        self._adopt(resolve_target(self._settings, self._env, self.found))
        self.last_error = None
        log.info("model call failed: %s", error.user_message)
        every = _float_env(self._knobs, LOOK_AGAIN_ENV, LOOK_AGAIN_S)
        self._notify(
            "warning",
            f"Grove: {gone.found_on}, stopped answering; the embedded model stands in until it "
            f"is back (Grove looks again every {every:g} s).",
        )
        self.start_looking()

    async def provider(self) -> OpenAIProvider:
        """The provider for the current target, starting the embedded model if needed.

        The embedded model is shared by the user's Grove servers, so this also applies the
        priority rule across them before the call goes out (:meth:`SharedModel.take_turn`).
        Every call asks for the provider inside its priority context: a foreground call counts
        in ``priority.foreground_calls``, a background one starts only while that is zero.

        Before the embedded model would be started for the first time, the first look for a
        local model server (bounded: loopback probes of a second or so) is awaited, so a model
        the user already runs is used instead of booting the embedded one.
        """
        if self._provider is None and self.target.embedded:
            await self.choose_target()
        async with self._start_lock:
            if self._provider is not None:
                if self.target.embedded and self._embedded is not None:
                    base_url = await self._embedded.ensure_running()
                    if base_url != self._provider_base_url:
                        await self._provider.aclose()
                        self._provider = self._make_provider(base_url)
            else:
                target = self.target
                if target.error is not None:
                    raise NotConfigured(target.error)
                if target.embedded:
                    base_url = await self._start_embedded()
                else:
                    if not target.model:
                        raise NotConfigured(
                            "grove.model is empty: set it to the model name your endpoint serves"
                        )
                    base_url = target.base_url or ""
                self._provider = self._make_provider(base_url)
            provider = self._provider
        if self.target.embedded and self._embedded is not None:
            await self._embedded.take_turn(lambda: self.priority.foreground_calls > 0)
        return provider

    def _make_provider(self, base_url: str) -> OpenAIProvider:
        target = self.target
        key = None if target.embedded else api_key_for(base_url, target.api_key_env, self._env)
        self._provider_base_url = base_url
        return OpenAIProvider(
            base_url=base_url,
            api_key=key,
            model=target.model,
            mode=target.mode,
            timeout_s=self._settings.completion_timeout_ms / 1000,
            name="embedded" if target.embedded else "endpoint",
            redact_secrets=self._settings.privacy_redact_secrets,
            # llama-cpp-python's server drops ``n`` and answers one choice.
            n_supported=False if target.embedded else None,
        )

    async def _start_embedded(self) -> str:
        available, why = embedded_available()
        if not available:
            raise NotConfigured(why)
        if self._embedded is None:
            threads = self._settings.embedded_threads or (os.cpu_count() or 2)
            self._embedded = SharedModel(
                EmbeddedModel(n_ctx=self._settings.embedded_context_size, n_threads=threads)
            )
        log.info("starting the embedded model (%s)", EMBEDDED_MODEL_NAME)
        base_url = await self._embedded.start()
        await self.load_tokenizer()
        return base_url

    async def load_tokenizer(self) -> None:
        """Load the embedded model's tokenizer into this process (once) for context budgets."""
        if self._embedded_counter is not None or not self.target.embedded:
            return
        path = embedded_model_path()
        if path is not None:
            tokenize = await asyncio.to_thread(load_embedded_tokenizer, path)
            if tokenize is not None:
                self._embedded_counter = LineTokenCounter(tokenize)

    @property
    def count_tokens(self) -> Callable[[str], int]:
        """Token counter for context budgets: the embedded model's own, else an estimate."""
        if self.target.embedded and self._embedded_counter is not None:
            return self._embedded_counter
        return estimate_tokens

    async def warm_up(self) -> None:
        """Choose the model and start it early (embedded model boot); errors are told once."""
        await self.choose_target()
        self.start_looking()  # (each round checks that discovery still applies: settings change)
        try:
            await self.provider()
        except LLMError as error:
            self._report(error)

    async def complete(
        self, request: CompletionRequest, should_stop: Callable[[str], bool] | None = None
    ) -> CompletionResult | None:
        """One model call through the fault gate; None when it failed or is held back."""
        with self.priority.foreground(preempt=self.target.embedded):
            return await self._through_gate(
                lambda provider: provider.complete(request, should_stop)
            )

    async def generate_text(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        *,
        use_chat: bool,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
    ) -> str | None:
        """Raw text for an instruction (chat endpoint, or the messages joined as one prompt).

        Same fault gate as :meth:`complete`; None when the call failed or is held back.
        ``on_text`` is called with the whole text so far while the answer streams in (the
        returned text is the final word: it may be shorter, e.g. cut at a stop sequence).
        """
        result = await self.generate_result(
            messages,
            max_tokens,
            use_chat=use_chat,
            stop=stop,
            temperature=temperature,
            on_text=on_text,
        )
        return None if result is None else result.text

    async def generate_result(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        *,
        use_chat: bool,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        response_format: Mapping[str, object] | None = None,
        background: bool = False,
    ) -> CompletionResult | None:
        """:meth:`generate_text` with the ``finish_reason`` (truncation) and two options.

        ``response_format`` goes into a chat request as given (constrained decoding).
        ``background`` calls (reviews) wait while a foreground call runs and, on the embedded
        model, give way to one that starts: they raise :class:`Preempted`.
        """
        job = self._settings.endpoint_job_timeout_ms / 1000
        limits = Limits(stall_s=job, max_duration_s=JOB_DURATION_FACTOR * job)

        def call(provider: OpenAIProvider) -> Awaitable[CompletionResult]:
            if use_chat:
                return provider.chat_result(
                    messages, max_tokens, temperature, on_text, response_format, limits
                )
            prompt = "\n\n".join(m["content"] for m in messages)
            return provider.generate_result(prompt, max_tokens, stop, temperature, on_text, limits)

        if background:
            result = await self.priority.background(lambda: self._through_gate(call))
            if result is not None and result.finish_reason is None and self.target.embedded:
                # The shared model ended the stream for another window's completion.
                raise Preempted
            return result
        with self.priority.foreground(preempt=self.target.embedded):
            return await self._through_gate(call)

    async def _through_gate(self, call: Callable[[OpenAIProvider], Awaitable[T]]) -> T | None:
        """Run ``call`` unless the fault gate holds requests back; report failures once."""
        now = self._clock()
        blocked = self.gate.blocked_until(now)
        if blocked is not None:
            log.debug("model call held back for %.1f s (cooldown)", blocked - now)
            return None
        self.calls_in_flight += 1
        self._changed()
        try:
            provider = await self.provider()
            self.requests += 1
            result = await call(provider)
        except LLMError as error:
            if self._embedded is not None and isinstance(error, EndpointUnreachable | BadResponse):
                await self._embedded.settle()
            if isinstance(error, EndpointUnreachable) and self.target.source == "discovery":
                self._lose_discovered(error)
            else:
                self._report(error)
            return None
        finally:
            self.calls_in_flight -= 1
            self._changed()
        if self.last_error is not None:
            log.info("model endpoint recovered")
            self._notify("info", "Grove: the model endpoint answers again.")
        self.gate.record_success()
        self.last_error = None
        return result

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _report(self, error: LLMError) -> None:
        self.last_error = error.user_message
        if isinstance(error, NotConfigured):
            if not self._said_not_configured:
                self._said_not_configured = True
                self._notify("error", f"Grove: {error.user_message}")
            return
        if self.gate.record(error, self._clock()):
            self._notify("warning", f"Grove: {error.user_message}")  # (which logs it)
            log.debug("model call failed: %s", error.user_message)
        else:
            log.info("model call failed: %s", error.user_message)

    def status(self) -> dict[str, object]:
        """A summary for ``grove.status`` (no secrets)."""
        return {
            "target": self.target.label,
            "source": self.target.source,
            "origin": self.target.origin,
            "discovery": found.as_json() if (found := self._found()) is not None else None,
            "embedded": self.target.embedded,
            "requests": self.requests,
            "lastError": self.last_error,
            "modelCalls": self.calls_in_flight,
            "embeddedLog": self._embedded_log(),
        }

    def _embedded_log(self) -> str | None:
        """Where the embedded model writes its log (None with an endpoint)."""
        if not self.target.embedded:
            return None
        if self._embedded is not None:
            return str(self._embedded.log_path())
        return str(embedded_log_path(os.environ))

    async def aclose(self) -> None:
        """Close the client, stop looking for servers and stop the embedded model."""
        for task in (self._look_loop, self._looking):
            if task is not None and not task.done():
                task.cancel()
        if self._provider is not None:
            await self._provider.aclose()
            self._provider = None
        if self._embedded is not None:
            await self._embedded.stop()
