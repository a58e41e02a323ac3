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
    _walk_failures(api, cluster_id)
    _expect(api.delete(f"{CLUSTERS}/{cluster_id}"), 204)
    _expect(api.delete(f"{CLUSTERS}/{cluster_id}"), 404)
    _walk_associated(api)


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


def _walk_failures(api: Api, cluster_id: str) -> None:
    """The states where clients stop waiting: error (sandbox:fail), degraded (sandbox:degraded)."""
    path = f"{CLUSTERS}/{cluster_id}"
    _expect(api.put(path, {"name": "walk-cluster", "tags": ["walk", "sandbox:degraded"]}), 202)
    assert api.get(path).json["kubernetes_cluster"]["status"]["state"] == "degraded"
    _expect(api.post(f"{path}/upgrade", {"version": "1.33.1-do.0"}), 422)  # not running
    pool = {"name": "fail-pool", "size": "s-2vcpu-4gb", "count": 1}
    body = {"name": "walk-fail", "region": "nyc3", "version": "latest", "node_pools": [pool]}
    body["tags"] = ["sandbox:fail"]
    failing = _expect(api.post(CLUSTERS, body), 201).json["kubernetes_cluster"]
    time.sleep(SETTLE)
    failed = _expect(api.get(f"{CLUSTERS}/{failing['id']}"), 200).json["kubernetes_cluster"]
    assert failed["status"]["state"] == "error"
    _expect(api.delete(f"{CLUSTERS}/{failing['id']}"), 204)


def _new_cluster(api: Api, name: str) -> str:
    pool = {"name": "assoc-pool", "size": "s-2vcpu-4gb", "count": 1}
    body = {"name": name, "region": "nyc3", "version": "latest", "node_pools": [pool]}
    return _expect(api.post(CLUSTERS, body), 201).json["kubernetes_cluster"]["id"]


def _associate(api: Api, cluster_id: str) -> dict[str, str]:
    """A load balancer, a volume and its snapshot that belong to the cluster (k8s:<id>)."""
    rule = {"entry_protocol": "tcp", "entry_port": 80, "target_protocol": "tcp", "target_port": 80}
    lb = {"name": f"a{cluster_id[:8]}", "region": "nyc3", "forwarding_rules": [rule]}
    lb_id = _expect(api.post("/v2/load_balancers", {**lb, "tag": f"k8s:{cluster_id}"}), 202)
    volume = {"name": f"pvc-{cluster_id[:8]}", "region": "nyc3", "size_gigabytes": 5}
    made = api.post("/v2/volumes", {**volume, "tags": [f"k8s:{cluster_id}"]})
    volume_id = _expect(made, 201).json["volume"]["id"]
    snapshot = api.post(f"/v2/volumes/{volume_id}/snapshots", {"name": f"snap-{cluster_id[:8]}"})
    return {
        "load_balancer": lb_id.json["load_balancer"]["id"],
        "volume": volume_id,
        "snapshot": _expect(snapshot, 201).json["snapshot"]["id"],
    }


def _walk_associated(api: Api) -> None:
    cluster_id = _new_cluster(api, "walk-assoc")
    made = _associate(api, cluster_id)
    path = f"{CLUSTERS}/{cluster_id}/destroy_with_associated_resources"
    found = _expect(api.get(path), 200).json
    assert [lb["id"] for lb in found["load_balancers"]] == [made["load_balancer"]]
    assert [v["id"] for v in found["volumes"]] == [made["volume"]]
    assert [s["id"] for s in found["volume_snapshots"]] == [made["snapshot"]]
    _expect(api.get(f"{CLUSTERS}/{MISSING}/destroy_with_associated_resources"), 404)
    selective = f"{path}/selective"
    _expect(api.delete(selective, {"volumes": [MISSING]}), 422)  # not the cluster's
    _expect(api.delete(selective, {"volumes": made["volume"]}), 422)  # not a list
    _expect(api.delete(f"{CLUSTERS}/{MISSING}/destroy_with_associated_resources/selective"), 404)
    _expect(api.delete(selective, {"volumes": [made["volume"]]}), 204)
    _expect(api.get(path), 404)
    _expect(api.get(f"/v2/volumes/{made['volume']}"), 404)
    _expect(api.delete(f"/v2/load_balancers/{made['load_balancer']}"), 204)  # was kept
    other = _new_cluster(api, "walk-dangerous")
    doomed = _associate(api, other)
    dangerous = f"{CLUSTERS}/{other}/destroy_with_associated_resources/dangerous"
    _expect(api.delete(dangerous), 204)
    _expect(api.delete(dangerous), 404)
    _expect(api.get(f"/v2/load_balancers/{doomed['load_balancer']}"), 404)
    _expect(api.get(f"/v2/volumes/snapshots/{doomed['snapshot']}"), 404)


def content_type(exchange: Exchange) -> str:
    """The content type a sandbox answer must have: JSON, except a kubeconfig's YAML."""
    kubeconfig = exchange.path.endswith("/kubeconfig") and exchange.status == 200
    return "application/yaml" if kubeconfig else "application/json"
