"""How the sandbox behaves: lifecycles, pagination, filters, errors, faults, admin, reset."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from cargoshipper.sandbox import Fault, Sandbox, SandboxConfig, World, create_app

from ._client import TOKEN, Api, FakeClock

WEB_1, WEB_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
SNAPSHOT, BACKUP, UBUNTU = 171_000_011, 171_000_012, 170_210_011
NEW_DROPLET = {
    "name": "web-1",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
}


@dataclass
class Clocked:
    """A sandbox whose time only moves when the test says so (default 3 s boot, 1.5 s actions)."""

    sandbox: Sandbox
    clock: FakeClock
    api: Api

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture(scope="module")
def clocked_sandbox() -> Iterator[tuple[Sandbox, FakeClock]]:
    clock = FakeClock()
    with Sandbox(world=World(SandboxConfig(), clock=clock)) as sb:
        yield sb, clock


@pytest.fixture
def sim(clocked_sandbox: tuple[Sandbox, FakeClock]) -> Clocked:
    sb, clock = clocked_sandbox
    sb.world.reset()
    return Clocked(sb, clock, Api(sb.url))


def _droplet(api: Api, droplet_id: int) -> dict:
    return api.get(f"/v2/droplets/{droplet_id}").json["droplet"]


def _act(api: Api, droplet_id: int, **body: object) -> tuple[int, dict]:
    answer = api.post(f"/v2/droplets/{droplet_id}/actions", body)
    return answer.status, answer.json


def _policy(api: Api, droplet_id: int) -> dict:
    return api.get(f"/v2/droplets/{droplet_id}/backups/policy").json["policy"]


# --- seed -------------------------------------------------------------------------------------


def test_seeded_account(api: Api) -> None:
    account = api.get("/v2/account").json["account"]
    assert account["email"] == "sammy@example.com"
    assert account["status"] == "active" and account["email_verified"] is True
    assert (account["droplet_limit"], account["floating_ip_limit"], account["volume_limit"]) == (
        25,
        5,
        100,
    )
    assert account["team"]["name"]
    balance = api.get("/v2/customers/my/balance").json
    assert set(balance) == {
        "month_to_date_balance",
        "account_balance",
        "month_to_date_usage",
        "generated_at",
    }


def test_seeded_catalog(api: Api) -> None:
    regions = {r["slug"]: r for r in api.get("/v2/regions").json["regions"]}
    assert set(regions) == {
        "nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1"
    }  # fmt: skip
    assert "s-1vcpu-1gb" in regions["nyc3"]["sizes"]
    assert "m-2vcpu-16gb" not in regions["syd1"]["sizes"]
    sizes = {s["slug"]: s for s in api.get("/v2/sizes").json["sizes"]}
    assert sizes["s-1vcpu-1gb"]["price_monthly"] == 6
    assert sizes["s-1vcpu-1gb"]["price_hourly"] == 0.00893
    assert sizes["s-1vcpu-512mb-10gb"]["memory"] == 512
    assert {"c-2", "g-2vcpu-8gb", "m-2vcpu-16gb", "s-8vcpu-16gb"} <= set(sizes)
    slugs = {i["slug"] for i in api.get("/v2/images", query={"per_page": 200}).json["images"]}
    assert {"ubuntu-24-04-x64", "debian-12-x64", "fedora-42-x64", "docker-20-04"} <= slugs
    assert len(api.get("/v2/account/keys").json["ssh_keys"]) == 2


def test_seeded_droplets_are_running_with_addresses(api: Api) -> None:
    droplets = api.get("/v2/droplets").json["droplets"]
    assert [d["name"] for d in droplets] == ["app-1", "app-2", "db-1"]
    for droplet in droplets:
        assert droplet["status"] == "active"
        kinds = {n["type"] for n in droplet["networks"]["v4"]}
        assert kinds == {"public", "private"}
        assert droplet["vpc_uuid"]


# --- lifecycles ------------------------------------------------------------------------------


def test_new_droplet_boots_after_boot_seconds(sim: Clocked) -> None:
    answer = sim.api.post("/v2/droplets", {**NEW_DROPLET, "ipv6": True, "tags": ["new-tag"]})
    assert answer.status == 202
    droplet, links = answer.json["droplet"], answer.json["links"]
    assert droplet["status"] == "new"
    assert droplet["networks"] == {"v4": [], "v6": []}
    (link,) = links["actions"]
    assert link["rel"] == "create"
    assert link["href"] == f"{sim.api.base_url}/v2/actions/{link['id']}"
    action = sim.api.get(f"/v2/actions/{link['id']}").json["action"]
    assert (action["status"], action["type"]) == ("in-progress", "create")
    assert action["completed_at"] is None
    assert (action["resource_id"], action["resource_type"]) == (droplet["id"], "droplet")
    assert action["region_slug"] == "nyc3" and action["region"]["slug"] == "nyc3"

    sim.advance(2.9)
    assert _droplet(sim.api, droplet["id"])["status"] == "new"
    sim.advance(0.2)
    booted = _droplet(sim.api, droplet["id"])
    assert booted["status"] == "active"
    assert {n["type"] for n in booted["networks"]["v4"]} == {"public", "private"}
    assert len(booted["networks"]["v6"]) == 1
    action = sim.api.get(f"/v2/actions/{link['id']}").json["action"]
    assert action["status"] == "completed" and action["completed_at"]
    assert "new-tag" in [t["name"] for t in sim.api.get("/v2/tags").json["tags"]]


def test_create_multiple_droplets(sim: Clocked) -> None:
    body = {k: v for k, v in NEW_DROPLET.items() if k != "name"}
    answer = sim.api.post("/v2/droplets", {**body, "names": ["a-1", "a-2"]})
    assert answer.status == 202
    assert [d["name"] for d in answer.json["droplets"]] == ["a-1", "a-2"]
    assert [a["rel"] for a in answer.json["links"]["actions"]] == ["create", "create"]


def test_power_state_follows_actions(sim: Clocked) -> None:
    status, body = _act(sim.api, WEB_1, type="power_off")
    assert status == 201 and body["action"]["status"] == "in-progress"
    assert body["action"]["type"] == "power_off"
    assert _droplet(sim.api, WEB_1)["status"] == "active"  # not yet
    sim.advance(1.5)
    assert _droplet(sim.api, WEB_1)["status"] == "off"
    action = sim.api.get(f"/v2/actions/{body['action']['id']}").json["action"]
    assert action["status"] == "completed" and action["started_at"] <= action["completed_at"]
    _act(sim.api, WEB_1, type="power_on")
    sim.advance(1.5)
    assert _droplet(sim.api, WEB_1)["status"] == "active"
    for kind, expected in (("shutdown", "off"), ("reboot", "active"), ("power_cycle", "active")):
        assert _act(sim.api, WEB_1, type=kind)[0] == 201
        sim.advance(1.5)
        assert _droplet(sim.api, WEB_1)["status"] == expected


def test_second_action_while_one_is_pending_is_refused(sim: Clocked) -> None:
    _act(sim.api, WEB_1, type="reboot")
    status, body = _act(sim.api, WEB_1, type="power_off")
    assert (status, body["id"]) == (422, "unprocessable_entity")
    assert body["message"] == "Droplet already has a pending event."


def test_resize_needs_the_droplet_off(sim: Clocked) -> None:
    status, body = _act(sim.api, WEB_1, type="resize", size="s-2vcpu-4gb")
    assert (status, body["message"]) == (422, "Droplet must be powered off to resize.")
    _act(sim.api, WEB_1, type="power_off")
    sim.advance(1.5)
    status, body = _act(sim.api, WEB_1, type="resize", size="s-99vcpu")
    assert (status, body["id"]) == (422, "unprocessable_entity")
    assert _act(sim.api, WEB_1, type="resize", size="s-2vcpu-4gb", disk=True)[0] == 201
    sim.advance(1.5)
    droplet = _droplet(sim.api, WEB_1)
    assert (droplet["size_slug"], droplet["memory"], droplet["disk"]) == ("s-2vcpu-4gb", 4096, 80)
    assert droplet["status"] == "off"
    assert _act(sim.api, WEB_1, type="resize", size="s-1vcpu-1gb")[0] == 422  # disk can't shrink


def test_snapshot_creates_a_private_image(sim: Clocked) -> None:
    status, _ = _act(sim.api, DB_1, type="snapshot", name="db-before-migration")
    assert status == 201
    sim.advance(1.5)
    droplet = _droplet(sim.api, DB_1)
    images = sim.api.get("/v2/images", query={"private": True}).json["images"]
    snapshot = next(i for i in images if i["name"] == "db-before-migration")
    assert (snapshot["type"], snapshot["public"], snapshot["slug"]) == ("snapshot", False, None)
    assert snapshot["id"] in droplet["snapshot_ids"]
    assert sim.api.get(f"/v2/images/{snapshot['id']}").status == 200


def test_rebuild_and_restore_change_the_image(sim: Clocked) -> None:
    _act(sim.api, WEB_2, type="rebuild", image="debian-12-x64")
    sim.advance(1.5)
    assert _droplet(sim.api, WEB_2)["image"]["slug"] == "debian-12-x64"
    _act(sim.api, DB_1, type="restore", image=BACKUP)
    sim.advance(1.5)
    assert _droplet(sim.api, DB_1)["image"]["id"] == BACKUP
    assert _act(sim.api, DB_1, type="restore", image=SNAPSHOT)[0] == 422  # app-1's snapshot
    assert _act(sim.api, WEB_2, type="rebuild", image="no-such-image")[0] == 422


def test_backups_toggle(sim: Clocked) -> None:
    _act(sim.api, WEB_1, type="enable_backups")
    sim.advance(1.5)
    droplet = _droplet(sim.api, WEB_1)
    assert "backups" in droplet["features"] and droplet["next_backup_window"]["start"]
    assert _policy(sim.api, WEB_1)["backup_policy"]["plan"] == "daily"
    _act(sim.api, WEB_1, type="disable_backups")
    sim.advance(1.5)
    droplet = _droplet(sim.api, WEB_1)
    assert "backups" not in droplet["features"] and droplet["next_backup_window"] is None
    assert _policy(sim.api, WEB_1) == {"droplet_id": WEB_1, "backup_enabled": False}


def _window(sim: Clocked, droplet: dict) -> tuple[datetime, timedelta, timedelta]:
    """The next backup window's start, its length, and how far ahead it starts."""
    start, end = (
        datetime.fromisoformat(droplet["next_backup_window"][edge]) for edge in ("start", "end")
    )
    now = datetime.fromtimestamp(sim.sandbox.world.epoch(), tz=UTC)
    return start, end - start, start - now


