"""Hosting for a team: every HTTP caller acts with its own DigitalOcean token, as its own tenant.

The servers here are real ``cargoshipper serve --transport http`` processes. Their API URL is a
recording proxy that sends each request to the sandbox its bearer token names, so the tests see
which token every request carried, and two tenants live in two separate accounts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cargoshipper.access import DOAccess, Refused, Tenants
from cargoshipper.approval_page import api_call, runtime_files
from cargoshipper.sandbox import Sandbox, SandboxConfig
from conftest import settings_for
from helpers import LinkOpener, call_ok, error_text, serve_http, token_proxy

pytestmark = pytest.mark.anyio

SERVER_TOKEN = "dop_v1_" + "5e" * 32  # the server's own (environment)
TOKEN_A = "dop_v1_" + "a1" * 32
TOKEN_B = "dop_v1_" + "b2" * 32
DROPLET = 501_000_101  # app-1, in both seeded sandboxes
PUBLIC = ("--host", "0.0.0.0", "--allowed-hosts", "127.0.0.1:*")
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def tenant(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@contextlib.asynccontextmanager
async def caller(
    url: str, token: str | None, mode: str = "auto", elicitation: Any = None
) -> AsyncIterator[Client]:
    """An MCP client over HTTP sending ``token`` as its bearer token (None: no header)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx2.Timeout(30, read=300)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode=mode,
            elicitation_callback=elicitation,
        ) as client,
    ):
        yield client


def post(url: str, body: dict[str, Any], **headers: str) -> httpx2.Response:
    """One raw JSON-RPC POST (legacy era) with extra headers."""
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-11-25", **headers}
    return httpx2.post(url, headers=headers, json=body, timeout=30)


def initialize(url: str, **headers: str) -> httpx2.Response:
    params = {"protocolVersion": "2025-06-18", "capabilities": {}}
    params["clientInfo"] = {"name": "raw", "version": "1"}
    return httpx2.post(
        url,
        headers={**MCP_HEADERS, **headers},
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params},
        timeout=30,
    )


CALL_TOOL = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "account_get", "arguments": {}},
}


@pytest.fixture
def sandboxes() -> Iterator[tuple[Sandbox, Sandbox]]:
    """Two accounts, told apart by their rate-limit budgets."""
    config = {"boot_seconds": 0.3, "action_seconds": 0.2}
    with (
        Sandbox(SandboxConfig(**config, rate_limit_per_hour=1000)) as a,
        Sandbox(SandboxConfig(**config, rate_limit_per_hour=2000)) as b,
    ):
        yield a, b


@pytest.fixture
def proxy(sandboxes: tuple[Sandbox, Sandbox]) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """TOKEN_B's requests go to the second sandbox, every other token's to the first."""
    a, b = sandboxes
    with token_proxy({TOKEN_B: b.url}, default=a.url) as running:
        yield running


def server_env(api_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DIGITALOCEAN_TOKEN": SERVER_TOKEN,
        "DIGITALOCEAN_API_URL": api_url,
        "CARGOSHIPPER_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "CARGOSHIPPER_APPROVAL_WAIT": "0.5",
    }


async def test_public_bind_refuses_callers_without_a_token_before_any_tool_runs(proxy, tmp_path):
    proxy_url, seen = proxy
    with serve_http(server_env(proxy_url, tmp_path), *PUBLIC) as url:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer a b"}):
            refused = post(url, CALL_TOOL, **headers)
            assert refused.status_code == 401, refused.text
            assert refused.headers["www-authenticate"].startswith("Bearer ")
            assert "Authorization: Bearer" in refused.json()["error_description"]
        assert seen == []  # no tool ran: nothing reached DigitalOcean, not with the server's token
        forged = post(url, CALL_TOOL, Authorization=f"Bearer {TOKEN_A}", Host="evil.example")
        assert forged.status_code == 421  # DNS-rebinding protection stays on
        foreign = post(url, CALL_TOOL, Authorization=f"Bearer {TOKEN_A}", Origin="https://x.test")
        assert foreign.status_code == 403
        async with caller(url, TOKEN_A) as a:
            await call_ok(a, "account_get")
        assert {token for token, _, _ in seen} == {TOKEN_A}
        # a legacy session belongs to the tenant that opened it
        session = initialize(url, Authorization=f"Bearer {TOKEN_A}").headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
        for token, status in ((TOKEN_B, 404), (TOKEN_A, 200)):
            headers = {"Authorization": f"Bearer {token}", "Mcp-Session-Id": session}
            assert post(url, listing, **headers).status_code == status


