"""Droplets: list, inspect, create (waiting until active), act on, delete."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess, DOError, Waited
from ..registry import Access, Toolset
from ..trust import Cost, Plan, Target, pricing, size_prices
from ._common import (
    ActionResult,
    AllPages,
    Detail,
    DropletId,
    ItemResult,
    ListResult,
    OptionalTagName,
    PageNumber,
    PerPage,
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
from .projects import ProjectChoice, chosen_project, put_in_project, urn

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


def droplet_summary(droplet: dict[str, Any]) -> dict[str, Any]:
    """One line per droplet in lists: what an agent needs to pick its next step."""
    image = droplet.get("image") or {}
    return compact(
        {
            "id": droplet.get("id"),
            "name": droplet.get("name"),
            "status": droplet.get("status"),
            "region": (droplet.get("region") or {}).get("slug"),
            "size": droplet.get("size_slug") or (droplet.get("size") or {}).get("slug"),
            "image": image.get("slug") or image.get("name"),
            "public_ipv4": _address(droplet, "v4", "public"),
            "private_ipv4": _address(droplet, "v4", "private"),
            "ipv6": _address(droplet, "v6", "public"),
            "tags": droplet.get("tags"),
            "volume_ids": droplet.get("volume_ids"),
            "price_monthly": (droplet.get("size") or {}).get("price_monthly"),
        }
    )


def droplet_view(droplet: dict[str, Any]) -> dict[str, Any]:
    """One droplet in full compact form: the summary plus hardware, network and features."""
    return compact(
        {
            **droplet_summary(droplet),
            "vcpus": droplet.get("vcpus"),
            "memory_mb": droplet.get("memory"),
            "disk_gb": droplet.get("disk"),
            "vpc_uuid": droplet.get("vpc_uuid"),
            "features": droplet.get("features"),
            "backup_ids": droplet.get("backup_ids"),
            "snapshot_ids": droplet.get("snapshot_ids"),
            "created_at": droplet.get("created_at"),
        }
    )


def _view(detail: bool, summary: bool = False):
    if detail:
        return lambda droplet: droplet
    return droplet_summary if summary else droplet_view


async def get_droplet(do: DOAccess, droplet_id: int) -> dict[str, Any]:
    body = await do.call(
        "droplets.get", droplet_id=droplet_id, subject=f"droplet {droplet_id}", lookup_hint=LOOKUP
    )
    return body["droplet"]


def droplet_target(droplet: dict[str, Any]) -> Target:
    return Target(
        "droplet", droplet["id"], droplet.get("name", ""), tuple(droplet.get("tags") or ())
    )


async def _select(do: DOAccess, droplet_id: int | None, tag_name: str | None) -> list[Target]:
    """The droplets a call names: one by id, or every one with a tag (none is an error)."""
    _, value = require_one(droplet_id=droplet_id, tag_name=tag_name)
    if droplet_id is not None:
        return [droplet_target(await get_droplet(do, value))]
    tagged = (await do.list_all("droplets.list", "droplets", tag_name=value)).items
    if not tagged:
        raise ToolError(f"No droplet has the tag {value!r}; nothing was done.")
    return [droplet_target(droplet) for droplet in tagged]


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
) -> ListResult:
    """List droplets (id, name, status, region, size, image, IPs, tags, price), optionally only
    those with a tag or an exact name (not both). droplet_get shows one in more detail."""
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
    return list_result(found, _view(detail, summary=True), "droplets")


@TOOLSET.tool(Access.READ)
async def droplet_get(do: DOAccess, droplet_id: DropletId, detail: Detail = False) -> ItemResult:
    """Show one droplet: status, public/private IPv4 and IPv6, region, size, image, tags,
    volumes, VPC, features, monthly price. detail gives the full API object."""
    droplet = await get_droplet(do, droplet_id)
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


CREATE_FIELDS = (
    "name",
    "names",
    "region",
    "size",
    "image",
    "ssh_keys",
    "backups",
    "ipv6",
    "monitoring",
    "tags",
    "user_data",
    "vpc_uuid",
    "volumes",
)


def _create_request(arguments: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """(names, request body) for droplet_create's arguments; bad input raises ToolError."""
    fields = {key: arguments.get(key) for key in CREATE_FIELDS}
    plan = arguments.get("backup_plan")
    if plan:
        fields["backups"], fields["backup_policy"] = True, {"plan": plan}
    for flag in ("backups", "ipv6", "monitoring"):
        fields[flag] = fields[flag] or None  # send only the ones turned on
    body = _create_body(**fields)
    return ([body["name"]] if "name" in body else list(body["names"])), body


