"""The projects toolset through MCP clients against the sandbox: the operator's flow (a staging
project, resources assigned by name, their metrics, an alert), names refused before anything is
sent, the default project, and the helpers other tools use for ``project=``."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from cargoshipper.access import DOAccess
from cargoshipper.server import build_server
from cargoshipper.tools import droplets, kubernetes, monitoring, projects, volumes
from cargoshipper.tools.projects import (
    BY_PREFIX,
    assign_to_project,
    parse_ref,
    resolve_project,
    urn,
)
from conftest import TEST_TOKEN, connect, settings_for
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103  # seeded; app-* run the agent
TOOLS = [
    *projects.TOOLSET.tools,
    *monitoring.TOOLSET.tools,
    *droplets.TOOLSET.tools,
    *volumes.TOOLSET.tools,
    *kubernetes.TOOLSET.tools,
]
DROPLET = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", wait=False)
ACCOUNT_EMAIL = "sammy@example.com"  # the seeded account's verified email


@contextlib.asynccontextmanager
async def serve(sandbox, era: str = "auto", elicitation=None, **settings) -> AsyncIterator[Client]:
    """A client on a server with these toolsets (built from the modules: no registration)."""
    settings.setdefault("confirm", "never")
    server = build_server(settings_for(sandbox.url, **settings), tools=TOOLS)
    async with Client(server, mode=era, elicitation_callback=elicitation) as connected:
        yield connected


@pytest.fixture
async def client(sandbox, era) -> AsyncIterator[Client]:
    async with serve(sandbox, era) as connected:
        yield connected


def writes(sandbox, since: int = 0) -> list[tuple[str, str, str]]:
    return [r for r in sandbox.world.requests[since:] if r[0] != "GET"]


def api(sandbox, method: str, path: str, body: Any = None) -> Any:
    """A request straight to the sandbox (setting the scene, not through CargoShipper)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{sandbox.url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {TEST_TOKEN}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
    return json.loads(text) if text else None


# -- the operator's flow ---------------------------------------------------------------------


async def test_the_operators_flow(client, sandbox, sent):
    # a staging project
    project = (await call_ok(client, "project_create", name="staging", environment="Staging"))[
        "item"
    ]
    assert project["environment"] == "Staging" and project["purpose"] == "Web Application"

    # a new droplet and a volume, created straight into it (project=staging)
    made = await call_ok(
        client, "droplet_create", name="web-1", monitoring=True, project="staging", **DROPLET
    )
    assert made["message"].endswith("Assigned to project staging.")
    droplet_id = made["resources"][0]["id"]
    volume_made = await call_ok(
        client,
        "volume_create",
        name="app-data",
        region="nyc3",
        size_gigabytes=10,
        project="staging",
    )
    assert volume_made["message"].endswith("Assigned to project staging.")
    volume = volume_made["resources"][0]
    assigned = [body for op, body in sent if op == "projects.assign_resources"]
    assert assigned == [
        {"project_id": project["id"], "body": {"resources": [f"do:droplet:{droplet_id}"]}},
        {"project_id": project["id"], "body": {"resources": [f"do:volume:{volume['id']}"]}},
    ]

    # and moving one by name
    result = await client.call_tool(
        "project_assign", {"project": "default", "resources": ["volume:app-data"]}
    )
    assert result.content[0].text.startswith("Assigned to project first-project: volume app-data")
    await call_ok(client, "project_assign", project="staging", resources=["volume:app-data"])

    # its resources, by name
    got = (await call_ok(client, "project_get", project="staging"))["item"]
    assert got["resources"] == {
        "droplet": [{"id": str(droplet_id), "name": "web-1"}],
        "volume": [{"id": volume["id"], "name": "app-data"}],
    }
    assert got["resource_counts"] == {"droplet": 1, "volume": 1}
    resources, *lists = [op for op, _ in sent[-3:]]  # then one list per kind present
    assert resources == "projects.list_resources"
    assert sorted(lists) == ["droplets.list", "volumes.list"]
    assert not [op for op, _ in sent if op in ("droplets.get", "volumes.get")]

    # how app-1 is doing over the last 6 hours (web-1 is too new to say much)
    item = (
        await call_ok(
            client, "droplet_metrics", droplets=["app-1"], metrics=["cpu", "memory"], start="6h"
        )
    )["item"]
    assert item["droplet"] == {"id": APP_1, "name": "app-1"}
    for stats in (item["cpu"]["used_percent"], item["memory"]["used_percent"]):
        assert 0 <= stats["min"] <= stats["mean"] <= stats["max"] <= 100
        assert 0 < len(stats["series"]) <= 30
    assert item["memory"]["used_bytes"]["max"] <= item["memory"]["total_bytes"]

    # a droplet without the agent says how to fix it
    quiet = await client.call_tool("droplet_metrics", {"droplets": [DB_1]})
    assert not quiet.is_error
    assert "repos.insights.digitalocean.com/install.sh | sudo bash" in quiet.content[0].text
    assert quiet.structured_content["item"]["reporting"] is False

    # an alert: CPU > 80 % for 5 minutes on the web droplets, to the account's email
    created = (
        await call_ok(
            client,
            "alert_policy_set",
            type="cpu",
            value=80,
            window="5m",
            tags=["web"],
            emails=[ACCOUNT_EMAIL],
        )
    )["item"]
    assert created["rule"] == "cpu > 80% for 5m" and created["tags"] == ["web"]

    # only its threshold changes; everything else is sent back as it was
    before = api(sandbox, "GET", f"/v2/monitoring/alerts/{created['uuid']}")["policy"]
    await call_ok(client, "alert_policy_set", alert_uuid=created["uuid"], value=90)
    (put,) = [p for op, p in sent if op == "monitoring.update_alert_policy"]
    expected = {k: v for k, v in before.items() if k != "uuid"} | {"value": 90}
    assert put == {"alert_uuid": created["uuid"], "body": expected}

    # an email that is not the account's verified one: refused, nothing sent
    posts = sandbox.world.count("POST", "/v2/monitoring/alerts")
    error = await call_error(
        client, "alert_policy_set", type="cpu", value=80, emails=["ops@elsewhere.example"]
    )
    assert "ops@elsewhere.example cannot receive alerts" in error and ACCOUNT_EMAIL in error
    assert sandbox.world.count("POST", "/v2/monitoring/alerts") == posts

    # the project holds resources: not deleted, and they are named
    error = await call_error(client, "project_delete", project="staging")
    assert "still holds 2 resource(s)" in error
    assert f"droplet web-1 ({droplet_id})" in error and "volume app-data (" in error
    assert sandbox.world.count("DELETE", f"/v2/projects/{project['id']}") == 0


# -- naming resources ------------------------------------------------------------------------


async def test_unknown_and_ambiguous_names_are_refused_before_sending(client, sandbox):
    for _ in range(2):  # two droplets named twin
        await call_ok(client, "droplet_create", name="twin", allow_duplicate_name=True, **DROPLET)
    await call_ok(client, "project_create", name="staging")
    since = len(sandbox.world.requests)
    error = await call_error(
        client,
        "project_assign",
        project="staging",
        resources=["droplet:app-1", "droplet:twin", "volume:nope", "lb:missing", "domain:x.org"],
    )
    assert error.startswith("Error executing tool project_assign: Nothing was assigned.")
    assert "droplet:twin is ambiguous: twin (" in error and "use droplet:<id>" in error
    assert "volume:nope: no volume has that name or id" in error
    assert "lb:missing: no load balancer" in error and "domain:x.org: no domain" in error
    assert "app-1" not in error  # the one that is fine is not named
    assert writes(sandbox, since) == []


async def test_malformed_references_are_refused_without_any_request(client, sandbox):
    await call_ok(client, "project_create", name="staging")
    since = len(sandbox.world.requests)
    error = await call_error(
        client, "project_assign", project="staging", resources=["web-1", "disk:x", "space:A_B"]
    )
    assert "'web-1': write kind:name-or-id" in error and "'disk:x'" in error
    assert "bucket name" in error
    assert [r for r in sandbox.world.requests[since:] if "/resources" in r[1]] == []


async def test_ids_names_urns_and_every_listed_kind_resolve(client, sandbox, sent):
    await call_ok(client, "project_create", name="everything")
    refs = [
        f"droplet:{APP_2}",
        "droplets:APP-1",  # a plural and a name that differs only in case
        "volume:scratch",
        "domain:example.net",
        f"do:droplet:{DB_1}",
    ]
    item = (await call_ok(client, "project_assign", project="everything", resources=refs))["item"]
    assert [(r["kind"], r.get("name", r["id"])) for r in item["assigned"]] == [
        ("droplet", "app-2"),
        ("droplet", "app-1"),
        ("volume", "scratch"),
        ("domain", "example.net"),
        ("droplet", "db-1"),
    ]
    lists = [op for op, _ in sent if op.endswith(".list")]
    assert sorted(set(lists)) == ["domains.list", "droplets.list", "projects.list", "volumes.list"]
    assert lists.count("droplets.list") == 1  # one list per kind, whatever the references


async def test_the_default_project_lists_what_is_in_it_by_kind(client):
    got = (await call_ok(client, "project_get", project="default"))["item"]
    assert got["is_default"] is True
    resources = got["resources"]
    assert {"id": str(APP_1), "name": "app-1"} in resources["droplet"]
    assert {"id": "example.com"} in resources["domain"]
    assert {r["name"] for r in resources["volume"]} >= {"app-1-data", "scratch"}
    assert [r["name"] for r in resources["k8s"]] == ["prod-cluster"]


async def test_the_default_project_is_not_deleted(client, sandbox):
    error = await call_error(client, "project_delete", project="default")
    assert "is the default project" in error and "Nothing was deleted" in error
    assert [r for r in writes(sandbox) if r[0] == "DELETE"] == []


# -- create, update, delete ------------------------------------------------------------------


async def test_create_update_keeps_the_rest_and_delete_an_empty_project(client, sandbox, sent):
    made = (
        await call_ok(
            client,
            "project_create",
            name="billing",
            purpose="Service or API",
            description="invoices",
            environment="Production",
        )
    )["item"]
    result = await client.call_tool("project_update", {"project": "BILLING", "description": ""})
    assert not result.is_error, result.content[0].text
    assert "description: 'invoices' -> ''" in result.content[0].text
    (patch,) = [p for op, p in sent if op == "projects.patch"]
    assert patch == {"project_id": made["id"], "body": {"description": ""}}
    kept = result.structured_content["item"]
    assert (kept["environment"], kept["purpose"]) == ("Production", "Service or API")
    deleted = await call_ok(client, "project_delete", project=made["id"])
    assert deleted["item"] == {"id": made["id"], "name": "billing", "deleted": True}
    assert "billing" not in {p["name"] for p in (await call_ok(client, "project_list"))["items"]}


async def test_a_taken_name_is_refused_before_sending(client, sandbox):
    await call_ok(client, "project_create", name="staging")
    error = await call_error(client, "project_create", name="Staging")
    assert "already exists" in error
    assert sandbox.world.count("POST", "/v2/projects") == 1
    other = (await call_ok(client, "project_create", name="other"))["item"]
    error = await call_error(client, "project_update", project=other["id"], name="staging")
    assert "already exists" in error
    assert [r for r in writes(sandbox) if r[0] == "PATCH"] == []


async def test_making_a_project_the_default(client):
    await call_ok(client, "project_create", name="main")
    await call_ok(client, "project_update", project="main", is_default=True)
    assert (await call_ok(client, "project_get", project="default"))["item"]["name"] == "main"
    error = await call_error(client, "project_update", project="main", is_default=False)
    assert "is_default=true on that one" in error


async def test_unknown_projects_are_named(client, sandbox):
    error = await call_error(client, "project_get", project="nope")
    assert "No project named 'nope'" in error and "first-project" in error
    error = await call_error(client, "project_get", project="00000000-0000-4000-8000-000000000000")
    assert "No project has the id" in error
    for hostile in ("../account?x=", "a\r\nb"):
        assert "project" in await call_error(client, "project_delete", project=hostile)
    assert [r for r in writes(sandbox) if r[0] == "DELETE"] == []


async def test_deleting_a_project_asks_first(sandbox):
    dialog = Dialog("accept")
    async with serve(sandbox, "auto", dialog, confirm="auto") as client:
        made = (await call_ok(client, "project_create", name="temp"))["item"]
        await call_ok(client, "project_delete", project="temp")
    assert dialog.questions == [f"Delete 1 project: temp ({made['id']}). It is empty. Approve?"]


# -- the helpers for project= on create tools --------------------------------------------------


async def test_helpers_for_other_tools(sandbox):
    from cargoshipper.trust import Policy

    settings = settings_for(sandbox.url)
    do = DOAccess(settings, Policy(settings).admit)
    api(sandbox, "POST", "/v2/projects", {"name": "staging", "purpose": "IoT"})
    staging = await resolve_project(do, "staging")
    assert staging["name"] == "staging"
    assert (await resolve_project(do, "default"))["is_default"] is True
    assert await resolve_project(do, staging) is staging  # already found: no request
    phrase = await assign_to_project(do, "staging", [urn("droplet", APP_1)])
    assert phrase == "assigned to project staging"
    urns = {
        r["urn"]
        for r in api(sandbox, "GET", f"/v2/projects/{staging['id']}/resources")["resources"]
    }
    assert urns == {f"do:droplet:{APP_1}"}
    with pytest.raises(ToolError, match="No project named 'prod'"):
        await assign_to_project(do, "prod", [urn("droplet", APP_1)])


def test_urns_and_references():
    assert urn("droplet", 3164444) == "do:droplet:3164444"
    assert urn("lb", "x") == "do:loadbalancer:x" and urn("k8s", "y") == "do:kubernetes:y"
    assert (
        urn("db", "z") == "do:dbaas:z" and urn("ip", "203.0.113.7") == "do:floatingip:203.0.113.7"
    )
    assert urn("space", "assets") == "do:space:assets"
    assert parse_ref("lb:edge") == (BY_PREFIX["lb"], "edge")
    assert parse_ref("do:reservedip:203.0.113.7") == (BY_PREFIX["ip"], "203.0.113.7")
    assert parse_ref(" Kubernetes : prod ") == (BY_PREFIX["k8s"], "prod")
    for bad in ("web-1", "x:y", "droplet:", "do:bucket:x", "space:UPPER"):
        with pytest.raises(ValueError):
            parse_ref(bad)
    with pytest.raises(ValueError):
        urn("disk", 1)


async def test_a_failed_look_up_is_reported_and_nothing_is_assigned(client, sandbox):
    from cargoshipper.sandbox._faults import Fault

    await call_ok(client, "project_create", name="staging")
    sandbox.world.faults.add(Fault(method="GET", path="/v2/volumes", status=403))
    since = len(sandbox.world.requests)
    error = await call_error(
        client, "project_assign", project="staging", resources=["droplet:app-1", "volume:scratch"]
    )
    assert "403" in error and "Error executing tool project_assign: " in error
    assert writes(sandbox, since) == []
    # naming a project's resources does without a list it cannot read: ids only
    await call_ok(client, "project_assign", project="staging", resources=["volume:app-1-data"])
    sandbox.world.faults.add(Fault(method="GET", path="/v2/volumes", status=403))
    got = (await call_ok(client, "project_get", project="staging"))["item"]
    assert got["resources"] == {"volume": [{"id": "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101"}]}


async def test_an_unknown_project_on_a_create_is_refused_before_anything_is_created(
    client, sandbox
):
    error = await call_error(client, "droplet_create", name="web-9", project="nope", **DROPLET)
    assert "nope" in error and "project" in error
    assert sandbox.world.count("POST", "/v2/droplets") == 0


async def test_a_cluster_created_with_a_project_goes_there(client, sandbox):
    await call_ok(client, "project_create", name="platform")
    made = await call_ok(
        client,
        "kubernetes_cluster_create",
        name="k-1",
        region="nyc3",
        node_pools=[{"name": "p", "size": "s-2vcpu-4gb", "count": 1}],
        project="platform",
        wait=False,
    )
    assert made["message"].endswith("Assigned to project platform.")
    got = (await call_ok(client, "project_get", project="platform"))["item"]
    assert got["resources"]["k8s"] == [{"id": made["resources"][0]["id"], "name": "k-1"}]


UNKNOWN_PROJECT_CREATES = {
    "droplet_create": dict(name="p-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64"),
    "volume_create": dict(name="p-data", region="nyc3", size_gigabytes=10),
    "kubernetes_cluster_create": dict(
        name="p-k8s", region="nyc3", node_pools=[{"name": "w", "size": "s-2vcpu-4gb", "count": 1}]
    ),
    "load_balancer_set": dict(
        name="p-lb",
        region="nyc3",
        forwarding_rules=[
            {
                "entry_protocol": "http",
                "entry_port": 80,
                "target_protocol": "http",
                "target_port": 80,
            }
        ],
    ),
    "database_cluster_create": dict(name="p-db", engine="pg", region="nyc3", size="db-s-1vcpu-2gb"),
}


@pytest.mark.parametrize("tool", UNKNOWN_PROJECT_CREATES)
async def test_a_create_into_an_unknown_project_is_refused_before_anyone_is_asked(sandbox, tool):
    """A typo in project= costs nobody an approval, and nothing is created."""
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, toolsets=("all",)) as client:
        error = await call_error(client, tool, **UNKNOWN_PROJECT_CREATES[tool], project="stagign")
    assert "stagign" in error and dialog.questions == [], (error, dialog.questions)
    assert writes(sandbox) == []
