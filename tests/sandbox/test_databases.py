"""How managed databases behave: lifecycle, connections, users, databases, pools, trusted sources,
resize, backups, tags and VPC membership."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cargoshipper.sandbox import Sandbox, SandboxConfig, World

from ._client import Api, Exchange, FakeClock

DATABASES = "/v2/databases"
MISSING = "00000000-0000-4000-8000-000000000000"
WEB_1 = 501_000_101
DAY = 86_400
PG = {"name": "main-db", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1}
POOL = {"name": "app-pool", "mode": "transaction", "size": 10, "db": "defaultdb"}


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[Sandbox, FakeClock]]:
    clock = FakeClock()
    with Sandbox(world=World(SandboxConfig(), clock=clock)) as sb:
        yield sb, clock


@pytest.fixture
def sim(clocked: tuple[Sandbox, FakeClock]) -> tuple[Api, FakeClock]:
    """A client on a sandbox whose clock only moves when told (3 s boots)."""
    sb, clock = clocked
    sb.world.reset()
    return Api(sb.url), clock


def _create(api: Api, **changes: object) -> dict:
    answer = api.post(DATABASES, {**PG, **changes})
    assert answer.status == 201, answer.json
    return answer.json["database"]


def _online(sim: tuple[Api, FakeClock], **changes: object) -> dict:
    """A cluster that has finished creating."""
    api, clock = sim
    cluster = _create(api, **changes)
    clock.advance(3.1)
    return _get(api, cluster["id"])


def _get(api: Api, cluster_id: str) -> dict:
    return api.get(f"{DATABASES}/{cluster_id}").json["database"]


def _error(answer: Exchange, status: int) -> str:
    assert answer.status == status, answer.json
    return answer.json["message"]


# --- lifecycle and defaults ---------------------------------------------------------------------


def test_a_cluster_is_creating_then_online(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api)
    assert cluster["status"] == "creating"
    clock.advance(2.9)
    assert _get(api, cluster["id"])["status"] == "creating"
    clock.advance(0.2)
    assert _get(api, cluster["id"])["status"] == "online"


def test_defaults_of_a_new_cluster(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _create(api)
    vpcs = api.get("/v2/vpcs", query={"per_page": 200}).json["vpcs"]
    default_vpc = next(v for v in vpcs if v["region"] == "nyc3" and v["default"])
    assert cluster["private_network_uuid"] == default_vpc["id"]
    assert (cluster["version"], cluster["semantic_version"]) == ("17", "17.4")
    assert cluster["storage_size_mib"] == 30 * 1024  # the size's base storage
    assert cluster["db_names"] == ["defaultdb"]
    assert [(u["name"], u["role"]) for u in cluster["users"]] == [("doadmin", "primary")]
    assert cluster["connection"]["database"] == "defaultdb" and cluster["connection"]["ssl"]
    assert cluster["private_connection"]["host"].startswith("private-main-db-")
    assert "standby_connection" not in cluster  # one node
    assert set(cluster["maintenance_window"]) >= {"day", "hour", "pending"}
    two = _create(api, name="two-nodes", num_nodes=2)
    assert two["standby_connection"]["host"].startswith("replica-two-nodes-")


def test_options_offer_each_engine_and_creates_follow_them(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    options = api.get(f"{DATABASES}/options").json
    engines = {"pg", "mysql", "redis", "valkey", "mongodb", "kafka", "opensearch"}
    assert set(options["options"]) == engines == set(options["version_availability"])
    kafka = options["options"]["kafka"]
    assert [layout["num_nodes"] for layout in kafka["layouts"]] == [3]
    refused = api.post(DATABASES, {**PG, "engine": "kafka", "size": "gd-2vcpu-8gb"})
    assert "num_nodes for Kafka must be one of 3" in _error(refused, 422)
    size = kafka["layouts"][0]["sizes"][0]
    made = _create(api, name="events", engine="kafka", num_nodes=3, size=size)
    assert made["version"] == kafka["versions"][-1]
    pg = options["version_availability"]["pg"]
    assert [v["version"] for v in pg if v["default"]] == ["17"]


def test_a_missing_cluster_is_a_digitalocean_404(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    for path in ("", "/users", "/dbs/defaultdb", "/pools", "/firewall", "/backups", "/ca"):
        answer = api.get(f"{DATABASES}/{MISSING}{path}")
        assert (answer.status, answer.json["id"]) == (404, "not_found"), path
    assert api.delete(f"{DATABASES}/{MISSING}").status == 404


# --- connections and passwords ------------------------------------------------------------------


def test_generated_passwords_differ_and_are_in_the_uri(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    first, second = _create(api), _create(api, name="other-db")
    passwords = {first["connection"]["password"], second["connection"]["password"]}
    assert len(passwords) == 2 and all(p.startswith("AVNS_") for p in passwords)
    for cluster in (first, second):
        conn = cluster["connection"]
        assert conn["uri"] == (
            f"postgresql://doadmin:{conn['password']}@{conn['host']}:25060/defaultdb"
            "?sslmode=require"
        )
        assert cluster["users"][0]["password"] == conn["password"]


def test_each_engine_connects_its_own_way(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    mysql = _create(api, name="my-db", engine="mysql")["connection"]
    assert mysql["uri"].startswith("mysql://doadmin:") and "ssl-mode=REQUIRED" in mysql["uri"]
    valkey = _create(api, name="cache", engine="valkey")
    assert valkey["connection"]["user"] == "default" and valkey["connection"]["port"] == 25061
    assert valkey["connection"]["uri"].startswith("rediss://default:")
    assert valkey["users"] is None and valkey["db_names"] is None
    assert "storage_size_mib" not in valkey
    mongo = _create(api, name="docs", engine="mongodb", size="db-s-1vcpu-1gb")["connection"]
    assert mongo["uri"].startswith("mongodb+srv://doadmin:") and mongo["database"] == "admin"


def test_reset_auth_changes_the_password_everywhere(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)
    old = cluster["connection"]["password"]
    reset = api.post(f"{DATABASES}/{cluster['id']}/users/doadmin/reset_auth", {})
    new = reset.json["user"]["password"]
    assert reset.status == 200 and new != old
    assert _get(api, cluster["id"])["connection"]["uri"].count(new) == 1


# --- users and databases ------------------------------------------------------------------------


def test_users_get_their_own_passwords_and_engine_settings(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)
    users = f"{DATABASES}/{cluster['id']}/users"
    app = api.post(users, {"name": "app"}).json["user"]
    assert app["role"] == "normal" and app["settings"] == {"pg_allow_replication": False}
    assert app["password"] != cluster["connection"]["password"]
    assert [u["name"] for u in api.get(users).json["users"]] == ["doadmin", "app"]
    updated = api.put(f"{users}/app", {"settings": {"pg_allow_replication": True}})
    assert updated.status == 201 and updated.json["user"]["settings"]["pg_allow_replication"]
    acl = {"settings": {"acl": [{"topic": "x", "permission": "admin"}]}}
    assert "does not apply to PostgreSQL" in _error(api.put(f"{users}/app", acl), 422)
    assert "admin user" in _error(api.delete(f"{users}/doadmin"), 422)
    assert api.delete(f"{users}/app").status == 204
    assert api.get(f"{users}/app").status == 404


def test_mysql_and_kafka_users(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    mysql = _online(sim, name="my-db", engine="mysql")
    users = f"{DATABASES}/{mysql['id']}/users"
    assert api.post(users, {"name": "new"}).json["user"]["mysql_settings"] == {
        "auth_plugin": "caching_sha2_password"
    }
    native = {"mysql_settings": {"auth_plugin": "mysql_native_password"}}
    reset = api.post(f"{users}/new/reset_auth", native).json["user"]
    assert reset["mysql_settings"] == native["mysql_settings"]
    kafka = _online(sim, name="events", engine="kafka", num_nodes=3, size="gd-2vcpu-8gb")
    acl = [{"topic": "orders.*", "permission": "produceconsume"}]
    made = api.post(
        f"{DATABASES}/{kafka['id']}/users", {"name": "worker", "settings": {"acl": acl}}
    )
    user = made.json["user"]
    assert user["settings"]["acl"][0]["topic"] == "orders.*" and user["settings"]["acl"][0]["id"]
    assert "BEGIN CERTIFICATE" in user["access_cert"] and "PRIVATE KEY" in user["access_key"]


def test_no_user_or_database_management_on_valkey(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    valkey = _online(sim, name="cache", engine="valkey")
    path = f"{DATABASES}/{valkey['id']}"
    assert "not supported for Valkey" in _error(api.get(f"{path}/users"), 422)
    assert "not supported for Valkey" in _error(api.post(f"{path}/dbs", {"name": "x"}), 422)
    assert "not supported for Valkey" in _error(api.get(f"{path}/backups"), 422)


def test_changes_wait_until_the_cluster_is_online(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api)
    refused = api.post(f"{DATABASES}/{cluster['id']}/dbs", {"name": "orders"})
    assert "still creating" in _error(refused, 422)
    clock.advance(3.1)
    assert api.post(f"{DATABASES}/{cluster['id']}/dbs", {"name": "orders"}).status == 201


def test_databases_inside_a_cluster(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)
    dbs = f"{DATABASES}/{cluster['id']}/dbs"
    assert api.post(dbs, {"name": "orders"}).json == {"db": {"name": "orders"}}
    assert "already exists" in _error(api.post(dbs, {"name": "orders"}), 422)
    assert api.get(dbs).json == {"dbs": [{"name": "defaultdb"}, {"name": "orders"}]}
    assert _get(api, cluster["id"])["db_names"] == ["defaultdb", "orders"]
    assert "default database" in _error(api.delete(f"{dbs}/defaultdb"), 422)
    assert api.delete(f"{dbs}/orders").status == 204
    assert api.get(f"{dbs}/orders").status == 404


# --- connection pools ---------------------------------------------------------------------------


def test_pools_are_for_postgresql_only(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    mysql = _online(sim, name="my-db", engine="mysql")
    for answer in (
        api.get(f"{DATABASES}/{mysql['id']}/pools"),
        api.post(f"{DATABASES}/{mysql['id']}/pools", POOL),
    ):
        assert "only available for PostgreSQL" in _error(answer, 422)


def test_a_pool_connects_through_pgbouncer(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)
    path = f"{DATABASES}/{cluster['id']}"
    app = api.post(f"{path}/users", {"name": "app"}).json["user"]
    pool = api.post(f"{path}/pools", {**POOL, "user": "app"}).json["pool"]
    conn = pool["connection"]
    assert (conn["port"], conn["database"], conn["user"]) == (25061, "app-pool", "app")
    assert f"app:{app['password']}@" in conn["uri"]
    inbound = api.post(f"{path}/pools", {**POOL, "name": "inbound", "size": 5}).json["pool"]
    assert "user" not in inbound and inbound["connection"]["user"] == "doadmin"
    assert "uses the user app" in _error(api.delete(f"{path}/users/app"), 422)
    update = {"mode": "session", "size": 20, "db": "defaultdb"}
    assert api.put(f"{path}/pools/app-pool", update).status == 204
    got = api.get(f"{path}/pools/app-pool").json["pool"]
    assert (got["mode"], got["size"], "user" in got) == ("session", 20, False)


def test_pools_share_the_backend_connections(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)  # 2 GiB of memory: 47 connections
    path = f"{DATABASES}/{cluster['id']}/pools"
    assert api.post(path, {**POOL, "size": 40}).status == 201
    refused = api.post(path, {**POOL, "name": "more", "size": 8})
    assert "at most 7" in _error(refused, 422)
    assert api.post(path, {**POOL, "name": "more", "size": 7}).status == 201


# --- trusted sources ----------------------------------------------------------------------------


def test_trusted_sources_are_validated(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _online(sim)
    path = f"{DATABASES}/{cluster['id']}/firewall"
    for rule, message in (
        ({"type": "ip_addr", "value": "2001:db8::/32"}, "IPv6"),
        ({"type": "ip_addr", "value": "10.0.0.300"}, "IPv4 address or range"),
        ({"type": "droplet", "value": "42"}, "droplet 42 does not exist"),
        ({"type": "k8s", "value": MISSING}, "Kubernetes cluster"),
        ({"type": "tag", "value": "bad tag"}, "invalid tag"),
        ({"type": "app", "value": "my-app"}, "app's UUID"),
        ({"type": "vpc", "value": "x"}, "rule type must be one of"),
    ):
        assert message in _error(api.put(path, {"rules": [rule]}), 422), rule
    assert "at most 100" in _error(
        api.put(path, {"rules": [{"type": "ip_addr", "value": f"10.0.0.{n}"} for n in range(101)]}),
        422,
    )
    assert api.get(path).json == {"rules": []}  # nothing was applied


def test_trusted_sources_are_replaced_and_keep_their_ids(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    k8s = api.get("/v2/kubernetes/clusters").json["kubernetes_clusters"][0]["id"]
    ip = {"type": "ip_addr", "value": "203.0.113.7"}
    cluster = _online(sim, rules=[ip])
    path = f"{DATABASES}/{cluster['id']}/firewall"
    (first,) = api.get(path).json["rules"]
    assert first["cluster_uuid"] == cluster["id"] and first["uuid"]
    more = [ip, {"type": "droplet", "value": str(WEB_1)}, {"type": "k8s", "value": k8s}]
    assert api.put(path, {"rules": more}).status == 204
    rules = api.get(path).json["rules"]
    assert [r["type"] for r in rules] == ["ip_addr", "droplet", "k8s"]
    assert rules[0] == first  # unchanged: same uuid and created_at
    assert _get(api, cluster["id"])["rules"] == rules
    assert api.put(path, {"rules": []}).status == 204
    assert api.get(path).json["rules"] == []


# --- resize -------------------------------------------------------------------------------------


def test_resize_is_resizing_then_online_with_the_new_shape(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _online(sim)
    body = {"size": "db-s-2vcpu-4gb", "num_nodes": 2, "storage_size_mib": 80 * 1024}
    assert api.put(f"{DATABASES}/{cluster['id']}/resize", body).status == 202
    resizing = _get(api, cluster["id"])
    assert (resizing["status"], resizing["size"]) == ("resizing", "db-s-1vcpu-2gb")
    clock.advance(3.1)
    done = _get(api, cluster["id"])
    assert (done["status"], done["size"], done["num_nodes"]) == ("online", "db-s-2vcpu-4gb", 2)
    assert done["storage_size_mib"] == 80 * 1024 and "standby_connection" in done


def test_resize_refuses_less_storage(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _online(sim, storage_size_mib=60 * 1024)
    path = f"{DATABASES}/{cluster['id']}/resize"
    shrink = {"size": "db-s-1vcpu-2gb", "num_nodes": 1, "storage_size_mib": 40 * 1024}
    assert "can not be decreased" in _error(api.put(path, shrink), 422)
    smaller = {"size": "db-s-1vcpu-1gb", "num_nodes": 1}  # 60 GiB is over its 30 GiB maximum
    assert "from 10240 to 30720 MiB" in _error(api.put(path, smaller), 422)
    grow = {"size": "db-s-2vcpu-4gb", "num_nodes": 1}  # storage follows to the new base
    assert api.put(path, grow).status == 202
    clock.advance(3.1)
    assert _get(api, cluster["id"])["storage_size_mib"] == 60 * 1024
    assert _get(api, cluster["id"])["status"] == "online"


def test_storage_is_refused_for_in_memory_engines(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    body = {**PG, "engine": "valkey", "storage_size_mib": 30 * 1024}
    assert "can not be set on Valkey" in _error(api.post(DATABASES, body), 422)


# --- backups, CA, maintenance -------------------------------------------------------------------


def test_daily_backups_once_online(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    cluster = _create(api)
    path = f"{DATABASES}/{cluster['id']}/backups"
    assert api.get(path).json["backups"] == []
    clock.advance(3.1)
    assert len(api.get(path).json["backups"]) == 1
    clock.advance(9 * DAY)
    answer = api.get(path).json
    assert len(answer["backups"]) == 7  # a week is kept
    assert answer["scheduled_backup_time"]["backup_interval_hours"] == 24
    created = [b["created_at"] for b in answer["backups"]]
    assert created == sorted(created) and all(b["size_gigabytes"] > 0 for b in answer["backups"])


def test_ca_and_maintenance_window(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    cluster = _create(api)
    path = f"{DATABASES}/{cluster['id']}"
    assert api.get(f"{path}/ca").json["ca"]["certificate"]
    assert api.put(f"{path}/maintenance", {"day": "friday", "hour": "23:15"}).status == 204
    window = _get(api, cluster["id"])["maintenance_window"]
    assert (window["day"], window["hour"]) == ("friday", "23:15:00")


# --- tags, VPCs, listing ------------------------------------------------------------------------


def test_tags_filter_the_list_and_count_databases(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    tagged = _create(api, tags=["env:prod"])
    _create(api, name="untagged")
    listed = api.get(DATABASES, query={"tag_name": "env:prod"}).json["databases"]
    assert [c["id"] for c in listed] == [tagged["id"]]
    assert len(api.get(DATABASES).json["databases"]) == 2
    counts = api.get("/v2/tags/env%3Aprod").json["tag"]["resources"]
    assert counts["databases"]["count"] == 1 and counts["droplets"]["count"] == 3
    assert api.delete("/v2/tags/env%3Aprod").status == 204
    assert _get(api, tagged["id"])["tags"] == []


def test_a_cluster_is_a_member_of_its_vpc(sim: tuple[Api, FakeClock]) -> None:
    api, _ = sim
    vpc = api.post("/v2/vpcs", {"name": "db-net", "region": "nyc3"}).json["vpc"]
    cluster = _create(api, private_network_uuid=vpc["id"])
    members = api.get(f"/v2/vpcs/{vpc['id']}/members", query={"resource_type": "database"})
    assert [m["urn"] for m in members.json["members"]] == [f"do:dbaas:{cluster['id']}"]
    assert "main-db (do:dbaas:" in _error(api.delete(f"/v2/vpcs/{vpc['id']}"), 409)
    elsewhere = api.post(
        DATABASES, {**PG, "name": "far", "region": "fra1", "private_network_uuid": vpc["id"]}
    )
    assert "is in nyc3, not in fra1" in _error(elsewhere, 422)
    assert api.delete(f"{DATABASES}/{cluster['id']}").status == 204
    assert api.delete(f"/v2/vpcs/{vpc['id']}").status == 204
