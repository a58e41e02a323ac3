"""The conformance walk over the VPC routes (success and error answers)."""

from __future__ import annotations

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

VPCS = "/v2/vpcs"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1 = 501_000_101
RULE = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_vpcs(api: Api, sb: Sandbox) -> None:
    default = _walk_reads(api)
    vpc_id = _walk_creates(api)
    _walk_updates(api, vpc_id, default)
    _walk_members(api, vpc_id, default)
    _walk_new_default(api)
    _expect(api.delete(f"{VPCS}/{vpc_id}"), 204)
    _expect(api.delete(f"{VPCS}/{vpc_id}"), 404)


def _walk_reads(api: Api) -> str:
    """The nyc3 default VPC's id."""
    listed = _expect(api.get(VPCS), 200).json["vpcs"]
    _expect(api.get(VPCS, query={"per_page": 3, "page": 2}), 200)
    default = next(v["id"] for v in listed if v["region"] == "nyc3" and v["default"])
    _expect(api.get(f"{VPCS}/{default}"), 200)
    _expect(api.get(f"{VPCS}/{MISSING}"), 404)
    _expect(api.get(f"{VPCS}/not-a-uuid"), 404)
    return default


def _walk_creates(api: Api) -> str:
    body = {"name": "walk-net", "region": "nyc3", "description": "made by the walk"}
    made = _expect(api.post(VPCS, {**body, "ip_range": "10.20.0.0/24"}), 201).json["vpc"]
    _expect(api.post(VPCS, {"name": "walk-free", "region": "nyc3"}), 201)  # a free /20
    for bad, status in (
        ({}, 409),  # the name is taken
        ({"name": "bad name!"}, 422),
        ({"name": "walk-2", "region": "mars1"}, 422),
        ({"name": "walk-2", "ip_range": "10.20.0.128/25"}, 422),  # overlaps walk-net
        ({"name": "walk-2", "ip_range": "8.8.8.0/24"}, 422),  # not private
        ({"name": "walk-2", "ip_range": "10.0.0.0/8"}, 422),  # larger than /16
        ({"name": "walk-2", "ip_range": "10.244.0.0/20"}, 422),  # reserved
        ({"name": "walk-2", "ip_range": "ten"}, 422),
        ({"name": "walk-2", "description": "x" * 256}, 422),
    ):
        _expect(api.post(VPCS, {**body, **bad}), status)
    _expect(api.post(VPCS, raw=b'{"name": "broken"'), 400)
    return made["id"]


def _walk_updates(api: Api, vpc_id: str, default: str) -> None:
    path = f"{VPCS}/{vpc_id}"
    _expect(api.put(path, {"name": "walk-net-2", "description": "renamed"}), 200)
    _expect(api.call("PATCH", path, {"description": "patched"}), 200)
    _expect(api.call("PATCH", path, {"name": "walk-net"}), 200)
    _expect(api.put(path, {"description": "no name"}), 422)
    _expect(api.put(path, {"name": "walk-free"}), 409)
    _expect(api.call("PATCH", f"{VPCS}/{default}", {"default": False}), 422)
    _expect(api.put(f"{VPCS}/{MISSING}", {"name": "x"}), 404)
    _expect(api.call("PATCH", f"{VPCS}/{MISSING}", {"name": "x"}), 404)


def _walk_members(api: Api, vpc_id: str, default: str) -> None:
    members = f"{VPCS}/{vpc_id}/members"
    _expect(api.get(members), 200)  # none yet
    droplet = {"name": "walk-in-vpc", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    made = api.post("/v2/droplets", {**droplet, "region": "nyc3", "vpc_uuid": vpc_id})
    droplet_id = _expect(made, 202).json["droplet"]["id"]
    lb = {"name": "walk-vpc-lb", "region": "nyc3", "vpc_uuid": vpc_id, "forwarding_rules": [RULE]}
    made = _expect(api.post("/v2/load_balancers", {**lb, "tag": "walk"}), 202)
    lb_id = made.json["load_balancer"]["id"]
    _expect(api.get(members), 200)
    _expect(api.get(members, query={"resource_type": "droplet"}), 200)
    _expect(api.get(f"{VPCS}/{default}/members", query={"per_page": 2, "page": 2}), 200)
    _expect(api.get(f"{VPCS}/{default}/members", query={"resource_type": "kubernetes"}), 200)
    _expect(api.get(f"{VPCS}/{MISSING}/members"), 404)
    _expect(api.delete(f"{VPCS}/{vpc_id}"), 409)  # it has members
    _expect(api.delete(f"{VPCS}/{default}"), 403)  # the region's default
    _expect(api.delete(f"/v2/droplets/{droplet_id}"), 204)
    _expect(api.delete(f"/v2/load_balancers/{lb_id}"), 204)


def _walk_new_default(api: Api) -> None:
    """Make a new VPC syd1's default, then delete the old default."""
    listed = api.get(VPCS, query={"per_page": 200}).json["vpcs"]
    old = next(v for v in listed if v["region"] == "syd1")
    new = _expect(api.post(VPCS, {"name": "walk-syd1", "region": "syd1"}), 201).json["vpc"]
    _expect(api.call("PATCH", f"{VPCS}/{new['id']}", {"default": True}), 200)
    _expect(api.delete(f"{VPCS}/{new['id']}"), 403)
    _expect(api.delete(f"{VPCS}/{old['id']}"), 204)
