"""Block storage volumes: volumes, their actions (attach, detach, resize) and their snapshots.

Attachments live on the Droplets (``Droplet.volume_ids``) and a volume's ``droplet_ids`` is
derived from them, so a Droplet created with ``volumes`` has them attached and a deleted Droplet
leaves its volumes detached, as on DigitalOcean. State: ``world.table("volumes")`` (id ->
Volume), ``world.table("volume_snapshots")`` (id -> VolumeSnapshot) and
``world.table("volume_actions")`` (action id -> volume id; volume actions carry no resource id).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .._api import (
    ApiError,
    Request,
    Response,
    Router,
    accepted,
    bad_request,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON
from .._state import World
from .actions import action_json, newest_first
from .catalog import region_json
from .tags import TAG_NAME, TAGGABLE, Taggable

router = Router()

NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")
INVALID_NAME = (
    "name must be lowercase letters, numbers and '-', start with a letter, at most 64 characters"
)
MAX_GIB = 16 * 1024
LABEL_LIMIT = {"ext4": 16, "xfs": 12}
MAX_PER_DROPLET = 7  # DigitalOcean's attach limit per Droplet
ACTION_TYPES = {"attach": "attach_volume", "detach": "detach_volume", "resize": "resize_volume"}
PENDING = "Volume already has a pending event."
_IDS = uuid.UUID("8d3c1f4e-5b7a-4c2e-9f10-6a1b2c3d4e5f")  # namespace of generated ids


@dataclass
class Volume:
    id: str
    name: str
    region: str
    size_gigabytes: int
    created_at: str
    description: str = ""
    filesystem_type: str = ""
    filesystem_label: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class VolumeSnapshot:
    id: str
    name: str
    volume_id: str
    region: str
    min_disk_size: int
    size_gigabytes: float
    created_at: str
    tags: list[str] = field(default_factory=list)


def volumes(world: World) -> dict[str, Volume]:
    return world.table("volumes")


def snapshots(world: World) -> dict[str, VolumeSnapshot]:
    return world.table("volume_snapshots")


def _action_volumes(world: World) -> dict[int, str]:
    return world.table("volume_actions")


def _new_id(world: World, kind: str) -> str:
    return str(uuid.uuid5(_IDS, f"{kind}/{world.next_id(kind)}"))


def attached_to(world: World, volume: Volume) -> list[int]:
    """The Droplets a volume is attached to (at most one on DigitalOcean)."""
    return [d.id for d in world.droplets.values() if volume.id in d.volume_ids]


def volume_json(world: World, volume: Volume) -> JSON:
    return {
        "id": volume.id,
        "region": region_json(world, volume.region),
        "droplet_ids": attached_to(world, volume),
        "name": volume.name,
        "description": volume.description,
        "size_gigabytes": volume.size_gigabytes,
        "created_at": volume.created_at,
        "filesystem_type": volume.filesystem_type,
        "filesystem_label": volume.filesystem_label,
        "tags": list(volume.tags),
    }


def snapshot_json(snapshot: VolumeSnapshot) -> JSON:
    return {
        "id": snapshot.id,
        "name": snapshot.name,
        "regions": [snapshot.region],
        "created_at": snapshot.created_at,
        "resource_id": snapshot.volume_id,
        "resource_type": "volume",
        "min_disk_size": snapshot.min_disk_size,
        "size_gigabytes": snapshot.size_gigabytes,
        "tags": list(snapshot.tags),
    }


def _find(request: Request) -> Volume:
    volume = volumes(request.world).get(request.params["volume_id"])
    if volume is None:
        raise not_found()
    return volume


def _tag(world: World, volume: Volume, tags: list[str]) -> None:
    for tag in tags:
        record = world.ensure_tag(tag)
        record.last_tagged_uri = record.last_tagged["volumes"] = f"/v2/volumes/{volume.id}"
        if tag not in volume.tags:
            volume.tags.append(tag)


def _volume_tags(world: World, ref: str) -> list[str] | None:
    volume = volumes(world).get(ref)
    return None if volume is None else volume.tags


TAGGABLE["volume"] = Taggable(
    "volumes",
    _volume_tags,
    lambda world: (v.tags for v in volumes(world).values()),
    "/v2/volumes/{id}",
)


# -- volumes ---------------------------------------------------------------------------------


@router.get("/v2/volumes")
def list_volumes(request: Request) -> Response:
    world = request.world
    name, region = request.arg("name"), request.arg("region")
    found = [
        volume_json(world, v)
        for v in volumes(world).values()
        if (name is None or v.name == name) and (region is None or v.region == region)
    ]
    return ok(paginate(request, "volumes", found))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{name} must be a list of strings")
    return value


def _filesystem(body: JSON) -> tuple[str, str]:
    kind = body.get("filesystem_type") or ""
    label = body.get("filesystem_label") or ""
    if kind not in ("", *LABEL_LIMIT):
        raise bad_request("filesystem_type must be ext4 or xfs")
    if not isinstance(label, str) or (label and not kind):
        raise bad_request("filesystem_label needs a filesystem_type")
    if kind and len(label) > LABEL_LIMIT[kind]:
        raise bad_request(f"filesystem_label is limited to {LABEL_LIMIT[kind]} characters")
    return kind, label


def _validated(world: World, body: JSON) -> Volume:
    name, region, size = body.get("name"), body.get("region"), _int(body.get("size_gigabytes"))
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise bad_request(INVALID_NAME)
    if not isinstance(region, str) or region not in world.regions:
        raise bad_request("region must be a valid region slug")
    if size is None or not 1 <= size <= MAX_GIB:
        raise bad_request(f"size_gigabytes must be a whole number from 1 to {MAX_GIB}")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise bad_request("description must be a string")
    tags = _strings(body.get("tags"), "tags")
    if not all(TAG_NAME.fullmatch(tag) for tag in tags):
        raise bad_request("tags may hold letters, numbers, colons, dashes and underscores")
    kind, label = _filesystem(body)
    if any(v.name == name and v.region == region for v in volumes(world).values()):
        raise ApiError(409, "already_exists", f"a volume named {name} already exists in {region}")
    return Volume(
        id=_new_id(world, "volume"),
        name=name,
        region=region,
        size_gigabytes=size,
        created_at=world.iso(),
        description=description,
        filesystem_type=kind,
        filesystem_label=label,
        tags=list(dict.fromkeys(tags)),
    )


def _check_snapshot(world: World, volume: Volume, snapshot_id: Any) -> None:
    if snapshot_id in (None, ""):  # DigitalOcean's Go client always sends one, "" for none
        return
    snapshot = snapshots(world).get(snapshot_id) if isinstance(snapshot_id, str) else None
    if snapshot is None:
        raise not_found()
    if snapshot.region != volume.region:
        raise bad_request(f"the snapshot is in {snapshot.region}; create the volume there")
    if volume.size_gigabytes < snapshot.min_disk_size:
        raise bad_request(
            f"size_gigabytes must be at least {snapshot.min_disk_size} (the snapshot)"
        )


@router.post("/v2/volumes")
def create_volume(request: Request) -> Response:
    world = request.world
    body = request.json()
    volume = _validated(world, body)
    _check_snapshot(world, volume, body.get("snapshot_id"))
    tags, volume.tags = volume.tags, []
    volumes(world)[volume.id] = volume
    _tag(world, volume, tags)
    return created({"volume": volume_json(world, volume)})


@router.get("/v2/volumes/{volume_id}")
def get_volume(request: Request) -> Response:
    return ok({"volume": volume_json(request.world, _find(request))})


def _pending(world: World, volume: Volume) -> bool:
    world.tick()
    return any(
        volume_id == volume.id and world.actions[action_id].status == "in-progress"
        for action_id, volume_id in _action_volumes(world).items()
        if action_id in world.actions
    )


def _delete(world: World, volume: Volume) -> Response:
    if attached_to(world, volume):
        raise ApiError(
            409,
            "conflict",
            "A volume that's attached to a Droplet cannot be deleted. Detach it first.",
        )
    if _pending(world, volume):
        raise unprocessable(PENDING)
    del volumes(world)[volume.id]
    return no_content()


def discard_volume(world: World, volume_id: str) -> None:
    """Remove a volume outright, detaching it first (a cluster's volumes go with the cluster)."""
    for droplet in world.droplets.values():
        if volume_id in droplet.volume_ids:
            droplet.volume_ids.remove(volume_id)
    volumes(world).pop(volume_id, None)


@router.delete("/v2/volumes/{volume_id}")
def delete_volume(request: Request) -> Response:
    return _delete(request.world, _find(request))


def _by_name(world: World, name: Any, region: Any) -> Volume:
    if not name or not region:
        raise bad_request("name and region are both required")
    volume = next(
        (v for v in volumes(world).values() if v.name == name and v.region == region), None
    )
    if volume is None:
        raise not_found()
    return volume


@router.delete("/v2/volumes")
def delete_volume_by_name(request: Request) -> Response:
    volume = _by_name(request.world, request.arg("name"), request.arg("region"))
    return _delete(request.world, volume)


# -- actions ---------------------------------------------------------------------------------


def _droplet_for(world: World, volume: Volume, body: JSON) -> Any:
    droplet_id = _int(body.get("droplet_id"))
    if droplet_id is None:
        raise bad_request("droplet_id is required")
    droplet = world.droplets.get(droplet_id)
    if droplet is None:
        raise not_found()
    return droplet


def _attach(world: World, volume: Volume, body: JSON) -> Any:
    droplet = _droplet_for(world, volume, body)
    if droplet.region != volume.region:
        raise unprocessable("The Droplet and the volume must be in the same region.")
    holders = attached_to(world, volume)
    if holders:
        raise unprocessable(f"The volume is already attached to Droplet {holders[0]}.")
    if len(droplet.volume_ids) >= MAX_PER_DROPLET:
        raise unprocessable(f"A Droplet can have at most {MAX_PER_DROPLET} volumes attached.")

    def effect() -> None:
        if volume.id in volumes(world) and volume.id not in droplet.volume_ids:
            droplet.volume_ids.append(volume.id)

    return effect


def _detach(world: World, volume: Volume, body: JSON) -> Any:
    droplet = _droplet_for(world, volume, body)
    if volume.id not in droplet.volume_ids:
        raise unprocessable("Attachment not found")

    def effect() -> None:
        if volume.id in droplet.volume_ids:
            droplet.volume_ids.remove(volume.id)

    return effect


def _resize(world: World, volume: Volume, body: JSON) -> Any:
    size = _int(body.get("size_gigabytes"))
    if size is None or size > MAX_GIB:
        raise bad_request(f"size_gigabytes must be a whole number up to {MAX_GIB}")
    if size <= volume.size_gigabytes:
        raise unprocessable(
            f"Volumes can only grow: the new size must be over {volume.size_gigabytes} GiB."
        )

    def effect() -> None:
        volume.size_gigabytes = size

    return effect


PREPARE = {"attach": _attach, "detach": _detach, "resize": _resize}


def _act(world: World, volume: Volume, body: JSON, allowed: tuple[str, ...]) -> Response:
    kind = body.get("type")
    if kind not in allowed:
        raise bad_request(f"type must be one of: {', '.join(allowed)}")
    region = body.get("region")
    if region is not None and region != volume.region:
        raise unprocessable(f"The volume is in {volume.region}, not {region}.")
    if _pending(world, volume):
        raise unprocessable(PENDING)
    effect = PREPARE[kind](world, volume, body)
    action = world.start_action(
        ACTION_TYPES[kind],
        resource_type="volume",
        resource_id=None,
        region_slug=volume.region,
        on_complete=effect,
    )
    _action_volumes(world)[action.id] = volume.id
    return accepted({"action": action_json(world, action)})


@router.post("/v2/volumes/actions")
def post_action_by_name(request: Request) -> Response:
    body = request.json()
    volume = _by_name(request.world, body.get("volume_name"), body.get("region"))
    return _act(request.world, volume, body, ("attach", "detach"))


@router.post("/v2/volumes/{volume_id}/actions")
def post_action(request: Request) -> Response:
    return _act(request.world, _find(request), request.json(), tuple(PREPARE))


@router.get("/v2/volumes/{volume_id}/actions")
def list_volume_actions(request: Request) -> Response:
    volume, world = _find(request), request.world
    mine = [world.actions[a] for a, v in _action_volumes(world).items() if v == volume.id]
    found = [action_json(world, a) for a in newest_first(mine)]
    return ok(paginate(request, "actions", found))


@router.get("/v2/volumes/{volume_id}/actions/{action_id:int}")
def get_volume_action(request: Request) -> Response:
    volume, world = _find(request), request.world
    action_id = request.params["action_id"]
    if _action_volumes(world).get(action_id) != volume.id:
        raise not_found()
    return ok({"action": action_json(world, world.actions[action_id])})


# -- snapshots -------------------------------------------------------------------------------


@router.get("/v2/volumes/snapshots/{snapshot_id}")
def get_snapshot(request: Request) -> Response:
    snapshot = snapshots(request.world).get(request.params["snapshot_id"])
    if snapshot is None:
        raise not_found()
    return ok({"snapshot": snapshot_json(snapshot)})


@router.delete("/v2/volumes/snapshots/{snapshot_id}")
def delete_snapshot(request: Request) -> Response:
    if snapshots(request.world).pop(request.params["snapshot_id"], None) is None:
        raise not_found()
    return no_content()


@router.get("/v2/volumes/{volume_id}/snapshots")
def list_snapshots(request: Request) -> Response:
    volume = _find(request)
    found = [
        snapshot_json(s) for s in snapshots(request.world).values() if s.volume_id == volume.id
    ]
    return ok(paginate(request, "snapshots", found))


def _take_snapshot(world: World, volume: Volume, name: str, tags: list[str]) -> VolumeSnapshot:
    snapshot = VolumeSnapshot(
        id=_new_id(world, "volume_snapshot"),
        name=name,
        volume_id=volume.id,
        region=volume.region,
        min_disk_size=volume.size_gigabytes,
        size_gigabytes=round(volume.size_gigabytes * 0.12, 2),  # the data written so far
        created_at=world.iso(),
        tags=list(dict.fromkeys(tags)),
    )
    snapshots(world)[snapshot.id] = snapshot
    return snapshot


@router.post("/v2/volumes/{volume_id}/snapshots")
def create_snapshot(request: Request) -> Response:
    volume = _find(request)
    body = request.json()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("name is required")
    tags = _strings(body.get("tags"), "tags")
    snapshot = _take_snapshot(request.world, volume, name, tags)
    return created({"snapshot": snapshot_json(snapshot)})


# -- seed ------------------------------------------------------------------------------------

APP_1 = 501_000_101
SEED = [
    # id, name, region, GiB, filesystem, label, tags, description
    (
        "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101",
        "app-1-data",
        "nyc3",
        100,
        "ext4",
        "appdata",
        ["env:prod"],
        "uploads and database files of app-1",
    ),
    ("1f6a3b2c-7d84-11ef-9c1a-0a58ac14d102", "scratch", "nyc3", 10, "ext4", "", [], ""),
    ("1f6a3b2c-7d84-11ef-9c1a-0a58ac14d103", "archive-fra1", "fra1", 50, "xfs", "archive", [], ""),
]


def seed(world: World) -> None:
    """Three volumes (app-1's data, a free one in nyc3, one in fra1) and a snapshot."""
    if not world.config.seed or APP_1 not in world.droplets:
        return
    created_at = world.iso(world.now() - 5 * 86_400)
    for volume_id, name, region, size, kind, label, tags, description in SEED:
        volume = Volume(volume_id, name, region, size, created_at, description, kind, label)
        volumes(world)[volume_id] = volume
        _tag(world, volume, tags)
    world.droplets[APP_1].volume_ids.append(SEED[0][0])
    snapshot = _take_snapshot(world, volumes(world)[SEED[0][0]], "app-1-data-weekly", [])
    snapshot.created_at = world.iso(world.now() - 86_400)
