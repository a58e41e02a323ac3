"""Access-layer behaviour an agent notices: all-pages fetching, waiting limits, rate budget."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request

import pytest
from mcp import Client

from cargoshipper.access._waiting import poll_until
from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server
from conftest import connect, settings_for
from helpers import call_error, call_ok, token_proxy

pytestmark = pytest.mark.anyio


def _create_many(url: str, count: int) -> None:
    names = [f"many-{n:03d}" for n in range(count)]
    for start in range(0, count, 10):
        body = {
            "names": names[start : start + 10],
            "region": "nyc3",
            "size": "s-1vcpu-1gb",
            "image": "ubuntu-24-04-x64",
        }
        request = urllib.request.Request(
            f"{url}/v2/droplets",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()


async def test_all_pages_fetches_200_a_page_and_stops_at_the_cap(sandbox):
    sandbox.world.account["droplet_limit"] = 1000
    _create_many(sandbox.url, 447)  # 450 with the 3 seeded droplets
    async with connect(sandbox) as client:
        everything = await call_ok(client, "droplet_list", all_pages=True)
    assert len(everything["items"]) == everything["total"] == 450
    assert len({d["id"] for d in everything["items"]}) == 450
    pages = sorted(q for m, p, q in sandbox.world.requests if m == "GET" and p == "/v2/droplets")
    assert len(pages) == 3 and all("per_page=200" in q for q in pages)

    async with connect(sandbox, all_pages_cap=250) as client:
        capped = await call_ok(client, "droplet_list", all_pages=True)
    assert len(capped["items"]) == 250 and capped["total"] == 450 and capped["has_more"]


async def test_a_create_that_outlasts_its_timeout_says_what_is_still_running():
    with Sandbox(SandboxConfig(boot_seconds=30)) as slow:
        async with Client(build_server(settings_for(slow.url))) as client:
            result = await call_ok(
                client,
                "droplet_create",
                name="slow-1",
                region="nyc3",
                size="s-1vcpu-1gb",
                image="ubuntu-24-04-x64",
                timeout=0.5,
            )
    assert result["done"] is False
    assert "Created, still starting after" in result["message"]
    assert "s: slow-1 (id " in result["message"]
    assert "action_get action_id=" in result["message"]
    assert "Do not create it again" in result["message"]


async def test_a_long_wait_hands_back_within_the_call_budget_and_can_be_continued():
    """The default wait (300 s) would outlast a host's 60 s request timeout: the call hands
    back within the server's call budget, naming the action to continue with."""
    with Sandbox(SandboxConfig(boot_seconds=5)) as slow:
        settings = settings_for(slow.url, call_budget=4.0)
        async with Client(build_server(settings)) as client:
            started = time.monotonic()
            result = await call_ok(
                client,
                "droplet_create",
                name="slow-2",
                region="nyc3",
                size="s-1vcpu-1gb",
                image="ubuntu-24-04-x64",
            )
            took = time.monotonic() - started
            assert result["done"] is False and took < 4.0
            action_id = result["actions"][0]["id"]
            assert f"action_get action_id={action_id} wait=true" in result["message"]
            for _ in range(5):  # as an agent would: continue until done
                continued = await call_ok(client, "action_get", action_id=action_id, wait=True)
                if continued["done"]:
                    break
    assert continued["done"] is True


async def test_waits_poll_at_the_base_interval_at_first():
    """A droplet that is up after 3 s is reported promptly, not after a backed-off poll."""
    seen: list[float] = []
    started = time.monotonic()

    async def fetch() -> dict:
        seen.append(time.monotonic() - started)
        return {"ready": seen[-1] >= 0.6}

    waited = await poll_until(fetch, lambda v: v["ready"], str, timeout=5, interval=0.1)
    assert waited.done and waited.elapsed < 0.8
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert max(gaps) < 0.2  # no backoff in the first seconds


async def test_an_action_that_outlasts_its_timeout_names_its_action_id():
    with Sandbox(SandboxConfig(action_seconds=30)) as slow:
        async with Client(build_server(settings_for(slow.url))) as client:
            result = await call_ok(
                client, "droplet_action", droplet_id=501_000_101, type="reboot", timeout=0.5
            )
    action_id = result["actions"][0]["id"]
    assert result["done"] is False
    assert f"still in progress (action id {action_id})" in result["message"]
    assert f"action_get action_id={action_id} wait=true" in result["message"]


async def test_errors_mention_a_low_rate_limit_budget():
    with Sandbox(SandboxConfig(rate_limit_per_hour=30)) as tight:
        async with Client(build_server(settings_for(tight.url))) as client:
            for _ in range(6):
                await call_ok(client, "account_get")
            error = await call_error(client, "droplet_get", droplet_id=424242)
    assert "does not exist" in error and "requests left this hour" in error


async def test_the_proxy_named_in_the_environment_carries_the_calls(sandbox, monkeypatch):
    """The environment is read once per client (not on every request), and still obeyed: an
    HTTP(S)_PROXY carries the calls, and NO_PROXY exempts the hosts it names."""
    with token_proxy({}, default=sandbox.url) as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "")
        unresolvable = "http://api.digitalocean.invalid"  # only the proxy can reach it
        async with Client(build_server(settings_for(unresolvable))) as client:
            account = await call_ok(client, "account_get")
        assert account["item"]["email"] and ("GET", "/v2/account") in [(m, p) for _, m, p in seen]

        seen.clear()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with Client(build_server(settings_for(sandbox.url))) as client:
            await call_ok(client, "account_get")
        assert seen == []
