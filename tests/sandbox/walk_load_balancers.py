"""The conformance walk over the load balancer routes (success and error answers)."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

LBS = "/v2/load_balancers"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
HTTP = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}
PASSTHROUGH = {
    "entry_protocol": "https",
    "entry_port": 443,
    "target_protocol": "https",
    "target_port": 443,
    "tls_passthrough": True,
}
ALT = {**HTTP, "entry_port": 8080, "target_port": 8080}
FULL = {
    "name": "walk-lb",
    "region": "nyc3",
    "size_unit": 2,
    "forwarding_rules": [HTTP, PASSTHROUGH],
    "droplet_ids": [APP_1, APP_2],
    "health_check": {"protocol": "tcp", "port": 22, "check_interval_seconds": 5},
    "sticky_sessions": {"type": "cookies", "cookie_name": "WALK", "cookie_ttl_seconds": 60},
    "redirect_http_to_https": True,
    "enable_proxy_protocol": True,
    "enable_backend_keepalive": True,
    "http_idle_timeout_seconds": 120,
    "firewall": {"allow": ["ip:1.2.3.4", "cidr:2.3.0.0/16"], "deny": []},
    "algorithm": "least_connections",
    "project_id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_load_balancers(api: Api, sb: Sandbox) -> None:
    lb_id, tagged_id = _walk_creates(api)
    _walk_reads(api, lb_id, sb.world.config.boot_seconds + 0.1)
    _walk_updates(api, lb_id)
    _walk_droplets(api, lb_id, tagged_id)
    _walk_rules(api, lb_id)
    for path in (f"{LBS}/{lb_id}", f"{LBS}/{tagged_id}"):
        _expect(api.delete(path), 204)
        _expect(api.delete(path), 404)


def _walk_creates(api: Api) -> tuple[str, str]:
    made = _expect(api.post(LBS, FULL), 202).json["load_balancer"]
    tagged = {"name": "walk-tagged", "region": "nyc3", "forwarding_rules": [HTTP], "tag": "web"}
    tagged_id = _expect(api.post(LBS, tagged), 202).json["load_balancer"]["id"]
    internal = {**tagged, "name": "walk-int", "network": "INTERNAL", "size": "lb-medium"}
    internal_id = _expect(api.post(LBS, internal), 202).json["load_balancer"]["id"]
    _expect(api.delete(f"{LBS}/{internal_id}"), 204)
    https = {**HTTP, "entry_protocol": "https", "entry_port": 443}
    for bad in (
        {"tag": "web"},  # droplet_ids and tag
        {"forwarding_rules": []},
        {"forwarding_rules": [https]},  # no certificate
        {"forwarding_rules": [{**HTTP, "entry_port": 0}]},
        {"forwarding_rules": [{**HTTP, "entry_protocol": "udp"}]},  # udp to http
        {"forwarding_rules": [HTTP, HTTP]},  # the same entry port twice
        {"region": "mars1"},
        {"name": ""},
        {"droplet_ids": [1]},
        {"vpc_uuid": MISSING},
        {"size_unit": 0},
        {"http_idle_timeout_seconds": 5},
        {"health_check": {"protocol": "icmp"}},
        {"sticky_sessions": {"type": "sometimes"}},
        {"firewall": {"allow": ["1.2.3.4"]}},
        {"type": "GLOBAL"},
    ):
        _expect(api.post(LBS, {**FULL, **bad}), 422)
    _expect(api.post(LBS, raw=b'{"name": "broken"'), 400)
    return made["id"], tagged_id


def _walk_reads(api: Api, lb_id: str, settle: float) -> None:
    _expect(api.get(LBS), 200)
    _expect(api.get(LBS, query={"per_page": 1, "page": 2}), 200)
    _expect(api.get(f"{LBS}/{lb_id}"), 200)  # new, no IP yet
    time.sleep(settle)
    assert _expect(api.get(f"{LBS}/{lb_id}"), 200).json["load_balancer"]["status"] == "active"
    _expect(api.get(f"{LBS}/{MISSING}"), 404)
    _expect(api.get(f"{LBS}/not-a-uuid"), 404)


def _walk_updates(api: Api, lb_id: str) -> None:
    path = f"{LBS}/{lb_id}"
    _expect(api.put(path, {**FULL, "name": "walk-lb-2"}), 200)
    minimal = {"name": "walk-lb", "region": "nyc3", "forwarding_rules": [HTTP], "droplet_ids": []}
    _expect(api.put(path, minimal), 200)  # every other setting back to its default
    _expect(api.put(path, FULL), 200)
    no_rules = {k: v for k, v in FULL.items() if k != "forwarding_rules"}
    for bad in (no_rules, {**FULL, "region": "fra1"}, {**FULL, "tag": "web"}):
        _expect(api.put(path, bad), 422)
    _expect(api.put(f"{LBS}/{MISSING}", FULL), 404)


def _walk_droplets(api: Api, lb_id: str, tagged_id: str) -> None:
    path = f"{LBS}/{lb_id}/droplets"
    _expect(api.post(path, {"droplet_ids": [DB_1]}), 204)
    _expect(api.delete(path, {"droplet_ids": [DB_1]}), 204)
    _expect(api.post(path, {"droplet_ids": [1]}), 422)
    _expect(api.post(path, {}), 422)
    _expect(api.post(f"{LBS}/{tagged_id}/droplets", {"droplet_ids": [DB_1]}), 422)  # by tag
    _expect(api.delete(f"{LBS}/{tagged_id}/droplets", {"droplet_ids": [APP_1]}), 422)
    _expect(api.post(f"{LBS}/{MISSING}/droplets", {"droplet_ids": [DB_1]}), 404)
    _expect(api.delete(f"{LBS}/{MISSING}/droplets", {"droplet_ids": [DB_1]}), 404)


def _walk_rules(api: Api, lb_id: str) -> None:
    path = f"{LBS}/{lb_id}/forwarding_rules"
    _expect(api.post(path, {"forwarding_rules": [ALT]}), 204)
    _expect(api.post(path, {"forwarding_rules": [{**ALT, "target_port": 9090}]}), 422)  # 8080
    _expect(api.post(path, {"forwarding_rules": [{**ALT, "entry_protocol": "ftp"}]}), 422)
    _expect(api.delete(path, {"forwarding_rules": [ALT]}), 204)
    _expect(api.delete(path, {"forwarding_rules": [HTTP, PASSTHROUGH]}), 422)  # none would stay
    _expect(api.post(f"{LBS}/{MISSING}/forwarding_rules", {"forwarding_rules": [ALT]}), 404)
    _expect(api.delete(f"{LBS}/{MISSING}/forwarding_rules", {"forwarding_rules": [ALT]}), 404)
