"""VPCs: the account's private networks and their members.

The VPCs are ``world.vpcs``, the registry Droplets, clusters, load balancers and database
clusters already point into (``vpc_uuid``); the catalog seeds each region's default VPC. Members
are found on every read from those ``vpc_uuid`` fields. A region's default VPC, or one with
members, is not deleted.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterator
from typing import Any

from .._api import (
    ApiError,
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
from .._models import JSON, Vpc
from .._state import World
from .databases import databases
from .kubernetes import clusters
from .load_balancers import load_balancers

router = Router()

NAME = re.compile(r"[a-zA-Z0-9\-.]{1,255}")
MAX_DESCRIPTION = 255
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
#: Ranges DigitalOcean keeps for itself (Kubernetes pod and service networks ...).
RESERVED = tuple(
    ipaddress.ip_network(n) for n in ("10.244.0.0/16", "10.245.0.0/16", "10.246.0.0/24")
)
PREFIXES = (16, 28)  # the largest and the smallest range a VPC may have
#: ``resource_type`` filter values and the URN kind they select.
MEMBER_KINDS = {
    "droplet": "droplet",
    "load_balancer": "loadbalancer",
    "loadbalancer": "loadbalancer",
    "kubernetes": "kubernetes",
    "kubernetes_cluster": "kubernetes",
    "database": "dbaas",
    "dbaas": "dbaas",
}
_IDS = uuid.UUID("5b2e8d4c-1f3a-4e6b-9c7d-2a1b0c9d8e7f")  # namespace of generated ids


def vpc_json(vpc: Vpc) -> JSON:
    return {
        "id": vpc.id,
        "urn": f"do:vpc:{vpc.id}",
        "name": vpc.name,
        "description": vpc.description,
        "region": vpc.region,
        "ip_range": vpc.ip_range,
        "default": vpc.default,
        "created_at": vpc.created_at,
    }


def find_vpc(request: Request) -> Vpc:
    vpc = request.world.vpcs.get(request.params["vpc_id"])
    if vpc is None:
        raise not_found()
    return vpc


def members(world: World, vpc: Vpc) -> Iterator[JSON]:
    """Every resource in a VPC, as ``vpc_member`` (urn, name, created_at)."""
    for d in world.droplets.values():
        if d.vpc_uuid == vpc.id:
            yield {"urn": f"do:droplet:{d.id}", "name": d.name, "created_at": d.created_at}
    for lb in load_balancers(world).values():
        if lb.vpc_uuid == vpc.id:
            yield {"urn": f"do:loadbalancer:{lb.id}", "name": lb.name, "created_at": lb.created_at}
    for c in clusters(world).values():
        if c.vpc_uuid == vpc.id:
            yield {"urn": f"do:kubernetes:{c.id}", "name": c.name, "created_at": c.created_at}
    for db in databases(world).values():
        if db.vpc_uuid == vpc.id:
            yield {"urn": f"do:dbaas:{db.id}", "name": db.name, "created_at": db.created_at}


# -- validation --------------------------------------------------------------------------------


def _name(world: World, value: Any, vpc: Vpc | None = None) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise unprocessable("name is required: letters, digits, '-' and '.' only")
    taken = next((v for v in world.vpcs.values() if v.name == value and v is not vpc), None)
    if taken is not None:
        raise ApiError(409, "conflict", f"A VPC named {value} already exists ({taken.id}).")
    return value


def _description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise unprocessable(f"description must be a string of at most {MAX_DESCRIPTION} characters")
    return value


def _network(value: Any) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(value) if isinstance(value, str) else None
    except ValueError:
        network = None
    if not isinstance(network, ipaddress.IPv4Network):
        raise unprocessable(f"ip_range {value!r} is not an IPv4 network in CIDR notation")
    if not any(network.subnet_of(block) for block in PRIVATE):
        raise unprocessable(f"ip_range {value} must be a private (RFC 1918) range")
    if not PREFIXES[0] <= network.prefixlen <= PREFIXES[1]:
        raise unprocessable(f"ip_range {value} may not be smaller than /28 nor larger than /16")
    return network


def _clash(world: World, network: ipaddress.IPv4Network) -> str | None:
    """What an IP range overlaps: another VPC of the account or a reserved range."""
    for vpc in world.vpcs.values():
        if network.overlaps(ipaddress.ip_network(vpc.ip_range)):
            return f"the range {vpc.ip_range} of VPC {vpc.name}"
    for reserved in RESERVED:
        if network.overlaps(reserved):
            return f"the range {reserved}, which DigitalOcean reserves"
    return None


def _ip_range(world: World, value: Any) -> str:
    if value is None or value == "":
        return _free_range(world)
    network = _network(value)
    clash = _clash(world, network)
    if clash:
        raise unprocessable(f"ip_range {value} overlaps {clash}")
    return str(network)


def _free_range(world: World) -> str:
    """A /20 in 10.0.0.0/8 that overlaps nothing (from 10.100.0.0/20 on, as DigitalOcean's)."""
    for second in (*range(100, 256), *range(0, 100)):
        for third in range(0, 256, 16):
            network = ipaddress.IPv4Network(f"10.{second}.{third}.0/20")
            if _clash(world, network) is None:
                return str(network)
    raise unprocessable("no free /20 range is left in 10.0.0.0/8; give an ip_range")


def _make_default(world: World, vpc: Vpc, value: Any) -> None:
    """Apply ``default``: true moves the region's default here; false can not unset it."""
    if value is None or value is vpc.default:
        return
    if not isinstance(value, bool):
        raise unprocessable("default must be a boolean")
    if not value:
        raise unprocessable(
            f"The default VPC of {vpc.region} can not be unset; "
            "make another VPC of the region the default instead."
        )
    for other in world.vpcs.values():
        if other.region == vpc.region:
            other.default = other is vpc


# -- routes ------------------------------------------------------------------------------------


@router.get("/v2/vpcs")
def list_vpcs(request: Request) -> Response:
    found = [vpc_json(vpc) for vpc in request.world.vpcs.values()]
    return ok(paginate(request, "vpcs", found))


@router.post("/v2/vpcs")
def create_vpc(request: Request) -> Response:
    world, body = request.world, request.json()
    name = _name(world, body.get("name"))
    region = body.get("region")
    if not isinstance(region, str) or region not in world.regions:
        raise unprocessable(f"invalid region {region!r}: give the slug of a region (e.g. nyc3)")
    description = _description(body.get("description", ""))
    ip_range = _ip_range(world, body.get("ip_range"))
    first = not any(v.region == region and v.default for v in world.vpcs.values())
    vpc = Vpc(
        id=str(uuid.uuid5(_IDS, f"vpc/{world.next_id('vpc')}")),
        name=name,
        region=region,
        ip_range=ip_range,
        created_at=world.iso(),
        default=first,  # the first VPC of a region is its default
        description=description,
    )
    world.vpcs[vpc.id] = vpc
    return created({"vpc": vpc_json(vpc)})


@router.get("/v2/vpcs/{vpc_id}")
def get_vpc(request: Request) -> Response:
    return ok({"vpc": vpc_json(find_vpc(request))})


def _update(request: Request, name_required: bool) -> Response:
    world, vpc, body = request.world, find_vpc(request), request.json()
    given = name_required or "name" in body
    name = _name(world, body.get("name"), vpc) if given else vpc.name
    description = _description(body.get("description", vpc.description))
    _make_default(world, vpc, body.get("default"))
    vpc.name, vpc.description = name, description
    return ok({"vpc": vpc_json(vpc)})


@router.put("/v2/vpcs/{vpc_id}")
def update_vpc(request: Request) -> Response:
    return _update(request, name_required=True)


@router.patch("/v2/vpcs/{vpc_id}")
def patch_vpc(request: Request) -> Response:
    return _update(request, name_required=False)


@router.delete("/v2/vpcs/{vpc_id}")
def delete_vpc(request: Request) -> Response:
    world, vpc = request.world, find_vpc(request)
    if vpc.default:
        raise ApiError(
            403,
            "forbidden",
            f"Can not delete the default VPC of a region: {vpc.name} is the default of "
            f"{vpc.region}. Make another VPC of {vpc.region} the default first.",
        )
    inside = list(members(world, vpc))
    if inside:
        named = ", ".join(f"{m['name']} ({m['urn']})" for m in inside)
        raise ApiError(409, "conflict", f"Can not delete VPC with members: {named}")
    del world.vpcs[vpc.id]
    return no_content()


@router.get("/v2/vpcs/{vpc_id}/members")
def list_members(request: Request) -> Response:
    world, vpc = request.world, find_vpc(request)
    kind = request.arg("resource_type")
    found = [
        member
        for member in members(world, vpc)
        if kind is None or member["urn"].split(":")[1] == MEMBER_KINDS.get(kind, kind)
    ]
    found.sort(key=lambda member: member["created_at"], reverse=True)  # newest first
    return ok(paginate(request, "members", found))
