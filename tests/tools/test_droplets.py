"""Droplets end to end: list, get, create (waiting), actions, delete — through MCP clients."""

from __future__ import annotations

import anyio
import pytest

from conftest import connect
from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio


async def test_list_paginates_with_facts_the_agent_needs(client):
    first = await call_ok(client, "droplet_list", per_page=2)
    assert len(first["items"]) == 2
    assert first["total"] >= 3
    assert first["has_more"] is True and first["next_page"] == 2
    second = await call_ok(client, "droplet_list", per_page=2, page=2)
    assert {d["id"] for d in first["items"]}.isdisjoint(d["id"] for d in second["items"])


async def test_list_all_pages_returns_everything(client):
    everything = await call_ok(client, "droplet_list", all_pages=True)
    assert len(everything["items"]) == everything["total"]
    assert everything["has_more"] is False


async def test_list_filters_by_tag_and_name(client):
    web = (await call_ok(client, "droplet_list", tag_name="web"))["items"]
    assert web and all("web" in d["tags"] for d in web)
    named = (await call_ok(client, "droplet_list", name=web[0]["name"]))["items"]
    assert [d["id"] for d in named] == [web[0]["id"]]
    error = await call_error(client, "droplet_list", tag_name="web", name="x")
    assert "not both" in error


async def test_get_is_compact_with_ips_and_price_and_detail_is_full(client):
    droplet_id = (await call_ok(client, "droplet_list"))["items"][0]["id"]
    item = (await call_ok(client, "droplet_get", droplet_id=droplet_id))["item"]
    assert item["public_ipv4"] and item["private_ipv4"] and item["region"]
    assert item["price_monthly"] > 0 and "networks" not in item
    full = (await call_ok(client, "droplet_get", droplet_id=droplet_id, detail=True))["item"]
    assert "networks" in full and "kernel" in full


async def test_get_unknown_droplet_says_where_to_look(client):
    error = await call_error(client, "droplet_get", droplet_id=999999)
    assert "Droplet 999999 does not exist" in error
    assert "droplet_list" in error


async def test_create_waits_until_active_and_returns_ip(client, sandbox):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    result = await client.call_tool(
        "droplet_create",
        {
            "name": "web-9",
            "region": "nyc3",
            "size": "s-1vcpu-1gb",
            "image": "ubuntu-24-04-x64",
            "tags": ["web"],
            "ipv6": True,
        },
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    created = result.structured_content
    assert created["done"] is True
    droplet = created["resources"][0]
    assert droplet["status"] == "active" and droplet["public_ipv4"] and droplet["ipv6"]
    assert result.content[0].text.startswith("1 droplet(s) active: web-9 ")
    assert progress, "waiting must send progress notifications"
    assert sandbox.world.count("POST", "/v2/droplets") == 1
    assert sandbox.world.count("GET", "/v2/sizes") == 1  # the plan and the policy share it


async def test_create_several_by_names(client):
    created = await call_ok(
        client,
        "droplet_create",
        names=["batch-1", "batch-2"],
        region="fra1",
        size="s-1vcpu-1gb",
        image="debian-12-x64",
    )
    assert sorted(d["name"] for d in created["resources"]) == ["batch-1", "batch-2"]
    assert all(d["status"] == "active" for d in created["resources"])


async def test_create_without_wait_returns_at_once(client):
    created = await call_ok(
        client,
        "droplet_create",
        name="quick-1",
        region="nyc3",
        size="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        wait=False,
    )
    assert created["done"] is False
    assert created["resources"][0]["status"] == "new"
    assert created["actions"][0]["id"]


async def test_create_refuses_existing_name_unless_asked(client, sandbox):
    existing = (await call_ok(client, "droplet_list"))["items"][0]["name"]
    args = dict(name=existing, region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
    error = await call_error(client, "droplet_create", **args)
    assert "already exists" in error and "allow_duplicate_name" in error
    assert sandbox.world.count("POST", "/v2/droplets") == 0
    await call_ok(client, "droplet_create", allow_duplicate_name=True, wait=False, **args)
    assert sandbox.world.count("POST", "/v2/droplets") == 1


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"name": "bad name!"}, "Invalid droplet name"),
        ({"name": "a", "names": ["b"]}, "exactly one of name or names"),
        ({}, "exactly one of name or names"),
        ({"names": ["x", "x"]}, "different"),
        ({"name": "big", "user_data": "#" * (64 * 1024 + 1)}, "64 KiB"),
    ],
)
async def test_bad_create_input_is_refused_before_any_request(client, sandbox, arguments, expected):
    base = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
    error = await call_error(client, "droplet_create", **base, **arguments)
    assert expected in error
    assert sandbox.world.count("POST", "/v2/droplets") == 0


