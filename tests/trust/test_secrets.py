"""The API token never shows up: not in results, errors, logs, the audit log, or HTTP headers."""

from __future__ import annotations

import logging
import os
import re

import httpx2
import pytest
from mcp import Client

from cargoshipper.sandbox import Fault
from conftest import TEST_TOKEN, connect
from helpers import error_text, serve_http

pytestmark = pytest.mark.anyio

CALLS = [
    ("account_get", {}),
    ("balance_get", {}),
    ("droplet_list", {"all_pages": True}),
    ("droplet_get", {"droplet_id": 424242}),  # 404, returned by pydo
    ("droplet_create", {"name": "x-1", "region": "nyc3", "size": "nope", "image": "debian-12-x64"}),
    (
        "droplet_create",
        {
            "name": "ok-1",
            "region": "nyc3",
            "size": "s-1vcpu-1gb",
            "image": "debian-12-x64",
            "user_data": "#cloud-config",
        },
    ),
    ("droplet_delete", {"droplet_id": 501_000_101}),  # waits for approval
    ("droplet_action", {"droplet_id": 501_000_102, "type": "resize"}),  # bad input
    ("image_get", {"image": "no-such"}),
    ("action_get", {"action_id": 1}),
]


async def test_token_absent_from_results_logs_and_audit_on_every_path(sandbox, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    log = tmp_path / "audit.jsonl"
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", status=401))
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/regions", status=500, times=10))
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/sizes", status=429, reset_in=900))
    seen: list[str] = []
    async with connect(sandbox, "auto", None, audit_log=log) as client:
        for tool, arguments in [*CALLS, ("region_list", {}), ("size_list", {})]:
            result = await client.call_tool(tool, arguments)
            seen.append(error_text(result))
            seen.append(str(result.structured_content))
    everything = "\n".join(seen) + caplog.text + log.read_text()
    assert "401" in everything and "429" in everything  # the error paths really ran
    assert TEST_TOKEN not in everything
    assert TEST_TOKEN[-12:] not in everything  # not even a tail of it


async def test_token_absent_from_http_mode_responses_and_server_logs(sandbox, tmp_path):
    env = {
        **os.environ,
        "DIGITALOCEAN_TOKEN": TEST_TOKEN,
        "DIGITALOCEAN_API_URL": sandbox.url,
        "CARGOSHIPPER_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "CARGOSHIPPER_APPROVAL_WAIT": "0.5",
    }
    stderr = tmp_path / "server.log"
    with serve_http(env, log=stderr, log_level="DEBUG") as url:
        texts = []
        async with Client(url) as client:
            for tool, arguments in CALLS:
                result = await client.call_tool(tool, arguments)
                texts.append(error_text(result) + str(result.structured_content))
            pending = await client.call_tool("droplet_delete", {"droplet_id": 501_000_102})
            assert "Nothing has been done yet" in error_text(pending)
        raw = httpx2.post(
            url,
            headers={
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-11-25",
            },
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "droplet_get", "arguments": {"droplet_id": 9}},
            },
            timeout=30,
        )
        texts.append(str(raw.headers) + raw.text)
    everything = "\n".join(texts) + stderr.read_text() + (tmp_path / "audit.jsonl").read_text()
    assert "does not exist" in everything  # error paths ran
    assert re.search(TEST_TOKEN, everything) is None