def test_backups_without_a_policy_get_the_daily_plan(sim: Clocked) -> None:
    droplet = sim.api.post("/v2/droplets", {**NEW_DROPLET, "backups": True}).json["droplet"]
    assert "backups" in droplet["features"]
    start, length, ahead = _window(sim, droplet)
    assert (start.hour, length) == (0, timedelta(hours=4))
    assert timedelta(0) < ahead <= timedelta(days=1)
    daily = {"plan": "daily", "hour": 0, "window_length_hours": 4, "retention_period_days": 7}
    assert _policy(sim.api, droplet["id"]) == {
        "droplet_id": droplet["id"],
        "backup_enabled": True,
        "backup_policy": daily,
        "next_backup_window": droplet["next_backup_window"],
    }
    assert _policy(sim.api, DB_1)["backup_policy"] == daily  # seeded with backups


def test_backups_follow_the_given_policy(sim: Clocked) -> None:
    weekly = {"plan": "weekly", "weekday": "TUE", "hour": 8}
    body = {**NEW_DROPLET, "backups": True, "backup_policy": weekly}
    droplet = sim.api.post("/v2/droplets", body).json["droplet"]
    start, length, ahead = _window(sim, droplet)
    assert (start.strftime("%a"), start.hour, length) == ("Tue", 8, timedelta(hours=4))
    assert timedelta(0) < ahead <= timedelta(days=7)
    expected = {**weekly, "window_length_hours": 4, "retention_period_days": 28}
    assert _policy(sim.api, droplet["id"])["backup_policy"] == expected
    off = sim.api.post("/v2/droplets", {**body, "name": "no-backups", "backups": False})
    assert off.json["droplet"]["next_backup_window"] is None
    for bad in ({"plan": "hourly"}, {"plan": "weekly", "weekday": "FUN"}, {"hour": 3}, "daily"):
        answer = sim.api.post("/v2/droplets", {**body, "backup_policy": bad})
        assert answer.status == 422 and "backup_policy" in answer.json["message"]
    policies = sim.api.get("/v2/droplets/backups/policies").json
    assert policies["meta"]["total"] == 5
    assert policies["policies"][str(droplet["id"])]["backup_policy"] == expected
    supported = sim.api.get("/v2/droplets/backups/supported_policies").json
    assert {p["name"] for p in supported["supported_policies"]} == {"daily", "weekly"}


