"""How failures reach the agent: both pydo error styles, statuses, retries, no duplicate creates."""

from __future__ import annotations

import re
import time

import pytest
from mcp import Client

from cargoshipper.access import DOAccess, DOError
from cargoshipper.sandbox import Fault
from cargoshipper.server import build_server
from conftest import TEST_TOKEN, connect, settings_for
from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

CREATE = dict(name="once-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")


async def test_returned_error_style_404(client):
    """droplets.get *returns* the 404 body in pydo; it must still be an error."""
    assert "does not exist" in await call_error(client, "droplet_get", droplet_id=424242)


async def test_raised_error_style_401(client, sandbox):
    """droplets.list *raises* on 401 in pydo."""
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/droplets", status=401))
    error = await call_error(client, "droplet_list")
    assert "401" in error and "DIGITALOCEAN_TOKEN" in error


async def test_an_unknown_region_or_size_is_refused_with_the_next_step(client, sandbox):
    error = await call_error(client, "droplet_create", **{**CREATE, "region": "xyz9"})
    assert "Unknown region 'xyz9'; region_list shows the regions (" in error
    error = await call_error(client, "droplet_create", **{**CREATE, "size": "s-99vcpu"})
    assert "Unknown size 's-99vcpu'; size_list shows the sizes" in error
    assert sandbox.world.count("POST", "/v2/droplets") == 0


async def test_a_size_not_offered_in_the_region_names_the_regions_that_have_it(client, sandbox):
    error = await call_error(
        client, "droplet_create", **{**CREATE, "size": "c-2", "region": "nyc1"}
    )
    assert "Size c-2 is not offered in nyc1; it is in " in error
    assert "nyc3" in error and "nyc1," not in error
    assert sandbox.world.count("POST", "/v2/droplets") == 0


async def test_a_422_about_the_image_points_to_image_list(client):
    error = await call_error(client, "droplet_create", **{**CREATE, "image": "no-such-image"})
    assert "422" in error and "image_list shows the images" in error


async def test_get_is_retried_after_500_and_429(client, sandbox):
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", status=500))
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", status=429, reset_in=1))
    await call_ok(client, "account_get")
    assert sandbox.world.count("GET", "/v2/account") == 3


async def test_persistent_500_gives_up_with_a_clear_error(client, sandbox):
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", status=500, times=100))
    error = await call_error(client, "account_get")
    assert "server error" in error and "500" in error
    assert sandbox.world.count("GET", "/v2/account") == 4  # 1 + retry_total (3)


async def test_429_with_a_far_reset_is_not_waited_for(client, sandbox):
    sandbox.world.faults.add(
        Fault(method="GET", path=r"/v2/account", status=429, reset_in=1800, times=100)
    )
    error = await call_error(client, "account_get")
    assert "rate limit" in error and "frees up in" in error
    assert sandbox.world.count("GET", "/v2/account") == 1


async def test_create_is_not_repeated_after_a_500(client, sandbox):
    sandbox.world.faults.add(Fault(method="POST", path=r"/v2/droplets", status=500))
    error = await call_error(client, "droplet_create", **CREATE)
    assert "500" in error and "may still have happened" in error
    assert "look for a droplet named 'once-1' (droplet_list name=once-1)" in error
    assert sandbox.world.count("POST", "/v2/droplets") == 1


async def test_create_is_repeated_after_a_429(client, sandbox):
    sandbox.world.faults.add(Fault(method="POST", path=r"/v2/droplets", status=429, reset_in=1))
    await call_ok(client, "droplet_create", wait=False, **CREATE)
    assert sandbox.world.count("POST", "/v2/droplets") == 2
    assert len((await call_ok(client, "droplet_list", name="once-1"))["items"]) == 1


UNKNOWN_OUTCOME_CREATES = [
    ("droplet_create", r"/v2/droplets", CREATE, "droplet_list name=once-1"),
    (
        "volume_create",
        r"/v2/volumes",
        dict(name="vol-once", region="nyc3", size_gigabytes=10),
        "volume_list name=vol-once region=nyc3",
    ),
    (
        "kubernetes_cluster_create",
        r"/v2/kubernetes/clusters",
        dict(
            name="k8s-once",
            region="nyc3",
            node_pools=[{"name": "pool-1", "size": "s-2vcpu-4gb", "count": 1}],
            wait=False,
        ),
        "a cluster named 'k8s-once' (kubernetes_cluster_list)",
    ),
    ("domain_create", r"/v2/domains", dict(name="once.example"), "domain_list"),
    (
        "domain_record_set",
        "/v2/domains/example.com/records",
        dict(domain="example.com", type="A", name="once", data="192.0.2.7"),
        "domain_record_list domain=example.com",
    ),
]


@pytest.mark.parametrize(
    ("tool", "path", "arguments", "look"),
    UNKNOWN_OUTCOME_CREATES,
    ids=[case[0] for case in UNKNOWN_OUTCOME_CREATES],
)
async def test_a_create_of_unknown_outcome_names_what_to_look_for_and_is_not_repeated(
    sandbox, tool, path, arguments, look
):
    """The API creates it but the answer comes too late: the error says exactly what to look
    for, and the agent's retry finds it instead of creating a second one."""
    sandbox.world.faults.add(Fault(method="POST", path=re.escape(path), delay=2.0))
    server = build_server(settings_for(sandbox.url, read_timeout=0.5, toolsets=["all"]))
    async with Client(server) as client:
        error = await call_error(client, tool, **arguments)
        assert "may have been carried out" in error and look in error, error
        assert f"Calling {tool} again with the same arguments is safe" in error
        retry = await call_error(client, tool, **arguments)
        assert "already" in retry, retry
    assert sandbox.world.count("POST", path) == 1


async def test_dropped_connection_on_a_get_is_retried(client, sandbox):
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", drop=True))
    await call_ok(client, "account_get")
    assert sandbox.world.count("GET", "/v2/account") == 2


async def test_unreachable_api_is_explained():
    server = build_server(settings_for("http://127.0.0.1:9", retry_total=0, connect_timeout=0.5))
    async with Client(server) as client:
        error = await call_error(client, "account_get")
    assert "Could not reach the DigitalOcean API" in error


async def test_bad_argument_types_are_refused_by_the_schema(client, sandbox):
    error = await call_error(client, "droplet_get", droplet_id="abc")
    assert "droplet_id" in error
    assert sandbox.world.requests == []


async def test_one_deadline_bounds_a_call_retries_included(sandbox):
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/account", delay=3.0, times=5))
    started = time.monotonic()
    async with connect(sandbox, request_deadline=1.0, read_timeout=10.0) as client:
        error = await call_error(client, "account_get")
    assert time.monotonic() - started < 2.5
    assert "no answer within 1 s" in error


async def test_an_error_body_echoing_the_token_does_not_carry_it_back(sandbox):
    access = DOAccess(settings_for(sandbox.url))
    echoed = DOError(400, "bad_request", f"headers: Authorization: Bearer {TEST_TOKEN}")
    assert TEST_TOKEN not in access._scrubbed(echoed).for_agent()
