"""Block storage volumes and their snapshots: list, inspect, create, attach/detach/resize/snapshot,
delete (a volume by id or by name and region, or a volume snapshot)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal, NoReturn

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess, DOError
from ..registry import Access, Toolset
from ..trust import Plan, Target, pricing
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    ActionResult,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    Wait,
    WaitTimeout,
    action_view,
    compact,
    fetch_list,
    list_result,
    pick,
    require_one,
    unfinished_message,
)
from .projects import ProjectChoice, chosen_project, put_in_project, urn

TOOLSET = Toolset("volumes", "Block storage volumes: create, attach, resize, snapshot, delete.")

LOOKUP = "volume_list shows the ids"
NAME = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
LABEL_LIMIT = {"ext4": 16, "xfs": 12}
MAX_GIB = 16 * 1024

TAG = re.compile(TAG_PATTERN)
VolumeId = Annotated[str, Field(pattern=UUID_PATTERN, description="Volume id (UUID).")]
SNAPSHOT_LOOKUP = "volume_list kind=snapshots shows the ids"


# -- views -----------------------------------------------------------------------------------


def volume_summary(volume: dict[str, Any]) -> dict[str, Any]:
    """One line per volume in lists."""
    return compact(
        {
            "id": volume.get("id"),
            "name": volume.get("name"),
            "region": (volume.get("region") or {}).get("slug"),
            "size_gigabytes": volume.get("size_gigabytes"),
            "droplet_ids": volume.get("droplet_ids"),
            "tags": volume.get("tags"),
        }
    )


def volume_view(volume: dict[str, Any]) -> dict[str, Any]:
    """One volume: the summary plus label, description, creation time and price estimate."""
    size = volume.get("size_gigabytes") or 0
    return compact(
        {
            **volume_summary(volume),
            "filesystem_type": volume.get("filesystem_type"),
            "filesystem_label": volume.get("filesystem_label"),
            "description": volume.get("description"),
            "created_at": volume.get("created_at"),
            "price_monthly_estimate": round(pricing.gib_cost(size, "volume").monthly, 2),
        }
    )


def snapshot_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """One volume snapshot; resource_id is the volume it was taken of (which may be gone)."""
    keys = ("id", "name", "resource_id", "regions", "min_disk_size", "size_gigabytes")
    return pick(snapshot, (*keys, "created_at", "tags"))


async def _get(do: DOAccess, volume_id: str) -> dict[str, Any]:
    body = await do.call(
        "volumes.get", volume_id=volume_id, subject=f"volume {volume_id}", lookup_hint=LOOKUP
    )
    return body["volume"]


def _attached(volume: dict[str, Any]) -> str:
    ids = volume.get("droplet_ids") or []
    return f"droplet {', '.join(map(str, ids))}" if ids else "no droplet"


def _target(volume: dict[str, Any]) -> Target:
    return Target("volume", volume["id"], volume.get("name", ""), tuple(volume.get("tags") or ()))


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def volume_list(
    do: DOAccess,
    region: Annotated[str | None, Field(description="Region slug, e.g. nyc3.")] = None,
    name: Annotated[str | None, Field(description="Exact volume name.")] = None,
    kind: Annotated[
        Literal["volumes", "snapshots"], Field(description="What to list.")
    ] = "volumes",
    volume_id: Annotated[
        str | None, Field(pattern=UUID_PATTERN, description="kind=snapshots: this volume's.")
    ] = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    detail: Detail = False,
) -> ListResult:
    """List volumes: id, name, region, GiB, attached droplet_ids, tags. kind=snapshots: volume
    snapshots (resource_id: their volume, maybe deleted)."""
    if kind == "snapshots":
        if region or name:
            raise ToolError("region and name filter volumes; for snapshots give volume_id.")
        operation, filters = "snapshots.list", {"resource_type": "volume"}
        if volume_id:
            operation, filters = "volume_snapshots.list", {"volume_id": volume_id}
        found = await fetch_list(
            do, operation, "snapshots", page=page, per_page=per_page, all_pages=False, **filters
        )
        return list_result(found, (lambda s: s) if detail else snapshot_view, "volume snapshots")
    if volume_id:
        raise ToolError("volume_id lists a volume's snapshots: add kind=snapshots.")
    found = await fetch_list(
        do,
        "volumes.list",
        "volumes",
        page=page,
        per_page=per_page,
        all_pages=False,  # per_page 200 covers an account's volume limit (100 by default)
        region=region,
        name=name,
    )
    return list_result(found, (lambda v: v) if detail else volume_summary, "volumes")


@TOOLSET.tool(Access.READ)
async def volume_get(do: DOAccess, volume_id: VolumeId, detail: Detail = False) -> ItemResult:
    """One volume: size, region, filesystem, droplet_ids, tags, estimated price."""
    volume = await _get(do, volume_id)
    return ItemResult(item=volume if detail else volume_view(volume)).titled(
        f"Volume {volume.get('name')}: {volume.get('size_gigabytes')} GiB, "
        f"attached to {_attached(volume)}."
    )


# -- create ----------------------------------------------------------------------------------


def _check_size(size: int | None) -> None:
    if size is not None and not 1 <= size <= MAX_GIB:
        raise ToolError(f"size_gigabytes must be from 1 to {MAX_GIB} (16 TiB); got {size}.")


def _create_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request body for volume_create's arguments; bad input raises ToolError."""
    name, kind, label = (arguments.get(k) for k in ("name", "filesystem_type", "filesystem_label"))
    if not NAME.fullmatch(name or ""):
        raise ToolError(
            f"Invalid volume name {name!r}: lowercase letters, digits and '-', starting with a "
            "letter, at most 64 characters (e.g. app-data)."
        )
    size, tags = arguments.get("size_gigabytes"), arguments.get("tags") or []
    _check_size(size)
    bad = [tag for tag in tags if not TAG.fullmatch(tag)]
    if bad:
        raise ToolError(f"Invalid tag {bad[0]!r}: use letters, digits, '_', ':' or '-'.")
    if label and not kind:
        raise ToolError("filesystem_label needs filesystem_type (ext4 or xfs).")
    if kind and label and len(label) > LABEL_LIMIT[kind]:
        raise ToolError(f"An {kind} filesystem_label has at most {LABEL_LIMIT[kind]} characters.")
    fields = ("name", "region", "size_gigabytes", "filesystem_type", "filesystem_label")
    fields += ("snapshot_id", "description", "tags")
    return {key: arguments[key] for key in fields if arguments.get(key) not in (None, "", [])}