def test_backup_policy_actions(sim: Clocked) -> None:
    assert _act(sim.api, WEB_1, type="change_backup_policy", backup_policy={})[0] == 422
    weekly = {"plan": "weekly", "weekday": "FRI", "hour": 20}
    _act(sim.api, WEB_1, type="enable_backups", backup_policy=weekly)
    sim.advance(1.5)
    assert _policy(sim.api, WEB_1)["backup_policy"]["weekday"] == "FRI"
    _act(sim.api, WEB_1, type="change_backup_policy", backup_policy={"plan": "daily", "hour": 4})
    sim.advance(1.5)
    assert _policy(sim.api, WEB_1)["backup_policy"]["plan"] == "daily"
    start, _, _ = _window(sim, _droplet(sim.api, WEB_1))
    assert start.hour == 4


def test_change_kernel(sim: Clocked) -> None:
    kernels = sim.api.get(f"/v2/droplets/{WEB_1}/kernels").json
    assert kernels["meta"]["total"] == len(kernels["kernels"]) >= 2
    kernel = kernels["kernels"][1]
    assert _droplet(sim.api, WEB_1)["kernel"] is None  # the image's own kernel
    status, body = _act(sim.api, WEB_1, type="change_kernel", kernel=kernel["id"])
    assert (status, body["action"]["type"]) == (201, "change_kernel")
    sim.advance(1.5)
    action = sim.api.get(f"/v2/actions/{body['action']['id']}").json["action"]
    assert action["status"] == "completed"
    assert _droplet(sim.api, WEB_1)["kernel"] == kernel
    for bad in ({"kernel": 12345}, {"kernel": str(kernel["id"])}, {}):
        assert _act(sim.api, WEB_1, type="change_kernel", **bad)[0] == 422
    assert sim.api.get("/v2/droplets/1/kernels").status == 404


