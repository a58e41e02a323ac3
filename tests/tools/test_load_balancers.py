"""Load balancers end to end: list, get, create (waiting until active, with its cost), change by
merging, delete, and the trust rules for them — through MCP clients against the sandbox, whose
PUT replaces the whole object like DigitalOcean's."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client

from cargoshipper.access import DOAccess
from cargoshipper.sandbox import Sandbox
from conftest import connect
from helpers import Dialog, call_error, call_ok, off_template

pytestmark = pytest.mark.anyio

CERT = "892071a0-bb95-49bc-8021-3afd67a210bf"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103  # seeded; app-1 and app-2: web
HTTPS = {
    "entry_protocol": "https",
    "entry_port": 443,
    "target_protocol": "http",
    "target_port": 80,
    "certificate_id": CERT,
}
HTTP = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}
HEALTH = {"protocol": "http", "port": 80, "path": "/healthz"}
NEW = {"name": "web-lb", "region": "nyc3", "forwarding_rules": [HTTPS]}
TOOLS = ["load_balancer_list", "load_balancer_get", "load_balancer_set", "load_balancer_delete"]


# -- helpers ---------------------------------------------------------------------------------


def api(sandbox: Sandbox, method: str, path: str, body: dict | None = None) -> Any:
    """A request straight to the sandbox's API (what DigitalOcean would store and show)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sandbox.url + path, data=data, method=method)
    request.add_header("Authorization", "Bearer dop_v1_test")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def seed_lb(sandbox: Sandbox, **body: Any) -> str:
    """A load balancer made through the API (not the tool), active, its requests forgotten."""
    body = {**NEW, "name": "seeded-lb", "tag": "web", **body}
    created = api(sandbox, "POST", "/v2/load_balancers", body)["load_balancer"]
    time.sleep(sandbox.world.config.boot_seconds + 0.05)
    sandbox.world._requests.clear()  # the tests count what the tools send
    return created["id"]


def stored(sandbox: Sandbox, lb_id: str) -> dict[str, Any]:
    return api(sandbox, "GET", f"/v2/load_balancers/{lb_id}")["load_balancer"]


def sent_to(sandbox: Sandbox, method: str) -> list[str]:
    return [path for m, path, _ in sandbox.world.requests if m == method]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every (operation, params) the access layer hands pydo: the exact bodies sent."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = DOAccess._call_sync

    def spy(self: DOAccess, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, copy.deepcopy(params)))
        return original(self, operation, params)

    monkeypatch.setattr(DOAccess, "_call_sync", spy)
    return calls


def bodies(sent: list[tuple[str, dict[str, Any]]], operation: str) -> list[dict[str, Any]]:
    return [params["body"] for op, params in sent if op == operation]


@pytest.fixture
async def lbs(sandbox: Sandbox, era: str) -> AsyncIterator[Client]:
    """A client with the (opt-in) load_balancers toolset, acting without confirmation."""
    async with connect(sandbox, era, None, toolsets=("load_balancers",), confirm="never") as client:
        yield client


# -- the toolset -----------------------------------------------------------------------------


async def test_load_balancers_are_an_opt_in_toolset(sandbox):
    async with connect(sandbox) as default, connect(sandbox, toolsets=("load_balancers",)) as lb:
        assert not [t for t in (await default.list_tools()).tools if "load_balancer" in t.name]
        listed = {t.name: t for t in (await lb.list_tools()).tools}
    assert sorted(listed) == sorted(TOOLS)
    assert listed["load_balancer_list"].annotations.read_only_hint is True
    assert listed["load_balancer_set"].annotations.destructive_hint is True
    assert listed["load_balancer_delete"].annotations.idempotent_hint is True


# -- create ----------------------------------------------------------------------------------


