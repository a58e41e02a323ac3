"""Managed databases end to end: options, clusters, their databases, users, pools, trusted
sources and backups — through MCP clients against the sandbox, with the trust rules (cost shown
first, confirmation, protection) and the secrets (passwords and URIs only when asked for)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server
from cargoshipper.tool_list import size_of
from cargoshipper.tools import databases, projects, vpcs
from conftest import settings_for
from helpers import Dialog, call_error, call_ok, error_text

pytestmark = pytest.mark.anyio

#: The toolset under test, plus vpcs (the issue's cluster goes into a VPC of its own) and
#: projects (a cluster created with project= goes into one).
TOOLS = [*databases.TOOLSET.tools, *vpcs.TOOLSET.tools, *projects.TOOLSET.tools]
PG = {"engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb"}
MISSING = "00000000-0000-4000-8000-000000000000"


@contextlib.asynccontextmanager
async def connect(
    sandbox: Sandbox, era: str = "auto", elicitation: Any = None, **settings: Any
) -> AsyncIterator[Client]:
    """Like conftest.connect, with the databases tools (registered or not)."""
    settings.setdefault("confirm", "auto")
    server = build_server(settings_for(sandbox.url, **settings), tools=TOOLS)
    async with Client(server, mode=era, elicitation_callback=elicitation) as connected:
        yield connected


@pytest.fixture
async def db(sandbox: Sandbox, era: str) -> AsyncIterator[Client]:
    """A client acting without confirmation."""
    async with connect(sandbox, era, confirm="never") as client:
        yield client


def records(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.world.table("databases")


def sent(sandbox: Sandbox, method: str, suffix: str = "") -> list[str]:
    return [
        path
        for verb, path, _ in sandbox.world.requests
        if verb == method and path.startswith("/v2/databases") and path.endswith(suffix)
    ]


def passwords(sandbox: Sandbox) -> list[str]:
    """Every password the sandbox holds for any database user."""
    return [user.password for c in records(sandbox).values() for user in c.users.values()]


async def create(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    created = await call_ok(client, "database_cluster_create", name=name, **{**PG, **arguments})
    assert created["done"] is True, created
    return created["resources"][0]


async def get(client: Client, cluster_id: str, **arguments: Any) -> dict[str, Any]:
    return (await call_ok(client, "database_cluster_get", cluster_id=cluster_id, **arguments))[
        "item"
    ]


async def act(client: Client, type: str, cluster_id: str, **arguments: Any) -> dict[str, Any]:
    return await call_ok(
        client, "database_cluster_action", type=type, cluster_id=cluster_id, **arguments
    )


# -- the toolset -----------------------------------------------------------------------------


async def test_an_opt_in_toolset_whose_tool_list_fits_6000_characters(sandbox):
    assert databases.TOOLSET.default is False
    server = build_server(settings_for(sandbox.url), tools=databases.TOOLSET.tools)
    async with Client(server) as client:
        listed = await client.list_tools()
    names = [tool.name for tool in listed.tools]
    assert names == [
        "database_cluster_list",
        "database_cluster_get",
        "database_cluster_create",
        "database_cluster_action",
        "database_cluster_delete",
    ]
    size = size_of(listed.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert size <= 6000, size
    # what tests/test_tool_contract.py checks of every registered tool
    for tool in listed.tools:
        assert len(tool.description or "") > 20 and tool.output_schema["type"] == "object"
        schema = tool.input_schema
        assert schema["type"] == "object" and not {"anyOf", "oneOf", "allOf"} & set(schema)
        assert "$ref" not in json.dumps(schema), tool.name
        for name, prop in schema["properties"].items():
            assert prop.get("description") and "type" in prop, (tool.name, name)
    for spec in databases.TOOLSET.tools:
        assert spec.plan is not None or spec.access.value == "read", spec.name


# -- the issue's flow ------------------------------------------------------------------------


async def test_the_issue_flow(sandbox, era):
    """Options; a 2-node PostgreSQL cluster in a VPC, its cost asked first, waited for; a
    database, a user and a pool; the connection without and with the password; two trusted
    sources; a resize with its cost; the user deleted after a confirmation."""
    progress: list[str | None] = []

    async def on_progress(done, total, message):
        progress.append(message)

    dialog = Dialog("accept", "accept", "accept", "decline", "accept")
    async with connect(sandbox, era, dialog) as client:
        # the options
        options = await call_ok(client, "database_cluster_list", options=True, engine="pg")
        (pg,) = options["items"]
        assert pg["versions"] == ["13", "14", "15", "16", "17"] and pg["default_version"] == "17"
        assert "nyc3" in pg["regions"] and pg["end_of_life"]["13"] == "2025-11-13"
        assert pg["sizes_by_num_nodes"]["1"] == ["db-s-1vcpu-1gb"]
        assert "db-s-1vcpu-2gb" in pg["sizes_by_num_nodes"]["1,2,3"]
        every = await call_ok(client, "database_cluster_list", options=True)
        engines = {item["engine"] for item in every["items"]}
        assert {"pg", "mysql", "valkey", "redis", "mongodb", "kafka", "opensearch"} <= engines

        # the create: cost asked first, then waited for with progress
        vpc = (await call_ok(client, "vpc_create", name="db-net", region="nyc3"))["item"]
        result = await client.call_tool(
            "database_cluster_create",
            {"name": "pg-main", **PG, "num_nodes": 2, "vpc_uuid": vpc["id"], "tags": ["app"]},
            progress_callback=on_progress,
        )
        assert not result.is_error, error_text(result)
        question = dialog.questions[0]
        assert question.startswith("Create 1 database cluster: pg-main (new).")
        assert "pg 17 in nyc3, 2 x db-s-1vcpu-2gb" in question
        assert "+$60.00/month" in question and "2 x db-s-1vcpu-2gb at $30.00/month" in question
        created = result.structured_content
        assert created["done"] is True and created["cost"]["monthly_usd"] == 60.0
        assert created["cost"]["estimate"] is True
        cluster = created["resources"][0]
        assert cluster["status"] == "online" and cluster["num_nodes"] == 2
        assert cluster["vpc_uuid"] == vpc["id"] and cluster["tags"] == ["app"]
        assert any(m and "creating" in m for m in progress), progress
        cluster_id = cluster["id"]
        assert len(sent(sandbox, "POST", "/v2/databases")) == 1

        # a database, a user, a pool (writes: nobody is asked)
        await act(client, "add_db", cluster_id, name="app")
        added = await act(client, "add_user", cluster_id, name="app-user")
        user = added["resources"][0]
        assert user["name"] == "app-user" and len(user["password"]) >= 16
        assert "in this result only" in added["message"]
        pool = await act(
            client,
            "add_pool",
            cluster_id,
            name="app-pool",
            settings={"db": "app", "mode": "transaction", "size": 10},
        )
        assert pool["resources"][0] == {
            "name": "app-pool",
            "mode": "transaction",
            "size": 10,
            "db": "app",
            "port": 25061,
        }
        assert len(dialog.questions) == 1

        # the connection details: without the password, then with it
        item = await get(client, cluster_id)
        admin = records(sandbox)[cluster_id].admin.password
        assert item["connection"] == {
            "host": "pg-main-do-user-7346051-0.b.db.ondigitalocean.com",
            "port": 25060,
            "user": "doadmin",
            "database": "defaultdb",
            "ssl_mode": "require",
        }
        assert item["private_host"].startswith("private-pg-main-")
        assert item["standby_nodes"] == 1 and item["standby_host"].startswith("replica-")
        assert item["maintenance_window"].endswith(" UTC")
        assert item["databases"] == ["defaultdb", "app"]
        assert {"name": "app-user", "role": "normal"} in item["users"]
        assert item["pools"][0]["name"] == "app-pool"
        text = json.dumps(item)
        assert admin not in text and user["password"] not in text and "://" not in text
        revealed = await get(client, cluster_id, reveal=True)
        assert revealed["connection"]["password"] == admin
        assert revealed["connection"]["uri"].startswith(f"postgresql://doadmin:{admin}@pg-main-")
        assert revealed["private_uri"].startswith("postgresql://doadmin:")
        assert {"name": "app-user", "role": "normal", "password": user["password"]} in revealed[
            "users"
        ]
        assert revealed["pools"][0]["uri"].startswith("postgresql://doadmin:")

        # trusted sources: an address, then a droplet (the address kept)
        await act(client, "add_source", cluster_id, source="203.0.113.5")
        assert "only ip:203.0.113.5 can" in dialog.questions[1]
        droplet_id = next(iter(sandbox.world.droplets))
        added = await act(client, "add_source", cluster_id, source=f"droplet:{droplet_id}")
        assert len(dialog.questions) == 2  # every rule kept: it only lets more in, no question
        assert added["resources"] == [
            {"trusted_sources": ["ip:203.0.113.5", f"droplet:{droplet_id}"]}
        ]
        rules = records(sandbox)[cluster_id].rules
        assert [(r["type"], r["value"]) for r in rules] == [
            ("ip_addr", "203.0.113.5"),
            ("droplet", str(droplet_id)),
        ]
        again = await act(client, "add_source", cluster_id, source="ip:203.0.113.5")
        assert "already is a trusted source; nothing was sent" in again["message"]
        assert len(sent(sandbox, "PUT", "/firewall")) == 2 and len(dialog.questions) == 2

        # resize to a bigger size: the cost difference asked first, then waited for
        resized = await act(client, "resize", cluster_id, size="db-s-2vcpu-4gb")
        question = dialog.questions[2]
        assert question.startswith(f"Resize 1 database cluster: pg-main ({cluster_id}).")
        assert "2 x db-s-1vcpu-2gb -> 2 x db-s-2vcpu-4gb" in question
        assert "+$60.00/month" in question
        assert resized["done"] is True and resized["cost"]["monthly_usd"] == 60.0
        assert resized["resources"][0]["size"] == "db-s-2vcpu-4gb"
        assert resized["resources"][0]["status"] == "online"

        # delete the user: asked (declined, nothing sent), then asked again and done
        declined = await client.call_tool(
            "database_cluster_action",
            {"type": "delete_user", "cluster_id": cluster_id, "name": "app-user"},
        )
        assert not declined.is_error and "denied" in error_text(declined)
        question = dialog.questions[3]
        assert question.startswith("Delete 1 database user: app-user (pg-main/app-user).")
        assert "It can no longer connect" in question
        assert sent(sandbox, "DELETE", "/users/app-user") == []
        deleted = await act(client, "delete_user", cluster_id, name="app-user")
        assert deleted["resources"] == [{"name": "app-user", "deleted": True}]
        assert "app-user" not in records(sandbox)[cluster_id].users
        assert len(dialog.questions) == 5


# -- create: checked against the options, before sending -------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"engine": "postgres"},
            "Unknown engine 'postgres'; valid: kafka, mongodb, mysql, opensearch, pg, redis, "
            "valkey.",
        ),
        ({"version": "9"}, "pg has no version '9'; valid: 13, 14, 15, 16, 17."),
        ({"region": "xyz1"}, "pg is not offered in 'xyz1'; regions: nyc1, nyc3,"),
        (
            {"size": "db-s-64vcpu-1tb"},
            "Size 'db-s-64vcpu-1tb' is not offered for pg with 1 node(s); valid: "
            "db-s-1vcpu-1gb, db-s-1vcpu-2gb,",
        ),
        ({"size": "db-s-1vcpu-1gb", "num_nodes": 2}, "(db-s-1vcpu-1gb needs num_nodes 1)"),
        ({"num_nodes": 4}, "pg takes num_nodes 1, 2, 3, not 4."),
        ({"engine": "kafka"}, "kafka takes num_nodes 3, not 1."),
        ({"engine": "valkey", "storage_size_mib": 20480}, "valkey keeps its data in memory"),
        ({"name": "Bad Name"}, "Invalid cluster name 'Bad Name'"),
        ({"tags": ["no spaces"]}, "Invalid tag 'no spaces'"),
        ({"vpc_uuid": "../vpcs"}, "vpc_uuid must be a UUID"),
        ({"restore_from": {"name": "x"}}, "restore_from is {name:"),
        ({"restore_from": {"name": "nowhere"}}, "No database cluster is named 'nowhere'"),
    ],
)
async def test_bad_create_input_is_refused_naming_valid_choices(db, sandbox, change, expected):
    arguments = {"name": "pg-bad", **PG, **change}
    error = await call_error(db, "database_cluster_create", **arguments)
    assert expected in error, error
    assert sent(sandbox, "POST") == []


async def test_create_refuses_a_name_in_use(db, sandbox):
    first = await create(db, "pg-twice")
    error = await call_error(db, "database_cluster_create", name="pg-twice", **PG)
    assert "already exists" in error and first["id"] in error
    assert len(sent(sandbox, "POST", "/v2/databases")) == 1


async def test_a_cluster_created_with_a_project_goes_there(db):
    project = (await call_ok(db, "project_create", name="data"))["item"]
    made = await call_ok(
        db, "database_cluster_create", name="pg-app", **PG, project="data", wait=False
    )
    assert made["message"].endswith("Assigned to project data.")
    cluster_id = made["resources"][0]["id"]
    assert (await get(db, cluster_id))["project_id"] == project["id"]
    got = (await call_ok(db, "project_get", project="data"))["item"]
    assert got["resources"]["db"] == [{"id": cluster_id, "name": "pg-app"}]


async def test_an_unknown_project_is_refused_before_the_cluster_is_created(db, sandbox):
    error = await call_error(db, "database_cluster_create", name="pg-app", **PG, project="nope")
    assert "No project named 'nope'" in error
    assert [path for verb, path, _ in sandbox.world.requests if verb == "POST"] == []


async def test_create_cost_respects_the_limit(sandbox):
    async with connect(sandbox, max_monthly_cost=50, confirm="never") as client:
        error = await call_error(
            client, "database_cluster_create", name="pg-big", **PG, num_nodes=2
        )
        assert "$60.00/month" in error and "--max-monthly-cost" in error
        await create(client, "pg-small")  # 1 x $30
    assert len(sent(sandbox, "POST", "/v2/databases")) == 1


async def test_a_size_without_a_price_is_refused_under_a_cost_limit(sandbox):
    async with connect(sandbox, max_monthly_cost=1000, confirm="never") as client:
        error = await call_error(
            client,
            "database_cluster_create",
            name="cache",
            engine="valkey",
            region="nyc3",
            size="m-2vcpu-16gb",
        )
    assert "price CargoShipper does not know" in error and sent(sandbox, "POST") == []


async def test_a_create_that_outlasts_the_call_budget_hands_back_done_false():
    with Sandbox(SandboxConfig(boot_seconds=60, action_seconds=0.2)) as slow:
        async with connect(slow, confirm="never", call_budget=3.0) as client:
            created = await call_ok(client, "database_cluster_create", name="pg-slow", **PG)
            assert created["done"] is False
            assert created["resources"][0]["status"] == "creating"
            assert "still in progress" in created["message"]
            assert "database_cluster_get" in created["message"]
            assert "do not repeat" in created["message"]
            started = await call_ok(
                client, "database_cluster_create", name="pg-nowait", **PG, wait=False
            )
            assert started["done"] is False


async def test_every_engine_is_created_with_its_defaults(db, sandbox):
    shapes = {
        "mysql": {},
        "valkey": {},
        "redis": {},
        "mongodb": {},
        "kafka": {"num_nodes": 3, "size": "db-s-2vcpu-4gb"},
        "opensearch": {},
    }
    for engine, shape in shapes.items():
        cluster = await create(db, f"{engine}-1", **{**PG, "engine": engine, **shape})
        assert cluster["engine"] == engine and cluster["status"] == "online"
    versions = {c.engine: c.version for c in records(sandbox).values()}
    assert versions == {
        "mysql": "8",
        "valkey": "8",
        "redis": "7",
        "mongodb": "7.0",
        "kafka": "3.8",
        "opensearch": "2",
    }


async def test_restore_from_a_backup_makes_a_new_cluster(db, sandbox):
    source = await create(db, "pg-source")
    await act(db, "add_db", source["id"], name="orders")
    backups = (await get(db, source["id"]))["backups"]
    stamp = backups[-1]["created_at"]
    wrong = await call_error(
        db,
        "database_cluster_create",
        name="pg-copy",
        **PG,
        restore_from={"name": "pg-source", "backup_created_at": "2001-01-01T00:00:00Z"},
    )
    assert f"no backup created at '2001-01-01T00:00:00Z'; its backups: {stamp}" in wrong
    other = await call_error(
        db,
        "database_cluster_create",
        name="pg-copy",
        **{**PG, "engine": "mysql"},
        restore_from={"name": "pg-source"},
    )
    assert "needs engine=pg" in other
    assert len(sent(sandbox, "POST", "/v2/databases")) == 1
    copy = await create(
        db, "pg-copy", restore_from={"name": "pg-source", "backup_created_at": stamp}
    )
    assert (await get(db, copy["id"]))["databases"] == ["defaultdb", "orders"]


async def test_the_restore_and_its_backup_are_in_the_preview(sandbox):
    async with connect(sandbox, confirm="never") as client:
        await create(client, "pg-source")
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog) as client:
        await call_ok(
            client,
            "database_cluster_create",
            name="pg-copy",
            **PG,
            restore_from={"name": "pg-source"},
        )
    assert "Restored from pg-source's backup of " in dialog.questions[0]
    assert "(the latest)" in dialog.questions[0]


# -- list and get ----------------------------------------------------------------------------


async def test_the_list_is_compact(db, sandbox):
    await create(db, "pg-a", tags=["web"])
    await create(db, "my-b", **{**PG, "engine": "mysql"})
    listed = await call_ok(db, "database_cluster_list")
    assert listed["total"] == 2 and listed["has_more"] is False
    first = next(item for item in listed["items"] if item["name"] == "pg-a")
    assert set(first) == {
        "id",
        "name",
        "engine",
        "version",
        "status",
        "size",
        "num_nodes",
        "region",
        "tags",
    }
    only = await call_ok(db, "database_cluster_list", engine="mysql")
    assert [item["name"] for item in only["items"]] == ["my-b"]
    tagged = await call_ok(db, "database_cluster_list", tag_name="web")
    assert [item["name"] for item in tagged["items"]] == ["pg-a"]
    assert ("GET", "/v2/databases", "tag_name=web") in sandbox.world.requests


async def test_backups_are_listed_with_how_a_restore_works(db):
    cluster = await create(db, "pg-backed")
    item = await get(db, cluster["id"])
    assert item["backups"] and set(item["backups"][0]) == {"created_at", "size_gigabytes"}
    assert "no on-demand backup" in item["backups_note"]
    assert "restore_from" in item["backups_note"]
    assert item["trusted_sources"] == "none: any address may connect (with a password)"


async def test_a_cache_shows_what_it_has(db):
    cluster = await create(db, "cache-1", **{**PG, "engine": "valkey"})
    item = await get(db, cluster["id"])
    assert item["connection"]["user"] == "default" and item["connection"]["port"] == 25061
    assert "users" not in item and "databases" not in item and "pools" not in item
    assert item["backups"].startswith("unavailable (422: Backups are not supported")


async def test_an_unknown_cluster_says_where_to_look(db):
    for tool in ("database_cluster_get", "database_cluster_delete"):
        error = await call_error(db, tool, cluster_id=MISSING)
        assert f"Database cluster {MISSING} does not exist" in error, tool
        assert "database_cluster_list shows the ids" in error, tool
    error = await call_error(
        db, "database_cluster_action", type="add_db", cluster_id=MISSING, name="x"
    )
    assert "database_cluster_list shows the ids" in error


# -- inside a cluster ------------------------------------------------------------------------


async def test_a_pool_on_mysql_is_refused_before_sending(db, sandbox):
    cluster = await create(db, "my-1", **{**PG, "engine": "mysql"})
    error = await call_error(
        db,
        "database_cluster_action",
        type="add_pool",
        cluster_id=cluster["id"],
        name="pool-1",
        settings={"db": "defaultdb", "mode": "transaction", "size": 5},
    )
    assert "PostgreSQL (PgBouncer) only" in error and "runs mysql" in error
    assert sent(sandbox, "POST", "/pools") == [] and sent(sandbox, "GET", "/pools") == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"db": "nope", "mode": "session", "size": 5}, "settings.db must be one of"),
        ({"db": "defaultdb", "mode": "fast", "size": 5}, "settings.mode is one of"),
        ({"db": "defaultdb", "mode": "session", "size": 0}, "settings.size is the pool's"),
        ({"db": "defaultdb", "mode": "session", "size": 5, "user": "x"}, "settings.user must"),
        ({"db": "defaultdb", "mode": "session", "size": 5, "colour": 1}, "colour does not"),
    ],
)
async def test_bad_pools_are_refused_before_sending(db, sandbox, settings, expected):
    cluster = await create(db, "pg-pools")
    error = await call_error(
        db,
        "database_cluster_action",
        type="add_pool",
        cluster_id=cluster["id"],
        name="pool-1",
        settings=settings,
    )
    assert expected in error
    assert sent(sandbox, "POST", "/pools") == []


async def test_users_take_the_options_their_engine_has(db, sandbox):
    mysql = await create(db, "my-users", **{**PG, "engine": "mysql"})
    native = await act(
        db,
        "add_user",
        mysql["id"],
        name="legacy",
        settings={"auth_plugin": "mysql_native_password"},
    )
    assert native["resources"][0]["auth_plugin"] == "mysql_native_password"
    pg = await create(db, "pg-users")
    replica = await act(db, "add_user", pg["id"], name="replicator", settings={"replication": True})
    assert replica["resources"][0]["replication"] is True
    wrong = await call_error(
        db,
        "database_cluster_action",
        type="add_user",
        cluster_id=pg["id"],
        name="x",
        settings={"role": "readOnly"},
    )
    assert "role does not apply to a pg user; its settings: replication." in wrong
    mongo = await create(db, "mongo-users", **{**PG, "engine": "mongodb"})
    reader = await act(
        db,
        "add_user",
        mongo["id"],
        name="reader",
        settings={"role": "readOnly", "databases": ["admin"]},
    )
    assert reader["resources"][0]["mongo"] == {"role": "readOnly", "databases": ["admin"]}
    cache = await create(db, "cache-users", **{**PG, "engine": "valkey"})
    builtin = await call_error(
        db, "database_cluster_action", type="add_user", cluster_id=cache["id"], name="x"
    )
    assert "only its built-in user" in builtin
    assert len(sent(sandbox, "POST", "/users")) == 3


async def test_reset_password_asks_and_returns_the_new_one_once(sandbox):
    async with connect(sandbox, confirm="never") as client:
        cluster = await create(client, "pg-reset")
        first = (await act(client, "add_user", cluster["id"], name="app"))["resources"][0]
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog) as client:
        reset = await act(client, "reset_password", cluster["id"], name="app")
    assert dialog.questions[0].startswith("Reset the password of 1 database user: app")
    assert "The old password stops working at once" in dialog.questions[0]
    new = reset["resources"][0]["password"]
    assert new != first["password"]
    assert records(sandbox)[cluster["id"]].users["app"].password == new


async def test_deletes_name_what_is_lost(sandbox):
    async with connect(sandbox, confirm="never") as client:
        cluster = await create(client, "pg-del")
        cluster_id = cluster["id"]
        await act(client, "add_db", cluster_id, name="orders")
        await act(client, "add_user", cluster_id, name="worker")
        await act(
            client,
            "add_pool",
            cluster_id,
            name="orders-pool",
            settings={"db": "orders", "mode": "session", "size": 5, "user": "worker"},
        )
    dialog = Dialog("decline")
    arguments = [
        {"type": "delete_db", "name": "orders"},
        {"type": "delete_user", "name": "worker"},
        {"type": "delete_pool", "name": "orders-pool"},
    ]
    async with connect(sandbox, "auto", dialog) as client:
        for given in arguments:
            await call_ok(client, "database_cluster_action", cluster_id=cluster_id, **given)
        await call_ok(client, "database_cluster_delete", cluster_id=cluster_id)
    db, user, pool, whole = dialog.questions
    assert db.startswith("Delete 1 database: orders (pg-del/orders).")
    assert "Pools on it stop working: orders-pool." in db
    assert "Pools that connect as it stop working: orders-pool." in user
    assert pool.startswith("Delete 1 connection pool: orders-pool (pg-del/orders-pool).")
    assert "(database orders, session mode) are cut off" in pool
    assert whole.startswith(f"Delete 1 database cluster: pg-del ({cluster_id}).")
    assert "Gone for good: its databases (defaultdb, orders), users, connection pools " in whole
    assert "(orders-pool), automatic backups. Latest backup: " in whole
    assert "1 x db-s-1vcpu-2gb, 30720 MiB storage." in whole and "-$30.00/month" in whole
    assert sent(sandbox, "DELETE") == []


async def test_deletes_run_once_approved_and_are_audited(sandbox, era, tmp_path):
    audit = tmp_path / "audit.jsonl"
    async with connect(sandbox, era, confirm="never") as client:
        cluster_id = (await create(client, "pg-gone"))["id"]
        await act(client, "add_db", cluster_id, name="tmp")
        dropped = await act(client, "delete_db", cluster_id, name="tmp")
        assert dropped["resources"] == [{"name": "tmp", "deleted": True}]
        assert records(sandbox)[cluster_id].dbs == ["defaultdb"]
    dialog = Dialog("decline", "accept")
    async with connect(sandbox, era, dialog, audit_log=audit) as client:
        await call_ok(client, "database_cluster_delete", cluster_id=cluster_id)  # declined
        assert cluster_id in records(sandbox)
        deleted = await call_ok(client, "database_cluster_delete", cluster_id=cluster_id)
        assert deleted["item"] == {"id": cluster_id, "name": "pg-gone", "deleted": True}
        gone = await call_error(client, "database_cluster_get", cluster_id=cluster_id)
    assert "does not exist" in gone and cluster_id not in records(sandbox)
    assert len(dialog.questions) == 2 and len(sent(sandbox, "DELETE", cluster_id)) == 1
    outcome = [json.loads(line) for line in audit.read_text().splitlines()][-1]
    assert outcome["outcome"] == "ok" and outcome["deleted"][0]["id"] == cluster_id


async def test_an_unknown_or_existing_name_is_refused_before_sending(db, sandbox):
    cluster = await create(db, "pg-names")
    cases = [
        ({"type": "delete_db", "name": "nope"}, "has no database 'nope'; it has: defaultdb."),
        ({"type": "add_db", "name": "defaultdb"}, "already has a database 'defaultdb'"),
        ({"type": "delete_user", "name": "nope"}, "has no database user 'nope'; it has: doadmin"),
        ({"type": "delete_user", "name": "doadmin"}, "primary user; it cannot be deleted"),
        ({"type": "delete_pool", "name": "nope"}, "has no connection pool 'nope'; it has: none."),
        ({"type": "add_db"}, "add_db needs name."),
        ({"type": "add_db", "name": "x", "size": "db-s-1vcpu-1gb"}, "size does not apply"),
        ({"type": "resize"}, "resize needs size, num_nodes and/or storage_size_mib"),
        ({"type": "resize", "size": "db-s-1vcpu-2gb"}, "already is 1 x db-s-1vcpu-2gb"),
        ({"type": "resize", "storage_size_mib": 10240}, "Storage only grows"),
        ({"type": "resize", "num_nodes": 2, "size": "db-s-1vcpu-1gb"}, "needs num_nodes 1"),
    ]
    for given, expected in cases:
        error = await call_error(db, "database_cluster_action", cluster_id=cluster["id"], **given)
        assert expected in error, (given, error)
    assert [m for m, p, _ in sandbox.world.requests if m != "GET"] == ["POST"]  # the create


async def test_trusted_sources_are_checked_and_merged(db, sandbox):
    cluster = await create(db, "pg-sources")
    cluster_id = cluster["id"]
    for bad, expected in [
        ("2001:db8::1", "is IPv6: the API takes IPv4 trusted sources only"),
        ("10.0.0.1/8", "is not an IPv4 address or CIDR range"),
        ("droplet:web", "needs a droplet id"),
        ("k8s:abc", "needs a Kubernetes cluster id (UUID)"),
        ("tag:no spaces", "needs a tag name"),
    ]:
        error = await call_error(
            db, "database_cluster_action", type="add_source", cluster_id=cluster_id, source=bad
        )
        assert expected in error, (bad, error)
    await act(db, "add_source", cluster_id, source="ip:10.0.0.0/24")
    await act(db, "add_source", cluster_id, source="tag:web")
    missing = await call_error(
        db,
        "database_cluster_action",
        type="remove_source",
        cluster_id=cluster_id,
        source="tag:db",
    )
    assert (
        "tag:db is not a trusted source of cluster pg-sources; they are: ip:10.0.0.0/24, tag:web"
        in missing
    )
    removed = await act(db, "remove_source", cluster_id, source="10.0.0.0/24")
    assert removed["resources"] == [{"trusted_sources": ["tag:web"]}]
    assert [r["value"] for r in records(sandbox)[cluster_id].rules] == ["web"]
    assert len(sent(sandbox, "PUT", "/firewall")) == 3


async def test_removing_the_last_trusted_source_says_it_opens_the_cluster(sandbox):
    async with connect(sandbox, confirm="never") as client:
        cluster = await create(client, "pg-open")
        await act(client, "add_source", cluster["id"], source="203.0.113.9")
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog) as client:
        await act(client, "remove_source", cluster["id"], source="203.0.113.9")
    assert (
        "remove trusted source ip:203.0.113.9 from 1 database cluster"
        in dialog.questions[0].lower()
    )
    assert "It was the last one: afterwards any address may connect" in dialog.questions[0]


# -- protection ------------------------------------------------------------------------------


async def test_a_protected_cluster_is_not_deleted_or_shrunk(sandbox, era):
    async with connect(sandbox, era, confirm="never") as client:
        cluster = await create(client, "pg-prod", num_nodes=2, tags=["protected"])
        cluster_id = cluster["id"]
        delete = await call_error(client, "database_cluster_delete", cluster_id=cluster_id)
        fewer = await call_error(
            client, "database_cluster_action", type="resize", cluster_id=cluster_id, num_nodes=1
        )
        smaller = await call_error(
            client,
            "database_cluster_action",
            type="resize",
            cluster_id=cluster_id,
            size="db-s-1vcpu-1gb",
            num_nodes=1,
        )
        for error in (delete, fewer, smaller):
            assert "tagged 'protected'" in error and "Nothing was changed" in error, error
        assert sent(sandbox, "DELETE") == [] and sent(sandbox, "PUT") == []
        grown = await act(client, "resize", cluster_id, num_nodes=3)  # spends, loses nothing
    assert grown["done"] is True and grown["resources"][0]["num_nodes"] == 3


async def test_a_smaller_cluster_is_a_destructive_change_with_its_saving(sandbox):
    async with connect(sandbox, confirm="never") as client:
        cluster = await create(client, "pg-shrink", num_nodes=3)
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog) as client:
        shrunk = await act(client, "resize", cluster["id"], num_nodes=2)
    assert dialog.questions[0].startswith("Shrink 1 database cluster: pg-shrink")
    assert "1 standby node(s) removed (less failover)" in dialog.questions[0]
    assert "-$30.00/month" in dialog.questions[0]
    assert shrunk["done"] is True and shrunk["resources"][0]["num_nodes"] == 2


# -- ids and names ---------------------------------------------------------------------------


async def test_hostile_ids_and_names_send_nothing(db, sandbox):
    cluster = await create(db, "pg-hostile")
    before = len(sandbox.world.requests)
    for tool in ("database_cluster_get", "database_cluster_delete"):
        error = await call_error(db, tool, cluster_id="../account?x=")
        assert "cluster_id" in error
    for name in ("../x", "a/b", "x?y", "a b", "%2e%2e"):
        for type in ("delete_db", "delete_user", "delete_pool", "reset_password"):
            error = await call_error(
                db, "database_cluster_action", type=type, cluster_id=cluster["id"], name=name
            )
            assert "Invalid name" in error, (type, name, error)
    assert len(sandbox.world.requests) == before


# -- secrets ---------------------------------------------------------------------------------


async def test_passwords_and_uris_appear_only_when_asked_for(sandbox, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "audit.jsonl"
    quiet: list[str] = []  # every result that must hold no secret
    asked: list[str] = []  # the results that may
    async with connect(sandbox, confirm="never", audit_log=audit) as client:

        async def call(tool: str, secret: bool = False, **arguments: Any) -> Any:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, error_text(result)
            (asked if secret else quiet).append(error_text(result))
            return result.structured_content

        created = await call("database_cluster_create", name="pg-secret", **PG, num_nodes=2)
        cluster_id = created["resources"][0]["id"]
        await call("database_cluster_action", type="add_db", cluster_id=cluster_id, name="app")
        await call(
            "database_cluster_action", True, type="add_user", cluster_id=cluster_id, name="app"
        )
        await call(
            "database_cluster_action",
            True,
            type="reset_password",
            cluster_id=cluster_id,
            name="app",
        )
        await call(
            "database_cluster_action",
            type="add_pool",
            cluster_id=cluster_id,
            name="app-pool",
            settings={"db": "app", "mode": "transaction", "size": 5, "user": "app"},
        )
        await call(
            "database_cluster_action",
            type="add_source",
            cluster_id=cluster_id,
            source="203.0.113.7",
        )
        await call("database_cluster_list")
        await call("database_cluster_list", options=True)
        await call("database_cluster_get", cluster_id=cluster_id)
        await call("database_cluster_get", True, cluster_id=cluster_id, reveal=True)
        await call("database_cluster_action", type="resize", cluster_id=cluster_id, num_nodes=3)
        await call(
            "database_cluster_action", type="delete_pool", cluster_id=cluster_id, name="app-pool"
        )
    secrets = passwords(sandbox)
    assert len(secrets) == 2 and all(len(s) >= 16 for s in secrets)
    for text in quiet:
        for secret in secrets:
            assert secret not in text, text
        assert "postgresql://" not in text and '"password"' not in text and '"uri"' not in text
    shown = " ".join(asked)
    assert all(secret in shown for secret in secrets)  # the reveal and the reset show them
    logged = audit.read_text()
    assert "database_cluster_create" in logged and "reset_password" in logged
    for secret in secrets:
        assert secret not in logged and secret not in caplog.text
    assert "postgresql://" not in logged and "postgresql://" not in caplog.text
    assert caplog.records, "nothing was captured: the check would prove nothing"
