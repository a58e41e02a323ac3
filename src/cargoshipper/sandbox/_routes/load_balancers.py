"""Regional load balancers: create, get, list, replace (PUT), delete, their Droplets and rules.

A load balancer is ``new`` for ``boot_seconds``, then ``active`` with its IP (computed from the
World's clock on read). A PUT replaces the whole configuration: every attribute it omits goes
back to the spec's default, as on DigitalOcean, so a client that does not merge loses settings.
Backends are ``droplet_ids`` or a ``tag``; a tag's Droplets (of the region and VPC) are looked up
on every read, so they follow tagging. State: ``world.table("load_balancers")`` (id -> LB).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
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
from .._models import JSON
from .._network import private_ipv4, public_ipv4, public_ipv6, region_vpc
from .._state import World
from .catalog import region_json
from .tags import TAG_NAME

router = Router()

TABLE = "load_balancers"
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]{0,254}")
ENTRY_PROTOCOLS = ("http", "https", "http2", "http3", "tcp", "udp")
TARGET_PROTOCOLS = ("http", "https", "http2", "tcp", "udp")
TLS_ENTRIES = ("https", "http2", "http3")  # need a certificate unless TLS is passed through
DEFAULT_PROJECT = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"  # the account's default project
SIZES = {"lb-small": 1, "lb-medium": 3, "lb-large": 6}  # the deprecated ``size``, in nodes
HEALTH_CHECK: JSON = {
    "protocol": "http",
    "port": 80,
    "path": "/",
    "check_interval_seconds": 10,
    "response_timeout_seconds": 5,
    "healthy_threshold": 3,
    "unhealthy_threshold": 5,
}
#: Integer health check settings and their allowed ranges.
HEALTH_LIMITS = {
    "port": (1, 65535),
    "check_interval_seconds": (3, 300),
    "response_timeout_seconds": (3, 300),
    "healthy_threshold": (2, 10),
    "unhealthy_threshold": (2, 10),
}
FLAGS = (
    "redirect_http_to_https",
    "enable_proxy_protocol",
    "enable_backend_keepalive",
    "disable_lets_encrypt_dns_records",
)
#: Enumerated settings a PUT may change (default first).
CHOICES = {
    "algorithm": ("round_robin", "least_connections"),
    "tls_cipher_policy": ("DEFAULT", "STRONG"),
}
#: Enumerated settings fixed at creation (default first).
FIXED = {
    "network": ("EXTERNAL", "INTERNAL"),
    "network_stack": ("IPV4", "DUALSTACK"),
    "type": ("REGIONAL", "REGIONAL_NETWORK"),
}
_IDS = uuid.UUID("3e9f6c1a-4b2d-4f7e-8a90-1c2d3e4f5a6b")  # namespace of generated ids


@dataclass
class LoadBalancer:
    id: str
    name: str
    region: str
    vpc_uuid: str
    created_at: str
    ready_at: float  # clock time at which it is active
    fixed: JSON  # network, network_stack, type
    settings: JSON  # every attribute a PUT replaces, as the API shows it
    droplet_ids: list[int]
    tag: str
    ip: str
    ipv6: str = ""


def load_balancers(world: World) -> dict[str, LoadBalancer]:
    return world.table(TABLE)


def backends(world: World, lb: LoadBalancer) -> list[int]:
    """The Droplets behind a load balancer: its tag's (looked up now) or its listed ones."""
    if lb.tag:
        return [
            d.id
            for d in world.droplets.values()
            if lb.tag in d.tags and d.region == lb.region and d.vpc_uuid == lb.vpc_uuid
        ]
    return [d for d in lb.droplet_ids if d in world.droplets]


def status(world: World, lb: LoadBalancer) -> str:
    return "new" if world.now() < lb.ready_at else "active"


def lb_json(world: World, lb: LoadBalancer) -> JSON:
    active = status(world, lb) == "active"
    return {
        "id": lb.id,
        "name": lb.name,
        "ip": lb.ip if active else "",
        **({"ipv6": lb.ipv6 if active else ""} if lb.ipv6 else {}),
        "status": status(world, lb),
        "created_at": lb.created_at,
        **lb.settings,
        "region": region_json(world, lb.region),
        "tag": lb.tag,
        "droplet_ids": backends(world, lb),
        "vpc_uuid": lb.vpc_uuid,
        **lb.fixed,
    }


def find_lb(request: Request) -> LoadBalancer:
    lb = load_balancers(request.world).get(request.params["lb_id"])
    if lb is None:
        raise not_found()
    return lb


# -- validation --------------------------------------------------------------------------------


