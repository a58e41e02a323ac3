"""VPCs: private networks per region, their members."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess
from ..registry import Access, Toolset
from ..trust import Plan, Target
from ._common import (
    UUID_PATTERN,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    fetch_list,
    list_result,
    pick,
)

TOOLSET = Toolset("vpcs", "VPCs: private networks, their members.", default=False)

LOOKUP = "vpc_list shows the ids"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")
MEMBERS_SHOWN = 50  # members a vpc_get or a refusal names
VpcId = Annotated[str, Field(pattern=UUID_PATTERN, description="VPC id (UUID).")]
Description = Annotated[str | None, Field(max_length=255, description="Free text.")]


def vpc_view(vpc: dict[str, Any]) -> dict[str, Any]:
    return pick(vpc, ("id", "name", "region", "ip_range", "default", "description", "created_at"))


def member_view(member: dict[str, Any]) -> dict[str, Any]:
    """``do:droplet:123`` -> ``{"kind": "droplet", "id": "123", "name": ...}``."""
    kind, _, resource_id = str(member.get("urn")).removeprefix("do:").partition(":")
    return pick(member, ("name",)) | {"kind": kind, "id": resource_id}


async def _get(do: DOAccess, vpc_id: str) -> dict[str, Any]:
    body = await do.call("vpcs.get", vpc_id=vpc_id, subject=f"VPC {vpc_id}", lookup_hint=LOOKUP)
    return body["vpc"]


async def _members(do: DOAccess, vpc_id: str) -> tuple[list[dict[str, Any]], int]:
    page = await do.list_page("vpcs.list_members", "members", per_page=MEMBERS_SHOWN, vpc_id=vpc_id)
    members = [member_view(member) for member in page.items]
    return members, page.total if page.total is not None else len(members)


def _listing(members: list[dict[str, Any]], total: int) -> str:
    shown = ", ".join(f"{m['kind']} {m.get('name', '?')} ({m['id']})" for m in members)
    return shown + (f" and {total - len(members)} more" if total > len(members) else "")


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def vpc_list(
    do: DOAccess, page: PageNumber = 1, per_page: PerPage = 50, detail: Detail = False
) -> ListResult:
    """List VPCs: id, name, region, IP range, whether it is the region's default."""
    found = await fetch_list(do, "vpcs.list", "vpcs", page=page, per_page=per_page, all_pages=False)
    return list_result(found, (lambda v: v) if detail else vpc_view, "VPCs")


@TOOLSET.tool(Access.READ)
async def vpc_get(do: DOAccess, vpc_id: VpcId) -> ItemResult:
    """One VPC with its members (droplets, load balancers, clusters, databases)."""
    vpc = await _get(do, vpc_id)
    members, total = await _members(do, vpc_id)
    item = vpc_view(vpc) | {"members": members, "member_count": total}
    return ItemResult(item=item).titled(f"VPC {vpc.get('name')}: {total} member(s).")


# -- create and change -----------------------------------------------------------------------


def _check_create(name: str, ip_range: str | None) -> None:
    if not NAME.fullmatch(name):
        raise ToolError(
            f"Invalid VPC name {name!r}: letters, digits, '.' and '-', at most 64 characters "
            "(e.g. prod-net)."
        )
    if ip_range is None:
        return
    try:
        network = ipaddress.ip_network(ip_range)
    except ValueError:
        raise ToolError(f"ip_range {ip_range!r} is not a CIDR range (e.g. 10.10.0.0/20).") from None
    if network.version != 4 or not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ToolError(
            f"ip_range {ip_range} must be a private IPv4 range from /16 to /24 (e.g. 10.10.0.0/20)."
        )


@TOOLSET.tool(Access.WRITE)
async def vpc_create(
    do: DOAccess,
    name: Annotated[str, Field(description="e.g. prod-net.")],
    region: Annotated[str, Field(min_length=2, description="Region slug, e.g. nyc3.")],
    ip_range: Annotated[
        str | None, Field(description="Private CIDR /16-/24, e.g. 10.10.0.0/20 (default: free).")
    ] = None,
    description: Description = None,
) -> ItemResult:
    """Create a VPC (free). Refuses a name in use."""
    _check_create(name, ip_range)
    existing = (await do.list_all("vpcs.list", "vpcs")).items
    same = next((vpc for vpc in existing if vpc.get("name") == name), None)
    if same:
        raise ToolError(
            f"A VPC named {name!r} already exists (id {same.get('id')}, {same.get('region')}); "
            "nothing was created. If an earlier create timed out, it is that one."
        )
    body = {"name": name, "region": region, "ip_range": ip_range, "description": description}
    created = await do.call(
        "vpcs.create",
        body={key: value for key, value in body.items() if value is not None},
        subject=f"VPC {name}",
        look_for=f"a VPC named {name!r} (vpc_list)",
    )
    vpc = created["vpc"]
    return ItemResult(item=vpc_view(vpc)).titled(
        f"Created VPC {name} ({vpc.get('id')}), {vpc.get('ip_range')} in {vpc.get('region')}."
    )


@TOOLSET.tool(Access.WRITE, idempotent=True)
async def vpc_update(
    do: DOAccess,
    vpc_id: VpcId,
    name: Annotated[str | None, Field(description="New name.")] = None,
    description: Description = None,
) -> ItemResult:
    """Rename a VPC or change its description; what is not given stays."""
    if name is None and description is None:
        raise ToolError("Give name and/or description to change; nothing was sent.")
    if name is not None:
        _check_create(name, None)
    before = await _get(do, vpc_id)
    given = (("name", name), ("description", description))  # "" clears the description
    body = {key: value for key, value in given if value is not None}
    updated = (await do.call("vpcs.patch", vpc_id=vpc_id, body=body, subject=f"VPC {vpc_id}"))[
        "vpc"
    ]
    changes = [f"{key}: {before.get(key)!r} -> {updated.get(key)!r}" for key in body]
    return ItemResult(item=vpc_view(updated)).titled(f"Updated VPC {vpc_id}: {'; '.join(changes)}.")


# -- delete ----------------------------------------------------------------------------------


async def plan_vpc_delete(do: DOAccess, vpc_id: str, **_: Any) -> Plan:
    vpc = await _get(do, vpc_id)
    name = vpc.get("name")
    if vpc.get("default"):
        raise ToolError(
            f"VPC {name} is the default VPC of {vpc.get('region')}; DigitalOcean does not delete "
            "a region's default VPC. Nothing was deleted."
        )
    members, total = await _members(do, vpc_id)
    if total:
        raise ToolError(
            f"VPC {name} still has {total} member(s): {_listing(members, total)}. Nothing was "
            "deleted; move or delete them first."
        )
    return Plan(
        "delete",
        "delete",
        (Target("VPC", vpc_id, str(name)),),
        extra=f"Its range {vpc.get('ip_range')} is freed.",
        requests=(("vpcs.delete", {"vpc_id": vpc_id}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_vpc_delete)
async def vpc_delete(do: DOAccess, vpc_id: VpcId, plan: Plan | None = None) -> ItemResult:
    """Delete an empty VPC (refused, naming them, while it has members)."""
    plan = plan or await plan_vpc_delete(do, vpc_id)
    await do.call("vpcs.delete", vpc_id=vpc_id, subject=f"VPC {vpc_id}", lookup_hint=LOOKUP)
    name = plan.targets[0].name
    return ItemResult(item={"id": vpc_id, "name": name, "deleted": True}).titled(
        f"VPC {name} ({vpc_id}) deleted."
    )
