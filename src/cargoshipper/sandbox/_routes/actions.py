"""Actions: the account-wide log of asynchronous operations."""

from __future__ import annotations

from collections.abc import Iterable

from .._api import Request, Response, Router, not_found, ok, paginate
from .._models import JSON, Action
from .._state import World
from .catalog import region_json

router = Router()


def action_json(world: World, action: Action) -> JSON:
    """An action as DigitalOcean shows it."""
    data: JSON = {
        "id": action.id,
        "status": action.status,
        "type": action.type,
        "started_at": action.started_at,
        "completed_at": action.completed_at,
        "resource_id": action.resource_id,
        "resource_type": action.resource_type,
    }
    if action.region_slug in world.regions:
        data["region"] = region_json(world, action.region_slug)
    data["region_slug"] = action.region_slug
    return data


def newest_first(actions: Iterable[Action]) -> list[Action]:
    return sorted(actions, key=lambda a: a.id, reverse=True)


def action_link(request: Request, action: Action, rel: str) -> JSON:
    """An entry of ``links.actions`` in a 202 answer."""
    return {"id": action.id, "rel": rel, "href": request.url(f"/v2/actions/{action.id}")}


@router.get("/v2/actions")
def list_actions(request: Request) -> Response:
    world = request.world
    actions = [action_json(world, a) for a in newest_first(world.actions.values())]
    return ok(paginate(request, "actions", actions))


@router.get("/v2/actions/{action_id:int}")
def get_action(request: Request) -> Response:
    action = request.world.actions.get(request.params["action_id"])
    if action is None:
        raise not_found()
    return ok({"action": action_json(request.world, action)})
