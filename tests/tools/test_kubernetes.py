"""Kubernetes (DOKS) end to end: clusters, node pools, upgrades, kubeconfig — through MCP clients
against the sandbox, with the trust rules (confirmation, protection, cost) of the changing tools."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.request
from collections.abc import AsyncIterator

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult

from cargoshipper.sandbox import Fault, Sandbox
from conftest import connect
from helpers import Dialog, bodies, call_error, call_ok

pytestmark = pytest.mark.anyio

POOL = {"name": "web", "size": "s-2vcpu-4gb", "count": 2}
CREATE = {"name": "new-cluster", "region": "nyc3", "node_pools": [POOL]}
LATEST, NEWER_PATCH = "1.33.1-do.0", "1.32.5-do.0"
MISSING = "00000000-0000-4000-8000-000000000000"


def seeded(sandbox: Sandbox):
    """The seeded cluster record: prod-cluster, nyc3, 3 x s-2vcpu-4gb, tagged production."""
    (cluster,) = sandbox.world.table("kubernetes").values()
    return cluster


def protect(sandbox: Sandbox) -> None:
    seeded(sandbox).tags.append("protected")


def api(sandbox: Sandbox, method: str, path: str, body: dict | None = None) -> dict:
    """A request straight to the sandbox (what DOKS itself would create: load balancers...)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sandbox.url + path, data=data, method=method)
    request.add_header("Authorization", "Bearer dop_v1_test")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
    return json.loads(text) if text else {}


def posts(sandbox: Sandbox, suffix: str = "") -> list[str]:
    return [
        path
        for method, path, _ in sandbox.world.requests
        if method == "POST" and path.endswith(suffix)
    ]


@pytest.fixture
async def k8s(sandbox: Sandbox, era: str) -> AsyncIterator[Client]:
    """A client with the (opt-in) kubernetes toolset, acting without confirmation."""
    async with connect(sandbox, era, None, toolsets=("kubernetes",), confirm="never") as client:
        yield client


@pytest.fixture
def cluster_id(sandbox: Sandbox) -> str:
    return seeded(sandbox).id


# -- list and get ----------------------------------------------------------------------------


async def test_kubernetes_is_an_opt_in_toolset(sandbox):
    async with connect(sandbox) as default, connect(sandbox, toolsets=("all",)) as everything:
        assert not [t for t in (await default.list_tools()).tools if "kubernetes" in t.name]
        listed = {t.name for t in (await everything.list_tools()).tools}
    assert {"kubernetes_cluster_list", "kubernetes_cluster_action"} <= listed


async def test_list_is_compact_and_paginates(k8s, cluster_id):
    for name in ("second", "third"):
        await call_ok(k8s, "kubernetes_cluster_create", **{**CREATE, "name": name}, wait=False)
    first = await call_ok(k8s, "kubernetes_cluster_list", per_page=2)
    assert first["total"] == 3 and first["has_more"] is True and first["next_page"] == 2
    second = await call_ok(k8s, "kubernetes_cluster_list", per_page=2, page=2)
    assert len(second["items"]) == 1 and second["has_more"] is False
    prod = next(c for c in first["items"] if c["id"] == cluster_id)
    assert prod == {
        "id": cluster_id,
        "name": "prod-cluster",
        "region": "nyc3",
        "version": "1.32.2-do.0",
        "state": "running",
        "node_pools": ["prod-pool: s-2vcpu-4gb x 3"],
        "endpoint": f"https://{cluster_id}.k8s.ondigitalocean.com",
        "tags": ["production"],  # without DigitalOcean's own k8s tags
    }
    raw = (await call_ok(k8s, "kubernetes_cluster_list", detail=True))["items"]
    assert "maintenance_policy" in raw[0] and "k8s" in raw[0]["tags"]


async def test_get_shows_pools_nodes_and_available_upgrades(k8s, cluster_id):
    item = (await call_ok(k8s, "kubernetes_cluster_get", cluster_id=cluster_id))["item"]
    assert item["available_upgrades"] == [LATEST, NEWER_PATCH]
    assert item["maintenance_window"] == "sunday 04:00 UTC, 4h0m0s"
    assert item["vpc_uuid"] and item["ipv4"] and item["state"] == "running"
    (pool,) = item["node_pools"]
    assert (pool["name"], pool["size"], pool["count"]) == ("prod-pool", "s-2vcpu-4gb", 3)
    assert [node["state"] for node in pool["nodes"]] == ["running"] * 3
    assert all(node["name"].startswith("prod-pool-") for node in pool["nodes"])
    full = (await call_ok(k8s, "kubernetes_cluster_get", cluster_id=cluster_id, detail=True))[
        "item"
    ]
    assert full["node_pools"][0]["nodes"][0]["status"] == {"state": "running"}


async def test_an_unknown_cluster_says_where_to_look(k8s):
    for tool in (
        "kubernetes_cluster_get",
        "kubernetes_kubeconfig_get",
        "kubernetes_cluster_delete",
    ):
        error = await call_error(k8s, tool, cluster_id=MISSING)
        assert f"Kubernetes cluster {MISSING} does not exist" in error, tool
        assert "kubernetes_cluster_list shows the ids" in error, tool


# -- create ----------------------------------------------------------------------------------


