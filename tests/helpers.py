"""Small helpers for calling tools in tests."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.types import ElicitResult


async def call_ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, error_text(result)
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; return its error text."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return error_text(result)


def error_text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


class Dialog:
    """A client-side confirmation dialog that records its questions and answers them in turn
    (the last answer repeats): "accept", "decline" or "cancel"."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: Any) -> ElicitResult:
        self.questions.append(params.message)
        answer = self.answers[min(len(self.questions), len(self.answers)) - 1]
        if answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action=answer)


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/?#]+", re.escape(path)) + "$")


def off_template(sandbox: Any) -> list[tuple[str, str]]:
    """Requests the sandbox received whose path fits no operation's path template."""
    from cargoshipper.operations import operations

    templates = [_template(op.path) for op in operations().values() if op.path.startswith("/v2/")]
    return [
        (method, path)
        for method, path, _ in sandbox.world.requests
        if not any(t.match(path) for t in templates)
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve_http(
    env: Mapping[str, str], *flags: str, log: Path | None = None, log_level: str = "WARNING"
) -> Iterator[str]:
    """A real ``cargoshipper serve --transport http`` process; yields its MCP URL once it
    answers, and stops it afterwards. ``log`` receives its stdout and stderr."""
    port = free_port()
    command = [sys.executable, "-m", "cargoshipper", "--log-level", log_level, "serve"]
    command += ["--transport", "http", "--port", str(port), *flags]
    sink = log.open("w") if log else subprocess.DEVNULL
    server = subprocess.Popen(command, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        if log:
            sink.close()


def legacy_initialize(url: str) -> httpx2.Response:
    """Open a legacy (2025-era) session the way a client would (and leave it open)."""
    return httpx2.post(
        url,
        headers={"Accept": "application/json, text/event-stream"},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "abandoner", "version": "1"},
            },
        },
        timeout=10,
    )
