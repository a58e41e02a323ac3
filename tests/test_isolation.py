"""One slow endpoint does not starve the rest; abandoned HTTP sessions are capped and reaped."""

from __future__ import annotations

import os
import time

import anyio
import httpx2
import pytest
from mcp import Client

from cargoshipper.sandbox import Fault
from cargoshipper.server import build_server
from conftest import TEST_TOKEN, settings_for
from helpers import call_ok, legacy_initialize, serve_http

pytestmark = pytest.mark.anyio


async def test_calls_stuck_on_a_slow_endpoint_leave_threads_for_other_calls(sandbox):
    """45 calls hang on droplets.get (more than the 40 threads anyio lends by default): an
    account_get sent meanwhile still answers at once."""
    slow = 45
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/droplets/\d+", delay=2.0, times=slow))
    server = build_server(settings_for(sandbox.url))
    finished: list[float] = []
    async with Client(server) as client:
        started = time.monotonic()

        async def stuck() -> None:
            await client.call_tool("droplet_get", {"droplet_id": 1})
            finished.append(time.monotonic() - started)

        async with anyio.create_task_group() as group:
            for _ in range(slow):
                group.start_soon(stuck)
            await anyio.sleep(0.5)  # the slow calls are in flight
            before = time.monotonic()
            await call_ok(client, "account_get")
            fast = time.monotonic() - before
    assert fast < 1.0, f"account_get took {fast:.1f} s behind the slow calls"
    assert len(finished) == slow  # the slow ones all finished too, in turns
    assert max(finished) < 30


def test_abandoned_legacy_http_sessions_are_capped_and_reaped(sandbox):
    env = {
        **os.environ,
        "DIGITALOCEAN_TOKEN": TEST_TOKEN,
        "DIGITALOCEAN_API_URL": sandbox.url,
        "CARGOSHIPPER_AUDIT_LOG": "off",
    }
    with serve_http(env, "--max-sessions", "2", "--session-idle-timeout", "1") as url:
        opened = [legacy_initialize(url) for _ in range(2)]
        assert all(r.status_code == 200 and r.headers.get("mcp-session-id") for r in opened)
        assert legacy_initialize(url).status_code == 503  # the cap holds
        time.sleep(2.5)  # both sit idle past the timeout and are closed
        again = legacy_initialize(url)
        assert again.status_code == 200, again.text
        stale = httpx2.post(
            url,
            headers={
                "Accept": "application/json, text/event-stream",
                "Mcp-Session-Id": opened[0].headers["mcp-session-id"],
                "MCP-Protocol-Version": "2025-06-18",
            },
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            timeout=10,
        )
        assert stale.status_code == 404  # the reaped session is gone
