"""Small helpers for calling tools in tests."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
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


class LinkOpener:
    """A URL-elicitation client: it 'opens' the link, where a person decides ``decision``
    (``opened``: the address it really opens, e.g. another replica behind the public one)."""

    def __init__(self, decision: str, opened: Callable[[str], str] = lambda url: url) -> None:
        self.decision = decision
        self.opened = opened
        self.urls: list[str] = []

    async def __call__(self, _context: Any, params: Any) -> ElicitResult:
        assert getattr(params, "mode", None) == "url", params
        self.urls.append(params.url)
        async with httpx2.AsyncClient() as http:
            answer = await http.post(self.opened(params.url), data={"decision": self.decision})
        assert answer.status_code == 200, answer.text
        return ElicitResult(action="accept")


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


@contextlib.contextmanager
def token_proxy(
    routes: Mapping[str, str], default: str
) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """A loopback HTTP proxy in front of sandboxes: each request goes to the base URL its bearer
    token maps to in ``routes`` (other tokens to ``default``). Yields the proxy's URL and the
    list of (token, method, path) it forwarded, in order. It serves as a reverse proxy (the API
    URL names it) and as a forward one (HTTP_PROXY names it: requests name the whole URL)."""
    import http.client
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, str, str]] = []
    hop_by_hop = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real API

        def _forward(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            url = urllib.parse.urlsplit(self.path)  # absolute when used as a forward proxy
            path = url.path + (f"?{url.query}" if url.query else "")
            seen.append((token, self.command, url.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
            target = urllib.parse.urlsplit(routes.get(token, default))
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                upstream.request(self.command, path, body=body, headers=headers)
                response = upstream.getresponse()
                answer = response.read()
            finally:
                upstream.close()
            self.send_response_only(response.status)
            for name, value in response.getheaders():
                if name.lower() not in hop_by_hop:
                    self.send_header(name, value)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if answer and response.status not in (204, 304):
                self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", seen
    finally:
        proxy.shutdown()
        proxy.server_close()


def bodies(sent: list[tuple[str, dict[str, Any]]], operation: str) -> list[Any]:
    """The bodies of the requests of ``operation`` among those the ``sent`` fixture saw."""
    return [params.get("body") for op, params in sent if op == operation]