async def test_loopback_serves_token_less_callers_with_the_server_token(proxy, tmp_path):
    proxy_url, seen = proxy
    with serve_http(server_env(proxy_url, tmp_path)) as url:
        async with caller(url, None) as alone:  # single-user mode, as before
            await call_ok(alone, "account_get")
        assert seen and {token for token, _, _ in seen} == {SERVER_TOKEN}
        del seen[:]
        async with caller(url, TOKEN_A, mode="legacy") as own:  # a caller's token wins
            await call_ok(own, "account_get")
            await call_ok(own, "droplet_list")
        assert seen and {token for token, _, _ in seen} == {TOKEN_A}
        malformed = post(url, CALL_TOOL, Authorization="Basic dXNlcjpwYXNz")
        assert malformed.status_code == 401  # never the server's token for a token gone wrong
        forged = post(url, CALL_TOOL, Host="evil.example")
        assert forged.status_code == 421


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_remote_callers_approval_link_is_on_the_address_it_called(
    proxy, tmp_path, url_only, mode
):
    """Not on the server's loopback page, which a remote person's browser cannot reach."""
    proxy_url, seen = proxy
    with serve_http(server_env(proxy_url, tmp_path), *PUBLIC) as url:
        opener = LinkOpener("approve")
        async with caller(url, TOKEN_A, mode, opener) as a:
            done = await call_ok(a, "droplet_delete", droplet_id=DROPLET)
        (link,) = opener.urls
        assert link.startswith(url.replace("/mcp", "/approve/")) and done["done"] is True
        assert ("DELETE", f"/v2/droplets/{DROPLET}") in [(m, p) for _, m, p in seen]
        rebound = httpx2.get(link, headers={"Host": "evil.example"}, timeout=10)
        assert rebound.status_code == 421  # DNS-rebinding protection covers the links too