async def plan_volume_create(do: DOAccess, **arguments: Any) -> Plan:
    body = _create_body(arguments)
    await _refuse_if_taken(do, body["name"], body["region"])  # before anyone is asked
    await chosen_project(do, arguments.get("project"))
    if "snapshot_id" in body:
        snapshot = (
            await do.call(
                "volume_snapshots.get_by_id",
                snapshot_id=body["snapshot_id"],
                subject=f"volume snapshot {body['snapshot_id']}",
            )
        )["snapshot"]
        if body["region"] not in snapshot.get("regions", [body["region"]]):
            raise ToolError(
                f"The snapshot is in {', '.join(snapshot['regions'])}; use that region."
            )
        if body["size_gigabytes"] < snapshot.get("min_disk_size", 0):
            raise ToolError(f"The snapshot needs size_gigabytes >= {snapshot['min_disk_size']}.")
    size = body["size_gigabytes"]
    return Plan(
        "create",
        "create",
        (Target("volume", "new", body["name"]),),
        destructive=False,
        cost=pricing.gib_cost(size, f"{size} GiB"),
        requests=(("volumes.create", {"body": body}),),
    )


@TOOLSET.tool(Access.WRITE, costs_money=True, plan=plan_volume_create)
async def volume_create(
    do: DOAccess,
    name: Annotated[str, Field(description="e.g. app-data (a-z, 0-9, -).")],
    region: Annotated[str, Field(description="Region slug, e.g. nyc3.")],
    size_gigabytes: Annotated[int, Field(description="GiB, 1-16384.")],
    filesystem_type: Annotated[
        Literal["ext4", "xfs"] | None, Field(description="Format it (else raw).")
    ] = None,
    filesystem_label: Annotated[
        str | None, Field(description="Label: ext4 16, xfs 12 chars max.")
    ] = None,
    snapshot_id: Annotated[str | None, Field(description="Restore this volume snapshot.")] = None,
    description: Annotated[str | None, Field(description="Free text.")] = None,
    tags: Annotated[list[str] | None, Field(description="e.g. ['db'].")] = None,
    project: ProjectChoice = None,
) -> ActionResult:
    """Create a volume; about $0.10/GiB-month (published price, not from the API)."""
    body = _create_body(locals())
    place = await chosen_project(do, project)
    await _refuse_if_taken(do, name, region)
    try:
        created = await do.call(
            "volumes.create",
            body=body,
            subject=f"volume {name}",
            look_for=f"a volume named {name!r} (volume_list name={name} region={region})",
        )
    except DOError as error:
        if error.status != 409:
            raise
        _refuse_existing(name, region, None)
    created = created["volume"]
    view = volume_view(created)
    message = f"Created volume {view['name']} ({view['id']}), {view.get('size_gigabytes')} GiB."
    result = ActionResult(done=True, actions=[], resources=[view], message=message)
    return await put_in_project(do, place, [urn("volume", view["id"])], result.titled(message))


