"""Cloud firewalls: create, get, list, replace (PUT), delete; their Droplets, tags and rules.

A firewall applies to its ``droplet_ids`` and to every Droplet carrying one of its ``tags``,
looked up on every read (so it follows tagging): ``GET /v2/droplets/{id}/firewalls`` lists the
firewalls of a Droplet. Every change leaves the firewall ``waiting`` for ``action_seconds``, with
the Droplets it touched in ``pending_changes``, then ``succeeded`` (computed from the World's
clock). State: ``world.table("firewalls")`` (id -> Firewall).
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._api import (
    ApiError,
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
from .._models import JSON
from .._state import World
from .droplets import find_droplet
from .kubernetes import clusters
from .load_balancers import load_balancers
from .tags import TAG_NAME

router = Router()

TABLE = "firewalls"
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]{1,254}")
PROTOCOLS = ("tcp", "udp", "icmp")
PORTS = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?")
ALL_PORTS = "0"  # how the API writes "all" (and every icmp rule's ports)
#: Each rule direction and the key of its targets.
DIRECTIONS = {"inbound_rules": "sources", "outbound_rules": "destinations"}
_IDS = uuid.UUID("9a7c5e3b-2d1f-4a8b-b6c4-e0f1a2b3c4d5")  # namespace of generated ids


@dataclass
class Firewall:
    id: str
    name: str
    created_at: str
    inbound_rules: list[JSON]
    outbound_rules: list[JSON]
    droplet_ids: list[int]
    tags: list[str]
    settled_at: float = 0.0  # clock time at which the last change is applied
    pending: list[tuple[int, bool]] = field(default_factory=list)  # (droplet, removing)


def firewalls(world: World) -> dict[str, Firewall]:
    return world.table(TABLE)


def protected(world: World, fw: Firewall) -> set[int]:
    """The Droplets a firewall applies to now: listed ones and those carrying its tags."""
    listed = {d for d in fw.droplet_ids if d in world.droplets}
    tagged = {d.id for d in world.droplets.values() if set(d.tags) & set(fw.tags)}
    return listed | tagged


def firewall_json(world: World, fw: Firewall) -> JSON:
    waiting = world.now() < fw.settled_at
    pending = [{"droplet_id": d, "removing": r, "status": "waiting"} for d, r in fw.pending]
    return {
        "id": fw.id,
        "name": fw.name,
        "status": "waiting" if waiting else "succeeded",
        "inbound_rules": list(fw.inbound_rules),
        "outbound_rules": list(fw.outbound_rules),
        "created_at": fw.created_at,
        "droplet_ids": [d for d in fw.droplet_ids if d in world.droplets],
        "tags": list(fw.tags),
        "pending_changes": pending if waiting else [],
    }


def find_firewall(request: Request) -> Firewall:
    fw = firewalls(request.world).get(request.params["firewall_id"])
    if fw is None:
        raise not_found()
    return fw


def _changed(world: World, fw: Firewall, before: set[int], rules: bool) -> None:
    """Start applying a change: the Droplets it adds (all of them if rules changed) and drops."""
    after = protected(world, fw)
    touched = after if rules else after - before
    fw.pending = [(d, False) for d in sorted(touched)] + [(d, True) for d in sorted(before - after)]
    fw.settled_at = world.now() + world.config.action_seconds


# -- validation --------------------------------------------------------------------------------


def _address(world: World, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _droplet(world: World, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in world.droplets


#: What each kind of rule target must name, and how to check one item of it.
TARGETS: dict[str, Callable[[World, Any], bool]] = {
    "addresses": _address,
    "droplet_ids": _droplet,
    "load_balancer_uids": lambda world, v: v in load_balancers(world),
    "kubernetes_ids": lambda world, v: v in clusters(world),
    "tags": lambda world, v: isinstance(v, str) and TAG_NAME.fullmatch(v) is not None,
}


def _target(world: World, value: Any, where: str) -> JSON:
    if not isinstance(value, dict) or not any(value.get(key) for key in TARGETS):
        raise unprocessable(f"{where} must name at least one of: {', '.join(TARGETS)}")
    target: JSON = {}
    for key, valid in TARGETS.items():
        items = value.get(key) or []
        if not isinstance(items, list):
            raise unprocessable(f"{where}.{key} must be a list")
        for item in items:
            if not valid(world, item):
                raise unprocessable(f"invalid {where}.{key} entry: {json.dumps(item)}")
        if items:
            target[key] = list(dict.fromkeys(items))
    return target


def _ports(protocol: str, value: Any) -> str:
    if protocol == "icmp":
        if value not in (None, "", "all", ALL_PORTS):
            raise unprocessable("ports can not be given for icmp rules")
        return ALL_PORTS
    if value in (None, ""):
        raise unprocessable(f"ports is required for {protocol} rules")
    if value in ("all", ALL_PORTS):
        return ALL_PORTS
    found = PORTS.fullmatch(value) if isinstance(value, str) else None
    low, high = (int(found[1]), int(found[2] or found[1])) if found else (0, 0)
    if not 1 <= low <= high <= 65535:
        raise unprocessable(
            f'invalid ports "{value}": give a port ("80"), a range ("8000-9000") or "all"'
        )
    return value


def _rule(world: World, value: Any, direction: str) -> JSON:
    where = DIRECTIONS[direction]
    if not isinstance(value, dict):
        raise unprocessable(f"each of {direction} must be an object")
    protocol = value.get("protocol")
    if protocol not in PROTOCOLS:
        raise unprocessable(f"invalid protocol {json.dumps(protocol)}: use tcp, udp or icmp")
    return {
        "protocol": protocol,
        "ports": _ports(protocol, value.get("ports")),
        where: _target(world, value.get(where), where),
    }


def rules(world: World, body: JSON) -> dict[str, list[JSON]]:
    """The body's inbound and outbound rules, validated and written as the API shows them."""
    found: dict[str, list[JSON]] = {}
    for direction in DIRECTIONS:
        value = body.get(direction) or []
        if not isinstance(value, list):
            raise unprocessable(f"{direction} must be a list of rules")
        found[direction] = _unique([_rule(world, rule, direction) for rule in value])
    return found