async def test_create_waits_until_running_with_progress_and_costs(k8s, sandbox):
    progress: list[str | None] = []

    async def on_progress(done, total, message):
        progress.append(message)

    pools = [
        POOL,
        {
            "name": "batch",
            "size": "s-4vcpu-8gb",
            "count": 1,
            "auto_scale": True,
            "min_nodes": 1,
            "max_nodes": 3,
            "tags": ["batch"],
            "labels": {"tier": "batch"},
        },
    ]
    result = await k8s.call_tool(
        "kubernetes_cluster_create",
        {**CREATE, "node_pools": pools, "tags": ["web"], "auto_upgrade": True},
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    created = result.structured_content
    assert created["done"] is True
    cluster = created["resources"][0]
    assert cluster["state"] == "running" and cluster["version"] == LATEST  # default: the newest
    assert cluster["node_pools"][1]["labels"] == {"tier": "batch"}
    assert cluster["node_pools"][1]["tags"] == ["batch"] and cluster["auto_upgrade"] is True
    assert all(n["state"] == "running" for p in cluster["node_pools"] for n in p["nodes"])
    # 2 x $24 + up to 3 x $48 (autoscaling's ceiling), from /v2/sizes
    assert created["cost"]["monthly_usd"] == 192.0 and created["cost"]["estimate"] is False
    assert "batch: up to 3 x s-4vcpu-8gb" in created["cost"]["detail"]
    assert any(m and "provisioning" in m for m in progress), progress
    assert "kubernetes_kubeconfig_get" in result.content[0].text
    assert len(posts(sandbox, "/v2/kubernetes/clusters")) == 1
    assert sandbox.world.count("GET", "/v2/kubernetes/options") == 1


async def test_create_without_wait_returns_at_once(k8s):
    created = await call_ok(
        k8s, "kubernetes_cluster_create", **CREATE, version=NEWER_PATCH, wait=False
    )
    assert created["done"] is False
    assert created["resources"][0]["state"] == "provisioning"
    assert created["resources"][0]["version"] == NEWER_PATCH
    assert "kubernetes_cluster_get" in created["message"]


async def test_create_stops_at_the_timeout_saying_how_to_check(k8s):
    created = await call_ok(k8s, "kubernetes_cluster_create", **CREATE, timeout=0.05)
    assert created["done"] is False
    assert "still in progress" in created["message"] and "do not repeat" in created["message"]


async def test_create_refuses_a_name_in_use(k8s, sandbox):
    error = await call_error(k8s, "kubernetes_cluster_create", **{**CREATE, "name": "prod-cluster"})
    assert "already exists" in error and seeded(sandbox).id in error
    assert posts(sandbox) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "Prod Cluster"}, "Invalid cluster name"),
        ({"node_pools": [POOL, POOL]}, "must be different"),
        ({"node_pools": [{**POOL, "colour": "red"}]}, "unknown colour"),
        ({"node_pools": [{**POOL, "count": 0}]}, "count must be an integer of at least 1"),
        ({"node_pools": [{"name": "web", "count": 1}]}, "size is required"),
        ({"node_pools": [{**POOL, "min_nodes": 1}]}, "need auto_scale=true"),
        (
            {"node_pools": [{**POOL, "auto_scale": True, "min_nodes": 3, "max_nodes": 2}]},
            "min_nodes <= count <= max_nodes",
        ),
        ({"node_pools": [{**POOL, "labels": {"tier": 1}}]}, "labels map Kubernetes label keys"),
        ({"tags": ["no spaces"]}, "Tags are letters"),
    ],
)
async def test_bad_create_input_is_refused_before_any_request(k8s, sandbox, change, expected):
    error = await call_error(k8s, "kubernetes_cluster_create", **{**CREATE, **change})
    assert expected in error
    assert sandbox.world.requests == []


async def test_an_unknown_node_size_is_refused_before_the_create(k8s, sandbox):
    pools = [{**POOL, "size": "s-64vcpu-1tb"}]
    error = await call_error(k8s, "kubernetes_cluster_create", **{**CREATE, "node_pools": pools})
    assert "Unknown node size s-64vcpu-1tb" in error and "size_list" in error
    assert posts(sandbox) == []


async def test_create_cost_respects_the_limit_and_ha_is_an_estimate(sandbox, era):
    async with connect(
        sandbox, era, None, toolsets=("all",), max_monthly_cost=60, confirm="never"
    ) as client:
        error = await call_error(client, "kubernetes_cluster_create", **CREATE, ha=True)
        assert "$88.00/month" in error and "--max-monthly-cost" in error
        ok = await call_ok(client, "kubernetes_cluster_create", **CREATE, wait=False)
        assert ok["cost"]["monthly_usd"] == 48.0
    assert len(posts(sandbox)) == 1


async def test_ha_cost_is_marked_as_an_estimate(sandbox):
    async with connect(sandbox, toolsets=("all",), confirm="never") as client:
        created = await call_ok(client, "kubernetes_cluster_create", **CREATE, ha=True, wait=False)
    assert created["cost"]["monthly_usd"] == 88.0 and created["cost"]["estimate"] is True
    assert created["resources"][0]["ha"] is True


# -- kubeconfig: a secret --------------------------------------------------------------------