async def _refuse_if_taken(do: DOAccess, name: str, region: str) -> None:
    found = await do.list_page("volumes.list", "volumes", name=name, region=region)
    same = [
        v
        for v in found.items
        if v.get("name") == name and (v.get("region") or {}).get("slug") == region
    ]
    if same:
        _refuse_existing(name, region, same[0].get("id"))


def _refuse_existing(name: str, region: str, volume_id: str | None) -> NoReturn:
    which = f" (id {volume_id})" if volume_id else f" (volume_list name={name} shows it)"
    raise ToolError(
        f"A volume named {name!r} already exists in {region}{which}; nothing was created. "
        "If an earlier create timed out, it is that one."
    )


# -- actions ---------------------------------------------------------------------------------

ActionType = Literal["attach", "detach", "resize", "snapshot"]
#: The extra parameter each action type takes, and whether it is required.
ACTION_PARAMETERS: dict[str, dict[str, bool]] = {
    "attach": {"droplet_id": True},
    "detach": {"droplet_id": False},
    "resize": {"size_gigabytes": True},
    "snapshot": {"name": False},
}


def _check_action(kind: str, given: dict[str, Any]) -> None:
    allowed = ACTION_PARAMETERS[kind]
    extra = sorted(key for key, value in given.items() if value is not None and key not in allowed)
    if extra:
        raise ToolError(f"{', '.join(extra)} does not apply to {kind}.")
    missing = [key for key, required in allowed.items() if required and given.get(key) is None]
    if missing:
        raise ToolError(f"{kind} needs {', '.join(missing)}.")
    _check_size(given.get("size_gigabytes"))
    if given.get("droplet_id") is not None and given["droplet_id"] < 1:
        raise ToolError("droplet_id must be a droplet's id (droplet_list shows them).")