def test_rename_and_enable_ipv6(sim: Clocked) -> None:
    _act(sim.api, WEB_1, type="rename", name="web-01")
    sim.advance(1.5)
    _act(sim.api, WEB_1, type="enable_ipv6")
    sim.advance(1.5)
    droplet = _droplet(sim.api, WEB_1)
    assert droplet["name"] == "web-01" and len(droplet["networks"]["v6"]) == 1


def test_actions_by_tag(sim: Clocked) -> None:
    answer = sim.api.post("/v2/droplets/actions", {"type": "power_off"}, query={"tag_name": "web"})
    assert answer.status == 201
    assert sorted(a["resource_id"] for a in answer.json["actions"]) == [WEB_1, WEB_2]
    sim.advance(1.5)
    assert {_droplet(sim.api, d)["status"] for d in (WEB_1, WEB_2)} == {"off"}
    assert _droplet(sim.api, DB_1)["status"] == "active"


def test_droplet_action_history(sim: Clocked) -> None:
    _, body = _act(sim.api, WEB_1, type="reboot")
    action_id = body["action"]["id"]
    listed = sim.api.get(f"/v2/droplets/{WEB_1}/actions").json
    assert [a["type"] for a in listed["actions"]] == ["reboot", "create"]
    assert sim.api.get(f"/v2/droplets/{WEB_1}/actions/{action_id}").status == 200
    assert sim.api.get(f"/v2/droplets/{WEB_2}/actions/{action_id}").status == 404


def test_destroy_droplet_and_by_tag(sim: Clocked) -> None:
    assert sim.api.delete(f"/v2/droplets/{DB_1}").status == 204
    assert sim.api.get(f"/v2/droplets/{DB_1}").status == 404
    assert sim.api.get(f"/v2/images/{BACKUP}").status == 404  # backups go with the Droplet
    assert sim.api.delete("/v2/droplets", query={"tag_name": "web"}).status == 204
    assert sim.api.get("/v2/droplets").json["meta"]["total"] == 0
    assert sim.api.get(f"/v2/images/{SNAPSHOT}").status == 200  # snapshots stay


