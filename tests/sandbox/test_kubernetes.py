"""How Kubernetes clusters behave: node pool settings, upgrades, failure states, and the resources
destroyed with a cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cargoshipper.sandbox import Sandbox, SandboxConfig, World

from ._client import Api, Exchange, FakeClock

CLUSTERS = "/v2/kubernetes/clusters"
POOL = {"name": "web", "size": "s-2vcpu-4gb", "count": 2}
CLUSTER = {"name": "new-cluster", "region": "nyc3", "version": "latest", "node_pools": [POOL]}
TCP = {"entry_protocol": "tcp", "entry_port": 80, "target_protocol": "tcp", "target_port": 80}
APP_1 = 501_000_101


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[Sandbox, FakeClock]]:
    clock = FakeClock()
    with Sandbox(world=World(SandboxConfig(), clock=clock)) as sb:
        yield sb, clock


@pytest.fixture
def sim(clocked: tuple[Sandbox, FakeClock]) -> tuple[Api, FakeClock]:
    """A client on a sandbox whose clock only moves when told (3 s boots, 1.5 s actions)."""
    sb, clock = clocked
    sb.world.reset()
    return Api(sb.url), clock


def _create(api: Api, **changes: object) -> dict:
    answer = api.post(CLUSTERS, {**CLUSTER, **changes})
    assert answer.status == 201, answer.json
    return answer.json["kubernetes_cluster"]


def _state(api: Api, cluster_id: str) -> str:
    return api.get(f"{CLUSTERS}/{cluster_id}").json["kubernetes_cluster"]["status"]["state"]


def _error(answer: Exchange, status: int) -> str:
    assert answer.status == status, answer.json
    return answer.json["message"]


# --- node pools ---------------------------------------------------------------------------------


def test_autoscaling_pool_fields_round_trip(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    scaling = {"auto_scale": True, "min_nodes": 1, "max_nodes": 5}
    cluster = _create(api, node_pools=[{**POOL, **scaling}])
    (pool,) = cluster["node_pools"]
    assert {k: pool[k] for k in scaling} == scaling and pool["count"] == 2
    path = f"{CLUSTERS}/{cluster['id']}/node_pools/{pool['id']}"
    wider = api.put(path, {"name": "web", "count": 3, "max_nodes": 8}).json["node_pool"]
    assert (wider["auto_scale"], wider["min_nodes"], wider["max_nodes"]) == (True, 1, 8)
    fixed = api.put(path, {"name": "web", "count": 3, "auto_scale": False}).json["node_pool"]
    assert (fixed["auto_scale"], fixed["min_nodes"], fixed["max_nodes"]) == (False, 0, 0)
    assert api.get(path).json["node_pool"] == fixed


@pytest.mark.parametrize(
    "bad",
    [
        {"auto_scale": True, "min_nodes": 3, "max_nodes": 1},
        {"auto_scale": True, "min_nodes": 3, "max_nodes": 5},  # count 2 is below min_nodes
        {"auto_scale": "yes"},
        {"taints": [{"key": "a", "value": "b", "effect": "Sometimes"}]},
        {"taints": [{"key": "a", "value": 1, "effect": "NoSchedule"}]},
        {"labels": {"tier": 1}},
        {"tags": ["no spaces"]},
    ],
)
def test_pool_settings_are_validated(sim: tuple[Api, FakeClock], bad: dict) -> None:
    api, _ = sim
    assert api.post(CLUSTERS, {**CLUSTER, "node_pools": [{**POOL, **bad}]}).status == 422


def test_labels_taints_and_tags_on_create_and_update(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    made = {**POOL, "labels": {"tier": "web"}, "taints": [taint], "tags": ["frontend"]}
    cluster = _create(api, node_pools=[made])
    (pool,) = cluster["node_pools"]
    assert pool["labels"] == {"tier": "web"} and pool["taints"] == [taint]
    assert pool["tags"][0] == "frontend" and f"k8s:{cluster['id']}" in pool["tags"]
    path = f"{CLUSTERS}/{cluster['id']}/node_pools/{pool['id']}"
    update = {"name": "web", "count": 2, "labels": {"tier": "api"}, "taints": [], "tags": []}
    changed = api.put(path, update).json["node_pool"]
    assert changed["labels"] == {"tier": "api"} and changed["taints"] == []
    assert "frontend" not in changed["tags"]


# --- upgrades and failure states ----------------------------------------------------------------


def test_upgrades_list_newer_versions(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    seeded = api.get(CLUSTERS).json["kubernetes_clusters"][0]
    path = f"{CLUSTERS}/{seeded['id']}"
    versions = api.get(f"{path}/upgrades").json["available_upgrade_versions"]
    assert [v["slug"] for v in versions] == ["1.33.1-do.0", "1.32.5-do.0"]
    assert api.post(f"{path}/upgrade", {"version": "1.33.1-do.0"}).status == 202
    clock.advance(3.1)
    assert api.get(path).json["kubernetes_cluster"]["version"] == "1.33.1-do.0"
    assert api.get(f"{path}/upgrades").json["available_upgrade_versions"] is None


def test_sandbox_fail_tag_ends_in_error(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api, tags=["sandbox:fail"])
    assert cluster["status"]["state"] == "provisioning"
    clock.advance(3.1)
    got = api.get(f"{CLUSTERS}/{cluster['id']}").json["kubernetes_cluster"]
    assert got["status"]["state"] == "error" and "sandbox:fail" in got["status"]["message"]
    clock.advance(3600)
    assert _state(api, cluster["id"]) == "error"  # for good
    upgrade = api.post(f"{CLUSTERS}/{cluster['id']}/upgrade", {"version": "1.33.1-do.0"})
    assert "the cluster is error" in _error(upgrade, 422)


def test_sandbox_degraded_tag_follows_the_tag(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api, tags=["sandbox:degraded"])
    assert cluster["status"]["state"] == "provisioning"
    clock.advance(3.1)
    assert _state(api, cluster["id"]) == "degraded"
    path = f"{CLUSTERS}/{cluster['id']}"
    assert api.put(path, {"name": "new-cluster", "tags": []}).status == 202
    assert _state(api, cluster["id"]) == "running"
    assert api.put(path, {"name": "new-cluster", "tags": ["sandbox:degraded"]}).status == 202
    assert _state(api, cluster["id"]) == "degraded"


def test_a_cluster_without_the_tags_runs(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api, tags=["sandbox"])
    clock.advance(3.1)
    assert _state(api, cluster["id"]) == "running"


# --- associated resources -----------------------------------------------------------------------


def _resources(api: Api, cluster_id: str) -> dict[str, str]:
    """Load balancers (by tag and by name), a volume and snapshots that belong to the cluster,
    and a volume and load balancer that do not."""
    mark = f"k8s:{cluster_id}"
    lb = {"region": "nyc3", "forwarding_rules": [TCP]}
    by_tag = api.post("/v2/load_balancers", {**lb, "name": "svc-lb", "tag": mark})
    by_name = api.post("/v2/load_balancers", {**lb, "name": f"a{cluster_id}"})
    other_lb = api.post("/v2/load_balancers", {**lb, "name": "unrelated"})
    volume = {"region": "nyc3", "size_gigabytes": 5}
    pvc = api.post("/v2/volumes", {**volume, "name": "pvc-data", "tags": [mark]})
    pvc_id = pvc.json["volume"]["id"]
    other = api.post("/v2/volumes", {**volume, "name": "unrelated"})
    snap = api.post(f"/v2/volumes/{pvc_id}/snapshots", {"name": "pvc-data-snap"})
    other_id = other.json["volume"]["id"]
    tagged = api.post(f"/v2/volumes/{other_id}/snapshots", {"name": "tagged", "tags": [mark]})
    return {
        "lb_tag": by_tag.json["load_balancer"]["id"],
        "lb_name": by_name.json["load_balancer"]["id"],
        "other_lb": other_lb.json["load_balancer"]["id"],
        "pvc": pvc_id,
        "other": other_id,
        "snap": snap.json["snapshot"]["id"],
        "tagged_snap": tagged.json["snapshot"]["id"],
    }


def test_associated_resources_are_found_by_the_cluster_mark(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _create(api)
    made = _resources(api, cluster["id"])
    found = api.get(f"{CLUSTERS}/{cluster['id']}/destroy_with_associated_resources").json
    assert {lb["id"] for lb in found["load_balancers"]} == {made["lb_tag"], made["lb_name"]}
    assert found["volumes"] == [{"id": made["pvc"], "name": "pvc-data"}]
    assert {s["id"] for s in found["volume_snapshots"]} == {made["snap"], made["tagged_snap"]}


def test_selective_destroy_removes_the_cluster_and_the_chosen(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api)
    made = _resources(api, cluster["id"])
    attach = {"type": "attach", "droplet_id": APP_1, "region": "nyc3"}
    assert api.post(f"/v2/volumes/{made['pvc']}/actions", attach).status == 202
    clock.advance(2)
    path = f"{CLUSTERS}/{cluster['id']}/destroy_with_associated_resources/selective"
    stranger = api.delete(path, {"volumes": [made["other"]]})
    assert "not associated" in _error(stranger, 422)
    assert api.get(f"{CLUSTERS}/{cluster['id']}").status == 200  # nothing was deleted
    chosen = {"load_balancers": [made["lb_tag"]], "volumes": [made["pvc"]]}
    assert api.delete(path, chosen).status == 204
    assert api.get(f"{CLUSTERS}/{cluster['id']}").status == 404
    assert api.get(f"/v2/load_balancers/{made['lb_tag']}").status == 404
    assert api.get(f"/v2/volumes/{made['pvc']}").status == 404
    assert made["pvc"] not in api.get(f"/v2/droplets/{APP_1}").json["droplet"]["volume_ids"]
    for kept in (f"/v2/load_balancers/{made['lb_name']}", f"/v2/volumes/snapshots/{made['snap']}"):
        assert api.get(kept).status == 200, kept


def test_dangerous_destroy_removes_everything_associated(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _create(api)
    made = _resources(api, cluster["id"])
    path = f"{CLUSTERS}/{cluster['id']}/destroy_with_associated_resources/dangerous"
    assert api.delete(path).status == 204
    gone = {
        "lb_tag": "/v2/load_balancers",
        "lb_name": "/v2/load_balancers",
        "pvc": "/v2/volumes",
        "snap": "/v2/volumes/snapshots",
        "tagged_snap": "/v2/volumes/snapshots",
    }
    for key, prefix in gone.items():
        assert api.get(f"{prefix}/{made[key]}").status == 404, key
    assert api.get(f"/v2/load_balancers/{made['other_lb']}").status == 200
    assert api.get(f"/v2/volumes/{made['other']}").status == 200
    assert api.delete(path).status == 404
