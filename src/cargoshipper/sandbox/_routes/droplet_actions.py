"""Droplet actions: power, resize, snapshot, rebuild, restore, backups, rename, kernel, IPv6 ...

Each action type has a ``prepare`` function. It validates the request (raising 422) and returns
the effect to apply when the action completes, ``action_seconds`` later.
"""

from __future__ import annotations

from collections.abc import Callable

from .._api import (
    Request,
    Response,
    Router,
    created,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._backups import backup_policy
from .._models import JSON, Droplet, Image
from .._network import assign_addresses
from .._seed import KERNELS
from .._state import World
from .actions import action_json, newest_first
from .droplets import HOSTNAME, INVALID_HOSTNAME, find_droplet
from .images import find_image

router = Router()

Effect = Callable[[], None]
Prepare = Callable[[World, Droplet, JSON], Effect]

PENDING = "Droplet already has a pending event."
# Types that POST /v2/droplets/actions?tag_name= accepts (from the spec).
BULK_TYPES = frozenset(
    {
        "enable_backups",
        "disable_backups",
        "power_cycle",
        "shutdown",
        "power_off",
        "power_on",
        "enable_ipv6",
        "snapshot",
    }
)


def _set_status(droplet: Droplet, status: str) -> Effect:
    def effect() -> None:
        droplet.status = status

    return effect


def _power_on(world: World, droplet: Droplet, body: JSON) -> Effect:
    return _set_status(droplet, "active")


def _power_off(world: World, droplet: Droplet, body: JSON) -> Effect:
    return _set_status(droplet, "off")


def _resize(world: World, droplet: Droplet, body: JSON) -> Effect:
    slug = body.get("size")
    size = world.sizes.get(slug) if isinstance(slug, str) else None
    if size is None or not size.available:
        raise unprocessable("You specified an invalid size for Droplet resize.")
    if droplet.region not in size.regions:
        raise unprocessable("Size is not available in this region.")
    if droplet.status != "off":
        raise unprocessable("Droplet must be powered off to resize.")
    grow_disk = bool(body.get("disk"))
    if size.disk < droplet.disk:
        raise unprocessable("The Droplet's disk is larger than the disk of the requested size.")

    def effect() -> None:
        droplet.size = size.slug
        if grow_disk:
            droplet.disk = size.disk

    return effect


def _snapshot(world: World, droplet: Droplet, body: JSON) -> Effect:
    name = body.get("name") or f"{droplet.name}-{int(world.epoch())}"
    if not isinstance(name, str):
        raise unprocessable("name must be a string")

    def effect() -> None:
        image = Image(
            id=world.next_id("image"),
            name=name,
            distribution=droplet.image.get("distribution", "Unknown"),
            regions=[droplet.region],
            created_at=world.iso(),
            type="snapshot",
            public=False,
            min_disk_size=droplet.disk,
            size_gigabytes=round(2.0 + droplet.disk / 100, 2),
            droplet_id=droplet.id,
        )
        world.images[image.id] = image
        droplet.snapshot_ids.append(image.id)

    return effect


def _set_image(droplet: Droplet, image: Image) -> Effect:
    def effect() -> None:
        droplet.image = image.to_json()
        droplet.status = "active"

    return effect


def _rebuild(world: World, droplet: Droplet, body: JSON) -> Effect:
    image = find_image(world, body.get("image"))
    if image is None or image.status != "available":
        raise unprocessable("You specified an invalid image for Droplet rebuild.")
    return _set_image(droplet, image)


def _restore(world: World, droplet: Droplet, body: JSON) -> Effect:
    image = find_image(world, body.get("image"))
    if image is None or image.id not in droplet.backup_ids + droplet.snapshot_ids:
        raise unprocessable("You can only restore a Droplet from one of its backups or snapshots.")
    return _set_image(droplet, image)


def _set_backups(droplet: Droplet, policy: JSON | None) -> Effect:
    def effect() -> None:
        droplet.backup_policy = policy
        if "backups" in droplet.features:
            droplet.features.remove("backups")
        if policy is not None:
            droplet.features.append("backups")

    return effect


def _enable_backups(world: World, droplet: Droplet, body: JSON) -> Effect:
    return _set_backups(droplet, backup_policy(body.get("backup_policy")))


def _disable_backups(world: World, droplet: Droplet, body: JSON) -> Effect:
    return _set_backups(droplet, None)


def _change_backup_policy(world: World, droplet: Droplet, body: JSON) -> Effect:
    if droplet.backup_policy is None:
        raise unprocessable("Backups are not enabled on this Droplet.")
    if not isinstance(body.get("backup_policy"), dict):
        raise unprocessable("backup_policy is required")
    return _set_backups(droplet, backup_policy(body["backup_policy"]))


def _change_kernel(world: World, droplet: Droplet, body: JSON) -> Effect:
    kernel_id = body.get("kernel")
    kernel = next((k for k in KERNELS if k["id"] == kernel_id), None)
    if kernel is None or isinstance(kernel_id, bool):
        raise unprocessable("You specified an invalid kernel for this Droplet.")

    def effect() -> None:
        droplet.kernel = dict(kernel)

    return effect


def _rename(world: World, droplet: Droplet, body: JSON) -> Effect:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise unprocessable("Name is required.")
    if len(name) > 255 or not HOSTNAME.fullmatch(name):
        raise unprocessable(INVALID_HOSTNAME)

    def effect() -> None:
        droplet.name = name

    return effect


def _password_reset(world: World, droplet: Droplet, body: JSON) -> Effect:
    return lambda: None


def _enable_ipv6(world: World, droplet: Droplet, body: JSON) -> Effect:
    def effect() -> None:
        if "ipv6" not in droplet.features:
            droplet.features.append("ipv6")
        if droplet.status != "new":
            assign_addresses(world, droplet)

    return effect


PREPARE: dict[str, Prepare] = {
    "power_on": _power_on,
    "power_off": _power_off,
    "shutdown": _power_off,
    "reboot": _power_on,
    "power_cycle": _power_on,
    "resize": _resize,
    "snapshot": _snapshot,
    "rebuild": _rebuild,
    "restore": _restore,
    "enable_backups": _enable_backups,
    "disable_backups": _disable_backups,
    "change_backup_policy": _change_backup_policy,
    "change_kernel": _change_kernel,
    "rename": _rename,
    "password_reset": _password_reset,
    "enable_ipv6": _enable_ipv6,
}


def _action_type(body: JSON, allowed: frozenset[str] | dict[str, Prepare]) -> str:
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise unprocessable("type is required")
    if kind not in allowed:
        raise unprocessable(f"Action type '{kind}' is not supported.")
    return kind


def _prepare(world: World, droplet: Droplet, kind: str, body: JSON) -> Effect:
    if world.pending_action("droplet", droplet.id) is not None:
        raise unprocessable(PENDING)
    return PREPARE[kind](world, droplet, body)


def _start(world: World, droplet: Droplet, kind: str, effect: Effect) -> JSON:
    action = world.start_action(
        kind,
        resource_type="droplet",
        resource_id=droplet.id,
        region_slug=droplet.region,
        on_complete=lambda: effect() if droplet.id in world.droplets else None,
    )
    return action_json(world, action)


@router.post("/v2/droplets/{droplet_id:int}/actions")
def post_action(request: Request) -> Response:
    droplet = find_droplet(request)
    body = request.json()
    kind = _action_type(body, PREPARE)
    effect = _prepare(request.world, droplet, kind, body)
    return created({"action": _start(request.world, droplet, kind, effect)})


@router.post("/v2/droplets/actions")
def post_action_by_tag(request: Request) -> Response:
    world = request.world
    tag = request.arg("tag_name")
    if not tag:
        raise unprocessable("tag_name is required")
    body = request.json()
    kind = _action_type(body, BULK_TYPES)
    droplets = [d for d in world.droplets.values() if tag in d.tags]
    effects = [(d, _prepare(world, d, kind, body)) for d in droplets]
    return created({"actions": [_start(world, d, kind, effect) for d, effect in effects]})


@router.get("/v2/droplets/{droplet_id:int}/actions")
def list_droplet_actions(request: Request) -> Response:
    droplet = find_droplet(request)
    world = request.world
    mine = [
        a
        for a in world.actions.values()
        if a.resource_type == "droplet" and a.resource_id == droplet.id
    ]
    actions = [action_json(world, a) for a in newest_first(mine)]
    return ok(paginate(request, "actions", actions))


@router.get("/v2/droplets/{droplet_id:int}/actions/{action_id:int}")
def get_droplet_action(request: Request) -> Response:
    droplet = find_droplet(request)
    action = request.world.actions.get(request.params["action_id"])
    if action is None or action.resource_type != "droplet" or action.resource_id != droplet.id:
        raise not_found()
    return ok({"action": action_json(request.world, action)})
