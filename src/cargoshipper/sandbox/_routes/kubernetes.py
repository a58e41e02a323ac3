"""Kubernetes (DOKS): clusters, their node pools and nodes, upgrades, kubeconfig, options, and
the resources destroyed with a cluster.

Nothing runs in the background: a cluster's and its nodes' states are computed from the World's
clock whenever they are read. A new cluster (and every new node) is ``provisioning`` for
``boot_seconds``, then ``running``; an upgrade is ``upgrading`` for ``boot_seconds``, then the
cluster runs the new version; nodes removed by a smaller pool are ``draining`` for
``action_seconds``, then gone. Worker nodes are not added to the Droplet list.

Failures on demand, for clients that must stop waiting: a cluster created with the tag
``sandbox:fail`` goes ``provisioning`` -> ``error`` after ``boot_seconds`` and stays there; a
cluster tagged ``sandbox:degraded`` (at creation or later, by an update) is ``degraded`` instead
of ``running`` for as long as it carries the tag.

Associated resources (``destroy_with_associated_resources``) are found as DOKS marks them, by the
cluster's ``k8s:<cluster-id>`` tag: load balancers whose backend ``tag`` is it (they balance the
cluster's nodes) or whose name holds the cluster id, and volumes and volume snapshots tagged with
it (plus the snapshots of such volumes). The selective and dangerous deletes remove the cluster
with the chosen (or all) of them.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from .._api import (
    Request,
    Response,
    Router,
    accepted,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON
from .._network import default_vpc, region_vpc
from .._state import World
from .load_balancers import load_balancers
from .tags import TAG_NAME
from .volumes import discard_volume, snapshots, volumes

router = Router()

TABLE = "kubernetes"
#: (slug, kubernetes_version), newest first, as /v2/kubernetes/options lists them.
VERSIONS = [("1.33.1-do.0", "1.33.1"), ("1.32.5-do.0", "1.32.5"), ("1.31.9-do.0", "1.31.9")]
FEATURES = ["cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"]
MIN_NODE_MEMORY = 2048  # MiB: DOKS does not offer the smallest Droplet sizes
CLUSTER_NAME = re.compile(r"[a-z0-9]([a-z0-9\-.]{0,253}[a-z0-9])?")
POOL_NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-.]{0,253}[a-zA-Z0-9])?")
DEFAULT_WINDOW = {"start_time": "00:00", "day": "any"}
DAYS = ("any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NODE_DROPLET_IDS = 489_000_000  # worker Droplet ids; not in the Droplet list
#: The optional components every cluster object reports (all off in the sandbox).
PLUGINS = (
    "routing_agent",
    "amd_gpu_device_plugin",
    "amd_gpu_device_metrics_exporter_plugin",
    "nvidia_gpu_device_plugin",
    "rdma_shared_dev_plugin",
    "coredns_autoscaler",
    "p2p_oci_registry_plugin",
)
FAIL_TAG = "sandbox:fail"  # created with it: provisioning, then error
DEGRADED_TAG = "sandbox:degraded"  # carrying it: degraded instead of running
MESSAGES = {
    "error": f"Cluster provisioning failed (the cluster was created with the {FAIL_TAG} tag)",
    "degraded": f"A node is not ready (the cluster carries the {DEGRADED_TAG} tag)",
}
ASSOCIATED = ("load_balancers", "volumes", "volume_snapshots")
_NAMESPACE = uuid.UUID("6f1e4f52-2c55-4d0a-9a5b-1c7d1c3f0b11")


@dataclass
class Node:
    id: str
    name: str
    droplet_id: str
    created_at: str
    ready_at: float  # clock time at which it runs
    gone_at: float | None = None  # clock time at which a draining node disappears


@dataclass
class Pool:
    id: str
    name: str
    size: str
    count: int
    tags: list[str]
    labels: dict[str, str] | None = None
    taints: list[JSON] = field(default_factory=list)
    auto_scale: bool = False
    min_nodes: int = 0
    max_nodes: int = 0
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Cluster:
    id: str
    name: str
    region: str
    version: str
    vpc_uuid: str
    tags: list[str]
    pools: list[Pool]
    created_at: str
    updated_at: str
    ready_at: float
    ipv4: str
    cluster_subnet: str = "10.244.0.0/16"
    service_subnet: str = "10.245.0.0/16"
    ha: bool = False
    auto_upgrade: bool = False
    surge_upgrade: bool = False
    maintenance: JSON = field(default_factory=lambda: dict(DEFAULT_WINDOW))
    upgrade_to: str | None = None
    upgrade_done_at: float = 0.0
    failed: bool = False  # created with FAIL_TAG: ends in error


def clusters(world: World) -> dict[str, Cluster]:
    return world.table(TABLE)


def _uuid(world: World, kind: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{world.next_id('kubernetes')}"))


# -- time ------------------------------------------------------------------------------------


def _settle(world: World, cluster: Cluster) -> None:
    """Apply what the clock says has happened: finished upgrades, drained nodes."""
    now = world.now()
    if cluster.upgrade_to and now >= cluster.upgrade_done_at:
        cluster.version, cluster.upgrade_to = cluster.upgrade_to, None
        cluster.updated_at = world.iso(cluster.upgrade_done_at)
    for pool in cluster.pools:
        pool.nodes = [n for n in pool.nodes if n.gone_at is None or n.gone_at > now]


def _state(world: World, cluster: Cluster) -> str:
    if world.now() < cluster.ready_at:
        return "provisioning"
    if cluster.failed:
        return "error"
    if cluster.upgrade_to:
        return "upgrading"
    return "degraded" if DEGRADED_TAG in cluster.tags else "running"


def _node_state(world: World, node: Node) -> str:
    if node.gone_at is not None:
        return "draining"
    return "provisioning" if world.now() < node.ready_at else "running"


# -- views -----------------------------------------------------------------------------------


def node_json(world: World, node: Node) -> JSON:
    return {
        "id": node.id,
        "name": node.name,
        "status": {"state": _node_state(world, node)},
        "droplet_id": node.droplet_id,
        "created_at": node.created_at,
        "updated_at": node.created_at,
    }


def pool_json(world: World, cluster: Cluster, pool: Pool) -> JSON:
    return {
        "id": pool.id,
        "name": pool.name,
        "size": pool.size,
        "count": pool.count,
        "tags": [*pool.tags, "k8s", f"k8s:{cluster.id}", "k8s:worker"],
        "labels": pool.labels,
        "taints": list(pool.taints),
        "auto_scale": pool.auto_scale,
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "nodes": [node_json(world, node) for node in pool.nodes],
    }


def cluster_json(world: World, cluster: Cluster) -> JSON:
    _settle(world, cluster)
    state = _state(world, cluster)
    up = state != "provisioning"
    return {
        "id": cluster.id,
        "name": cluster.name,
        "region": cluster.region,
        "version": cluster.version,
        "cluster_subnet": cluster.cluster_subnet,
        "service_subnet": cluster.service_subnet,
        "vpc_uuid": cluster.vpc_uuid,
        "ipv4": cluster.ipv4 if up else "",
        "endpoint": f"https://{cluster.id}.k8s.ondigitalocean.com" if up else "",
        "tags": [*cluster.tags, "k8s", f"k8s:{cluster.id}"],
        "node_pools": [pool_json(world, cluster, pool) for pool in cluster.pools],
        "maintenance_policy": {**cluster.maintenance, "duration": "4h0m0s"},
        "auto_upgrade": cluster.auto_upgrade,
        "isolated_workers": False,
        "status": {"state": state, "message": MESSAGES.get(state, state.capitalize())},
        "created_at": cluster.created_at,
        "updated_at": cluster.updated_at,
        "surge_upgrade": cluster.surge_upgrade,
        "registry_enabled": False,
        "ha": cluster.ha,
        "registries": [],
        "control_plane_firewall": {"enabled": False, "allowed_addresses": []},
        "cluster_autoscaler_configuration": {
            "scale_down_utilization_threshold": 0.5,
            "scale_down_unneeded_time": "10m",
            "expanders": ["random"],
        },
        **{plugin: {"enabled": False} for plugin in PLUGINS},
    }


def find_cluster(request: Request) -> Cluster:
    cluster = clusters(request.world).get(request.params["cluster_id"])
    if cluster is None:
        raise not_found()
    _settle(request.world, cluster)
    return cluster


def find_pool(request: Request) -> tuple[Cluster, Pool]:
    cluster = find_cluster(request)
    for pool in cluster.pools:
        if pool.id == request.params["node_pool_id"]:
            return cluster, pool
    raise not_found()


# -- options and validation ------------------------------------------------------------------


def _sizes(world: World) -> list[str]:
    return [s.slug for s in world.sizes.values() if s.available and s.memory >= MIN_NODE_MEMORY]


@router.get("/v2/kubernetes/options")
def list_options(request: Request) -> Response:
    world = request.world
    options = {
        "regions": [{"name": r.name, "slug": r.slug} for r in world.regions.values()],
        "versions": [
            {"slug": slug, "kubernetes_version": k8s, "supported_features": list(FEATURES)}
            for slug, k8s in VERSIONS
        ],
        "sizes": [{"name": slug, "slug": slug} for slug in _sizes(world)],
    }
    return ok({"options": options})


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise unprocessable("tags must be a list of strings")
    for tag in value:
        if not TAG_NAME.fullmatch(tag):
            raise unprocessable(f'tag "{tag}" is invalid')
    return [t for t in dict.fromkeys(value) if t != "k8s" and not t.startswith("k8s:")]


def _count(body: JSON, key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise unprocessable(f"{key} must be a non-negative integer")
    return value


def _scaling(body: JSON, count: int, current: Pool | None = None) -> tuple[bool, int, int]:
    auto = body.get("auto_scale", current.auto_scale if current else False)
    if not isinstance(auto, bool):
        raise unprocessable("auto_scale must be a boolean")
    if not auto:
        if count < 1:
            raise unprocessable("count must be at least 1")
        return False, 0, 0
    low = _count(body, "min_nodes", current.min_nodes if current else 0)
    high = _count(body, "max_nodes", current.max_nodes if current else 0)
    if high < 1 or low > high or not low <= count <= high:
        raise unprocessable("auto_scale needs min_nodes <= count <= max_nodes and max_nodes >= 1")
    return True, low, high


def _labels(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise unprocessable("labels must be an object of string values")
    return dict(value)


def _taints(value: Any) -> list[JSON]:
    if value is None:
        return []
    effects = ("NoSchedule", "PreferNoSchedule", "NoExecute")
    if not isinstance(value, list) or not all(
        isinstance(t, dict)
        and isinstance(t.get("key"), str)
        and isinstance(t.get("value", ""), str)
        and t.get("effect") in effects
        for t in value
    ):
        raise unprocessable("taints must be a list of {key, value, effect}")
    return [dict(t) for t in value]


def _new_nodes(world: World, pool: Pool, how_many: int) -> None:
    ready = world.now() + world.config.boot_seconds
    for _ in range(how_many):
        number = world.next_id("kubernetes_node")
        suffix = uuid.uuid5(_NAMESPACE, f"node/{number}").hex[:5]
        pool.nodes.append(
            Node(
                id=str(uuid.uuid5(_NAMESPACE, f"node-id/{number}")),
                name=f"{pool.name}-{suffix}",
                droplet_id=str(NODE_DROPLET_IDS + number),
                created_at=world.iso(),
                ready_at=ready,
            )
        )


def _resize(world: World, pool: Pool, count: int) -> None:
    """Add provisioning nodes, or drain the newest ones, until ``count`` remain."""
    staying = [n for n in pool.nodes if n.gone_at is None]
    if count > len(staying):
        _new_nodes(world, pool, count - len(staying))
    for node in reversed(staying[count:]):
        node.gone_at = world.now() + world.config.action_seconds


def _pool(world: World, spec: Any, taken: set[str]) -> Pool:
    if not isinstance(spec, dict):
        raise unprocessable("each node pool must be an object")
    name, size = spec.get("name"), spec.get("size")
    if not isinstance(name, str) or not POOL_NAME.fullmatch(name):
        raise unprocessable("node pool name must be letters, digits, '-' and '.'")
    if name in taken:
        raise unprocessable(f"node pool name {name} is already in use in this cluster")
    if size not in _sizes(world):
        raise unprocessable(f"invalid node pool size: {size}")
    count = _count(spec, "count")
    auto, low, high = _scaling(spec, count)
    pool = Pool(
        id=_uuid(world, "pool"),
        name=name,
        size=size,
        count=count,
        tags=_tags(spec.get("tags")),
        labels=_labels(spec.get("labels")),
        taints=_taints(spec.get("taints")),
        auto_scale=auto,
        min_nodes=low,
        max_nodes=high,
    )
    _new_nodes(world, pool, count)
    return pool


def _version(value: Any) -> str:
    if value == "latest":
        return VERSIONS[0][0]
    if value not in [slug for slug, _ in VERSIONS]:
        raise unprocessable(f"invalid version slug: {value}")
    return value


def _flag(body: JSON, key: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise unprocessable(f"{key} must be a boolean")
    return value


def _maintenance(value: Any, current: JSON) -> JSON:
    if value is None:
        return current
    if not isinstance(value, dict):
        raise unprocessable("maintenance_policy must be an object")
    start, day = value.get("start_time", current["start_time"]), value.get("day", current["day"])
    if not (isinstance(start, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", start)):
        raise unprocessable("maintenance_policy.start_time must be HH:MM")
    if day not in DAYS:
        raise unprocessable(f"maintenance_policy.day must be one of {', '.join(DAYS)}")
    return {"start_time": start, "day": day}


# -- clusters --------------------------------------------------------------------------------


@router.get("/v2/kubernetes/clusters")
def list_clusters(request: Request) -> Response:
    world = request.world
    found = [cluster_json(world, c) for c in clusters(world).values()]
    return ok(paginate(request, "kubernetes_clusters", found))


@router.post("/v2/kubernetes/clusters")
def create_cluster(request: Request) -> Response:
    world, body = request.world, request.json()
    name = body.get("name")
    if not isinstance(name, str) or not CLUSTER_NAME.fullmatch(name):
        raise unprocessable("name must be lowercase letters, digits, '-' and '.'")
    region = body.get("region")
    if region not in world.regions:
        raise unprocessable(f"invalid region: {region}")
    version = _version(body.get("version"))
    specs = body.get("node_pools")
    if not isinstance(specs, list) or not specs:
        raise unprocessable("a cluster needs at least one node pool")
    cluster_id = _uuid(world, "cluster")
    pools: list[Pool] = []
    for spec in specs:
        pools.append(_pool(world, spec, {p.name for p in pools}))
    number = len(clusters(world)) + 1
    cluster = Cluster(
        id=cluster_id,
        name=name,
        region=region,
        version=version,
        vpc_uuid=region_vpc(world, body.get("vpc_uuid"), region),
        tags=_tags(body.get("tags")),
        pools=pools,
        created_at=world.iso(),
        updated_at=world.iso(),
        ready_at=world.now() + world.config.boot_seconds,
        ipv4=f"164.90.{200 + number % 50}.{10 + number % 240}",
        ha=_flag(body, "ha"),
        auto_upgrade=_flag(body, "auto_upgrade"),
        surge_upgrade=_flag(body, "surge_upgrade"),
        maintenance=_maintenance(body.get("maintenance_policy"), dict(DEFAULT_WINDOW)),
    )
    cluster.failed = FAIL_TAG in cluster.tags
    clusters(world)[cluster.id] = cluster
    return created({"kubernetes_cluster": cluster_json(world, cluster)})


@router.get("/v2/kubernetes/clusters/{cluster_id}")
def get_cluster(request: Request) -> Response:
    return ok({"kubernetes_cluster": cluster_json(request.world, find_cluster(request))})


@router.put("/v2/kubernetes/clusters/{cluster_id}")
def update_cluster(request: Request) -> Response:
    world, cluster, body = request.world, find_cluster(request), request.json()
    name = body.get("name")
    if not isinstance(name, str) or not CLUSTER_NAME.fullmatch(name):
        raise unprocessable("name is required: lowercase letters, digits, '-' and '.'")
    if "ha" in body and cluster.ha and not _flag(body, "ha"):
        raise unprocessable("high availability cannot be disabled once enabled")
    cluster.name = name
    if "tags" in body:
        cluster.tags = _tags(body["tags"])
    cluster.maintenance = _maintenance(body.get("maintenance_policy"), cluster.maintenance)
    cluster.auto_upgrade = _flag(body, "auto_upgrade", cluster.auto_upgrade)
    cluster.surge_upgrade = _flag(body, "surge_upgrade", cluster.surge_upgrade)
    cluster.ha = _flag(body, "ha", cluster.ha)
    cluster.updated_at = world.iso()
    return accepted({"kubernetes_cluster": cluster_json(world, cluster)})


@router.delete("/v2/kubernetes/clusters/{cluster_id}")
def delete_cluster(request: Request) -> Response:
    del clusters(request.world)[find_cluster(request).id]
    return no_content()


def _parts(slug: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", slug))


def available_upgrades(cluster: Cluster) -> list[JSON]:
    """Newer versions of the same or the next minor release, newest first."""
    current = _parts(cluster.version)
    return [
        {"slug": slug, "kubernetes_version": k8s, "supported_features": list(FEATURES)}
        for slug, k8s in VERSIONS
        if _parts(slug) > current and _parts(slug)[1] <= current[1] + 1
    ]


@router.get("/v2/kubernetes/clusters/{cluster_id}/upgrades")
def get_upgrades(request: Request) -> Response:
    return ok({"available_upgrade_versions": available_upgrades(find_cluster(request)) or None})


@router.post("/v2/kubernetes/clusters/{cluster_id}/upgrade")
def upgrade_cluster(request: Request) -> Response:
    world, cluster, body = request.world, find_cluster(request), request.json()
    state = _state(world, cluster)
    if state != "running":
        raise unprocessable(f"the cluster is {state}; it can be upgraded once it is running")
    version = body.get("version")
    if version not in [v["slug"] for v in available_upgrades(cluster)]:
        raise unprocessable(f"{version} is not an available upgrade for this cluster")
    cluster.upgrade_to = version
    cluster.upgrade_done_at = world.now() + world.config.boot_seconds
    cluster.updated_at = world.iso()
    return accepted(None)


def kubeconfig(cluster: Cluster) -> str:
    """A kubeconfig as DigitalOcean writes it, with a fresh fake token and certificate."""
    context = f"do-{cluster.region}-{cluster.name}"
    fake_pem = (
        "-----BEGIN CERTIFICATE-----\n"
        + base64.b64encode(f"sandbox CA for {cluster.id}".encode() * 8).decode()
        + "\n-----END CERTIFICATE-----\n"
    )
    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        f"    certificate-authority-data: {base64.b64encode(fake_pem.encode()).decode()}\n"
        f"    server: https://{cluster.id}.k8s.ondigitalocean.com\n"
        f"  name: {context}\n"
        "contexts:\n"
        "- context:\n"
        f"    cluster: {context}\n"
        f"    user: {context}-admin\n"
        f"  name: {context}\n"
        f"current-context: {context}\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        f"- name: {context}-admin\n"
        "  user:\n"
        f"    token: {secrets.token_hex(32)}\n"
    )


@router.get("/v2/kubernetes/clusters/{cluster_id}/kubeconfig")
def get_kubeconfig(request: Request) -> Response:
    cluster = find_cluster(request)
    expiry = request.arg("expiry_seconds", "0") or "0"
    if not expiry.isdigit():
        raise unprocessable("expiry_seconds must be a non-negative integer")
    if request.arg("type") not in (None, "token", "sso"):
        raise unprocessable("type must be token or sso")
    body = kubeconfig(cluster).encode()
    return Response(200, body, {"content-type": "application/yaml"})


# -- associated resources --------------------------------------------------------------------


def associated(world: World, cluster: Cluster) -> dict[str, dict[str, str]]:
    """The cluster's load balancers, volumes and volume snapshots: kind -> {id: name}."""
    mark = f"k8s:{cluster.id}"
    lbs = {
        lb.id: lb.name
        for lb in load_balancers(world).values()
        if lb.tag == mark or cluster.id in lb.name
    }
    vols = {v.id: v.name for v in volumes(world).values() if mark in v.tags}
    snaps = {
        s.id: s.name for s in snapshots(world).values() if mark in s.tags or s.volume_id in vols
    }
    return {"load_balancers": lbs, "volumes": vols, "volume_snapshots": snaps}


