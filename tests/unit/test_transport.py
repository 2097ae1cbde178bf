"""The stdio reader finds a message header after stray bytes (the e2e tests cover the rest)."""

from __future__ import annotations

import io

from server.transport import ResyncingReader


class _Lines:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    async def readline(self) -> bytes:
        return self._stream.readline()

    async def readexactly(self, n: int) -> bytes:
        return self._stream.read(n)


async def test_a_header_after_stray_bytes_is_found() -> None:
    reader = ResyncingReader(_Lines(b"{}Content-Length: 2\r\n\r\n{}"))  # type: ignore[arg-type]
    assert await reader.readline() == b"Content-Length: 2\r\n"
    assert await reader.readline() == b"\r\n"
    assert await reader.readexactly(2) == b"{}"
