"""The conformance walk of the managed database routes: every route, its successes and errors."""

from __future__ import annotations

import time

from cargoshipper.sandbox import Sandbox

from ._client import Api, Exchange

SETTLE = 0.3  # longer than FAST's boot and action times
DATABASES = "/v2/databases"
MISSING = "00000000-0000-4000-8000-000000000000"
WEB_1 = 501_000_101
PG = {
    "name": "walk-pg",
    "engine": "pg",
    "version": "16",
    "region": "nyc3",
    "size": "db-s-2vcpu-4gb",
    "num_nodes": 2,
    "storage_size_mib": 81920,
    "tags": ["walk"],
    "rules": [{"type": "ip_addr", "value": "192.0.2.0/24"}],
}


def _expect(exchange: Exchange, status: int) -> Exchange:
    assert exchange.status == status, (exchange.method, exchange.path, exchange.body[:300])
    return exchange


def walk_databases(api: Api, sb: Sandbox) -> None:
    _expect(api.get(f"{DATABASES}/options"), 200)
    _expect(api.get(DATABASES), 200)
    clusters = _walk_create(api)
    time.sleep(SETTLE)
    pg, mysql, kafka, valkey = (clusters[k] for k in ("pg", "mysql", "kafka", "valkey"))
    _walk_clusters(api, pg)
    _walk_users(api, pg, mysql, kafka, valkey)
    _walk_dbs(api, pg, valkey)
    _walk_pools(api, pg, mysql)
    _walk_firewall(api, pg)
    _walk_resize(api, pg)
    _walk_deletes(api, clusters)


def _walk_create(api: Api) -> dict[str, str]:
    pg = _expect(api.post(DATABASES, PG), 201).json["database"]
    assert pg["status"] == "creating"
    user = f"{DATABASES}/{pg['id']}/users"
    _expect(api.post(user, {"name": "early"}), 422)  # still creating
    _expect(api.put(f"{DATABASES}/{pg['id']}/resize", {"size": PG["size"], "num_nodes": 3}), 422)
    others = {
        "mysql": {"engine": "mysql", "size": "db-s-1vcpu-1gb", "num_nodes": 1},
        "kafka": {"engine": "kafka", "size": "gd-2vcpu-8gb", "num_nodes": 3},
        "valkey": {"engine": "valkey", "size": "db-s-1vcpu-2gb", "num_nodes": 2},
        "opensearch": {"engine": "opensearch", "size": "db-s-2vcpu-4gb", "num_nodes": 1},
        "mongodb": {"engine": "mongodb", "size": "db-s-1vcpu-1gb", "num_nodes": 3},
    }
    ids = {"pg": pg["id"]}
    for slug, body in others.items():
        new = {"name": f"walk-{slug}", "region": "fra1", **body}
        ids[slug] = _expect(api.post(DATABASES, new), 201).json["database"]["id"]
    for bad in (
        {"name": "walk-pg"},  # taken
        {"name": "Bad_Name"},
        {"engine": "oracle"},
        {"version": "9"},
        {"region": "mars1"},
        {"num_nodes": 4},
        {"size": "s-1vcpu-1gb"},
        {"storage_size_mib": 1024},
        {"storage_size_mib": 81921},
        {"private_network_uuid": MISSING},
        {"project_id": "not-a-uuid"},
        {"tags": ["no spaces"]},
        {"rules": [{"type": "ip_addr", "value": "2001:db8::1"}]},
    ):
        _expect(api.post(DATABASES, {**PG, "name": "walk-bad", **bad}), 422)
    valkey = {"name": "walk-bad", "engine": "valkey", "region": "nyc3", "num_nodes": 1}
    _expect(
        api.post(DATABASES, {**valkey, "size": "db-s-1vcpu-1gb", "storage_size_mib": 10240}), 422
    )
    _expect(api.post(DATABASES, raw=b'{"name": "broken"'), 400)
    return ids


