"""Kubernetes (DOKS): clusters and their node pools; create (waiting until running), upgrade,
add/update/delete node pools (autoscaling, labels, taints, tags), delete (with or without the
load balancers, volumes and volume snapshots it made), and the kubeconfig (a secret: only its own
tool returns it). Waits stop as soon as the cluster is ``error`` or ``degraded``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, WithJsonSchema

from ..access import DOAccess, DOError, Waited
from ..registry import Access, Toolset
from ..trust import Cost, Plan, Target, size_prices
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    ActionResult,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    Wait,
    WaitTimeout,
    compact,
    fetch_list,
    list_result,
)
from .projects import ProjectChoice, chosen_project, put_in_project, urn

#: Opt-in (``--toolsets kubernetes`` or ``all``): the default tool list has a 30,000 budget.
TOOLSET = Toolset("kubernetes", "Kubernetes (DOKS) clusters and node pools.", default=False)

LOOKUP = "kubernetes_cluster_list shows the ids"
NAME = re.compile(r"^[a-z0-9]([a-z0-9.\-]{0,253}[a-z0-9])?$")
POOL_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,253}[A-Za-z0-9])?$")
HA_MONTHLY, HA_HOURLY = 40.0, 0.06  # DigitalOcean's published price of an HA control plane
SCALING = ("count", "auto_scale", "min_nodes", "max_nodes")
POOL_CHANGES = (*SCALING, "tags", "labels", "taints")  # what update_pool can change
POOL_KEYS = ("name", "size", *POOL_CHANGES)
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
FAILED = ("error", "degraded")  # cluster states a wait stops at: waiting longer will not help
#: Kubernetes label and taint keys ([prefix/]name) and values (name, or empty).
_K8S_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
K8S_KEY = re.compile(rf"([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_K8S_NAME}")
K8S_VALUE = re.compile(rf"({_K8S_NAME})?")
#: What a cluster can leave behind, by the key list_associated_resources uses.
ASSOCIATED = {
    "load_balancers": "load balancer",
    "volumes": "volume",
    "volume_snapshots": "volume snapshot",
}

#: One node pool as the agent writes it (hand-written: strict clients refuse $ref).
POOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "size": {"type": "string"},
        "count": {"type": "integer"},
        "auto_scale": {"type": "boolean"},
        "min_nodes": {"type": "integer"},
        "max_nodes": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "taints": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "value": {"type": "string"},
                    "effect": {"enum": list(EFFECTS)},
                },
                "required": ["key", "effect"],
            },
        },
    },
}
ClusterId = Annotated[str, Field(pattern=UUID_PATTERN, description="Cluster id (UUID).")]
NodePools = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(
        {
            "type": "array",
            "items": {**POOL_SCHEMA, "required": ["name", "size", "count"]},
        }
    ),
    Field(
        min_length=1,
        description="e.g. [{name: 'pool-1', size: 's-2vcpu-4gb', count: 3}]; autoscaling: "
        "min_nodes <= count <= max_nodes.",
    ),
]


# -- views -----------------------------------------------------------------------------------


def _user_tags(tags: Any) -> list[str]:
    """Tags without the ones DigitalOcean adds itself (k8s, k8s:<id>, k8s:worker)."""
    return [t for t in tags or () if t != "k8s" and not t.startswith("k8s:")]


def _state(obj: dict[str, Any]) -> str:
    return (obj.get("status") or {}).get("state", "unknown")


def _ceiling(pool: dict[str, Any]) -> int:
    """The most nodes a pool can run, and so be billed for."""
    return (pool.get("max_nodes") if pool.get("auto_scale") else pool.get("count")) or 0


def pool_line(pool: dict[str, Any]) -> str:
    """``pool-1: s-2vcpu-4gb x 3`` (``(auto 1-5)`` when autoscaling)."""
    auto = f" (auto {pool.get('min_nodes')}-{pool.get('max_nodes')})"
    return f"{pool.get('name')}: {pool.get('size')} x {pool.get('count')}" + (
        auto if pool.get("auto_scale") else ""
    )


def cluster_summary(cluster: dict[str, Any]) -> dict[str, Any]:
    """One cluster in lists."""
    return compact(
        {
            "id": cluster.get("id"),
            "name": cluster.get("name"),
            "region": cluster.get("region"),
            "version": cluster.get("version"),
            "state": _state(cluster),
            "node_pools": [pool_line(p) for p in cluster.get("node_pools") or ()],
            "endpoint": cluster.get("endpoint"),
            "tags": _user_tags(cluster.get("tags")),
        }
    )


def pool_view(pool: dict[str, Any]) -> dict[str, Any]:
    """One node pool with its nodes' states."""
    auto = bool(pool.get("auto_scale"))
    nodes = [
        compact({"name": n.get("name"), "state": _state(n), "droplet_id": n.get("droplet_id")})
        for n in pool.get("nodes") or ()
    ]
    return compact(
        {
            "id": pool.get("id"),
            "name": pool.get("name"),
            "size": pool.get("size"),
            "count": pool.get("count"),
            "auto_scale": auto or None,
            "min_nodes": pool.get("min_nodes") if auto else None,
            "max_nodes": pool.get("max_nodes") if auto else None,
            "tags": _user_tags(pool.get("tags")),
            "labels": pool.get("labels"),
            "taints": pool.get("taints"),
            "nodes": nodes,
        }
    )