# --- pagination and filters --------------------------------------------------------------------


def test_pagination_links_and_meta(api: Api) -> None:
    first = api.get("/v2/droplets", query={"per_page": 2}).json
    assert [d["name"] for d in first["droplets"]] == ["app-1", "app-2"]
    assert first["meta"] == {"total": 3}
    base = f"{api.base_url}/v2/droplets"
    assert first["links"] == {
        "pages": {"next": f"{base}?page=2&per_page=2", "last": f"{base}?page=2&per_page=2"}
    }
    second = api.get("/v2/droplets", query={"per_page": 2, "page": 2}).json
    assert [d["name"] for d in second["droplets"]] == ["db-1"]
    assert second["links"] == {
        "pages": {"first": f"{base}?page=1&per_page=2", "prev": f"{base}?page=1&per_page=2"}
    }
    assert api.get("/v2/droplets").json["links"] == {}
    beyond = api.get("/v2/droplets", query={"per_page": 2, "page": 5}).json
    assert beyond["droplets"] == [] and beyond["meta"]["total"] == 3


def test_pagination_keeps_filters_and_clamps_per_page(api: Api) -> None:
    tagged = api.get("/v2/droplets", query={"tag_name": "web", "per_page": 1}).json
    assert tagged["links"]["pages"]["next"].endswith("/v2/droplets?page=2&per_page=1&tag_name=web")
    images = api.get("/v2/images", query={"per_page": 500}).json
    assert len(images["images"]) == images["meta"]["total"]
    regions = api.get("/v2/regions", query={"per_page": 3}).json
    assert regions["links"]["pages"]["last"].endswith("page=4&per_page=3")


def test_droplet_filters(api: Api) -> None:
    def names(**query: object) -> list[str]:
        return [d["name"] for d in api.get("/v2/droplets", query=query).json["droplets"]]

    assert names(tag_name="web") == ["app-1", "app-2"]
    assert names(tag_name="db") == ["db-1"]
    assert names(name="APP-2") == ["app-2"]
    assert names(type="gpus") == []
    assert api.get("/v2/droplets", query={"tag_name": "web", "name": "app-1"}).status == 422


def test_image_filters(api: Api) -> None:
    def kinds(**query: object) -> set[tuple[str, bool]]:
        images = api.get("/v2/images", query={**query, "per_page": 200}).json["images"]
        return {(i["type"], i["public"]) for i in images}

    distributions = api.get("/v2/images", query={"type": "distribution"}).json["images"]
    assert {i["slug"] for i in distributions} >= {"ubuntu-24-04-x64", "rockylinux-9-x64"}
    assert "docker-20-04" not in {i["slug"] for i in distributions}
    applications = api.get("/v2/images", query={"type": "application"}).json["images"]
    assert {i["slug"] for i in applications} >= {"docker-20-04", "wordpress-22-04"}
    assert kinds(private=True) == {("snapshot", False), ("backup", False)}
    backup = {"resource_id": str(BACKUP), "resource_type": "image"}
    api.post("/v2/tags/db/resources", {"resources": [backup]})
    tagged = api.get("/v2/images", query={"tag_name": "db"}).json["images"]
    assert [i["id"] for i in tagged] == [BACKUP]
    assert api.get("/v2/images/debian-12-x64").json["image"]["distribution"] == "Debian"


# --- other resources ---------------------------------------------------------------------------


def test_image_update_and_delete(api: Api) -> None:
    answer = api.put(f"/v2/images/{SNAPSHOT}", {"name": "golden", "description": "base"})
    assert answer.status == 200 and answer.json["image"]["name"] == "golden"
    assert api.put(f"/v2/images/{SNAPSHOT}", {"distribution": "Windows"}).status == 422
    assert api.delete(f"/v2/images/{SNAPSHOT}").status == 204
    assert SNAPSHOT not in _droplet(api, WEB_1)["snapshot_ids"]
    assert api.delete(f"/v2/images/{SNAPSHOT}").status == 404
    assert api.delete(f"/v2/images/{UBUNTU}").status == 403