async def test_kubeconfig_is_returned_as_yaml_with_its_expiry(k8s, sandbox, cluster_id):
    item = (
        await call_ok(k8s, "kubernetes_kubeconfig_get", cluster_id=cluster_id, expiry_seconds=300)
    )["item"]
    kubeconfig = item["kubeconfig"]
    assert (
        kubeconfig.startswith("apiVersion: v1\n")
        and "current-context: do-nyc3-prod-cluster" in kubeconfig
    )
    assert re.search(r"token: [0-9a-f]{64}\n", kubeconfig)
    assert f"server: https://{cluster_id}.k8s.ondigitalocean.com" in kubeconfig
    (query,) = [q for m, p, q in sandbox.world.requests if p.endswith("/kubeconfig")]
    assert query == "expiry_seconds=300"


async def test_the_kubeconfig_token_reaches_the_result_but_no_log(sandbox, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "audit.jsonl"
    cluster_id = seeded(sandbox).id
    dialog = Dialog("accept", "decline")
    async with connect(sandbox, "auto", dialog, toolsets=("all",), audit_log=audit) as client:
        await call_ok(client, "kubernetes_cluster_create", **CREATE, wait=False)  # audited
        result = await client.call_tool("kubernetes_kubeconfig_get", {"cluster_id": cluster_id})
        await call_ok(client, "kubernetes_cluster_delete", cluster_id=cluster_id)  # denied
    assert not result.is_error
    token = re.search(r"token: ([0-9a-f]{64})", result.structured_content["item"]["kubeconfig"])
    assert token, result.structured_content
    secret = token.group(1)
    assert secret in result.content[0].text  # the agent asked for it, so it gets it
    logged = audit.read_text()
    assert "kubernetes_cluster_create" in logged  # the audit log was written to
    assert secret not in logged and "kubeconfig_get" not in logged  # reads are not audited
    assert caplog.records, "nothing was captured: the check would prove nothing"
    assert secret not in caplog.text and secret[-16:] not in caplog.text


# -- upgrade ---------------------------------------------------------------------------------


async def test_upgrade_needs_confirmation_then_waits_with_progress(sandbox, era, cluster_id):
    progress: list[str | None] = []

    async def on_progress(done, total, message):
        progress.append(message)

    arguments = {"type": "upgrade", "cluster_id": cluster_id, "version": LATEST}
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog, toolsets=("kubernetes",)) as client:
        await call_ok(client, "kubernetes_cluster_action", **arguments)
        preview = dialog.questions[0]
        assert f"Upgrade 1 cluster: prod-cluster ({cluster_id})." in preview
        assert "From 1.32.2-do.0 to 1.33.1-do.0: every node is drained and replaced" in preview
        assert posts(sandbox) == []
        result = await client.call_tool(
            "kubernetes_cluster_action", arguments, progress_callback=on_progress
        )
    assert not result.is_error, result.content
    done = result.structured_content
    assert done["done"] is True and done["resources"][0]["version"] == LATEST
    assert done["resources"][0]["state"] == "running"
    assert any(m and "upgrading" in m for m in progress), progress
    assert len(posts(sandbox, "/upgrade")) == 1


async def test_upgrade_to_an_unavailable_version_lists_the_available_ones(k8s, sandbox, cluster_id):
    error = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="upgrade",
        cluster_id=cluster_id,
        version="1.30.0-do.0",
    )
    assert "not an available upgrade" in error and f"{LATEST}, {NEWER_PATCH}" in error
    assert posts(sandbox) == []


async def test_a_protected_cluster_is_not_upgraded_or_deleted(sandbox, era, cluster_id):
    protect(sandbox)
    async with connect(sandbox, era, None, toolsets=("kubernetes",), confirm="never") as client:
        upgrade = await call_error(
            client,
            "kubernetes_cluster_action",
            type="upgrade",
            cluster_id=cluster_id,
            version=LATEST,
        )
        delete = await call_error(client, "kubernetes_cluster_delete", cluster_id=cluster_id)
        pool_id = seeded(sandbox).pools[0].id
        pool = await call_error(
            client,
            "kubernetes_cluster_action",
            type="delete_pool",
            cluster_id=cluster_id,
            node_pool_id=pool_id,
        )
    for error in (upgrade, delete, pool):
        assert "tagged 'protected'" in error and "Nothing was changed" in error
    assert (
        posts(sandbox) == []
        and sandbox.world.count("DELETE", f"/v2/kubernetes/clusters/{cluster_id}") == 0
    )


async def test_upgrade_without_wait_returns_while_upgrading(k8s, cluster_id):
    started = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="upgrade",
        cluster_id=cluster_id,
        version=NEWER_PATCH,
        wait=False,
    )
    assert started["done"] is False and started["resources"][0]["state"] == "upgrading"
    assert "kubernetes_cluster_get" in started["message"]


# -- node pools ------------------------------------------------------------------------------


async def test_adding_a_pool_asks_with_its_cost(sandbox, era, cluster_id):
    new = {"name": "extra", "size": "s-4vcpu-8gb", "count": 2, "labels": {"tier": "db"}}
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog, toolsets=("kubernetes",)) as client:
        added = await call_ok(
            client, "kubernetes_cluster_action", type="add_pool", cluster_id=cluster_id, pool=new
        )
    assert "+$96.00/month" in dialog.questions[0]
    assert added["done"] is True and added["cost"]["monthly_usd"] == 96.0
    pool = added["resources"][0]
    assert (
        pool["labels"] == {"tier": "db"} and [n["state"] for n in pool["nodes"]] == ["running"] * 2
    )
    assert "extra: s-4vcpu-8gb x 2" in added["message"]