def cluster_view(cluster: dict[str, Any]) -> dict[str, Any]:
    """One cluster in full compact form."""
    window = cluster.get("maintenance_policy") or {}
    return compact(
        {
            **cluster_summary(cluster),
            "message": (cluster.get("status") or {}).get("message"),
            "node_pools": [pool_view(p) for p in cluster.get("node_pools") or ()],
            "ipv4": cluster.get("ipv4"),
            "vpc_uuid": cluster.get("vpc_uuid"),
            "ha": cluster.get("ha"),
            "auto_upgrade": cluster.get("auto_upgrade"),
            "surge_upgrade": cluster.get("surge_upgrade"),
            "maintenance_window": (
                f"{window.get('day')} {window.get('start_time')} UTC, {window.get('duration')}"
                if window
                else None
            ),
            "created_at": cluster.get("created_at"),
        }
    )


def _subject(cluster_id: str) -> dict[str, str]:
    return {"subject": f"Kubernetes cluster {cluster_id}", "lookup_hint": LOOKUP}


async def _get(do: DOAccess, cluster_id: str) -> dict[str, Any]:
    body = await do.call("kubernetes.get_cluster", cluster_id=cluster_id, **_subject(cluster_id))
    return body["kubernetes_cluster"]


def _target(cluster: dict[str, Any]) -> Target:
    tags = tuple(_user_tags(cluster.get("tags")))
    return Target("cluster", cluster["id"], cluster.get("name", ""), tags)


def _running(cluster: dict[str, Any]) -> bool:
    return _state(cluster) == "running"


def _failed(cluster: dict[str, Any]) -> bool:
    return _state(cluster) in FAILED


def _describe(cluster: dict[str, Any]) -> str:
    nodes = [n for p in cluster.get("node_pools") or () for n in p.get("nodes") or ()]
    up = sum(1 for n in nodes if _state(n) == "running")
    return f"cluster {cluster.get('name')}: {_state(cluster)}, {up}/{len(nodes)} nodes running"


def _settled(pool: dict[str, Any]) -> bool:
    nodes = pool.get("nodes") or ()
    return len(nodes) == pool.get("count") and all(_state(n) == "running" for n in nodes)


def _describe_pool(pool: dict[str, Any]) -> str:
    up = sum(1 for n in pool.get("nodes") or () if _state(n) == "running")
    return f"node pool {pool.get('name')}: {up}/{pool.get('count')} nodes running"


def _failure(what: str, cluster: dict[str, Any], waited: Waited | None, created: bool) -> str:
    """The message for a wait that stopped because the cluster is error or degraded."""
    state, note = _state(cluster), (cluster.get("status") or {}).get("message")
    after = f" after {waited.elapsed:.0f} s" if waited else ""
    why = f" ({note})" if note and note.lower() != state else ""
    hint = (
        "some nodes or system components are unhealthy; it may recover"
        if state == "degraded"
        else "waiting longer will not help"
    )
    cluster_id = cluster.get("id")
    text = (
        f"{what} stopped{after}: the cluster is in state {state}{why}; {hint}. Now "
        f"{_describe(cluster)}. "
        f"Check kubernetes_cluster_get cluster_id={cluster_id} (its message, nodes' states) and "
        f"api_call operation=kubernetes.get_status_messages path_params={{cluster_id: "
        f"{cluster_id}}}; do not repeat this call."
    )
    if created and state == "error":
        text += " It exists and is billed: kubernetes_cluster_delete removes it if it stays so."
    return text


def _unfinished(what: str, waited: Waited | None) -> str:
    after = f" after {waited.elapsed:.0f} s" if waited else ""
    return (
        f"{what} is still in progress{after}. Call kubernetes_cluster_get later to see its "
        "state; do not repeat this call."
    )


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def kubernetes_cluster_list(
    do: DOAccess,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    detail: Detail = False,
) -> ListResult:
    """List Kubernetes clusters (id, name, region, version, state, node pools, endpoint,
    tags)."""
    found = await fetch_list(
        do,
        "kubernetes.list_clusters",
        "kubernetes_clusters",
        page=page,
        per_page=per_page,
        all_pages=False,
    )
    return list_result(found, (lambda c: c) if detail else cluster_summary, "clusters")