async def plan_create(do: DOAccess, **arguments: Any) -> Plan:
    targets, body = _create_request(arguments)
    if not arguments.get("allow_duplicate_name"):  # before anyone is asked to approve it
        await _refuse_existing_names(do, targets)
    await chosen_project(do, arguments.get("project"))
    sizes = await size_prices(do)
    _check_size_and_region(sizes, body["size"], body["region"])
    known = sizes.get(body["size"])
    backups = pricing.backup_plan(body) if body.get("backups") else None
    cost = pricing.size_cost(known, len(targets), backups) if known else None
    return Plan(
        "create",
        "create",
        tuple(Target("droplet", "new", target) for target in targets),
        destructive=False,
        cost=cost,
        requests=(("droplets.create", {"body": body}),),
    )


def _check_size_and_region(sizes: dict[str, dict[str, Any]], size: str, region: str) -> None:
    """Refuse, before anything is sent, a size or region DigitalOcean would answer 422 to,
    naming what would work."""
    regions = sorted({r for s in sizes.values() for r in s.get("regions") or ()})
    if sizes and region not in regions:
        raise ToolError(
            f"Unknown region {region!r}; region_list shows the regions ({', '.join(regions)})."
        )
    if sizes and size not in sizes:
        raise ToolError(f"Unknown size {size!r}; size_list shows the sizes (e.g. s-1vcpu-1gb).")
    offered = (sizes.get(size) or {}).get("regions") or regions
    if region not in offered:
        raise ToolError(
            f"Size {size} is not offered in {region}; it is in {', '.join(sorted(offered))}. "
            "Choose one of those regions or another size (size_list region=... shows them)."
        )


@TOOLSET.tool(Access.WRITE, costs_money=True, plan=plan_create)
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
    backups: Annotated[bool, Field(description="Enable backups (daily: +30 %).")] = False,
    backup_plan: Annotated[
        Literal["daily", "weekly"] | None, Field(description="weekly: +20 % (implies backups).")
    ] = None,
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
    project: ProjectChoice = None,
    wait: Wait = True,
    timeout: WaitTimeout = 300,
) -> ActionResult:
    """Create one droplet (name) or several (names). By default waits until they are active and
    returns their IPs. Refuses a name that already exists unless allow_duplicate_name."""
    targets, body = _create_request(locals())  # every argument of this call
    place = await chosen_project(do, project)
    if not allow_duplicate_name:
        await _refuse_existing_names(do, targets)
    try:
        created = await do.call(
            "droplets.create",
            body=body,
            subject=f"droplet {', '.join(targets)}",
            look_for=" and ".join(
                f"a droplet named {t!r} (droplet_list name={t})" for t in targets
            ),
        )
    except DOError as error:
        if error.status == 422 and "image" in error.message.lower():
            error.message += (
                ". image_list shows the images to use (slugs such as ubuntu-24-04-x64, or the "
                "ids of your snapshots)"
            )
        raise
    droplets = created.get("droplets") or [created["droplet"]]
    actions = [
        {"id": a["id"], "type": a.get("rel", "create")}
        for a in (created.get("links") or {}).get("actions", [])
    ]
    urns = [urn("droplet", droplet["id"]) for droplet in droplets]
    if not wait:
        started = ActionResult(
            done=False,
            actions=actions,
            resources=[droplet_view(d) for d in droplets],
            message="Create started; droplet_get shows when it is active.",
        ).titled(f"Creating {len(droplets)} droplet(s).")
        return await put_in_project(do, place, urns, started)
    waits = [await _wait_active(do, droplet["id"], timeout) for droplet in droplets]
    return await put_in_project(do, place, urns, _create_result(waits, actions))


async def _wait_active(do: DOAccess, droplet_id: int, timeout: float) -> Waited:
    return await do.wait_until(
        lambda: get_droplet(do, droplet_id), _is_up, _describe, timeout=timeout
    )


