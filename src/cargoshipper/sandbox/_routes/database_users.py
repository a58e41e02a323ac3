"""Inside a managed database cluster: its users, its databases and its connection pools.

Changes wait until the cluster is online (a 422 while it is creating). User management is not
offered for Caching and Valkey clusters, databases only for PostgreSQL, MySQL and MongoDB, and
connection pools (PgBouncer, port 25061) only for PostgreSQL: a 422 otherwise. Passwords are
generated; ``reset_auth`` makes a new one (the admin's shows in the cluster's connections). The
admin user and the default database are not deleted, nor a user or database a pool uses. The
pools of a cluster share its backend connections: 25 per GiB of a node's memory, less 3.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from .._api import (
    Request,
    Response,
    Router,
    created,
    no_content,
    not_found,
    ok,
    unprocessable,
)
from .._dbaas import (
    ENGINES,
    ConnectionPool,
    DbCluster,
    DbUser,
    connections,
    new_password,
    new_user,
    user_json,
)
from .._models import JSON
from .databases import find_cluster, require_online

router = Router()

USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,62}")
DB_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,62}")
POOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,62}")
AUTH_PLUGINS = ("mysql_native_password", "caching_sha2_password")
KAFKA_PERMISSIONS = ("admin", "consume", "produce", "produceconsume")
OPENSEARCH_PERMISSIONS = ("deny", "admin", "read", "readwrite", "write")
MONGO_ROLES = ("readOnly", "readWrite", "dbAdmin")
POOL_MODES = ("transaction", "session", "statement")
PGBOUNCER_PORT = 25061


# -- users -----------------------------------------------------------------------------------


def _users_of(request: Request) -> DbCluster:
    cluster = find_cluster(request)
    engine = ENGINES[cluster.engine]
    if not engine.users:
        raise unprocessable(f"User management is not supported for {engine.label} clusters.")
    return cluster


def _find_user(request: Request) -> tuple[DbCluster, DbUser]:
    cluster = _users_of(request)
    user = cluster.users.get(request.params["username"])
    if user is None:
        raise not_found()
    return cluster, user


def _mysql_settings(cluster: DbCluster, value: Any) -> JSON | None:
    if value is None:
        return None
    if cluster.engine != "mysql":
        raise unprocessable("mysql_settings apply to MySQL clusters only")
    if not isinstance(value, dict) or value.get("auth_plugin") not in AUTH_PLUGINS:
        raise unprocessable(f"mysql_settings.auth_plugin must be one of {', '.join(AUTH_PLUGINS)}")
    return {"auth_plugin": value["auth_plugin"]}


def _entries(value: Any, key: str, pattern: str, allowed: tuple[str, ...]) -> list[JSON]:
    """A list of ``{<pattern>: str, permission: <allowed>}`` ACL entries."""
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and isinstance(e.get(pattern), str) and e.get("permission") in allowed
        for e in value
    ):
        raise unprocessable(
            f"settings.{key} must be a list of {{{pattern}, permission}} with a permission "
            f"among {', '.join(allowed)}"
        )
    return [{pattern: e[pattern], "permission": e["permission"]} for e in value]


def _replication(cluster: DbCluster, value: Any) -> bool:
    if not isinstance(value, bool):
        raise unprocessable("settings.pg_allow_replication must be a boolean")
    return value


def _kafka_acl(cluster: DbCluster, value: Any) -> list[JSON]:
    found = _entries(value, "acl", "topic", KAFKA_PERMISSIONS)
    return [{"id": f"acl{secrets.token_hex(6)}", **entry} for entry in found]


def _opensearch_acl(cluster: DbCluster, value: Any) -> list[JSON]:
    return _entries(value, "opensearch_acl", "index", OPENSEARCH_PERMISSIONS)


def _mongo(cluster: DbCluster, value: Any) -> JSON:
    names = value.get("databases", []) if isinstance(value, dict) else None
    if not isinstance(names, list) or not all(n in cluster.dbs for n in names):
        raise unprocessable("settings.mongo_user_settings.databases must name databases")
    role = value.get("role", "readWrite")
    if role not in MONGO_ROLES:
        raise unprocessable(f"settings.mongo_user_settings.role must be one of {MONGO_ROLES}")
    return {"databases": list(names), "role": role}


#: The ``settings`` each engine's users take, and their validation.
SETTINGS: dict[str, dict[str, Callable[[DbCluster, Any], Any]]] = {
    "pg": {"pg_allow_replication": _replication},
    "kafka": {"acl": _kafka_acl},
    "opensearch": {"opensearch_acl": _opensearch_acl},
    "mongodb": {"mongo_user_settings": _mongo},
}


def _settings(cluster: DbCluster, value: Any) -> JSON | None:
    """Validated user settings; PostgreSQL users get ``pg_allow_replication`` false by default."""
    checks = SETTINGS.get(cluster.engine, {})
    if value is None and cluster.engine != "pg":
        return None
    if not isinstance(value, dict | None):
        raise unprocessable("settings must be an object")
    value = value or {}
    for key in value:
        if key not in checks:
            label = ENGINES[cluster.engine].label
            raise unprocessable(f"settings.{key} does not apply to {label} clusters")
    found = {key: check(cluster, value[key]) for key, check in checks.items() if key in value}
    return {"pg_allow_replication": False, **found} if cluster.engine == "pg" else found


@router.get("/v2/databases/{database_cluster_uuid}/users")
def list_users(request: Request) -> Response:
    return ok({"users": [user_json(u) for u in _users_of(request).users.values()]})


@router.post("/v2/databases/{database_cluster_uuid}/users")
def add_user(request: Request) -> Response:
    world, cluster, body = request.world, _users_of(request), request.json()
    require_online(world, cluster, "add users")
    name = body.get("name")
    if not isinstance(name, str) or not USER_NAME.fullmatch(name):
        raise unprocessable("name must be 1 to 63 letters, digits, '_', '.' and '-'")
    if name in cluster.users:
        raise unprocessable(f"a user named {name} already exists in this cluster")
    user = new_user(cluster.engine, name)
    user.mysql_settings = _mysql_settings(cluster, body.get("mysql_settings"))
    if cluster.engine == "mysql" and user.mysql_settings is None:
        user.mysql_settings = {"auth_plugin": "caching_sha2_password"}
    user.settings = _settings(cluster, body.get("settings"))
    cluster.users[name] = user
    return created({"user": user_json(user)})


@router.get("/v2/databases/{database_cluster_uuid}/users/{username}")
def get_user(request: Request) -> Response:
    return ok({"user": user_json(_find_user(request)[1])})


@router.put("/v2/databases/{database_cluster_uuid}/users/{username}")
def update_user(request: Request) -> Response:
    cluster, user = _find_user(request)
    require_online(request.world, cluster, "update users")
    body = request.json()
    if not isinstance(body.get("settings"), dict):
        raise unprocessable("settings is required: only a user's settings can be updated")
    user.settings = _settings(cluster, body["settings"])
    return created({"user": user_json(user)})


@router.post("/v2/databases/{database_cluster_uuid}/users/{username}/reset_auth")
def reset_auth(request: Request) -> Response:
    cluster, user = _find_user(request)
    require_online(request.world, cluster, "reset passwords")
    plugin = _mysql_settings(cluster, request.json().get("mysql_settings"))
    user.password = new_password()
    if plugin is not None:
        user.mysql_settings = plugin
    return ok({"user": user_json(user)})


@router.delete("/v2/databases/{database_cluster_uuid}/users/{username}")
def delete_user(request: Request) -> Response:
    cluster, user = _find_user(request)
    require_online(request.world, cluster, "delete users")
    if user.role == "primary":
        raise unprocessable(f"{user.name} is the cluster's admin user and can not be deleted")
    _not_pooled(cluster, "user", user.name)
    del cluster.users[user.name]
    return no_content()


def _not_pooled(cluster: DbCluster, attribute: str, name: str) -> None:
    for pool in cluster.pools.values():
        if getattr(pool, attribute) == name:
            raise unprocessable(f"connection pool {pool.name} uses the {attribute} {name}")


# -- databases -------------------------------------------------------------------------------


def _dbs_of(request: Request) -> DbCluster:
    cluster = find_cluster(request)
    engine = ENGINES[cluster.engine]
    if not engine.dbs:
        raise unprocessable(f"Database management is not supported for {engine.label} clusters.")
    return cluster


def _find_db(request: Request) -> tuple[DbCluster, str]:
    cluster, name = _dbs_of(request), request.params["database_name"]
    if name not in cluster.dbs:
        raise not_found()
    return cluster, name


@router.get("/v2/databases/{database_cluster_uuid}/dbs")
def list_dbs(request: Request) -> Response:
    return ok({"dbs": [{"name": name} for name in _dbs_of(request).dbs]})


@router.post("/v2/databases/{database_cluster_uuid}/dbs")
def add_db(request: Request) -> Response:
    cluster, name = _dbs_of(request), request.json().get("name")
    require_online(request.world, cluster, "add databases")
    if not isinstance(name, str) or not DB_NAME.fullmatch(name):
        raise unprocessable("name must be 1 to 63 letters, digits, '_' and '-'")
    if name in cluster.dbs:
        raise unprocessable(f"a database named {name} already exists in this cluster")
    cluster.dbs.append(name)
    return created({"db": {"name": name}})


@router.get("/v2/databases/{database_cluster_uuid}/dbs/{database_name}")
def get_db(request: Request) -> Response:
    return ok({"db": {"name": _find_db(request)[1]}})


@router.delete("/v2/databases/{database_cluster_uuid}/dbs/{database_name}")
def delete_db(request: Request) -> Response:
    cluster, name = _find_db(request)
    require_online(request.world, cluster, "delete databases")
    if name == ENGINES[cluster.engine].database:
        raise unprocessable(f"{name} is the cluster's default database and can not be deleted")
    _not_pooled(cluster, "db", name)
    cluster.dbs.remove(name)
    return no_content()


# -- connection pools ------------------------------------------------------------------------


def _pools_of(request: Request) -> DbCluster:
    cluster = find_cluster(request)
    if cluster.engine != "pg":
        raise unprocessable("Connection pools are only available for PostgreSQL clusters.")
    return cluster


def _find_pool(request: Request) -> tuple[DbCluster, ConnectionPool]:
    cluster = _pools_of(request)
    pool = cluster.pools.get(request.params["pool_name"])
    if pool is None:
        raise not_found()
    return cluster, pool


def backend_connections(cluster: DbCluster) -> int:
    """How many connections the pools of a cluster may hold together."""
    memory = re.search(r"(\d+)gb$", cluster.size)
    return 25 * int(memory.group(1) if memory else 1) - 3


def pool_json(cluster: DbCluster, pool: ConnectionPool) -> JSON:
    user = cluster.users.get(pool.user) or cluster.admin
    body: JSON = {"name": pool.name, "mode": pool.mode, "size": pool.size, "db": pool.db}
    if pool.user:
        body["user"] = pool.user
    return body | connections(cluster, user, pool.name, PGBOUNCER_PORT)


def _pool(cluster: DbCluster, body: JSON, name: str) -> ConnectionPool:
    """A validated pool called ``name`` (replacing any pool of that name)."""
    mode, size, db, user = body.get("mode"), body.get("size"), body.get("db"), body.get("user")
    if mode not in POOL_MODES:
        raise unprocessable(f"mode must be one of {', '.join(POOL_MODES)}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise unprocessable("size must be a positive integer")
    if db not in cluster.dbs:
        raise unprocessable(f"db {db!r} is not a database of this cluster")
    if user not in (None, "") and user not in cluster.users:
        raise unprocessable(f"user {user!r} is not a user of this cluster")
    others = sum(p.size for p in cluster.pools.values() if p.name != name)
    limit = backend_connections(cluster)
    if others + size > limit:
        raise unprocessable(
            f"the pools of this cluster can hold {limit} connections in all; "
            f"{others} are taken, so size can be at most {limit - others}"
        )
    return ConnectionPool(name, mode, size, db, user or "")


@router.get("/v2/databases/{database_cluster_uuid}/pools")
def list_pools(request: Request) -> Response:
    cluster = _pools_of(request)
    return ok({"pools": [pool_json(cluster, p) for p in cluster.pools.values()]})


@router.post("/v2/databases/{database_cluster_uuid}/pools")
def add_pool(request: Request) -> Response:
    cluster, body = _pools_of(request), request.json()
    require_online(request.world, cluster, "add connection pools")
    name = body.get("name")
    if not isinstance(name, str) or not POOL_NAME.fullmatch(name):
        raise unprocessable("name must be 1 to 63 letters, digits, '_' and '-'")
    if name in cluster.pools:
        raise unprocessable(f"a connection pool named {name} already exists in this cluster")
    pool = cluster.pools[name] = _pool(cluster, body, name)
    return created({"pool": pool_json(cluster, pool)})


@router.get("/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def get_pool(request: Request) -> Response:
    return ok({"pool": pool_json(*_find_pool(request))})


@router.put("/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def update_pool(request: Request) -> Response:
    cluster, pool = _find_pool(request)
    require_online(request.world, cluster, "update connection pools")
    cluster.pools[pool.name] = _pool(cluster, request.json(), pool.name)
    return no_content()


@router.delete("/v2/databases/{database_cluster_uuid}/pools/{pool_name}")
def delete_pool(request: Request) -> Response:
    cluster, pool = _find_pool(request)
    require_online(request.world, cluster, "delete connection pools")
    del cluster.pools[pool.name]
    return no_content()
