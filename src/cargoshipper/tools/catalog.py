"""The catalog: regions, sizes with prices, SSH keys. What a create needs to choose from."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..access import DOAccess
from ..registry import Access, Toolset
from ._common import Detail, ListResult, list_result, pick

TOOLSET = Toolset("catalog", "Regions, sizes and prices, SSH keys: what a create chooses from.")

RegionSlug = Annotated[
    str | None, Field(pattern=r"^[a-z]{3}\d$", description="Only sizes offered here, e.g. nyc3.")
]


def _whole(items: list[dict[str, Any]]) -> ListResult:
    """A complete, unpaginated list (the catalog is small)."""
    return ListResult(
        items=items, total=len(items), page=1, per_page=len(items), has_more=False, next_page=None
    )


@TOOLSET.tool(Access.READ)
async def region_list(
    do: DOAccess,
    include_unavailable: Annotated[bool, Field(description="Also list full regions.")] = False,
) -> ListResult:
    """List regions (slug, name, features) where resources can be created. Sizes per region:
    use size_list with region."""
    page = await do.list_all("regions.list", "regions")
    regions = [
        pick(region, ("slug", "name", "available", "features"))
        for region in page.items
        if include_unavailable or region.get("available")
    ]
    return _whole(regions).titled(f"{len(regions)} regions.")


def _size_view(size: dict[str, Any]) -> dict[str, Any]:
    view = pick(
        size, ("slug", "vcpus", "disk", "transfer", "price_monthly", "price_hourly", "description")
    )
    view["memory_gb"] = round(size.get("memory", 0) / 1024, 2)
    return view


@TOOLSET.tool(Access.READ)
async def size_list(
    do: DOAccess,
    region: RegionSlug = None,
    min_vcpus: Annotated[int | None, Field(ge=1, description="At least this many vCPUs.")] = None,
    min_memory_gb: Annotated[float | None, Field(gt=0, description="At least this RAM.")] = None,
    max_price_monthly: Annotated[
        float | None, Field(gt=0, description="At most this USD per month.")
    ] = None,
    detail: Detail = False,
) -> ListResult:
    """List droplet sizes with vCPUs, memory, disk (GB), transfer (TB) and USD prices per month
    and hour, cheapest first. Filter by region availability, minimum vCPUs/memory, maximum price."""
    page = await do.list_all("sizes.list", "sizes")

    def fits(size: dict[str, Any]) -> bool:
        return (
            size.get("available", True)
            and (region is None or region in size.get("regions", []))
            and (min_vcpus is None or size.get("vcpus", 0) >= min_vcpus)
            and (min_memory_gb is None or size.get("memory", 0) >= min_memory_gb * 1024)
            and (max_price_monthly is None or size.get("price_monthly", 0) <= max_price_monthly)
        )

    sizes = sorted(filter(fits, page.items), key=lambda size: size.get("price_monthly", 0))
    items = sizes if detail else [_size_view(size) for size in sizes]
    where = f" in {region}" if region else ""
    return _whole(items).titled(f"{len(items)} sizes{where}, cheapest first.")


@TOOLSET.tool(Access.READ)
async def ssh_key_list(do: DOAccess, detail: Detail = False) -> ListResult:
    """List the account's SSH keys (id, name, fingerprint). Pass ids or fingerprints to
    droplet_create's ssh_keys. detail adds the public keys."""
    page = await do.list_all("ssh_keys.list", "ssh_keys")
    view = (lambda key: key) if detail else (lambda key: pick(key, ("id", "name", "fingerprint")))
    return list_result(page, view, "SSH keys")
