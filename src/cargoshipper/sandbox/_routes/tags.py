"""Tags: create, list, get, delete, and tag or untag resources.

Resource types that can carry tags are listed in ``TAGGABLE``; a later resource module (volumes,
databases ...) makes its resources taggable by adding an entry there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .._api import (
    Request,
    Response,
    Router,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON, Tag
from .._state import World

router = Router()

TAG_NAME = re.compile(r"[a-zA-Z0-9_\-:]{1,255}")
# The groups DigitalOcean reports in a tag's ``resources`` (spec: tags.resources).
RESOURCE_GROUPS = ("droplets", "images", "volumes", "volume_snapshots", "databases")


@dataclass(frozen=True)
class Taggable:
    """How to reach the tag lists of one resource type."""

    group: str  # key in a tag's ``resources``: "droplets"
    find: Callable[[World, str], list[str] | None]  # tags of one resource (mutable), None if absent
    each: Callable[[World], Iterable[list[str]]]  # tags of every resource of this type
    uri: str  # "/v2/droplets/{id}"


def _droplet_tags(world: World, ref: str) -> list[str] | None:
    droplet = world.droplets.get(int(ref)) if ref.isdigit() else None
    return None if droplet is None else droplet.tags


def _image_tags(world: World, ref: str) -> list[str] | None:
    image = world.images.get(int(ref)) if ref.isdigit() else None
    return None if image is None or image.public else image.tags


TAGGABLE: dict[str, Taggable] = {
    "droplet": Taggable(
        "droplets",
        _droplet_tags,
        lambda world: (d.tags for d in world.droplets.values()),
        "/v2/droplets/{id}",
    ),
    "image": Taggable(
        "images",
        _image_tags,
        lambda world: (i.tags for i in world.images.values() if not i.public),
        "/v2/images/{id}",
    ),
}


def tag_json(request: Request, tag: Tag) -> JSON:
    """A tag with per-type counts of the resources carrying it."""
    groups: JSON = {group: {"count": 0} for group in RESOURCE_GROUPS}
    for taggable in TAGGABLE.values():
        count = sum(tag.name in tags for tags in taggable.each(request.world))
        groups[taggable.group] = {"count": count}
        if count and taggable.group in tag.last_tagged:
            uri = request.url(tag.last_tagged[taggable.group])
            groups[taggable.group]["last_tagged_uri"] = uri
    total = sum(group["count"] for group in groups.values())
    resources: JSON = {"count": total, **groups}
    if total and tag.last_tagged_uri:
        resources["last_tagged_uri"] = request.url(tag.last_tagged_uri)
    return {"name": tag.name, "resources": resources}


def _find_tag(request: Request) -> Tag:
    tag = request.world.tags.get(request.params["tag_id"])
    if tag is None:
        raise not_found()
    return tag


@router.get("/v2/tags")
def list_tags(request: Request) -> Response:
    tags = [tag_json(request, t) for _, t in sorted(request.world.tags.items())]
    return ok(paginate(request, "tags", tags))


@router.post("/v2/tags")
def create_tag(request: Request) -> Response:
    name = request.json().get("name")
    if not isinstance(name, str) or not TAG_NAME.fullmatch(name):
        return _invalid_tag_name(name)
    return created({"tag": tag_json(request, request.world.ensure_tag(name))})


def _invalid_tag_name(name: object) -> Response:
    """The 400 the spec documents for POST /v2/tags (``error_with_root_causes``)."""
    error = f'Error validating resource tag: "tag-name \\"{name}\\" contains invalid characters"'
    cause = f"rpc error: code = InvalidArgument desc = {error}"
    return Response(400, {"error": error, "messages": None, "root_causes": [cause]})


@router.get("/v2/tags/{tag_id}")
def get_tag(request: Request) -> Response:
    return ok({"tag": tag_json(request, _find_tag(request))})


@router.delete("/v2/tags/{tag_id}")
def delete_tag(request: Request) -> Response:
    tag = _find_tag(request)
    for taggable in TAGGABLE.values():
        for tags in taggable.each(request.world):
            if tag.name in tags:
                tags.remove(tag.name)
    del request.world.tags[tag.name]
    return no_content()


def _targets(request: Request) -> list[tuple[Taggable, str, list[str]]]:
    resources = request.json().get("resources")
    if not isinstance(resources, list) or not resources:
        raise unprocessable("resources is required")
    targets = []
    for item in resources:
        kind = item.get("resource_type") if isinstance(item, dict) else None
        ref = str(item.get("resource_id", "")) if isinstance(item, dict) else ""
        taggable = TAGGABLE.get(kind) if isinstance(kind, str) else None
        if taggable is None:
            raise unprocessable(f"resource_type must be one of: {', '.join(TAGGABLE)}")
        tags = taggable.find(request.world, ref)
        if tags is None:
            raise not_found()
        targets.append((taggable, ref, tags))
    return targets


@router.post("/v2/tags/{tag_id}/resources")
def tag_resources(request: Request) -> Response:
    tag = _find_tag(request)
    for taggable, ref, tags in _targets(request):
        if tag.name not in tags:
            tags.append(tag.name)
        uri = taggable.uri.format(id=ref)
        tag.last_tagged[taggable.group] = tag.last_tagged_uri = uri
    return no_content()


@router.delete("/v2/tags/{tag_id}/resources")
def untag_resources(request: Request) -> Response:
    tag = _find_tag(request)
    for _, _, tags in _targets(request):
        if tag.name in tags:
            tags.remove(tag.name)
    return no_content()