@TOOLSET.tool(Access.READ)
async def kubernetes_cluster_get(
    do: DOAccess, cluster_id: ClusterId, detail: Detail = False
) -> ItemResult:
    """Show one cluster: node pools and nodes' states, available_upgrades, maintenance window,
    HA, VPC."""
    cluster = await _get(do, cluster_id)
    item = cluster if detail else cluster_view(cluster)
    if not detail:
        item["available_upgrades"] = await _upgrades(do, cluster_id)
    return ItemResult(item=item).titled(
        f"Cluster {cluster.get('name')} ({cluster_id}) is {_state(cluster)}."
    )


@TOOLSET.tool(Access.READ)
async def kubernetes_kubeconfig_get(
    do: DOAccess,
    cluster_id: ClusterId,
    expiry_seconds: Annotated[int, Field(ge=0, description="Token lifetime; 0: 7 days.")] = 0,
) -> ItemResult:
    """Return a cluster's kubeconfig (YAML for kubectl). A secret: it holds an admin token."""
    try:
        text = await do.get_text(
            "kubernetes.get_kubeconfig",
            path={"cluster_id": cluster_id},
            subject=f"Kubernetes cluster {cluster_id}",
            expiry_seconds=expiry_seconds or None,
        )
    except DOError as error:
        error.lookup_hint = error.lookup_hint or LOOKUP
        raise
    return ItemResult(item={"cluster_id": cluster_id, "kubeconfig": text}).titled(
        f"Kubeconfig of cluster {cluster_id} (it contains a secret token)."
    )


# -- validation (pure: before any request) ---------------------------------------------------


def _integer(value: Any, what: str, low: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ToolError(f"{what} must be an integer of at least {low}.")
    return value


def _scaling(pool: dict[str, Any], label: str) -> dict[str, Any]:
    """count, auto_scale, min_nodes and max_nodes checked together: the fields to send."""
    count = _integer(pool.get("count"), f"{label}: count")
    if not pool.get("auto_scale"):
        if pool.get("min_nodes") is not None or pool.get("max_nodes") is not None:
            raise ToolError(f"{label}: min_nodes and max_nodes need auto_scale=true.")
        return {"count": _integer(count, f"{label}: count", 1), "auto_scale": False}
    low = _integer(pool.get("min_nodes", 0), f"{label}: min_nodes")
    high = _integer(pool.get("max_nodes"), f"{label}: max_nodes", 1)
    if not low <= count <= high:
        raise ToolError(f"{label}: autoscaling needs min_nodes <= count <= max_nodes.")
    return {"count": count, "auto_scale": True, "min_nodes": low, "max_nodes": high}


def _labels(labels: Any, label: str) -> dict[str, str]:
    if not isinstance(labels, dict) or not all(
        isinstance(k, str)
        and K8S_KEY.fullmatch(k)
        and isinstance(v, str)
        and K8S_VALUE.fullmatch(v)
        for k, v in labels.items()
    ):
        raise ToolError(
            f"{label}: labels map Kubernetes label keys to values of at most 63 letters, digits, "
            "'-', '_' or '.', e.g. {'tier': 'web'}."
        )
    return dict(labels)


def _taints(taints: Any, label: str) -> list[dict[str, str]]:
    """Taints checked one by one: key, optional value, effect; a (key, effect) pair once."""
    if not isinstance(taints, list):
        raise ToolError(f"{label}: taints is a list, e.g. [{{key: 'gpu', effect: 'NoSchedule'}}].")
    checked, seen = [], set()
    for taint in taints:
        if not isinstance(taint, dict) or set(taint) - {"key", "value", "effect"}:
            raise ToolError(f"{label}: each taint has only key, value and effect; got {taint!r}.")
        key, value, effect = taint.get("key"), taint.get("value", ""), taint.get("effect")
        if not isinstance(key, str) or not K8S_KEY.fullmatch(key):
            raise ToolError(
                f"{label}: taint key {key!r} is not a Kubernetes key ([prefix/]name, e.g. "
                "dedicated or example.com/gpu)."
            )
        if not isinstance(value, str) or not K8S_VALUE.fullmatch(value):
            raise ToolError(
                f"{label}: taint value {value!r}: at most 63 letters, digits, '-', '_' or '.'."
            )
        if effect not in EFFECTS:
            raise ToolError(
                f"{label}: taint {key} has effect {effect!r}; use one of {', '.join(EFFECTS)}."
            )
        if (key, effect) in seen:
            raise ToolError(f"{label}: taint {key}:{effect} is given twice.")
        seen.add((key, effect))
        checked.append(
            {"key": key, "value": value, "effect": effect}
            if value
            else {"key": key, "effect": effect}
        )
    return checked


def _tags(tags: Any, label: str) -> list[str]:
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and re.fullmatch(TAG_PATTERN, t) for t in tags
    ):
        raise ToolError(f"{label}: tags must be a list of tag names, e.g. ['web'].")
    return tags