def _key(rule: JSON) -> str:
    """A rule's identity: the same protocol, ports and targets (in any order)."""
    canonical = {
        key: {kind: sorted(map(str, items)) for kind, items in value.items()}
        if isinstance(value, dict)
        else value
        for key, value in rule.items()
    }
    return json.dumps(canonical, sort_keys=True)


def _unique(found: list[JSON]) -> list[JSON]:
    return list({_key(rule): rule for rule in found}.values())


def _name(world: World, value: Any, fw: Firewall | None = None) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise unprocessable(
            "name is required: it starts with a letter or digit, then letters, digits, '.' or '-'"
        )
    if any(other.name == value and other is not fw for other in firewalls(world).values()):
        raise ApiError(409, "conflict", f"duplicate name: a firewall named {value} exists")
    return value


def _droplet_ids(world: World, value: Any) -> list[int]:
    if not isinstance(value, list):
        raise unprocessable("droplet_ids must be a list of Droplet ids")
    for item in value:
        if not _droplet(world, item):
            raise unprocessable(f"Droplet {json.dumps(item)} does not exist")
    return list(dict.fromkeys(value))


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(t, str) and TAG_NAME.fullmatch(t) for t in value
    ):
        raise unprocessable("tags must be a list of tag names")
    return list(dict.fromkeys(value))


def _configure(world: World, fw: Firewall, body: JSON) -> None:
    """Set everything a create or PUT sets; what the body omits is emptied, as on the API."""
    found = rules(world, body)
    if not any(found.values()):
        raise unprocessable("a firewall needs at least one inbound or outbound rule")
    name = _name(world, body.get("name"), fw)
    droplet_ids = _droplet_ids(world, body.get("droplet_ids") or [])
    tags = _tags(body.get("tags") or [])
    fw.name, fw.droplet_ids, fw.tags = name, droplet_ids, tags
    fw.inbound_rules, fw.outbound_rules = found["inbound_rules"], found["outbound_rules"]


# -- firewalls ---------------------------------------------------------------------------------


@router.get("/v2/firewalls")
def list_firewalls(request: Request) -> Response:
    world = request.world
    found = [firewall_json(world, fw) for fw in firewalls(world).values()]
    return ok(paginate(request, "firewalls", found))


