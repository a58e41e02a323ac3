"""How block storage volumes behave: delete by name and region, and volume snapshots."""

from __future__ import annotations

from ._client import Api, Exchange

VOLUMES = "/v2/volumes"
APP_DATA = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101"  # seeded, attached to app-1, one snapshot
MISSING = "00000000-0000-4000-8000-000000000000"


def _volume(api: Api, name: str, region: str = "nyc3") -> str:
    answer = api.post(VOLUMES, {"name": name, "region": region, "size_gigabytes": 5})
    assert answer.status == 201, answer.json
    return answer.json["volume"]["id"]


def _error(answer: Exchange, status: int) -> str:
    assert answer.status == status, answer.json
    return answer.json["message"]


def test_delete_by_name_deletes_the_volume_of_that_region(api: Api) -> None:
    here, there = _volume(api, "shared-name"), _volume(api, "shared-name", "fra1")
    assert api.delete(VOLUMES, query={"name": "shared-name", "region": "fra1"}).status == 204
    assert api.get(f"{VOLUMES}/{there}").status == 404
    assert api.get(f"{VOLUMES}/{here}").status == 200
    again = api.delete(VOLUMES, query={"name": "shared-name", "region": "fra1"})
    assert again.json["id"] == "not_found" and again.status == 404


def test_delete_by_name_needs_both_and_refuses_attached_volumes(api: Api) -> None:
    _volume(api, "lonely")
    assert "name and region" in _error(api.delete(VOLUMES, query={"name": "lonely"}), 400)
    assert "name and region" in _error(api.delete(VOLUMES, query={"region": "nyc3"}), 400)
    attached = api.delete(VOLUMES, query={"name": "app-1-data", "region": "nyc3"})
    assert "Detach it first" in _error(attached, 409)
    assert api.get(f"{VOLUMES}/{APP_DATA}").status == 200


def test_volume_snapshots_list_get_and_delete(api: Api) -> None:
    path = f"{VOLUMES}/{APP_DATA}/snapshots"
    made = api.post(path, {"name": "manual", "tags": ["keep"]})
    assert made.status == 201
    snapshot = made.json["snapshot"]
    assert (snapshot["resource_id"], snapshot["resource_type"]) == (APP_DATA, "volume")
    assert snapshot["min_disk_size"] == 100 and snapshot["regions"] == ["nyc3"]
    listed = api.get(path).json
    assert listed["meta"]["total"] == 2  # the seeded weekly one and this one
    assert api.get(f"{VOLUMES}/snapshots/{snapshot['id']}").json["snapshot"] == snapshot
    assert api.delete(f"{VOLUMES}/snapshots/{snapshot['id']}").status == 204
    assert api.get(f"{VOLUMES}/snapshots/{snapshot['id']}").status == 404
    assert api.get(path).json["meta"]["total"] == 1
    assert api.get(f"{VOLUMES}/{MISSING}/snapshots").status == 404


def test_snapshots_outlive_their_volume(api: Api) -> None:
    volume_id = _volume(api, "short-lived")
    snapshot = api.post(f"{VOLUMES}/{volume_id}/snapshots", {"name": "last"}).json["snapshot"]
    assert api.delete(f"{VOLUMES}/{volume_id}").status == 204
    assert api.get(f"{VOLUMES}/snapshots/{snapshot['id']}").status == 200
