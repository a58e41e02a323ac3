"""Prism contract cases for the kubernetes toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples: cluster bd5f5959-... ("prod-cluster-01", in provisioning
forever, so waiting tools use wait=false or a short timeout) and its node pools frontend-pool
(3 x s-1vcpu-2gb) and backend-pool (autoscaling 2-5). The /v2/sizes example only prices
s-1vcpu-1gb, so new pools use that size. The upgrades response has no example: Prism builds one
from the version schema's own example, 1.16.13-do.0.
"""

from __future__ import annotations

from typing import Any

CLUSTER = "bd5f5959-5e1e-4205-a714-a914373942af"
FRONTEND = "cdda885e-7663-40c8-bc74-3a036c66545d"
BACKEND = "f49f4379-7e7f-4af5-aeb6-0354bd840778"
POOL = {"name": "worker-pool", "size": "s-1vcpu-1gb", "count": 3}
CREATE = {"name": "contract-cluster", "region": "nyc1", "node_pools": [POOL], "wait": False}
UPGRADE = "1.16.13-do.0"  # the version schema's example
ACTION = {"cluster_id": CLUSTER, "wait": False}
TAINTS = [
    {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
    {"key": "example.com/spot", "effect": "PreferNoSchedule"},
]

CASES_KUBERNETES: list[tuple[Any, ...]] = [
    ("kubernetes_cluster_list", {}, ""),
    ("kubernetes_cluster_list", {"page": 2, "per_page": 200, "detail": True}, "page"),
    ("kubernetes_cluster_get", {"cluster_id": CLUSTER}, ""),
    ("kubernetes_cluster_get", {"cluster_id": CLUSTER, "detail": True}, "detail"),
    ("kubernetes_kubeconfig_get", {"cluster_id": CLUSTER}, ""),
    ("kubernetes_kubeconfig_get", {"cluster_id": CLUSTER, "expiry_seconds": 300}, "expiry"),
    ("kubernetes_cluster_create", CREATE, "default-version"),
    (
        "kubernetes_cluster_create",
        {
            **CREATE,
            "node_pools": [
                {**POOL, "tags": ["web"], "labels": {"tier": "web"}},
                {
                    "name": "batch",
                    "size": "s-1vcpu-1gb",
                    "count": 1,
                    "auto_scale": True,
                    "min_nodes": 1,
                    "max_nodes": 4,
                    "taints": TAINTS,
                    "labels": {"example.com/team": "ml"},
                },
            ],
            "version": "1.18.8-do.0",
            "vpc_uuid": "c33931f2-a26a-4e61-b85c-4e95a2ec431b",
            "ha": True,
            "auto_upgrade": True,
            "tags": ["production"],
        },
        "every-option",
    ),
    ("kubernetes_cluster_create", {**CREATE, "wait": True, "timeout": 0.3}, "wait"),
    # The list example holds prod-cluster-01: the name check refuses before the create.
    ("kubernetes_cluster_create", {**CREATE, "name": "prod-cluster-01"}, "taken", "already"),
    ("kubernetes_cluster_action", {**ACTION, "type": "upgrade", "version": UPGRADE}, "upgrade"),
    (
        "kubernetes_cluster_action",
        {**ACTION, "type": "upgrade", "version": UPGRADE, "wait": True, "timeout": 0.3},
        "upgrade-wait",
    ),
    ("kubernetes_cluster_action", {**ACTION, "type": "add_pool", "pool": POOL}, "add-pool"),
    (
        "kubernetes_cluster_action",
        {
            **ACTION,
            "type": "add_pool",
            "pool": {**POOL, "auto_scale": True, "min_nodes": 1, "max_nodes": 5, "taints": TAINTS},
        },
        "add-pool-autoscaling-taints",
    ),
    (
        "kubernetes_cluster_action",
        {**ACTION, "type": "update_pool", "node_pool_id": FRONTEND, "pool": {"count": 5}},
        "update-pool-count",
    ),
    (
        "kubernetes_cluster_action",
        {
            **ACTION,
            "type": "update_pool",
            "node_pool_id": BACKEND,
            "pool": {"count": 3, "min_nodes": 1, "max_nodes": 6},
        },
        "update-pool-autoscaling",
    ),
    (
        "kubernetes_cluster_action",
        {
            **ACTION,
            "type": "update_pool",
            "node_pool_id": FRONTEND,
            "pool": {"labels": {"tier": "web"}, "taints": TAINTS, "tags": ["web"]},
        },
        "update-pool-labels-taints",
    ),
    (
        "kubernetes_cluster_action",
        {
            **ACTION,
            "type": "update_pool",
            "node_pool_id": FRONTEND,
            "pool": {"count": 5},
            "wait": True,
            "timeout": 0.3,
        },
        "update-pool-wait",
    ),
    (
        "kubernetes_cluster_action",
        {**ACTION, "type": "delete_pool", "node_pool_id": FRONTEND},
        "delete-pool",
    ),
    ("kubernetes_cluster_delete", {"cluster_id": CLUSTER}, ""),
    ("kubernetes_cluster_delete", {"cluster_id": CLUSTER, "with_associated": True}, "associated"),
]
