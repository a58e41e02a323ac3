"""Droplets: list, create (single or multiple), get, destroy (by id or by tag), their kernels and
their backup policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._api import (
    Request,
    Response,
    Router,
    accepted,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._backups import SUPPORTED, backup_policy, next_window
from .._models import JSON, Action, Droplet, Image, Size
from .._network import assign_addresses, networks_json
from .._seed import KERNELS, default_vpc
from .._state import World
from .actions import action_link
from .catalog import region_json
from .images import delete_image_record, find_image
from .tags import TAG_NAME

router = Router()

HOSTNAME = re.compile(r"[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]")
INVALID_HOSTNAME = "Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
MAX_NAMES = 10
OPTIONAL_FEATURES = ("backups", "ipv6", "monitoring")


def droplet_json(world: World, droplet: Droplet) -> JSON:
    """A Droplet with every field the spec requires."""
    size = world.sizes[droplet.size]
    return {
        "id": droplet.id,
        "name": droplet.name,
        "memory": size.memory,
        "vcpus": size.vcpus,
        "disk": droplet.disk,
        "disk_info": [{"type": "local", "size": {"amount": droplet.disk, "unit": "gib"}}],
        "locked": False,
        "status": droplet.status,
        "kernel": droplet.kernel,
        "created_at": droplet.created_at,
        "features": list(droplet.features),
        "backup_ids": list(droplet.backup_ids),
        "next_backup_window": next_window(world, droplet.backup_policy),
        "snapshot_ids": list(droplet.snapshot_ids),
        "image": dict(droplet.image),
        "volume_ids": list(droplet.volume_ids),
        "size": size.to_json(),
        "size_slug": droplet.size,
        "networks": networks_json(world, droplet),
        "region": region_json(world, droplet.region),
        "tags": list(droplet.tags),
        "vpc_uuid": droplet.vpc_uuid,
    }


def find_droplet(request: Request) -> Droplet:
    """The Droplet named by the ``droplet_id`` path parameter; 404 if there is none."""
    droplet = request.world.droplets.get(request.params["droplet_id"])
    if droplet is None:
        raise not_found()
    return droplet


def tag_droplet(world: World, droplet: Droplet, tag: str) -> None:
    """Put a tag on a Droplet, creating the tag if needed."""
    record = world.ensure_tag(tag)
    uri = f"/v2/droplets/{droplet.id}"
    record.last_tagged_uri = record.last_tagged["droplets"] = uri
    if tag not in droplet.tags:
        droplet.tags.append(tag)


@router.get("/v2/droplets")
def list_droplets(request: Request) -> Response:
    tag, name, kind = request.arg("tag_name"), request.arg("name"), request.arg("type")
    if tag is not None and (name is not None or kind is not None):
        raise unprocessable("tag_name can not be combined with name or type")
    if kind not in (None, "droplets", "gpus"):
        raise unprocessable("type must be one of: droplets, gpus")
    droplets = [
        droplet_json(request.world, d)
        for d in request.world.droplets.values()
        if (tag is None or tag in d.tags)
        and (name is None or d.name.lower() == name.lower())
        and kind != "gpus"  # the sandbox has no GPU sizes
    ]
    return ok(paginate(request, "droplets", droplets))


@router.get("/v2/droplets/{droplet_id:int}")
def get_droplet(request: Request) -> Response:
    return ok({"droplet": droplet_json(request.world, find_droplet(request))})


@dataclass
class _Order:
    """A validated create request: what every new Droplet in it gets."""

    names: list[str]
    size: Size
    region: str
    image: Image
    ssh_key_ids: list[int]
    vpc_uuid: str
    tags: list[str]
    volumes: list[str]
    features: list[str]
    backup_policy: JSON | None
    user_data: str | None


def _order(world: World, body: JSON) -> _Order:
    names = _names(body)
    size, region, image = _placement(world, body)
    order = _Order(
        names=names,
        size=size,
        region=region,
        image=image,
        ssh_key_ids=_ssh_keys(world, body.get("ssh_keys") or []),
        vpc_uuid=_vpc(world, body.get("vpc_uuid"), region),
        tags=_tags(body.get("tags") or []),
        volumes=_strings(body.get("volumes") or [], "volumes"),
        features=["private_networking", *(f for f in OPTIONAL_FEATURES if body.get(f))],
        backup_policy=backup_policy(body.get("backup_policy")) if body.get("backups") else None,
        user_data=body.get("user_data"),
    )
    if len(world.droplets) + len(names) > int(world.account["droplet_limit"]):
        raise unprocessable("creating this/these droplet(s) will exceed your droplet limit")
    return order


@router.post("/v2/droplets")
def create_droplets(request: Request) -> Response:
    body = request.json()
    world = request.world
    order = _order(world, body)
    built = [_build(world, order, name) for name in order.names]
    links = {"actions": [action_link(request, action, "create") for _, action in built]}
    if "names" in body:
        droplets = [droplet_json(world, d) for d, _ in built]
        return accepted({"droplets": droplets, "links": links})
    return accepted({"droplet": droplet_json(world, built[0][0]), "links": links})


def _names(body: JSON) -> list[str]:
    if "names" in body:
        names = body["names"]
        if not isinstance(names, list) or not names:
            raise unprocessable("names must be a non-empty list of Droplet names")
        if len(names) > MAX_NAMES:
            raise unprocessable(f"You may only create up to {MAX_NAMES} Droplets at once.")
    else:
        names = [body.get("name")]
    for name in names:
        if not isinstance(name, str) or not name:
            raise unprocessable("Name is required.")
        if len(name) > 255 or not HOSTNAME.fullmatch(name):
            raise unprocessable(INVALID_HOSTNAME)
    return names


def _placement(world: World, body: JSON) -> tuple[Size, str, Image]:
    slug = body.get("size")
    size = world.sizes.get(slug) if isinstance(slug, str) else None
    if size is None or not size.available:
        raise unprocessable("You specified an invalid size for Droplet creation.")
    region = body.get("region")
    if region is None:
        region = "nyc3" if "nyc3" in size.regions else size.regions[0]
    if not isinstance(region, str) or region not in world.regions:
        raise unprocessable("You specified an invalid region for Droplet creation.")
    if not world.regions[region].available:
        raise unprocessable("You specified an invalid region for Droplet creation.")
    image = find_image(world, body.get("image"))
    if image is None or image.status != "available":
        raise unprocessable("You specified an invalid image for Droplet creation.")
    if region not in size.regions:
        raise unprocessable("Size is not available in this region.")
    return size, region, image


def _ssh_keys(world: World, refs: Any) -> list[int]:
    if not isinstance(refs, list):
        raise unprocessable("ssh_keys must be a list of SSH key ids or fingerprints")
    ids: list[int] = []
    for ref in refs:
        key = next(
            (k for k in world.ssh_keys.values() if ref in (k.id, str(k.id), k.fingerprint)), None
        )
        if key is None:
            raise unprocessable("You specified an invalid SSH key for Droplet creation.")
        ids.append(key.id)
    return ids


def _vpc(world: World, vpc_uuid: Any, region: str) -> str:
    if vpc_uuid is None:
        return default_vpc(world, region).id
    vpc = world.vpcs.get(vpc_uuid) if isinstance(vpc_uuid, str) else None
    if vpc is None:
        raise unprocessable("You specified an invalid VPC for Droplet creation.")
    if vpc.region != region:
        raise unprocessable("The VPC must be in the same region as the Droplet.")
    return vpc.id


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unprocessable(f"{name} must be a list of strings")
    return value


def _tags(tags: Any) -> list[str]:
    for tag in _strings(tags, "tags"):
        if not TAG_NAME.fullmatch(tag):
            raise unprocessable(
                f'tag "{tag}" is invalid: use letters, numbers, colons, dashes and underscores'
            )
    return list(dict.fromkeys(tags))


def _build(world: World, order: _Order, name: str) -> tuple[Droplet, Action]:
    droplet = Droplet(
        id=world.next_id("droplet"),
        name=name,
        region=order.region,
        size=order.size.slug,
        image=order.image.to_json(),
        vpc_uuid=order.vpc_uuid,
        created_at=world.iso(),
        disk=order.size.disk,
        features=list(order.features),
        volume_ids=list(order.volumes),
        ssh_key_ids=list(order.ssh_key_ids),
        user_data=order.user_data,
        backup_policy=order.backup_policy,
    )
    world.droplets[droplet.id] = droplet
    for tag in order.tags:
        tag_droplet(world, droplet, tag)
    action = world.start_action(
        "create",
        resource_type="droplet",
        resource_id=droplet.id,
        region_slug=order.region,
        seconds=world.config.boot_seconds,
        on_complete=partial(_boot, world, droplet.id),
    )
    return droplet, action


def _boot(world: World, droplet_id: int) -> None:
    droplet = world.droplets.get(droplet_id)
    if droplet is not None and droplet.status == "new":
        droplet.status = "active"
        assign_addresses(world, droplet)


def destroy(world: World, droplet: Droplet) -> None:
    """Remove a Droplet and its backups (snapshots stay), recording a destroy action."""
    del world.droplets[droplet.id]
    for image in list(world.images.values()):
        if image.type == "backup" and image.droplet_id == droplet.id:
            delete_image_record(world, image)
    world.start_action(
        "destroy", resource_type="droplet", resource_id=droplet.id, region_slug=droplet.region
    )


@router.delete("/v2/droplets/{droplet_id:int}")
def delete_droplet(request: Request) -> Response:
    destroy(request.world, find_droplet(request))
    return no_content()


@router.delete("/v2/droplets")
def delete_droplets_by_tag(request: Request) -> Response:
    tag = request.arg("tag_name")
    if not tag:
        raise unprocessable("tag_name is required")
    if tag not in request.world.tags:
        raise not_found()
    for droplet in [d for d in request.world.droplets.values() if tag in d.tags]:
        destroy(request.world, droplet)
    return no_content()


# -- kernels and backup policies -------------------------------------------------------------


@router.get("/v2/droplets/{droplet_id:int}/kernels")
def list_kernels(request: Request) -> Response:
    find_droplet(request)
    return ok(paginate(request, "kernels", KERNELS))


def policy_record(world: World, droplet: Droplet) -> JSON:
    """A ``droplet_backup_policy_record``: whether backups are on, and their policy and window."""
    record: JSON = {"droplet_id": droplet.id, "backup_enabled": droplet.backup_policy is not None}
    if droplet.backup_policy is not None:
        record["backup_policy"] = dict(droplet.backup_policy)
        record["next_backup_window"] = next_window(world, droplet.backup_policy)
    return record


@router.get("/v2/droplets/{droplet_id:int}/backups/policy")
def get_backup_policy(request: Request) -> Response:
    return ok({"policy": policy_record(request.world, find_droplet(request))})


@router.get("/v2/droplets/backups/policies")
def list_backup_policies(request: Request) -> Response:
    records = [policy_record(request.world, d) for d in request.world.droplets.values()]
    page = paginate(request, "policies", records)
    page["policies"] = {str(r["droplet_id"]): r for r in page["policies"]}
    return ok(page)


@router.get("/v2/droplets/backups/supported_policies")
def list_supported_backup_policies(request: Request) -> Response:
    return ok({"supported_policies": SUPPORTED})