def _destroy(world: World, cluster: Cluster, chosen: dict[str, list[str]]) -> Response:
    """Delete the cluster and the chosen associated resources."""
    for lb_id in chosen["load_balancers"]:
        load_balancers(world).pop(lb_id, None)
    for volume_id in chosen["volumes"]:
        discard_volume(world, volume_id)
    for snapshot_id in chosen["volume_snapshots"]:
        snapshots(world).pop(snapshot_id, None)
    del clusters(world)[cluster.id]
    return no_content()


@router.get("/v2/kubernetes/clusters/{cluster_id}/destroy_with_associated_resources")
def list_associated(request: Request) -> Response:
    found = associated(request.world, find_cluster(request))
    return ok(
        {
            kind: [{"id": ref, "name": name} for ref, name in items.items()]
            for kind, items in found.items()
        }
    )


@router.delete("/v2/kubernetes/clusters/{cluster_id}/destroy_with_associated_resources/selective")
def destroy_selective(request: Request) -> Response:
    world, cluster, body = request.world, find_cluster(request), request.json()
    found = associated(world, cluster)
    chosen: dict[str, list[str]] = {}
    for kind in ASSOCIATED:
        ids = body.get(kind) or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise unprocessable(f"{kind} must be a list of ids")
        strangers = [i for i in ids if i not in found[kind]]
        if strangers:
            raise unprocessable(
                f"not associated with cluster {cluster.id}: {kind} {', '.join(strangers)} "
                "(see the cluster's destroy_with_associated_resources list)"
            )
        chosen[kind] = ids
    return _destroy(world, cluster, chosen)