async def test_adding_a_pool_over_the_cost_limit_is_refused(sandbox, cluster_id):
    new = {"name": "big", "size": "s-8vcpu-16gb", "count": 3}
    async with connect(sandbox, toolsets=("kubernetes",), max_monthly_cost=100) as client:
        error = await call_error(
            client, "kubernetes_cluster_action", type="add_pool", cluster_id=cluster_id, pool=new
        )
    assert "$288.00/month" in error and "--max-monthly-cost" in error
    assert posts(sandbox) == []


async def test_growing_a_pool_shows_the_cost_difference_and_waits(sandbox, cluster_id):
    pool_id = seeded(sandbox).pools[0].id
    async with connect(sandbox, toolsets=("kubernetes",), confirm="never") as client:
        grown = await call_ok(
            client,
            "kubernetes_cluster_action",
            type="update_pool",
            cluster_id=cluster_id,
            node_pool_id=pool_id,
            pool={"count": 5},
        )
    assert grown["cost"]["monthly_usd"] == 48.0 and "3 -> 5" in grown["cost"]["detail"]
    assert grown["done"] is True and len(grown["resources"][0]["nodes"]) == 5
    assert {n["state"] for n in grown["resources"][0]["nodes"]} == {"running"}


async def test_shrinking_a_pool_is_confirmed_and_drains_nodes(sandbox, era, cluster_id):
    pool_id = seeded(sandbox).pools[0].id
    arguments = {
        "type": "update_pool",
        "cluster_id": cluster_id,
        "node_pool_id": pool_id,
        "pool": {"count": 1},
    }
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog, toolsets=("kubernetes",)) as client:
        await call_ok(client, "kubernetes_cluster_action", **arguments)
        preview = dialog.questions[0]
        assert "Shrink 1 node pool: prod-pool" in preview and "2 nodes are drained" in preview
        assert "-$48.00/month" in preview and len(seeded(sandbox).pools[0].nodes) == 3
        shrunk = await call_ok(client, "kubernetes_cluster_action", **arguments)
    assert shrunk["done"] is True and len(shrunk["resources"][0]["nodes"]) == 1
    assert len(seeded(sandbox).pools[0].nodes) == 1


async def test_autoscaling_a_pool_costs_up_to_its_maximum(k8s, sandbox, cluster_id):
    pool_id = seeded(sandbox).pools[0].id
    scaled = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=pool_id,
        pool={"auto_scale": True, "min_nodes": 2, "max_nodes": 6},
    )
    assert scaled["cost"]["monthly_usd"] == 72.0  # 3 more nodes at most
    assert "prod-pool: s-2vcpu-4gb x 3 (auto 2-6)" in scaled["message"]
    pool = seeded(sandbox).pools[0]
    assert (pool.auto_scale, pool.min_nodes, pool.max_nodes, pool.count) == (True, 2, 6, 3)


async def test_deleting_a_pool_needs_confirmation(sandbox, cluster_id):
    record = seeded(sandbox)
    async with connect(sandbox, toolsets=("kubernetes",), confirm="never") as client:
        last = await call_error(
            client,
            "kubernetes_cluster_action",
            type="delete_pool",
            cluster_id=cluster_id,
            node_pool_id=record.pools[0].id,
        )
        assert "422" in last and "at least one node pool" in last  # the API's rule, relayed
        extra = {"name": "extra", "size": "s-2vcpu-4gb", "count": 1}
        await call_ok(
            client, "kubernetes_cluster_action", type="add_pool", cluster_id=cluster_id, pool=extra
        )
    extra_id = record.pools[1].id
    answers: list[str] = []

    async def dialog(_context, params) -> ElicitResult:
        answers.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with connect(sandbox, "auto", dialog, toolsets=("kubernetes",)) as client:
        deleted = await call_ok(
            client,
            "kubernetes_cluster_action",
            type="delete_pool",
            cluster_id=cluster_id,
            node_pool_id=extra_id,
        )
    assert answers and answers[0].startswith("Delete 1 node pool: extra")
    assert "-$24.00/month" in answers[0]
    assert deleted["resources"] == [{"id": extra_id, "name": "extra"}]
    assert [p.name for p in record.pools] == ["prod-pool"]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "upgrade"}, "upgrade needs version (kubernetes_cluster_get lists available"),
        (
            {"type": "upgrade", "version": LATEST, "node_pool_id": MISSING},
            "node_pool_id does not apply",
        ),
        ({"type": "add_pool"}, "add_pool needs pool"),
        ({"type": "add_pool", "pool": {"name": "x", "count": 1}}, "size is required"),
        ({"type": "update_pool", "pool": {"count": 2}}, "update_pool needs node_pool_id"),
        ({"type": "update_pool", "node_pool_id": MISSING}, "update_pool needs pool"),
        (
            {"type": "update_pool", "node_pool_id": MISSING, "pool": {"size": "s-1vcpu-2gb"}},
            "update_pool changes only count",
        ),
        (
            {"type": "delete_pool", "node_pool_id": MISSING, "version": LATEST},
            "version does not apply",
        ),
    ],
)
async def test_bad_action_input_is_refused_before_any_request(k8s, sandbox, arguments, expected):
    error = await call_error(k8s, "kubernetes_cluster_action", cluster_id=MISSING, **arguments)
    assert expected in error
    assert sandbox.world.requests == []