async def test_create_by_tag_waits_until_active_with_its_cost(lbs, sandbox, sent):
    progress: list[str | None] = []

    async def on_progress(done, total, message):
        progress.append(message)

    result = await lbs.call_tool(
        "load_balancer_set",
        {**NEW, "tag": "web", "health_check": HEALTH},
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    created = result.structured_content
    assert created["done"] is True
    view = created["resources"][0]
    assert view["status"] == "active" and view["ip"]
    assert view["forwarding_rules"] == [f"https 443 -> http 80 (cert {CERT})"]
    assert view["health_check"].startswith("http:80/healthz every 10s")
    assert view["tag"] == "web" and view["droplet_ids"] == [APP_1, APP_2]  # the tagged ones
    assert view["size_unit"] == 1 and view["price_monthly_estimate"] == 12.0
    assert created["cost"] == {
        "monthly_usd": 12.0,
        "hourly_usd": 0.01786,
        "detail": "1 load balancer node(s) at $12.00/node-month (published price, 2026-11)",
        "estimate": True,
    }
    assert bodies(sent, "load_balancers.create") == [
        {
            "name": "web-lb",
            "region": "nyc3",
            "size_unit": 1,
            "forwarding_rules": [HTTPS],
            "health_check": HEALTH,
            "tag": "web",
        }
    ]
    assert any(m and "web-lb: new" in m for m in progress), progress
    assert f"is active at {view['ip']}" in result.content[0].text
    assert sent_to(sandbox, "POST") == ["/v2/load_balancers"]


async def test_create_by_droplet_ids_with_every_setting(lbs, sandbox, sent):
    created = await call_ok(
        lbs,
        "load_balancer_set",
        **{**NEW, "forwarding_rules": [HTTP, {**HTTPS, "target_port": 8080}]},
        droplet_ids=[APP_1, APP_2, APP_1],
        size_unit=2,
        sticky_sessions={"type": "cookies", "cookie_name": "lb", "cookie_ttl_seconds": 600},
        redirect_http_to_https=True,
        enable_backend_keepalive=True,
        http_idle_timeout_seconds=90,
        firewall={"deny": ["cidr:10.0.0.0/8", "ip:2001:db8::1"]},
    )
    (body,) = bodies(sent, "load_balancers.create")
    assert body["droplet_ids"] == [APP_1, APP_2] and "tag" not in body
    assert body["sticky_sessions"] == {
        "type": "cookies",
        "cookie_name": "lb",
        "cookie_ttl_seconds": 600,
    }
    assert body["redirect_http_to_https"] is True and body["enable_backend_keepalive"] is True
    assert "enable_proxy_protocol" not in body  # only what was given is sent
    view = created["resources"][0]
    assert view["sticky_sessions"] == "cookies lb 600s"
    assert view["redirect_http_to_https"] is True and view["http_idle_timeout_seconds"] == 90
    assert view["firewall"] == {"deny": ["cidr:10.0.0.0/8", "ip:2001:db8::1"]}
    assert view["forwarding_rules"] == [
        "http 80 -> http 80",
        f"https 443 -> http 8080 (cert {CERT})",
    ]
    assert created["cost"]["monthly_usd"] == 24.0


async def test_create_without_droplets_sends_an_empty_list(lbs, sent):
    tcp = {
        "entry_protocol": "tcp",
        "entry_port": 5432,
        "target_protocol": "tcp",
        "target_port": 5432,
    }
    passthrough = {**HTTPS, "target_protocol": "https", "target_port": 443, "tls_passthrough": True}
    del passthrough["certificate_id"]
    created = await call_ok(
        lbs, "load_balancer_set", **{**NEW, "forwarding_rules": [tcp, passthrough]}, wait=False
    )
    (body,) = bodies(sent, "load_balancers.create")
    assert body["droplet_ids"] == []  # the API takes droplet_ids or tag
    assert created["done"] is False
    assert created["resources"][0]["forwarding_rules"] == [
        "tcp 5432 -> tcp 5432",
        "https 443 -> https 443 (passthrough)",
    ]
    assert "load_balancer_get lb_id=" in created["message"]


async def test_create_hands_back_at_the_timeout_saying_how_to_continue(lbs):
    created = await call_ok(lbs, "load_balancer_set", **NEW, tag="web", timeout=0.05)
    assert created["done"] is False and created["resources"][0]["status"] == "new"
    lb_id = created["resources"][0]["id"]
    message = created["message"]
    assert f"load_balancer_get lb_id={lb_id}" in message and "do not repeat" in message


async def test_create_refuses_a_name_in_use_in_the_region(lbs, sandbox):
    lb_id = seed_lb(sandbox, name="web-lb")
    error = await call_error(lbs, "load_balancer_set", **NEW, tag="web")
    assert "already exists in nyc3" in error and lb_id in error
    assert sent_to(sandbox, "POST") == []
    elsewhere = await call_ok(lbs, "load_balancer_set", **{**NEW, "region": "fra1"}, wait=False)
    assert elsewhere["resources"][0]["region"] == "fra1"


async def test_parallel_identical_creates_make_one_load_balancer(lbs, sandbox):
    results = []

    async def one() -> None:
        results.append(await lbs.call_tool("load_balancer_set", {**NEW, "wait": False}))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
    assert sent_to(sandbox, "POST") == ["/v2/load_balancers"]
    refused = [r for r in results if r.is_error]
    assert len(refused) == 2 and all("already exists" in r.content[0].text for r in refused)


async def test_a_create_with_a_project_goes_there(lbs, sandbox, sent):
    project = api(sandbox, "POST", "/v2/projects", {"name": "edge", "purpose": "Web"})["project"]
    made = await call_ok(lbs, "load_balancer_set", **NEW, tag="web", project="edge", wait=False)
    lb_id = made["resources"][0]["id"]
    assert made["message"].endswith("Assigned to project edge.")
    assert stored(sandbox, lb_id)["project_id"] == project["id"]
    (body,) = bodies(sent, "load_balancers.create")
    assert "project_id" not in body  # assigned after the create, as droplet_create does
    assert bodies(sent, "projects.assign_resources") == [
        {"resources": [f"do:loadbalancer:{lb_id}"]}
    ]


async def test_an_unknown_project_is_refused_before_anything_is_created(lbs, sandbox):
    error = await call_error(lbs, "load_balancer_set", **NEW, tag="web", project="nope")
    assert "No project named 'nope'" in error
    assert sent_to(sandbox, "POST") == []


async def test_a_change_names_the_project_it_is_in_and_does_not_move_it(lbs, sandbox):
    lb_id = seed_lb(sandbox)
    api(sandbox, "POST", "/v2/projects", {"name": "edge", "purpose": "Web"})
    error = await call_error(
        lbs, "load_balancer_set", lb_id=lb_id, project="edge", http_idle_timeout_seconds=90
    )
    assert "project applies to a create" in error and f"lb:{lb_id}" in error
    assert sent_to(sandbox, "PUT") == []
    await call_ok(
        lbs, "load_balancer_set", lb_id=lb_id, project="default", http_idle_timeout_seconds=90
    )
    assert sent_to(sandbox, "PUT") == [f"/v2/load_balancers/{lb_id}"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"forwarding_rules": [{**HTTP, "entry_port": 0}]}, "entry_port must be a port, 1-65535"),
        ({"forwarding_rules": [{**HTTP, "target_port": 70000}]}, "target_port must be a port"),
        ({"forwarding_rules": [{**HTTP, "entry_protocol": "ftp"}]}, "entry_protocol must be one"),
        ({"forwarding_rules": [{**HTTP, "target_protocol": "http3"}]}, "target_protocol must be"),
        ({"forwarding_rules": [{**HTTP, "weight": 2}]}, "unknown weight"),
        (
            {"forwarding_rules": [{k: v for k, v in HTTPS.items() if k != "certificate_id"}]},
            "an https entry needs certificate_id",
        ),
        ({"forwarding_rules": [{**HTTPS, "tls_passthrough": True}]}, "not both"),
        ({"forwarding_rules": [{**HTTP, "tls_passthrough": True}]}, "tls_passthrough needs https"),
        ({"forwarding_rules": [{**HTTP, "certificate_id": CERT}]}, "certificate_id applies to"),
        ({"forwarding_rules": [{**HTTP, "target_protocol": "udp"}]}, "udp forwards only to udp"),
        ({"forwarding_rules": [HTTP, {**HTTPS, "entry_port": 80}]}, "Entry port 80 is in two"),
        ({"forwarding_rules": []}, "give forwarding_rules too"),
        ({"droplet_ids": [APP_1], "tag": "web"}, "Give droplet_ids or tag, not both"),
        ({"name": "web lb"}, "Invalid load balancer name"),
        ({"region": None}, "give region too"),
        ({"region": "../../x"}, "Invalid region"),
        ({"health_check": {"path": "healthz"}}, "path must start with '/'"),
        ({"health_check": {"interval": 5}}, "health_check: unknown interval"),
        ({"health_check": {"check_interval_seconds": 1}}, "from 3 to 300"),
        ({"sticky_sessions": {"type": "ip"}}, "type must be cookies or none"),
        ({"firewall": {"deny": ["1.2.3.4"]}}, "must be 'ip:<address>'"),
        ({"vpc_uuid": "not-a-vpc"}, "vpc_uuid must be an id"),
        ({"remove_ports": [80]}, "remove_ports applies to a change"),
        ({"size_unit": 0}, "size_unit"),
        ({"http_idle_timeout_seconds": 10}, "http_idle_timeout_seconds"),
        ({"droplet_ids": [0]}, "droplet_ids"),
    ],
)
async def test_bad_create_input_is_refused_in_one_line_before_any_request(
    lbs, sandbox, change, expected
):
    arguments = {**NEW, **change}
    error = await call_error(
        lbs, "load_balancer_set", **{k: v for k, v in arguments.items() if v is not None}
    )
    assert expected in error
    assert "\n" not in error.strip()
    assert sandbox.world.requests == []