@router.delete("/v2/kubernetes/clusters/{cluster_id}/destroy_with_associated_resources/dangerous")
def destroy_dangerous(request: Request) -> Response:
    world, cluster = request.world, find_cluster(request)
    found = associated(world, cluster)
    return _destroy(world, cluster, {kind: list(items) for kind, items in found.items()})


# -- node pools ------------------------------------------------------------------------------


@router.get("/v2/kubernetes/clusters/{cluster_id}/node_pools")
def list_pools(request: Request) -> Response:
    cluster = find_cluster(request)
    return ok({"node_pools": [pool_json(request.world, cluster, p) for p in cluster.pools]})


@router.post("/v2/kubernetes/clusters/{cluster_id}/node_pools")
def add_pool(request: Request) -> Response:
    world, cluster = request.world, find_cluster(request)
    pool = _pool(world, request.json(), {p.name for p in cluster.pools})
    cluster.pools.append(pool)
    cluster.updated_at = world.iso()
    return created({"node_pool": pool_json(world, cluster, pool)})


@router.get("/v2/kubernetes/clusters/{cluster_id}/node_pools/{node_pool_id}")
def get_pool(request: Request) -> Response:
    cluster, pool = find_pool(request)
    return ok({"node_pool": pool_json(request.world, cluster, pool)})


