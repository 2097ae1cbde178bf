"""Every use of pygls' private API, behind one door, checked when the server is created.

Grove repairs pygls bugs (:mod:`server.lsp.transport`, :mod:`server.lsp.cancellation`) and
reports on its work (``grove.status``) through names pygls does not promise to keep. Nothing
else in Grove touches them: this module wraps each one, and :class:`HookedProtocol` runs
:func:`require` as the server builds its protocol, so a pygls that lacks one of them stops
``grove serve`` at start-up with a message naming the installed pygls and :data:`SUPPORTED` --
a repair never silently does nothing. ``pyproject.toml`` pins pygls to :data:`SUPPORTED`;
moving the pin means re-checking each item below against the new pygls source.

Checked against pygls :data:`CHECKED_AGAINST` (``pygls/protocol/json_rpc.py``):

* ``JsonRPCProtocol._request_futures`` -- ``dict[msg id, Future]``: every request in flight
  (both directions) and every handler run pygls started, under the request's id or, for a
  notification (or a step of pygls' own generator handlers), a fresh uuid that pygls never
  removes. Used by :mod:`server.lsp.transport`'s repairs (drop a finished handler's entry; cancel
  a command's request future when its task ends cancelled; cancel what is in flight before
  ``shutdown``), by :func:`server.lsp.cancellation.cancel_with_the_request` (the future
  ``$/cancelRequest`` cancels: pygls has no public handle on it) and by ``grove.status``
  (``pendingHandlers``).
* ``JsonRPCProtocol._execute_handler(msg_id, handler, callback, args, kwargs)`` -- where every
  handler run starts and gets its done-callback (pygls calls it by keyword too). Overridden by
  :class:`HookedProtocol` to expose :meth:`HookedProtocol.handler_callback` (the leak and
  cancelled-command repairs).
* ``JsonRPCProtocol._send_response(msg_id, result, error)`` -- writes one response. Used to
  answer a request whose params do not fit its type: pygls raises in ``structure_message``,
  before it knows there is a request to answer, and never answers it.

Public pygls API Grove relies on for its repairs (checked too, as they are what the repairs
plug into): ``JsonRPCServer.start_io(stdin, stdout)`` reads ``stdin`` only through
``readline()`` and ``read(n)`` (``pygls.io_.StdinAsyncReader``, and ``pygls.io_.run`` on WASM).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from concurrent.futures import Future
from importlib import metadata
from typing import Any

from lsprotocol.types import ResponseError
from pygls.protocol import LanguageServerProtocol
from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

SUPPORTED = ">=2.1,<2.2"
"""The pygls versions whose internals match this module (as pinned in ``pyproject.toml``)."""
CHECKED_AGAINST = "2.1.1"
"""The pygls release this module was read against."""
_LOWEST, _BELOW = (2, 1), (2, 2)

MsgId = int | str
HandlerCallback = Callable[[Future[Any]], None]

# Each private method Grove calls or overrides → the leading parameters it relies on.
_METHODS: dict[str, tuple[str, ...]] = {
    "_execute_handler": ("self", "msg_id", "handler", "callback", "args", "kwargs"),
    "_send_response": ("self", "msg_id", "result", "error"),
}
_PUBLIC: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (JsonRPCServer, "start_io", ("self", "stdin", "stdout")),
)


class PyglsInternalsError(RuntimeError):
    """The installed pygls lacks something Grove's repairs rely on."""


def installed_version() -> str:
    """The installed pygls version, or ``"unknown"``."""
    try:
        return metadata.version("pygls")
    except metadata.PackageNotFoundError:
        return "unknown"


def problems(protocol: LanguageServerProtocol) -> list[str]:
    """What ``protocol`` (a pygls language-server protocol) lacks; empty when all is there."""
    found: list[str] = []
    for name, expected in _METHODS.items():
        found += _signature_problems(LanguageServerProtocol, name, expected)
    for owner, name, expected in _PUBLIC:
        found += _signature_problems(owner, name, expected)
    try:
        futures: object = protocol._request_futures
    except AttributeError:
        futures = None
    if not isinstance(futures, dict):
        found.append(
            "JsonRPCProtocol._request_futures: missing or not a dict "
            f"(found {type(futures).__name__})"
        )
    return found


def require(protocol: LanguageServerProtocol) -> None:
    """Raise :class:`PyglsInternalsError` unless ``protocol`` has everything Grove uses."""
    version = installed_version()
    missing = problems(protocol)
    if missing:
        raise PyglsInternalsError(
            f"Grove cannot run on the installed pygls {version}: it lacks "
            + "; ".join(missing)
            + f". Grove supports pygls {SUPPORTED} (checked against {CHECKED_AGAINST}); "
            f"install a supported version: pip install 'pygls{SUPPORTED}'"
        )
    if not _in_range(version):
        log.warning(
            "pygls %s is outside the supported range %s; its internals look the same, "
            "but Grove's repairs are unchecked there",
            version,
            SUPPORTED,
        )


def request_futures(protocol: LanguageServerProtocol) -> dict[MsgId, Future[Any]]:
    """pygls' table of requests and handler runs in flight (the live dict, not a copy)."""
    futures: dict[MsgId, Future[Any]] = protocol._request_futures
    return futures


def send_error_response(
    protocol: LanguageServerProtocol, msg_id: MsgId, error: ResponseError
) -> None:
    """Answer request ``msg_id`` with ``error``."""
    protocol._send_response(msg_id, error=error)


class HookedProtocol(LanguageServerProtocol):
    """pygls' protocol, checked at creation, with a hook on each handler's done-callback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(self)

    def handler_callback(self, msg_id: MsgId, callback: HandlerCallback) -> HandlerCallback:
        """The callback to run when the handler run ``msg_id`` is done (default: ``callback``)."""
        return callback

    def _execute_handler(
        self,
        msg_id: MsgId,
        handler: Any,
        callback: HandlerCallback,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        wrapped = self.handler_callback(msg_id, callback)
        super()._execute_handler(msg_id, handler, wrapped, args, kwargs)


def _signature_problems(owner: type, name: str, expected: tuple[str, ...]) -> list[str]:
    where = f"{owner.__name__}.{name}"
    try:
        method = getattr(owner, name)
    except AttributeError:
        return [f"{where}: missing"]
    if not callable(method):
        return [f"{where}: not a method"]
    try:
        names = tuple(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return [f"{where}: signature unreadable"]
    if names[: len(expected)] != expected:
        return [f"{where}: parameters are ({', '.join(names)}), expected ({', '.join(expected)})"]
    return []


def _in_range(version: str) -> bool:
    try:
        major_minor = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return _LOWEST <= major_minor < _BELOW
