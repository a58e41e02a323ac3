"""Cloud firewalls end to end: list, get, create, update (replace, add, remove), delete, and the
trust rules for them (cutting inbound access asks, naming the droplets) — through MCP clients
against the sandbox."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from cargoshipper.access import DOAccess
from cargoshipper.sandbox._routes.kubernetes import clusters
from cargoshipper.tools.firewalls import (
    DEFAULT_OUTBOUND,
    Rule,
    parse_rule,
    plan_firewall_delete,
    plan_firewall_update,
    stored_rule,
)
from conftest import TEST_TOKEN, connect, settings_for
from helpers import Dialog, bodies, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1, APP_2, DB_1 = 501_000_101, 501_000_102, 501_000_103  # seeded: app-* tagged web
MISSING = "00000000-0000-4000-8000-000000000000"
LB = "4de7ac8b-495b-4884-9a69-1050c6793cd6"
SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["203.0.113.0/24"]}}
WEB = {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}
PING = {"protocol": "icmp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0"]}}
OUT = {"protocol": "tcp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
EDGE = {
    "name": "edge",
    "inbound_rules": [SSH, WEB, PING],
    "outbound_rules": [OUT],
    "droplet_ids": [DB_1],
    "tags": ["web"],
}
EVERY_DROPLET = "app-1 (501000101), app-2 (501000102), db-1 (501000103)"


@pytest.fixture
async def client(sandbox, era) -> AsyncIterator[Client]:
    async with connect(sandbox, era, None, confirm="never", toolsets=("firewalls",)) as connected:
        yield connected


def api(sandbox, method: str, path: str, body: Any = None) -> Any:
    """A request straight to the sandbox (setting the scene, not through CargoShipper)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{sandbox.url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {TEST_TOKEN}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def seed(sandbox, **changes: Any) -> dict[str, Any]:
    """The "edge" firewall (SSH from 203.0.113.0/24, web, ping) on db-1 and tag web."""
    return api(sandbox, "POST", "/v2/firewalls", {**EDGE, **changes})["firewall"]


def stored(sandbox, firewall_id: str) -> dict[str, Any]:
    return api(sandbox, "GET", f"/v2/firewalls/{firewall_id}")["firewall"]


def changes(sandbox, since: int = 0) -> list[tuple[str, str, str]]:
    return [r for r in sandbox.world.requests[since:] if r[0] != "GET"]


# -- rules, as written and as shown ----------------------------------------------------------


def test_compact_rules_become_the_api_shape():
    cluster = "41b74c5d-9bd0-5555-5555-a57c495b81a3"
    written = f"tcp 22 from 10.0.0.0/8, tag:admin droplet:123 lb:{LB.upper()}, k8s:{cluster}"
    rule = parse_rule(written, "inbound")
    assert rule.api("inbound") == {
        "protocol": "tcp",
        "ports": "22",
        "sources": {
            "addresses": ["10.0.0.0/8"],
            "tags": ["admin"],
            "droplet_ids": [123],
            "load_balancer_uids": [LB],
            "kubernetes_ids": [cluster],
        },
    }
    as_object = {
        "protocol": "TCP",
        "ports": 22,
        "sources": ["k8s:" + cluster, "lb:" + LB, "droplet:123", "tag:admin", "10.0.0.0/8"],
    }
    assert parse_rule(as_object, "inbound") == rule
    assert rule.line("inbound") == (
        f"tcp 22 from 10.0.0.0/8, tag:admin, droplet:123, lb:{LB}, k8s:{cluster}"
    )
    assert stored_rule(rule.api("inbound"), "inbound") == rule  # round trip


@pytest.mark.parametrize(
    ("written", "direction", "line", "api"),
    [
        (
            "tcp all to 0.0.0.0/0, ::/0",
            "outbound",
            "tcp all to 0.0.0.0/0, ::/0",
            {"protocol": "tcp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}},
        ),
        (
            {"protocol": "icmp", "destinations": ["2001:DB8::/32"]},
            "outbound",
            "icmp to 2001:db8::/32",
            {"protocol": "icmp", "ports": "0", "destinations": {"addresses": ["2001:db8::/32"]}},
        ),
        (
            {"protocol": "udp", "ports": "8000-9000", "sources": {"addresses": ["1.2.3.4"]}},
            "inbound",
            "udp 8000-9000 from 1.2.3.4",
            {"protocol": "udp", "ports": "8000-9000", "sources": {"addresses": ["1.2.3.4"]}},
        ),
    ],
)
def test_other_forms_and_how_they_show(written, direction, line, api):
    rule = parse_rule(written, direction)
    assert rule.line(direction) == line and rule.api(direction) == api


def test_stored_rules_compare_whatever_the_api_spells_all_ports():
    zero = stored_rule({"protocol": "tcp", "ports": "0", "sources": {"tags": ["web"]}}, "inbound")
    word = stored_rule({"protocol": "tcp", "ports": "all", "sources": {"tags": ["web"]}}, "inbound")
    assert zero.key == word.key and zero.line("inbound") == "tcp all from tag:web"
    assert Rule("icmp", "0", ()).line("inbound") == "icmp"


# -- list and get ----------------------------------------------------------------------------


async def test_list_and_get_show_rules_one_line_each(client, sandbox):
    firewall = seed(sandbox)
    listed = await call_ok(client, "firewall_list")
    assert listed["total"] == 1
    item = listed["items"][0]
    assert {k: v for k, v in item.items() if k != "status"} == {
        "id": firewall["id"],
        "name": "edge",
        "inbound": [
            "tcp 22 from 203.0.113.0/24",
            "tcp 80 from 0.0.0.0/0, ::/0",
            "icmp from 0.0.0.0/0",
        ],
        "outbound": ["tcp all to 0.0.0.0/0, ::/0"],
        "droplet_ids": [DB_1],
        "tags": ["web"],
    }
    result = await client.call_tool("firewall_get", {"firewall_id": firewall["id"]})
    assert result.content[0].text.startswith(
        "Firewall edge: 3 inbound and 1 outbound rules, droplet_ids: [501000103], tags: web."
    )
    view = result.structured_content["item"]
    assert view["inbound"] == item["inbound"] and "created_at" in view
    full = (await call_ok(client, "firewall_get", firewall_id=firewall["id"], detail=True))["item"]
    assert full["inbound_rules"][0] == SSH
    raw = (await call_ok(client, "firewall_list", detail=True))["items"][0]
    assert raw["outbound_rules"] == [OUT]


async def test_get_unknown_firewall_says_where_to_look(client):
    error = await call_error(client, "firewall_get", firewall_id=MISSING)
    assert f"Firewall {MISSING} does not exist" in error and "firewall_list" in error


# -- create ----------------------------------------------------------------------------------


async def test_create_turns_compact_rules_into_the_api_body(client, sandbox, sent):
    cluster = next(iter(clusters(sandbox.world)))
    forward = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http"}
    body = {"name": "web-lb", "region": "nyc3", "tag": "web"}
    body["forwarding_rules"] = [{**forward, "target_port": 80}]
    lb = api(sandbox, "POST", "/v2/load_balancers", body)["load_balancer"]
    created = await call_ok(
        client,
        "firewall_create",
        name="web-fw",
        inbound_rules=[
            "tcp 22 from 10.0.0.0/8, tag:admin, droplet:501000101",
            {"protocol": "tcp", "ports": "443", "sources": [f"lb:{lb['id']}", f"k8s:{cluster}"]},
            "icmp from ::/0",
            "udp 8000-9000 from 203.0.113.7",
        ],
    )
    assert bodies(sent, "firewalls.create") == [
        {
            "name": "web-fw",
            "inbound_rules": [
                {
                    "protocol": "tcp",
                    "ports": "22",
                    "sources": {
                        "addresses": ["10.0.0.0/8"],
                        "tags": ["admin"],
                        "droplet_ids": [APP_1],
                    },
                },
                {
                    "protocol": "tcp",
                    "ports": "443",
                    "sources": {"load_balancer_uids": [lb["id"]], "kubernetes_ids": [cluster]},
                },
                {"protocol": "icmp", "ports": "0", "sources": {"addresses": ["::/0"]}},
                {
                    "protocol": "udp",
                    "ports": "8000-9000",
                    "sources": {"addresses": ["203.0.113.7"]},
                },
            ],
            "outbound_rules": DEFAULT_OUTBOUND,  # none given: all traffic out
        }
    ]
    item = created["item"]
    assert item["name"] == "web-fw" and "droplet_ids" not in item and "tags" not in item
    assert item["inbound"] == [
        "tcp 22 from 10.0.0.0/8, tag:admin, droplet:501000101",
        f"tcp 443 from lb:{lb['id']}, k8s:{cluster}",
        "icmp from ::/0",
        "udp 8000-9000 from 203.0.113.7",
    ]
    assert item["outbound"] == [
        "tcp all to 0.0.0.0/0, ::/0",
        "udp all to 0.0.0.0/0, ::/0",
        "icmp to 0.0.0.0/0, ::/0",
    ]
    assert stored(sandbox, item["id"])["droplet_ids"] == []  # applied to nothing yet


async def test_create_with_no_outbound_rules_blocks_outbound(client, sent):
    created = await call_ok(
        client, "firewall_create", name="closed", inbound_rules=[], outbound_rules=["icmp to ::/0"]
    )
    assert created["item"]["outbound"] == ["icmp to ::/0"] and "inbound" not in created["item"]
    error = await call_error(
        client, "firewall_create", name="nothing", inbound_rules=[], outbound_rules=[]
    )
    assert "needs at least one inbound or outbound rule" in error
    assert len(bodies(sent, "firewalls.create")) == 1


async def test_create_refuses_a_name_taken(client, sandbox):
    seed(sandbox)
    error = await call_error(
        client, "firewall_create", name="edge", inbound_rules=["icmp from ::/0"]
    )
    assert "A firewall named 'edge' already exists (id " in error
    assert sandbox.world.count("POST", "/v2/firewalls") == 1  # the seed's only


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("tcp 70000 from 10.0.0.0/8", "ports must be a number 1-65535"),
        ("tcp 9000-8000 from 10.0.0.0/8", "a range like 8000-9000"),
        ("tcp from 10.0.0.0/8", "tcp rules need ports"),
        ("icmp 8 from 10.0.0.0/8", "icmp rules take no ports"),
        ("sctp 22 from 10.0.0.0/8", "protocol must be tcp, udp or icmp"),
        ("tcp 22 to 10.0.0.0/8", "inbound rules say 'from', not 'to'"),
        ("tcp 22", "write it like 'tcp 22 from 10.0.0.0/8'"),
        ("tcp 22 from 10.0.0.300", "'10.0.0.300' is not an IP address or CIDR"),
        ("tcp 22 from 10.0.0.1/8", "host bits set; did you mean 10.0.0.0/8?"),
        ("tcp 22 from fe80::1%eth0", "is not an IP address or CIDR"),
        ("tcp 22 from tag:no/slash", "tag: takes a tag name"),
        ("tcp 22 from droplet:0", "droplet: takes a droplet id"),
        ("tcp 22 from lb:not-a-uuid", "lb: takes a load balancer id (UUID)"),
        ("tcp 22 from k8s:../../account", "k8s: takes a Kubernetes cluster id"),
        ({"protocol": "tcp", "ports": "22"}, "it needs at least one peer"),
        ({"protocol": "tcp", "ports": "22", "destinations": ["::/0"]}, "for the other direction"),
        ({"protocol": "tcp", "ports": True, "sources": ["::/0"]}, "ports must be text"),
    ],
)
async def test_a_bad_rule_is_refused_in_one_line_before_any_request(
    client, sandbox, rule, expected
):
    error = await call_error(client, "firewall_create", name="fw", inbound_rules=[rule])
    assert expected in error
    assert error.endswith("Nothing was sent.") and error.count("\n") == 1
    assert sandbox.world.requests == []


