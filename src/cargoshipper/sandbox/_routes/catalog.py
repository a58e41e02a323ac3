"""Regions and sizes: the read-only catalog."""

from __future__ import annotations

from .._api import Request, Response, Router, ok, paginate
from .._models import JSON
from .._state import World

router = Router()


def region_json(world: World, slug: str) -> JSON:
    """A region with the sizes that can be created in it."""
    sizes = [s.slug for s in world.sizes.values() if slug in s.regions and s.available]
    return world.regions[slug].to_json(sizes)


@router.get("/v2/regions")
def list_regions(request: Request) -> Response:
    regions = [region_json(request.world, slug) for slug in request.world.regions]
    return ok(paginate(request, "regions", regions))


@router.get("/v2/sizes")
def list_sizes(request: Request) -> Response:
    sizes = [size.to_json() for size in request.world.sizes.values()]
    return ok(paginate(request, "sizes", sizes))
