"""One policy where every request passes: the second paths to the same operation (api_call,
by tag, untag first, other spellings) meet the same rule as the curated tools."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest
from mcp import Client

from cargoshipper.access import DOAccess, Refused
from cargoshipper.operations import operations
from cargoshipper.registry import Access, ToolSpec
from cargoshipper.server import build_server
from cargoshipper.tools.droplets import droplet_delete, plan_delete
from cargoshipper.trust import Guard, Plan, Policy, operation_classes
from conftest import connect, settings_for
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1 = 501_000_101  # seeded droplet app-1, tagged web
SNAPSHOT = 171_000_011  # seeded droplet snapshot of app-1
APP_DATA = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101"  # seeded volume attached to app-1
WWW = 38_000_006  # seeded A record www.example.com


def changes(sandbox) -> list[tuple[str, str, str]]:
    """Every request that could change something (anything but a GET)."""
    return [r for r in sandbox.world.requests if r[0] != "GET"]


def cluster(sandbox):
    (record,) = sandbox.world.table("kubernetes").values()
    return record


def protect(resource) -> None:
    resource.tags.append("protected")


# -- the table -------------------------------------------------------------------------------


def test_every_operation_has_a_class_and_the_table_is_current():
    assert set(operation_classes()) == set(operations())
    assert set(operation_classes().values()) <= {"read", "write", "spend", "destroy"}
    done = subprocess.run(
        [sys.executable, "scripts/build_operation_classes.py", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_what_the_policy_does_not_know_is_destructive():
    policy = Policy(settings_for("http://127.0.0.1:9"))
    assert policy.classify("made_up.operation", {})[0] == "destroy"
    assert policy.classify("droplet_actions.post", {"body": {"type": "warp"}})[0] == "destroy"
    assert policy.classify("droplet_actions.post", {"body": {}})[0] == "destroy"


@pytest.mark.parametrize("spelling", ["rebuild", "Rebuild", " rebuild", "REBUILD\n"])
def test_action_types_are_classed_whatever_their_case_and_spacing(spelling):
    policy = Policy(settings_for("http://127.0.0.1:9"))
    body = {"type": spelling, "image": "debian-12-x64"}
    assert policy.classify("droplet_actions.post", {"droplet_id": 1, "body": body})[:1] == (
        "destroy",
    )


# -- api_call asks for what the curated tools ask for ----------------------------------------


def api_paths(sandbox) -> dict[str, dict]:
    pool = cluster(sandbox).pools[0]
    return {
        "volume detach (POST)": {
            "operation": "volume_actions.post_by_id",
            "path_params": {"volume_id": APP_DATA},
            "body": {"type": "detach", "droplet_id": APP_1, "region": "nyc3"},
        },
        "kubernetes upgrade (POST)": {
            "operation": "kubernetes.upgrade_cluster",
            "path_params": {"cluster_id": cluster(sandbox).id},
            "body": {"version": "1.33.1-do.0"},
        },
        "node pool shrink (PUT)": {
            "operation": "kubernetes.update_node_pool",
            "path_params": {"cluster_id": cluster(sandbox).id, "node_pool_id": pool.id},
            "body": {"name": pool.name, "count": 1},
        },
        "Rebuild, capitalised": {
            "operation": "droplet_actions.post",
            "path_params": {"droplet_id": APP_1},
            "body": {"type": "Rebuild", "image": "debian-12-x64"},
        },
        "rebuild with a space": {
            "operation": "droplet_actions.post",
            "path_params": {"droplet_id": APP_1},
            "body": {"type": " rebuild", "image": "debian-12-x64"},
        },
        "password reset": {
            "operation": "droplet_actions.post",
            "path_params": {"droplet_id": APP_1},
            "body": {"type": "password_reset"},
        },
        "rewrite the www record": {
            "operation": "domains.patch_record",
            "path_params": {"domain_name": "example.com", "domain_record_id": WWW},
            "body": {"type": "A", "data": "198.51.100.66"},
        },
        "snapshot by tag": {
            "operation": "droplet_actions.post_by_tag",
            "query": {"tag_name": "web"},
            "body": {"type": "snapshot", "name": "everything"},
        },
        "a droplet create": {
            "operation": "droplets.create",
            "body": {"name": "x-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": 1},
        },
        "a volume create": {
            "operation": "volumes.create",
            "body": {"name": "big", "region": "nyc3", "size_gigabytes": 100},
        },
    }


@pytest.mark.parametrize(
    "path",
    [
        "volume detach (POST)",
        "kubernetes upgrade (POST)",
        "node pool shrink (PUT)",
        "Rebuild, capitalised",
        "rebuild with a space",
        "password reset",
        "rewrite the www record",
        "snapshot by tag",
        "a droplet create",
        "a volume create",
    ],
)
async def test_api_call_asks_and_a_no_sends_nothing(sandbox, era, path):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("all",)) as client:
        result = await call_ok(client, "api_call", **api_paths(sandbox)[path])
    assert len(dialog.questions) == 1, dialog.questions
    assert result["approval"]["status"] == "denied"
    assert changes(sandbox) == []


async def test_api_call_with_a_yes_sends_exactly_that_request_once(sandbox):
    dialog = Dialog("accept")
    arguments = api_paths(sandbox)["rewrite the www record"]
    async with connect(sandbox, "auto", dialog) as client:
        await call_ok(client, "api_call", **arguments)
    assert [(m, p) for m, p, _ in changes(sandbox)] == [
        ("PATCH", f"/v2/domains/example.com/records/{WWW}")
    ]


async def test_spending_shows_the_cost_in_the_question(sandbox):
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog) as client:
        await call_ok(client, "api_call", **api_paths(sandbox)["a volume create"])
        await call_ok(client, "api_call", **api_paths(sandbox)["snapshot by tag"])
    assert "+$10.00/month" in dialog.questions[0]
    assert "snapshot of app-1" in dialog.questions[1] and "snapshot of app-2" in dialog.questions[1]


# -- protection: refused on every path, whoever confirms --------------------------------------


UNTAG = {
    "operation": "tags.unassign_resources",
    "path_params": {"tag_id": "protected"},
    "body": {"resources": [{"resource_id": str(APP_1), "resource_type": "droplet"}]},
}


async def test_protection_cannot_be_taken_off_by_the_agent(sandbox):
    protect(sandbox.world.droplets[APP_1])
    delete_tag = {"operation": "tags.delete", "path_params": {"tag_id": "protected"}}
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        for arguments in (UNTAG, delete_tag):
            error = await call_error(client, "api_call", **arguments)
            assert "only a person can" in error
        then = await call_error(
            client, "api_call", operation="droplets.destroy", path_params={"droplet_id": APP_1}
        )
        assert "is tagged 'protected'" in then
    assert changes(sandbox) == [] and "protected" in sandbox.world.droplets[APP_1].tags


async def test_a_dialog_cannot_take_protection_off_only_the_page_can(sandbox):
    protect(sandbox.world.droplets[APP_1])
    sandbox.world.ensure_tag("protected")
    dialog = Dialog("accept")
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.2))
    async with Client(server, elicitation_callback=dialog) as client:
        pending = await call_ok(client, "api_call", **UNTAG)
        # no yes/no dialog (an agent's host may auto-accept those): only the page's link
        assert all("Open CargoShipper's approval page" in q for q in dialog.questions)
        assert pending["approval"]["status"] == "pending" and changes(sandbox) == []
        item = await server.guard.approvals.get(pending["approval"]["id"])
        with pytest.raises(PermissionError):
            await server.guard.approvals.decide(item.id, True, "dialog")
        await server.guard.approvals.decide(item.id, True, "page")  # a person, on the page
        await call_ok(client, "api_call", **UNTAG)
    assert "protected" not in sandbox.world.droplets[APP_1].tags


async def test_the_protected_tag_is_matched_whatever_its_case(sandbox):
    sandbox.world.droplets[APP_1].tags.append("Protected")
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        error = await call_error(client, "droplet_delete", droplet_id=APP_1)
    assert "protected" in error and changes(sandbox) == []


async def test_a_protected_snapshot_cannot_be_deleted_through_the_snapshots_api(sandbox):
    protect(sandbox.world.images[SNAPSHOT])
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        error = await call_error(
            client, "api_call", operation="snapshots.delete", path_params={"snapshot_id": SNAPSHOT}
        )
    assert "snapshot app-1-before-upgrade" in error and "protected" in error
    assert changes(sandbox) == [] and SNAPSHOT in sandbox.world.images


async def test_a_protected_volume_cannot_be_detached_or_deleted_with_its_droplet(sandbox):
    protect(sandbox.world.table("volumes")[APP_DATA])
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        detach = await call_error(client, "api_call", **api_paths(sandbox)["volume detach (POST)"])
        with_droplet = await call_error(
            client,
            "api_call",
            operation="droplets.destroy_with_associated_resources_selective",
            path_params={"droplet_id": APP_1},
            body={"volumes": [APP_DATA]},
        )
        with_cluster = await call_error(
            client,
            "api_call",
            operation="kubernetes.destroy_associated_resources_selective",
            path_params={"cluster_id": cluster(sandbox).id},
            body={"volumes": [APP_DATA]},
        )
    assert "protected" in detach and "protected" in with_droplet and "protected" in with_cluster
    assert changes(sandbox) == []


async def test_a_protected_volume_cannot_be_deleted_by_name(sandbox):
    volume = sandbox.world.table("volumes")["1f6a3b2c-7d84-11ef-9c1a-0a58ac14d102"]  # scratch
    protect(volume)
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        error = await call_error(
            client,
            "api_call",
            operation="volumes.delete_by_name",
            query={"name": "scratch", "region": "nyc3"},
        )
    assert "volume scratch" in error and "protected" in error and changes(sandbox) == []


async def test_a_protected_clusters_tags_cannot_be_rewritten_without_the_tag(sandbox):
    protect(cluster(sandbox))
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        error = await call_error(
            client,
            "api_call",
            operation="kubernetes.update_cluster",
            path_params={"cluster_id": cluster(sandbox).id},
            body={"name": "prod-cluster", "tags": ["production"]},
        )
    assert "only a person can" in error and changes(sandbox) == []


async def test_a_protected_pool_cannot_shrink_even_through_api_call(sandbox):
    protect(cluster(sandbox))
    async with connect(sandbox, "auto", Dialog("accept"), confirm="never") as client:
        error = await call_error(client, "api_call", **api_paths(sandbox)["node pool shrink (PUT)"])
    assert "protected" in error and changes(sandbox) == []


# -- bulk and cost, on every path --------------------------------------------------------------


async def test_a_snapshot_by_tag_obeys_the_bulk_limit(sandbox):
    async with connect(sandbox, "auto", None, confirm="never", bulk_limit=1) as client:
        error = await call_error(client, "api_call", **api_paths(sandbox)["snapshot by tag"])
    assert "2 resources, over the limit of 1" in error and changes(sandbox) == []


@pytest.mark.parametrize(
    ("operation", "path_params", "body", "expected"),
    [
        (
            "kubernetes.create_cluster",
            {},
            {
                "name": "huge",
                "region": "nyc3",
                "version": "1.33.1-do.0",
                "node_pools": [{"name": "p", "size": "s-8vcpu-16gb", "count": 10}],
            },
            "$960.00/month",
        ),
        ("volumes.create", {}, {"name": "v", "region": "nyc3", "size_gigabytes": 16384}, "$1638"),
        (
            "droplet_actions.post",
            {"droplet_id": APP_1},
            {"type": "resize", "size": "s-8vcpu-16gb"},
            "/month",
        ),
        ("reserved_ips.create", {}, {"region": "nyc3"}, "$5.00/month"),
        ("apps.create", {}, {"spec": {"name": "app"}}, "does not know"),
    ],
)
async def test_the_cost_limit_holds_on_every_path(sandbox, operation, path_params, body, expected):
    async with connect(sandbox, "auto", None, confirm="never", max_monthly_cost=4) as client:
        error = await call_error(
            client, "api_call", operation=operation, path_params=path_params, body=body
        )
    assert "--max-monthly-cost" in error and expected in error
    assert changes(sandbox) == []


# -- the access layer refuses what no approval covers ----------------------------------------


async def test_a_request_no_approval_covers_is_refused_at_the_access_layer(sandbox):
    settings = settings_for(sandbox.url, confirm="auto")
    access = DOAccess(settings)
    with pytest.raises(Refused, match="no approval covers"):
        await Guard(settings, access).access.call("droplets.destroy", droplet_id=APP_1)
    with pytest.raises(Refused, match="not a read"):
        await DOAccess(settings).call("droplets.destroy", droplet_id=APP_1)  # no policy at all
    assert changes(sandbox) == []


async def test_a_tool_whose_plan_forgets_a_request_cannot_send_it(sandbox):
    async def forgetful_plan(do, **arguments) -> Plan:
        plan = await plan_delete(do, **arguments)
        return Plan(plan.action, plan.effect, plan.targets)  # the request left out

    @functools.wraps(droplet_delete)
    async def forgetful_delete(*args, **kwargs):
        return await droplet_delete(*args, **kwargs)

    forgetful_delete.__name__ = "forgetful_delete"
    spec = ToolSpec(forgetful_delete, "droplets", Access.DESTRUCTIVE, True, plan=forgetful_plan)
    server = build_server(settings_for(sandbox.url, confirm="auto"), tools=[spec])
    async with Client(server, elicitation_callback=Dialog("accept")) as client:
        error = await call_error(client, "forgetful_delete", droplet_id=APP_1)
    assert "no approval covers" in error and changes(sandbox) == []


# -- the network edge: cutting access or traffic asks, keeping it does not --------------------

SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["203.0.113.0/24"]}}
WEB = {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}
OUT = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
HTTP = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}


async def _api(client, operation: str, **arguments) -> dict:
    return (await call_ok(client, "api_call", operation=operation, **arguments))["body"] or {}


async def test_a_firewall_put_asks_only_when_it_removes_inbound_access(sandbox):
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog) as client:
        body = {"name": "edge", "inbound_rules": [SSH, WEB], "outbound_rules": [OUT]}
        firewall = (await _api(client, "firewalls.create", body=body))["firewall"]
        where = {"firewall_id": firewall["id"]}
        renamed = {**body, "name": "edge-2"}
        await _api(client, "firewalls.update", path_params=where, body=renamed)
        assert dialog.questions == []  # same rules, same droplets: a write
        await _api(
            client, "firewalls.delete_rules", path_params=where, body={"outbound_rules": [OUT]}
        )
        assert dialog.questions == []  # outbound only
        without_ssh = {**renamed, "inbound_rules": [WEB]}
        await _api(client, "firewalls.update", path_params=where, body=without_ssh)
        assert len(dialog.questions) == 1  # the SSH rule goes
        await _api(
            client, "firewalls.update", path_params=where, body={**without_ssh, "tags": ["web"]}
        )
        assert len(dialog.questions) == 2  # now applies to droplets tagged web


async def test_a_load_balancer_put_asks_only_when_it_cuts_traffic_or_spends(sandbox):
    dialog = Dialog("accept")
    rule = HTTP
    other = {**rule, "entry_port": 8080, "target_port": 8080}
    async with connect(sandbox, "auto", dialog) as client:
        body = {"name": "lb-1", "region": "nyc3", "forwarding_rules": [rule, other], "tag": "web"}
        lb = (await _api(client, "load_balancers.create", body=body))["load_balancer"]
        assert len(dialog.questions) == 1  # it spends
        where = {"lb_id": lb["id"]}
        await _api(
            client,
            "load_balancers.update",
            path_params=where,
            body={**body, "algorithm": "least_connections"},
        )
        assert len(dialog.questions) == 1  # rules and backends kept
        await _api(
            client, "load_balancers.update", path_params=where, body={**body, "size_unit": 3}
        )
        assert len(dialog.questions) == 2 and "+$24.00/month" in dialog.questions[-1]
        await _api(
            client,
            "load_balancers.update",
            path_params=where,
            body={**body, "forwarding_rules": [rule]},
        )
        assert len(dialog.questions) == 3  # the 8080 rule goes


async def test_a_load_balancer_size_slug_is_priced_by_its_nodes(sandbox):
    body = {"name": "lb-1", "region": "nyc3", "forwarding_rules": [HTTP], "tag": "web"}
    async with connect(sandbox, "auto", Dialog("accept"), max_monthly_cost=20) as client:
        error = await call_error(
            client,
            "api_call",
            operation="load_balancers.create",
            body={**body, "size": "lb-medium"},
        )
        assert "$36.00/month" in error and "3 load balancer node(s)" in error
        assert "--max-monthly-cost" in error and changes(sandbox) == []
        small = {**body, "size": "lb-small"}  # 1 node, $12: within the limit
        lb = (await _api(client, "load_balancers.create", body=small))["load_balancer"]
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog) as client:
        where = {"lb_id": lb["id"]}
        medium = {**body, "size": "lb-medium"}
        await _api(client, "load_balancers.update", path_params=where, body=medium)
    (question,) = dialog.questions  # rules and backends kept, but it grows: it spends
    assert "+$24.00/month" in question and "1 -> 3 load balancer nodes" in question


async def test_a_firewall_put_counts_only_the_droplets_it_adds_or_removes(sandbox):
    droplets = [501_000_101, 501_000_102, 501_000_103]
    body = {"name": "wide", "inbound_rules": [SSH], "droplet_ids": droplets}
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog) as client:
        firewall = (await _api(client, "firewalls.create", body=body))["firewall"]
    assert len(dialog.questions) == 1  # applying a firewall to droplets asks
    where = {"firewall_id": firewall["id"]}
    async with connect(sandbox, "auto", Dialog("accept"), bulk_limit=2) as client:
        renamed = await _api(
            client, "firewalls.update", path_params=where, body={**body, "name": "wide-2"}
        )
        assert renamed["firewall"]["name"] == "wide-2"  # 3 droplets carried back, 0 changed
        error = await call_error(
            client,
            "api_call",
            operation="firewalls.update",
            path_params=where,
            body={**body, "droplet_ids": []},
        )
    assert "would touch 3 resources" in error and "--bulk-limit" in error


async def test_raising_a_pool_ceiling_spends_and_obeys_the_cost_limit(sandbox):
    pools = [{"name": "p", "size": "s-2vcpu-4gb", "count": 1}]
    async with connect(sandbox, confirm="never", toolsets=("all",)) as client:
        await call_ok(
            client,
            "kubernetes_cluster_create",
            name="c-1",
            region="nyc3",
            node_pools=pools,
            wait=False,
        )
    record = next(c for c in sandbox.world.table("kubernetes").values() if c.name == "c-1")
    protect(record)  # a protected cluster's pools may still change (their tags are their own)
    where = {"cluster_id": record.id, "node_pool_id": record.pools[0].id}
    body = {"name": "p", "count": 1, "auto_scale": True, "min_nodes": 1, "max_nodes": 6}
    async with connect(sandbox, "auto", Dialog("accept"), max_monthly_cost=50) as client:
        error = await call_error(
            client,
            "api_call",
            operation="kubernetes.update_node_pool",
            path_params=where,
            body=body,
        )
        assert "$120.00/month" in error and "--max-monthly-cost" in error  # 5 more nodes x $24
        await _api(
            client, "kubernetes.update_node_pool", path_params=where, body={**body, "max_nodes": 2}
        )  # +$24: within the limit
