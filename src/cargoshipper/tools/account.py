"""Account and balance."""

from __future__ import annotations

from ..access import DOAccess
from ..registry import Access, Toolset
from ._common import ItemResult, Result, pick

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
async def balance_get(do: DOAccess) -> Result:
    """Show the balance in USD: month-to-date usage and balance, the account balance, and
    when DigitalOcean computed them."""
    balance = await do.call("balance.get")
    item = pick(
        balance,
        ("month_to_date_usage", "month_to_date_balance", "account_balance", "generated_at"),
    )
    usage = item.get("month_to_date_usage", "?")
    return ItemResult(item=item).titled(f"Month-to-date usage ${usage}.")