def _walk_clusters(api: Api, pg: str) -> None:
    path = f"{DATABASES}/{pg}"
    _expect(api.get(DATABASES, query={"tag_name": "walk"}), 200)
    _expect(api.get(path), 200)
    _expect(api.get(f"{DATABASES}/{MISSING}"), 404)
    for sub in ("ca", "backups", "firewall", "users", "dbs", "pools"):
        _expect(api.get(f"{path}/{sub}"), 200)
        _expect(api.get(f"{DATABASES}/{MISSING}/{sub}"), 404)
    window = f"{path}/maintenance"
    _expect(api.put(window, {"day": "sunday", "hour": "03:30"}), 204)
    _expect(api.put(window, {"day": "someday", "hour": "03:30"}), 422)
    _expect(api.put(window, {"day": "sunday", "hour": "25:00"}), 422)
    _expect(api.put(f"{DATABASES}/{MISSING}/maintenance", {"day": "sunday", "hour": "03:30"}), 404)


def _walk_users(api: Api, pg: str, mysql: str, kafka: str, valkey: str) -> None:
    users = f"{DATABASES}/{pg}/users"
    _expect(api.post(users, {"name": "app", "settings": {"pg_allow_replication": True}}), 201)
    _expect(api.post(users, {"name": "app"}), 422)  # taken
    _expect(api.post(users, {"name": "bad name"}), 422)
    _expect(
        api.post(users, {"name": "x", "mysql_settings": {"auth_plugin": "caching_sha2_password"}}),
        422,
    )
    _expect(api.post(f"{DATABASES}/{MISSING}/users", {"name": "app"}), 404)
    _expect(api.get(f"{users}/app"), 200)
    _expect(api.get(f"{users}/nobody"), 404)
    _expect(api.put(f"{users}/app", {"settings": {"pg_allow_replication": False}}), 201)
    _expect(api.put(f"{users}/app", {"settings": {"acl": []}}), 422)  # not for PostgreSQL
    _expect(api.put(f"{users}/nobody", {"settings": {}}), 404)
    _expect(api.post(f"{users}/app/reset_auth", {}), 200)
    _expect(api.post(f"{users}/nobody/reset_auth", {}), 404)
    _expect(api.delete(f"{users}/doadmin"), 422)  # the admin stays
    native = {"mysql_settings": {"auth_plugin": "mysql_native_password"}}
    mysql_users = f"{DATABASES}/{mysql}/users"
    _expect(api.post(mysql_users, {"name": "legacy", **native}), 201)
    _expect(api.post(f"{mysql_users}/legacy/reset_auth", native), 200)
    _expect(api.post(mysql_users, {"name": "x", "mysql_settings": {"auth_plugin": "md5"}}), 422)
    acl = {"acl": [{"topic": "events.*", "permission": "produce"}]}
    _expect(api.post(f"{DATABASES}/{kafka}/users", {"name": "producer", "settings": acl}), 201)
    bad_acl = {"acl": [{"topic": "events", "permission": "everything"}]}
    _expect(api.post(f"{DATABASES}/{kafka}/users", {"name": "x", "settings": bad_acl}), 422)
    _expect(api.get(f"{DATABASES}/{valkey}/users"), 422)  # no user management for Valkey


def _walk_dbs(api: Api, pg: str, valkey: str) -> None:
    dbs = f"{DATABASES}/{pg}/dbs"
    _expect(api.post(dbs, {"name": "orders"}), 201)
    _expect(api.post(dbs, {"name": "orders"}), 422)
    _expect(api.post(dbs, {"name": "no spaces"}), 422)
    _expect(api.post(f"{DATABASES}/{MISSING}/dbs", {"name": "orders"}), 404)
    _expect(api.get(f"{dbs}/orders"), 200)
    _expect(api.get(f"{dbs}/nothing"), 404)
    _expect(api.delete(f"{dbs}/defaultdb"), 422)
    _expect(api.post(f"{DATABASES}/{valkey}/dbs", {"name": "x"}), 422)