async def plan_volume_action(
    do: DOAccess,
    type: str,
    volume_id: str,
    droplet_id: int | None = None,
    size_gigabytes: int | None = None,
    name: str | None = None,
    **_: Any,
) -> Plan:
    _check_action(type, {"droplet_id": droplet_id, "size_gigabytes": size_gigabytes, "name": name})
    volume = await _get(do, volume_id)
    target, notes = _target(volume), {"region": (volume.get("region") or {}).get("slug")}
    if notes["region"] is None:
        del notes["region"]
    attached = volume.get("droplet_ids") or []
    if type == "detach":
        if not attached or (droplet_id is not None and droplet_id not in attached):
            other = f", not {droplet_id}" if attached else ""
            raise ToolError(
                f"Volume {target.name} is attached to {_attached(volume)}{other}; "
                "nothing was detached."
            )
        notes["droplet_id"] = droplet_id or attached[0]
        return Plan(
            "detach",
            "change",
            (target,),
            extra=f"Droplet {notes['droplet_id']} loses this disk at once (unmount it first).",
            notes=notes,
            requests=(_action(volume_id, type, notes),),
        )
    cost = None
    if type == "resize":
        old = volume.get("size_gigabytes") or 0
        if size_gigabytes <= old:
            raise ToolError(f"Volumes only grow: {target.name} is {old} GiB; give more than that.")
        cost = pricing.gib_cost(size_gigabytes - old, f"{old} -> {size_gigabytes} GiB")
    notes["droplet_id"] = droplet_id
    if type == "snapshot":
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        size = volume.get("size_gigabytes") or 0
        label = name or f"{target.name}-{stamp}"
        cost = pricing.gib_cost(size, f"snapshot of up to {size} GiB", "snapshot_gib_month")
        request = ("volume_snapshots.create", {"volume_id": volume_id, "body": {"name": label}})
        return Plan("snapshot", "create", (target,), False, cost=cost, requests=(request,))
    notes["size_gigabytes"] = size_gigabytes
    requests = (_action(volume_id, type, notes),)
    return Plan(type, "change", (target,), False, cost=cost, notes=notes, requests=requests)