async def test_two_tenants_never_share_approvals_budgets_or_identity(sandboxes, proxy, tmp_path):
    (sandbox_a, sandbox_b), (proxy_url, seen) = sandboxes, proxy
    log = tmp_path / "server.log"
    texts: dict[str, str] = {"a": "", "b": ""}  # all each tenant was told

    async def delete(name: str, client: Client) -> dict[str, Any]:
        result = await client.call_tool("droplet_delete", {"droplet_id": DROPLET})
        assert not result.is_error, error_text(result)
        texts[name] += error_text(result) + json.dumps(result.structured_content)
        return result.structured_content or {}

    env = server_env(proxy_url, tmp_path)
    with serve_http(env, *PUBLIC, log=log, log_level="DEBUG") as url:
        async with caller(url, TOKEN_A) as a, caller(url, TOKEN_B, mode="legacy") as b:
            reading_a = (await call_ok(a, "account_get"))["item"]["rate_limit"]
            reading_b = (await call_ok(b, "account_get"))["item"]["rate_limit"]
            assert (reading_a["limit"], reading_b["limit"]) == (1000, 2000)  # each its own
            first: dict[str, dict[str, Any]] = {}

            async def ask(name: str, client: Client) -> None:
                first[name] = (await delete(name, client))["approval"]

            async with anyio.create_task_group() as group:  # both wait for a person at once
                group.start_soon(ask, "a", a)
                group.start_soon(ask, "b", b)
            id_a, id_b = first["a"]["id"], first["b"]["id"]
            assert id_a != id_b and first["a"]["preview"] == first["b"]["preview"]

            (page,) = [page for page in runtime_files() if page["pid"] != os.getpid()]
            status, pending = api_call(page, "GET", "/api/pending")  # the operator sees all
            assert status == 200
            assert {(p["id"], p["tenant"]) for p in pending} == {
                (id_a, tenant(TOKEN_A)),
                (id_b, tenant(TOKEN_B)),
            }
            status, _ = api_call(page, "POST", f"/api/decide/{id_a}", {"decision": "approve"})
            assert status == 200

            again_b = await delete("b", b)  # A's approval is not B's to use
            assert again_b["approval"] == {**first["b"], "status": "pending"}
            done_a = await delete("a", a)
            assert not done_a.get("approval"), done_a
    assert id_a not in texts["b"] and id_b not in texts["a"]  # nor ever shown to the other

    assert sandbox_a.world.count("DELETE", f"/v2/droplets/{DROPLET}") == 1
    assert sandbox_b.world.count("DELETE", f"/v2/droplets/{DROPLET}") == 0
    assert {token for token, _, _ in seen} == {TOKEN_A, TOKEN_B}  # never the server's
    assert [t for t, method, _ in seen if method == "DELETE"] == [TOKEN_A]

    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert {r["tenant"] for r in records} == {tenant(TOKEN_A), tenant(TOKEN_B)}
    for record in records:
        owner = tenant(TOKEN_A) if record["approval"]["id"] == id_a else tenant(TOKEN_B)
        assert record["tenant"] == owner, record
    assert [r["event"] for r in records if r["tenant"] == tenant(TOKEN_B)] == ["pending"]

    audit = (tmp_path / "audit.jsonl").read_text()
    everything = "\n".join(texts.values()) + log.read_text() + audit
    assert "approval needed" in log.read_text()  # the server log really was written
    for token in (TOKEN_A, TOKEN_B, SERVER_TOKEN):
        assert token not in everything
        assert token[-12:] not in everything


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_a_public_host_without_allowed_hosts_is_refused_in_one_line(host):
    done = subprocess.run(
        [sys.executable, "-m", "cargoshipper", "serve", "--transport", "http", "--host", host],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DIGITALOCEAN_TOKEN": SERVER_TOKEN},
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--allowed-hosts" in done.stderr, done.stderr
    assert done.stdout == ""


# -- the tenant cache ----------------------------------------------------------------------------


def test_tenants_are_cached_bounded_and_dropped_when_idle():
    now = [0.0]
    tenants = Tenants(
        DOAccess(settings_for("http://127.0.0.1:9")), size=2, idle=60, clock=lambda: now[0]
    )
    first = tenants.get(TOKEN_A)
    assert tenants.get(TOKEN_A) is first  # cached
    assert tenants.get(None) is tenants.default  # no token of its own: the server's
    second = tenants.get(TOKEN_B)
    assert second.rate_limit is not first.rate_limit  # each tenant its own tracker, client
    assert (first.tenant[:12], second.tenant[:12]) == (tenant(TOKEN_A), tenant(TOKEN_B))
    tenants.get("dop_v1_third")  # over the bound: the least recently used (A) goes
    assert len(tenants) == 2 and tenants.get(TOKEN_B) is second
    assert tenants.get(TOKEN_A) is not first
    now[0] = 61.0  # idle past the limit: all dropped
    assert tenants.get(TOKEN_B) is not second and len(tenants) == 1


def test_without_a_server_token_a_token_less_call_is_refused():
    tenants = Tenants(DOAccess(settings_for("http://127.0.0.1:9", token="")))
    with pytest.raises(Refused, match="Authorization: Bearer"):
        tenants.get(None)
