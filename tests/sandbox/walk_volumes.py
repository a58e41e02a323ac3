"""The conformance walk over the block storage volume routes (success and error answers)."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

VOLUMES = "/v2/volumes"
APP_DATA = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101"  # seeded, attached to app-1
ARCHIVE = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d103"  # seeded, in fra1
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, APP_2 = 501_000_101, 501_000_102


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_volumes(api: Api, sb: Sandbox) -> None:
    settle = sb.world.config.action_seconds + 0.1
    _walk_reads(api)
    volume_id = _walk_creates(api)
    _walk_actions(api, volume_id, settle)
    _walk_snapshots(api, volume_id)
    _walk_deletes(api, volume_id)


def _walk_reads(api: Api) -> None:
    _expect(api.get(VOLUMES), 200)
    _expect(api.get(VOLUMES, query={"region": "nyc3"}), 200)
    _expect(api.get(VOLUMES, query={"name": "scratch"}), 200)
    _expect(api.get(VOLUMES, query={"name": "scratch", "region": "nyc3"}), 200)
    _expect(api.get(VOLUMES, query={"per_page": 1, "page": 2}), 200)
    _expect(api.get(f"{VOLUMES}/{APP_DATA}"), 200)
    _expect(api.get(f"{VOLUMES}/{MISSING}"), 404)


def _walk_creates(api: Api) -> str:
    body = {
        "name": "walk-vol",
        "region": "nyc3",
        "size_gigabytes": 20,
        "filesystem_type": "ext4",
        "filesystem_label": "walk",
        "description": "made by the walk",
        "tags": ["walk-vol"],
    }
    created = _expect(api.post(VOLUMES, body), 201).json["volume"]
    xfs = {"name": "walk-xfs", "region": "fra1", "size_gigabytes": 5, "filesystem_type": "xfs"}
    _expect(api.post(VOLUMES, xfs), 201)
    snapshot = api.get(f"{VOLUMES}/{APP_DATA}/snapshots").json["snapshots"][0]["id"]
    restored = {"name": "walk-restored", "region": "nyc3", "size_gigabytes": 100}
    _expect(api.post(VOLUMES, {**restored, "snapshot_id": snapshot}), 201)
    blank = {"name": "walk-blank", "region": "nyc3", "size_gigabytes": 5, "snapshot_id": ""}
    _expect(api.post(VOLUMES, blank), 201)  # godo always sends snapshot_id, "" for none
    for bad, status in (
        ({}, 409),  # the same name in the same region
        ({"name": "Bad_Name"}, 400),
        ({"name": "walk-2", "size_gigabytes": 0}, 400),
        ({"name": "walk-2", "region": "mars1"}, 400),
        ({"name": "walk-2", "filesystem_type": "ntfs"}, 400),
        ({"name": "walk-2", "filesystem_type": None}, 400),  # a label without a filesystem
        ({"name": "walk-2", "filesystem_type": "xfs", "filesystem_label": "x" * 13}, 400),
        ({"name": "walk-2", "snapshot_id": MISSING}, 404),
        ({"name": "walk-2", "snapshot_id": snapshot, "size_gigabytes": 10}, 400),
    ):
        _expect(api.post(VOLUMES, {**body, **bad}), status)
    _expect(api.post(VOLUMES, raw=b'{"name": "broken"'), 400)
    return created["id"]


def _walk_actions(api: Api, volume_id: str, settle: float) -> None:
    path = f"{VOLUMES}/{volume_id}/actions"
    attach = {"type": "attach", "droplet_id": APP_2, "region": "nyc3"}
    action = _expect(api.post(path, attach), 202).json["action"]
    _expect(api.post(path, attach), 422)  # a pending event
    _expect(api.get(path), 200)
    _expect(api.get(path, query={"per_page": 1, "page": 1}), 200)
    _expect(api.get(f"{path}/{action['id']}"), 200)
    _expect(api.get(f"{path}/1"), 404)
    _expect(api.get(f"{VOLUMES}/{MISSING}/actions"), 404)
    time.sleep(settle)
    assert api.get(f"{VOLUMES}/{volume_id}").json["volume"]["droplet_ids"] == [APP_2]
    for where, bad, status in (
        (path, {**attach, "droplet_id": APP_1}, 422),  # attached already
        (f"{VOLUMES}/{ARCHIVE}/actions", {"type": "attach", "droplet_id": APP_2}, 422),  # region
        (f"{VOLUMES}/{ARCHIVE}/actions", {"type": "attach", "droplet_id": 1}, 404),
        (path, {"type": "detach", "droplet_id": APP_1}, 422),  # not attached there
        (path, {"type": "resize", "size_gigabytes": 10}, 422),  # shrinking
        (path, {"type": "explode"}, 400),
        (f"{VOLUMES}/{MISSING}/actions", attach, 404),
    ):
        _expect(api.post(where, bad), status)
    _expect(api.post(path, {"type": "resize", "size_gigabytes": 40, "region": "nyc3"}), 202)
    time.sleep(settle)
    by_name = f"{VOLUMES}/actions"
    detach = {"type": "detach", "volume_name": "walk-vol", "droplet_id": APP_2, "region": "nyc3"}
    _expect(api.post(by_name, detach), 202)
    _expect(api.post(by_name, {**detach, "volume_name": "no-such-volume"}), 404)
    _expect(api.post(by_name, {**detach, "type": "resize", "size_gigabytes": 50}), 400)
    time.sleep(settle)
    _expect(api.post(by_name, {**detach, "type": "attach"}), 202)
    time.sleep(settle)
    _expect(api.post(path, {"type": "detach", "droplet_id": APP_2, "region": "nyc3"}), 202)
    time.sleep(settle)


def _walk_snapshots(api: Api, volume_id: str) -> None:
    path = f"{VOLUMES}/{volume_id}/snapshots"
    snapshot = _expect(api.post(path, {"name": "walk-snap", "tags": ["walk-vol"]}), 201)
    snapshot_id = snapshot.json["snapshot"]["id"]
    _expect(api.post(path, {"tags": ["walk-vol"]}), 400)
    _expect(api.post(f"{VOLUMES}/{MISSING}/snapshots", {"name": "x"}), 404)
    _expect(api.get(path), 200)
    _expect(api.get(path, query={"per_page": 1}), 200)
    _expect(api.get(f"{VOLUMES}/{MISSING}/snapshots"), 404)
    _expect(api.get(f"{VOLUMES}/snapshots/{snapshot_id}"), 200)
    _expect(api.get(f"{VOLUMES}/snapshots/{MISSING}"), 404)
    _expect(api.delete(f"{VOLUMES}/snapshots/{snapshot_id}"), 204)
    _expect(api.delete(f"{VOLUMES}/snapshots/{snapshot_id}"), 404)
    _walk_all_snapshots(api, path)


def _walk_all_snapshots(api: Api, path: str) -> None:
    """/v2/snapshots lists Droplet and volume snapshots, and finds a volume's by its id."""
    snapshot_id = _expect(api.post(path, {"name": "walk-snap-2"}), 201).json["snapshot"]["id"]
    _expect(api.get("/v2/snapshots"), 200)
    volume = _expect(api.get("/v2/snapshots", query={"resource_type": "volume"}), 200).json
    assert snapshot_id in {s["id"] for s in volume["snapshots"]}
    _expect(api.get("/v2/snapshots", query={"resource_type": "droplet", "per_page": 1}), 200)
    _expect(api.get("/v2/snapshots", query={"resource_type": "image"}), 422)
    _expect(api.get(f"/v2/snapshots/{snapshot_id}"), 200)
    _expect(api.delete(f"/v2/snapshots/{snapshot_id}"), 204)
    _expect(api.get(f"/v2/snapshots/{snapshot_id}"), 404)


def _walk_deletes(api: Api, volume_id: str) -> None:
    tagging = {"resources": [{"resource_id": volume_id, "resource_type": "volume"}]}
    _expect(api.post("/v2/tags/walk-vol/resources", tagging), 204)
    _expect(api.get("/v2/tags/walk-vol"), 200)
    _expect(api.delete(f"{VOLUMES}/{APP_DATA}"), 409)  # attached
    _expect(api.delete(f"{VOLUMES}/{volume_id}"), 204)
    _expect(api.delete(f"{VOLUMES}/{volume_id}"), 404)
    _expect(api.delete(VOLUMES, query={"name": "walk-xfs", "region": "fra1"}), 204)
    _expect(api.delete(VOLUMES, query={"name": "walk-xfs", "region": "fra1"}), 404)
    _expect(api.delete(VOLUMES, query={"name": "walk-xfs"}), 400)
