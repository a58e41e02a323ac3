"""The conformance walk of the Kubernetes routes: every route, its successes and its errors."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

SETTLE = 0.3  # longer than FAST's boot and action times
CLUSTERS = "/v2/kubernetes/clusters"
MISSING = "00000000-0000-4000-8000-000000000000"


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_kubernetes(api: Api, sb: Sandbox) -> None:
    options = _expect(api.get("/v2/kubernetes/options"), 200).json["options"]
    _expect(api.get(CLUSTERS), 200)
    _expect(api.get(CLUSTERS, query={"per_page": 1, "page": 1}), 200)
    seeded = api.get(CLUSTERS).json["kubernetes_clusters"][0]
    cluster_id = _walk_create(api, options)
    _walk_cluster(api, seeded["id"])
    _walk_node_pools(api, cluster_id)
    _walk_upgrade(api, seeded["id"])
    _expect(api.delete(f"{CLUSTERS}/{cluster_id}"), 204)
    _expect(api.delete(f"{CLUSTERS}/{cluster_id}"), 404)


def _walk_create(api: Api, options: dict) -> str:
    vpc = api.get(CLUSTERS).json["kubernetes_clusters"][0]["vpc_uuid"]
    body = {
        "name": "walk-cluster",
        "region": "nyc3",
        "version": options["versions"][0]["slug"],
        "vpc_uuid": vpc,
        "tags": ["walk"],
        "ha": True,
        "auto_upgrade": True,
        "surge_upgrade": True,
        "maintenance_policy": {"start_time": "03:00", "day": "saturday"},
        "node_pools": [
            {"name": "walk-a", "size": "s-2vcpu-4gb", "count": 2, "labels": {"tier": "web"}},
            {
                "name": "walk-b",
                "size": "s-1vcpu-2gb",
                "count": 1,
                "auto_scale": True,
                "min_nodes": 1,
                "max_nodes": 3,
                "tags": ["batch"],
                "taints": [{"key": "batch", "value": "true", "effect": "NoSchedule"}],
            },
        ],
    }
    new = _expect(api.post(CLUSTERS, body), 201).json["kubernetes_cluster"]
    assert new["status"]["state"] == "provisioning"
    pool = body["node_pools"][0]
    for bad in (
        {"name": "Bad Name"},
        {"region": "mars1"},
        {"version": "0.1.0-do.0"},
        {"node_pools": []},
        {"node_pools": [{**pool, "size": "s-1vcpu-1gb"}]},
        {"node_pools": [{**pool, "count": 0}]},
        {"node_pools": [{**pool, "auto_scale": True, "min_nodes": 3, "max_nodes": 1}]},
        {"node_pools": [pool, pool]},
        {"vpc_uuid": MISSING},
        {"tags": ["no spaces"]},
    ):
        _expect(api.post(CLUSTERS, {**body, **bad}), 422)
    _expect(api.post(CLUSTERS, raw=b'{"name": "broken"'), 400)
    _expect(api.post(CLUSTERS, {**body, "name": "walk-latest", "version": "latest"}), 201)
    time.sleep(SETTLE)
    running = _expect(api.get(f"{CLUSTERS}/{new['id']}"), 200).json["kubernetes_cluster"]
    assert running["status"]["state"] == "running"
    return new["id"]


def _walk_cluster(api: Api, cluster_id: str) -> None:
    path = f"{CLUSTERS}/{cluster_id}"
    _expect(api.get(path), 200)
    _expect(api.get(f"{CLUSTERS}/{MISSING}"), 404)
    update = {"name": "prod-cluster", "tags": ["production", "walk"], "auto_upgrade": False}
    _expect(api.put(path, {**update, "maintenance_policy": {"day": "monday"}}), 202)
    _expect(api.put(path, {"tags": ["x"]}), 422)
    _expect(api.put(f"{CLUSTERS}/{MISSING}", update), 404)
    kubeconfig = _expect(api.get(f"{path}/kubeconfig"), 200)
    assert kubeconfig.headers["content-type"] == "application/yaml"
    assert b"token: " in kubeconfig.body
    _expect(api.get(f"{path}/kubeconfig", query={"expiry_seconds": 300, "type": "token"}), 200)
    _expect(api.get(f"{CLUSTERS}/{MISSING}/kubeconfig"), 404)


def _walk_node_pools(api: Api, cluster_id: str) -> None:
    pools = f"{CLUSTERS}/{cluster_id}/node_pools"
    listed = _expect(api.get(pools), 200).json["node_pools"]
    _expect(api.get(f"{CLUSTERS}/{MISSING}/node_pools"), 404)
    body = {"name": "walk-c", "size": "s-4vcpu-8gb", "count": 1, "tags": ["extra"]}
    added = _expect(api.post(pools, body), 201).json["node_pool"]
    _expect(api.post(pools, body), 422)  # the name is taken
    _expect(api.post(pools, {**body, "name": "walk-d", "size": "nope"}), 422)
    _expect(api.post(f"{CLUSTERS}/{MISSING}/node_pools", body), 404)
    pool = f"{pools}/{added['id']}"
    _expect(api.get(pool), 200)
    _expect(api.get(f"{pools}/{MISSING}"), 404)
    grown = _expect(api.put(pool, {"name": "walk-c", "count": 3}), 202).json["node_pool"]
    assert len(grown["nodes"]) == 3
    first = f"{pools}/{listed[0]['id']}"
    shrunk = _expect(api.put(first, {"name": "walk-a", "count": 1}), 202).json["node_pool"]
    assert [n["status"]["state"] for n in shrunk["nodes"]].count("draining") == 1
    scaling = {"name": "walk-a", "count": 2, "auto_scale": True, "min_nodes": 1, "max_nodes": 4}
    _expect(api.put(first, scaling), 202)
    _expect(api.put(first, {"name": "walk-a"}), 422)
    _expect(api.put(f"{pools}/{MISSING}", {"name": "x", "count": 1}), 404)
    time.sleep(SETTLE)
    _expect(api.get(first), 200)
    _expect(api.delete(pool), 204)
    _expect(api.delete(pool), 404)


def _walk_upgrade(api: Api, cluster_id: str) -> None:
    path = f"{CLUSTERS}/{cluster_id}"
    versions = _expect(api.get(f"{path}/upgrades"), 200).json["available_upgrade_versions"]
    _expect(api.get(f"{CLUSTERS}/{MISSING}/upgrades"), 404)
    _expect(api.post(f"{path}/upgrade", {"version": "1.0.0-do.0"}), 422)
    _expect(api.post(f"{CLUSTERS}/{MISSING}/upgrade", {"version": versions[0]["slug"]}), 404)
    _expect(api.post(f"{path}/upgrade", {"version": versions[-1]["slug"]}), 202)
    assert api.get(path).json["kubernetes_cluster"]["status"]["state"] == "upgrading"
    _expect(api.post(f"{path}/upgrade", {"version": versions[0]["slug"]}), 422)  # busy
    time.sleep(SETTLE)
    _expect(api.get(path), 200)
    _expect(api.get(f"{path}/upgrades"), 200)
    last = api.get(f"{path}/node_pools").json["node_pools"]
    _expect(api.delete(f"{path}/node_pools/{last[0]['id']}"), 422)  # the last pool stays


def content_type(exchange: Exchange) -> str:
    """The content type a sandbox answer must have: JSON, except a kubeconfig's YAML."""
    kubeconfig = exchange.path.endswith("/kubeconfig") and exchange.status == 200
    return "application/yaml" if kubeconfig else "application/json"