#: The check of each optional pool field: value, label -> the value to send.
POOL_FIELDS = {"tags": _tags, "labels": _labels, "taints": _taints}


def _pool_body(pool: dict[str, Any], label: str) -> dict[str, Any]:
    """The request body for one new node pool."""
    unknown = sorted(set(pool) - set(POOL_KEYS))
    if unknown:
        raise ToolError(f"{label}: unknown {', '.join(unknown)}; use {', '.join(POOL_KEYS)}.")
    name, size = pool.get("name"), pool.get("size")
    if not isinstance(name, str) or not POOL_NAME.match(name):
        raise ToolError(f"{label}: name must be letters, digits, '-' or '.', e.g. pool-1.")
    if not isinstance(size, str) or not size:
        raise ToolError(f"{label}: size is required, e.g. s-2vcpu-4gb (size_list).")
    body = {"name": name, "size": size, **_scaling(pool, f"node pool {name}")}
    for key, check in POOL_FIELDS.items():
        if pool.get(key) is not None:
            body[key] = check(pool[key], f"node pool {name}")
    return body


def _create_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request body for kubernetes_cluster_create's arguments (without a default version)."""
    name = arguments["name"]
    if not NAME.match(name):
        raise ToolError(
            f"Invalid cluster name {name!r}: use lowercase letters, digits, '-' and '.', "
            "e.g. prod-cluster."
        )
    pools = [
        _pool_body(pool, f"node pool {index + 1}")
        for index, pool in enumerate(arguments["node_pools"])
    ]
    if len({pool["name"] for pool in pools}) != len(pools):
        raise ToolError("Node pool names must be different from each other.")
    body: dict[str, Any] = {"name": name, "region": arguments["region"], "node_pools": pools}
    if not all(re.match(TAG_PATTERN, tag) for tag in arguments.get("tags") or ()):
        raise ToolError("Tags are letters, digits, '_', ':' or '-', e.g. web.")
    for key in ("version", "vpc_uuid", "tags"):
        if arguments.get(key):
            body[key] = arguments[key]
    for flag in ("ha", "auto_upgrade"):
        if arguments.get(flag):
            body[flag] = True
    return body


ActionType = Literal["upgrade", "add_pool", "update_pool", "delete_pool"]
#: Which of version / node_pool_id / pool each action type takes (all of them required).
ACTION_PARAMETERS = {
    "upgrade": {"version"},
    "add_pool": {"pool"},
    "update_pool": {"node_pool_id", "pool"},
    "delete_pool": {"node_pool_id"},
}


def _action_request(type: str, given: dict[str, Any]) -> dict[str, Any]:
    """kubernetes_cluster_action's parameters checked against its type; the ones given."""
    given = {key: value for key, value in given.items() if value not in (None, {}, "")}
    allowed = ACTION_PARAMETERS[type]
    extra = sorted(set(given) - allowed)
    if extra:
        raise ToolError(f"{', '.join(extra)} does not apply to {type}.")
    missing = sorted(allowed - set(given))
    if missing:
        where = " (kubernetes_cluster_get lists available_upgrades)" if type == "upgrade" else ""
        raise ToolError(f"{type} needs {', '.join(missing)}{where}.")
    if type == "add_pool":
        given["pool"] = _pool_body(given["pool"], "pool")
    elif type == "update_pool":
        unknown = sorted(set(given["pool"]) - set(POOL_CHANGES))
        if unknown:
            raise ToolError(
                f"update_pool changes only {', '.join(POOL_CHANGES)}, not {', '.join(unknown)}."
            )
        given["pool"] = dict(given["pool"])
        for key, check in POOL_FIELDS.items():
            if given["pool"].get(key) is not None:
                given["pool"][key] = check(given["pool"][key], "pool")
    return given


# -- money -----------------------------------------------------------------------------------


async def _prices(do: DOAccess, sizes: set[str]) -> dict[str, dict[str, Any]]:
    """Node sizes -> /v2/sizes objects (DOKS nodes cost their Droplet size's price)."""
    prices = await size_prices(do)
    unknown = sorted(sizes - set(prices))
    if unknown:
        raise ToolError(f"Unknown node size {', '.join(unknown)}; size_list shows the sizes.")
    return prices


def _nodes_cost(size: dict[str, Any], nodes: int) -> tuple[float, float]:
    return size["price_monthly"] * nodes, size["price_hourly"] * nodes


