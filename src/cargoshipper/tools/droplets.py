"""Droplets: list, inspect, create (waiting until active), act on, delete."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess, Waited
from ..registry import Access, Toolset
from ._common import (
    ActionResult,
    AllPages,
    Detail,
    DropletId,
    ItemResult,
    OptionalTagName,
    PageNumber,
    PerPage,
    Result,
    TagName,
    Wait,
    WaitTimeout,
    action_view,
    compact,
    fetch_list,
    list_result,
    require_one,
    unfinished_message,
)

TOOLSET = Toolset("droplets", "Droplets (virtual machines): list, create, power, resize, delete.")

LOOKUP = "droplet_list shows the ids"
HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?$")
MAX_USER_DATA = 64 * 1024
MAX_NAMES = 10


# -- views -----------------------------------------------------------------------------------


def _address(droplet: dict[str, Any], version: str, kind: str) -> str | None:
    for network in (droplet.get("networks") or {}).get(version, []):
        if network.get("type") == kind:
            return network.get("ip_address")
    return None


def droplet_view(droplet: dict[str, Any]) -> dict[str, Any]:
    """The fields an agent needs to decide its next step."""
    image = droplet.get("image") or {}
    size = droplet.get("size") or {}
    return compact(
        {
            "id": droplet.get("id"),
            "name": droplet.get("name"),
            "status": droplet.get("status"),
            "region": (droplet.get("region") or {}).get("slug"),
            "size": droplet.get("size_slug") or size.get("slug"),
            "vcpus": droplet.get("vcpus"),
            "memory_mb": droplet.get("memory"),
            "disk_gb": droplet.get("disk"),
            "image": image.get("slug") or image.get("name"),
            "public_ipv4": _address(droplet, "v4", "public"),
            "private_ipv4": _address(droplet, "v4", "private"),
            "ipv6": _address(droplet, "v6", "public"),
            "vpc_uuid": droplet.get("vpc_uuid"),
            "tags": droplet.get("tags"),
            "volume_ids": droplet.get("volume_ids"),
            "features": droplet.get("features"),
            "price_monthly": size.get("price_monthly"),
            "created_at": droplet.get("created_at"),
        }
    )


def _view(detail: bool):
    return (lambda droplet: droplet) if detail else droplet_view


async def _get(do: DOAccess, droplet_id: int) -> dict[str, Any]:
    body = await do.call(
        "droplets.get", droplet_id=droplet_id, subject=f"droplet {droplet_id}", lookup_hint=LOOKUP
    )
    return body["droplet"]


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def droplet_list(
    do: DOAccess,
    tag_name: OptionalTagName = None,
    name: Annotated[str | None, Field(description="Exact droplet name.")] = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    all_pages: AllPages = False,
    detail: Detail = False,
) -> Result:
    """List droplets (id, name, status, region, size, IPs, tags, price), optionally only those
    with a tag or an exact name (not both)."""
    if tag_name and name:
        raise ToolError("Filter by tag_name or by name, not both (the API allows one).")
    found = await fetch_list(
        do,
        "droplets.list",
        "droplets",
        page=page,
        per_page=per_page,
        all_pages=all_pages,
        tag_name=tag_name,
        name=name,
    )
    return list_result(found, _view(detail), "droplets")


@TOOLSET.tool(Access.READ)
async def droplet_get(do: DOAccess, droplet_id: DropletId, detail: Detail = False) -> ItemResult:
    """Show one droplet: status, public/private IPv4 and IPv6, region, size, image, tags,
    volumes, VPC, features, monthly price. detail gives the full API object."""
    droplet = await _get(do, droplet_id)
    view = _view(detail)(droplet)
    return ItemResult(item=view).titled(
        f"Droplet {droplet_id} {droplet.get('name')} is {droplet.get('status')}."
    )


# -- create ----------------------------------------------------------------------------------


def _create_body(**fields: Any) -> dict[str, Any]:
    names = fields.pop("names")
    name = fields.pop("name")
    chosen, value = require_one(name=name, names=names)
    targets = [value] if chosen == "name" else list(value)
    if len(targets) > MAX_NAMES:
        raise ToolError(f"At most {MAX_NAMES} droplets per create; got {len(targets)}.")
    if len(set(targets)) != len(targets):
        raise ToolError("The names must be different from each other.")
    for target in targets:
        if not HOSTNAME.match(target):
            raise ToolError(
                f"Invalid droplet name {target!r}: use letters, digits, '.' and '-', "
                "starting and ending with a letter or digit (e.g. web-1)."
            )
    if fields.get("user_data") and len(fields["user_data"].encode()) > MAX_USER_DATA:
        raise ToolError("user_data is over DigitalOcean's 64 KiB limit.")
    image = fields["image"]
    fields["image"] = int(image) if image.isdigit() else image
    if fields.get("ssh_keys"):
        fields["ssh_keys"] = [int(key) if key.isdigit() else key for key in fields["ssh_keys"]]
    body = {key: value for key, value in fields.items() if value not in (None, [])}
    body["name" if chosen == "name" else "names"] = value
    return body


async def _refuse_existing_names(do: DOAccess, names: list[str]) -> None:
    for name in names:
        page = await do.list_page("droplets.list", "droplets", per_page=1, name=name)
        if page.items:
            existing = page.items[0]
            raise ToolError(
                f"A droplet named {name!r} already exists (id {existing.get('id')}, "
                f"{existing.get('status')}). Nothing was created. If an earlier create timed out, "
                "this is probably it; to create another with the same name anyway, pass "
                "allow_duplicate_name=true."
            )


def _is_up(droplet: dict[str, Any]) -> bool:
    return droplet.get("status") == "active" and _address(droplet, "v4", "public") is not None


def _describe(droplet: dict[str, Any]) -> str:
    return f"droplet {droplet.get('name')}: {droplet.get('status')}"


@TOOLSET.tool(Access.WRITE, costs_money=True)
async def droplet_create(
    do: DOAccess,
    region: Annotated[
        str, Field(min_length=2, description="Region slug, e.g. nyc3 (region_list).")
    ],
    size: Annotated[
        str, Field(min_length=2, description="Size slug, e.g. s-1vcpu-1gb (size_list).")
    ],
    image: Annotated[
        str, Field(min_length=1, description="Image slug or id, e.g. ubuntu-24-04-x64.")
    ],
    name: Annotated[
        str | None, Field(description="Name (hostname) of one droplet, e.g. web-1.")
    ] = None,
    names: Annotated[
        list[str] | None,
        Field(max_length=MAX_NAMES, description="Names to create several at once."),
    ] = None,
    ssh_keys: Annotated[
        list[str] | None, Field(description="SSH key ids or fingerprints (ssh_key_list).")
    ] = None,
    backups: Annotated[bool, Field(description="Enable weekly backups (extra cost).")] = False,
    ipv6: Annotated[bool, Field(description="Add a public IPv6 address.")] = False,
    monitoring: Annotated[bool, Field(description="Install the metrics agent.")] = False,
    tags: Annotated[list[TagName] | None, Field(description="Tags to apply, e.g. ['web'].")] = None,
    user_data: Annotated[
        str | None, Field(description="cloud-init user data (script or #cloud-config), max 64 KiB.")
    ] = None,
    vpc_uuid: Annotated[str | None, Field(description="VPC to join (default: region's).")] = None,
    volumes: Annotated[list[str] | None, Field(description="Volume ids to attach.")] = None,
    allow_duplicate_name: Annotated[
        bool, Field(description="Create even if a droplet with this name exists.")
    ] = False,
    wait: Wait = True,
    timeout: WaitTimeout = 300,
) -> ActionResult:
    """Create one droplet (name) or several (names). By default waits until they are active and
    returns their IPs. Refuses a name that already exists unless allow_duplicate_name."""
    body = _create_body(
        name=name,
        names=names,
        region=region,
        size=size,
        image=image,
        ssh_keys=ssh_keys,
        backups=backups or None,
        ipv6=ipv6 or None,
        monitoring=monitoring or None,
        tags=tags,
        user_data=user_data,
        vpc_uuid=vpc_uuid,
        volumes=volumes,
    )
    targets = [name] if name else list(names or [])
    if not allow_duplicate_name:
        await _refuse_existing_names(do, targets)
    created = await do.call("droplets.create", body=body, subject=f"droplet {', '.join(targets)}")
    droplets = created.get("droplets") or [created["droplet"]]
    actions = [
        {"id": a["id"], "type": a.get("rel", "create")}
        for a in (created.get("links") or {}).get("actions", [])
    ]
    if not wait:
        return ActionResult(
            done=False,
            actions=actions,
            resources=[droplet_view(d) for d in droplets],
            message="Create started; droplet_get shows when it is active.",
        ).titled(f"Creating {len(droplets)} droplet(s).")
    waits = [await _wait_active(do, droplet["id"], timeout) for droplet in droplets]
    return _create_result(waits, actions)


async def _wait_active(do: DOAccess, droplet_id: int, timeout: float) -> Waited:
    return await do.wait_until(lambda: _get(do, droplet_id), _is_up, _describe, timeout=timeout)


def _create_result(waits: list[Waited], actions: list[dict[str, Any]]) -> ActionResult:
    done = all(w.done for w in waits)
    views = [droplet_view(w.value) for w in waits]
    if done:
        ips = ", ".join(f"{v['name']} {v.get('public_ipv4')}" for v in views)
        message = f"{len(views)} droplet(s) active: {ips}."
    else:
        pending = ", ".join(str(w.value.get("id")) for w in waits if not w.done)
        message = (
            f"Still starting after the timeout: droplet {pending}. "
            "Call droplet_get later to see when it is active; do not create it again."
        )
    return ActionResult(done=done, actions=actions, resources=views, message=message).titled(
        message
    )


# -- actions ---------------------------------------------------------------------------------

ActionType = Literal[
    "power_on",
    "power_off",
    "shutdown",
    "reboot",
    "power_cycle",
    "resize",
    "snapshot",
    "rebuild",
    "restore",
    "rename",
    "enable_backups",
    "disable_backups",
    "enable_ipv6",
]
BY_TAG_TYPES = {
    "power_on",
    "power_off",
    "shutdown",
    "power_cycle",
    "snapshot",
    "enable_backups",
    "disable_backups",
    "enable_ipv6",
}
#: Which extra parameter each action type takes, and whether it is required.
ACTION_PARAMETERS: dict[str, dict[str, bool]] = {
    "resize": {"size": True, "disk": False},
    "snapshot": {"name": False},
    "rebuild": {"image": True},
    "restore": {"image": True},
    "rename": {"name": True},
}


def _action_body(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    allowed = ACTION_PARAMETERS.get(kind, {})
    extra = sorted(key for key, value in given.items() if value is not None and key not in allowed)
    if extra:
        raise ToolError(f"{', '.join(extra)} does not apply to {kind}.")
    missing = [key for key, required in allowed.items() if required and given.get(key) is None]
    if missing:
        raise ToolError(f"{kind} needs {', '.join(missing)}.")
    body: dict[str, Any] = {"type": kind}
    for key in allowed:
        if given.get(key) is not None:
            body[key] = given[key]
    if "image" in body:
        image = str(body["image"])
        if kind == "restore" and not image.isdigit():
            raise ToolError(
                "restore needs the numeric id of a backup or snapshot (image_list kind=private)."
            )
        body["image"] = int(image) if image.isdigit() else image
    return body


@TOOLSET.tool(Access.DESTRUCTIVE)
async def droplet_action(
    do: DOAccess,
    type: Annotated[ActionType, Field(description="What to do.")],
    droplet_id: Annotated[int | None, Field(ge=1, description="The droplet, e.g. 3164444.")] = None,
    tag_name: Annotated[
        str | None,
        Field(
            description="Act on every droplet with this tag instead "
            "(power, backup, snapshot and enable_ipv6 types)."
        ),
    ] = None,
    size: Annotated[
        str | None, Field(description="resize: new size slug, e.g. s-2vcpu-4gb.")
    ] = None,
    disk: Annotated[
        bool | None, Field(description="resize: also grow the disk (permanent: no shrinking back).")
    ] = None,
    name: Annotated[
        str | None, Field(description="snapshot: snapshot name; rename: new name.")
    ] = None,
    image: Annotated[
        str | None, Field(description="rebuild: image slug or id; restore: backup/snapshot id.")
    ] = None,
    wait: Wait = True,
    timeout: WaitTimeout = 600,
) -> ActionResult:
    """Act on a droplet: power_on, power_off (hard), shutdown (graceful), reboot, power_cycle,
    resize (droplet must be off), snapshot, rebuild (erases disk), restore (from backup or
    snapshot), rename, enable/disable_backups, enable_ipv6. Waits for completion by default."""
    target, value = require_one(droplet_id=droplet_id, tag_name=tag_name)
    body = _action_body(type, {"size": size, "disk": disk, "name": name, "image": image})
    if target == "droplet_id":
        started = await do.call(
            "droplet_actions.post",
            droplet_id=value,
            body=body,
            subject=f"droplet {value}",
            lookup_hint=LOOKUP,
        )
        actions = [started["action"]]
    else:
        if type not in BY_TAG_TYPES:
            raise ToolError(f"{type} cannot be done by tag; give droplet_id.")
        started = await do.call("droplet_actions.post_by_tag", tag_name=value, body=body)
        actions = started.get("actions") or []
    if not wait or not actions:
        return _action_result(actions, [], f"{type} started on {len(actions)} droplet(s).", False)
    waits = [await do.wait_for_action(action["id"], timeout=timeout) for action in actions]
    return await _finished_actions(do, type, waits)


async def _finished_actions(do: DOAccess, kind: str, waits: list[Waited]) -> ActionResult:
    finished = [w.value for w in waits]
    droplet_ids = [a.get("resource_id") for a in finished if a.get("resource_id")]
    droplets = [droplet_view(await _get(do, i)) for i in droplet_ids[:MAX_NAMES]]
    errored = [str(a.get("id")) for a in finished if a.get("status") == "errored"]
    if not all(w.done for w in waits):
        message = unfinished_message(waits, kind)
    elif errored:
        message = f"{kind} failed (action {', '.join(errored)} errored)."
    else:
        message = f"{kind} completed on {len(finished)} droplet(s)."
    if errored:
        raise ToolError(message)
    return _action_result(finished, droplets, message, all(w.done for w in waits))


def _action_result(
    actions: list[dict[str, Any]], droplets: list[dict[str, Any]], message: str, done: bool
) -> ActionResult:
    return ActionResult(
        done=done, actions=[action_view(a) for a in actions], resources=droplets, message=message
    ).titled(message)


# -- delete ----------------------------------------------------------------------------------


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True)
async def droplet_delete(
    do: DOAccess,
    droplet_id: Annotated[int | None, Field(ge=1, description="The droplet to delete.")] = None,
    tag_name: Annotated[
        str | None, Field(description="Delete every droplet with this tag instead.")
    ] = None,
) -> ActionResult:
    """Delete one droplet by id, or every droplet with a tag. Its disk and IPs are gone for good;
    snapshots and backups stay."""
    target, value = require_one(droplet_id=droplet_id, tag_name=tag_name)
    if target == "droplet_id":
        victims = [await _get(do, value)]
        await do.call(
            "droplets.destroy", droplet_id=value, subject=f"droplet {value}", lookup_hint=LOOKUP
        )
    else:
        victims = (await do.list_all("droplets.list", "droplets", tag_name=value)).items
        if not victims:
            raise ToolError(f"No droplet has the tag {value!r}; nothing was deleted.")
        await do.call("droplets.destroy_by_tag", tag_name=value)
    views = [{"id": d.get("id"), "name": d.get("name")} for d in victims]
    message = (
        f"Deleted {len(views)} droplet(s): "
        + ", ".join(f"{v['name']} ({v['id']})" for v in views)
        + "."
    )
    return ActionResult(done=True, actions=[], resources=views, message=message).titled(message)