async def test_the_cost_limit_refuses_a_create_above_it(sandbox, era):
    async with connect(
        sandbox, era, None, toolsets=("load_balancers",), max_monthly_cost=10, confirm="never"
    ) as client:
        error = await call_error(client, "load_balancer_set", **NEW, tag="web")
        assert "$12.00/month" in error and "--max-monthly-cost" in error
        assert sent_to(sandbox, "POST") == []
        bigger = await call_error(
            client, "load_balancer_set", **NEW, tag="web", size_unit=3, wait=False
        )
    assert "$36.00/month" in bigger
    assert sent_to(sandbox, "POST") == []


async def test_a_create_asks_with_its_cost(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        await call_ok(client, "load_balancer_set", **NEW, tag="web", size_unit=2)
    (question,) = dialog.questions
    assert question.startswith("Create 1 load balancer: web-lb (new).")
    assert "+$24.00/month" in question and "2 load balancer node(s)" in question
    assert sent_to(sandbox, "POST") == []


# -- list and get ----------------------------------------------------------------------------


async def test_list_is_compact_and_paginates(lbs, sandbox):
    first_id = seed_lb(sandbox, name="lb-1", health_check=HEALTH)
    seed_lb(sandbox, name="lb-2", tag=None, droplet_ids=[DB_1])
    page = await call_ok(lbs, "load_balancer_list", per_page=1)
    assert page["total"] == 2 and page["has_more"] is True and page["next_page"] == 2
    (item,) = page["items"]
    assert item == {
        "id": first_id,
        "name": "lb-1",
        "region": "nyc3",
        "status": "active",
        "ip": item["ip"],
        "size_unit": 1,
        "forwarding_rules": [f"https 443 -> http 80 (cert {CERT})"],
        "tag": "web",
        "droplet_ids": [APP_1, APP_2],
        "vpc_uuid": item["vpc_uuid"],
    }
    second = await call_ok(lbs, "load_balancer_list", per_page=1, page=2)
    assert second["items"][0]["droplet_ids"] == [DB_1] and "tag" not in second["items"][0]
    assert second["has_more"] is False
    raw = (await call_ok(lbs, "load_balancer_list", detail=True))["items"]
    assert raw[0]["region"]["slug"] == "nyc3" and raw[0]["health_check"]["path"] == "/healthz"


async def test_get_shows_health_check_settings_and_price(lbs, sandbox):
    lb_id = seed_lb(
        sandbox,
        health_check={**HEALTH, "protocol": "tcp", "port": 22},
        sticky_sessions={"type": "cookies", "cookie_name": "DO-LB", "cookie_ttl_seconds": 300},
        size_unit=2,
    )
    result = await lbs.call_tool("load_balancer_get", {"lb_id": lb_id})
    item = result.structured_content["item"]
    assert item["health_check"].startswith("tcp:22 every 10s")
    assert item["sticky_sessions"] == "cookies DO-LB 300s"
    assert item["size_unit"] == 2 and item["price_monthly_estimate"] == 24.0
    assert item["http_idle_timeout_seconds"] == 60 and item["project_id"]
    assert result.content[0].text.startswith(
        f"Load balancer seeded-lb ({lb_id}) is active, 2 node(s), sending to droplets tagged web"
    )
    full = (await call_ok(lbs, "load_balancer_get", lb_id=lb_id, detail=True))["item"]
    assert full["health_check"]["port"] == 22 and full["region"]["slug"] == "nyc3"


async def test_an_unknown_load_balancer_says_where_to_look(lbs, sandbox):
    for tool, extra in [
        ("load_balancer_get", {}),
        ("load_balancer_delete", {}),
        ("load_balancer_set", {"http_idle_timeout_seconds": 90}),
    ]:
        error = await call_error(lbs, tool, lb_id=MISSING, **extra)
        assert f"oad balancer {MISSING} does not exist" in error, tool
        assert "load_balancer_list shows the ids" in error, tool
    assert sent_to(sandbox, "PUT") == [] and sent_to(sandbox, "DELETE") == []


# -- change ----------------------------------------------------------------------------------


async def test_a_setting_change_keeps_everything_else_and_needs_no_approval(sandbox, era, sent):
    lb_id = seed_lb(
        sandbox,
        forwarding_rules=[HTTP, HTTPS],
        health_check=HEALTH,
        sticky_sessions={"type": "cookies", "cookie_name": "DO-LB", "cookie_ttl_seconds": 300},
        firewall={"deny": ["ip:2.3.4.5"]},
        enable_proxy_protocol=True,
    )
    before = stored(sandbox, lb_id)
    dialog = Dialog("decline")  # would refuse, were it asked
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        result = await client.call_tool(
            "load_balancer_set", {"lb_id": lb_id, "http_idle_timeout_seconds": 120}
        )
    assert not result.is_error, result.content
    assert dialog.questions == []
    changed = result.structured_content
    assert changed["done"] is True and changed["cost"] is None
    assert changed["message"] == (
        f"Load balancer seeded-lb ({lb_id}) changed: http_idle_timeout_seconds: 60 -> 120."
    )
    (body,) = bodies(sent, "load_balancers.update")
    assert body["forwarding_rules"] == before["forwarding_rules"]  # as stored, every field
    assert body["health_check"] == before["health_check"]
    assert body["sticky_sessions"] == before["sticky_sessions"]
    assert body["firewall"] == before["firewall"] and body["enable_proxy_protocol"] is True
    assert body["tag"] == "web" and "droplet_ids" not in body
    assert body["name"] == "seeded-lb" and body["region"] == "nyc3"
    assert body["size_unit"] == 1 and body["http_idle_timeout_seconds"] == 120
    after = stored(sandbox, lb_id)
    assert after["http_idle_timeout_seconds"] == 120
    unchanged = {k: v for k, v in after.items() if k != "http_idle_timeout_seconds"}
    assert unchanged == {k: v for k, v in before.items() if k != "http_idle_timeout_seconds"}


async def test_objects_merge_key_by_key(lbs, sandbox, sent):
    lb_id = seed_lb(sandbox, health_check=HEALTH, firewall={"allow": ["ip:1.2.3.4"]})
    changed = await call_ok(
        lbs,
        "load_balancer_set",
        lb_id=lb_id,
        name="web-lb-2",
        health_check={"check_interval_seconds": 30},
        firewall={"deny": ["cidr:10.0.0.0/8"]},
        sticky_sessions={"type": "cookies"},
    )
    (body,) = bodies(sent, "load_balancers.update")
    assert body["health_check"]["path"] == "/healthz"
    assert body["health_check"]["check_interval_seconds"] == 30
    assert body["firewall"] == {"allow": ["ip:1.2.3.4"], "deny": ["cidr:10.0.0.0/8"]}
    lines = changed["message"]
    assert "name: seeded-lb -> web-lb-2" in lines
    assert "health_check: http:80/healthz every 10s" in lines and "every 30s" in lines
    assert "sticky_sessions: none -> cookies" in lines
    assert stored(sandbox, lb_id)["health_check"]["check_interval_seconds"] == 30


async def test_a_change_to_what_is_already_there_sends_nothing(lbs, sandbox):
    lb_id = seed_lb(sandbox)
    error = await call_error(
        lbs,
        "load_balancer_set",
        lb_id=lb_id,
        http_idle_timeout_seconds=60,
        tag="web",
        forwarding_rules=[HTTPS],
    )
    assert "Nothing to change" in error
    nothing = await call_error(lbs, "load_balancer_set", lb_id=lb_id)
    assert "Nothing to change" in nothing
    assert sent_to(sandbox, "PUT") == []


async def test_adding_a_rule_and_a_droplet_is_a_plain_change(sandbox, era, sent):
    lb_id = seed_lb(sandbox, tag=None, droplet_ids=[APP_1])
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        changed = await call_ok(
            client,
            "load_balancer_set",
            lb_id=lb_id,
            forwarding_rules=[{**HTTP, "entry_port": 8080}],
            droplet_ids=[APP_1, APP_2],
        )
    assert dialog.questions == []
    (body,) = bodies(sent, "load_balancers.update")
    assert [r["entry_port"] for r in body["forwarding_rules"]] == [443, 8080]
    assert body["droplet_ids"] == [APP_1, APP_2]
    assert "forwarding rule added: http 8080 -> http 80" in changed["message"]
    assert f"droplet_ids: [{APP_1}] -> [{APP_1}, {APP_2}]" in changed["message"]
    assert stored(sandbox, lb_id)["droplet_ids"] == [APP_1, APP_2]


async def test_removing_a_rule_asks_with_a_preview_naming_it(sandbox, era, sent):
    lb_id = seed_lb(sandbox, forwarding_rules=[HTTP, HTTPS])
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        denied = await call_ok(client, "load_balancer_set", lb_id=lb_id, remove_ports=[80])
        assert denied["approval"]["status"] == "denied"
        assert sent_to(sandbox, "PUT") == []
        done = await call_ok(client, "load_balancer_set", lb_id=lb_id, remove_ports=[80])
    preview = dialog.questions[0]
    assert preview.startswith(f"Change 1 load balancer: seeded-lb ({lb_id}).")
    assert "forwarding rule removed: http 80 -> http 80" in preview
    assert "Traffic to http 80 -> http 80 stops" in preview
    assert done["done"] is True
    (body,) = bodies(sent, "load_balancers.update")
    assert [r["entry_port"] for r in body["forwarding_rules"]] == [443]
    assert [r["entry_port"] for r in stored(sandbox, lb_id)["forwarding_rules"]] == [443]


async def test_replacing_a_rule_asks_too(sandbox, era):
    lb_id = seed_lb(sandbox)
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        await call_ok(
            client,
            "load_balancer_set",
            lb_id=lb_id,
            forwarding_rules=[{**HTTPS, "target_port": 8080}],
        )
    (preview,) = dialog.questions
    assert f"forwarding rule https 443 -> http 80 (cert {CERT}) -> https 443 -> http 8080" in (
        preview
    )
    assert sent_to(sandbox, "PUT") == []


async def test_removing_droplets_or_switching_the_tag_asks_naming_them(sandbox, era):
    by_ids = seed_lb(sandbox, name="by-ids", tag=None, droplet_ids=[APP_1, APP_2])
    sandbox.world.droplets[APP_1].tags.append("Web-Canary")
    by_tag = seed_lb(sandbox, name="by-tag", tag="Web-Canary")
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        await call_ok(client, "load_balancer_set", lb_id=by_ids, droplet_ids=[APP_1])
        await call_ok(client, "load_balancer_set", lb_id=by_ids, tag="db")
        await call_ok(client, "load_balancer_set", lb_id=by_tag, tag="db")
    fewer, to_tag, other_tag = dialog.questions
    assert f"droplet_ids: [{APP_1}, {APP_2}] -> [{APP_1}]" in fewer
    assert f"Droplets {APP_2} stop receiving its traffic" in fewer
    assert f"Droplets {APP_1}, {APP_2} stop receiving its traffic" in to_tag
    assert "tag: Web-Canary -> db" in other_tag
    assert f"Droplets tagged Web-Canary (ids {APP_1}) stop receiving its traffic" in other_tag
    assert sent_to(sandbox, "PUT") == []
    assert stored(sandbox, by_ids)["droplet_ids"] == [APP_1, APP_2]


async def test_growing_asks_with_the_added_cost(sandbox, era, sent):
    lb_id = seed_lb(sandbox)
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        grown = await call_ok(client, "load_balancer_set", lb_id=lb_id, size_unit=3)
    (preview,) = dialog.questions
    assert "size_unit: 1 -> 3" in preview and "+$24.00/month" in preview
    assert grown["cost"]["monthly_usd"] == 24.0 and grown["resources"][0]["size_unit"] == 3
    (body,) = bodies(sent, "load_balancers.update")
    assert body["size_unit"] == 3 and body["tag"] == "web"


async def test_growing_above_the_cost_limit_is_refused(sandbox):
    lb_id = seed_lb(sandbox)
    async with connect(sandbox, toolsets=("load_balancers",), max_monthly_cost=20) as client:
        error = await call_error(client, "load_balancer_set", lb_id=lb_id, size_unit=4)
    assert "$36.00/month" in error and "--max-monthly-cost" in error
    assert sent_to(sandbox, "PUT") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"remove_ports": [8080]}, "No forwarding rule listens on port 8080"),
        ({"remove_ports": [443]}, "remove every forwarding rule"),
        ({"remove_ports": [443], "forwarding_rules": [HTTPS]}, "both in forwarding_rules"),
        ({"region": "fra1"}, "region is fixed at creation"),
        ({"vpc_uuid": MISSING}, "vpc_uuid is fixed at creation"),
        ({"droplet_ids": [APP_1], "tag": "web"}, "not both"),
    ],
)
async def test_bad_changes_are_refused_before_the_put(lbs, sandbox, change, expected):
    lb_id = seed_lb(sandbox)
    error = await call_error(lbs, "load_balancer_set", lb_id=lb_id, **change)
    assert expected in error and "\n" not in error.strip()
    assert sent_to(sandbox, "PUT") == []


