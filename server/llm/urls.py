"""Endpoint URLs as Grove shows and suggests them: no credentials in messages, the ``/v1`` fix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["display_url", "with_api_version"]


def display_url(base_url: str) -> str:
    """The base URL without credentials, query or fragment (safe for messages)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$", re.IGNORECASE)


def with_api_version(base_url: str) -> str | None:
    """``http://host:11434`` → ``http://host:11434/v1``; None when the path already ends with a
    version segment (``/v1``, ``/api/v1``, ``/v1beta``) or the URL has a query or fragment."""
    if "?" in base_url or "#" in base_url:
        return None
    _scheme, sep, rest = base_url.partition("://")
    path = rest.partition("/")[2] if sep else ""
    last = path.rstrip("/").rpartition("/")[2]
    if _VERSION_SEGMENT.match(last):
        return None
    return base_url.rstrip("/") + "/v1"
