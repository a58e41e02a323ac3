"""DNS end to end: domains and their records, through MCP clients against the sandbox."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from mcp import Client
from mcp.types import ElicitResult

from cargoshipper.server import build_server
from conftest import connect, settings_for
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

WWW = 38_000_006  # seeded "A www 203.0.113.10" of example.com
SOA = 38_000_001  # example.com's SOA record
BLOG = 38_000_007  # seeded "CNAME blog example.github.io"
SEEDED_RECORDS = 10  # SOA, 3 NS, A @, A www, CNAME blog, MX, A mail, TXT


def records(sandbox, domain: str = "example.com") -> dict[int, dict]:
    return sandbox.world.table("domains")[domain].records


def sent(sandbox, method: str | None = None) -> list[tuple[str, str, str]]:
    return [r for r in sandbox.world.requests if method is None or r[0] == method]


# -- domains ---------------------------------------------------------------------------------


async def test_domain_list_is_compact_and_detail_has_the_zone_file(client):
    listed = await call_ok(client, "domain_list")
    assert listed["items"] == [
        {"name": "example.com", "ttl": 1800, "zone": "published"},
        {"name": "example.net", "ttl": 1800, "zone": "published"},
    ]
    assert listed["total"] == 2 and listed["has_more"] is False
    full = (await call_ok(client, "domain_list", detail=True))["items"][0]
    assert "www.example.com. 1800 IN A 203.0.113.10" in full["zone_file"]


async def test_domain_create_adds_soa_ns_and_the_apex_a_record(client, sandbox):
    result = await client.call_tool(
        "domain_create", {"name": "Shop.Example.", "ip_address": "192.0.2.4"}
    )
    assert not result.is_error, result.content
    item = result.structured_content["item"]
    assert item["name"] == "shop.example" and item["zone"] == "pending"
    kinds = sorted((r["type"], r["name"], r["data"]) for r in item["records"])
    assert kinds == [
        ("A", "@", "192.0.2.4"),
        ("NS", "@", "ns1.digitalocean.com"),
        ("NS", "@", "ns2.digitalocean.com"),
        ("NS", "@", "ns3.digitalocean.com"),
        ("SOA", "@", "1800"),
    ]
    assert "ns1, ns2, ns3.digitalocean.com" in result.content[0].text
    assert sandbox.world.count("POST", "/v2/domains") == 1


async def test_domain_create_without_ip_has_no_a_record(client):
    item = (await call_ok(client, "domain_create", name="bare.example"))["item"]
    assert {r["type"] for r in item["records"]} == {"SOA", "NS"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"name": "not a domain"}, "not a domain name"),
        ({"name": "localhost"}, "not a domain name"),
        ({"name": "ok.example", "ip_address": "2001:db8::1"}, "IPv4 address"),
        ({"name": "ok.example", "ip_address": "300.1.2.3"}, "IPv4 address"),
    ],
)
async def test_bad_domain_create_is_refused_before_any_request(
    client, sandbox, arguments, expected
):
    assert expected in await call_error(client, "domain_create", **arguments)
    assert sent(sandbox) == []


async def test_domain_create_of_an_existing_domain_is_refused_before_sending(client, sandbox):
    error = await call_error(client, "domain_create", name="example.com")
    assert "example.com is already in this account" in error
    assert sandbox.world.count("POST", "/v2/domains") == 0


async def test_domain_delete_removes_the_domain_and_its_records(client, sandbox):
    deleted = await call_ok(client, "domain_delete", name="example.net")
    assert deleted["item"] == {"name": "example.net", "deleted": True}
    assert "example.net" not in sandbox.world.table("domains")
    names = [d["name"] for d in (await call_ok(client, "domain_list"))["items"]]
    assert names == ["example.com"]
    error = await call_error(client, "domain_delete", name="example.net")
    assert "Domain example.net does not exist" in error and "domain_list" in error


# -- records: list ---------------------------------------------------------------------------


async def test_record_list_is_compact_with_type_specific_fields(client):
    listed = await call_ok(client, "domain_record_list", domain="example.com")
    assert listed["total"] == SEEDED_RECORDS
    by_type = {r["type"]: r for r in listed["items"]}
    assert by_type["MX"] == {
        "id": 38_000_008,
        "type": "MX",
        "name": "@",
        "data": "mail.example.com",
        "ttl": 1800,
        "priority": 10,
    }
    assert by_type["CNAME"] == {
        "id": BLOG,
        "type": "CNAME",
        "name": "blog",
        "data": "example.github.io",
        "ttl": 3600,
    }
    assert all("port" not in r and "flags" not in r for r in listed["items"])


async def test_record_list_paginates(client):
    first = await call_ok(client, "domain_record_list", domain="example.com", per_page=4)
    assert len(first["items"]) == 4 and first["total"] == SEEDED_RECORDS
    assert first["has_more"] is True and first["next_page"] == 2
    last = await call_ok(client, "domain_record_list", domain="example.com", per_page=4, page=3)
    assert len(last["items"]) == 2 and last["has_more"] is False and last["next_page"] is None
    ids = {r["id"] for r in first["items"]}
    assert ids.isdisjoint(r["id"] for r in last["items"])
    everything = await call_ok(
        client, "domain_record_list", domain="example.com", all_pages=True, per_page=1
    )
    assert len(everything["items"]) == SEEDED_RECORDS


@pytest.mark.parametrize("name", ["www", "www.example.com", "WWW.example.com."])
async def test_record_list_qualifies_the_name_filter(client, sandbox, name):
    listed = await call_ok(client, "domain_record_list", domain="example.com", name=name)
    assert [r["id"] for r in listed["items"]] == [WWW]
    query = sent(sandbox, "GET")[-1][2]
    assert "name=www.example.com" in query


async def test_record_list_filters_by_type_and_apex(client):
    apex_a = await call_ok(client, "domain_record_list", domain="example.com", name="@", type="A")
    assert [(r["name"], r["data"]) for r in apex_a["items"]] == [("@", "203.0.113.10")]
    ns = await call_ok(client, "domain_record_list", domain="example.com", type="NS")
    assert len(ns["items"]) == 3


async def test_record_list_of_an_unknown_domain_says_where_to_look(client):
    error = await call_error(client, "domain_record_list", domain="missing.example")
    assert "Domain missing.example does not exist" in error and "domain_list" in error


# -- records: create -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "stored"),
    [
        ({"type": "A", "name": "api", "data": "192.0.2.10", "ttl": 300}, "192.0.2.10"),
        ({"type": "AAAA", "name": "api", "data": "2001:DB8::10"}, "2001:db8::10"),
        ({"type": "CNAME", "name": "shop", "data": "shops.myshopify.com"}, "shops.myshopify.com"),
        ({"type": "CNAME", "name": "docs", "data": "www"}, "www.example.com"),
        ({"type": "CNAME", "name": "home", "data": "@"}, "@"),
        ({"type": "MX", "data": "mx2.example.org.", "priority": 20}, "mx2.example.org"),
        ({"type": "TXT", "name": "_dmarc", "data": "v=DMARC1; p=none"}, "v=DMARC1; p=none"),
        ({"type": "NS", "name": "lab", "data": "ns1.example.org"}, "ns1.example.org"),
        (
            {
                "type": "SRV",
                "name": "_sip._tcp",
                "data": "sip.example.com",
                "priority": 10,
                "weight": 5,
                "port": 5060,
            },
            "sip.example.com",
        ),
        (
            {"type": "CAA", "data": "letsencrypt.org", "flags": 0, "tag": "issue"},
            "letsencrypt.org",
        ),
    ],
)
async def test_record_create_for_every_type(client, sandbox, arguments, stored):
    result = await client.call_tool("domain_record_set", {"domain": "example.com", **arguments})
    assert not result.is_error, result.content
    item = result.structured_content["item"]
    record = records(sandbox)[item["id"]]
    assert record["type"] == arguments["type"] and record["data"] == stored
    assert record["name"] == arguments.get("name", "@")
    for key in ("priority", "weight", "port", "flags", "tag"):
        assert item.get(key) == arguments.get(key)
    assert result.content[0].text.startswith(f"Created {arguments['type']} ")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "A", "data": "2001:db8::1"}, "A data must be an IPv4 address"),
        ({"type": "AAAA", "data": "192.0.2.1"}, "AAAA data must be an IPv6 address"),
        ({"type": "MX", "data": "mx.example.org"}, "MX records need priority"),
        (
            {"type": "SRV", "name": "_x._tcp", "data": "x.example.org", "priority": 1, "port": 1},
            "SRV records need weight",
        ),
        ({"type": "CAA", "data": "letsencrypt.org", "flags": 0}, "CAA records need tag"),
        ({"type": "A", "data": "192.0.2.1", "port": 80}, "port does not apply to A records"),
        ({"type": "CAA", "data": "ca.example", "flags": 300, "tag": "issue"}, "between 0 and 255"),
        ({"type": "CNAME", "name": "x", "data": "http://example.org/"}, "must be a hostname"),
        ({"type": "A", "name": "bad name", "data": "192.0.2.1"}, "not a record name"),
        ({"type": "TXT", "data": "   "}, "data must not be empty"),
        ({"data": "192.0.2.1"}, "give type and data"),
        ({"type": "A"}, "give type and data"),
        ({"type": "A", "data": "192.0.2.1", "ttl": 5}, "ttl"),
    ],
)
async def test_bad_record_input_is_refused_before_any_request(client, sandbox, arguments, expected):
    error = await call_error(client, "domain_record_set", domain="example.com", **arguments)
    assert expected in error
    assert sent(sandbox) == []


async def test_an_identical_record_is_not_created_twice(client, sandbox):
    error = await call_error(
        client,
        "domain_record_set",
        domain="example.com",
        type="CNAME",
        name="blog",
        data="example.github.io.",
    )
    assert f"already exists (id {BLOG})" in error and "record_id" in error
    assert sent(sandbox, "POST") == []


async def test_record_create_in_an_unknown_domain_says_where_to_look(client):
    error = await call_error(
        client, "domain_record_set", domain="missing.example", type="A", data="192.0.2.1"
    )
    assert "Domain missing.example does not exist" in error


# -- records: update -------------------------------------------------------------------------


async def test_update_changes_only_the_fields_given(client, sandbox):
    updated = await call_ok(
        client, "domain_record_set", domain="example.com", record_id=WWW, ttl=300
    )
    assert updated["item"] == {
        "id": WWW,
        "type": "A",
        "name": "www",
        "data": "203.0.113.10",
        "ttl": 300,
    }
    assert sandbox.world.count("PATCH", f"/v2/domains/example.com/records/{WWW}") == 1
    assert sandbox.world.count("PUT", f"/v2/domains/example.com/records/{WWW}") == 0
    moved = await call_ok(
        client, "domain_record_set", domain="example.com", record_id=BLOG, data="blog.example.org"
    )
    assert moved["item"]["data"] == "blog.example.org" and moved["item"]["ttl"] == 3600


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"record_id": WWW, "data": "mail.example.com"}, "A data must be an IPv4 address"),
        ({"record_id": WWW, "type": "CNAME", "data": "@"}, "is A; to change its type"),
        ({"record_id": WWW, "priority": 5}, "priority does not apply to A records"),
        ({"record_id": SOA, "data": "3600"}, "Only the ttl of the SOA record"),
    ],
)
async def test_bad_update_is_refused_before_the_patch(client, sandbox, arguments, expected):
    error = await call_error(client, "domain_record_set", domain="example.com", **arguments)
    assert expected in error
    assert sent(sandbox, "PATCH") == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, "Nothing to change"),
        ({"name": "bad name"}, "not a record name"),
        ({"port": 70000}, "port must be between 0 and 65535"),
        ({"type": "A", "data": "not-an-ip"}, "A data must be an IPv4 address"),
        ({"type": "A", "weight": 1}, "weight does not apply to A records"),
    ],
)
async def test_update_input_that_is_wrong_anyway_sends_no_request(
    client, sandbox, arguments, expected
):
    error = await call_error(
        client, "domain_record_set", domain="example.com", record_id=WWW, **arguments
    )
    assert expected in error
    assert sent(sandbox) == []


async def test_the_soa_ttl_can_change(client):
    updated = await call_ok(
        client, "domain_record_set", domain="example.com", record_id=SOA, ttl=3600
    )
    assert updated["item"]["ttl"] == 3600
    listed = await call_ok(client, "domain_list")
    assert listed["items"][0]["ttl"] == 3600


async def test_update_of_an_unknown_record_says_where_to_look(client):
    error = await call_error(
        client, "domain_record_set", domain="example.com", record_id=1, ttl=300
    )
    assert "DNS record 1 of example.com does not exist" in error
    assert "domain_record_list" in error


# -- records: delete -------------------------------------------------------------------------


async def test_record_delete(client, sandbox):
    deleted = await call_ok(client, "domain_record_delete", domain="example.com", record_id=WWW)
    assert deleted["item"] == {"id": WWW, "deleted": True}
    assert WWW not in records(sandbox)
    error = await call_error(client, "domain_record_delete", domain="example.com", record_id=WWW)
    assert "DNS record 38000006 of example.com does not exist" in error


async def test_the_soa_record_cannot_be_deleted(client, sandbox):
    error = await call_error(client, "domain_record_delete", domain="example.com", record_id=SOA)
    assert "SOA record cannot be deleted" in error
    assert sent(sandbox, "DELETE") == []


# -- trust -----------------------------------------------------------------------------------


async def test_domain_delete_waits_for_a_person_and_shows_the_records_lost(sandbox, era):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.2))
    async with Client(server, mode=era) as client:
        pending = await call_ok(client, "domain_delete", name="example.com")
        assert (
            "Delete 1 domain: example.com (example.com). "
            f"All its {SEEDED_RECORDS} DNS records are deleted with it"
        ) in pending["approval"]["preview"]
        assert sent(sandbox, "DELETE") == []
        await server.guard.approvals.decide(pending["approval"]["id"], True, "page")
        other = await call_ok(client, "domain_delete", name="example.net")
        assert other["approval"]["status"] == "pending"  # the approval covers example.com only
        await call_ok(client, "domain_delete", name="example.com")
    assert "example.com" not in sandbox.world.table("domains")


async def test_rewriting_a_record_asks_first(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog) as client:
        await call_ok(
            client, "domain_record_set", domain="example.com", record_id=WWW, data="1.2.3.4"
        )
        assert sent(sandbox, "PATCH") == [] and sent(sandbox, "PUT") == []
    assert "Rewrite 1 DNS record: A www.example.com 203.0.113.10" in dialog.questions[0]
    assert "data 1.2.3.4" in dialog.questions[0]


async def test_record_delete_dialog_names_type_name_and_data(sandbox, era):
    questions: list[str] = []

    async def dialog(_context, params) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="decline")

    async with connect(sandbox, era, dialog) as client:
        result = await call_ok(client, "domain_record_delete", domain="example.com", record_id=WWW)
    assert "denied" in result["approval"]["status"]
    assert questions == [
        f"Delete 1 DNS record: A www.example.com 203.0.113.10 ({WWW}). "
        "Lookups of this name stop returning it. Approve?"
    ]
    assert WWW in records(sandbox)


async def test_record_delete_runs_after_the_dialog_is_accepted(sandbox):
    async def dialog(_context, _params) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    async with connect(sandbox, "auto", dialog) as client:
        await call_ok(client, "domain_record_delete", domain="example.com", record_id=BLOG)
    assert BLOG not in records(sandbox)


async def test_read_only_mode_keeps_only_the_dns_reads(sandbox):
    async with connect(sandbox, read_only=True, toolsets=("dns",)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"domain_list", "domain_record_list"}
        error = await call_error(client, "domain_delete", name="example.com")
    assert "read-only" in error
    assert sent(sandbox, "DELETE") == []


# -- the sandbox behaves like DigitalOcean's DNS API -----------------------------------------


def _api(sandbox, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        sandbox.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_sandbox_wants_a_dot_after_hostnames_and_answers_without_it(sandbox):
    path = "/v2/domains/example.com/records"
    status, body = _api(sandbox, "POST", path, {"type": "CNAME", "name": "x", "data": "a.b.org"})
    assert (status, body["message"]) == (422, "Data needs to end with a dot (.)")
    status, body = _api(sandbox, "POST", path, {"type": "CNAME", "name": "x", "data": "a.b.org."})
    assert status == 201 and body["domain_record"]["data"] == "a.b.org"


def test_sandbox_patch_keeps_other_fields_and_put_replaces_them(sandbox):
    path = f"/v2/domains/example.com/records/{BLOG}"
    status, body = _api(sandbox, "PATCH", path, {"type": "CNAME", "ttl": 600})
    assert status == 200 and body["domain_record"]["name"] == "blog"
    assert body["domain_record"]["data"] == "example.github.io"
    status, body = _api(sandbox, "PUT", path, {"type": "CNAME", "data": "@"})
    assert status == 200
    assert (body["domain_record"]["name"], body["domain_record"]["ttl"]) == ("@", 1800)


def test_sandbox_publishes_a_new_zone_after_a_moment(sandbox):
    status, body = _api(sandbox, "POST", "/v2/domains", {"name": "fresh.example"})
    assert status == 201 and body["domain"]["zone_file"] is None
    time.sleep(sandbox.world.config.action_seconds + 0.05)
    zone = _api(sandbox, "GET", "/v2/domains/fresh.example")[1]["domain"]["zone_file"]
    assert "fresh.example. 1800 IN NS ns1.digitalocean.com." in zone
    assert "IN SOA ns1.digitalocean.com. hostmaster.fresh.example." in zone
