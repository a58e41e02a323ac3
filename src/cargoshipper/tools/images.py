"""Images: distributions, 1-Click applications, and the account's own snapshots and backups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess
from ..registry import Access, Toolset
from ..trust import Plan, Target
from ._common import (
    AllPages,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    fetch_list,
    list_result,
    pick,
)

TOOLSET = Toolset("images", "Images: distributions, 1-Click apps, snapshots and backups.")

ImageId = Annotated[int, Field(ge=1, description="Numeric image id, e.g. 7555620.")]
LOOKUP = "image_list shows the ids and slugs"

IMAGE_FIELDS = (
    "id",
    "slug",
    "name",
    "distribution",
    "type",
    "public",
    "status",
    "min_disk_size",
    "size_gigabytes",
    "regions",
    "tags",
    "created_at",
    "description",
)


def image_view(image: dict[str, Any]) -> dict[str, Any]:
    return pick(image, IMAGE_FIELDS)


@TOOLSET.tool(Access.READ)
async def image_list(
    do: DOAccess,
    kind: Annotated[
        Literal["distribution", "application", "private", "all"],
        Field(
            description="distribution: OS images; application: 1-Click apps; "
            "private: the account's snapshots, backups and custom images."
        ),
    ] = "distribution",
    page: PageNumber = 1,
    per_page: PerPage = 50,
    all_pages: AllPages = False,
    detail: Detail = False,
) -> ListResult:
    """List images of one kind. Use a slug (e.g. ubuntu-24-04-x64) or id as droplet_create's
    image."""
    filters: dict[str, Any] = {}
    if kind == "private":
        filters["private"] = True
    elif kind != "all":
        filters["type"] = kind
    found = await fetch_list(
        do, "images.list", "images", page=page, per_page=per_page, all_pages=all_pages, **filters
    )
    return list_result(found, (lambda i: i) if detail else image_view, f"{kind} images")


@TOOLSET.tool(Access.READ)
async def image_get(
    do: DOAccess,
    image: Annotated[
        str, Field(min_length=1, description="Image id or slug, e.g. ubuntu-24-04-x64.")
    ],
    detail: Detail = False,
) -> ItemResult:
    """Show one image by id or public slug."""
    image_ref: int | str = int(image) if image.isdigit() else image
    found = (
        await do.call(
            "images.get", image_id=image_ref, subject=f"image {image}", lookup_hint=LOOKUP
        )
    )["image"]
    item = found if detail else image_view(found)
    return ItemResult(item=item).titled(f"Image {found.get('id')} {found.get('name')}.")


@TOOLSET.tool(Access.WRITE, idempotent=True)
async def image_update(
    do: DOAccess,
    image_id: ImageId,
    name: Annotated[str | None, Field(min_length=1, description="New name.")] = None,
    description: Annotated[str | None, Field(description="New description.")] = None,
    distribution: Annotated[str | None, Field(description="Distribution, e.g. Ubuntu.")] = None,
) -> ItemResult:
    """Rename a private image (snapshot, backup or custom image), or change its description
    or distribution."""
    changes = {
        key: value
        for key, value in {
            "name": name,
            "description": description,
            "distribution": distribution,
        }.items()
        if value is not None
    }
    if not changes:
        raise ToolError("Nothing to change: give name, description or distribution.")
    updated = (
        await do.call(
            "images.update",
            image_id=image_id,
            body=changes,
            subject=f"image {image_id}",
            lookup_hint=LOOKUP,
        )
    )["image"]
    return ItemResult(item=image_view(updated)).titled(f"Image {image_id} updated.")


async def image_target(do: DOAccess, image_id: int) -> Target:
    """An image as a guard target: its name, and its tags for the protection rule."""
    image = (
        await do.call(
            "images.get", image_id=image_id, subject=f"image {image_id}", lookup_hint=LOOKUP
        )
    )["image"]
    return Target("image", image_id, image.get("name", ""), tuple(image.get("tags") or ()))


async def plan_image_delete(do: DOAccess, image_id: int, **_: Any) -> Plan:
    target = await image_target(do, image_id)
    return Plan(
        "delete",
        "delete",
        (target,),
        extra="Droplets can no longer be made from it.",
        requests=(("images.delete", {"image_id": image_id}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_image_delete)
async def image_delete(do: DOAccess, image_id: ImageId) -> ItemResult:
    """Delete a private image (snapshot, backup or custom image) for good."""
    await do.call(
        "images.delete", image_id=image_id, subject=f"image {image_id}", lookup_hint=LOOKUP
    )
    return ItemResult(item={"id": image_id, "deleted": True}).titled(f"Image {image_id} deleted.")
