"""The sandbox's DigitalOcean routes, one module per resource.

To add a resource (databases, monitoring, projects ...):

1. write ``_routes/<resource>.py`` with ``router = Router()`` and handlers decorated with
   ``@router.get("/v2/...")`` etc. (paths spelled as in the OpenAPI spec, ``{name:int}`` for
   integer ids). Handlers take a ``Request`` and return a ``Response`` or raise ``ApiError``;
   they run holding the World's lock. Use ``paginate`` for lists, ``world.start_action`` for
   asynchronous work, ``world.table("<resource>")`` for storage (or a typed table in ``World``),
   and an optional ``seed(world)`` function for initial records;
2. add the module to ``MODULES`` below;
3. extend the walk in ``tests/sandbox/test_openapi_conformance.py`` (it fails until every route
   is exercised and its answers validate against the spec).

Path parameters reach handlers percent-decoded. Operations of the spec that no module routes are
answered by the fallback (``_generic``): a generic in-memory store for plain collections, 501
``not_implemented`` for the rest. A resource module takes a collection over from the generic
store as soon as it routes either of its paths.
"""

from __future__ import annotations

from types import ModuleType

from .._api import Router
from . import (
    account,
    actions,
    catalog,
    database_users,
    databases,
    domains,
    droplet_actions,
    droplets,
    firewalls,
    images,
    kubernetes,
    load_balancers,
    monitoring,
    projects,
    tags,
    volumes,
    vpcs,
)

MODULES: tuple[ModuleType, ...] = (
    account,
    catalog,
    images,
    droplets,
    droplet_actions,
    actions,
    tags,
    domains,
    kubernetes,
    volumes,
    vpcs,
    load_balancers,
    firewalls,
    databases,
    database_users,
    monitoring,
    projects,
)


def build_router() -> Router:
    """All routes of all modules."""
    return Router(*(module.router for module in MODULES))


def seed_modules(world: object) -> None:
    """Run the optional ``seed(world)`` of every module."""
    for module in MODULES:
        seed = getattr(module, "seed", None)
        if seed is not None:
            seed(world)