@router.post("/v2/firewalls")
def create_firewall(request: Request) -> Response:
    world = request.world
    number = world.next_id("firewall")
    fw = Firewall(
        id=str(uuid.uuid5(_IDS, f"firewall/{number}")),
        name="",
        created_at=world.iso(),
        inbound_rules=[],
        outbound_rules=[],
        droplet_ids=[],
        tags=[],
    )
    _configure(world, fw, request.json())
    firewalls(world)[fw.id] = fw
    _changed(world, fw, set(), rules=True)
    return accepted({"firewall": firewall_json(world, fw)})


@router.get("/v2/firewalls/{firewall_id}")
def get_firewall(request: Request) -> Response:
    return ok({"firewall": firewall_json(request.world, find_firewall(request))})


@router.put("/v2/firewalls/{firewall_id}")
def update_firewall(request: Request) -> Response:
    world, fw = request.world, find_firewall(request)
    before = protected(world, fw)
    _configure(world, fw, request.json())
    _changed(world, fw, before, rules=True)
    return ok({"firewall": firewall_json(world, fw)})


@router.delete("/v2/firewalls/{firewall_id}")
def delete_firewall(request: Request) -> Response:
    del firewalls(request.world)[find_firewall(request).id]
    return no_content()


# -- droplets, tags and rules ------------------------------------------------------------------


def _listed(request: Request, key: str) -> tuple[Firewall, list[Any]]:
    fw, value = find_firewall(request), request.json().get(key)
    if not isinstance(value, list) or not value:
        raise unprocessable(f"{key} is required: a non-empty list")
    return fw, value


def _edit(request: Request, key: str, adding: bool) -> Response:
    """Add or remove Droplets or tags; removing one the firewall lacks changes nothing."""
    world = request.world
    fw, value = _listed(request, key)
    items = _droplet_ids(world, value) if key == "droplet_ids" else _tags(value)
    before, current = protected(world, fw), getattr(fw, key)
    edited = [*current, *items] if adding else [x for x in current if x not in items]
    setattr(fw, key, list(dict.fromkeys(edited)))
    _changed(world, fw, before, rules=False)
    return no_content()


@router.post("/v2/firewalls/{firewall_id}/droplets")
def add_droplets(request: Request) -> Response:
    return _edit(request, "droplet_ids", adding=True)


@router.delete("/v2/firewalls/{firewall_id}/droplets")
def remove_droplets(request: Request) -> Response:
    return _edit(request, "droplet_ids", adding=False)


@router.post("/v2/firewalls/{firewall_id}/tags")
def add_tags(request: Request) -> Response:
    return _edit(request, "tags", adding=True)


@router.delete("/v2/firewalls/{firewall_id}/tags")
def remove_tags(request: Request) -> Response:
    return _edit(request, "tags", adding=False)


def _rule_change(request: Request, adding: bool) -> Response:
    world, fw, body = request.world, find_firewall(request), request.json()
    if not any(body.get(direction) for direction in DIRECTIONS):
        raise unprocessable("give inbound_rules and/or outbound_rules")
    found = rules(world, body)
    for direction, given in found.items():
        current = getattr(fw, direction)
        gone = {_key(rule) for rule in given}
        kept = [rule for rule in current if _key(rule) not in gone]
        setattr(fw, direction, _unique([*current, *given]) if adding else kept)
    _changed(world, fw, protected(world, fw), rules=True)
    return no_content()


@router.post("/v2/firewalls/{firewall_id}/rules")
def add_rules(request: Request) -> Response:
    return _rule_change(request, adding=True)


@router.delete("/v2/firewalls/{firewall_id}/rules")
def remove_rules(request: Request) -> Response:
    return _rule_change(request, adding=False)


# -- a Droplet's firewalls ---------------------------------------------------------------------


@router.get("/v2/droplets/{droplet_id:int}/firewalls")
def list_droplet_firewalls(request: Request) -> Response:
    world, droplet = request.world, find_droplet(request)
    mine = [fw for fw in firewalls(world).values() if droplet.id in protected(world, fw)]
    return ok(paginate(request, "firewalls", [firewall_json(world, fw) for fw in mine]))
