"""Account and balance."""

from __future__ import annotations

from typing import Any

from ..access import DOAccess
from ..registry import Access, Toolset
from ._common import ItemResult, pick
from .droplets import BACKUP_SHARE

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
        item["rate_limit"] = pick(reading.__dict__, ("limit", "remaining", "reset"))
    return ItemResult(item=item).titled(f"Account {item.get('email')} is {item.get('status')}.")


@TOOLSET.tool(Access.READ)
async def balance_get(do: DOAccess) -> ItemResult:
    """Show money in USD: month-to-date usage and balance, the account balance, and the run
    rate: what the droplets it can see cost per month (backups included)."""
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
    """The monthly and hourly cost of the resources the tools can see, by kind."""
    droplets = (await do.list_all("droplets.list", "droplets")).items
    monthly = hourly = 0.0
    for droplet in droplets:
        size = droplet.get("size") or {}
        factor = 1 + BACKUP_SHARE if "backups" in (droplet.get("features") or []) else 1
        monthly += size.get("price_monthly", 0) * factor
        hourly += size.get("price_hourly", 0) * factor
    return {
        "monthly_usd": round(monthly, 2),
        "hourly_usd": round(hourly, 5),
        "by_kind": {"droplets": {"count": len(droplets), "monthly_usd": round(monthly, 2)}},
    }