async def test_an_unknown_pool_says_where_to_look(k8s, sandbox, cluster_id):
    error = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="delete_pool",
        cluster_id=cluster_id,
        node_pool_id=MISSING,
    )
    assert f"Node pool {MISSING} is not in cluster prod-cluster" in error
    assert "kubernetes_cluster_get" in error
    assert not [r for r in sandbox.world.requests if r[0] == "DELETE"]


async def test_a_resize_that_breaks_autoscaling_bounds_is_refused(k8s, sandbox, cluster_id):
    pool_id = seeded(sandbox).pools[0].id
    error = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=pool_id,
        pool={"auto_scale": True, "max_nodes": 2},  # count stays 3
    )
    assert "min_nodes <= count <= max_nodes" in error
    assert not [r for r in sandbox.world.requests if r[0] == "PUT"]


# -- delete ----------------------------------------------------------------------------------


async def test_delete_shows_a_preview_and_runs_once_approved(sandbox, era, cluster_id, tmp_path):
    audit = tmp_path / "audit.jsonl"
    dialog = Dialog("decline", "accept")
    connection = connect(sandbox, era, dialog, toolsets=("kubernetes",), audit_log=audit)
    async with connection as client:
        await call_ok(client, "kubernetes_cluster_delete", cluster_id=cluster_id)
        preview = dialog.questions[0]
        assert preview == (
            f"Delete 1 cluster: prod-cluster ({cluster_id}). Its 3 nodes and their disks are "
            "gone for good; it has no load balancers, volumes or volume snapshots of its own. "
            "Approve?"
        )
        assert sandbox.world.count("DELETE", f"/v2/kubernetes/clusters/{cluster_id}") == 0
        deleted = await call_ok(client, "kubernetes_cluster_delete", cluster_id=cluster_id)
        assert deleted["item"] == {"id": cluster_id, "name": "prod-cluster", "deleted": True}
        gone = await call_error(client, "kubernetes_cluster_get", cluster_id=cluster_id)
    assert "does not exist" in gone
    outcome = [json.loads(line) for line in audit.read_text().splitlines()][-1]
    assert outcome["outcome"] == "ok" and outcome["deleted"][0]["id"] == cluster_id


async def test_a_list_of_100_clusters_is_under_15_percent_of_the_api_json(k8s, sandbox):
    def send(method: str, path: str, body: dict | None = None) -> str:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(sandbox.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer dop_v1_test")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request) as response:
            return response.read().decode()

    for number in range(99):  # one cluster is seeded
        body = {**CREATE, "name": f"bench-{number:03d}", "version": "latest", "tags": ["bench"]}
        send("POST", "/v2/kubernetes/clusters", body)
    raw = send("GET", "/v2/kubernetes/clusters?per_page=100")
    listed = await call_ok(k8s, "kubernetes_cluster_list", per_page=100)
    assert len(listed["items"]) == 100
    compact = json.dumps(listed, separators=(",", ":"))
    assert len(compact) < 0.15 * len(raw), (len(compact), len(raw))


# -- autoscaling, labels, taints; waits that stop; associated resources -----------------------

GPU = {
    "name": "gpu",
    "size": "s-4vcpu-8gb",
    "count": 1,
    "auto_scale": True,
    "min_nodes": 1,
    "max_nodes": 3,
    "labels": {"workload": "gpu", "example.com/team": "ml"},
    "taints": [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "example.com/spot", "effect": "PreferNoSchedule"},
    ],
    "tags": ["gpu"],
}


def pool_named(sandbox: Sandbox, cluster_name: str, pool_name: str):
    cluster = next(c for c in sandbox.world.table("kubernetes").values() if c.name == cluster_name)
    return cluster, next(p for p in cluster.pools if p.name == pool_name)


BAD_TAINTS = [
    ([{"key": "dedicated", "value": "gpu", "effect": "NoRun"}], "use one of NoSchedule"),
    ([{"key": "dedicated", "value": "gpu"}], "has effect None"),
    ([{"key": "bad key", "effect": "NoSchedule"}], "is not a Kubernetes key"),
    ([{"key": "-dash", "effect": "NoSchedule"}], "is not a Kubernetes key"),
    ([{"key": "Example.com/gpu", "effect": "NoSchedule"}], "is not a Kubernetes key"),
    ([{"key": "k", "value": "x" * 64, "effect": "NoSchedule"}], "at most 63"),
    ([{"key": "k", "value": "a b", "effect": "NoSchedule"}], "at most 63"),
    ([{"key": "k", "effect": "NoSchedule", "operator": "Equal"}], "only key, value and effect"),
    (
        [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": "NoSchedule"}],
        "taint k:NoSchedule is given twice",
    ),
    ({"key": "k", "effect": "NoSchedule"}, "taints is a list"),
    (["dedicated=gpu:NoSchedule"], "only key, value and effect"),
]


@pytest.mark.parametrize(("taints", "expected"), BAD_TAINTS)
async def test_bad_taints_are_refused_before_sending(k8s, sandbox, cluster_id, taints, expected):
    pools = [{**POOL, "taints": taints}]
    created = await call_error(k8s, "kubernetes_cluster_create", **{**CREATE, "node_pools": pools})
    added = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="add_pool",
        cluster_id=cluster_id,
        pool={**POOL, "taints": taints},
    )
    updated = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=MISSING,
        pool={"taints": taints},
    )
    for error in (created, added, updated):
        assert expected in error, error
    assert sandbox.world.requests == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"tier": 1}, "labels map Kubernetes label keys"),
        ({"bad key": "x"}, "labels map Kubernetes label keys"),
        ({"tier": "x" * 64}, "labels map Kubernetes label keys"),
        (["tier=web"], "labels map Kubernetes label keys"),
    ],
)
async def test_bad_labels_are_refused_before_sending(k8s, sandbox, cluster_id, labels, expected):
    created = await call_error(
        k8s, "kubernetes_cluster_create", **{**CREATE, "node_pools": [{**POOL, "labels": labels}]}
    )
    updated = await call_error(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=MISSING,
        pool={"labels": labels},
    )
    assert expected in created and expected in updated
    assert sandbox.world.requests == []


