"""Workspace commands: ``grove.status``."""

from __future__ import annotations

from server.app import GroveServer

STATUS = "grove.status"


def register(server: GroveServer) -> None:
    """Wire Grove's commands."""
    server.command(STATUS)(status)


def status(ls: GroveServer, *args: object) -> dict[str, object]:
    """Model target, last error, request counters and cache hit rate."""
    return {
        **ls.backend.status(),
        "documents": len(ls.documents),
        "inFlight": ls.tasks.in_flight,
        "upstreamRequests": ls.tasks.upstream_started,
        "superseded": ls.tasks.superseded_count,
        "continued": ls.tasks.continued_count,
        "accepted": ls.accepted_count,
        "speculative": ls.speculative_count,
        "cacheHitRate": round(ls.engine.cache.hit_rate, 3),
        "encoding": ls.encoding,
        "completionEnabled": ls.settings.completion_enabled,
        "workspaceIndex": ls.workspace_index.stats(),
    }
