"""Approvals that only a person can give: for each client kind (a dialog, URL elicitation,
neither) and both protocol eras, nothing that destroys or spends reaches the sandbox before a
person says yes, and a yes lets exactly the previewed requests through, once."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult

from cargoshipper.server import build_server
from conftest import connect, settings_for
from helpers import Dialog, LinkOpener, call_ok, error_text

pytestmark = pytest.mark.anyio

APP_1, APP_2 = 501_000_101, 501_000_102  # seeded, both tagged web


def deletes(sandbox) -> int:
    return sum(1 for method, _path, _ in sandbox.world.requests if method == "DELETE")


async def test_a_dialog_yes_runs_the_delete(sandbox, era):
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog) as client:
        result = await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert result["resources"] == [{"id": APP_1, "name": "app-1"}]
    assert len(dialog.questions) == 1
    assert dialog.questions[0].startswith("Delete 1 droplet: app-1 (501000101).")
    assert APP_1 not in sandbox.world.droplets and deletes(sandbox) == 1


@pytest.mark.parametrize("answer", ["decline", "cancel"])
async def test_a_dialog_no_changes_nothing_and_says_so(sandbox, era, answer):
    async with connect(sandbox, era, Dialog(answer)) as client:
        result = await client.call_tool("droplet_delete", {"droplet_id": APP_1})
    assert not result.is_error  # a person's no is an answer, not a failure
    assert "denied" in error_text(result) and "Nothing was changed" in error_text(result)
    assert deletes(sandbox) == 0 and APP_1 in sandbox.world.droplets


async def test_the_by_tag_question_lists_every_droplet(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog) as client:
        await client.call_tool("droplet_delete", {"tag_name": "web"})
    assert "Delete 2 droplets: app-1 (501000101), app-2 (501000102)." in dialog.questions[0]


async def test_creates_ask_with_their_cost(sandbox, era):
    dialog = Dialog("decline")
    create = dict(name="c-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
    async with connect(sandbox, era, dialog) as client:
        await client.call_tool("droplet_create", create)
    assert "$6.00/month" in dialog.questions[0]
    assert sandbox.world.count("POST", "/v2/droplets") == 0


TAKEN = {
    "droplet_create": dict(
        name="app-1", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64"
    ),
    "volume_create": dict(name="app-data", region="nyc3", size_gigabytes=10),
    "kubernetes_cluster_create": dict(
        name="prod", region="nyc3", node_pools=[{"name": "web", "size": "s-2vcpu-4gb", "count": 1}]
    ),
}


@pytest.mark.parametrize("tool", TAKEN)
async def test_a_create_whose_name_is_taken_is_refused_before_anyone_is_asked(sandbox, tool):
    """A retried or repeated create finds the first at once: nobody approves a second one."""
    arguments = TAKEN[tool]
    if tool != "droplet_create":  # app-1 is seeded; make the others first
        async with connect(sandbox, toolsets=("all",), confirm="never") as client:
            await call_ok(
                client, tool, **arguments, **({"wait": False} if "node_pools" in arguments else {})
            )
    posts = len([r for r in sandbox.world.requests if r[0] == "POST"])
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, toolsets=("all",)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and "already exists" in error_text(result), error_text(result)
    assert dialog.questions == []
    assert len([r for r in sandbox.world.requests if r[0] == "POST"]) == posts


async def test_harmless_calls_do_not_ask(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog) as client:
        await call_ok(client, "droplet_action", droplet_id=APP_1, type="reboot")
    assert dialog.questions == []


@pytest.mark.parametrize("decision", ["approve", "deny"])
async def test_url_elicitation_opens_a_link_for_that_one_request(sandbox, era, url_only, decision):
    opener = LinkOpener(decision)
    async with connect(sandbox, era, opener, approval_wait=10) as client:
        result = await client.call_tool("droplet_delete", {"droplet_id": APP_1})
    assert not result.is_error, error_text(result)
    assert len(opener.urls) == 1 and "/r/" in opener.urls[0]
    assert deletes(sandbox) == (1 if decision == "approve" else 0)


async def test_confirm_page_uses_the_link_even_where_a_dialog_exists(sandbox, era):
    opener = LinkOpener("approve")
    async with connect(sandbox, era, opener, confirm="page", approval_wait=10) as client:
        await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert len(opener.urls) == 1 and deletes(sandbox) == 1


async def test_without_a_dialog_the_call_waits_then_says_nothing_was_done(sandbox, era):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.5))
    async with Client(server, mode=era) as client:
        first = await call_ok(client, "droplet_delete", droplet_id=APP_1)
        pending = await server.guard.approvals.pending()
        assert first["done"] is False and first["approval"]["status"] == "pending"
        assert first["approval"]["id"] == pending[0].id
        assert "Nothing has been done" in first["message"] and deletes(sandbox) == 0
        text = str(first)
        assert server.guard.page.secret not in text and pending[0].link_secret not in text
        await server.guard.approvals.decide(pending[0].id, True, "terminal")
        done = await call_ok(client, "droplet_delete", droplet_id=APP_1)
        assert done["done"] is True and deletes(sandbox) == 1
        again = await client.call_tool("droplet_delete", {"droplet_id": APP_1})
    assert deletes(sandbox) == 1  # used once: the repeat asks anew (and finds no droplet)
    assert again.is_error and "does not exist" in error_text(again)


async def test_an_approval_covers_only_the_exact_call(sandbox):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.2))
    async with Client(server) as client:
        await call_ok(client, "droplet_delete", droplet_id=APP_1)
        (item,) = await server.guard.approvals.pending()
        await server.guard.approvals.decide(item.id, True, "page")
        other = await call_ok(client, "droplet_delete", droplet_id=APP_2)
    assert other["approval"]["status"] == "pending" and deletes(sandbox) == 0


async def test_an_approval_does_not_cover_resources_that_changed_since(sandbox):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.2))
    async with Client(server) as client:
        await call_ok(client, "droplet_delete", tag_name="web")
        (item,) = await server.guard.approvals.pending()
        await server.guard.approvals.decide(item.id, True, "page")
        sandbox.world.droplets[501_000_103].tags.append("web")  # db-1 joins the tag
        changed = await call_ok(client, "droplet_delete", tag_name="web")
    assert changed["approval"]["status"] == "pending" and "db-1" in changed["approval"]["preview"]
    assert deletes(sandbox) == 0


async def test_a_person_approving_during_the_wait_lets_the_call_finish(sandbox, era):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=20))
    async with Client(server, mode=era) as client, anyio.create_task_group() as group:

        async def approve_when_asked() -> None:
            while not (pending := await server.guard.approvals.pending()):
                await anyio.sleep(0.05)
            await server.guard.approvals.decide(pending[0].id, True, "page")

        group.start_soon(approve_when_asked)
        done = await call_ok(client, "droplet_delete", tag_name="web")
    assert done["done"] is True and deletes(sandbox) == 2


async def test_the_audit_log_names_who_approved(sandbox, tmp_path):
    from cargoshipper.trust import read_records

    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, "auto", Dialog("accept"), audit_log=log) as client:
        await call_ok(client, "droplet_delete", droplet_id=APP_1)
    pending, intent, outcome = list(read_records(log))
    assert pending["event"] == "pending" and pending["approval"]["id"] == intent["approval"]["id"]
    assert intent["approval"]["by"] == "dialog" and outcome["outcome"] == "ok"


async def test_confirm_never_lets_it_run_and_the_audit_log_says_so(sandbox, tmp_path):
    from cargoshipper.trust import read_records

    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, "auto", None, confirm="never", audit_log=log) as client:
        await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert all("never" in r["approval"]["by"] for r in read_records(log))
    assert deletes(sandbox) == 1


async def test_a_link_the_user_would_not_open_returns_at_once_as_pending(sandbox, era, url_only):
    async def refuse(_context, params) -> ElicitResult:
        return ElicitResult(action="decline")

    async with connect(sandbox, era, refuse, approval_wait=30) as client:
        with anyio.fail_after(10):  # not the 30 s approval wait
            result = await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert result["approval"]["status"] == "pending" and deletes(sandbox) == 0