async def test_every_bad_rule_is_named_on_its_own_line(client, sandbox):
    error = await call_error(
        client,
        "firewall_create",
        name="fw",
        inbound_rules=["tcp 22 from 10.0.0.0/8", "tcp 99999 from ::/0"],
        outbound_rules=["udp 53 from 8.8.8.8"],
    )
    lines = error.split("\n")
    assert "inbound rule 2 ('tcp 99999 from ::/0'): ports must be" in lines[0]
    assert (
        lines[1] == "outbound rule 1 ('udp 53 from 8.8.8.8'): outbound rules say 'to', not 'from'."
    )
    assert lines[2] == "Nothing was sent."
    assert sandbox.world.requests == []


# -- update: replace -------------------------------------------------------------------------


async def test_renaming_puts_the_whole_firewall_back_unchanged(client, sandbox, sent):
    firewall = seed(sandbox)
    result = await client.call_tool(
        "firewall_update", {"firewall_id": firewall["id"], "name": "edge-2"}
    )
    assert not result.is_error, result.content
    assert result.content[0].text.startswith(
        f"Updated firewall edge-2 ({firewall['id']}): name: 'edge' -> 'edge-2'."
    )
    assert result.structured_content["item"]["changed"] == ["name: 'edge' -> 'edge-2'"]
    (body,) = bodies(sent, "firewalls.update")
    assert body == {
        "name": "edge-2",
        "inbound_rules": [SSH, WEB, PING],
        "outbound_rules": [OUT],
        "droplet_ids": [DB_1],
        "tags": ["web"],
    }
    after = stored(sandbox, firewall["id"])
    assert after["inbound_rules"] == [SSH, WEB, PING] and after["tags"] == ["web"]
    assert after["droplet_ids"] == [DB_1] and after["outbound_rules"] == [OUT]


