"""Workspace commands: ``grove.status``."""

from __future__ import annotations

from server.app import GroveServer

STATUS = "grove.status"


def register(server: GroveServer) -> None:
    """Wire Grove's commands."""
    server.command(STATUS)(status)


def status(ls: GroveServer, *args: object) -> dict[str, object]:
    """Model target, last error, request counters, cache hit rate and the review queue."""
    return {
        **ls.backend.status(),
        "documents": len(ls.documents),
        "inFlight": ls.tasks.in_flight,
        "pendingHandlers": len(ls.protocol._request_futures),
        "upstreamRequests": ls.tasks.upstream_started,
        "superseded": ls.tasks.superseded_count,
        "continued": ls.tasks.continued_count,
        "accepted": ls.accepted_count,
        "speculative": ls.speculative_count,
        "cacheHitRate": round(ls.engine.cache.hit_rate, 3),
        "encoding": ls.encoding,
        "completionEnabled": ls.settings.completion_enabled,
        "workspaceIndex": ls.workspace_index.stats(),
        "reviewQueue": ls.reviewer.queue_length,
        "reviewInFlight": ls.reviewer.in_flight,
        "reviewRequests": ls.reviewer.requests,
        "reviewLastError": ls.reviewer.last_error,
    }
