"""api_search and api_call: the whole API, under the same rules as the curated tools."""

from __future__ import annotations

import json

import pytest

from conftest import connect
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_1 = 501_000_101


async def test_search_returns_operations_with_their_parameters(client):
    result = await call_ok(client, "api_search", query="list reserved IPs", limit=3)
    best = result["operations"][0]
    assert best["id"] == "reserved_ips.list"
    assert best["method"] == "GET" and best["path"] == "/v2/reserved_ips"
    assert len(result["operations"]) <= 3


async def test_call_a_list_reports_pagination(client):
    result = await call_ok(client, "api_call", operation="droplets.list", query={"per_page": 2})
    assert len(result["body"]["droplets"]) == 2
    assert result["total"] >= 3 and result["next_page"] == 2


async def test_call_with_path_params(client):
    result = await call_ok(
        client, "api_call", operation="droplets.get", path_params={"droplet_id": APP_1}
    )
    assert result["body"]["droplet"]["name"] == "app-1"
    missing = await call_error(client, "api_call", operation="droplets.get", path_params={"id": 1})
    assert "droplet 999" not in missing and "takes path_params ['droplet_id']" in missing


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"operation": "droplets.teleport"}, "Unknown operation"),
        ({"operation": "droplets.get"}, "missing ['droplet_id']"),
        ({"operation": "droplets.list", "query": {"colour": "red"}}, "no query parameter"),
        ({"operation": "droplets.list", "query": {"per_page": "many"}}, "must be integer"),
        ({"operation": "droplets.list", "body": {"x": 1}}, "takes no body"),
        ({"operation": "tags.create"}, "needs a body"),
        ({"operation": "droplets.create", "body": {"name": "x"}}, "lacks the required"),
    ],
)
async def test_bad_calls_are_refused_before_any_request(client, sandbox, arguments, expected):
    error = await call_error(client, "api_call", **arguments)
    assert expected in error
    assert sandbox.world.requests == []


async def test_api_errors_come_back_actionable(client):
    error = await call_error(
        client, "api_call", operation="droplets.get", path_params={"droplet_id": 999999}
    )
    assert "does not exist" in error


async def test_a_write_runs_without_confirmation_and_is_audited(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, "auto", None, audit_log=log) as client:
        await call_ok(client, "api_call", operation="tags.create", body={"name": "blue"})
        await call_ok(client, "api_call", operation="tags.list")  # a read: not audited
    assert "blue" in sandbox.world.tags
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and all('"tool":"api_call"' in line for line in lines)


async def test_a_delete_asks_the_user_first(sandbox, era):
    arguments = {"operation": "droplets.destroy", "path_params": {"droplet_id": APP_1}}
    declined = Dialog("decline")
    async with connect(sandbox, era, declined) as client:
        await call_ok(client, "api_call", **arguments)
    assert "app-1 (501000101)" in declined.questions[0]
    assert sandbox.world.count("DELETE", f"/v2/droplets/{APP_1}") == 0
    async with connect(sandbox, era, Dialog("accept")) as client:
        await call_ok(client, "api_call", **arguments)
    assert APP_1 not in sandbox.world.droplets


async def test_destructive_droplet_actions_ask_and_harmless_ones_do_not(sandbox):
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog) as client:
        path = {"droplet_id": APP_1}
        reboot = {"type": "reboot"}
        await call_ok(
            client, "api_call", operation="droplet_actions.post", path_params=path, body=reboot
        )
        assert dialog.questions == []
        rebuild = {"type": "rebuild", "image": "debian-12-x64"}
        await call_ok(
            client, "api_call", operation="droplet_actions.post", path_params=path, body=rebuild
        )
    assert "Droplet action rebuild (the disk is erased" in dialog.questions[0]
    assert "on droplet app-1 (501000101)" in dialog.questions[0]
    assert sandbox.world.count("POST", f"/v2/droplets/{APP_1}/actions") == 1  # the reboot


async def test_protected_droplets_are_refused_through_the_api_too(sandbox):
    sandbox.world.droplets[APP_1].tags.append("protected")
    async with connect(sandbox, "auto", None, confirm="never") as client:
        error = await call_error(
            client, "api_call", operation="droplets.destroy", path_params={"droplet_id": APP_1}
        )
        by_tag = await call_error(
            client, "api_call", operation="droplets.destroy_by_tag", query={"tag_name": "web"}
        )
    assert "protected" in error and "protected" in by_tag
    assert APP_1 in sandbox.world.droplets


async def test_bulk_and_cost_limits_apply(sandbox):
    async with connect(
        sandbox, "auto", None, confirm="never", bulk_limit=1, max_monthly_cost=5
    ) as client:
        bulk = await call_error(
            client, "api_call", operation="droplets.destroy_by_tag", query={"tag_name": "web"}
        )
        cost = await call_error(
            client,
            "api_call",
            operation="droplets.create",
            body={"name": "c-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"},
        )
    assert "over the limit" in bulk and "--max-monthly-cost" in cost
    assert sandbox.world.count("POST", "/v2/droplets") == 0


async def test_read_only_allows_only_gets(sandbox, era):
    async with connect(sandbox, era, None, read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert {"api_search", "api_call"} <= listed
        await call_ok(client, "api_call", operation="droplets.list")
        error = await call_error(client, "api_call", operation="tags.create", body={"name": "x"})
    assert "read-only" in error
    assert sandbox.world.count("POST", "/v2/tags") == 0


async def test_secrets_inside_a_body_are_redacted_in_the_audit_log(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, "auto", None, audit_log=log) as client:
        await call_error(
            client,
            "api_call",
            operation="databases.add_user",
            path_params={"database_cluster_uuid": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"},
            body={"name": "app", "password": "hunter2-very-secret"},
        )
    text = log.read_text()
    assert '"name":"app"' in text and "hunter2-very-secret" not in text


@pytest.mark.parametrize("operation", ["", ".", "inference.list_models"])
async def test_odd_operations_get_a_clear_refusal(client, sandbox, operation):
    error = await call_error(client, "api_call", operation=operation)
    assert "Unknown operation" in error or "another DigitalOcean host" in error
    assert sandbox.world.requests == []


async def test_the_audit_log_names_what_an_api_call_deleted(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    arguments = {"operation": "droplets.destroy", "path_params": {"droplet_id": APP_1}}
    async with connect(sandbox, "auto", Dialog("accept"), audit_log=log) as client:
        await call_ok(client, "api_call", **arguments)
    outcome = [json.loads(line) for line in log.read_text().splitlines()][-1]
    assert outcome["outcome"] == "ok" and outcome["approval"]["by"] == "dialog"
    assert outcome["deleted"] == [{"kind": "droplet", "id": APP_1, "name": "app-1"}]
