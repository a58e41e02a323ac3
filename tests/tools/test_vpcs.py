"""The vpcs toolset through an MCP client against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from conftest import connect
from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

DROPLET = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", wait=False)


@pytest.fixture
async def net(sandbox, era) -> AsyncIterator[Client]:
    async with connect(sandbox, era, confirm="never", toolsets=["vpcs", "droplets"]) as client:
        yield client


def _posts(sandbox, path: str) -> int:
    return sandbox.world.count("POST", path)


async def test_each_region_has_its_default_vpc(net):
    listed = await call_ok(net, "vpc_list", per_page=200)
    defaults = {vpc["region"] for vpc in listed["items"] if vpc.get("default")}
    assert {"nyc3", "fra1"} <= defaults


async def test_create_rename_and_delete_an_empty_vpc(net, sandbox):
    created = (await call_ok(net, "vpc_create", name="prod-net", region="nyc3"))["item"]
    assert created["ip_range"] and not created.get("default")
    got = (await call_ok(net, "vpc_get", vpc_id=created["id"]))["item"]
    assert got["member_count"] == 0 and got["members"] == []
    result = await net.call_tool("vpc_update", {"vpc_id": created["id"], "name": "prod-net-2"})
    assert result.structured_content["item"]["name"] == "prod-net-2"
    assert "name: 'prod-net' -> 'prod-net-2'" in result.content[0].text
    deleted = await call_ok(net, "vpc_delete", vpc_id=created["id"])
    assert deleted["item"]["deleted"] is True
    assert created["id"] not in {v["id"] for v in (await call_ok(net, "vpc_list"))["items"]}


async def test_a_vpc_with_members_is_not_deleted_and_they_are_named(net, sandbox):
    vpc = (await call_ok(net, "vpc_create", name="app-net", region="nyc3"))["item"]
    droplet = await call_ok(net, "droplet_create", name="in-vpc-1", vpc_uuid=vpc["id"], **DROPLET)
    droplet_id = droplet["resources"][0]["id"]
    members = (await call_ok(net, "vpc_get", vpc_id=vpc["id"]))["item"]["members"]
    assert {"kind": "droplet", "id": str(droplet_id), "name": "in-vpc-1"} in members
    error = await call_error(net, "vpc_delete", vpc_id=vpc["id"])
    assert f"still has 1 member(s): droplet in-vpc-1 ({droplet_id})" in error
    assert sandbox.world.count("DELETE", f"/v2/vpcs/{vpc['id']}") == 0


async def test_the_default_vpc_is_not_deleted(net, sandbox):
    listed = (await call_ok(net, "vpc_list", per_page=200))["items"]
    default = next(vpc for vpc in listed if vpc.get("default") and vpc["region"] == "fra1")
    error = await call_error(net, "vpc_delete", vpc_id=default["id"])
    assert "default VPC of fra1" in error
    assert sandbox.world.count("DELETE", f"/v2/vpcs/{default['id']}") == 0


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"name": "bad name!", "region": "nyc3"}, "Invalid VPC name"),
        ({"name": "n1", "region": "nyc3", "ip_range": "10.0.0.0"}, "must be a private IPv4"),
        ({"name": "n1", "region": "nyc3", "ip_range": "8.8.8.0/24"}, "must be a private IPv4"),
        ({"name": "n1", "region": "nyc3", "ip_range": "ten/8"}, "is not a CIDR range"),
    ],
)
async def test_bad_create_input_sends_nothing(net, sandbox, arguments, expected):
    assert expected in await call_error(net, "vpc_create", **arguments)
    assert _posts(sandbox, "/v2/vpcs") == 0


async def test_a_taken_name_is_refused_before_sending(net, sandbox):
    await call_ok(net, "vpc_create", name="twice-net", region="nyc3")
    error = await call_error(net, "vpc_create", name="twice-net", region="nyc3")
    assert "already exists" in error and _posts(sandbox, "/v2/vpcs") == 1


async def test_hostile_ids_send_nothing(net, sandbox):
    before = len(sandbox.world.requests)
    for tool in ("vpc_get", "vpc_delete"):
        error = await call_error(net, tool, vpc_id="../account?x=")
        assert "vpc_id" in error
    assert len(sandbox.world.requests) == before