async def test_create_sends_autoscaling_labels_and_taints(k8s, sandbox, sent):
    created = await call_ok(
        k8s, "kubernetes_cluster_create", **{**CREATE, "node_pools": [POOL, GPU]}, wait=False
    )
    (body,) = bodies(sent, "kubernetes.create_cluster")
    assert body["node_pools"][1] == {
        "name": "gpu",
        "size": "s-4vcpu-8gb",
        "count": 1,
        "auto_scale": True,
        "min_nodes": 1,
        "max_nodes": 3,
        "tags": ["gpu"],
        "labels": {"workload": "gpu", "example.com/team": "ml"},
        "taints": [
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
            {"key": "example.com/spot", "effect": "PreferNoSchedule"},
        ],
    }
    _, stored = pool_named(sandbox, "new-cluster", "gpu")
    assert (stored.auto_scale, stored.min_nodes, stored.max_nodes) == (True, 1, 3)
    assert stored.labels == GPU["labels"] and stored.taints == GPU["taints"]
    shown = created["resources"][0]["node_pools"][1]
    assert shown["taints"] == GPU["taints"] and shown["labels"] == GPU["labels"]
    assert (shown["auto_scale"], shown["min_nodes"], shown["max_nodes"]) == (True, 1, 3)
    assert created["cost"]["monthly_usd"] == 48.0 + 3 * 48.0  # web 2 x $24, gpu up to 3 x $48


async def test_update_pool_changes_labels_and_taints_and_keeps_the_rest(
    k8s, sandbox, cluster_id, sent
):
    record = seeded(sandbox)
    pool = record.pools[0]
    pool.labels = {"tier": "web"}
    updated = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=pool.id,
        pool={"taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]},
    )
    (body,) = bodies(sent, "kubernetes.update_node_pool")
    assert body == {
        "name": "prod-pool",
        "count": 3,
        "auto_scale": False,
        "tags": [],
        "labels": {"tier": "web"},  # kept: a PUT replaces the whole pool
        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
    }
    assert updated["done"] is True and updated["cost"] is None  # no node more, nothing to pay
    assert pool.taints == body["taints"] and pool.labels == {"tier": "web"}
    cleared = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=pool.id,
        pool={"taints": [], "labels": {}},
    )
    assert "taints" not in cleared["resources"][0] and pool.taints == [] and not pool.labels


async def test_a_shrink_preview_lists_every_change(sandbox, cluster_id):
    pool = seeded(sandbox).pools[0]
    dialog = Dialog("decline")
    arguments = {
        "type": "update_pool",
        "cluster_id": cluster_id,
        "node_pool_id": pool.id,
        "pool": {
            "count": 2,
            "labels": {"tier": "web"},
            "taints": [{"key": "gpu", "effect": "NoExecute"}],
        },
    }
    async with connect(sandbox, "auto", dialog, toolsets=("kubernetes",)) as client:
        await call_ok(client, "kubernetes_cluster_action", **arguments)
    (question,) = dialog.questions
    assert question.startswith(f"Shrink 1 node pool: prod-pool ({pool.id}).")
    assert "Changes: count 3 -> 2; labels tier=web; taints gpu:NoExecute." in question
    assert "1 nodes are drained and deleted" in question
    assert "NoExecute taint evicts running pods that do not tolerate it" in question
    assert "-$24.00/month" in question
    assert pool.taints == [] and len(pool.nodes) == 3


async def test_raising_the_ceiling_shows_what_the_new_ceiling_costs(k8s, sandbox, sent):
    await call_ok(k8s, "kubernetes_cluster_create", **{**CREATE, "node_pools": [GPU]})
    cluster, pool = pool_named(sandbox, "new-cluster", "gpu")
    raised = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster.id,
        node_pool_id=pool.id,
        pool={"max_nodes": 6},
    )
    assert raised["cost"]["monthly_usd"] == 144.0  # 3 more nodes at most, $48 each
    assert raised["cost"]["detail"] == (
        "gpu: 3 -> up to 6 x s-4vcpu-8gb at $48.00/month (at most $288.00/month for the pool)"
    )
    assert "gpu: s-4vcpu-8gb x 1 (auto 1-6)" in raised["message"]
    assert (pool.max_nodes, pool.min_nodes, pool.count) == (6, 1, 1)
    assert pool.taints == GPU["taints"] and pool.labels == GPU["labels"]  # kept
    (body,) = bodies(sent, "kubernetes.update_node_pool")
    assert body["max_nodes"] == 6 and body["taints"] == GPU["taints"] and body["tags"] == ["gpu"]