def _walk_pools(api: Api, pg: str, mysql: str) -> None:
    pools = f"{DATABASES}/{pg}/pools"
    pool = {"name": "orders-pool", "mode": "transaction", "size": 10, "db": "orders", "user": "app"}
    _expect(api.post(pools, pool), 201)
    _expect(api.post(pools, pool), 422)  # taken
    for bad in ({"mode": "eager"}, {"size": 0}, {"size": 500}, {"db": "nothing"}, {"user": "x"}):
        _expect(api.post(pools, {**pool, "name": "bad-pool", **bad}), 422)
    _expect(api.post(f"{DATABASES}/{mysql}/pools", pool), 422)  # PostgreSQL only
    _expect(api.post(f"{DATABASES}/{MISSING}/pools", pool), 404)
    _expect(api.get(f"{pools}/orders-pool"), 200)
    _expect(api.get(f"{pools}/nothing"), 404)
    update = {"mode": "session", "size": 5, "db": "orders"}
    _expect(api.put(f"{pools}/orders-pool", update), 204)
    _expect(api.put(f"{pools}/orders-pool", {**update, "mode": "eager"}), 422)
    _expect(api.put(f"{pools}/nothing", update), 404)
    _expect(api.get(pools), 200)
    _expect(api.delete(f"{DATABASES}/{pg}/dbs/orders"), 422)  # the pool uses it
    _expect(api.delete(f"{pools}/orders-pool"), 204)
    _expect(api.delete(f"{pools}/orders-pool"), 404)


def _walk_firewall(api: Api, pg: str) -> None:
    path = f"{DATABASES}/{pg}/firewall"
    rules = [
        {"type": "ip_addr", "value": "192.0.2.0/24"},
        {"type": "droplet", "value": str(WEB_1)},
        {"type": "tag", "value": "web"},
        {"type": "app", "value": "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf"},
    ]
    _expect(api.put(path, {"rules": rules}), 204)
    _expect(api.get(path), 200)
    for bad in (
        {"type": "ip_addr", "value": "not-an-ip"},
        {"type": "droplet", "value": "1"},
        {"type": "k8s", "value": MISSING},
        {"type": "tag", "value": "no spaces"},
        {"type": "app", "value": "my-app"},
    ):
        _expect(api.put(path, {"rules": [bad]}), 422)
    _expect(api.put(f"{DATABASES}/{MISSING}/firewall", {"rules": rules}), 404)


def _walk_resize(api: Api, pg: str) -> None:
    path = f"{DATABASES}/{pg}/resize"
    _expect(
        api.put(path, {"size": "db-s-2vcpu-4gb", "num_nodes": 2, "storage_size_mib": 71680}), 422
    )
    _expect(api.put(path, {"size": "db-s-2vcpu-4gb", "num_nodes": 7}), 422)
    _expect(
        api.put(f"{DATABASES}/{MISSING}/resize", {"size": "db-s-2vcpu-4gb", "num_nodes": 2}), 404
    )
    _expect(api.put(path, {"size": "db-s-4vcpu-8gb", "num_nodes": 3}), 202)
    assert api.get(f"{DATABASES}/{pg}").json["database"]["status"] == "resizing"
    _expect(api.put(path, {"size": "db-s-4vcpu-8gb", "num_nodes": 3}), 422)  # busy
    time.sleep(SETTLE)
    _expect(api.get(f"{DATABASES}/{pg}"), 200)  # online, three nodes, 140 GiB


def _walk_deletes(api: Api, clusters: dict[str, str]) -> None:
    pg = clusters["pg"]
    _expect(api.delete(f"{DATABASES}/{pg}/users/app"), 204)
    _expect(api.delete(f"{DATABASES}/{pg}/users/app"), 404)
    _expect(api.delete(f"{DATABASES}/{pg}/dbs/orders"), 204)
    _expect(api.delete(f"{DATABASES}/{pg}/dbs/orders"), 404)
    _expect(api.get(f"{DATABASES}/{clusters['valkey']}/backups"), 422)  # no backups for Valkey
    for cluster_id in clusters.values():
        _expect(api.delete(f"{DATABASES}/{cluster_id}"), 204)
    _expect(api.delete(f"{DATABASES}/{pg}"), 404)
