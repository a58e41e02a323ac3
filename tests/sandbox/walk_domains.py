"""The conformance walk over the domain and DNS record routes (success and error answers)."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

RECORDS = "/v2/domains/example.com/records"
#: Unused fields are sent as null, as DigitalOcean's examples do: the spec's schemas for TXT, NS
#: and SRV records list flags and tag as required (nullable) properties.
UNUSED = dict.fromkeys(("priority", "port", "weight", "flags", "tag"))


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_domains(api: Api, sb: Sandbox) -> None:
    _walk_domain_routes(api, sb)
    _walk_record_routes(api)


def _walk_domain_routes(api: Api, sb: Sandbox) -> None:
    _expect(api.get("/v2/domains"), 200)
    _expect(api.get("/v2/domains", query={"per_page": 1, "page": 2}), 200)
    _expect(api.post("/v2/domains", {"name": "walk.example"}), 201)
    _expect(api.post("/v2/domains", {"name": "walk-ip.example", "ip_address": "192.0.2.7"}), 201)
    _expect(api.get("/v2/domains/walk.example"), 200)  # zone file still pending
    time.sleep(sb.world.config.action_seconds + 0.1)
    _expect(api.get("/v2/domains/walk.example"), 200)  # zone file published
    for bad in (
        {"name": "walk.example"},  # exists
        {"name": "not a domain"},
        {},
        {"name": "walk2.example", "ip_address": "300.1.1.1"},
    ):
        _expect(api.post("/v2/domains", bad), 422)
    _expect(api.get("/v2/domains/missing.example"), 404)
    _expect(api.delete("/v2/domains/walk-ip.example"), 204)
    _expect(api.delete("/v2/domains/walk-ip.example"), 404)


def _walk_record_routes(api: Api) -> None:
    _expect(api.get(RECORDS), 200)
    _expect(api.get(RECORDS, query={"type": "A", "name": "www.example.com"}), 200)
    _expect(api.get(RECORDS, query={"per_page": 2, "page": 3}), 200)
    _expect(api.get(RECORDS, query={"type": "SPF"}), 422)
    _expect(api.get("/v2/domains/missing.example/records"), 404)
    created = [
        _expect(api.post(RECORDS, body), 201).json["domain_record"]
        for body in (
            {"type": "A", "name": "api", "data": "192.0.2.10", "ttl": 600},
            {"type": "AAAA", "name": "api", "data": "2001:db8::10"},
            {"type": "CNAME", "name": "docs", "data": "@"},
            {"type": "MX", "name": "@", "data": "mx2.example.com.", "priority": 20},
            {**UNUSED, "type": "TXT", "name": "_dmarc", "data": "v=DMARC1; p=none"},
            {**UNUSED, "type": "NS", "name": "lab", "data": "ns1.example.org."},
            {
                **UNUSED,
                "type": "SRV",
                "name": "_sip._tcp",
                "data": "sip.example.com.",
                "priority": 10,
                "port": 5060,
                "weight": 5,
            },
            {"type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 0, "tag": "issue"},
        )
    ]
    for bad in (
        {"type": "A", "name": "x", "data": "not-an-ip"},
        {"type": "AAAA", "name": "x", "data": "192.0.2.1"},
        {"type": "CNAME", "name": "x", "data": "no-dot.example.com"},
        {"type": "MX", "name": "@", "data": "mx.example.com."},  # no priority
        {"type": "SRV", "name": "_x._tcp", "data": "x.example.com.", "priority": 1},
        {"type": "CAA", "name": "@", "data": "ca.example", "flags": 0, "tag": "nope"},
        {"type": "SOA", "name": "@", "data": "1800"},
        {"type": "A", "name": "bad name", "data": "192.0.2.1"},
        {"type": "A", "name": "x", "data": "192.0.2.1", "ttl": 5},
    ):
        _expect(api.post(RECORDS, bad), 422)
    _expect(api.post("/v2/domains/missing.example/records", {"type": "A", "data": "1.2.3.4"}), 404)
    first = created[0]["id"]
    path = f"{RECORDS}/{first}"
    _expect(api.get(path), 200)
    _expect(api.call("PATCH", path, {"type": "A", "ttl": 300}), 200)
    _expect(api.call("PATCH", path, {"type": "A", "data": "nope"}), 422)
    _expect(api.call("PATCH", path, {"type": "CNAME", "data": "@"}), 422)
    _expect(api.put(path, {"type": "A", "name": "api", "data": "192.0.2.11"}), 200)
    _expect(api.get(f"{RECORDS}/1"), 404)
    _expect(api.call("PATCH", f"{RECORDS}/1", {"type": "A", "ttl": 300}), 404)
    _expect(api.put(f"{RECORDS}/1", {"type": "A", "data": "192.0.2.1"}), 404)
    soa = api.get(RECORDS, query={"type": "SOA"}).json["domain_records"][0]["id"]
    _expect(api.call("PATCH", f"{RECORDS}/{soa}", {"type": "SOA", "ttl": 3600}), 200)
    _expect(api.call("PATCH", f"{RECORDS}/{soa}", {"type": "SOA", "data": "x"}), 422)
    _expect(api.delete(f"{RECORDS}/{soa}"), 422)
    _expect(api.delete(path), 204)
    _expect(api.delete(path), 404)
    _expect(api.get("/v2/domains/example.com"), 200)  # zone file with every record type
