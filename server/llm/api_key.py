"""Which API key may be sent to which endpoint.

A repository's settings can name the endpoint and the key's environment variable, so the key
is only ever sent where it is safe: over ``https://``, or to a loopback address (a model server
on this machine). A plain ``http://`` URL to any other host with a key set is refused, and a key
variable that the settings name but the environment lacks is an error for a remote host rather
than a silent placeholder token. An empty variable name means the endpoint needs no key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from server.llm.provider import NotConfigured

__all__ = ["api_key_for", "is_loopback_url"]


def is_loopback_url(base_url: str) -> bool:
    """Whether ``base_url`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key_for(base_url: str, key_env: str, env: Mapping[str, str]) -> str | None:
    """The key to send to ``base_url`` (None: no key); :class:`NotConfigured` when unsafe.

    Never puts the key's value in a message: only the variable's name.
    """
    if not key_env:
        return None
    key = env.get(key_env) or None
    loopback = is_loopback_url(base_url)
    if key is None:
        if loopback:
            return None
        raise NotConfigured(
            f"the environment variable {key_env} (grove.endpoint.apiKeyEnv) is not set, and "
            f"{base_url} is a remote endpoint: set {key_env}, or set grove.endpoint.apiKeyEnv "
            'to "" if the endpoint needs no key'
        )
    if urlsplit(base_url).scheme.lower() != "https" and not loopback:
        raise NotConfigured(
            f"Grove does not send the API key in {key_env} over plain http:// to {base_url}: "
            'use an https:// URL, or set grove.endpoint.apiKeyEnv to "" if the endpoint needs '
            "no key"
        )
    return key
