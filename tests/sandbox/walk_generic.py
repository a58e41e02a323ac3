"""The conformance walk over collections served by the generic store, and 501 answers.

The collections are ones no hand-written simulation is planned for; every answer is validated
against the spec by test_openapi_conformance like the rest of the walk.
"""

from __future__ import annotations

from ._client import Api, Exchange

RESERVED_IPS = "/v2/reserved_ips"
UPTIME = {
    "name": "walk check",
    "type": "https",
    "target": "https://www.example.com",
    "regions": ["us_east", "eu_west"],
    "enabled": True,
    "method": "GET",  # the spec's create schema requires it (an upstream quirk)
}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_generic(api: Api) -> None:
    _walk_reserved_ips(api)
    cdn = {"origin": "walk.nyc3.digitaloceanspaces.com"}
    _walk_crud(api, "/v2/cdn/endpoints", "endpoint", cdn, update={"ttl": 600})
    _walk_crud(api, "/v2/uptime/checks", "check", UPTIME, update={"name": "walk renamed"})
    lets_encrypt = {"name": "walk-cert", "type": "lets_encrypt", "dns_names": ["www.example.com"]}
    _walk_crud(api, "/v2/certificates", "certificate", lets_encrypt)
    _walk_crud(api, "/v2/registries", "registry", {"name": "walk-registry", "region": "fra1"})
    _expect(api.post("/v2/certificates", {"type": "lets_encrypt"}), 422)  # name is required


def _walk_reserved_ips(api: Api) -> None:
    _expect(api.get(RESERVED_IPS), 200)
    ip = _expect(api.post(RESERVED_IPS, {"region": "nyc3"}), 202).json["reserved_ip"]["ip"]
    _expect(api.post(RESERVED_IPS, {"region": "fra1"}), 202)
    _expect(api.get(RESERVED_IPS, query={"per_page": 1, "page": 2}), 200)
    _expect(api.get(f"{RESERVED_IPS}/{ip}"), 200)
    _expect(api.get(f"{RESERVED_IPS}/{ip}/actions"), 501)
    _expect(api.post(f"{RESERVED_IPS}/{ip}/actions", {"type": "unassign"}), 501)
    _expect(api.delete(f"{RESERVED_IPS}/{ip}"), 204)
    _expect(api.get(f"{RESERVED_IPS}/{ip}"), 404)
    _expect(api.delete(f"{RESERVED_IPS}/{ip}"), 404)


def _walk_crud(api: Api, path: str, key: str, body: dict, update: dict | None = None) -> None:
    """List, create, get, update (where the spec has it), delete, and 404 after."""
    _expect(api.get(path), 200)
    item = _expect(api.post(path, body), 201).json[key]
    item_id = item.get("id") or item["name"]
    _expect(api.get(path), 200)
    _expect(api.get(f"{path}/{item_id}"), 200)
    if update is not None:
        assert (
            _expect(api.put(f"{path}/{item_id}", update), 200).json[key].items() >= update.items()
        )
    _expect(api.delete(f"{path}/{item_id}"), 204)
    _expect(api.get(f"{path}/{item_id}"), 404)