def test_ssh_keys(api: Api) -> None:
    from cargoshipper.sandbox._seed import make_public_key

    key = {"name": "laptop", "public_key": make_public_key("me@laptop")}
    created = api.post("/v2/account/keys", key)
    assert created.status == 201
    new = created.json["ssh_key"]
    assert len(new["fingerprint"].split(":")) == 16
    assert api.get(f"/v2/account/keys/{new['fingerprint']}").json["ssh_key"]["id"] == new["id"]
    duplicate = api.post("/v2/account/keys", key).json
    assert duplicate["message"] == "SSH Key is already in use on your account"
    renamed = api.put(f"/v2/account/keys/{new['id']}", {"name": "work"}).json
    assert renamed["ssh_key"]["name"] == "work"
    assert api.delete(f"/v2/account/keys/{new['id']}").status == 204
    assert api.get(f"/v2/account/keys/{new['id']}").status == 404
    answer = api.post("/v2/droplets", {**NEW_DROPLET, "ssh_keys": [new["id"]]})
    assert answer.status == 422  # deleted key


def test_tags(api: Api) -> None:
    assert api.post("/v2/tags", {"name": "env:staging"}).status == 201
    resources = {"resources": [{"resource_id": str(DB_1), "resource_type": "droplet"}]}
    assert api.post("/v2/tags/env:staging/resources", resources).status == 204
    tag = api.get("/v2/tags/env:staging").json["tag"]
    assert tag["resources"]["count"] == 1
    assert tag["resources"]["droplets"]["count"] == 1
    assert tag["resources"]["droplets"]["last_tagged_uri"].endswith(f"/v2/droplets/{DB_1}")
    assert "env:staging" in _droplet(api, DB_1)["tags"]
    assert api.delete("/v2/tags/env:staging/resources", resources).status == 204
    assert "env:staging" not in _droplet(api, DB_1)["tags"]
    assert api.delete("/v2/tags/web").status == 204
    assert "web" not in _droplet(api, WEB_1)["tags"]
    bad = api.post("/v2/tags", {"name": "has space"})
    assert bad.status == 400 and bad.json["root_causes"]


def test_path_parameters_are_percent_decoded(api: Api) -> None:
    assert api.get("/v2/tags/env%3Aprod").json["tag"]["name"] == "env:prod"
    assert api.delete("/v2/tags/env%3Aprod").status == 204
    assert "env:prod" not in {t["name"] for t in api.get("/v2/tags").json["tags"]}
    assert "env:prod" not in _droplet(api, WEB_1)["tags"]
    assert api.delete("/v2/tags/env%3Aprod").status == 404


def test_volume_with_an_empty_snapshot_id_is_a_new_volume(api: Api) -> None:
    body = {"name": "blank", "region": "nyc3", "size_gigabytes": 10, "snapshot_id": ""}
    answer = api.post("/v2/volumes", body)
    assert answer.status == 201 and answer.json["volume"]["size_gigabytes"] == 10


# --- errors ------------------------------------------------------------------------------------


def test_error_bodies(api: Api) -> None:
    missing = api.get("/v2/droplets/1")
    assert missing.status == 404
    assert missing.json == {
        "id": "not_found",
        "message": "The resource you were accessing could not be found.",
        "request_id": missing.headers["x-request-id"],
    }
    for token in (None, ""):
        denied = api.get("/v2/account", token=token)
        assert denied.status == 401
        assert denied.json["id"] == "unauthorized"
        assert denied.json["message"] == "Unable to authenticate you."
    broken = api.post("/v2/droplets", raw=b"{not json")
    assert (broken.status, broken.json["id"]) == (400, "bad_request")
    assert api.get("/v2/nowhere").json["id"] == "not_found"
    assert api.call("PATCH", "/v2/account").status == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": "s-64vcpu"}, "You specified an invalid size for Droplet creation."),
        ({"region": "mars1"}, "You specified an invalid region for Droplet creation."),
        ({"image": "beos-5"}, "You specified an invalid image for Droplet creation."),
        ({"size": "m-2vcpu-16gb", "region": "syd1"}, "Size is not available in this region."),
        (
            {"name": "no_underscores"},
            "Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)",
        ),
        ({"vpc_uuid": "nope"}, "You specified an invalid VPC for Droplet creation."),
    ],
)
def test_create_validation(api: Api, change: dict, message: str) -> None:
    answer = api.post("/v2/droplets", {**NEW_DROPLET, **change})
    assert answer.status == 422
    assert (answer.json["id"], answer.json["message"]) == ("unprocessable_entity", message)
    assert api.get("/v2/droplets").json["meta"]["total"] == 3


