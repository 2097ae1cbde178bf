"""The model backend: the provider for the chosen target, and what happens when it fails.

:class:`ModelBackend` owns the provider for the target :mod:`server.model_choice` resolves (a
configured endpoint, a model server found on loopback, or the embedded SmolLM2 model, which it
starts), the looks for local model servers, and the fault gate: every model call goes through
:meth:`ModelBackend.complete` or :meth:`ModelBackend.generate_result`, a failing endpoint
produces one message per cooldown, requests are held back while rate-limited, and the next
success clears the state. Foreground calls go first (:mod:`server.priority`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from analyzers.context import estimate_tokens
from analyzers.token_count import LineTokenCounter
from server.call_stats import CallStats
from server.llm.api_key import api_key_for
from server.llm.discovery import Found, look, probe_ports
from server.llm.embedded_install import embedded_available, embedded_model_path
from server.llm.local import EmbeddedModel
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
from server.llm.tokenizer import load_embedded_tokenizer
from server.model_choice import EMBEDDED_MODEL_NAME, Target, resolve_target
from server.priority import Preempted, PriorityGate
from server.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

LOOK_AGAIN_S = 60.0
LOOK_AGAIN_ENV = "GROVE_DISCOVERY_INTERVAL_S"
TIMINGS_ENV = "GROVE_EMBEDDED_TIMINGS"
"""Set to 1: the embedded model logs llama.cpp's timings of every request (tokens read, speed)."""
"""Seconds between looks for a local model server while the embedded model stands in."""
JOB_DURATION_FACTOR = 4
"""A docstring, explanation or review may run this many times `grove.endpoint.jobTimeoutMs`."""

Notify = Callable[[str, str], None]
"""(level, message) → shown to the user; level is "error", "warning" or "info"."""


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


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
        self.completion_calls = CallStats()
        """Durations and prompt sizes of recent completion calls (``grove.status``)."""
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
                EmbeddedModel(
                    n_ctx=self._settings.embedded_context_size,
                    n_threads=threads,
                    verbose=self._knobs.get(TIMINGS_ENV) == "1",
                )
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
            result = await self._through_gate(
                lambda provider: provider.complete(request, should_stop)
            )
        if result is not None and result.total_s is not None:
            self.completion_calls.record(
                result.total_s, self.count_tokens(request.prefix + request.suffix)
            )
        return result

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
            "completionCalls": self.completion_calls.summary(),
            "embeddedLog": self.embedded_log(),
        }

    def embedded_log(self) -> str | None:
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
