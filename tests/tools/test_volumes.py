"""Block storage volumes end to end: list, get, create, attach/detach/resize/snapshot, delete,
and the trust rules for them — through MCP clients against the sandbox."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from cargoshipper.server import build_server
from conftest import connect, settings_for
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

APP_DATA = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d101"  # seeded: 100 GiB, nyc3, on app-1, env:prod
SCRATCH = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d102"  # seeded: 10 GiB, nyc3, free
ARCHIVE = "1f6a3b2c-7d84-11ef-9c1a-0a58ac14d103"  # seeded: 50 GiB, fra1, free
MISSING = "00000000-0000-4000-8000-000000000000"
APP_1, APP_2 = 501_000_101, 501_000_102
NEW = dict(name="logs", region="nyc3", size_gigabytes=20)


def posts(sandbox) -> list[tuple[str, str, str]]:
    return [request for request in sandbox.world.requests if request[0] == "POST"]


def volume_record(sandbox, volume_id: str):
    return sandbox.world.table("volumes")[volume_id]


# -- list and get ----------------------------------------------------------------------------


async def test_list_paginates_with_facts_the_agent_needs(client):
    first = await call_ok(client, "volume_list", per_page=2)
    assert len(first["items"]) == 2 and first["total"] == 3
    assert first["has_more"] is True and first["next_page"] == 2
    second = await call_ok(client, "volume_list", per_page=2, page=2)
    assert second["has_more"] is False and second["next_page"] is None
    assert {v["id"] for v in first["items"]}.isdisjoint(v["id"] for v in second["items"])


async def test_list_is_compact_and_detail_is_the_api_object(client):
    listed = await call_ok(client, "volume_list")
    app_data = next(v for v in listed["items"] if v["id"] == APP_DATA)
    assert app_data == {
        "id": APP_DATA,
        "name": "app-1-data",
        "region": "nyc3",
        "size_gigabytes": 100,
        "droplet_ids": [APP_1],
        "tags": ["env:prod"],
    }
    full = await call_ok(client, "volume_list", detail=True)
    raw = next(v for v in full["items"] if v["id"] == APP_DATA)
    assert raw["region"]["slug"] == "nyc3" and "sizes" in raw["region"] and "created_at" in raw


async def test_list_filters_by_region_and_name(client):
    nyc3 = (await call_ok(client, "volume_list", region="nyc3"))["items"]
    assert {v["name"] for v in nyc3} == {"app-1-data", "scratch"}
    fra1 = (await call_ok(client, "volume_list", region="fra1"))["items"]
    assert [v["id"] for v in fra1] == [ARCHIVE]
    named = (await call_ok(client, "volume_list", name="scratch"))["items"]
    assert [v["id"] for v in named] == [SCRATCH]
    both = await call_ok(client, "volume_list", name="scratch", region="fra1")
    assert both["items"] == [] and both["total"] == 0


async def test_get_shows_attachment_and_an_estimated_price(client):
    result = await client.call_tool("volume_get", {"volume_id": APP_DATA})
    item = result.structured_content["item"]
    assert item["droplet_ids"] == [APP_1] and item["region"] == "nyc3"
    assert item["filesystem_type"] == "ext4" and item["filesystem_label"] == "appdata"
    assert item["price_monthly_estimate"] == 10.0
    assert result.content[0].text.startswith(
        "Volume app-1-data: 100 GiB, attached to droplet 501000101."
    )
    full = (await call_ok(client, "volume_get", volume_id=APP_DATA, detail=True))["item"]
    assert full["region"]["slug"] == "nyc3" and "price_monthly_estimate" not in full


async def test_get_unknown_volume_says_where_to_look(client):
    error = await call_error(client, "volume_get", volume_id=MISSING)
    assert f"Volume {MISSING} does not exist" in error and "volume_list" in error


# -- create ----------------------------------------------------------------------------------


async def test_create_returns_the_volume_and_its_estimated_cost(client, sandbox):
    created = await call_ok(
        client,
        "volume_create",
        filesystem_type="xfs",
        filesystem_label="logs",
        description="application logs",
        tags=["logs", "env:prod"],
        **NEW,
    )
    volume = created["resources"][0]
    assert created["done"] is True
    assert volume["name"] == "logs" and volume["size_gigabytes"] == 20
    assert volume["filesystem_type"] == "xfs" and volume["tags"] == ["logs", "env:prod"]
    assert volume["price_monthly_estimate"] == 2.0
    assert created["cost"] == {
        "monthly_usd": 2.0,
        "hourly_usd": 0.00298,
        "detail": "20 GiB at $0.10/GiB-month (published price, 2026-11)",
        "estimate": True,
    }
    listed = (await call_ok(client, "volume_list", name="logs"))["items"]
    assert [v["id"] for v in listed] == [volume["id"]]
    assert sandbox.world.count("POST", "/v2/volumes") == 1


async def test_create_from_a_snapshot_checks_it_first(client, sandbox):
    snapshot = next(iter(sandbox.world.table("volume_snapshots")))  # of app-1-data, 100 GiB
    args = dict(name="restored", region="nyc3", snapshot_id=snapshot)
    small = await call_error(client, "volume_create", size_gigabytes=50, **args)
    assert "size_gigabytes >= 100" in small
    elsewhere = await call_error(
        client, "volume_create", size_gigabytes=100, **{**args, "region": "fra1"}
    )
    assert "nyc3" in elsewhere
    assert sandbox.world.count("POST", "/v2/volumes") == 0
    created = await call_ok(client, "volume_create", size_gigabytes=100, **args)
    assert created["resources"][0]["size_gigabytes"] == 100
    missing = await call_error(
        client,
        "volume_create",
        size_gigabytes=100,
        **{**args, "name": "other", "snapshot_id": MISSING},
    )
    assert f"Volume snapshot {MISSING} does not exist" in missing


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"name": "Logs_1"}, "Invalid volume name"),
        ({"name": "1logs"}, "Invalid volume name"),
        ({"name": "logs\n"}, "Invalid volume name"),
        ({"size_gigabytes": 0}, "from 1 to 16384"),
        ({"size_gigabytes": 16385}, "from 1 to 16384"),
        ({"filesystem_label": "logs"}, "needs filesystem_type"),
        ({"filesystem_type": "xfs", "filesystem_label": "x" * 13}, "at most 12"),
        ({"filesystem_type": "ext4", "filesystem_label": "x" * 17}, "at most 16"),
        ({"tags": ["no spaces"]}, "Invalid tag"),
    ],
)
async def test_bad_create_input_is_refused_before_any_request(client, sandbox, arguments, expected):
    error = await call_error(client, "volume_create", **{**NEW, **arguments})
    assert expected in error
    assert sandbox.world.requests == []


async def test_create_refuses_a_name_taken_in_the_region(client, sandbox):
    error = await call_error(
        client, "volume_create", name="scratch", region="nyc3", size_gigabytes=5
    )
    assert "already exists in nyc3 (id " in error
    assert sandbox.world.count("POST", "/v2/volumes") == 0  # found before creating
    other_region = await call_ok(
        client, "volume_create", name="scratch", region="fra1", size_gigabytes=5
    )
    assert other_region["resources"][0]["region"] == "fra1"


# -- actions ---------------------------------------------------------------------------------


async def test_attach_waits_with_progress_and_updates_the_droplet(client, sandbox):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    result = await client.call_tool(
        "volume_action",
        {"type": "attach", "volume_id": SCRATCH, "droplet_id": APP_2},
        progress_callback=on_progress,
    )
    assert not result.is_error, result.content
    attached = result.structured_content
    assert attached["done"] is True
    assert attached["actions"][0]["type"] == "attach_volume"
    assert attached["actions"][0]["status"] == "completed"
    assert attached["resources"][0]["droplet_ids"] == [APP_2]
    assert result.content[0].text.startswith(
        "attach completed: scratch is 10 GiB, attached to droplet 501000102."
    )
    assert progress, "waiting must send progress notifications"
    assert SCRATCH in sandbox.world.droplets[APP_2].volume_ids
    droplet = (await call_ok(client, "droplet_get", droplet_id=APP_2))["item"]
    assert droplet["volume_ids"] == [SCRATCH]


async def test_detach_defaults_to_the_attached_droplet(client, sandbox):
    detached = await call_ok(client, "volume_action", type="detach", volume_id=APP_DATA)
    assert detached["done"] and "droplet_ids" not in detached["resources"][0]
    assert detached["actions"][0]["type"] == "detach_volume"
    assert APP_DATA not in sandbox.world.droplets[APP_1].volume_ids
    body = posts(sandbox)[0]
    assert body[1] == f"/v2/volumes/{APP_DATA}/actions"


async def test_detach_refuses_a_free_volume_or_the_wrong_droplet(client, sandbox):
    free = await call_error(client, "volume_action", type="detach", volume_id=SCRATCH)
    assert "attached to no droplet" in free and "nothing was detached" in free
    wrong = await call_error(
        client, "volume_action", type="detach", volume_id=APP_DATA, droplet_id=APP_2
    )
    assert "attached to droplet 501000101, not 501000102" in wrong
    assert posts(sandbox) == []


async def test_resize_grows_shows_the_added_cost_and_refuses_shrinking(client, sandbox):
    grown = await call_ok(
        client, "volume_action", type="resize", volume_id=SCRATCH, size_gigabytes=25
    )
    assert grown["resources"][0]["size_gigabytes"] == 25
    assert grown["actions"][0]["type"] == "resize_volume"
    assert grown["cost"]["monthly_usd"] == 1.5 and grown["cost"]["estimate"] is True
    assert grown["cost"]["detail"].startswith("10 -> 25 GiB")
    shrink = await call_error(
        client, "volume_action", type="resize", volume_id=SCRATCH, size_gigabytes=20
    )
    assert "Volumes only grow" in shrink and "25 GiB" in shrink
    assert sandbox.world.count("POST", f"/v2/volumes/{SCRATCH}/actions") == 1


async def test_snapshot_creates_a_volume_snapshot(client, sandbox):
    named = await call_ok(
        client, "volume_action", type="snapshot", volume_id=SCRATCH, name="before-migration"
    )
    snapshot = named["resources"][0]
    assert named["done"] and snapshot["name"] == "before-migration"
    assert snapshot["resource_id"] == SCRATCH and snapshot["min_disk_size"] == 10
    dated = await call_ok(client, "volume_action", type="snapshot", volume_id=SCRATCH)
    assert re.fullmatch(r"scratch-\d{8}-\d{6}", dated["resources"][0]["name"])
    kept = sandbox.world.table("volume_snapshots")
    assert {snapshot["id"], dated["resources"][0]["id"]} <= set(kept)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "attach"}, "attach needs droplet_id"),
        ({"type": "resize"}, "resize needs size_gigabytes"),
        ({"type": "attach", "droplet_id": APP_2, "size_gigabytes": 20}, "size_gigabytes does not"),
        ({"type": "detach", "name": "x"}, "name does not apply to detach"),
        ({"type": "resize", "droplet_id": APP_2, "size_gigabytes": 20}, "droplet_id does not"),
        ({"type": "resize", "size_gigabytes": 20000}, "from 1 to 16384"),
        ({"type": "attach", "droplet_id": 0}, "droplet_id must be"),
    ],
)
async def test_bad_action_input_is_refused_before_any_request(client, sandbox, arguments, expected):
    error = await call_error(client, "volume_action", volume_id=SCRATCH, **arguments)
    assert expected in error
    assert sandbox.world.requests == []


async def test_attach_errors_say_what_is_wrong(client):
    region = await call_error(
        client, "volume_action", type="attach", volume_id=ARCHIVE, droplet_id=APP_1
    )
    assert "422" in region and "same region" in region
    missing = await call_error(
        client, "volume_action", type="attach", volume_id=SCRATCH, droplet_id=999999
    )
    assert "Droplet 999999 does not exist" in missing and "droplet_list" in missing
    unknown = await call_error(
        client, "volume_action", type="attach", volume_id=MISSING, droplet_id=APP_1
    )
    assert f"Volume {MISSING} does not exist" in unknown


async def test_action_without_wait_then_action_get_waits(client):
    started = await call_ok(
        client, "volume_action", type="attach", volume_id=SCRATCH, droplet_id=APP_2, wait=False
    )
    assert started["done"] is False and started["actions"][0]["status"] == "in-progress"
    action_id = started["actions"][0]["id"]
    finished = await call_ok(client, "action_get", action_id=action_id, wait=True)
    assert finished["done"] and finished["actions"][0]["status"] == "completed"
    volume = (await call_ok(client, "volume_get", volume_id=SCRATCH))["item"]
    assert volume["droplet_ids"] == [APP_2]


async def test_a_timeout_says_what_is_still_running(client):
    result = await call_ok(
        client, "volume_action", type="attach", volume_id=SCRATCH, droplet_id=APP_2, timeout=0.01
    )
    assert result["done"] is False and result["resources"] == []
    assert "attach is still in progress (action id" in result["message"]
    assert "action_get" in result["message"]


# -- delete ----------------------------------------------------------------------------------


async def test_delete_a_detached_volume(client, sandbox):
    deleted = await call_ok(client, "volume_delete", volume_id=SCRATCH)
    assert deleted["item"] == {"id": SCRATCH, "name": "scratch", "deleted": True}
    assert SCRATCH not in sandbox.world.table("volumes")
    error = await call_error(client, "volume_get", volume_id=SCRATCH)
    assert "does not exist" in error
    again = await call_error(client, "volume_delete", volume_id=SCRATCH)
    assert f"Volume {SCRATCH} does not exist" in again


async def test_delete_refuses_an_attached_volume_and_says_to_detach(client, sandbox):
    error = await call_error(client, "volume_delete", volume_id=APP_DATA)
    assert "attached to droplet 501000101" in error and "Detach it first" in error
    assert sandbox.world.count("DELETE", f"/v2/volumes/{APP_DATA}") == 0
    await call_ok(client, "volume_action", type="detach", volume_id=APP_DATA)
    await call_ok(client, "volume_delete", volume_id=APP_DATA)
    assert APP_DATA not in sandbox.world.table("volumes")


async def test_deleting_a_droplet_leaves_its_volume_detached(client):
    await call_ok(client, "droplet_delete", droplet_id=APP_1)
    volume = (await call_ok(client, "volume_get", volume_id=APP_DATA))["item"]
    assert "droplet_ids" not in volume


# -- trust -----------------------------------------------------------------------------------


async def test_delete_without_a_dialog_waits_for_a_person(sandbox, era):
    server = build_server(settings_for(sandbox.url, confirm="auto", approval_wait=0.2))
    async with Client(server, mode=era) as client:
        pending = await call_ok(client, "volume_delete", volume_id=SCRATCH)
        preview = pending["approval"]["preview"]
        assert preview.startswith(f"Delete 1 volume: scratch ({SCRATCH}).")
        assert "gone for good" in preview
        assert sandbox.world.count("DELETE", f"/v2/volumes/{SCRATCH}") == 0
        await server.guard.approvals.decide(pending["approval"]["id"], True, "terminal")
        done = await call_ok(client, "volume_delete", volume_id=SCRATCH)
    assert done["item"]["deleted"] is True
    assert SCRATCH not in sandbox.world.table("volumes")


async def test_delete_asks_the_dialog_and_a_decline_changes_nothing(sandbox, era):
    declined = Dialog("decline")
    async with connect(sandbox, era, declined) as client:
        result = await call_ok(client, "volume_delete", volume_id=SCRATCH)
    assert result["approval"]["status"] == "denied" and SCRATCH in sandbox.world.table("volumes")
    assert declined.questions[0].startswith(f"Delete 1 volume: scratch ({SCRATCH}).")
    accepted = Dialog("accept")
    async with connect(sandbox, era, accepted) as client:
        await call_ok(client, "volume_delete", volume_id=SCRATCH)
    assert SCRATCH not in sandbox.world.table("volumes")


async def test_detach_needs_confirmation_and_names_the_droplet(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog) as client:
        await call_ok(client, "volume_action", type="detach", volume_id=APP_DATA)
    assert dialog.questions[0].startswith(f"Detach 1 volume: app-1-data ({APP_DATA}).")
    assert "Droplet 501000101 loses this disk" in dialog.questions[0]
    assert posts(sandbox) == []


async def test_attach_needs_no_approval_but_resize_and_snapshot_ask_with_their_cost(sandbox, era):
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog) as client:
        await call_ok(client, "volume_action", type="attach", volume_id=SCRATCH, droplet_id=APP_2)
        assert dialog.questions == []
        await call_ok(client, "volume_action", type="resize", volume_id=SCRATCH, size_gigabytes=11)
        await call_ok(client, "volume_action", type="snapshot", volume_id=SCRATCH, name="s-1")
        await call_ok(client, "volume_create", **NEW)
    resize, snapshot, create = dialog.questions
    assert "+$0.10/month" in resize and "10 -> 11 GiB" in resize
    assert "snapshot of up to 11 GiB at $0.06/GiB-month" in snapshot
    assert "$0.10/GiB-month" in create
    assert volume_record(sandbox, SCRATCH).size_gigabytes == 11


async def test_a_protected_volume_cannot_be_deleted_or_detached(sandbox, era):
    volume_record(sandbox, APP_DATA).tags.append("protected")
    volume_record(sandbox, SCRATCH).tags.append("protected")
    async with connect(sandbox, era, None, confirm="never") as client:
        deleted = await call_error(client, "volume_delete", volume_id=SCRATCH)
        detached = await call_error(client, "volume_action", type="detach", volume_id=APP_DATA)
        resized = await call_ok(
            client, "volume_action", type="resize", volume_id=SCRATCH, size_gigabytes=11
        )
    assert f"volume scratch ({SCRATCH}) is tagged 'protected'" in deleted
    assert "is tagged 'protected'" in detached and "Nothing was changed" in detached
    assert resized["resources"][0]["size_gigabytes"] == 11
    assert sandbox.world.count("DELETE", f"/v2/volumes/{SCRATCH}") == 0
    assert APP_DATA in sandbox.world.droplets[APP_1].volume_ids


async def test_the_cost_limit_refuses_a_too_large_volume_or_resize(sandbox, era):
    async with connect(sandbox, era, None, confirm="never", max_monthly_cost=10) as client:
        error = await call_error(
            client, "volume_create", name="big", region="nyc3", size_gigabytes=200
        )
        assert "$20.00/month" in error and "--max-monthly-cost" in error
        assert sandbox.world.count("POST", "/v2/volumes") == 0
        ok = await call_ok(client, "volume_create", name="small", region="nyc3", size_gigabytes=100)
        assert ok["cost"]["monthly_usd"] == 10.0
        grow = await call_error(
            client, "volume_action", type="resize", volume_id=SCRATCH, size_gigabytes=111
        )
    assert "$10.10/month" in grow and "10 -> 111 GiB" in grow
    assert sandbox.world.count("POST", f"/v2/volumes/{SCRATCH}/actions") == 0


async def test_read_only_lists_only_the_volume_reads(sandbox):
    async with connect(sandbox, toolsets=("volumes",), read_only=True) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"volume_list", "volume_get"}
        error = await call_error(client, "volume_delete", volume_id=SCRATCH)
    assert "runs read-only" in error and "--read-only" in error
    assert SCRATCH in sandbox.world.table("volumes")


# -- volume snapshots, delete by name, an empty snapshot_id ----------------------------------


def seeded_snapshot(sandbox):
    """The seeded snapshot of app-1-data (100 GiB, nyc3)."""
    (snapshot,) = sandbox.world.table("volume_snapshots").values()
    return snapshot


async def test_snapshots_of_a_volume_are_listed_compactly(client, sandbox):
    snapshot = seeded_snapshot(sandbox)
    await call_ok(client, "volume_action", type="snapshot", volume_id=SCRATCH, name="s-1")
    listed = await call_ok(client, "volume_list", kind="snapshots", volume_id=APP_DATA)
    assert listed["total"] == 1 and listed["has_more"] is False
    (item,) = listed["items"]
    assert item == {
        "id": snapshot.id,
        "name": "app-1-data-weekly",
        "resource_id": APP_DATA,
        "regions": ["nyc3"],
        "min_disk_size": 100,
        "size_gigabytes": snapshot.size_gigabytes,
        "created_at": snapshot.created_at,
    }
    full = await call_ok(client, "volume_list", kind="snapshots", volume_id=APP_DATA, detail=True)
    assert full["items"][0]["resource_type"] == "volume"
    assert sandbox.world.count("GET", f"/v2/volumes/{APP_DATA}/snapshots") == 2


async def test_all_volume_snapshots_are_listed_with_their_volume(client, sandbox):
    await call_ok(client, "volume_action", type="snapshot", volume_id=SCRATCH, name="s-1")
    await call_ok(client, "volume_delete", volume_id=SCRATCH)  # its snapshot stays, and costs
    listed = await call_ok(client, "volume_list", kind="snapshots")
    by_name = {item["name"]: item for item in listed["items"]}
    assert set(by_name) == {"app-1-data-weekly", "s-1"} and listed["total"] == 2
    assert by_name["s-1"]["resource_id"] == SCRATCH  # the volume is gone; the id says which
    (query,) = [q for m, p, q in sandbox.world.requests if p == "/v2/snapshots"]
    assert "resource_type=volume" in query


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"kind": "snapshots", "region": "nyc3"}, "for snapshots give volume_id"),
        ({"kind": "snapshots", "name": "scratch"}, "for snapshots give volume_id"),
        ({"volume_id": SCRATCH}, "add kind=snapshots"),
    ],
)
async def test_snapshot_list_filters_are_checked_before_any_request(
    client, sandbox, arguments, expected
):
    error = await call_error(client, "volume_list", **arguments)
    assert expected in error
    assert sandbox.world.requests == []


async def test_deleting_a_snapshot_asks_and_a_decline_keeps_it(sandbox, era):
    snapshot = seeded_snapshot(sandbox)
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog) as client:
        declined = await call_ok(client, "volume_delete", snapshot_id=snapshot.id)
        assert declined["approval"]["status"] == "denied"
        assert snapshot.id in sandbox.world.table("volume_snapshots")
        deleted = await call_ok(client, "volume_delete", snapshot_id=snapshot.id)
        again = await call_error(client, "volume_delete", snapshot_id=snapshot.id)
    assert dialog.questions[0].startswith(
        f"Delete 1 volume snapshot: app-1-data-weekly ({snapshot.id})."
    )
    assert "volumes restored from it stay" in dialog.questions[0]
    assert deleted["item"] == {"id": snapshot.id, "name": "app-1-data-weekly", "deleted": True}
    assert snapshot.id not in sandbox.world.table("volume_snapshots")
    assert APP_DATA in sandbox.world.table("volumes")  # its volume stays
    assert f"Volume snapshot {snapshot.id} does not exist" in again
    assert "volume_list kind=snapshots" in again


async def test_a_protected_snapshot_is_not_deleted(sandbox, era):
    snapshot = seeded_snapshot(sandbox)
    snapshot.tags.append("protected")
    async with connect(sandbox, era, None, confirm="never") as client:
        error = await call_error(client, "volume_delete", snapshot_id=snapshot.id)
    assert "is tagged 'protected'" in error and "Nothing was changed" in error
    assert snapshot.id in sandbox.world.table("volume_snapshots")


async def test_delete_by_name_and_region_names_the_volume_it_found(sandbox, era, sent):
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog) as client:
        deleted = await call_ok(client, "volume_delete", name="scratch", region="nyc3")
    assert dialog.questions == [
        f"Delete 1 volume: scratch ({SCRATCH}). Its data is gone for good; its snapshots stay. "
        "Approve?"
    ]
    assert deleted["item"] == {"id": SCRATCH, "name": "scratch", "deleted": True}
    assert SCRATCH not in sandbox.world.table("volumes")
    deletes = [(op, params) for op, params in sent if op.startswith("volumes.delete")]
    assert deletes == [("volumes.delete_by_name", {"name": "scratch", "region": "nyc3"})]
    (query,) = [q for m, p, q in sandbox.world.requests if (m, p) == ("DELETE", "/v2/volumes")]
    assert sorted(query.split("&")) == ["name=scratch", "region=nyc3"]


async def test_delete_by_name_refuses_attached_missing_or_half_named_volumes(client, sandbox):
    attached = await call_error(client, "volume_delete", name="app-1-data", region="nyc3")
    assert "attached to droplet 501000101" in attached and "Detach it first" in attached
    missing = await call_error(client, "volume_delete", name="scratch", region="fra1")
    assert "No volume named 'scratch' in fra1" in missing and "volume_list" in missing
    assert not [r for r in sandbox.world.requests if r[0] == "DELETE"]
    before = len(sandbox.world.requests)
    for arguments, expected in [
        ({"name": "scratch"}, "needs both name and region"),
        ({"region": "nyc3"}, "needs both name and region"),
        ({"volume_id": SCRATCH, "name": "scratch", "region": "nyc3"}, "Give exactly one of"),
        ({"volume_id": SCRATCH, "region": "nyc3"}, "region goes with name"),
        ({"snapshot_id": SCRATCH, "region": "nyc3"}, "region goes with name"),
        ({}, "Give exactly one of volume_id or snapshot_id or name"),
    ]:
        error = await call_error(client, "volume_delete", **arguments)
        assert expected in error, arguments
    assert len(sandbox.world.requests) == before  # refused before any request
    assert SCRATCH in sandbox.world.table("volumes")


async def test_a_protected_volume_is_not_deleted_by_name(sandbox, era):
    volume_record(sandbox, SCRATCH).tags.append("protected")
    async with connect(sandbox, era, None, confirm="never") as client:
        error = await call_error(client, "volume_delete", name="scratch", region="nyc3")
    assert f"volume scratch ({SCRATCH}) is tagged 'protected'" in error
    assert sandbox.world.count("DELETE", "/v2/volumes") == 0


async def test_an_empty_snapshot_id_creates_a_blank_volume(client, sandbox, sent):
    created = await call_ok(client, "volume_create", snapshot_id="", **NEW)
    assert created["done"] is True and created["resources"][0]["name"] == "logs"
    assert [p["body"] for op, p in sent if op == "volumes.create"] == [
        {"name": "logs", "region": "nyc3", "size_gigabytes": 20}
    ]
    assert not [op for op, _ in sent if op.startswith("volume_snapshots")]  # nothing looked up