async def test_replacing_the_inbound_rules_keeps_the_rest_and_says_what_changed(
    client, sandbox, sent
):
    firewall = seed(sandbox)
    updated = await call_ok(
        client,
        "firewall_update",
        firewall_id=firewall["id"],
        inbound_rules=["tcp 80 from ::/0, 0.0.0.0/0", "tcp 443 from 0.0.0.0/0, ::/0"],
    )
    (body,) = bodies(sent, "firewalls.update")
    https = {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}
    assert body["inbound_rules"] == [WEB, https]  # the kept rule goes back as stored
    assert body["outbound_rules"] == [OUT] and body["droplet_ids"] == [DB_1]
    assert body["tags"] == ["web"] and body["name"] == "edge"
    assert updated["item"]["changed"] == [
        "inbound -tcp 22 from 203.0.113.0/24",
        "inbound -icmp from 0.0.0.0/0",
        "inbound +tcp 443 from 0.0.0.0/0, ::/0",
    ]
    assert updated["item"]["inbound"] == [
        "tcp 80 from 0.0.0.0/0, ::/0",
        "tcp 443 from 0.0.0.0/0, ::/0",
    ]


async def test_replacing_droplets_and_tags(client, sandbox, sent):
    firewall = seed(sandbox)
    updated = await call_ok(
        client, "firewall_update", firewall_id=firewall["id"], droplet_ids=[APP_2], tags=[]
    )
    (body,) = bodies(sent, "firewalls.update")
    assert body["droplet_ids"] == [APP_2] and body["tags"] == []
    assert body["inbound_rules"] == [SSH, WEB, PING]
    assert updated["item"]["changed"] == ["droplets +501000102 -501000103", "tags -web"]