def _bounded(value: Any, label: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise unprocessable(f"{label} must be an integer from {low} to {high}")
    return value


def _one_of(value: Any, label: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise unprocessable(f"{label} must be one of: {', '.join(allowed)}")
    return value


def _flag(body: JSON, key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise unprocessable(f"{key} must be a boolean")
    return value


def _choice(body: JSON, key: str, allowed: tuple[str, ...]) -> str:
    """An enumerated setting; the first allowed value when omitted."""
    return _one_of(body.get(key, allowed[0]), key, allowed)


def forwarding_rule(value: Any) -> JSON:
    """One forwarding rule, validated, with the API's defaults filled in."""
    if not isinstance(value, dict):
        raise unprocessable("each forwarding rule must be an object")
    rule = {
        "entry_protocol": _one_of(value.get("entry_protocol"), "entry_protocol", ENTRY_PROTOCOLS),
        "entry_port": _bounded(value.get("entry_port"), "entry_port", 1, 65535),
        "target_protocol": _one_of(
            value.get("target_protocol"), "target_protocol", TARGET_PROTOCOLS
        ),
        "target_port": _bounded(value.get("target_port"), "target_port", 1, 65535),
        "certificate_id": value.get("certificate_id") or "",
        "tls_passthrough": _flag(value, "tls_passthrough"),
    }
    _check_tls(rule)
    return rule


def _check_tls(rule: JSON) -> None:
    entry, target = rule["entry_protocol"], rule["target_protocol"]
    if (entry == "udp") != (target == "udp"):
        raise unprocessable("udp forwarding rules need udp as both entry and target protocol")
    if not isinstance(rule["certificate_id"], str):
        raise unprocessable("certificate_id must be a string")
    if rule["tls_passthrough"]:
        if rule["certificate_id"]:
            raise unprocessable("certificate_id and tls_passthrough are mutually exclusive")
        if (entry, target) != ("https", "https"):
            raise unprocessable("tls_passthrough needs https as both entry and target protocol")
    elif entry in TLS_ENTRIES and not rule["certificate_id"]:
        raise unprocessable(
            f"certificate_id is required for an {entry} entry_protocol (or set tls_passthrough)"
        )


def forwarding_rules(value: Any) -> list[JSON]:
    """A non-empty list of rules whose entry ports differ."""
    if not isinstance(value, list) or not value:
        raise unprocessable("forwarding_rules must hold at least one forwarding rule")
    rules = [forwarding_rule(item) for item in value]
    _check_ports(rules)
    return rules


def _check_ports(rules: list[JSON]) -> None:
    ports = [rule["entry_port"] for rule in rules]
    for port in ports:
        if ports.count(port) > 1:
            raise unprocessable(f"entry_port {port} is used by more than one forwarding rule")


def _health_check(value: Any) -> JSON:
    if value is None:
        return dict(HEALTH_CHECK)
    if not isinstance(value, dict):
        raise unprocessable("health_check must be an object")
    check = {**HEALTH_CHECK, **{k: v for k, v in value.items() if k in HEALTH_CHECK}}
    _one_of(check["protocol"], "health_check.protocol", ("http", "https", "tcp"))
    for key, (low, high) in HEALTH_LIMITS.items():
        _bounded(check[key], f"health_check.{key}", low, high)
    if not isinstance(check["path"], str) or not check["path"].startswith("/"):
        raise unprocessable("health_check.path must start with /")
    return check


def _sticky_sessions(value: Any) -> JSON:
    if value is None:
        return {"type": "none"}
    if not isinstance(value, dict):
        raise unprocessable("sticky_sessions must be an object")
    if _choice(value, "type", ("none", "cookies")) == "none":
        return {"type": "none"}
    name = value.get("cookie_name", "DO-LB")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", name):
        raise unprocessable("sticky_sessions.cookie_name must be 1-40 letters, digits, - or _")
    ttl = _bounded(value.get("cookie_ttl_seconds", 300), "cookie_ttl_seconds", 1, 604_800)
    return {"type": "cookies", "cookie_name": name, "cookie_ttl_seconds": ttl}


def _firewall(value: Any) -> JSON:
    if value is None:
        return {"allow": [], "deny": []}
    if not isinstance(value, dict):
        raise unprocessable("firewall must be an object with allow and deny lists")
    lists = {key: value.get(key) or [] for key in ("allow", "deny")}
    for entries in lists.values():
        if not isinstance(entries, list) or not all(_lb_source(e) for e in entries):
            raise unprocessable("firewall rules look like ip:1.2.3.4 or cidr:1.2.0.0/16")
    return {key: list(entries) for key, entries in lists.items()}


def _lb_source(entry: Any) -> bool:
    kind, _, address = entry.partition(":") if isinstance(entry, str) else ("", "", "")
    try:
        if kind == "ip":
            ipaddress.ip_address(address)
        elif kind == "cidr":
            ipaddress.ip_network(address, strict=False)
        else:
            return False
    except ValueError:
        return False
    return True


def _project(value: Any) -> str:
    if value is None or value == "":
        return DEFAULT_PROJECT
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise unprocessable(f"invalid project_id {value!r}: it must be a project's UUID") from None


def _size_unit(body: JSON) -> JSON:
    if "size_unit" in body or "size" not in body:
        return {"size_unit": _bounded(body.get("size_unit", 1), "size_unit", 1, 100)}
    size = _choice(body, "size", tuple(SIZES))
    return {"size_unit": SIZES[size], "size": size}


def settings(body: JSON) -> JSON:
    """Every attribute a create or PUT sets, from the body or the spec's default."""
    return {
        "forwarding_rules": forwarding_rules(body.get("forwarding_rules")),
        "health_check": _health_check(body.get("health_check")),
        "sticky_sessions": _sticky_sessions(body.get("sticky_sessions")),
        "firewall": _firewall(body.get("firewall")),
        "http_idle_timeout_seconds": _bounded(
            body.get("http_idle_timeout_seconds", 60), "http_idle_timeout_seconds", 30, 600
        ),
        "project_id": _project(body.get("project_id")),
        **_size_unit(body),
        **{key: _choice(body, key, allowed) for key, allowed in CHOICES.items()},
        **{key: _flag(body, key) for key in FLAGS},
    }


def _name(value: Any) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise unprocessable(
            "name is required: letters, digits, '.' and '-', starting with a letter or digit"
        )
    return value


def _fixed(body: JSON) -> JSON:
    if body.get("type") == "GLOBAL":
        raise unprocessable("the sandbox simulates regional load balancers only, not GLOBAL")
    return {key: _choice(body, key, allowed) for key, allowed in FIXED.items()}


def _droplets(world: World, value: Any, region: str, vpc_uuid: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in value
    ):
        raise unprocessable("droplet_ids must be a list of Droplet ids")
    for droplet_id in value:
        droplet = world.droplets.get(droplet_id)
        if droplet is None:
            raise unprocessable(f"Droplet {droplet_id} does not exist")
        if droplet.region != region or droplet.vpc_uuid != vpc_uuid:
            raise unprocessable(
                f"Droplet {droplet_id} ({droplet.name}) is not in the load balancer's region "
                f"{region} and VPC {vpc_uuid}"
            )
    return list(dict.fromkeys(value))


def _backends(world: World, body: JSON, region: str, vpc_uuid: str) -> tuple[list[int], str]:
    """(droplet_ids, tag) of a create or PUT: one or the other, never both."""
    ids, tag = body.get("droplet_ids") or [], body.get("tag") or ""
    if ids and tag:
        raise unprocessable("droplet_ids and tag are mutually exclusive: give one of them")
    if tag and (not isinstance(tag, str) or not TAG_NAME.fullmatch(tag)):
        raise unprocessable(f"invalid tag {tag!r}")
    return _droplets(world, ids, region, vpc_uuid), tag


def _region(world: World, value: Any) -> str:
    if not isinstance(value, str) or value not in world.regions:
        raise unprocessable(f"invalid region {value!r}: give the slug of a region (e.g. nyc3)")
    return value


# -- load balancers ----------------------------------------------------------------------------


@router.get("/v2/load_balancers")
def list_load_balancers(request: Request) -> Response:
    world = request.world
    found = [lb_json(world, lb) for lb in load_balancers(world).values()]
    return ok(paginate(request, "load_balancers", found))


def _address(world: World, region: str, vpc_uuid: str, fixed: JSON) -> tuple[str, str]:
    """(ip, ipv6): a public IP, or one of the VPC for an internal load balancer."""
    if fixed["network"] == "INTERNAL":
        return private_ipv4(world, vpc_uuid), ""
    dual = fixed["network_stack"] == "DUALSTACK"
    return public_ipv4(world, region), public_ipv6(world) if dual else ""


@router.post("/v2/load_balancers")
def create_load_balancer(request: Request) -> Response:
    world, body = request.world, request.json()
    name, region = _name(body.get("name")), _region(world, body.get("region"))
    vpc_uuid = region_vpc(world, body.get("vpc_uuid"), region)
    config, fixed = settings(body), _fixed(body)
    droplet_ids, tag = _backends(world, body, region, vpc_uuid)
    ip, ipv6 = _address(world, region, vpc_uuid, fixed)
    number = world.next_id("load_balancer")
    lb = LoadBalancer(
        id=str(uuid.uuid5(_IDS, f"load_balancer/{number}")),
        name=name,
        region=region,
        vpc_uuid=vpc_uuid,
        created_at=world.iso(),
        ready_at=world.now() + world.config.boot_seconds,
        fixed=fixed,
        settings=config,
        droplet_ids=droplet_ids,
        tag=tag,
        ip=ip,
        ipv6=ipv6,
    )
    load_balancers(world)[lb.id] = lb
    return accepted({"load_balancer": lb_json(world, lb)})


@router.get("/v2/load_balancers/{lb_id}")
def get_load_balancer(request: Request) -> Response:
    return ok({"load_balancer": lb_json(request.world, find_lb(request))})


def _unchanged(body: JSON, key: str, current: str) -> None:
    """Refuse a new value for an attribute fixed at creation (omitting it keeps it)."""
    if body.get(key) not in (None, "", current):
        raise unprocessable(f"{key} can not be changed after the load balancer is created")


@router.put("/v2/load_balancers/{lb_id}")
def update_load_balancer(request: Request) -> Response:
    world, lb, body = request.world, find_lb(request), request.json()
    for key, current in (("region", lb.region), ("vpc_uuid", lb.vpc_uuid), *lb.fixed.items()):
        _unchanged(body, key, current)
    name, config = _name(body.get("name")), settings(body)
    lb.droplet_ids, lb.tag = _backends(world, body, lb.region, lb.vpc_uuid)
    lb.name, lb.settings = name, config
    return ok({"load_balancer": lb_json(world, lb)})


@router.delete("/v2/load_balancers/{lb_id}")
def delete_load_balancer(request: Request) -> Response:
    del load_balancers(request.world)[find_lb(request).id]
    return no_content()


# -- droplets and forwarding rules -------------------------------------------------------------


def _listed_droplets(request: Request) -> tuple[LoadBalancer, list[int]]:
    lb = find_lb(request)
    if lb.tag:
        raise unprocessable(
            f"this load balancer balances the Droplets tagged {lb.tag}; tag or untag Droplets "
            "instead of adding or removing them"
        )
    ids = request.json().get("droplet_ids")
    if not ids:
        raise unprocessable("droplet_ids is required")
    return lb, _droplets(request.world, ids, lb.region, lb.vpc_uuid)


@router.post("/v2/load_balancers/{lb_id}/droplets")
def add_droplets(request: Request) -> Response:
    lb, ids = _listed_droplets(request)
    lb.droplet_ids = list(dict.fromkeys([*lb.droplet_ids, *ids]))
    return no_content()


@router.delete("/v2/load_balancers/{lb_id}/droplets")
def remove_droplets(request: Request) -> Response:
    lb, ids = _listed_droplets(request)
    lb.droplet_ids = [d for d in lb.droplet_ids if d not in ids]
    return no_content()


RULE_KEY = ("entry_protocol", "entry_port", "target_protocol", "target_port")


def _rule_key(rule: JSON) -> tuple[Any, ...]:
    """What identifies a forwarding rule when one is removed."""
    return tuple(rule.get(k) for k in RULE_KEY)


@router.post("/v2/load_balancers/{lb_id}/forwarding_rules")
def add_forwarding_rules(request: Request) -> Response:
    lb = find_lb(request)
    added = forwarding_rules(request.json().get("forwarding_rules"))
    rules = lb.settings["forwarding_rules"]
    new = [rule for rule in added if _rule_key(rule) not in {_rule_key(r) for r in rules}]
    _check_ports([*rules, *new])
    rules.extend(new)
    return no_content()


@router.delete("/v2/load_balancers/{lb_id}/forwarding_rules")
def remove_forwarding_rules(request: Request) -> Response:
    lb = find_lb(request)
    value = request.json().get("forwarding_rules")
    if not isinstance(value, list) or not value:
        raise unprocessable("forwarding_rules must hold at least one forwarding rule")
    if not all(isinstance(r, dict) and all(k in r for k in RULE_KEY) for r in value):
        raise unprocessable(f"each forwarding rule to remove needs {', '.join(RULE_KEY)}")
    gone = {_rule_key(r) for r in value}
    kept = [r for r in lb.settings["forwarding_rules"] if _rule_key(r) not in gone]
    if not kept:
        raise unprocessable("a load balancer needs at least one forwarding rule; delete it instead")
    lb.settings["forwarding_rules"] = kept
    return no_content()