def test_droplet_limit(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.account["droplet_limit"] = 4
    assert api.post("/v2/droplets", NEW_DROPLET).status == 202
    answer = api.post("/v2/droplets", {**NEW_DROPLET, "name": "one-too-many"})
    assert answer.status == 422 and "droplet limit" in answer.json["message"]


def test_token_is_never_echoed(api: Api) -> None:
    for answer in (api.get("/v2/account"), api.get("/v2/nowhere"), api.get("/v2/droplets/9")):
        assert TOKEN not in answer.body.decode()
        assert all(TOKEN not in value for value in answer.headers.values())


# --- headers and rate limits -------------------------------------------------------------------


def test_rate_limit_headers_count_down(api: Api) -> None:
    first = api.get("/v2/account").headers
    second = api.get("/v2/account").headers
    assert first["ratelimit-limit"] == "5000"
    assert int(second["ratelimit-remaining"]) == int(first["ratelimit-remaining"]) - 1
    assert abs(int(first["ratelimit-reset"]) - (time.time() + 3600)) < 5
    assert first["x-request-id"] != second["x-request-id"]


def test_rate_limit_is_enforced_over_a_sliding_hour() -> None:
    clock = FakeClock()
    with Sandbox(world=World(SandboxConfig(rate_limit_per_hour=3), clock=clock)) as sb:
        api = Api(sb.url)
        assert [api.get("/v2/account").status for _ in range(3)] == [200, 200, 200]
        limited = api.get("/v2/account")
        assert limited.status == 429
        assert limited.json["id"] == "too_many_requests"
        assert limited.headers["ratelimit-remaining"] == "0"
        assert int(limited.headers["retry-after"]) >= 3599
        clock.advance(3600)
        assert api.get("/v2/account").status == 200


# --- faults ------------------------------------------------------------------------------------


def test_status_fault_is_counted_and_answered(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.faults.add(Fault(method="POST", path=r"/v2/droplets", status=500, times=2))
    for _ in range(2):
        answer = api.post("/v2/droplets", NEW_DROPLET)
        assert answer.status == 500
        assert (answer.json["id"], answer.json["message"]) == ("server_error", "Server Error")
    assert api.post("/v2/droplets", NEW_DROPLET).status == 202
    assert sandbox.world.count("POST", "/v2/droplets") == 3
    assert api.get("/v2/droplets").json["meta"]["total"] == 4  # only the third created one


def test_429_fault_headers(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.faults.add(Fault(path=r"/v2/droplets/\d+", status=429, reset_in=7))
    answer = api.get(f"/v2/droplets/{WEB_1}")
    assert answer.status == 429
    assert answer.json["message"] == "API Rate limit exceeded."
    assert answer.headers["ratelimit-remaining"] == "0"
    assert abs(int(answer.headers["ratelimit-reset"]) - (time.time() + 7)) <= 2
    assert answer.headers["retry-after"] == "7"
    assert api.get(f"/v2/droplets/{WEB_1}").status == 200


def test_fault_matches_method_and_full_path(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.faults.add(Fault(method="DELETE", path=r"/v2/droplets/\d+", status=503))
    assert api.get(f"/v2/droplets/{WEB_1}").status == 200
    assert api.get(f"/v2/droplets/{WEB_1}/actions").status == 200  # fullmatch only
    assert api.delete(f"/v2/droplets/{WEB_1}").status == 503
    assert api.get(f"/v2/droplets/{WEB_1}").status == 200


def test_delay_fault_times_out_the_client_but_creates(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.faults.add(Fault(method="POST", path="/v2/droplets", delay=1.0))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        api.post("/v2/droplets", NEW_DROPLET, timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert sandbox.world.count("POST", "/v2/droplets") == 1
    assert [d.name for d in sandbox.world.droplets.values()].count("web-1") == 1


def test_drop_fault_closes_the_connection(api: Api, sandbox: Sandbox) -> None:
    sandbox.world.faults.add(Fault(method="POST", path="/v2/droplets", drop=True))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.post("/v2/droplets", NEW_DROPLET)
    assert sandbox.world.count("POST", "/v2/droplets") == 1
    assert "web-1" not in [d.name for d in sandbox.world.droplets.values()]
    assert api.post("/v2/droplets", NEW_DROPLET).status == 202


def test_drop_on_a_kept_alive_connection(sandbox: Sandbox) -> None:
    sandbox.world.reset()
    host, port = sandbox.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    conn.request("GET", "/v2/account", headers=headers)
    assert conn.getresponse().read()
    sandbox.world.faults.add(Fault(path="/v2/account", drop=True))
    conn.request("GET", "/v2/account", headers=headers)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    conn.close()


def test_fault_needs_exactly_one_effect() -> None:
    with pytest.raises(ValueError):
        Fault(path="/v2/account")
    with pytest.raises(ValueError):
        Fault(path="/v2/account", status=500, drop=True)


# --- request log, admin API, reset ----------------------------------------------------------


def test_request_log(api: Api, sandbox: Sandbox) -> None:
    api.get("/v2/droplets", query={"tag_name": "web"})
    api.get("/v2/droplets")
    api.get("/v2/account", token=None)
    assert sandbox.world.count("GET", "/v2/droplets") == 2
    assert sandbox.world.count("get", "/v2/account") == 1
    assert sandbox.world.requests[0] == ("GET", "/v2/droplets", "tag_name=web")


def test_admin_endpoints(api: Api, sandbox: Sandbox) -> None:
    fault = {"method": "GET", "path": "/v2/account", "status": 500, "times": 2}
    assert api.post("/_sandbox/faults", fault).status == 201
    listed = api.get("/_sandbox/faults").json["faults"]
    assert listed[0]["remaining"] == 2 and listed[0]["status"] == 500
    assert api.get("/v2/account").status == 500
    assert api.delete("/_sandbox/faults").status == 204
    assert api.get("/v2/account").status == 200
    assert api.post("/_sandbox/faults", {"path": "/v2/account"}).status == 400
    assert api.post("/_sandbox/faults", {"path": "/x", "drop": True, "bogus": 1}).status == 400
    log = api.get("/_sandbox/requests").json
    assert log == [
        {"method": "GET", "path": "/v2/account", "query": ""},
        {"method": "GET", "path": "/v2/account", "query": ""},
    ]


def test_admin_fault_can_drop_connections(api: Api) -> None:
    api.post("/_sandbox/faults", {"path": r"/v2/droplets/\d+", "method": None, "drop": True})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.get(f"/v2/droplets/{WEB_1}")


def test_reset_restores_the_seed(api: Api, sandbox: Sandbox) -> None:
    api.delete(f"/v2/droplets/{WEB_1}")
    api.post("/v2/droplets", NEW_DROPLET)
    sandbox.world.faults.add(Fault(path="/v2/sizes", status=500))
    assert api.post("/_sandbox/reset").status == 204
    names = [d["name"] for d in api.get("/v2/droplets").json["droplets"]]
    assert names == ["app-1", "app-2", "db-1"]
    assert api.get("/v2/sizes").status == 200
    assert sandbox.world.count("DELETE", f"/v2/droplets/{WEB_1}") == 0


def test_empty_account_keeps_the_catalog() -> None:
    world = World(SandboxConfig(seed=False))
    assert not world.droplets and not world.ssh_keys and not world.tags
    assert world.regions and world.sizes and world.images


# --- serving ------------------------------------------------------------------------------------


def test_start_and_stop_without_with() -> None:
    sb = Sandbox(SandboxConfig())
    sb.start()
    try:
        assert Api(sb.url).get("/v2/account").status == 200
    finally:
        sb.stop()
    with pytest.raises(RuntimeError):
        _ = sb.url


def test_create_app_lists_its_routes() -> None:
    routes = create_app(World()).routes
    assert ("POST", "/v2/droplets/{droplet_id}/actions") in routes
    assert ("GET", "/v2/images/{image_id}") in routes


def test_python_dash_m_serves_on_the_given_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "cargoshipper.sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        answer = Api(f"http://127.0.0.1:{port}").get("/v2/account")
        assert json.loads(answer.body)["account"]["email"] == "sammy@example.com"
    finally:
        process.terminate()
        process.wait(timeout=5)