async def test_an_update_that_changes_nothing_sends_nothing(client, sandbox):
    firewall = seed(sandbox)
    mark = len(sandbox.world.requests)
    error = await call_error(
        client,
        "firewall_update",
        firewall_id=firewall["id"],
        name="edge",
        inbound_rules=[
            "icmp from 0.0.0.0/0",
            "tcp 22 from 203.0.113.0/24",
            "tcp 80 from ::/0, 0.0.0.0/0",
        ],
    )
    assert "Nothing to change: firewall edge already has these values" in error
    assert changes(sandbox, mark) == []
    nothing = await call_error(client, "firewall_update", firewall_id=firewall["id"])
    assert "Nothing to change: give name, inbound_rules" in nothing


# -- update: add and remove ------------------------------------------------------------------


async def test_add_sends_only_what_is_new(client, sandbox, sent):
    firewall = seed(sandbox)
    added = await call_ok(
        client,
        "firewall_update",
        firewall_id=firewall["id"],
        mode="add",
        inbound_rules=["tcp 22 from 203.0.113.0/24", "tcp 8080 from tag:web"],
        outbound_rules=["udp 53 to 1.1.1.1"],
        droplet_ids=[DB_1, APP_1],
        tags=["db"],
    )
    assert bodies(sent, "firewalls.add_rules") == [
        {
            "inbound_rules": [{"protocol": "tcp", "ports": "8080", "sources": {"tags": ["web"]}}],
            "outbound_rules": [
                {"protocol": "udp", "ports": "53", "destinations": {"addresses": ["1.1.1.1"]}}
            ],
        }
    ]
    assert bodies(sent, "firewalls.assign_droplets") == [{"droplet_ids": [APP_1]}]
    assert bodies(sent, "firewalls.add_tags") == [{"tags": ["db"]}]
    assert added["item"]["changed"] == [
        "inbound +tcp 8080 from tag:web",
        "outbound +udp 53 to 1.1.1.1",
        "droplets +501000101",
        "tags +db",
    ]
    after = stored(sandbox, firewall["id"])
    assert len(after["inbound_rules"]) == 4 and after["droplet_ids"] == [DB_1, APP_1]
    again = await call_error(
        client, "firewall_update", firewall_id=firewall["id"], mode="add", tags=["db"]
    )
    assert "Nothing to add: firewall edge already has tag db" in again