async def test_available_upgrades_are_one_call_away(k8s, cluster_id, sent):
    got = await call_ok(k8s, "kubernetes_cluster_get", cluster_id=cluster_id)
    assert got["item"]["available_upgrades"] == [LATEST, NEWER_PATCH]
    assert [op for op, _ in sent] == ["kubernetes.get_cluster", "kubernetes.get_available_upgrades"]


async def test_delete_names_what_it_keeps_when_the_listing_fails(sandbox, cluster_id):
    sandbox.world.faults.add(
        Fault(method="GET", path=r".*/destroy_with_associated_resources", status=403, times=4)
    )
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog, toolsets=("kubernetes",)) as client:
        await call_ok(client, "kubernetes_cluster_delete", cluster_id=cluster_id)
        refused = await call_error(
            client, "kubernetes_cluster_delete", cluster_id=cluster_id, with_associated=True
        )
    assert "could not be listed (error 403) and stay" in dialog.questions[0]
    assert "403" in refused
    assert cluster_id in sandbox.world.table("kubernetes")


def made_by(sandbox: Sandbox, cluster_id: str) -> dict[str, str]:
    """What a cluster's workloads create, marked as DOKS marks them: a load balancer on its
    nodes' tag, a volume tagged with it (a PVC) and a snapshot of that volume. Names -> ids."""
    mark = f"k8s:{cluster_id}"
    rule = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http"}
    lb = api(
        sandbox,
        "POST",
        "/v2/load_balancers",
        {
            "name": "a-web",
            "region": "nyc3",
            "forwarding_rules": [{**rule, "target_port": 30080}],
            "tag": mark,
        },
    )["load_balancer"]
    volume = api(
        sandbox,
        "POST",
        "/v2/volumes",
        {"name": "pvc-data", "region": "nyc3", "size_gigabytes": 10, "tags": [mark]},
    )["volume"]
    snapshot = api(
        sandbox, "POST", f"/v2/volumes/{volume['id']}/snapshots", {"name": "pvc-data-snap"}
    )["snapshot"]
    return {"a-web": lb["id"], "pvc-data": volume["id"], "pvc-data-snap": snapshot["id"]}


async def test_the_issue_flow_autoscaling_pool_to_delete_with_load_balancers(sandbox, era, sent):
    """Create a cluster with an autoscaling pool with labels and taints, raise its ceiling,
    list its upgrades, delete it with the load balancer (and volume) it made."""
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog, toolsets=("kubernetes",)) as client:
        created = await call_ok(
            client,
            "kubernetes_cluster_create",
            name="flow",
            region="nyc3",
            version=NEWER_PATCH,
            node_pools=[GPU],
        )
        assert created["done"] is True and "+$144.00/month" in dialog.questions[0]
        (body,) = bodies(sent, "kubernetes.create_cluster")
        assert body["node_pools"] == [GPU]
        cluster, pool = pool_named(sandbox, "flow", "gpu")
        assert (pool.auto_scale, pool.min_nodes, pool.max_nodes) == (True, 1, 3)
        assert pool.labels == GPU["labels"] and pool.taints == GPU["taints"]

        raised = await call_ok(
            client,
            "kubernetes_cluster_action",
            type="update_pool",
            cluster_id=cluster.id,
            node_pool_id=pool.id,
            pool={"max_nodes": 5},
        )
        assert raised["cost"]["monthly_usd"] == 96.0
        assert "up to 5 x s-4vcpu-8gb" in raised["cost"]["detail"]
        assert "at most $240.00/month" in raised["cost"]["detail"]
        assert pool.max_nodes == 5

        got = await call_ok(client, "kubernetes_cluster_get", cluster_id=cluster.id)
        assert got["item"]["available_upgrades"] == [LATEST]

        ids = made_by(sandbox, cluster.id)
        other = api(
            sandbox,
            "POST",
            "/v2/load_balancers",
            {
                "name": "unrelated",
                "region": "nyc3",
                "forwarding_rules": [
                    {
                        "entry_protocol": "http",
                        "entry_port": 80,
                        "target_protocol": "http",
                        "target_port": 80,
                    }
                ],
            },
        )["load_balancer"]
        deleted = await call_ok(
            client, "kubernetes_cluster_delete", cluster_id=cluster.id, with_associated=True
        )
    question = next(q for q in dialog.questions if q.startswith("Delete"))
    assert question.startswith(
        f"Delete 4 resources: flow ({cluster.id}), a-web ({ids['a-web']}), "
        f"pvc-data ({ids['pvc-data']}), pvc-data-snap ({ids['pvc-data-snap']})."
    )
    assert (
        f"deleted with it: load balancer a-web ({ids['a-web']}), volume pvc-data "
        f"({ids['pvc-data']}), volume snapshot pvc-data-snap ({ids['pvc-data-snap']})."
    ) in question
    assert [params for op, params in sent if op.startswith("kubernetes.destroy")] == [
        {
            "cluster_id": cluster.id,
            "body": {
                "load_balancers": [ids["a-web"]],
                "volumes": [ids["pvc-data"]],
                "volume_snapshots": [ids["pvc-data-snap"]],
            },
        }
    ]
    assert sandbox.world.count("DELETE", f"/v2/kubernetes/clusters/{cluster.id}") == 0
    assert deleted["item"]["deleted"] is True and "kept" not in deleted["item"]
    assert {t["id"] for t in deleted["item"]["deleted_with_it"]} == set(ids.values())
    world = sandbox.world
    assert cluster.id not in world.table("kubernetes")
    assert ids["a-web"] not in world.table("load_balancers")
    assert ids["pvc-data"] not in world.table("volumes")
    assert ids["pvc-data-snap"] not in world.table("volume_snapshots")
    assert other["id"] in world.table("load_balancers")  # not the cluster's: untouched


