"""How projects, Droplet metrics and alert policies behave."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pydo
import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import AzureKeyCredentialPolicy

from cargoshipper.sandbox import Sandbox

from ._client import TOKEN, Api, Exchange, wait_until

APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103  # DB_1 runs no metrics agent
PROJECTS, DEFAULT = "/v2/projects", "/v2/projects/default"
METRICS, ALERTS = "/v2/monitoring/metrics/droplet", "/v2/monitoring/alerts"
DROPLET = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
HTTP = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}
PROJECT = {"name": "shop", "purpose": "Web Application", "environment": "Production"}
LONG_AGO = "2025-01-01T00:00:00Z"  # 1735689600
WINDOW = {"start": "1750000000", "end": "1750000600"}
POLICY = {
    "type": "v1/insights/droplet/memory_utilization_percent",
    "description": "memory",
    "compare": "GreaterThan",
    "value": 90.5,
    "window": "10m",
    "entities": [str(APP_1)],
    "tags": [],
    "alerts": {"email": ["sammy@example.com"], "slack": []},
    "enabled": True,
}


def _error(answer: Exchange, status: int) -> str:
    assert answer.status == status, answer.json
    return answer.json["message"]


def _project(api: Api, **changes: object) -> dict:
    answer = api.post(PROJECTS, {**PROJECT, **changes})
    assert answer.status == 201, answer.json
    return answer.json["project"]


def _urns(api: Api, project: str = "default") -> list[str]:
    listed = api.get(f"{PROJECTS}/{project}/resources", query={"per_page": 200})
    assert listed.status == 200, listed.json
    return [r["urn"] for r in listed.json["resources"]]


def _assign(api: Api, project: str, *urns: str) -> list[dict]:
    answer = api.post(f"{PROJECTS}/{project}/resources", {"resources": list(urns)})
    assert answer.status == 200, answer.json
    return answer.json["resources"]


# --- projects ----------------------------------------------------------------------------------


def test_the_default_project_holds_the_account(api: Api) -> None:
    default = api.get(DEFAULT).json["project"]
    assert (default["name"], default["is_default"]) == ("first-project", True)
    assert [p["id"] for p in api.get(PROJECTS).json["projects"]] == [default["id"]]
    urns = _urns(api)
    assert {f"do:droplet:{d}" for d in (APP_1, APP_2, DB_1)} <= set(urns)
    assert "do:domain:example.com" in urns and any(u.startswith("do:volume:") for u in urns)
    entry = api.get(f"{DEFAULT}/resources").json["resources"][0]
    assert entry["status"] == "ok" and entry["links"]["self"].startswith(api.base_url + "/v2/")


def test_a_new_droplet_joins_the_default_project_and_leaves_it_when_deleted(api: Api) -> None:
    droplet = api.post("/v2/droplets", {**DROPLET, "name": "fresh"}).json["droplet"]
    urn = f"do:droplet:{droplet['id']}"
    assert urn in _urns(api)
    wait_until(
        lambda: api.get(f"/v2/droplets/{droplet['id']}").json["droplet"]["status"] == "active"
    )
    assert api.delete(f"/v2/droplets/{droplet['id']}").status == 204
    assert urn not in _urns(api)


def test_assigning_moves_a_resource_between_projects(api: Api) -> None:
    shop = _project(api)
    urn = f"do:droplet:{APP_1}"
    (moved,) = _assign(api, shop["id"], urn)
    assert (moved["urn"], moved["status"]) == (urn, "assigned")
    assert _urns(api, shop["id"]) == [urn] and urn not in _urns(api)
    assert _assign(api, shop["id"], urn)[0]["status"] == "already_assigned"
    assert _assign(api, "default", urn)[0]["status"] == "assigned"
    assert _urns(api, shop["id"]) == [] and urn in _urns(api)


def test_unknown_and_malformed_urns(api: Api) -> None:
    shop = _project(api)
    answered = _assign(api, shop["id"], "do:droplet:1", "do:reservedip:192.0.2.9")
    assert answered == [
        {"urn": "do:droplet:1", "status": "not_found"},
        {"urn": "do:floatingip:192.0.2.9", "status": "not_found"},
    ]
    message = _error(api.post(f"{PROJECTS}/{shop['id']}/resources", {"resources": ["x"]}), 400)
    assert "do:resource_type:resource_id" in message
    assert _urns(api, shop["id"]) == []


def test_a_project_with_resources_or_the_default_is_not_deleted(api: Api) -> None:
    shop = _project(api)
    _assign(api, shop["id"], f"do:droplet:{APP_2}")
    message = _error(api.delete(f"{PROJECTS}/{shop['id']}"), 412)
    assert message == "cannot delete a project with resources. move or remove the resources first"
    default = api.get(DEFAULT).json["project"]["id"]
    assert "default" in _error(api.delete(f"{PROJECTS}/{default}"), 412)
    _assign(api, "default", f"do:droplet:{APP_2}")
    assert api.delete(f"{PROJECTS}/{shop['id']}").status == 204
    assert api.get(f"{PROJECTS}/{shop['id']}").status == 404


def test_an_assignment_goes_with_its_resource(api: Api, sandbox: Sandbox) -> None:
    shop = _project(api)
    volume = api.post("/v2/volumes", {"name": "orders", "region": "nyc3", "size_gigabytes": 10})
    urn = f"do:volume:{volume.json['volume']['id']}"
    _assign(api, shop["id"], urn)
    assert api.delete(f"/v2/volumes/{volume.json['volume']['id']}").status == 204
    assert _urns(api, shop["id"]) == []
    assert urn not in sandbox.world.table("project_assignments")  # dropped on that read
    assert api.delete(f"{PROJECTS}/{shop['id']}").status == 204


def test_a_load_balancer_follows_its_own_project_id(api: Api) -> None:
    shop = _project(api)
    body = {"name": "shop-lb", "region": "nyc3", "forwarding_rules": [HTTP], "tag": "web"}
    lb = api.post("/v2/load_balancers", {**body, "project_id": shop["id"]}).json["load_balancer"]
    urn = f"do:loadbalancer:{lb['id']}"
    assert _urns(api, shop["id"]) == [urn]
    _assign(api, "default", urn)  # moves it, and its project_id with it
    default = api.get(DEFAULT).json["project"]["id"]
    assert api.get(f"/v2/load_balancers/{lb['id']}").json["load_balancer"]["project_id"] == default
    assert urn in _urns(api)


def test_a_new_default_project_takes_over_new_resources(api: Api) -> None:
    old = api.get(DEFAULT).json["project"]
    held = _urns(api)
    shop = _project(api, is_default=True)
    assert api.get(DEFAULT).json["project"]["id"] == shop["id"]
    assert api.get(f"{PROJECTS}/{old['id']}").json["project"]["is_default"] is False
    assert _urns(api, old["id"]) == held and _urns(api) == []  # what it held stays
    droplet = api.post("/v2/droplets", {**DROPLET, "name": "fresh"}).json["droplet"]
    assert _urns(api) == [f"do:droplet:{droplet['id']}"]
    patched = api.call("PATCH", DEFAULT, {"is_default": False}).json["project"]
    assert patched["is_default"] is True  # one project stays the default
    assert _error(api.delete(f"{PROJECTS}/{old['id']}"), 412)  # not empty


def test_project_fields(api: Api) -> None:
    made = _project(api, purpose="selling socks", description="the shop")
    assert made["purpose"] == "Other: selling socks"
    assert (made["environment"], made["description"]) == ("Production", "the shop")
    bare = api.post(PROJECTS, {"name": "bare", "purpose": "IoT"}).json["project"]
    assert "environment" not in bare and bare["description"] == ""
    path = f"{PROJECTS}/{made['id']}"
    patched = api.call("PATCH", path, {"environment": "Staging"}).json["project"]
    assert (patched["name"], patched["environment"]) == ("shop", "Staging")
    assert "is_default" in _error(api.put(path, {"name": "x"}), 422)
    assert _error(api.post(PROJECTS, PROJECT), 409)


# --- metrics -----------------------------------------------------------------------------------


def _query(api: Api, name: str, host: int = APP_1, **params: object) -> list[dict]:
    answer = api.get(f"{METRICS}/{name}", query={"host_id": str(host), **WINDOW, **params})
    assert answer.status == 200, answer.json
    assert answer.json["status"] == "success" and answer.json["data"]["resultType"] == "matrix"
    return answer.json["data"]["result"]


def _age(sandbox: Sandbox, *droplets: int) -> None:
    """Make Droplets old enough to have metrics in ``WINDOW``."""
    for droplet in droplets:
        sandbox.world.droplets[droplet].created_at = LONG_AGO


def test_metrics_are_deterministic_numbers(api: Api, sandbox: Sandbox) -> None:
    _age(sandbox, APP_1, APP_2)
    (load,) = _query(api, "load_1")
    assert load["metric"] == {"host_id": str(APP_1)}
    assert load["values"][:2] == [[1750000020, "0.04"], [1750000080, "0.03"]]
    assert _query(api, "load_1") == [load]
    assert _query(api, "load_1", host=APP_2)[0]["values"] != load["values"]
    (free,) = _query(api, "memory_free")
    assert free["values"][0] == [1750000020, "252322862"]
    (inbound,) = _query(api, "bandwidth", interface="public", direction="inbound")
    assert inbound["metric"] == {
        "direction": "inbound",
        "host_id": str(APP_1),
        "interface": "public",
    }
    assert inbound["values"][0] == [1750000020, "0.026054"]


def test_cpu_counts_seconds_per_mode(api: Api, sandbox: Sandbox) -> None:
    _age(sandbox, APP_1)
    series = _query(api, "cpu")
    modes = [s["metric"]["mode"] for s in series]
    assert modes == ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    assert series[0]["values"][0] == [1750000020, "13286381.02"]
    boot = datetime.fromisoformat(LONG_AGO).timestamp()
    for index, (ts, _) in enumerate(series[0]["values"]):
        total = sum(float(s["values"][index][1]) for s in series)
        assert abs(total - (ts - boot)) < 0.05  # one vCPU: every second is in some mode
    user = [float(v) for _, v in series[-1]["values"]]
    assert user == sorted(user) and user[0] < user[-1]  # counters only grow


def test_memory_and_filesystem_are_bytes(api: Api, sandbox: Sandbox) -> None:
    _age(sandbox, APP_1)
    values = {
        name: [int(v) for _, v in _query(api, name)[0]["values"]]
        for name in ("memory_total", "memory_available", "memory_free", "memory_cached")
    }
    assert set(values["memory_total"]) == {1_030_791_168}  # 96% of 1 GiB
    for total, available, free in zip(
        values["memory_total"], values["memory_available"], values["memory_free"], strict=True
    ):
        assert 0 < free < available < total
    (size,) = _query(api, "filesystem_size")
    assert size["metric"] == {
        "device": "/dev/vda1",
        "fstype": "ext4",
        "mountpoint": "/",
        "host_id": str(APP_1),
    }
    free_disk = [int(v) for _, v in _query(api, "filesystem_free")[0]["values"]]
    assert all(0 < f < int(size["values"][0][1]) for f in free_disk)


def test_the_step_follows_the_window(api: Api, sandbox: Sandbox) -> None:
    _age(sandbox, APP_1)
    for span, step in ((600, 60), (3600, 60), (6 * 3600, 120), (86_400, 300), (7 * 86_400, 2040)):
        (series,) = _query(api, "load_5", start=1_750_000_000, end=1_750_000_000 + span)
        stamps = [ts for ts, _ in series["values"]]
        assert all(ts % step == 0 for ts in stamps)
        assert {b - a for a, b in pairwise(stamps)} == {step}
        assert len(stamps) <= 301


def test_metrics_only_cover_the_droplets_life(api: Api, sandbox: Sandbox) -> None:
    now = int(sandbox.world.epoch())
    created = datetime.fromisoformat(api.get(f"/v2/droplets/{APP_1}").json["droplet"]["created_at"])
    start = int(created.timestamp()) - 3600
    (before,) = _query(api, "load_15", start=start, end=start + 7200)
    assert before["values"][0][0] >= created.timestamp()
    (recent,) = _query(api, "load_15", start=now - 600, end=now + 3600)
    assert recent["values"][-1][0] <= now


def test_no_agent_or_no_droplet_means_no_metrics(api: Api, sandbox: Sandbox) -> None:
    _age(sandbox, APP_1, DB_1)
    assert _query(api, "cpu", host=DB_1) == []  # no monitoring feature
    assert _query(api, "cpu", host=1) == []
    assert _query(api, "memory_free", host=APP_1)  # the agent runs on app-1


def test_metric_parameters_are_checked(api: Api) -> None:
    assert "host_id" in _error(api.get(f"{METRICS}/cpu", query=WINDOW), 400)
    query = {"host_id": str(APP_1), "start": "2", "end": "1"}
    assert "end" in _error(api.get(f"{METRICS}/cpu", query=query), 400)
    query = {"host_id": str(APP_1), **WINDOW, "interface": "public", "direction": "sideways"}
    assert "direction" in _error(api.get(f"{METRICS}/bandwidth", query=query), 400)


# --- alert policies ----------------------------------------------------------------------------


def test_alert_policy_lifecycle(api: Api) -> None:
    seeded = api.get(ALERTS).json
    assert seeded["meta"]["total"] == 1
    made = api.post(ALERTS, POLICY)
    assert made.status == 200
    policy = made.json["policy"]
    assert {k: policy[k] for k in POLICY} == POLICY and len(policy["uuid"]) == 36
    path = f"{ALERTS}/{policy['uuid']}"
    assert api.get(path).json["policy"] == policy
    slack = {"channel": "ops", "url": "https://hooks.slack.com/services/T1/B2/C3"}
    update = {**POLICY, "enabled": False, "alerts": {"email": [], "slack": [slack]}}
    updated = api.put(path, update).json["policy"]
    assert updated["enabled"] is False and updated["alerts"]["slack"] == [slack]
    assert api.get(ALERTS).json["meta"]["total"] == 2
    assert api.delete(path).status == 204
    assert api.get(path).status == 404


def test_alert_emails_must_be_verified(api: Api) -> None:
    body = {**POLICY, "alerts": {"email": ["sammy@example.com", "eve@example.com"], "slack": []}}
    message = _error(api.post(ALERTS, body), 422)
    assert "eve@example.com" in message and "verified" in message
    assert api.get(ALERTS).json["meta"]["total"] == 1  # nothing was created


def test_alert_policies_are_validated(api: Api) -> None:
    assert "entities" in _error(api.post(ALERTS, {**POLICY, "entities": ["42"]}), 422)
    lb_alert = {**POLICY, "type": "v1/insights/lbaas/droplet_health", "entities": [str(APP_1)]}
    assert "load balancer" in _error(api.post(ALERTS, lb_alert), 422)
    assert "window" in _error(api.post(ALERTS, {**POLICY, "window": "15m"}), 422)
    missing = {k: v for k, v in POLICY.items() if k != "enabled"}
    assert "enabled" in _error(api.post(ALERTS, missing), 422)


# --- through pydo ------------------------------------------------------------------------------


def test_pydo_projects_metrics_and_alerts(api: Api, sandbox: Sandbox) -> None:
    policy = AzureKeyCredentialPolicy(AzureKeyCredential(TOKEN), "Authorization", prefix="Bearer")
    client = pydo.Client(
        token=TOKEN, endpoint=sandbox.url, authentication_policy=policy, retry_total=0
    )
    assert client.projects.get_default()["project"]["name"] == "first-project"
    shop = client.projects.create(body=PROJECT)["project"]
    urn = f"do:droplet:{APP_1}"
    assigned = client.projects.assign_resources(project_id=shop["id"], body={"resources": [urn]})
    assert assigned["resources"][0]["status"] == "assigned"
    assert [r["urn"] for r in client.projects.list_resources(shop["id"])["resources"]] == [urn]
    refused = client.projects.delete(shop["id"])  # pydo hands a 412 back as its body
    assert refused["id"] == "precondition_failed"
    with pytest.raises(HttpResponseError) as invalid:
        client.projects.assign_resources(project_id=shop["id"], body={"resources": ["x"]})
    assert invalid.value.status_code == 400
    _age(sandbox, APP_1)
    cpu = client.monitoring.get_droplet_cpu_metrics(host_id=str(APP_1), **WINDOW)
    assert len(cpu["data"]["result"]) == 8
    made = client.monitoring.create_alert_policy(body=POLICY)["policy"]
    assert client.monitoring.get_alert_policy(made["uuid"])["policy"] == made
