"""Account, balance, and the catalog, through an MCP client against the sandbox."""

from __future__ import annotations

import pytest

from helpers import call_ok

pytestmark = pytest.mark.anyio


async def test_account_get_shows_identity_limits_and_rate_budget(client):
    item = (await call_ok(client, "account_get"))["item"]
    assert item["email"] == "sammy@example.com"
    assert item["status"] == "active"
    assert item["droplet_limit"] >= 1
    assert item["rate_limit"]["remaining"] < item["rate_limit"]["limit"]


async def test_balance_get_reads_top_level_fields(client):
    item = (await call_ok(client, "balance_get"))["item"]
    assert {"month_to_date_usage", "account_balance", "generated_at"} <= set(item)


async def test_region_list_is_compact(client):
    result = await call_ok(client, "region_list")
    slugs = {region["slug"] for region in result["items"]}
    assert {"nyc3", "fra1"} <= slugs
    assert result["has_more"] is False
    assert all("sizes" not in region for region in result["items"])


async def test_size_list_filters_and_sorts_by_price(client):
    result = await call_ok(
        client, "size_list", region="nyc3", min_vcpus=2, min_memory_gb=4, max_price_monthly=50
    )
    sizes = result["items"]
    assert sizes, "expected at least s-2vcpu-4gb"
    assert all(s["vcpus"] >= 2 and s["memory_gb"] >= 4 and s["price_monthly"] <= 50 for s in sizes)
    prices = [s["price_monthly"] for s in sizes]
    assert prices == sorted(prices)
    assert "price_hourly" in sizes[0]


async def test_size_list_unfiltered_has_cheapest_first(client):
    sizes = (await call_ok(client, "size_list"))["items"]
    assert sizes[0]["price_monthly"] == min(s["price_monthly"] for s in sizes)


async def test_ssh_key_list_hides_public_keys_unless_detail(client):
    compact = (await call_ok(client, "ssh_key_list"))["items"]
    assert compact and all("public_key" not in key for key in compact)
    full = (await call_ok(client, "ssh_key_list", detail=True))["items"]
    assert all("public_key" in key for key in full)