# -- delete ----------------------------------------------------------------------------------


async def test_delete_asks_with_a_preview_naming_what_stops(sandbox, era):
    lb_id = seed_lb(sandbox)
    ip = stored(sandbox, lb_id)["ip"]
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog, toolsets=("load_balancers",)) as client:
        await call_ok(client, "load_balancer_delete", lb_id=lb_id)
        assert sent_to(sandbox, "DELETE") == []
        deleted = await call_ok(client, "load_balancer_delete", lb_id=lb_id)
        gone = await call_error(client, "load_balancer_get", lb_id=lb_id)
    preview = dialog.questions[0]
    assert preview.startswith(f"Delete 1 load balancer: seeded-lb ({lb_id}).")
    assert f"Its IP {ip} stops answering: traffic to https 443 -> http 80 (cert {CERT})" in (
        preview
    )
    assert f"no longer reaches droplets tagged web (ids {APP_1}, {APP_2})" in preview
    assert "-$12.00/month" in preview
    assert deleted["item"] == {"id": lb_id, "name": "seeded-lb", "deleted": True}
    assert "does not exist" in gone
    assert set(sandbox.world.droplets) >= {APP_1, APP_2}  # the droplets stay


# -- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "..",
        "../../account?x=",
        "a/b",
        "x?y=1",
        "a\r\nb",
        "",
        f"{MISSING}/../x",
        f"{MISSING}\n",
        "https://evil.example/",
    ],
    ids=repr,
)
async def test_hostile_load_balancer_ids_send_nothing(lbs, sandbox, value):
    for tool, extra in [
        ("load_balancer_get", {}),
        ("load_balancer_delete", {}),
        ("load_balancer_set", {"http_idle_timeout_seconds": 90}),
    ]:
        error = await call_error(lbs, tool, lb_id=value, **extra)
        assert "lb_id" in error, (tool, error)
    assert sandbox.world.requests == [] and off_template(sandbox) == []