async def test_delete_without_associated_names_what_stays(sandbox, cluster_id, sent):
    ids = made_by(sandbox, cluster_id)
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, toolsets=("kubernetes",)) as client:
        deleted = await call_ok(client, "kubernetes_cluster_delete", cluster_id=cluster_id)
    (question,) = dialog.questions
    assert question.startswith(f"Delete 1 cluster: prod-cluster ({cluster_id}).")
    assert (
        f"Kept, still billed: load balancer a-web ({ids['a-web']}), volume pvc-data "
        f"({ids['pvc-data']}), volume snapshot pvc-data-snap ({ids['pvc-data-snap']}) "
        "(with_associated=true deletes them)."
    ) in question
    assert [op for op, _ in sent if op.startswith("kubernetes.de")] == ["kubernetes.delete_cluster"]
    assert {k["name"] for k in deleted["item"]["kept"]} == set(ids)
    world = sandbox.world
    assert cluster_id not in world.table("kubernetes")
    assert ids["a-web"] in world.table("load_balancers")
    assert ids["pvc-data"] in world.table("volumes")


async def test_a_protected_associated_volume_refuses_the_delete_with_it(sandbox, cluster_id):
    ids = made_by(sandbox, cluster_id)
    sandbox.world.table("volumes")[ids["pvc-data"]].tags.append("protected")
    async with connect(sandbox, "auto", Dialog("accept"), toolsets=("kubernetes",)) as client:
        error = await call_error(
            client, "kubernetes_cluster_delete", cluster_id=cluster_id, with_associated=True
        )
    assert "pvc-data" in error and "tagged 'protected'" in error
    assert cluster_id in sandbox.world.table("kubernetes")
    assert ids["a-web"] in sandbox.world.table("load_balancers")


async def test_a_failed_create_stops_waiting_at_once_saying_what_to_check(k8s, sandbox):
    progress: list[str | None] = []

    async def on_progress(done, total, message):
        progress.append(message)

    started = time.monotonic()
    result = await k8s.call_tool(
        "kubernetes_cluster_create",
        {**CREATE, "tags": ["sandbox:fail"], "timeout": 600},
        progress_callback=on_progress,
    )
    elapsed = time.monotonic() - started
    assert not result.is_error, result.content
    created = result.structured_content
    assert created["done"] is False and created["resources"][0]["state"] == "error"
    message = created["message"]
    cluster_id = created["resources"][0]["id"]
    assert message.startswith("Creating cluster new-cluster stopped after")
    assert "the cluster is in state error (Cluster provisioning failed" in message
    assert "waiting longer will not help" in message
    assert f"kubernetes_cluster_get cluster_id={cluster_id}" in message
    assert "kubernetes.get_status_messages" in message and "kubernetes_cluster_delete" in message
    assert elapsed < 10, elapsed  # boot_seconds is 0.3: not the 600 s timeout
    assert any(m and "provisioning" in m for m in progress)


async def test_a_pool_change_in_a_degraded_cluster_stops_waiting(k8s, sandbox, cluster_id):
    record = seeded(sandbox)
    record.tags.append("sandbox:degraded")
    started = time.monotonic()
    grown = await call_ok(
        k8s,
        "kubernetes_cluster_action",
        type="update_pool",
        cluster_id=cluster_id,
        node_pool_id=record.pools[0].id,
        pool={"count": 4},
        timeout=600,
    )
    assert time.monotonic() - started < 10
    assert grown["done"] is False
    assert "stopped" in grown["message"] and "the cluster is in state degraded" in grown["message"]
    assert "it may recover" in grown["message"] and "do not repeat" in grown["message"]
    assert len(record.pools[0].nodes) == 4  # the change itself was made


async def test_an_upgrade_that_leaves_the_cluster_degraded_stops_waiting(k8s, sandbox, cluster_id):
    record = seeded(sandbox)
    arguments = {"type": "upgrade", "cluster_id": cluster_id, "version": NEWER_PATCH}
    results: list[dict] = []

    async def upgrade() -> None:
        results.append(await call_ok(k8s, "kubernetes_cluster_action", **arguments, timeout=600))

    started = time.monotonic()
    async with anyio.create_task_group() as group:
        group.start_soon(upgrade)
        while sandbox.world.count("POST", f"/v2/kubernetes/clusters/{cluster_id}/upgrade") == 0:
            await anyio.sleep(0.01)
        record.tags.append("sandbox:degraded")  # it comes out of the upgrade degraded
    assert time.monotonic() - started < 10
    (upgraded,) = results
    assert upgraded["done"] is False and upgraded["resources"][0]["state"] == "degraded"
    assert upgraded["message"].startswith(
        f"The upgrade of cluster prod-cluster to {NEWER_PATCH} stopped after"
    )
    assert "the cluster is in state degraded (A node is not ready" in upgraded["message"]
