"""The fallback behind the hand-written routes: every other operation of the spec answers truly.

``fallback_router(routes)`` routes every ``/v2`` operation of the spec (from the committed
``spec_index.json``, see ``_spec_index``) that ``routes`` does not serve:

* a collection of the spec none of whose operations is hand-written is kept in memory by a
  generic store: list (paginated), create (the spec's sample item merged with the body's fields
  of the same type, under a fresh id of the spec's kind, or the body's for a name-keyed item),
  get, update (PUT/PATCH) and delete, answered with the spec's statuses and envelope keys; an
  unknown id is a 404;
* an operation that a hand-written route serves, but whose parameters it refused (``/v2/droplets/x``
  where the route takes an integer), is a 404, as before;
* anything else is a 501 ``not_implemented`` naming the operation, never a 404 that reads as
  "does not exist".

A hand-written route added later takes precedence automatically: its whole collection leaves the
generic store.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import uuid
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from ._api import (
    ApiError,
    Handler,
    Request,
    Response,
    Router,
    not_found,
    paginate,
    unprocessable,
)
from ._models import JSON
from ._state import World

INDEX_PATH = Path(__file__).with_name("spec_index.json")  # built by _spec_index
_IDS = uuid.UUID("0b6f7a52-3c1d-4e8f-9a2b-5c6d7e8f9a0b")  # namespace of generated uuids
_ADDRESSES = {"ipv4": "45.55.96.0", "ipv6": "2604:a880:800:14::"}


def not_implemented(method: str, template: str) -> ApiError:
    """The 501 for an operation of the spec the sandbox does not simulate."""
    return ApiError(
        501,
        "not_implemented",
        f"The sandbox does not simulate {method} {template}; "
        "run CargoShipper with a DigitalOcean token to use it.",
    )


@cache
def spec_index() -> JSON:
    """The committed index of the spec's operations and collections."""
    return json.loads(INDEX_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Collection:
    """One collection of the spec as the generic store serves it (an entry of the index)."""

    path: str  # "/v2/reserved_ips"
    item: str  # "/v2/reserved_ips/{reserved_ip}"
    plural: str  # list envelope key
    singular: str  # create/get/update envelope key
    id: str  # the item's id field
    id_kind: str  # integer | uuid | ipv4 | ipv6 | string
    envelope: list[str]  # which of links and meta the list answer has
    required: list[str]  # body fields a create needs
    ops: dict[str, list[Any]]  # list|create|get|put|patch|delete -> [status, envelope key|None]
    sample: JSON

    def routes(self) -> dict[tuple[str, str], Handler]:
        """(method, template) -> handler for every operation the store answers."""
        handlers = {"list": _list, "create": _create, "get": _get, "delete": _delete}
        routes = {}
        for op in self.ops:
            method = {"list": "GET", "create": "POST"}.get(op, op.upper())
            template = self.path if op in ("list", "create") else self.item
            routes[method, template] = partial(handlers.get(op, _update), self, op)
        return routes

    def store(self, world: World) -> dict[str, JSON]:
        return world.table("generic:" + self.path)

    def answer(self, op: str, item: JSON | None) -> Response:
        status, key = self.ops[op]
        return Response(status, None if key is None or item is None else {key: item})

    def find(self, request: Request) -> JSON:
        (ref,) = request.params.values()
        item = self.store(request.world).get(ref)
        if item is None:
            raise not_found()
        return item


def collections() -> list[Collection]:
    """Every collection of the index, hand-written ones included."""
    return [Collection(path, **entry) for path, entry in spec_index()["collections"].items()]


def generic_collections(routes: Router) -> list[Collection]:
    """The collections the generic store serves beside ``routes``: those with neither path
    (``/v2/<collection>``, ``/v2/<collection>/{id}``) served by a hand-written route."""
    templates = {route.template for route in routes}
    return [c for c in collections() if c.path not in templates and c.item not in templates]


def fallback_router(routes: Router) -> Router:
    """Routes for every spec operation that ``routes`` lacks; see the module docstring."""
    served = {(route.method, route.template) for route in routes}
    generic = {key: h for c in generic_collections(routes) for key, h in c.routes().items()}
    fallback = Router()
    operations = spec_index()["operations"]
    for template in sorted(operations, key=_specificity):
        for method in operations[template]:
            key = (method, template)
            handler = generic.get(key) or partial(_unsimulated, method, template, key in served)
            fallback.add(method, template, handler)
    return fallback


def _specificity(template: str) -> list[bool]:
    """Sort key: literal segments before parameters (``/droplets/autoscale`` before ``/{id}``)."""
    return ["{" in segment for segment in template.split("/")]


def _unsimulated(method: str, template: str, hand_written: bool, request: Request) -> Response:
    if hand_written:  # a hand-written route refused the parameters: the resource does not exist
        raise not_found()
    raise not_implemented(method, template)


# --- the generic store ----------------------------------------------------------------------


def _list(collection: Collection, op: str, request: Request) -> Response:
    items = list(collection.store(request.world).values())
    body = paginate(request, collection.plural, items)
    for extra in ("links", "meta"):
        if extra not in collection.envelope:
            del body[extra]
    return Response(collection.ops[op][0], body)


def _create(collection: Collection, op: str, request: Request) -> Response:
    body = request.json()
    missing = [name for name in collection.required if name not in body]
    if missing:
        raise unprocessable(f"{', '.join(missing)} is required")
    store = collection.store(request.world)
    item = _merged(copy.deepcopy(collection.sample), body)
    given = body.get(collection.id)  # a name-keyed item (a registry) is named by its creator
    named = collection.id_kind == "string" and isinstance(given, str) and given
    item[collection.id] = given if named else _fresh_id(request.world, collection)
    if str(item[collection.id]) in store:
        raise unprocessable(f"{collection.singular} {item[collection.id]} already exists")
    if isinstance(item.get("created_at"), str):
        item["created_at"] = request.world.iso()
    store[str(item[collection.id])] = item
    return collection.answer(op, item)


def _get(collection: Collection, op: str, request: Request) -> Response:
    return collection.answer(op, collection.find(request))


def _update(collection: Collection, op: str, request: Request) -> Response:
    item = collection.find(request)
    body = {k: v for k, v in request.json().items() if k != collection.id}
    return collection.answer(op, _merged(item, body))


def _delete(collection: Collection, op: str, request: Request) -> Response:
    item = collection.find(request)
    del collection.store(request.world)[str(item[collection.id])]
    return collection.answer(op, item)


def _merged(item: JSON, body: JSON) -> JSON:
    """``item`` with the body's fields that it has, where the types agree."""
    for name, value in body.items():
        if name in item and _same_type(item[name], value):
            item[name] = value
    return item


def _same_type(old: Any, new: Any) -> bool:
    def kind(value: Any) -> type:
        return float if isinstance(value, int) and not isinstance(value, bool) else type(value)

    return old is not None and kind(old) is kind(new)


def _fresh_id(world: World, collection: Collection) -> Any:
    n = world.next_id("generic:" + collection.path)
    if collection.id_kind == "integer":
        return n
    if collection.id_kind in _ADDRESSES:
        return str(ipaddress.ip_address(_ADDRESSES[collection.id_kind]) + n)
    return str(uuid.uuid5(_IDS, f"{collection.path}/{n}"))
