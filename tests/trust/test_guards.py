"""Read-only mode, toolsets, protected resources, the bulk limit and the cost limit."""

from __future__ import annotations

import pytest

from cargoshipper.config import Settings
from cargoshipper.registry import Access
from cargoshipper.server import enabled_tools
from conftest import connect
from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
CREATE = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", wait=False)


def protect(sandbox, droplet_id: int) -> None:
    sandbox.world.droplets[droplet_id].tags.append("protected")


async def test_read_only_lists_only_reads_and_refuses_writes(sandbox, era):
    async with connect(sandbox, era, read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        default = enabled_tools(Settings(token="x"))  # the default toolsets
        reads = {spec.name for spec in default if spec.access is Access.READ or spec.mixed}
        assert listed == reads and "api_call" in listed  # api_call stays, for GETs only
        error = await call_error(client, "droplet_delete", droplet_id=APP_1)
        await call_ok(client, "droplet_list")
    assert "read-only" in error and "--read-only" in error
    assert sandbox.world.count("DELETE", f"/v2/droplets/{APP_1}") == 0


async def test_toolsets_and_read_only_combine(sandbox):
    async with connect(sandbox, toolsets=("droplets",), read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"droplet_list", "droplet_get"}
        error = await call_error(client, "image_list")
    assert "--toolsets" in error


async def test_a_protected_droplet_survives_delete_even_without_confirmation(sandbox, era):
    protect(sandbox, APP_1)
    async with connect(sandbox, era, confirm="never") as client:
        error = await call_error(client, "droplet_delete", droplet_id=APP_1)
    assert "app-1 (501000101) is tagged 'protected'" in error
    assert APP_1 in sandbox.world.droplets


async def test_a_by_tag_delete_touching_a_protected_droplet_is_refused_whole(sandbox, era):
    protect(sandbox, APP_2)
    async with connect(sandbox, era, confirm="never") as client:
        error = await call_error(client, "droplet_delete", tag_name="web")
    assert "app-2" in error and "Nothing was changed" in error
    assert {APP_1, APP_2} <= set(sandbox.world.droplets)
    assert sandbox.world.count("DELETE", f"/v2/droplets/{APP_1}") == 0


@pytest.mark.parametrize(
    "action",
    [
        {"type": "rebuild", "image": "debian-12-x64"},
        {"type": "restore", "image": "7555620"},
        {"type": "resize", "size": "s-2vcpu-4gb", "disk": True},
    ],
)
async def test_protected_droplets_cannot_be_rebuilt_restored_or_disk_resized(sandbox, action):
    protect(sandbox, APP_1)
    async with connect(sandbox, confirm="never") as client:
        error = await call_error(client, "droplet_action", droplet_id=APP_1, **action)
    assert "protected" in error
    assert sandbox.world.count("POST", f"/v2/droplets/{APP_1}/actions") == 0


async def test_protected_droplets_can_still_be_powered_off_with_confirmation(sandbox):
    protect(sandbox, APP_1)
    async with connect(sandbox, confirm="never") as client:
        await call_ok(client, "droplet_action", droplet_id=APP_1, type="power_off")


async def test_the_protected_tag_name_is_configurable(sandbox):
    sandbox.world.droplets[APP_1].tags.append("keep")
    async with connect(sandbox, confirm="never", protected_tag="keep") as client:
        assert "'keep'" in await call_error(client, "droplet_delete", droplet_id=APP_1)


async def test_bulk_operations_over_the_limit_are_refused(sandbox, era):
    async with connect(sandbox, era, confirm="never", bulk_limit=1) as client:
        error = await call_error(client, "droplet_delete", tag_name="web")
        assert "2 resources, over the limit of 1" in error
        action = await call_error(client, "droplet_action", tag_name="web", type="power_off")
        assert "over the limit" in action
    assert sandbox.world.count("DELETE", f"/v2/droplets/{APP_1}") == 0


async def test_creates_show_their_cost_and_respect_the_cost_limit(sandbox, era):
    async with connect(sandbox, era, confirm="never", max_monthly_cost=10) as client:
        one = await call_ok(client, "droplet_create", name="cheap-1", **CREATE)
        assert one["cost"]["monthly_usd"] == 6.0 and one["cost"]["hourly_usd"] > 0
        error = await call_error(client, "droplet_create", names=["a-1", "a-2"], **CREATE)
    assert "$12.00/month" in error and "--max-monthly-cost" in error
    assert sandbox.world.count("POST", "/v2/droplets") == 1


async def test_backups_are_daily_by_default_at_thirty_percent_and_weekly_at_twenty(sandbox):
    """As the API does: backups without a policy get the daily plan (priced as such)."""
    async with connect(sandbox, confirm="never") as client:
        daily = await call_ok(client, "droplet_create", name="b-1", backups=True, **CREATE)
        weekly = await call_ok(client, "droplet_create", name="b-2", backup_plan="weekly", **CREATE)
    assert daily["cost"]["monthly_usd"] == 7.8 and "daily backups (30%)" in daily["cost"]["detail"]
    assert weekly["cost"]["monthly_usd"] == 7.2
    plans = {
        d.name: d.backup_policy["plan"] for d in sandbox.world.droplets.values() if d.backup_policy
    }
    assert plans["b-1"] == "daily" and plans["b-2"] == "weekly"


async def test_resize_shows_the_price_difference_and_respects_the_limit(sandbox):
    async with connect(sandbox, confirm="never", max_monthly_cost=10) as client:
        await call_ok(client, "droplet_action", droplet_id=APP_1, type="power_off")
        error = await call_error(
            client, "droplet_action", droplet_id=APP_1, type="resize", size="s-4vcpu-8gb"
        )
        assert "+$42.00/month" in error or "$42.00/month" in error
        ok = await call_ok(
            client, "droplet_action", droplet_id=APP_1, type="resize", size="s-1vcpu-2gb"
        )
    assert ok["cost"]["monthly_usd"] == 6.0


async def test_balance_shows_the_run_rate(sandbox):
    async with connect(sandbox) as client:
        item = (await call_ok(client, "balance_get"))["item"]
    run_rate = item["run_rate"]
    droplets, volumes = run_rate["by_kind"]["droplets"], run_rate["by_kind"]["volumes"]
    assert droplets["count"] == 3 and volumes["count"] == 3 and volumes["estimate"]
    assert run_rate["monthly_usd"] == round(droplets["monthly_usd"] + volumes["monthly_usd"], 2)
    assert run_rate["monthly_usd"] > 0 and "month_to_date_usage" in item
