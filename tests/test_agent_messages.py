"""What the agent reads when things go oddly: each message says what really happened."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mcp import Client

from cargoshipper.sandbox import Fault
from cargoshipper.server import build_server
from conftest import connect, settings_for
from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

#: path -> (status, headers, body) answered by the odd API below
ODD_ANSWERS = {
    "/v2/account": (200, {"content-type": "application/json"}, b'{"account": {not json'),
    "/v2/droplets": (301, {"location": "https://elsewhere.example/v2/droplets"}, b""),
    "/v2/regions": (429, {"content-type": "application/json"}, b'{"id": "too_many_requests"}'),
    "/v2/sizes": (
        200,
        {"content-type": "application/json", "ratelimit-limit": "5000"}
        | {"ratelimit-remaining": "4998", "ratelimit-reset": "1"},
        b'{"sizes": [], "links": {}, "meta": {"total": 0}}',
    ),
}


class _OddAPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, headers, body = ODD_ANSWERS[self.path.split("?")[0]]
        self.send_response(status)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def odd_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def test_a_200_with_a_broken_body_is_not_called_a_refusal(odd_api):
    async with Client(build_server(settings_for(odd_api, retry_total=0))) as client:
        error = await call_error(client, "account_get")
    assert "answered 200" in error and "not valid JSON" in error
    assert "refused" not in error and "Could not reach" not in error


async def test_a_redirect_is_reported_as_a_redirect_not_a_bad_token(odd_api):
    async with Client(build_server(settings_for(odd_api, retry_total=0))) as client:
        error = await call_error(client, "droplet_list")
    assert "redirect (301 to https://elsewhere.example/v2/droplets)" in error
    assert "--api-url" in error and "401" not in error


async def test_a_429_without_headers_does_not_quote_an_older_budget(odd_api):
    async with Client(build_server(settings_for(odd_api, retry_total=0))) as client:
        await call_ok(client, "size_list")  # an earlier answer said 4998 of 5000 were left
        error = await call_error(client, "region_list")
    assert "rate limit is exhausted" in error
    assert "4998" not in error


async def test_the_rate_limit_reset_is_a_time(client):
    account = await call_ok(client, "account_get")
    limits = account["item"]["rate_limit"]
    assert "reset" not in limits
    assert limits["resets_at"].startswith("20") and limits["resets_at"].endswith("+00:00")


async def test_a_create_whose_wait_failed_still_names_the_new_droplet(sandbox):
    async with connect(sandbox, confirm="never", retry_total=0) as client:
        sandbox.world.faults.add(Fault(method="GET", path=r"/v2/droplets/\d+", status=500))
        error = await call_error(
            client,
            "droplet_create",
            name="half-1",
            region="nyc3",
            size="s-1vcpu-1gb",
            image="ubuntu-24-04-x64",
        )
        (droplet,) = (await call_ok(client, "droplet_list", name="half-1"))["items"]
    assert f"which created id {droplet['id']} (half-1)" in error


async def test_api_call_reads_a_yaml_answer_as_text_with_its_secrets_masked(sandbox):
    async with connect(sandbox, confirm="never", toolsets=["all"]) as client:
        cluster = await call_ok(
            client,
            "kubernetes_cluster_create",
            name="yaml-1",
            region="nyc3",
            node_pools=[{"name": "p", "size": "s-2vcpu-4gb", "count": 1}],
            wait=False,
        )
        path = {"cluster_id": cluster["resources"][0]["id"]}
        masked = await call_ok(
            client, "api_call", operation="kubernetes.get_kubeconfig", path_params=path
        )
        full = await call_ok(
            client, "api_call", operation="kubernetes.get_kubeconfig", path_params=path, full=True
        )
    text, secret_text = masked["body"]["text"], full["body"]["text"]
    assert "apiVersion: v1" in text and "clusters:" in text
    assert "token: <secret: full=true shows it>" in text
    token_line = next(line for line in secret_text.splitlines() if "token:" in line)
    assert token_line.split(":", 1)[1].strip() not in text


async def test_api_call_names_the_path_of_a_missing_list(sandbox):
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/reserved_ips", status=404))
    async with connect(sandbox, confirm="never") as client:
        error = await call_error(client, "api_call", operation="reserved_ips.list")
    assert "GET /v2/reserved_ips does not exist (404" in error


def test_plurals_of_kinds_that_end_in_s():
    from cargoshipper.trust import Plan, Target

    targets = (Target("databases", "a", "a"), Target("databases", "b", "b"))
    assert "Delete 2 databases: a (a), b (b)." in Plan("delete", "delete", targets).describe()