def _action(volume_id: str, kind: str, notes: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The volume action request (attach, detach or resize) the plan will send."""
    body: dict[str, Any] = {"type": kind, **pick(notes, ("region",))}
    if kind == "resize":
        body["size_gigabytes"] = notes["size_gigabytes"]
    else:
        body["droplet_id"] = notes["droplet_id"]
    return "volume_actions.post_by_id", {"volume_id": volume_id, "body": body}


@TOOLSET.tool(Access.DESTRUCTIVE, costs_money=True, plan=plan_volume_action)
async def volume_action(
    do: DOAccess,
    type: Annotated[ActionType, Field(description="What to do.")],
    volume_id: VolumeId,
    droplet_id: Annotated[
        int | None, Field(description="attach: droplet, same region; detach: optional.")
    ] = None,
    size_gigabytes: Annotated[int | None, Field(description="resize: new GiB, larger.")] = None,
    name: Annotated[str | None, Field(description="snapshot: name (default: dated).")] = None,
    wait: Wait = True,
    timeout: WaitTimeout = 300,
    plan: Plan | None = None,
) -> ActionResult:
    """Act on a volume: attach to a droplet, detach (cuts it off the data), resize (grow
    only), snapshot."""
    plan = plan or await plan_volume_action(do, type, volume_id, droplet_id, size_gigabytes, name)
    about = {"subject": f"volume {volume_id}", "lookup_hint": LOOKUP}
    ((operation, request),) = plan.requests
    if type == "snapshot":
        body = await do.call(operation, **request, **about)
        snapshot = snapshot_view(body["snapshot"])
        message = f"Snapshot {snapshot['name']} ({snapshot['id']}) taken."
        return ActionResult(done=True, actions=[], resources=[snapshot], message=message).titled(
            message
        )
    if type == "attach":  # the volume exists (planned); a 404 now is about the droplet
        about = {"subject": f"droplet {droplet_id}", "lookup_hint": "droplet_list shows the ids"}
    action = (await do.call(operation, **request, **about))["action"]
    if not wait:
        message = f"{type} started (action {action['id']}); action_get shows when it is done."
        return ActionResult(
            done=False, actions=[action_view(action)], resources=[], message=message
        ).titled(message)
    waited = await do.wait_for_action(action["id"], timeout=timeout)
    finished = waited.value
    if finished.get("status") == "errored":
        raise ToolError(f"{type} failed (action {finished.get('id')} errored).")
    if not waited.done:
        message = unfinished_message([waited], type)
        resources = []
    else:
        volume = await _get(do, volume_id)
        message = f"{type} completed: {volume.get('name')} is {volume.get('size_gigabytes')} GiB, "
        message += f"attached to {_attached(volume)}."
        resources = [volume_view(volume)]
    return ActionResult(
        done=waited.done, actions=[action_view(finished)], resources=resources, message=message
    ).titled(message)


# -- delete ----------------------------------------------------------------------------------


def _refuse_attached(volume: dict[str, Any]) -> None:
    if volume.get("droplet_ids"):
        raise ToolError(
            f"Volume {volume.get('name')} is attached to {_attached(volume)}; nothing was "
            "deleted. Detach it first (volume_action type=detach), then delete it."
        )


async def plan_volume_delete(
    do: DOAccess,
    volume_id: str | None = None,
    snapshot_id: str | None = None,
    name: str | None = None,
    region: str | None = None,
    **_: Any,
) -> Plan:
    """One of: a volume by id, a volume by name and region, a volume snapshot by id."""
    by_name = (name or region) and not (volume_id or snapshot_id)
    if by_name and not (name and region):
        raise ToolError("Deleting by name needs both name and region.")
    which, _value = require_one(volume_id=volume_id, snapshot_id=snapshot_id, name=name)
    if which == "snapshot_id":
        if region:
            raise ToolError("region goes with name; a snapshot is deleted by snapshot_id alone.")
        snapshot = (
            await do.call(
                "volume_snapshots.get_by_id",
                snapshot_id=snapshot_id,
                subject=f"volume snapshot {snapshot_id}",
                lookup_hint=SNAPSHOT_LOOKUP,
            )
        )["snapshot"]
        tags = tuple(snapshot.get("tags") or ())
        target = Target("volume snapshot", snapshot_id, snapshot.get("name", ""), tags)
        return Plan(
            "delete",
            "delete",
            (target,),
            extra="Its data is gone for good; volumes restored from it stay.",
            requests=(("volume_snapshots.delete_by_id", {"snapshot_id": snapshot_id}),),
        )
    if which == "volume_id":
        if region:
            raise ToolError("region goes with name; a volume_id alone names the volume.")
        volume = await _get(do, volume_id)
        _refuse_attached(volume)
        request = ("volumes.delete", {"volume_id": volume_id})
    else:
        found = await do.list_page("volumes.list", "volumes", name=name, region=region)
        named = [
            v
            for v in found.items
            if v.get("name") == name and (v.get("region") or {}).get("slug") == region
        ]
        if not named:
            raise ToolError(
                f"No volume named {name!r} in {region}; nothing was deleted "
                f"(volume_list region={region} shows its volumes)."
            )
        for volume in named:  # one: a name is unique in its region
            _refuse_attached(volume)
        volume = named[0]
        request = ("volumes.delete_by_name", {"name": name, "region": region})
    return Plan(
        "delete",
        "delete",
        (_target(volume),),
        extra="Its data is gone for good; its snapshots stay.",
        requests=(request,),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_volume_delete)
async def volume_delete(
    do: DOAccess,
    volume_id: Annotated[
        str | None, Field(pattern=UUID_PATTERN, description="Volume id (UUID).")
    ] = None,
    snapshot_id: Annotated[
        str | None, Field(pattern=UUID_PATTERN, description="Or a volume snapshot's id.")
    ] = None,
    name: Annotated[str | None, Field(description="Or the volume's name, with region.")] = None,
    region: Annotated[str | None, Field(description="Region slug of name.")] = None,
    plan: Plan | None = None,
) -> ItemResult:
    """Delete a detached volume and its data (snapshots stay): by id, or by name and region. Or
    delete a volume snapshot (snapshot_id)."""
    plan = plan or await plan_volume_delete(do, volume_id, snapshot_id, name, region)
    ((operation, request),) = plan.requests
    (target,) = plan.targets
    if operation == "volume_snapshots.delete_by_id":
        about = {"subject": f"volume snapshot {target.id}", "lookup_hint": SNAPSHOT_LOOKUP}
    else:
        about = {"subject": f"volume {target.name or target.id}", "lookup_hint": LOOKUP}
    await do.call(operation, **request, **about)
    return ItemResult(item={"id": target.id, "name": target.name, "deleted": True}).titled(
        f"{target.kind.capitalize()} {target.name} ({target.id}) deleted."
    )
