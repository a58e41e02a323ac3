"""The one price source: what a request adds to the monthly bill.

Droplet (and Kubernetes node) prices come from the API (``/v2/sizes``). Everything the API
does not price comes from ``PUBLISHED``, DigitalOcean's published prices, dated; costs built
from them are marked ``estimate``. The plans of the curated tools, the policy (for any
request, ``api_call`` included) and ``balance_get``'s run rate all price through here.
"""

from __future__ import annotations

from typing import Any

from ._plan import Cost

#: DigitalOcean's published prices in USD (digitalocean.com/pricing, as of 2026-11).
PUBLISHED_AS_OF = "2026-11"
PUBLISHED: dict[str, float] = {
    "volume_gib_month": 0.10,  # block storage
    "snapshot_gib_month": 0.06,  # droplet and volume snapshots
    "kubernetes_ha_month": 40.0,  # HA control plane
    "load_balancer_node_month": 12.0,  # regional load balancer, per node
    "reserved_ip_month": 5.0,  # an IPv4 reserved IP (charged while unassigned)
}
#: Managed database node prices (published), by size slug; per node and month.
DATABASE_NODE_MONTH: dict[str, float] = {
    "db-s-1vcpu-1gb": 15.0,
    "db-s-1vcpu-2gb": 30.0,
    "db-s-2vcpu-4gb": 60.0,
    "db-s-4vcpu-8gb": 120.0,
    "db-s-6vcpu-16gb": 240.0,
    "db-s-8vcpu-32gb": 480.0,
    "db-s-16vcpu-64gb": 960.0,
}
#: Nodes of the deprecated load balancer ``size`` slugs (regions without ``size_unit``: ams2,
#: nyc2, sfo1).
LOAD_BALANCER_SIZE_NODES = {"lb-small": 1, "lb-medium": 3, "lb-large": 6}
HOURS_PER_MONTH = 672  # DigitalOcean bills at most 672 hours (28 days) a month
#: Droplet backups cost a share of the droplet's price: weekly 20 %, daily 30 % (published,
#: same date). Daily is what the API sets up when backups are on and no policy is sent.
BACKUP_SHARES = {"weekly": 0.2, "daily": 0.3}
DEFAULT_BACKUP_PLAN = "daily"


def published(monthly: float, detail: str) -> Cost:
    """A cost from the published price table (an estimate)."""
    return Cost(
        monthly=monthly,
        hourly=monthly / HOURS_PER_MONTH,
        detail=f"{detail} (published price, {PUBLISHED_AS_OF})",
        estimate=True,
    )


def gib_cost(gigabytes: float, detail: str, kind: str = "volume_gib_month") -> Cost:
    """Block storage or snapshot storage of ``gigabytes``."""
    price = PUBLISHED[kind]
    return published(gigabytes * price, f"{detail} at ${price:.2f}/GiB-month")


def backup_plan(body: dict[str, Any]) -> str:
    """The backup plan a droplet create or ``enable_backups`` body sets up."""
    return (body.get("backup_policy") or {}).get("plan") or DEFAULT_BACKUP_PLAN


def size_cost(size: dict[str, Any], count: int, backups: str | None = None) -> Cost:
    """``count`` droplets (or nodes) of a ``/v2/sizes`` object, with ``backups`` (a plan:
    daily +30 %, weekly +20 %) or none."""
    share = BACKUP_SHARES.get(backups or "", 0.0)
    factor = count * (1 + share)
    extra = f" + {backups} backups ({share:.0%})" if backups else ""
    return Cost(
        monthly=size["price_monthly"] * factor,
        hourly=size["price_hourly"] * factor,
        detail=f"{count} x {size['slug']} at ${size['price_monthly']:.2f}/month{extra}",
    )


def size_change(old: dict[str, Any], new: dict[str, Any], count: int = 1) -> Cost:
    """Moving ``count`` droplets from size ``old`` to ``new``."""
    return Cost(
        monthly=(new["price_monthly"] - old["price_monthly"]) * count,
        hourly=(new["price_hourly"] - old["price_hourly"]) * count,
        detail=f"{old['slug']} ${old['price_monthly']:.2f}/month -> "
        f"{new['slug']} ${new['price_monthly']:.2f}/month" + (f" x {count}" if count > 1 else ""),
    )


def database_cost(size: str, nodes: int) -> Cost | None:
    price = DATABASE_NODE_MONTH.get(size)
    if price is None:
        return None
    return published(price * nodes, f"{nodes} x {size} at ${price:.2f}/month")


def load_balancer_nodes(lb: dict[str, Any]) -> int:
    """A load balancer's nodes, or a create or PUT body's: ``size_unit``, else the legacy
    ``size`` slug's (lb-small 1, lb-medium 3, lb-large 6), else 1 (what the API sets when
    neither is given)."""
    return int(lb.get("size_unit") or LOAD_BALANCER_SIZE_NODES.get(str(lb.get("size")), 1))


def load_balancer_cost(nodes: int, detail: str) -> Cost:
    """``nodes`` load balancer nodes more (negative: fewer); ``detail`` says which."""
    price = PUBLISHED["load_balancer_node_month"]
    return published(nodes * price, f"{detail} at ${price:.2f}/node-month")


def total(costs: list[Cost]) -> Cost:
    """Several costs as one."""
    return Cost(
        monthly=sum(c.monthly for c in costs),
        hourly=sum(c.hourly for c in costs),
        detail="; ".join(c.detail for c in costs),
        estimate=any(c.estimate for c in costs),
    )
