"""The conformance walk over the project routes (success and error answers)."""

from __future__ import annotations

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

PROJECTS = "/v2/projects"
DEFAULT = f"{PROJECTS}/default"
MISSING = "00000000-0000-4000-8000-000000000000"
APP_2 = 501_000_102
BODY = {
    "name": "walk-project",
    "description": "made by the walk",
    "purpose": "Service or API",
    "environment": "Staging",
}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_projects(api: Api, sb: Sandbox) -> None:
    project_id = _walk_creates(api)
    _walk_reads(api, project_id)
    _walk_updates(api, project_id)
    _walk_default(api)
    _walk_resources(api, project_id)
    _expect(api.delete(f"{PROJECTS}/{project_id}"), 204)
    _expect(api.delete(f"{PROJECTS}/{project_id}"), 404)


def _walk_creates(api: Api) -> str:
    made = _expect(api.post(PROJECTS, BODY), 201).json["project"]
    _expect(api.post(PROJECTS, {"name": "walk-other", "purpose": "my own purpose"}), 201)
    for bad, status in (
        ({}, 409),  # the name is taken
        ({"name": "x" * 176}, 422),
        ({"name": "walk-2", "environment": "Testing"}, 422),
        ({"name": "walk-2", "description": "x" * 256}, 422),
        ({"name": "walk-2", "is_default": "yes"}, 422),
    ):
        _expect(api.post(PROJECTS, {**BODY, **bad}), status)
    _expect(api.post(PROJECTS, {"name": "walk-2"}), 422)  # purpose is required
    _expect(api.post(PROJECTS, raw=b'{"name": "broken"'), 400)
    return made["id"]


def _walk_reads(api: Api, project_id: str) -> None:
    _expect(api.get(PROJECTS), 200)
    _expect(api.get(PROJECTS, query={"per_page": 1, "page": 2}), 200)
    _expect(api.get(f"{PROJECTS}/{project_id}"), 200)
    _expect(api.get(f"{PROJECTS}/{MISSING}"), 404)


def _walk_updates(api: Api, project_id: str) -> None:
    path = f"{PROJECTS}/{project_id}"
    full = {**BODY, "name": "walk-renamed", "is_default": False}
    _expect(api.put(path, full), 200)
    _expect(api.put(path, {"name": "walk-project"}), 422)  # PUT needs every attribute
    _expect(api.put(path, {**full, "name": "walk-other"}), 409)
    _expect(api.call("PATCH", path, {"environment": "Production"}), 200)
    _expect(api.call("PATCH", path, {}), 422)
    _expect(api.call("PATCH", path, {"purpose": ""}), 422)
    _expect(api.put(f"{PROJECTS}/{MISSING}", full), 404)
    _expect(api.call("PATCH", f"{PROJECTS}/{MISSING}", {"name": "x"}), 404)


def _walk_default(api: Api) -> None:
    current = _expect(api.get(DEFAULT), 200).json["project"]
    fields = ("name", "description", "purpose", "environment", "is_default")
    _expect(api.put(DEFAULT, {k: current[k] for k in fields}), 200)
    _expect(api.put(DEFAULT, {"name": "first-project"}), 422)
    _expect(api.call("PATCH", DEFAULT, {"description": "the default, patched"}), 200)
    _expect(api.call("PATCH", DEFAULT, {"environment": "Nope"}), 422)
    _expect(api.delete(f"{PROJECTS}/{current['id']}"), 412)  # the default


def _walk_resources(api: Api, project_id: str) -> None:
    resources = f"{PROJECTS}/{project_id}/resources"
    _expect(api.get(resources), 200)  # empty
    _expect(api.get(f"{DEFAULT}/resources"), 200)
    _expect(api.get(f"{DEFAULT}/resources", query={"per_page": 2, "page": 2}), 200)
    _expect(api.get(f"{PROJECTS}/{MISSING}/resources"), 404)
    urns = [f"do:droplet:{APP_2}", "do:droplet:1", "do:floatingip:192.0.2.1"]
    _expect(api.post(resources, {"resources": urns}), 200)  # moved, and two unknown
    _expect(api.get(resources), 200)
    _expect(api.delete(f"{PROJECTS}/{project_id}"), 412)  # it has a resource
    _expect(api.post(resources, {"resources": ["droplet:1"]}), 400)
    _expect(api.post(resources, {"resources": []}), 400)
    _expect(api.post(f"{PROJECTS}/{MISSING}/resources", {"resources": urns[:1]}), 404)
    _expect(api.post(f"{DEFAULT}/resources", {"resources": urns[:1]}), 200)  # moved back
