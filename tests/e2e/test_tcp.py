"""``grove serve --tcp HOST:PORT``: the same server over a TCP socket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from tests.e2e.harness import server_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    body = json.dumps(message).encode()
    sock.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _receive(sock: socket.socket) -> dict[str, object]:
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        header += sock.recv(1)
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    message: dict[str, object] = json.loads(body)
    return message


def _connect(port: int, process: subprocess.Popen[bytes]) -> socket.socket:
    for _ in range(200):
        assert process.poll() is None, "server exited"
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server never listened")


def test_serve_over_tcp_answers_initialize() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--tcp", f"127.0.0.1:{port}"],
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        with _connect(port, process) as sock:
            _send(
                sock,
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "capabilities": {},
                        "initializationOptions": {"completion": {"enabled": False}},
                    },
                },
            )
            reply = _receive(sock)
            while "id" not in reply:
                reply = _receive(sock)
            _send(sock, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
            _send(sock, {"jsonrpc": "2.0", "method": "exit"})
    finally:
        process.terminate()
        process.wait(10)
    assert reply["id"] == 1
    result = reply["result"]
    assert isinstance(result, dict)
    assert result["serverInfo"]["name"] == "grove"
    assert "inlineCompletionProvider" in result["capabilities"]
    assert process.stdout is not None and process.stdout.read() == b""
