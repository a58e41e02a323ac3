"""Account and balance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..access import DOAccess
from ..registry import Access, Toolset
from ..trust import pricing
from ._common import ItemResult, pick

TOOLSET = Toolset("account", "The account: who it is, its limits, its balance.")

ACCOUNT_FIELDS = (
    "email",
    "status",
    "status_message",
    "email_verified",
    "uuid",
    "droplet_limit",
    "volume_limit",
    "floating_ip_limit",
)


@TOOLSET.tool(Access.READ)
async def account_get(do: DOAccess) -> ItemResult:
    """Show the account the token belongs to: email, status, team, resource limits, and the
    API rate-limit budget left. Use first to check the token works."""
    account = (await do.call("account.get"))["account"]
    item = pick(account, ACCOUNT_FIELDS)
    if team := account.get("team"):
        item["team"] = team.get("name")
    if reading := do.rate_limit.last:
        item["rate_limit"] = pick(reading.__dict__, ("limit", "remaining"))
        if reading.reset is not None:
            reset = datetime.fromtimestamp(reading.reset, UTC)
            item["rate_limit"]["resets_at"] = reset.isoformat(timespec="seconds")
    return ItemResult(item=item).titled(f"Account {item.get('email')} is {item.get('status')}.")


@TOOLSET.tool(Access.READ)
async def balance_get(do: DOAccess) -> ItemResult:
    """Show money in USD: month-to-date usage and balance, the account balance, and the run
    rate: what its droplets and volumes cost per month."""
    balance = await do.call("balance.get")
    item = pick(
        balance,
        ("month_to_date_usage", "month_to_date_balance", "account_balance", "generated_at"),
    )
    item["run_rate"] = await run_rate(do)
    usage = item.get("month_to_date_usage", "?")
    monthly = item["run_rate"]["monthly_usd"]
    return ItemResult(item=item).titled(
        f"Month-to-date usage ${usage}; resources now cost ${monthly:.2f}/month."
    )


async def run_rate(do: DOAccess) -> dict[str, Any]:
    """The monthly and hourly cost of the resources the tools can see, by kind. Droplets (and
    so Kubernetes nodes, which are droplets) from their sizes' prices, backups included;
    volumes from the published per-GiB price (an estimate)."""
    droplets = (await do.list_all("droplets.list", "droplets")).items
    volumes = (await do.list_all("volumes.list", "volumes")).items
    kinds = {
        "droplets": [_droplet_price(droplet) for droplet in droplets],
        "volumes": [_volume_price(volume) for volume in volumes],
    }
    by_kind = {
        kind: {"count": len(prices), "monthly_usd": round(sum(m for m, _ in prices), 2)}
        for kind, prices in kinds.items()
    }
    by_kind["volumes"]["estimate"] = True
    every = [price for prices in kinds.values() for price in prices]
    return {
        "monthly_usd": round(sum(m for m, _ in every), 2),
        "hourly_usd": round(sum(h for _, h in every), 5),
        "by_kind": by_kind,
    }


def _droplet_price(droplet: dict[str, Any]) -> tuple[float, float]:
    backups = "backups" in (droplet.get("features") or [])  # plan unknown here: the default
    cost = pricing.size_cost(droplet["size"], 1, pricing.DEFAULT_BACKUP_PLAN if backups else None)
    return cost.monthly, cost.hourly


def _volume_price(volume: dict[str, Any]) -> tuple[float, float]:
    cost = pricing.gib_cost(volume.get("size_gigabytes", 0), "volume")
    return cost.monthly, cost.hourly