def _change_cost(
    size: dict[str, Any], name: str, before: int, after: int, ceiling: bool = False
) -> Cost:
    """The cost of a pool's change of ceiling; ``ceiling``: autoscaling up to ``after``."""
    monthly, hourly = _nodes_cost(size, after - before)
    price = size["price_monthly"]
    most = "up to " if ceiling else ""
    detail = f"{name}: {before} -> {most}{after} x {size['slug']} at ${price:.2f}/month"
    if ceiling:
        detail += f" (at most ${price * after:.2f}/month for the pool)"
    return Cost(monthly, hourly, detail)


# -- create ----------------------------------------------------------------------------------


async def _refuse_if_taken(do: DOAccess, name: str) -> None:
    clusters = (await do.list_all("kubernetes.list_clusters", "kubernetes_clusters")).items
    same = next((c for c in clusters if c.get("name") == name), None)
    if same:
        raise ToolError(
            f"A cluster named {name!r} already exists (id {same.get('id')}, {_state(same)}). "
            "Nothing was created; if an earlier create timed out, this is probably it."
        )


async def plan_create(do: DOAccess, **arguments: Any) -> Plan:
    body = _create_body(arguments)
    await _refuse_if_taken(do, body["name"])  # before anyone is asked to approve it
    await chosen_project(do, arguments.get("project"))
    prices = await _prices(do, {pool["size"] for pool in body["node_pools"]})
    monthly = hourly = 0.0
    parts = []
    for pool in body["node_pools"]:
        size, nodes = prices[pool["size"]], _ceiling(pool)
        month, hour = _nodes_cost(size, nodes)
        monthly, hourly = monthly + month, hourly + hour
        most = "up to " if pool["auto_scale"] else ""
        parts.append(
            f"{pool['name']}: {most}{nodes} x {pool['size']} at ${size['price_monthly']:.2f}/month"
        )
    if body.get("ha"):
        monthly, hourly = monthly + HA_MONTHLY, hourly + HA_HOURLY
        parts.append(f"HA control plane ${HA_MONTHLY:.2f}/month (published price)")
    cost = Cost(monthly, hourly, "; ".join(parts), estimate=bool(body.get("ha")))
    target = Target("cluster", "new", body["name"], tuple(body.get("tags") or ()))
    if not body.get("version"):
        options = await do.call("kubernetes.list_options")
        body["version"] = options["options"]["versions"][0]["slug"]  # newest first
    request = ("kubernetes.create_cluster", {"body": body})
    return Plan("create", "create", (target,), destructive=False, cost=cost, requests=(request,))


@TOOLSET.tool(Access.WRITE, costs_money=True, plan=plan_create)
async def kubernetes_cluster_create(
    do: DOAccess,
    name: Annotated[str, Field(min_length=1, description="e.g. prod-cluster.")],
    region: Annotated[str, Field(min_length=2, description="e.g. nyc3.")],
    node_pools: NodePools,
    version: Annotated[str | None, Field(description="Default: the latest.")] = None,
    vpc_uuid: Annotated[str | None, Field(description="Default: the region's VPC.")] = None,
    ha: Annotated[bool, Field(description="HA control plane (+$40/month).")] = False,
    auto_upgrade: Annotated[bool, Field(description="Apply patch releases.")] = False,
    tags: Annotated[list[str] | None, Field(description="Cluster tags.")] = None,
    project: ProjectChoice = None,
    wait: Wait = True,
    timeout: WaitTimeout = 900,
    plan: Plan | None = None,
) -> ActionResult:
    """Create a cluster (nodes cost their Droplet size's price); waits until it runs. Refuses a
    name in use."""
    arguments = {key: value for key, value in locals().items() if key not in ("do", "plan")}
    plan = plan or await plan_create(do, **arguments)
    ((operation, request),) = plan.requests
    place = await chosen_project(do, project)
    await _refuse_if_taken(do, name)  # again: a person may have made one while approving
    created = await do.call(
        operation,
        **request,
        subject=f"cluster {name}",
        look_for=f"a cluster named {name!r} (kubernetes_cluster_list)",
    )
    cluster, waited = created["kubernetes_cluster"], None
    if wait:
        waited = await do.wait_until(
            lambda: _get(do, cluster["id"]),
            lambda c: _running(c) or _failed(c),
            _describe,
            timeout=timeout,
        )
        cluster = waited.value
    done = _running(cluster)
    what = f"Cluster {name} ({cluster['id']})"
    if done:
        message = (
            f"{what} is running {cluster.get('version')}; kubernetes_kubeconfig_get gives access."
        )
    elif _failed(cluster):
        message = _failure(f"Creating cluster {name}", cluster, waited, created=True)
    else:
        message = _unfinished(f"Creating {what}", waited)
    result = ActionResult(
        done=done, actions=[], resources=[cluster_view(cluster)], message=message
    ).titled(message)
    return await put_in_project(do, place, [urn("k8s", cluster["id"])], result)