async def test_remove_sends_the_stored_rule_and_refuses_what_is_not_there(client, sandbox, sent):
    firewall = seed(sandbox)
    mark = len(sandbox.world.requests)
    missing = await call_error(
        client,
        "firewall_update",
        firewall_id=firewall["id"],
        mode="remove",
        inbound_rules=["tcp 2222 from 203.0.113.0/24"],
        droplet_ids=[APP_2],
    )
    assert "Not on firewall edge: inbound rule tcp 2222 from 203.0.113.0/24, droplet 501000102" in (
        missing
    )
    assert "inbound rules tcp 22 from 203.0.113.0/24; tcp 80 from 0.0.0.0/0, ::/0" in missing
    assert changes(sandbox, mark) == []
    removed = await call_ok(
        client,
        "firewall_update",
        firewall_id=firewall["id"],
        mode="remove",
        inbound_rules=["tcp 80", "icmp from 0.0.0.0/0"],  # no peers: every tcp 80 rule
        droplet_ids=[DB_1],
        tags=["web"],
    )
    assert bodies(sent, "firewalls.delete_rules") == [{"inbound_rules": [WEB, PING]}]
    assert bodies(sent, "firewalls.delete_droplets") == [{"droplet_ids": [DB_1]}]
    assert bodies(sent, "firewalls.delete_tags") == [{"tags": ["web"]}]
    assert removed["item"]["inbound"] == ["tcp 22 from 203.0.113.0/24"]
    assert removed["item"]["changed"] == [
        "inbound -tcp 80 from 0.0.0.0/0, ::/0",
        "inbound -icmp from 0.0.0.0/0",
        "droplets -501000103",
        "tags -web",
    ]
    after = stored(sandbox, firewall["id"])
    assert after["inbound_rules"] == [SSH] and after["droplet_ids"] == [] and after["tags"] == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"mode": "add", "name": "x1"}, "name changes only with mode=replace"),
        ({"mode": "add", "tags": []}, "Nothing to add: the lists given are empty"),
        ({"droplet_ids": [0]}, "droplet_ids"),
        ({"tags": ["no spaces"]}, "tags"),
        ({"name": "-bad"}, "Invalid firewall name '-bad'"),
        ({"mode": "add", "droplet_ids": [999]}, "Droplet 999 does not exist"),
    ],
)
async def test_bad_update_input_changes_nothing(client, sandbox, arguments, expected):
    firewall = seed(sandbox)
    mark = len(sandbox.world.requests)
    error = await call_error(client, "firewall_update", firewall_id=firewall["id"], **arguments)
    assert expected in error
    assert changes(sandbox, mark) == []


