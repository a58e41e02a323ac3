"""Images: public distribution and application images, and the account's snapshots and backups."""

from __future__ import annotations

from .._api import (
    ApiError,
    Request,
    Response,
    Router,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON, Image
from .._state import World
from .volumes import snapshot_json as volume_snapshot_json
from .volumes import snapshots as volume_snapshots

router = Router()

DISTRIBUTIONS = (
    "Arch Linux",
    "CentOS",
    "CoreOS",
    "Debian",
    "Fedora",
    "Fedora Atomic",
    "FreeBSD",
    "Gentoo",
    "openSUSE",
    "RancherOS",
    "Rocky Linux",
    "Ubuntu",
    "Unknown",
)


def find_image(world: World, ref: object) -> Image | None:
    """An image by numeric id (int or digits) or by public slug."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return world.images.get(int(ref))
    if isinstance(ref, str):
        return next((i for i in world.images.values() if i.slug == ref), None)
    return None


def _own_image(request: Request) -> Image:
    image = request.world.images.get(request.params["image_id"])
    if image is None:
        raise not_found()
    if image.public:
        raise ApiError(403, "forbidden", "You are not authorized to perform this operation")
    return image


def delete_image_record(world: World, image: Image) -> None:
    """Forget an image and every Droplet's reference to it."""
    world.images.pop(image.id, None)
    for droplet in world.droplets.values():
        for ids in (droplet.snapshot_ids, droplet.backup_ids):
            if image.id in ids:
                ids.remove(image.id)


@router.get("/v2/images")
def list_images(request: Request) -> Response:
    kind = request.arg("type")
    private = request.flag("private")
    tag = request.arg("tag_name")
    images = [
        image.to_json()
        for image in request.world.images.values()
        if (kind is None or image.kind == kind)
        and (not private or not image.public)
        and (tag is None or tag in image.tags)
    ]
    return ok(paginate(request, "images", images))


@router.get("/v2/images/{image_id}")
def get_image(request: Request) -> Response:
    image = find_image(request.world, request.params["image_id"])
    if image is None:
        raise not_found()
    return ok({"image": image.to_json()})


@router.put("/v2/images/{image_id:int}")
def update_image(request: Request) -> Response:
    image = _own_image(request)
    body = request.json()
    distribution = body.get("distribution")
    if distribution is not None and distribution not in DISTRIBUTIONS:
        raise unprocessable(f"distribution must be one of: {', '.join(DISTRIBUTIONS)}")
    for name in ("name", "description"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise unprocessable(f"{name} must be a string")
    image.name = body.get("name") or image.name
    image.description = body.get("description", image.description)
    image.distribution = distribution or image.distribution
    return ok({"image": image.to_json()})


@router.delete("/v2/images/{image_id:int}")
def delete_image(request: Request) -> Response:
    delete_image_record(request.world, _own_image(request))
    return no_content()


# -- /v2/snapshots: the account's Droplet snapshots (images of type snapshot) and volume ones --


SNAPSHOT_TYPES = ("droplet", "volume")


def _snapshot_json(image: Image) -> JSON:
    return {
        "id": str(image.id),
        "name": image.name,
        "created_at": image.created_at,
        "regions": list(image.regions),
        "min_disk_size": image.min_disk_size,
        "size_gigabytes": image.size_gigabytes,
        "resource_id": str(image.droplet_id or ""),
        "resource_type": "droplet",
        "tags": list(image.tags),
    }


def _droplet_snapshot(world: World, ref: str) -> Image | None:
    image = world.images.get(int(ref)) if ref.isdigit() else None
    return image if image is not None and image.type == "snapshot" else None


@router.get("/v2/snapshots")
def list_snapshots(request: Request) -> Response:
    world, kind = request.world, request.arg("resource_type")
    if kind not in (None, *SNAPSHOT_TYPES):
        raise unprocessable(f"resource_type must be one of {', '.join(SNAPSHOT_TYPES)}")
    found: list[JSON] = []
    if kind in (None, "droplet"):
        images = sorted(world.images.values(), key=lambda image: image.id)
        found += [_snapshot_json(i) for i in images if i.type == "snapshot" and not i.public]
    if kind in (None, "volume"):
        found += [volume_snapshot_json(s) for s in volume_snapshots(world).values()]
    return ok(paginate(request, "snapshots", found))


@router.get("/v2/snapshots/{snapshot_id}")
def get_snapshot(request: Request) -> Response:
    ref = str(request.params["snapshot_id"])
    image = _droplet_snapshot(request.world, ref)
    volume_snapshot = volume_snapshots(request.world).get(ref)
    if image is not None:
        return ok({"snapshot": _snapshot_json(image)})
    if volume_snapshot is not None:
        return ok({"snapshot": volume_snapshot_json(volume_snapshot)})
    raise not_found()


@router.delete("/v2/snapshots/{snapshot_id}")
def delete_snapshot(request: Request) -> Response:
    ref = str(request.params["snapshot_id"])
    image = _droplet_snapshot(request.world, ref)
    if image is not None:
        delete_image_record(request.world, image)
    elif volume_snapshots(request.world).pop(ref, None) is None:
        raise not_found()
    return no_content()