@router.put("/v2/kubernetes/clusters/{cluster_id}/node_pools/{node_pool_id}")
def update_pool(request: Request) -> Response:
    world, body = request.world, request.json()
    cluster, pool = find_pool(request)
    name = body.get("name")
    if not isinstance(name, str) or not POOL_NAME.fullmatch(name):
        raise unprocessable("name is required: letters, digits, '-' and '.'")
    if name != pool.name and name in {p.name for p in cluster.pools}:
        raise unprocessable(f"node pool name {name} is already in use in this cluster")
    if "count" not in body:
        raise unprocessable("count is required")
    count = _count(body, "count")
    pool.auto_scale, pool.min_nodes, pool.max_nodes = _scaling(body, count, pool)
    pool.name, pool.count = name, count
    if "tags" in body:
        pool.tags = _tags(body["tags"])
    if "labels" in body:
        pool.labels = _labels(body["labels"])
    if "taints" in body:
        pool.taints = _taints(body["taints"])
    _resize(world, pool, count)
    cluster.updated_at = world.iso()
    return accepted({"node_pool": pool_json(world, cluster, pool)})


@router.delete("/v2/kubernetes/clusters/{cluster_id}/node_pools/{node_pool_id}")
def delete_pool(request: Request) -> Response:
    cluster, pool = find_pool(request)
    if len(cluster.pools) == 1:
        raise unprocessable("a cluster must keep at least one node pool; delete the cluster")
    cluster.pools.remove(pool)
    cluster.updated_at = request.world.iso()
    return no_content()


# -- seed ------------------------------------------------------------------------------------


def seed(world: World) -> None:
    """One running production cluster in nyc3: 3 x s-2vcpu-4gb, an older patch release."""
    if not world.config.seed:
        return
    long_ago = world.now() - 90 * 86_400.0
    cluster_id = _uuid(world, "cluster")
    pool = Pool(id=_uuid(world, "pool"), name="prod-pool", size="s-2vcpu-4gb", count=3, tags=[])
    _new_nodes(world, pool, 3)
    for node in pool.nodes:
        node.ready_at, node.created_at = long_ago, world.iso(long_ago)
    clusters(world)[cluster_id] = Cluster(
        id=cluster_id,
        name="prod-cluster",
        region="nyc3",
        version="1.32.2-do.0",
        vpc_uuid=default_vpc(world, "nyc3").id,
        tags=["production"],
        pools=[pool],
        created_at=world.iso(long_ago),
        updated_at=world.iso(long_ago),
        ready_at=long_ago,
        ipv4="164.90.210.17",
        auto_upgrade=False,
        maintenance={"start_time": "04:00", "day": "sunday"},
    )
