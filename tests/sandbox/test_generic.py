"""The fallback: a generic store for the spec's unsimulated collections, 501 for the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from cargoshipper.sandbox import Sandbox, World, create_app
from cargoshipper.sandbox._api import Request, Response, Router, ok
from cargoshipper.sandbox._app import App
from cargoshipper.sandbox._generic import Collection, generic_collections
from cargoshipper.sandbox._routes import build_router
from cargoshipper.sandbox._spec_index import INDEX_PATH, SPEC_PATH, _Spec, build_index, render

from ._client import Api

RESERVED_IPS = "/v2/reserved_ips"
SERVER = "https://api.digitalocean.com"  # the spec's server URL, for matching paths; never called


def _not_implemented(method: str, template: str) -> dict[str, str]:
    message = (
        f"The sandbox does not simulate {method} {template}; "
        "run CargoShipper with a DigitalOcean token to use it."
    )
    return {"id": "not_implemented", "message": message}


def test_an_unsimulated_collection_is_kept_in_memory(api: Api) -> None:
    assert api.get(RESERVED_IPS).json == {"reserved_ips": [], "links": {}, "meta": {"total": 0}}
    made = api.post(RESERVED_IPS, {"region": "nyc3"})
    assert made.status == 202
    ip = made.json["reserved_ip"]["ip"]
    api.post(RESERVED_IPS, {"region": "fra1"})
    listed = api.get(RESERVED_IPS, query={"per_page": 1}).json
    assert listed["meta"] == {"total": 2} and listed["links"]["pages"]["next"]
    assert [r["ip"] for r in listed["reserved_ips"]] == [ip]
    assert api.get(f"{RESERVED_IPS}/{ip}").json == {"reserved_ip": made.json["reserved_ip"]}
    assert api.delete(f"{RESERVED_IPS}/{ip}").status == 204
    missing = api.get(f"{RESERVED_IPS}/{ip}")
    assert missing.status == 404 and missing.json["id"] == "not_found"
    assert api.get(RESERVED_IPS).json["meta"] == {"total": 1}


def test_items_take_the_body_fields_and_the_spec_id_kind(api: Api) -> None:
    endpoint = api.post("/v2/cdn/endpoints", {"origin": "o.example.com", "ttl": 600}).json
    assert endpoint["endpoint"]["origin"] == "o.example.com"
    assert endpoint["endpoint"]["ttl"] == 600 and len(endpoint["endpoint"]["id"]) == 36
    registry = api.post("/v2/registries", {"name": "mine", "region": "fra1"}).json["registry"]
    assert registry["name"] == "mine"
    assert api.get("/v2/registries/mine").json["registry"] == registry
    again = api.post("/v2/registries", {"name": "mine"})
    assert (again.status, again.json["id"]) == (422, "unprocessable_entity")
    missing = api.post("/v2/cdn/endpoints", {"ttl": 600})
    assert missing.status == 422 and "origin" in missing.json["message"]
    update = {"ttl": 3600, "id": "not-changed"}
    path = f"/v2/cdn/endpoints/{endpoint['endpoint']['id']}"
    assert api.put(path, update).json["endpoint"] == {**endpoint["endpoint"], "ttl": 3600}


def test_generic_items_go_with_a_reset(api: Api, sandbox: Sandbox) -> None:
    api.post(RESERVED_IPS, {"region": "nyc3"})
    sandbox.world.reset()
    assert api.get(RESERVED_IPS).json["meta"]["total"] == 0


def test_other_operations_of_the_spec_answer_501(api: Api) -> None:
    for method, path, template in [
        ("POST", f"{RESERVED_IPS}/192.0.2.1/actions", f"{RESERVED_IPS}/{{reserved_ip}}/actions"),
        ("GET", "/v2/databases/abc/events", "/v2/databases/{database_cluster_uuid}/events"),
        ("GET", "/v2/registry", "/v2/registry"),
        ("DELETE", "/v2/apps/abc", "/v2/apps/{id}"),  # the spec's answer is no envelope
    ]:
        answer = api.call(method, path, {} if method == "POST" else None)
        assert answer.status == 501, (method, path)
        assert answer.json == {
            **_not_implemented(method, template),
            "request_id": answer.headers["x-request-id"],
        }


def test_what_is_not_in_the_spec_stays_404(api: Api) -> None:
    assert api.get("/v2/no-such-collection").status == 404
    assert api.call("PATCH", "/v2/reserved_ips").status == 404  # no such method in the spec
    assert api.get("/v2/droplets/not-a-number").json["id"] == "not_found"  # a refused id
    assert api.get("/v2/droplets/not-a-number/kernels").status == 404


def test_a_hand_written_route_takes_precedence() -> None:
    router = Router()

    @router.get(RESERVED_IPS)
    def hand_written(request: Request) -> Response:
        return ok({"reserved_ips": ["by hand"], "links": {}, "meta": {"total": 1}})

    app = App(World(), Router(build_router(), router))
    served = {c.path for c in generic_collections(app.router)}
    assert RESERVED_IPS not in served and "/v2/cdn/endpoints" in served
    get = app.handle("GET", RESERVED_IPS, {"authorization": "Bearer t"}, b"", "http://x")
    assert json.loads(get.body)["reserved_ips"] == ["by hand"]
    post = app.handle("POST", RESERVED_IPS, {"authorization": "Bearer t"}, b"{}", "http://x")
    assert post.status == 501  # the whole collection leaves the generic store
    assert json.loads(post.body)["message"] == _not_implemented("POST", RESERVED_IPS)["message"]


def test_hand_written_collections_are_not_generic() -> None:
    served = {c.path for c in generic_collections(create_app(World()).router)}
    hand_written = {"/v2/droplets", "/v2/account/keys", "/v2/volumes", "/v2/domains", "/v2/vpcs"}
    assert not served & (hand_written | {"/v2/firewalls", "/v2/load_balancers", "/v2/databases"})
    assert {RESERVED_IPS, "/v2/certificates", "/v2/cdn/endpoints", "/v2/vpc_peerings"} <= served
    assert len(served) >= 25


# --- every generic collection, against the spec ------------------------------------------------


@pytest.fixture(scope="module")
def create_bodies() -> dict[str, Any]:
    """Each collection's create request example from the spec (when it has one)."""
    spec = _Spec(yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    bodies = {}
    for path, item in spec.paths.items():
        body = spec.deref(item.get("post", {}).get("requestBody")) or {}
        media = body.get("content", {}).get("application/json", {})
        examples = [media.get("example")]
        examples += [spec.deref(e).get("value") for e in (media.get("examples") or {}).values()]
        bodies[path] = next((e for e in examples if isinstance(e, dict)), {})
    return bodies


def _round_trip(api: Api, collection: Collection, body: dict) -> list[Any]:
    """List, create, get, update and delete an item, then get it again (a 404)."""
    path, ops = collection.path, collection.ops
    body = {**{k: collection.sample.get(k, "x") for k in collection.required}, **body}
    exchanges = [api.get(path), api.post(path, body)]
    item = exchanges[-1].json[collection.singular]
    item_path = collection.item.rsplit("/", 1)[0] + f"/{item[collection.id]}"
    exchanges.append(api.get(path, query={"per_page": 1}))
    for verb in ("get", "put", "patch", "delete", "get"):
        if verb in ops:
            sent = body if verb in ("put", "patch") else None
            exchanges.append(api.call(verb.upper(), item_path, sent))
    return exchanges


def test_every_generic_collection_answers_within_the_spec(
    api: Api, openapi: OpenAPI, create_bodies: dict[str, Any]
) -> None:
    collections = generic_collections(create_app(World()).router)
    failures = []
    for collection in collections:
        for exchange in _round_trip(api, collection, create_bodies.get(collection.path, {})):
            request = MockRequest(SERVER, exchange.method.lower(), exchange.path)
            response = MockResponse(
                exchange.body, status_code=exchange.status, content_type="application/json"
            )
            try:
                assert exchange.status < 300 or exchange.status == 404, exchange.body[:200]
                openapi.validate_response(request, response)
            except Exception as exc:
                detail = exc.__cause__ or exc
                failures.append(f"{exchange.method} {exchange.path} {exchange.status}: {detail!r}")
    assert not failures, "\n".join(failures)


def test_committed_spec_index_is_current() -> None:
    hint = "run: .venv/bin/python -m cargoshipper.sandbox._spec_index"
    assert render(build_index()) == INDEX_PATH.read_text(encoding="utf-8"), hint