def _create_result(waits: list[Waited], actions: list[dict[str, Any]]) -> ActionResult:
    done = all(w.done for w in waits)
    views = [droplet_view(w.value) for w in waits]
    if done:
        ips = ", ".join(f"{v['name']} {v.get('public_ipv4')}" for v in views)
        message = f"{len(views)} droplet(s) active: {ips}."
    else:
        pending = [w for w in waits if not w.done]
        names = ", ".join(f"{w.value.get('name')} (id {w.value.get('id')})" for w in pending)
        follow = f"action_get action_id={actions[0]['id']} wait=true" if actions else "droplet_get"
        message = (
            f"Created, still starting after {max(w.elapsed for w in pending):.0f} s: {names}. "
            f"This call hands back before the client times out; continue with {follow}, or "
            f"droplet_get droplet_id={pending[0].value.get('id')}. Do not create it again."
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


#: What a human is told for the action types that need confirmation.
DESTRUCTIVE_ACTIONS = {
    "power_off": ("power off", "A hard power off: unsaved data can be lost; service stops."),
    "shutdown": ("shut down", "Service stops until powered on again."),
    "power_cycle": ("power-cycle", "A hard reset: unsaved data can be lost."),
    "rebuild": ("rebuild", "The disk is erased and replaced by the image."),
    "restore": ("restore", "The disk is replaced by the backup or snapshot."),
    "resize": ("resize (with disk)", "The disk grows for good: no resizing down later."),
}
PROTECTED_ACTIONS = {"rebuild", "restore", "resize"}  # the ones that can lose data for good


def _action_request(
    type: str, droplet_id: int | None, tag_name: str | None, given: dict[str, Any]
) -> dict[str, Any]:
    """The request body for droplet_action's arguments; bad input raises ToolError."""
    target, _ = require_one(droplet_id=droplet_id, tag_name=tag_name)
    if target == "tag_name" and type not in BY_TAG_TYPES:
        raise ToolError(f"{type} cannot be done by tag; give droplet_id.")
    return _action_body(type, given)


async def plan_action(
    do: DOAccess,
    type: str,
    droplet_id: int | None = None,
    tag_name: str | None = None,
    size: str | None = None,
    disk: bool | None = None,
    name: str | None = None,
    image: str | None = None,
    **_: Any,
) -> Plan:
    body = _action_request(
        type, droplet_id, tag_name, {"size": size, "disk": disk, "name": name, "image": image}
    )
    targets = await _select(do, droplet_id, tag_name)
    request = (
        ("droplet_actions.post", {"droplet_id": droplet_id, "body": body})
        if droplet_id is not None
        else ("droplet_actions.post_by_tag", {"tag_name": tag_name, "body": body})
    )
    destructive = type in DESTRUCTIVE_ACTIONS and (type != "resize" or bool(disk))
    verb, warning = DESTRUCTIVE_ACTIONS.get(type, (type.replace("_", " "), ""))
    cost = await _resize_cost(do, targets, size) if type == "resize" and size else None
    return Plan(
        verb if destructive else type.replace("_", " "),
        "change",
        tuple(targets),
        destructive=destructive,
        protect=type in PROTECTED_ACTIONS,
        bulk=tag_name is not None,
        cost=cost,
        extra=warning if destructive else "",
        requests=(request,),
    )


async def _resize_cost(do: DOAccess, targets: list[Target], size: str) -> Cost | None:
    prices = await size_prices(do)
    new = prices.get(size)
    if new is None or len(targets) != 1:
        return None
    old = prices.get((await get_droplet(do, int(targets[0].id))).get("size_slug", ""))
    return pricing.size_change(old, new) if old is not None else None


@TOOLSET.tool(Access.DESTRUCTIVE, plan=plan_action)
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
    given = {"size": size, "disk": disk, "name": name, "image": image}
    body = _action_request(type, droplet_id, tag_name, given)
    if droplet_id is not None:
        started = await do.call(
            "droplet_actions.post",
            droplet_id=droplet_id,
            body=body,
            subject=f"droplet {droplet_id}",
            lookup_hint=LOOKUP,
        )
        actions = [started["action"]]
    else:
        started = await do.call("droplet_actions.post_by_tag", tag_name=tag_name, body=body)
        actions = started.get("actions") or []
    if not wait or not actions:
        return _action_result(actions, [], f"{type} started on {len(actions)} droplet(s).", False)
    waits = [await do.wait_for_action(action["id"], timeout=timeout) for action in actions]
    return await _finished_actions(do, type, waits)


async def _finished_actions(do: DOAccess, kind: str, waits: list[Waited]) -> ActionResult:
    finished = [w.value for w in waits]
    droplet_ids = [a.get("resource_id") for a in finished if a.get("resource_id")]
    droplets = [droplet_view(await get_droplet(do, i)) for i in droplet_ids[:MAX_NAMES]]
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


async def plan_delete(
    do: DOAccess, droplet_id: int | None = None, tag_name: str | None = None, **_: Any
) -> Plan:
    targets = tuple(await _select(do, droplet_id, tag_name))
    return Plan(
        "delete",
        "delete",
        targets,
        bulk=tag_name is not None,
        extra="Disks and IP addresses are gone for good; snapshots and backups stay.",
        # Exactly the droplets that were confirmed, one by one (not DELETE ?tag_name=, which
        # would also take a droplet tagged after the confirmation).
        requests=tuple(("droplets.destroy", {"droplet_id": t.id}) for t in targets),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_delete)
async def droplet_delete(
    do: DOAccess,
    droplet_id: Annotated[int | None, Field(ge=1, description="The droplet to delete.")] = None,
    tag_name: Annotated[
        str | None, Field(description="Delete every droplet with this tag instead.")
    ] = None,
    plan: Plan | None = None,
) -> ActionResult:
    """Delete one droplet by id, or every droplet with a tag. Its disk and IPs are gone for good;
    snapshots and backups stay."""
    plan = plan or await plan_delete(do, droplet_id, tag_name)
    for target in plan.targets:
        await do.call(
            "droplets.destroy",
            droplet_id=target.id,
            subject=f"droplet {target.id}",
            lookup_hint=LOOKUP,
        )
    views = [{"id": t.id, "name": t.name} for t in plan.targets]
    listing = ", ".join(f"{v['name']} ({v['id']})" for v in views)
    message = f"Deleted {len(views)} droplet(s): {listing}."
    return ActionResult(done=True, actions=[], resources=views, message=message).titled(message)
