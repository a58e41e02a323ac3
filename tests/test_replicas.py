"""Replicas with shared state: two real ``cargoshipper serve --transport http`` processes with
the same ``--redis-url`` (a real ``redis-server``) behave as one server, against one sandbox.

One client's calls go alternately to both. The last test kills Redis mid-run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cargoshipper.access import tenant_of
from cargoshipper.approval_page import api_call, runtime_files
from cargoshipper.sandbox import Sandbox, SandboxConfig
from helpers import LinkOpener, call_ok, error_text, free_port, serve_http

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="redis-server is not installed (apt-get install redis-server; .ci/run does)",
    ),
]

TOKEN = "dop_v1_" + "c3" * 32
DROPLET, DB_1 = 501_000_101, 501_000_103  # app-1 and db-1 in the seeded sandbox
STATE_KEY = "replica-test-state-key-0123456789"
PUBLIC_URL = "https://mcp.example.test"  # where people reach the replicas (not resolvable here)
CREATE = {"name": "rep-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[tuple[str, subprocess.Popen]]:
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    yield f"redis://127.0.0.1:{port}/0", proc
    proc.kill()
    proc.wait(timeout=5)


@contextlib.contextmanager
def two_replicas(redis_url: str, tmp: Path, *flags: str) -> Iterator[dict]:
    """The sandbox, and two replicas (each with its own approval page and runtime dir)."""
    with Sandbox(SandboxConfig()) as sandbox, contextlib.ExitStack() as stack:
        urls, runs = [], []
        for name in ("a", "b"):
            run = tmp / f"run-{name}"
            env = {
                **os.environ,
                "DIGITALOCEAN_TOKEN": "",
                "DIGITALOCEAN_API_URL": sandbox.url,
                "CARGOSHIPPER_AUDIT_LOG": str(tmp / f"audit-{name}.jsonl"),
                "CARGOSHIPPER_APPROVAL_WAIT": "0.5",
                "CARGOSHIPPER_RUNTIME_DIR": str(run),
                "CARGOSHIPPER_REDIS_URL": redis_url,
                "CARGOSHIPPER_STATE_KEY": STATE_KEY,
            }
            log = tmp / f"server-{name}.log"
            hosted = ("--host", "0.0.0.0", "--allowed-hosts", "127.0.0.1:*")
            hosted += ("--public-url", PUBLIC_URL)  # the load balancer's address
            urls.append(stack.enter_context(serve_http(env, *hosted, *flags, log=log)))
            runs.append(run)
        yield {"sandbox": sandbox, "urls": urls, "runs": runs, "redis": redis_url}


@pytest.fixture(scope="module")
def replicas(redis_server, tmp_path_factory) -> Iterator[dict]:
    with two_replicas(redis_server[0], tmp_path_factory.mktemp("replicas")) as both:
        yield both


@contextlib.asynccontextmanager
async def caller(url: str, elicitation: Any = None, mode: str = "auto") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(
            streamable_http_client(url, http_client=http),
            elicitation_callback=elicitation,
            mode=mode,
        ) as client,
    ):
        yield client


def legacy_initialize(url: str, headers: dict[str, str]) -> httpx2.Response:
    params = {"protocolVersion": "2025-06-18", "capabilities": {}}
    params["clientInfo"] = {"name": "legacy", "version": "1"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    return httpx2.post(url, headers=headers, json=body, timeout=10)


def page_of(run: Path) -> dict:
    (page,) = runtime_files(run)
    return page


async def test_an_approval_given_on_one_replica_is_honoured_by_the_other(replicas):
    sandbox, (url_a, url_b) = replicas["sandbox"], replicas["urls"]
    async with caller(url_a) as a, caller(url_b) as b:
        first = await call_ok(a, "droplet_delete", droplet_id=DROPLET)
        approval = first["approval"]
        assert approval["status"] == "pending"
        again = await call_ok(b, "droplet_delete", droplet_id=DROPLET)  # the same request
        assert again["approval"]["id"] == approval["id"]
        status, pending = api_call(page_of(replicas["runs"][1]), "GET", "/api/pending")
        assert status == 200 and [p["id"] for p in pending] == [approval["id"]]
        decide = f"/api/decide/{approval['id']}"
        status, body = api_call(
            page_of(replicas["runs"][0]), "POST", decide, {"decision": "approve"}
        )
        assert (status, body["status"]) == (200, "approved"), body
        done = await call_ok(b, "droplet_delete", droplet_id=DROPLET)  # B honours A's page
        assert not done.get("approval"), done
    assert sandbox.world.count("DELETE", f"/v2/droplets/{DROPLET}") == 1


async def test_an_approval_link_names_the_public_address_and_any_replica_serves_it(
    replicas, url_only
):
    """A remote caller's link is on the load balancer's address (--public-url), not on the
    replica's loopback page: the person's browser reaches whichever replica, and the call that
    asked on A goes on once B recorded the decision."""
    sandbox, (url_a, url_b) = replicas["sandbox"], replicas["urls"]
    behind_the_balancer = url_b.removesuffix("/mcp")
    opener = LinkOpener("approve", lambda url: url.replace(PUBLIC_URL, behind_the_balancer))
    async with caller(url_a, opener) as a:
        done = await call_ok(a, "droplet_delete", droplet_id=DB_1)
    (link,) = opener.urls
    assert link.startswith(f"{PUBLIC_URL}/approve/") and done["done"] is True, (link, done)
    assert sandbox.world.count("DELETE", f"/v2/droplets/{DB_1}") == 1
    async with httpx2.AsyncClient() as http:  # used: the link now shows nothing
        shown = await http.get(link.replace(PUBLIC_URL, url_a.removesuffix("/mcp")))
        assert shown.status_code == 404
        forged = await http.post(
            link.replace(PUBLIC_URL, behind_the_balancer),
            data={"decision": "approve"},
            headers={"Origin": "https://evil.example"},
        )
    assert forged.status_code == 403


async def test_three_parallel_creates_over_two_replicas_make_one_droplet(replicas):
    sandbox, (url_a, url_b) = replicas["sandbox"], replicas["urls"]
    async with caller(url_a) as a, caller(url_b) as b:
        asked = await call_ok(a, "droplet_create", **CREATE)  # a person approves it first
        status, _ = api_call(
            page_of(replicas["runs"][1]),
            "POST",
            f"/api/decide/{asked['approval']['id']}",
            {"decision": "approve"},
        )
        assert status == 200
        results: list[tuple[bool, str]] = []

        async def create(client: Client) -> None:
            result = await client.call_tool("droplet_create", CREATE)
            results.append((bool(result.is_error), error_text(result)))

        async with anyio.create_task_group() as group:
            for client in (a, b, a):
                group.start_soon(create, client)
        assert sandbox.world.count("POST", "/v2/droplets") == 1, results
        created = [text for error, text in results if not error and "active" in text]
        assert len(created) == 1, results
        # the others ran after it (one lock across replicas) and found it before asking anyone
        others = [text for _, text in results if text not in created]
        assert len(others) == 2 and all("already exists" in text for text in others), others
        status, pending = api_call(page_of(replicas["runs"][0]), "GET", "/api/pending")
        assert (status, pending) == (200, [])
        again = await b.call_tool("droplet_create", CREATE)
        assert again.is_error and "already exists" in error_text(again), error_text(again)
    assert sandbox.world.count("POST", "/v2/droplets") == 1


async def test_the_rate_budget_is_shared(replicas):
    import redis.asyncio

    url_a, url_b = replicas["urls"]
    store = redis.asyncio.Redis.from_url(replicas["redis"], decode_responses=True)
    key = f"cargoshipper:rate:{tenant_of(TOKEN)}"
    async with caller(url_a) as a, caller(url_b) as b:
        seen_a = (await call_ok(a, "account_get"))["item"]["rate_limit"]
        shared = await store.get(key)
        assert shared is not None and f'"remaining": {seen_a["remaining"]}' in shared
        seen_b = (await call_ok(b, "account_get"))["item"]["rate_limit"]
        assert seen_b["limit"] == seen_a["limit"] and seen_b["remaining"] < seen_a["remaining"]
        assert f'"remaining": {seen_b["remaining"]}' in await store.get(key)  # B's is shared
    await store.aclose()


async def test_modern_requests_go_to_any_replica_legacy_sessions_are_sticky(replicas):
    url_a, url_b = replicas["urls"]
    async with caller(url_a) as a, caller(url_b) as b:  # both accept each other's state
        for client in (a, b, a, b):
            await call_ok(client, "account_get")
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {TOKEN}"}
    opened = legacy_initialize(url_a, headers)
    session = opened.headers["mcp-session-id"]  # a legacy session lives in the replica that
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}  # opened it: sticky routing
    headers |= {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
    assert httpx2.post(url_a, headers=headers, json=listing, timeout=10).status_code == 200
    on_b = httpx2.post(url_b, headers=headers, json=listing, timeout=10)
    assert on_b.status_code == 404 and "Session not found" in on_b.text, on_b.text


async def test_stateless_replicas_serve_a_legacy_client_on_either(redis_server, tmp_path):
    """--stateless: 2025-era clients get no session, so a balancer without sticky routing
    works; they have no dialog then, and the approval given on one replica's page is honoured
    by the other."""
    with two_replicas(redis_server[0], tmp_path, "--stateless") as both:
        sandbox, (url_a, url_b), (run_a, _) = both["sandbox"], both["urls"], both["runs"]
        async with caller(url_a, mode="legacy") as a, caller(url_b, mode="legacy") as b:
            for client in (a, b, a, b):
                await call_ok(client, "account_get")
            asked = await call_ok(b, "droplet_delete", droplet_id=DROPLET)
            assert asked["approval"]["status"] == "pending"
            decide = f"/api/decide/{asked['approval']['id']}"
            status, _ = api_call(page_of(run_a), "POST", decide, {"decision": "approve"})
            assert status == 200
            done = await call_ok(a, "droplet_delete", droplet_id=DROPLET)
        assert done["done"] is True and not done.get("approval"), done
        assert sandbox.world.count("DELETE", f"/v2/droplets/{DROPLET}") == 1
        headers = {"Accept": "application/json, text/event-stream"}
        headers |= {"Authorization": f"Bearer {TOKEN}"}
        opened = legacy_initialize(url_a, headers)  # one raw client, alternating replicas:
        assert opened.status_code == 200 and "mcp-session-id" not in opened.headers
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call"}
        call["params"] = {"name": "droplet_get", "arguments": {"droplet_id": DB_1}}
        headers |= {"MCP-Protocol-Version": "2025-06-18"}
        on_b = httpx2.post(url_b, headers=headers, json=call, timeout=10)
        assert on_b.status_code == 200 and '"db-1"' in on_b.text, on_b.text


async def test_redis_killed_mid_run_refuses_clearly_and_sends_nothing(replicas, redis_server):
    sandbox, (url_a, url_b) = replicas["sandbox"], replicas["urls"]
    _, proc = redis_server
    async with caller(url_a) as a, caller(url_b) as b:
        await call_ok(a, "account_get")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        before = len(sandbox.world.requests)
        for client, tool, arguments in (
            (b, "droplet_delete", {"droplet_id": 501_000_102}),
            (a, "droplet_create", {**CREATE, "name": "rep-2"}),
        ):
            started = time.monotonic()
            result = await client.call_tool(tool, arguments)
            assert result.is_error, result.structured_content
            text = error_text(result)
            assert "shared state (Redis at redis://127.0.0.1:" in text, text
            assert "nothing was done" in text and time.monotonic() - started < 8
        sent = [(m, p) for m, p, _ in sandbox.world.requests[before:] if m != "GET"]
        assert sent == []
