"""Every route the sandbox serves, walked over HTTP, and every answer checked against the spec.

The walk covers success answers and the errors the sandbox produces (400, 401, 403, 404, 422,
and 429/500/503 from injected faults). Each answer is validated with openapi-core against the
vendored official OpenAPI spec: status, declared headers, and body. A route that the walk does
not exercise with a 2xx answer fails ``test_walk_exercises_every_route``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from cargoshipper.sandbox import Fault, Sandbox

from ._client import Api, Exchange
from .conftest import FAST
from .walk_databases import walk_databases
from .walk_domains import walk_domains
from .walk_firewalls import walk_firewalls
from .walk_generic import walk_generic
from .walk_kubernetes import content_type, walk_kubernetes
from .walk_load_balancers import walk_load_balancers
from .walk_monitoring import walk_monitoring
from .walk_projects import walk_projects
from .walk_volumes import walk_volumes
from .walk_vpcs import walk_vpcs

SERVER = "https://api.digitalocean.com"  # the spec's server URL, to match paths; never contacted
SETTLE = 0.3  # longer than FAST's boot and action times

WEB_1, WEB_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
SNAPSHOT, UBUNTU = 171_000_011, 170_210_011


@pytest.fixture(scope="module")
def walk() -> Iterator[tuple[Sandbox, list[Exchange]]]:
    """Run the whole walk once against a fresh sandbox; yield it and every exchange."""
    with Sandbox(FAST) as sb:
        api = Api(sb.url)
        _walk(api, sb)
        yield sb, api.log


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def _walk(api: Api, sb: Sandbox) -> None:
    _walk_account_and_catalog(api)
    _walk_ssh_keys(api)
    droplet_id = _walk_droplets(api)
    _walk_droplet_actions(api, droplet_id)
    _walk_actions(api)
    _walk_images(api)
    _walk_tags(api, droplet_id)
    walk_domains(api, sb)
    walk_kubernetes(api, sb)
    walk_volumes(api, sb)
    walk_vpcs(api, sb)
    walk_load_balancers(api, sb)
    walk_firewalls(api, sb)
    walk_databases(api, sb)
    walk_projects(api, sb)
    walk_monitoring(api, sb)
    walk_generic(api)
    _walk_deletes(api)
    _walk_faults(api, sb)


def _walk_account_and_catalog(api: Api) -> None:
    _expect(api.get("/v2/account"), 200)
    _expect(api.get("/v2/account", token=None), 401)
    _expect(api.get("/v2/account", token=""), 401)
    _expect(api.get("/v2/customers/my/balance"), 200)
    _expect(api.get("/v2/regions"), 200)
    _expect(api.get("/v2/regions", query={"per_page": 3, "page": 2}), 200)
    _expect(api.get("/v2/sizes"), 200)
    _expect(api.get("/v2/sizes", query={"per_page": 4, "page": 3}), 200)
    _expect(api.get("/v2/images"), 200)
    for query in ({"type": "distribution"}, {"type": "application"}, {"private": True}):
        _expect(api.get("/v2/images", query=query), 200)
    _expect(api.get("/v2/images", query={"tag_name": "base-image", "per_page": 5}), 200)
    _expect(api.get("/v2/images", query={"per_page": 5, "page": 2}), 200)
    _expect(api.get(f"/v2/images/{UBUNTU}"), 200)
    _expect(api.get("/v2/images/ubuntu-24-04-x64"), 200)
    _expect(api.get("/v2/images/99999"), 404)
    _expect(api.get("/v2/images/no-such-slug"), 404)


def _walk_ssh_keys(api: Api) -> None:
    from cargoshipper.sandbox._seed import make_public_key

    _expect(api.get("/v2/account/keys"), 200)
    key = {"name": "walk", "public_key": make_public_key("walk@test")}
    new = _expect(api.post("/v2/account/keys", key), 201).json["ssh_key"]
    _expect(api.post("/v2/account/keys", key), 422)
    _expect(api.post("/v2/account/keys", {"name": "bad", "public_key": "nope"}), 422)
    _expect(api.get(f"/v2/account/keys/{new['id']}"), 200)
    _expect(api.get(f"/v2/account/keys/{new['fingerprint']}"), 200)
    _expect(api.put(f"/v2/account/keys/{new['id']}", {"name": "renamed"}), 200)
    _expect(api.get("/v2/account/keys/12345"), 404)
    _expect(api.delete(f"/v2/account/keys/{new['fingerprint']}"), 204)
    _expect(api.delete(f"/v2/account/keys/{new['id']}"), 404)


def _walk_droplets(api: Api) -> int:
    _expect(api.get("/v2/droplets"), 200)
    _expect(api.get("/v2/droplets", query={"tag_name": "web"}), 200)
    _expect(api.get("/v2/droplets", query={"name": "app-1"}), 200)
    _expect(api.get("/v2/droplets", query={"per_page": 2, "page": 2}), 200)
    _expect(api.get("/v2/droplets", query={"type": "gpus"}), 200)
    _expect(api.get("/v2/droplets", query={"tag_name": "web", "name": "app-1"}), 422)
    vpc_uuid = api.get(f"/v2/droplets/{WEB_1}").json["droplet"]["vpc_uuid"]
    keys = api.get("/v2/account/keys").json["ssh_keys"]
    body = {
        "name": "walk-1",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "ssh_keys": [keys[0]["id"], keys[1]["fingerprint"]],
        "backups": True,
        "ipv6": True,
        "monitoring": True,
        "tags": ["walk"],
        "user_data": "#cloud-config\n",
        "vpc_uuid": vpc_uuid,
    }
    single = _expect(api.post("/v2/droplets", body), 202).json
    weekly = {"plan": "weekly", "weekday": "TUE", "hour": 8}
    multi = {**body, "names": ["walk-2", "walk-3"], "image": UBUNTU, "backup_policy": weekly}
    del multi["name"]
    _expect(api.post("/v2/droplets", multi), 202)
    for bad in (
        {"size": "s-999"},
        {"region": "mars1"},
        {"image": "windows-95"},
        {"name": "bad_name!"},
        {"size": "m-2vcpu-16gb", "region": "syd1"},
        {"backup_policy": {"plan": "hourly"}},
    ):
        _expect(api.post("/v2/droplets", {**body, **bad}), 422)
    _expect(api.post("/v2/droplets", raw=b'{"name": "broken"'), 400)
    droplet_id = single["droplet"]["id"]
    _expect(api.get(f"/v2/droplets/{droplet_id}"), 200)  # most likely still new
    time.sleep(SETTLE)
    _expect(api.get(f"/v2/droplets/{droplet_id}"), 200)  # active, with addresses
    _expect(api.get("/v2/droplets/1"), 404)
    _walk_backup_policies(api, droplet_id)
    return droplet_id


def _walk_backup_policies(api: Api, droplet_id: int) -> None:
    _expect(api.get(f"/v2/droplets/{droplet_id}/backups/policy"), 200)  # the default, daily
    _expect(api.get(f"/v2/droplets/{WEB_1}/backups/policy"), 200)  # no backups
    _expect(api.get("/v2/droplets/1/backups/policy"), 404)
    _expect(api.get("/v2/droplets/backups/policies"), 200)
    _expect(api.get("/v2/droplets/backups/policies", query={"per_page": 2, "page": 2}), 200)
    _expect(api.get("/v2/droplets/backups/supported_policies"), 200)


def _walk_droplet_actions(api: Api, droplet_id: int) -> None:
    path = f"/v2/droplets/{WEB_1}/actions"
    action = _expect(api.post(path, {"type": "power_off"}), 201).json["action"]
    _expect(api.get(f"{path}/{action['id']}"), 200)
    _expect(api.get(path), 200)
    _expect(api.get(path, query={"per_page": 1, "page": 2}), 200)
    _expect(
        api.post(f"/v2/droplets/{WEB_2}/actions", {"type": "resize", "size": "s-2vcpu-4gb"}), 422
    )
    _expect(api.post(f"/v2/droplets/{WEB_2}/actions", {"type": "explode"}), 422)
    _expect(api.post("/v2/droplets/1/actions", {"type": "reboot"}), 404)
    _expect(api.get(f"{path}/1"), 404)
    _expect(api.get("/v2/droplets/1/actions"), 404)
    _expect(api.get(f"/v2/droplets/{droplet_id}/kernels"), 200)
    _expect(api.get(f"/v2/droplets/{droplet_id}/kernels", query={"per_page": 1, "page": 2}), 200)
    _expect(api.get("/v2/droplets/1/kernels"), 404)
    _expect(api.post(f"/v2/droplets/{WEB_2}/actions", {"type": "change_kernel", "kernel": 1}), 422)
    time.sleep(SETTLE)
    _expect(api.post(path, {"type": "resize", "size": "s-2vcpu-4gb", "disk": True}), 201)
    _expect(api.post(f"/v2/droplets/{DB_1}/actions", {"type": "snapshot", "name": "db-snap"}), 201)
    for body in (
        {"type": "reboot"},
        {"type": "rename", "name": "walk-renamed"},
        {"type": "rebuild", "image": "debian-12-x64"},
        {"type": "change_kernel", "kernel": 7515},
        {"type": "enable_backups", "backup_policy": {"plan": "weekly", "weekday": "SUN"}},
    ):
        _expect(api.post(f"/v2/droplets/{droplet_id}/actions", body), 201)
        time.sleep(SETTLE)
    _expect(api.get(f"/v2/droplets/{droplet_id}"), 200)  # its kernel and weekly window
    _expect(api.get(f"/v2/droplets/{droplet_id}/backups/policy"), 200)
    by_tag = "/v2/droplets/actions"
    _expect(api.post(by_tag, {"type": "power_cycle"}, query={"tag_name": "walk"}), 201)
    _expect(api.post(by_tag, {"type": "resize"}, query={"tag_name": "walk"}), 422)
    time.sleep(SETTLE)


def _walk_actions(api: Api) -> None:
    listed = _expect(api.get("/v2/actions"), 200).json["actions"]
    _expect(api.get("/v2/actions", query={"per_page": 2, "page": 2}), 200)
    _expect(api.get(f"/v2/actions/{listed[0]['id']}"), 200)
    _expect(api.get("/v2/actions/1"), 404)


def _walk_images(api: Api) -> None:
    image = f"/v2/images/{SNAPSHOT}"
    _expect(api.get(f"/v2/snapshots/{SNAPSHOT}"), 200)
    _expect(api.get("/v2/snapshots/99999"), 404)
    update = {"name": "renamed", "description": "walk", "distribution": "Ubuntu"}
    _expect(api.put(image, update), 200)
    _expect(api.put(image, {"distribution": "Windows"}), 422)
    _expect(api.put(f"/v2/images/{UBUNTU}", {"name": "mine"}), 403)
    _expect(api.put("/v2/images/99999", {"name": "x"}), 404)
    _expect(api.delete(f"/v2/snapshots/{SNAPSHOT}"), 204)
    _expect(api.delete(image), 404)


def _walk_tags(api: Api, droplet_id: int) -> None:
    _expect(api.get("/v2/tags"), 200)
    _expect(api.post("/v2/tags", {"name": "walk-tag"}), 201)
    _expect(api.post("/v2/tags", {"name": "no spaces"}), 400)
    resources = {
        "resources": [
            {"resource_id": str(droplet_id), "resource_type": "droplet"},
            {"resource_id": "171000012", "resource_type": "image"},
        ]
    }
    _expect(api.post("/v2/tags/walk-tag/resources", resources), 204)
    _expect(api.get("/v2/tags/walk-tag"), 200)
    _expect(api.get("/v2/tags/missing"), 404)
    _expect(api.get("/v2/tags/env%3Aprod"), 200)  # percent-encoded, as pydo sends it
    missing = {"resources": [{"resource_id": "1", "resource_type": "droplet"}]}
    _expect(api.post("/v2/tags/walk-tag/resources", missing), 404)
    _expect(api.post("/v2/tags/missing/resources", resources), 404)
    _expect(api.delete("/v2/tags/walk-tag/resources", resources), 204)
    _expect(api.delete("/v2/tags/walk-tag"), 204)
    _expect(api.delete("/v2/tags/walk-tag"), 404)
    _expect(api.delete("/v2/images/171000012"), 204)  # the seeded backup


def _walk_deletes(api: Api) -> None:
    walk_2 = api.get("/v2/droplets", query={"name": "walk-2"}).json["droplets"][0]["id"]
    _expect(api.delete(f"/v2/droplets/{walk_2}"), 204)
    _expect(api.delete(f"/v2/droplets/{walk_2}"), 404)
    _expect(api.delete("/v2/droplets", query={"tag_name": "walk"}), 204)
    _expect(api.delete("/v2/droplets", query={"tag_name": "no-such-tag"}), 404)


def _walk_faults(api: Api, sb: Sandbox) -> None:
    sb.world.faults.add(Fault(method="GET", path="/v2/account", status=429, reset_in=5))
    _expect(api.get("/v2/account"), 429)
    sb.world.faults.add(Fault(method="POST", path="/v2/droplets", status=500))
    _expect(api.post("/v2/droplets", {"name": "x", "size": "s-1vcpu-1gb", "image": UBUNTU}), 500)
    sb.world.faults.add(Fault(path=r"/v2/regions", status=503))
    _expect(api.get("/v2/regions"), 503)
    _expect(api.get("/v2/no-such-route"), 404)


def _request(exchange: Exchange) -> MockRequest:
    """The request as the spec sees it: path parameters percent-decoded (``env%3Aprod``)."""
    return MockRequest(
        SERVER,
        exchange.method,
        unquote(exchange.path),
        args=exchange.query,
        headers={"Authorization": "Bearer x"},
        data=exchange.request_body,
    )


def _validate(openapi: OpenAPI, exchange: Exchange) -> None:
    request = _request(exchange)
    response = MockResponse(
        exchange.body,
        status_code=exchange.status,
        headers=exchange.headers,
        content_type=exchange.headers.get("content-type", ""),
    )
    openapi.validate_response(request, response)


def test_every_answer_matches_the_spec(
    openapi: OpenAPI, walk: tuple[Sandbox, list[Exchange]]
) -> None:
    _, exchanges = walk
    failures = []
    for exchange in exchanges:
        if exchange.path == "/v2/no-such-route":
            continue
        try:
            _validate(openapi, exchange)
        except Exception as exc:
            detail = getattr(exc, "__cause__", None) or exc
            failures.append(f"{exchange.method} {exchange.path} -> {exchange.status}: {detail!r}")
    assert not failures, "\n".join(failures)


def test_walk_sends_valid_requests(openapi: OpenAPI, walk: tuple[Sandbox, list[Exchange]]) -> None:
    """The walk's successful requests are themselves valid, so its answers are the ones that count.

    The spec marks the ``ssh_key_identifier`` path parameter's schemas ``readOnly``, which makes
    every request to ``/v2/account/keys/{id}`` invalid to openapi-core; those are skipped.
    """
    _, exchanges = walk
    failures = []
    for exchange in exchanges:
        if exchange.status >= 300 or exchange.path.startswith("/v2/account/keys/"):
            continue
        try:
            openapi.validate_request(_request(exchange))
        except Exception as exc:
            failures.append(f"{exchange.method} {exchange.path}: {exc.__cause__ or exc!r}")
    assert not failures, "\n".join(failures)


def test_walk_exercises_every_route(walk: tuple[Sandbox, list[Exchange]]) -> None:
    sb, exchanges = walk
    succeeded = set()
    for exchange in exchanges:
        found = sb.app.router.match(exchange.method, exchange.path)
        if found is not None and 200 <= exchange.status < 300:
            succeeded.add((found[0].method, found[0].template))
    missing = sorted(set(sb.app.routes) - succeeded)
    assert not missing, f"routes never answered with a 2xx by the walk: {missing}"


def test_every_route_is_in_the_spec(openapi: OpenAPI, walk: tuple[Sandbox, list[Exchange]]) -> None:
    sb, _ = walk
    paths = openapi.spec / "paths"
    missing = [
        (method, template)
        for method, template in sb.app.routes
        if template not in paths or method.lower() not in paths / template
    ]
    assert not missing


def test_walk_covers_error_statuses(walk: tuple[Sandbox, list[Exchange]]) -> None:
    _, exchanges = walk
    statuses = {exchange.status for exchange in exchanges}
    assert {400, 401, 403, 404, 422, 429, 500, 501, 503} <= statuses


def test_every_answer_carries_digitalocean_headers(walk: tuple[Sandbox, list[Exchange]]) -> None:
    _, exchanges = walk
    for exchange in exchanges:
        headers = exchange.headers
        assert headers["content-type"] == content_type(exchange)
        for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-request-id"):
            assert headers[name], (name, exchange.path)
        if exchange.status >= 400 and exchange.path != "/v2/tags":
            body = exchange.json
            assert set(body) == {"id", "message", "request_id"}, body
            assert body["request_id"] == headers["x-request-id"]


def test_unknown_route_is_a_do_not_found(walk: tuple[Sandbox, list[Exchange]]) -> None:
    _, exchanges = walk
    unknown = next(e for e in exchanges if e.path == "/v2/no-such-route")
    assert unknown.status == 404
    assert unknown.json["id"] == "not_found"
