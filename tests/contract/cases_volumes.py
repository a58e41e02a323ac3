"""Prism contract cases for the volumes toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples: the volume example (never attached, 10 GiB in nyc1; the list
example holds it as "example" in nyc1, so delete by name finds it), the volume snapshot example
(nyc1, min_disk_size 10) and droplet 3164444.
"""

from __future__ import annotations

from typing import Any

VOLUME = "506f78a4-e098-11e5-ad9f-000f53306ae1"
SNAPSHOT = "fbe805e8-866b-11e6-96bf-000f53315a41"
DROPLET = 3164444
CREATE = {"name": "app-data", "region": "nyc1", "size_gigabytes": 10}

CASES_VOLUMES: list[tuple[Any, ...]] = [
    ("volume_list", {}, ""),
    (
        "volume_list",
        {"region": "nyc1", "name": "example", "page": 2, "per_page": 200, "detail": True},
        "filtered",
    ),
    ("volume_list", {"kind": "snapshots"}, "snapshots"),
    (
        "volume_list",
        {"kind": "snapshots", "volume_id": VOLUME, "page": 2, "per_page": 20, "detail": True},
        "snapshots-of-volume",
    ),
    ("volume_get", {"volume_id": VOLUME}, ""),
    ("volume_get", {"volume_id": VOLUME, "detail": True}, "detail"),
    ("volume_create", CREATE, "plain"),
    ("volume_create", {**CREATE, "name": "example"}, "taken", "already exists"),
    (
        "volume_create",
        {
            **CREATE,
            "filesystem_type": "ext4",
            "filesystem_label": "ext4_volume_01",
            "description": "Block store for examples",
            "tags": ["aninterestingtag"],
        },
        "ext4",
    ),
    ("volume_create", {**CREATE, "filesystem_type": "xfs", "filesystem_label": "xfs_vol01"}, "xfs"),
    ("volume_create", {**CREATE, "snapshot_id": SNAPSHOT}, "from-snapshot"),
    ("volume_create", {**CREATE, "snapshot_id": ""}, "empty-snapshot-id"),  # as the Go client
    (
        "volume_action",
        {"type": "attach", "volume_id": VOLUME, "droplet_id": DROPLET, "wait": False},
        "attach",
    ),
    (
        "volume_action",
        {"type": "attach", "volume_id": VOLUME, "droplet_id": DROPLET, "timeout": 0.3},
        "attach-wait",
    ),
    (
        "volume_action",
        {"type": "resize", "volume_id": VOLUME, "size_gigabytes": 100, "wait": False},
        "resize",
    ),
    ("volume_action", {"type": "snapshot", "volume_id": VOLUME, "name": "big-data"}, "snapshot"),
    ("volume_action", {"type": "snapshot", "volume_id": VOLUME}, "snapshot-dated"),
    # The example volume is attached to nothing: detach is refused after looking it up.
    ("volume_action", {"type": "detach", "volume_id": VOLUME}, "detach", "nothing was detached"),
    ("volume_delete", {"volume_id": VOLUME}, ""),
    ("volume_delete", {"name": "example", "region": "nyc1"}, "by-name"),
    ("volume_delete", {"snapshot_id": SNAPSHOT}, "snapshot"),
]
