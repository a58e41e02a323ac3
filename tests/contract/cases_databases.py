"""Prism contract cases for the databases toolset: (tool, arguments, label[, expect_error]).

Ids and names come from the spec's examples: cluster 9cc10173-... ("backend", pg 14, 2 x
db-s-2vcpu-4gb, 61440 MiB, tagged production; its get example stays "creating", so waiting
tools use wait=false, and the one waiting case ends at the contract settings' wait_timeout),
its databases alpha and defaultdb, users app-01, app-02 and doadmin (primary), pools
reporting-pool and backend-pool, trusted sources k8s:ff2a6c52-..., ip:192.168.1.1,
droplet:163973392 and tag:backend, and backups of 2019-01-11 and 2019-01-12. Sizes and node
counts fit the options example's pg layouts.
"""

from __future__ import annotations

from typing import Any

CLUSTER = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
BACKUP = "2019-01-12T18:42:29Z"
CREATE = {
    "name": "contract-db",
    "engine": "pg",
    "region": "nyc3",
    "size": "db-s-2vcpu-4gb",
    "num_nodes": 2,
    "wait": False,
}
ACTION = {"cluster_id": CLUSTER, "wait": False}
POOL = {"db": "defaultdb", "mode": "transaction", "size": 10, "user": "doadmin"}

CASES_DATABASES: list[tuple[Any, ...]] = [
    ("database_cluster_list", {}, ""),
    ("database_cluster_list", {"tag_name": "production", "engine": "pg"}, "filtered"),
    ("database_cluster_list", {"options": True}, "options"),
    ("database_cluster_list", {"options": True, "engine": "pg"}, "options-pg"),
    ("database_cluster_get", {"cluster_id": CLUSTER}, ""),
    ("database_cluster_get", {"cluster_id": CLUSTER, "reveal": True}, "reveal"),
    ("database_cluster_create", CREATE, "default-version"),
    (
        "database_cluster_create",
        {
            **CREATE,
            "version": "14",
            "storage_size_mib": 61440,
            "tags": ["production"],
            "vpc_uuid": "d455e75d-4858-4eec-8c95-da2f0a5f93a7",
            "project": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
        },
        "every-option",
    ),
    (
        "database_cluster_create",
        {**CREATE, "restore_from": {"name": "backend", "backup_created_at": BACKUP}},
        "restore",
    ),
    ("database_cluster_create", {**CREATE, "wait": True}, "wait"),
    # The list example holds "backend": the name check refuses before the create.
    ("database_cluster_create", {**CREATE, "name": "backend"}, "taken", "already exists"),
    # Checked against the options example: nothing is created.
    (
        "database_cluster_create",
        {**CREATE, "engine": "postgres"},
        "bad-engine",
        "valid: advanced_mysql",
    ),
    ("database_cluster_action", {**ACTION, "type": "resize", "size": "db-s-4vcpu-8gb"}, "resize"),
    (
        "database_cluster_action",
        {**ACTION, "type": "resize", "num_nodes": 3, "storage_size_mib": 71680},
        "resize-nodes-storage",
    ),
    ("database_cluster_action", {**ACTION, "type": "resize", "num_nodes": 1}, "shrink"),
    ("database_cluster_action", {**ACTION, "type": "add_db", "name": "beta"}, "add-db"),
    ("database_cluster_action", {**ACTION, "type": "delete_db", "name": "alpha"}, "delete-db"),
    ("database_cluster_action", {**ACTION, "type": "add_user", "name": "app-03"}, "add-user"),
    (
        "database_cluster_action",
        {**ACTION, "type": "add_user", "name": "app-04", "settings": {"replication": True}},
        "add-user-replication",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "reset_password", "name": "app-01"},
        "reset-password",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "delete_user", "name": "app-02"},
        "delete-user",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "add_pool", "name": "contract-pool", "settings": POOL},
        "add-pool",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "delete_pool", "name": "backend-pool"},
        "delete-pool",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "add_source", "source": "droplet:3164444"},
        "add-source",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "add_source", "source": "tag:backend"},
        "add-source-present",
    ),
    (
        "database_cluster_action",
        {**ACTION, "type": "remove_source", "source": "192.168.1.1"},
        "remove-source",
    ),
    ("database_cluster_delete", {"cluster_id": CLUSTER}, ""),
]