# -- change ----------------------------------------------------------------------------------


async def _upgrades(do: DOAccess, cluster_id: str) -> list[str]:
    body = await do.call(
        "kubernetes.get_available_upgrades", cluster_id=cluster_id, **_subject(cluster_id)
    )
    return [version["slug"] for version in body.get("available_upgrade_versions") or ()]


def _find_pool(cluster: dict[str, Any], pool_id: str) -> dict[str, Any]:
    for pool in cluster.get("node_pools") or ():
        if pool.get("id") == pool_id:
            return pool
    raise ToolError(
        f"Node pool {pool_id} is not in cluster {cluster.get('name')}; "
        "kubernetes_cluster_get shows its pools."
    )


def _update_body(pool: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The PUT body: the pool as it is with the changes (a PUT replaces the whole pool)."""
    scaling = {key: pool.get(key) for key in SCALING} | {
        key: changes[key] for key in SCALING if key in changes
    }
    if not scaling.get("auto_scale"):
        scaling = {key: value for key, value in scaling.items() if key in ("count", "auto_scale")}
        scaling |= {key: changes[key] for key in ("min_nodes", "max_nodes") if key in changes}
    body = {"name": pool["name"], **_scaling(scaling, f"node pool {pool['name']}")}
    body["tags"] = changes.get("tags", _user_tags(pool.get("tags")))
    for key in ("labels", "taints"):
        value = changes.get(key, pool.get(key))
        if value is not None:
            body[key] = value
    return body


def _taint_text(taints: Any) -> str:
    return (
        ", ".join(
            f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
            for t in taints or ()
        )
        or "none"
    )


def _changes(pool: dict[str, Any], body: dict[str, Any]) -> str:
    """What an update changes, for the person approving it: "max_nodes 6 -> 10; taints ..."."""
    parts = []
    old = {key: pool.get(key) for key in SCALING}
    if not old["auto_scale"]:
        old["min_nodes"] = old["max_nodes"] = None
    for key in SCALING:
        if body.get(key) != old[key] and not (
            key == "auto_scale" and not body.get(key) and not old[key]
        ):
            parts.append(f"{key} {old[key]} -> {body.get(key)}")
    if body.get("tags") != _user_tags(pool.get("tags")):
        parts.append(f"tags {', '.join(body['tags']) or 'none'}")
    if (body.get("labels") or {}) != (pool.get("labels") or {}):
        labels = body.get("labels") or {}
        parts.append("labels " + (", ".join(f"{k}={v}" for k, v in labels.items()) or "none"))
    if (body.get("taints") or []) != (pool.get("taints") or []):
        parts.append(f"taints {_taint_text(body.get('taints'))}")
    return "; ".join(parts) or "nothing"


def _new_no_execute(pool: dict[str, Any], body: dict[str, Any]) -> bool:
    """A NoExecute taint the pool did not have: pods that do not tolerate it are evicted."""
    old = {
        (t.get("key"), t.get("value"))
        for t in pool.get("taints") or ()
        if t.get("effect") == "NoExecute"
    }
    return any(
        t["effect"] == "NoExecute" and (t["key"], t.get("value")) not in old
        for t in body.get("taints") or ()
    )


async def plan_action(
    do: DOAccess,
    type: str,
    cluster_id: str,
    version: str | None = None,
    node_pool_id: str | None = None,
    pool: dict[str, Any] | None = None,
    **_: Any,
) -> Plan:
    given = {"version": version, "node_pool_id": node_pool_id, "pool": pool}
    request = _action_request(type, given)
    cluster = await _get(do, cluster_id)
    if type == "upgrade":
        return await _plan_upgrade(do, cluster, version or "")
    if type == "add_pool":
        new = request["pool"]
        size = (await _prices(do, {new["size"]}))[new["size"]]
        target = Target("node pool", "new", new["name"], _target(cluster).tags)
        cost = _change_cost(size, new["name"], 0, _ceiling(new))
        add = ("kubernetes.add_node_pool", {"cluster_id": cluster_id, "body": new})
        return Plan("add", "create", (target,), destructive=False, cost=cost, requests=(add,))
    found = _find_pool(cluster, request["node_pool_id"])
    tags = _target(cluster).tags + tuple(_user_tags(found.get("tags")))
    target = Target("node pool", found["id"], found["name"], tags)
    size = (await size_prices(do)).get(found["size"])  # None: a size no longer sold

    def cost(after: int, ceiling: bool = False) -> Cost | None:
        before = _ceiling(found)
        if size is None or after == before:
            return None
        return _change_cost(size, found["name"], before, after, ceiling)

    nodes = len(found.get("nodes") or ())
    where = {"cluster_id": cluster_id, "node_pool_id": found["id"]}
    if type == "delete_pool":
        extra = f"Its {nodes} nodes are drained and deleted; their pods move or stop."
        delete = ("kubernetes.delete_node_pool", where)
        return Plan("delete", "delete", (target,), cost=cost(0), extra=extra, requests=(delete,))
    body = _update_body(found, request["pool"])
    shrinks = body["count"] < nodes
    extra = f"Changes: {_changes(found, body)}."
    if shrinks:
        extra += f" {nodes - body['count']} nodes are drained and deleted."
    evicts = _new_no_execute(found, body)
    if evicts:
        extra += " The new NoExecute taint evicts running pods that do not tolerate it."
    return Plan(
        "shrink" if shrinks else "update",
        "change",
        (target,),
        destructive=shrinks or evicts,
        protect=False,  # the pool stays; pods of drained nodes are rescheduled
        cost=cost(_ceiling(body), bool(body.get("auto_scale"))),
        extra=extra,
        requests=(("kubernetes.update_node_pool", {**where, "body": body}),),
    )


async def _plan_upgrade(do: DOAccess, cluster: dict[str, Any], version: str) -> Plan:
    available = await _upgrades(do, cluster["id"])
    if version not in available:
        offer = ", ".join(available) or "none, it is up to date"
        raise ToolError(
            f"{version} is not an available upgrade for cluster {cluster.get('name')} "
            f"(runs {cluster.get('version')}); available: {offer}."
        )
    request = (
        "kubernetes.upgrade_cluster",
        {"cluster_id": cluster["id"], "body": {"version": version}},
    )
    return Plan(
        "upgrade",
        "change",
        (_target(cluster),),
        extra=f"From {cluster.get('version')} to {version}: every node is drained and replaced; "
        "pods restart and data on node disks is lost.",
        requests=(request,),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, costs_money=True, plan=plan_action)
async def kubernetes_cluster_action(
    do: DOAccess,
    type: Annotated[ActionType, Field(description="What to do.")],
    cluster_id: ClusterId,
    version: Annotated[str | None, Field(description="upgrade: a version slug.")] = None,
    node_pool_id: Annotated[
        str | None, Field(pattern=UUID_PATTERN, description="update/delete_pool: pool id.")
    ] = None,
    pool: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(POOL_SCHEMA),
        Field(
            description="add_pool: as in create; update_pool: only what changes (not name, size).",
            json_schema_extra=lambda schema: schema.pop("default", None),  # null says nothing
        ),
    ] = None,
    wait: Wait = True,
    timeout: WaitTimeout = 1800,
    plan: Plan | None = None,
) -> ActionResult:
    """upgrade a cluster (to one of kubernetes_cluster_get's available_upgrades; replaces every
    node), add_pool, update_pool or delete_pool. Waits for the nodes; stops if the cluster turns
    error or degraded."""
    plan = plan or await plan_action(do, type, cluster_id, version, node_pool_id, pool)
    target = plan.targets[0]
    ((operation, request),) = plan.requests
    if type == "delete_pool":
        await do.call(operation, **request, **_subject(cluster_id))
        message = f"Node pool {target.name} ({target.id}) deleted."
        views = [{"id": target.id, "name": target.name}]
        return ActionResult(done=True, actions=[], resources=views, message=message).titled(message)
    if type == "upgrade":
        await do.call(operation, **request, **_subject(cluster_id))
        return await _upgraded(do, cluster_id, version or "", wait, timeout)
    new = await do.call(operation, **request, **_subject(cluster_id))
    return await _pool_result(do, cluster_id, new["node_pool"], type, wait, timeout)


async def _upgraded(
    do: DOAccess, cluster_id: str, version: str, wait: bool, timeout: float
) -> ActionResult:
    cluster, waited = await _get(do, cluster_id), None
    if wait:
        waited = await do.wait_until(
            lambda: _get(do, cluster_id),
            lambda c: (_running(c) and c.get("version") == version) or _failed(c),
            _describe,
            timeout=timeout,
        )
        cluster = waited.value
    done = waited is not None and _running(cluster) and cluster.get("version") == version
    name = cluster.get("name")
    what = f"The upgrade of cluster {name} to {version}"
    if done:
        message = f"Cluster {name} runs {version}."
    elif _failed(cluster):
        message = _failure(what, cluster, waited, created=False)
    else:
        message = _unfinished(what, waited)
    return ActionResult(
        done=done, actions=[], resources=[cluster_view(cluster)], message=message
    ).titled(message)


async def _pool_result(
    do: DOAccess, cluster_id: str, pool: dict[str, Any], kind: str, wait: bool, timeout: float
) -> ActionResult:
    pool_id = pool["id"]

    async def fetch() -> dict[str, Any]:  # the cluster: its state, and the pool's nodes
        cluster = await _get(do, cluster_id)
        mine = [p for p in cluster.get("node_pools") or () if p.get("id") == pool_id]
        return {"cluster": cluster, "pool": mine[0] if mine else None}

    def finished(seen: dict[str, Any]) -> bool:
        return seen["pool"] is None or _settled(seen["pool"]) or _failed(seen["cluster"])

    def describe(seen: dict[str, Any]) -> str:
        return _describe_pool(seen["pool"]) if seen["pool"] else _describe(seen["cluster"])

    waited, cluster = None, None
    if wait and not _settled(pool):
        waited = await do.wait_until(fetch, finished, describe, timeout=timeout)
        cluster, pool = waited.value["cluster"], waited.value["pool"] or pool
    done = _settled(pool)
    verb = "added" if kind == "add_pool" else "updated"
    what = f"Node pool {pool.get('name')} {verb}; its nodes' change"
    if done:
        message = f"Node pool {verb}: {pool_line(pool)}, every node running."
    elif cluster is not None and _failed(cluster):
        message = _failure(what, cluster, waited, created=False)
    else:
        message = _unfinished(what, waited)
    return ActionResult(done=done, actions=[], resources=[pool_view(pool)], message=message).titled(
        message
    )


# -- delete ----------------------------------------------------------------------------------


async def _associated(do: DOAccess, cluster_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The load balancers, volumes and volume snapshots the cluster made: (key, {id, name})."""
    body = await do.call(
        "kubernetes.list_associated_resources", cluster_id=cluster_id, **_subject(cluster_id)
    )
    return [(key, r) for key in ASSOCIATED for r in (body or {}).get(key) or () if r.get("id")]


def _named(found: list[tuple[str, dict[str, Any]]]) -> str:
    return ", ".join(
        f"{ASSOCIATED[key]} {r.get('name') or r['id']} ({r['id']})" for key, r in found
    )


async def plan_cluster_delete(
    do: DOAccess, cluster_id: str, with_associated: bool = False, **_: Any
) -> Plan:
    cluster = await _get(do, cluster_id)
    nodes = sum(len(p.get("nodes") or ()) for p in cluster.get("node_pools") or ())
    extra = f"Its {nodes} nodes and their disks are gone for good"
    try:
        found = await _associated(do, cluster_id)
    except DOError as error:
        if with_associated:  # what would be deleted must be named: no list, no delete
            raise
        found = None
        extra += (
            "; its load balancers, volumes and volume snapshots could not be listed "
            f"(error {error.status or error.error_id}) and stay."
        )
    targets = [_target(cluster)]
    if with_associated and found:
        # Exactly the listed ids (not "dangerous", which takes whatever exists when it runs).
        body = {key: [r["id"] for k, r in found if k == key] for key in ASSOCIATED}
        body = {key: ids for key, ids in body.items() if ids}
        request = (
            "kubernetes.destroy_associated_resources_selective",
            {"cluster_id": cluster_id, "body": body},
        )
        targets += [Target(ASSOCIATED[k], r["id"], r.get("name") or r["id"]) for k, r in found]
        extra += f"; deleted with it: {_named(found)}."
    else:
        request = ("kubernetes.delete_cluster", {"cluster_id": cluster_id})
        if found:
            extra += f". Kept, still billed: {_named(found)} (with_associated=true deletes them)."
        elif found is not None:
            extra += "; it has no load balancers, volumes or volume snapshots of its own."
    kept = [] if with_associated else [{"kind": ASSOCIATED[k], **r} for k, r in found or ()]
    return Plan(
        "delete", "delete", tuple(targets), extra=extra, notes={"kept": kept}, requests=(request,)
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_cluster_delete)
async def kubernetes_cluster_delete(
    do: DOAccess,
    cluster_id: ClusterId,
    with_associated: Annotated[bool, Field(description="Delete those too.")] = False,
    plan: Plan | None = None,
) -> ItemResult:
    """Delete a cluster and its nodes for good. The load balancers, volumes and volume snapshots
    it made stay unless with_associated (the preview names them)."""
    plan = plan or await plan_cluster_delete(do, cluster_id, with_associated)
    ((operation, request),) = plan.requests
    await do.call(operation, **request, **_subject(cluster_id))
    cluster, *others = plan.targets
    item = compact(
        {
            "id": cluster_id,
            "name": cluster.name,
            "deleted": True,
            "deleted_with_it": [t.as_dict() for t in others],
            "kept": plan.notes.get("kept"),
        }
    )
    also = f" with {len(others)} associated resources" if others else ""
    return ItemResult(item=item).titled(f"Cluster {cluster.name} ({cluster_id}) deleted{also}.")