# -- delete ----------------------------------------------------------------------------------


async def test_delete(client, sandbox):
    firewall = seed(sandbox)
    deleted = await call_ok(client, "firewall_delete", firewall_id=firewall["id"])
    assert deleted["item"] == {"id": firewall["id"], "name": "edge", "deleted": True}
    assert (await call_ok(client, "firewall_list"))["items"] == []
    again = await call_error(client, "firewall_delete", firewall_id=firewall["id"])
    assert f"Firewall {firewall['id']} does not exist" in again


# -- hostile input ---------------------------------------------------------------------------

HOSTILE = ["../../account", "..", "x?y=1", "a\r\nb", "https://evil.example/", "", MISSING[:-1]]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("tool", ["firewall_get", "firewall_update", "firewall_delete"])
async def test_a_hostile_firewall_id_sends_nothing(client, sandbox, tool, value):
    extra = {"name": "x1"} if tool == "firewall_update" else {}
    error = await call_error(client, tool, firewall_id=value, **extra)
    assert f"Invalid arguments for {tool}: firewall_id: string should match pattern" in error
    assert len(error) < 600
    assert sandbox.world.requests == []


async def test_the_plans_check_the_id_themselves(sandbox):
    access = DOAccess(settings_for(sandbox.url))
    for plan in (plan_firewall_update, plan_firewall_delete):
        with pytest.raises(ToolError, match="firewall_id must be a firewall's id"):
            await plan(access, "../../account", name="x1")
    assert sandbox.world.requests == []


@pytest.mark.parametrize(
    "arguments",
    [{"droplet_ids": [-1]}, {"droplet_ids": ["1/../x"]}, {"tags": ["../../account"]}],
    ids=repr,
)
async def test_hostile_droplets_and_tags_send_nothing(client, sandbox, arguments):
    error = await call_error(
        client, "firewall_update", firewall_id=MISSING, mode="add", **arguments
    )
    assert "Invalid arguments for firewall_update" in error
    assert sandbox.world.requests == []


# -- trust: what asks, and what the person reads ---------------------------------------------


async def test_removing_the_ssh_rule_asks_naming_the_droplets_that_lose_port_22(sandbox, era):
    firewall = seed(sandbox)
    declined = Dialog("decline")
    remove = {"firewall_id": firewall["id"], "mode": "remove"}
    async with connect(sandbox, era, declined, toolsets=("firewalls",)) as client:
        result = await call_ok(
            client, "firewall_update", **remove, inbound_rules=["tcp 22 from 203.0.113.0/24"]
        )
    assert result["approval"]["status"] == "denied"
    (question,) = declined.questions
    assert question.startswith(f"Remove rules from 1 firewall: edge ({firewall['id']}).")
    assert f"{EVERY_DROPLET} lose tcp 22 from 203.0.113.0/24." in question
    assert sandbox.world.count("DELETE", f"/v2/firewalls/{firewall['id']}/rules") == 0
    assert stored(sandbox, firewall["id"])["inbound_rules"][0] == SSH
    accepted = Dialog("accept")
    async with connect(sandbox, era, accepted, toolsets=("firewalls",)) as client:
        done = await call_ok(client, "firewall_update", **remove, inbound_rules=["tcp 22"])
    assert accepted.questions == [question]  # the same preview, however the rule was written
    assert done["item"]["inbound"] == ["tcp 80 from 0.0.0.0/0, ::/0", "icmp from 0.0.0.0/0"]