async def test_an_id_is_sent_in_its_canonical_form(lbs, sandbox):
    lb_id = seed_lb(sandbox)
    item = (await call_ok(lbs, "load_balancer_get", lb_id=lb_id.upper()))["item"]
    assert item["id"] == lb_id
    assert sent_to(sandbox, "GET") == [f"/v2/load_balancers/{lb_id}"]


@pytest.mark.parametrize("droplet_ids", [[0], [-5], ["1/../2"], [1.5]], ids=repr)
async def test_hostile_droplet_ids_send_nothing(lbs, sandbox, droplet_ids):
    error = await call_error(lbs, "load_balancer_set", **NEW, droplet_ids=droplet_ids)
    assert "droplet_ids" in error
    assert sandbox.world.requests == []


async def test_a_request_that_fails_relays_the_api_and_names_the_call(lbs, sandbox):
    # The sandbox, like DigitalOcean, refuses droplets of another region: relayed as a 422.
    other = {**NEW, "region": "fra1"}
    error = await call_error(lbs, "load_balancer_set", **other, droplet_ids=[APP_1])
    assert "422" in error and "not in the load balancer's region" in error
    with pytest.raises(urllib.error.HTTPError):
        api(sandbox, "GET", f"/v2/load_balancers/{MISSING}")
