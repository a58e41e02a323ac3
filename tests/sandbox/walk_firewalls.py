"""The conformance walk over the cloud firewall routes (success and error answers)."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

FIREWALLS = "/v2/firewalls"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["203.0.113.0/24", "::/0"]}}
WEB = {
    "protocol": "tcp",
    "ports": "80-81",
    "sources": {"droplet_ids": [DB_1], "tags": ["web"], "addresses": ["0.0.0.0/0"]},
}
DNS = {"protocol": "udp", "ports": "all", "sources": {"addresses": ["10.0.0.0/8"]}}
PING = {"protocol": "icmp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0"]}}
OUT = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
BODY = {
    "name": "walk-fw",
    "inbound_rules": [SSH, WEB, DNS],
    "outbound_rules": [PING, OUT],
    "droplet_ids": [APP_1],
    "tags": ["db"],
}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_firewalls(api: Api, sb: Sandbox) -> None:
    firewall_id = _walk_creates(api)
    _walk_reads(api, firewall_id, sb.world.config.action_seconds + 0.1)
    _walk_updates(api, firewall_id)
    _walk_droplets_and_tags(api, firewall_id)
    _walk_rules(api, firewall_id)
    _expect(api.delete(f"{FIREWALLS}/{firewall_id}"), 204)
    _expect(api.delete(f"{FIREWALLS}/{firewall_id}"), 404)


def _walk_creates(api: Api) -> str:
    made = _expect(api.post(FIREWALLS, BODY), 202).json["firewall"]
    _expect(api.post(FIREWALLS, {"name": "walk-fw-2", "outbound_rules": [OUT]}), 202)
    for bad, status in (
        ({}, 409),  # the name is taken
        ({"name": "-bad"}, 422),
        ({"inbound_rules": [], "outbound_rules": []}, 422),
        ({"inbound_rules": [{**SSH, "protocol": "sctp"}]}, 422),
        ({"inbound_rules": [{**SSH, "ports": "99999"}]}, 422),
        ({"inbound_rules": [{**SSH, "ports": "90-80"}]}, 422),
        ({"inbound_rules": [{**SSH, "ports": "ssh"}]}, 422),
        ({"inbound_rules": [{**SSH, "ports": None}]}, 422),
        ({"inbound_rules": [{"protocol": "icmp", "ports": "22", "sources": SSH["sources"]}]}, 422),
        ({"inbound_rules": [{**SSH, "sources": {}}]}, 422),
        ({"inbound_rules": [{**SSH, "sources": {"addresses": ["not-an-ip"]}}]}, 422),
        ({"inbound_rules": [{**SSH, "sources": {"droplet_ids": [1]}}]}, 422),
        ({"inbound_rules": [{**SSH, "sources": {"load_balancer_uids": [MISSING]}}]}, 422),
        ({"inbound_rules": [{**SSH, "sources": {"kubernetes_ids": [MISSING]}}]}, 422),
        ({"outbound_rules": [{**OUT, "destinations": {"tags": ["no spaces"]}}]}, 422),
        ({"droplet_ids": [1]}, 422),
    ):
        _expect(api.post(FIREWALLS, {**BODY, "name": "walk-fw-3", **bad} if bad else BODY), status)
    _expect(api.post(FIREWALLS, raw=b'{"name": "broken"'), 400)
    return made["id"]


def _walk_reads(api: Api, firewall_id: str, settle: float) -> None:
    _expect(api.get(FIREWALLS), 200)
    _expect(api.get(FIREWALLS, query={"per_page": 1, "page": 2}), 200)
    _expect(api.get(f"{FIREWALLS}/{firewall_id}"), 200)  # waiting
    time.sleep(settle)
    assert _expect(api.get(f"{FIREWALLS}/{firewall_id}"), 200).json["firewall"]["status"] == (
        "succeeded"
    )
    _expect(api.get(f"{FIREWALLS}/{MISSING}"), 404)
    _expect(api.get(f"{FIREWALLS}/not-a-uuid"), 404)
    _expect(api.get(f"/v2/droplets/{APP_1}/firewalls"), 200)
    _expect(api.get(f"/v2/droplets/{DB_1}/firewalls", query={"per_page": 1}), 200)  # by tag
    _expect(api.get("/v2/droplets/1/firewalls"), 404)


def _walk_updates(api: Api, firewall_id: str) -> None:
    path = f"{FIREWALLS}/{firewall_id}"
    _expect(api.put(path, {**BODY, "name": "walk-fw-renamed", "tags": ["web"]}), 200)
    _expect(api.put(path, {"name": "walk-fw", "inbound_rules": [SSH]}), 200)  # the rest emptied
    _expect(api.put(path, {**BODY, "name": "walk-fw-2"}), 409)
    _expect(api.put(path, {"inbound_rules": [SSH]}), 422)
    _expect(api.put(path, {**BODY, "inbound_rules": [{**SSH, "ports": "0-1"}]}), 422)
    _expect(api.put(f"{FIREWALLS}/{MISSING}", BODY), 404)


def _walk_droplets_and_tags(api: Api, firewall_id: str) -> None:
    droplets, tags = f"{FIREWALLS}/{firewall_id}/droplets", f"{FIREWALLS}/{firewall_id}/tags"
    _expect(api.post(droplets, {"droplet_ids": [APP_2]}), 204)
    _expect(api.delete(droplets, {"droplet_ids": [APP_2]}), 204)
    _expect(api.post(droplets, {"droplet_ids": [1]}), 422)
    _expect(api.post(droplets, {}), 422)
    _expect(api.post(f"{FIREWALLS}/{MISSING}/droplets", {"droplet_ids": [APP_2]}), 404)
    _expect(api.delete(f"{FIREWALLS}/{MISSING}/droplets", {"droplet_ids": [APP_2]}), 404)
    _expect(api.post(tags, {"tags": ["env:prod"]}), 204)
    _expect(api.delete(tags, {"tags": ["env:prod"]}), 204)
    _expect(api.post(tags, {"tags": ["no spaces"]}), 422)
    _expect(api.post(f"{FIREWALLS}/{MISSING}/tags", {"tags": ["db"]}), 404)
    _expect(api.delete(f"{FIREWALLS}/{MISSING}/tags", {"tags": ["db"]}), 404)


def _walk_rules(api: Api, firewall_id: str) -> None:
    path = f"{FIREWALLS}/{firewall_id}/rules"
    added = {"inbound_rules": [WEB], "outbound_rules": [PING]}
    _expect(api.post(path, added), 204)
    _expect(api.delete(path, added), 204)
    _expect(api.post(path, {}), 422)
    _expect(api.post(path, {"inbound_rules": [{**WEB, "protocol": "gre"}]}), 422)
    _expect(api.post(f"{FIREWALLS}/{MISSING}/rules", added), 404)
    _expect(api.delete(f"{FIREWALLS}/{MISSING}/rules", added), 404)