async def test_replacing_rules_without_ssh_asks_too(sandbox, era):
    firewall = seed(sandbox, droplet_ids=[], tags=["db"])
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("firewalls",)) as client:
        await call_ok(
            client,
            "firewall_update",
            firewall_id=firewall["id"],
            inbound_rules=["tcp 80 from 0.0.0.0/0, ::/0"],
        )
    (question,) = dialog.questions
    assert question.startswith(f"Update 1 firewall: edge ({firewall['id']}).")
    assert "db-1 (501000103) loses tcp 22 from 203.0.113.0/24; icmp from 0.0.0.0/0." in question
    assert sandbox.world.count("PUT", f"/v2/firewalls/{firewall['id']}") == 0


async def test_adding_a_rule_or_creating_does_not_ask(sandbox, era):
    firewall = seed(sandbox)
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("firewalls",)) as client:
        await call_ok(
            client,
            "firewall_update",
            firewall_id=firewall["id"],
            mode="add",
            inbound_rules=["tcp 443 from 0.0.0.0/0, ::/0"],
        )
        await call_ok(client, "firewall_create", name="other", inbound_rules=["icmp from ::/0"])
    assert dialog.questions == []
    assert len(stored(sandbox, firewall["id"])["inbound_rules"]) == 4


async def test_a_rename_puts_back_what_the_policy_sees_as_unchanged(sandbox, era):
    """The PUT carries the stored rules as they are, so the policy finds no inbound access lost
    and lets it through as a write."""
    firewall = seed(sandbox)
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("firewalls",)) as client:
        await call_ok(client, "firewall_update", firewall_id=firewall["id"], name="edge-2")
    assert dialog.questions == []
    assert stored(sandbox, firewall["id"])["name"] == "edge-2"


async def test_putting_droplets_behind_a_firewall_asks_and_names_them(sandbox, era):
    firewall = seed(sandbox, droplet_ids=[], tags=[])
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("firewalls",)) as client:
        await call_ok(
            client, "firewall_update", firewall_id=firewall["id"], mode="add", tags=["web"]
        )
    (question,) = dialog.questions
    assert question.startswith(f"Add tags to 1 firewall: edge ({firewall['id']}).")
    assert (
        "app-1 (501000101), app-2 (501000102) go behind it: inbound traffic then gets in only by "
        "its rules (tcp 22 from 203.0.113.0/24; tcp 80 from 0.0.0.0/0, ::/0; icmp from 0.0.0.0/0)."
    ) in question
    assert stored(sandbox, firewall["id"])["tags"] == []


async def test_taking_droplets_off_or_deleting_names_them(sandbox, era):
    firewall = seed(sandbox)
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, toolsets=("firewalls",)) as client:
        await call_ok(
            client, "firewall_update", firewall_id=firewall["id"], mode="remove", tags=["web"]
        )
        await call_ok(client, "firewall_delete", firewall_id=firewall["id"])
    untag, delete = dialog.questions
    assert untag.startswith(f"Remove tags from 1 firewall: edge ({firewall['id']}).")
    assert "app-1 (501000101), app-2 (501000102) leave it: its rules stop applying" in untag
    assert "No droplet loses inbound access." in untag
    assert delete.startswith(f"Delete 1 firewall: edge ({firewall['id']}).")
    assert f"{EVERY_DROPLET} leave it" in delete
    assert stored(sandbox, firewall["id"])["tags"] == ["web"]


async def test_read_only_lists_only_the_reads(sandbox):
    seed(sandbox)
    async with connect(sandbox, toolsets=("firewalls",), read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"firewall_list", "firewall_get"}
        items = (await call_ok(client, "firewall_list"))["items"]
        error = await call_error(client, "firewall_delete", firewall_id=items[0]["id"])
    assert "runs read-only" in error