async def test_create_with_an_unknown_image_relays_the_api_message(client):
    error = await call_error(
        client,
        "droplet_create",
        name="x-1",
        region="nyc3",
        size="s-1vcpu-1gb",
        image="no-such-os",
    )
    assert "422" in error and "image" in error


async def test_power_resize_snapshot_cycle(client):
    droplet = (await call_ok(client, "droplet_list"))["items"][0]
    droplet_id = droplet["id"]
    refused = await call_error(
        client, "droplet_action", droplet_id=droplet_id, type="resize", size="s-2vcpu-4gb"
    )
    assert "off" in refused.lower()

    off = await call_ok(client, "droplet_action", droplet_id=droplet_id, type="power_off")
    assert off["done"] and off["actions"][0]["status"] == "completed"
    assert off["resources"][0]["status"] == "off"

    resized = await call_ok(
        client,
        "droplet_action",
        droplet_id=droplet_id,
        type="resize",
        size="s-2vcpu-4gb",
        disk=True,
    )
    assert resized["resources"][0]["size"] == "s-2vcpu-4gb"

    snap = await call_ok(
        client, "droplet_action", droplet_id=droplet_id, type="snapshot", name="before-upgrade"
    )
    assert snap["done"]
    private = (await call_ok(client, "image_list", kind="private"))["items"]
    assert "before-upgrade" in {image["name"] for image in private}

    on = await call_ok(client, "droplet_action", droplet_id=droplet_id, type="power_on")
    assert on["resources"][0]["status"] == "active"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "resize"}, "resize needs size"),
        ({"type": "power_on", "size": "s-1vcpu-1gb"}, "size does not apply to power_on"),
        ({"type": "restore", "image": "ubuntu-24-04-x64"}, "numeric id"),
        ({"type": "reboot", "tag_name": "web"}, "cannot be done by tag"),
    ],
)
async def test_bad_action_input_is_refused(client, sandbox, arguments, expected):
    arguments.setdefault("droplet_id", None if "tag_name" in arguments else 1)
    arguments = {k: v for k, v in arguments.items() if v is not None}
    error = await call_error(client, "droplet_action", **arguments)
    assert expected in error
    assert not [r for r in sandbox.world.requests if r[0] == "POST"]


async def test_action_by_tag_acts_on_every_tagged_droplet(client):
    tagged = (await call_ok(client, "droplet_list", tag_name="web"))["items"]
    result = await call_ok(client, "droplet_action", tag_name="web", type="power_off")
    assert len(result["actions"]) == len(tagged)
    assert all(d["status"] == "off" for d in result["resources"])


async def test_action_without_wait_then_action_get_waits(client):
    droplet_id = (await call_ok(client, "droplet_list"))["items"][0]["id"]
    started = await call_ok(
        client, "droplet_action", droplet_id=droplet_id, type="reboot", wait=False
    )
    action_id = started["actions"][0]["id"]
    assert started["done"] is False
    finished = await call_ok(client, "action_get", action_id=action_id, wait=True)
    assert finished["done"] and finished["actions"][0]["status"] == "completed"


async def test_delete_by_id_and_by_tag(client):
    droplets = (await call_ok(client, "droplet_list", all_pages=True))["items"]
    victim = droplets[0]
    deleted = await call_ok(client, "droplet_delete", droplet_id=victim["id"])
    assert deleted["resources"] == [{"id": victim["id"], "name": victim["name"]}]
    error = await call_error(client, "droplet_get", droplet_id=victim["id"])
    assert "does not exist" in error

    tagged = (await call_ok(client, "droplet_list", tag_name="web"))["items"]
    by_tag = await call_ok(client, "droplet_delete", tag_name="web")
    assert {d["id"] for d in by_tag["resources"]} == {d["id"] for d in tagged}
    assert (await call_ok(client, "droplet_list", tag_name="web"))["items"] == []
    nothing = await call_error(client, "droplet_delete", tag_name="web")
    assert "nothing was done" in nothing


async def test_parallel_identical_creates_make_one_droplet(sandbox):
    create = dict(name="twin-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
    results = []
    async with connect(sandbox, "auto", None, confirm="never") as client:

        async def one() -> None:
            results.append(await client.call_tool("droplet_create", {**create, "wait": False}))

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(one)
    assert sandbox.world.count("POST", "/v2/droplets") == 1
    assert sum(1 for r in results if r.is_error) == 2
