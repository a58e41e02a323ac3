"""Managed databases: clusters (PostgreSQL, MySQL, Valkey/Redis, MongoDB, Kafka, OpenSearch) and
what is inside them: databases, users, connection pools, trusted sources, backups.

Five tools, so the toolset's tools/list stays under 6,000 characters:

* ``database_cluster_list`` also shows, with ``options=true``, what a create accepts (engines,
  versions, regions, sizes by node count, from ``/v2/databases/options``): one read without an
  id instead of two tools;
* ``database_cluster_get`` shows everything about one cluster at once: connection details,
  standby and private hosts, maintenance window, storage, and its databases, users, pools,
  trusted sources and backups (the separate list endpoints, read in parallel). Passwords and
  connection URIs only with ``reveal=true``;
* ``database_cluster_create`` checks engine, version, region and size against the options
  before sending, shows the monthly cost (``trust/_pricing.database_cost``), refuses a name in
  use, and waits until the cluster is online; ``restore_from`` makes it from a backup (the only
  way a backup is restored: into a new cluster);
* ``database_cluster_action`` does everything that changes a cluster but deleting it: resize,
  add/delete databases, add/reset/delete users, add/delete pools (PostgreSQL only), add/remove
  trusted sources. One ``type`` and a few shared parameters instead of ten tools;
* ``database_cluster_delete``.

Secrets: a result carries a password or a connection URI only when the caller asked for it
(``reveal=true``; the new password of ``add_user``/``reset_password`` in that call's result).
Every other view is built from named fields and then masked again (``mask_secrets``).

There is no on-demand backup in the API: clusters are backed up daily, automatically.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, WithJsonSchema

from ..access import DOAccess, DOError, Waited
from ..registry import Access, Toolset
from ..trust import Plan, Target, mask_secrets, pricing
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    ActionResult,
    ItemResult,
    ListResult,
    Wait,
    compact,
    pick,
)
from .projects import ProjectChoice, chosen_project, put_in_project, urn

#: Opt-in (``--toolsets databases`` or ``all``).
TOOLSET = Toolset(
    "databases",
    "Managed databases: clusters, their databases, users, pools, trusted sources, backups.",
    default=False,
)

LOOKUP = "database_cluster_list shows the ids"
HIDDEN = "<hidden: reveal=true shows it>"
CLUSTER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")
#: Names of databases, users and pools: they fill a path segment, so nothing else.
OBJECT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
UUID = re.compile(UUID_PATTERN)
TAG = re.compile(TAG_PATTERN)
PG = ("pg", "advanced_pg")
MYSQL = ("mysql", "advanced_mysql")
CACHES = ("redis", "valkey")  # in-memory: no storage_size_mib, no databases, no users
WITH_DATABASES = (*PG, *MYSQL, "mongodb")
POOL_MODES = ("transaction", "session", "statement")
MONGO_ROLES = ("readOnly", "readWrite", "dbAdmin")
AUTH_PLUGINS = ("mysql_native_password", "caching_sha2_password")
KAFKA_PERMISSIONS = ("admin", "consume", "produce", "produceconsume")
SEARCH_PERMISSIONS = ("deny", "admin", "read", "readwrite", "write")
MAX_SOURCES = 100  # the API's limit of trusted sources per cluster
#: Trusted source kinds as written (``droplet:3164444``) -> the API's rule type.
SOURCE_TYPES = {"ip": "ip_addr", "droplet": "droplet", "k8s": "k8s", "tag": "tag", "app": "app"}
SOURCE_PREFIX = {api: short for short, api in SOURCE_TYPES.items()}
BACKUPS_NOTE = (
    "Backups are daily and automatic; the API has no on-demand backup. A restore makes a new "
    "cluster: database_cluster_create restore_from={name, backup_created_at}."
)

ClusterId = Annotated[str, Field(pattern=UUID_PATTERN, description="Cluster id (UUID).")]
#: Hand-written object schemas (strict clients refuse $ref; the descriptions name the keys).
OBJECT_SCHEMA: dict[str, Any] = {"type": "object"}


# -- views -----------------------------------------------------------------------------------


def _state(cluster: dict[str, Any]) -> str:
    return str(cluster.get("status") or "unknown")


def cluster_summary(cluster: dict[str, Any]) -> dict[str, Any]:
    """One cluster in lists."""
    return pick(
        cluster,
        ("id", "name", "engine", "version", "status", "size", "num_nodes", "region", "tags"),
    )


def _database_of(connection: dict[str, Any], uri: str) -> str | None:
    if connection.get("database"):
        return connection["database"]
    path = urlsplit(uri).path.lstrip("/") if uri else ""
    return path or None


def connection_view(connection: Any, reveal: bool) -> dict[str, Any]:
    """host, port, user, database, ssl_mode (+ password and uri with reveal)."""
    if not isinstance(connection, dict):
        return {}
    uri = str(connection.get("uri") or "")
    query = parse_qs(urlsplit(uri).query) if uri else {}
    ssl = connection.get("ssl")
    mode = (query.get("sslmode") or [None])[0]
    if mode is None and ssl is not None:
        mode = "require" if ssl else "disable"
    view = {
        "host": connection.get("host"),
        "port": connection.get("port"),
        "user": connection.get("user"),
        "database": _database_of(connection, uri),
        "ssl_mode": mode,
    }
    if reveal:
        view |= {"password": connection.get("password"), "uri": uri}
    return compact(view)


def _host(cluster: dict[str, Any], key: str) -> Any:
    connection = cluster.get(key)
    return connection.get("host") if isinstance(connection, dict) else None


def _window(cluster: dict[str, Any]) -> str | None:
    window = cluster.get("maintenance_window")
    if not isinstance(window, dict) or not window.get("day"):
        return None
    hour = str(window.get("hour") or "")[:5]
    return f"{window['day']} {hour} UTC".replace("  ", " ")


def user_view(user: dict[str, Any], reveal: bool) -> dict[str, Any]:
    settings = user.get("settings") or {}
    view = {
        "name": user.get("name"),
        "role": user.get("role"),
        "auth_plugin": (user.get("mysql_settings") or {}).get("auth_plugin"),
        "replication": settings.get("pg_allow_replication") or None,
        "mongo": settings.get("mongo_user_settings"),
        "acl": settings.get("acl") or settings.get("opensearch_acl"),
    }
    if reveal:
        view |= {key: user.get(key) for key in ("password", "access_cert", "access_key")}
    return compact(view)


def pool_view(pool: dict[str, Any], reveal: bool) -> dict[str, Any]:
    connection = pool.get("connection") or {}
    view = pick(pool, ("name", "mode", "size", "db", "user"))
    view["port"] = connection.get("port") if isinstance(connection, dict) else None
    if reveal and isinstance(connection, dict):
        view["uri"] = connection.get("uri")
    return compact(view)


def source_text(rule: dict[str, Any]) -> str:
    """A trusted source as written: ``ip:203.0.113.5``, ``droplet:3164444``, ``tag:web``."""
    kind = SOURCE_PREFIX.get(str(rule.get("type")), str(rule.get("type")))
    return f"{kind}:{rule.get('value')}"


def backup_view(backup: dict[str, Any]) -> dict[str, Any]:
    return pick(backup, ("created_at", "size_gigabytes", "incremental"))


def cluster_view(cluster: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
    """One cluster without its sub-resources: connection details, hosts, window, storage."""
    nodes = int(cluster.get("num_nodes") or 1)
    window = cluster.get("maintenance_window") or {}
    autoscale = (cluster.get("autoscale") or {}).get("storage") or {}
    view = {
        **cluster_summary(cluster),
        "semantic_version": cluster.get("semantic_version"),
        "connection": connection_view(cluster.get("connection"), reveal),
        "private_host": _host(cluster, "private_connection"),
        "standby_nodes": nodes - 1 if nodes > 1 else None,
        "standby_host": _host(cluster, "standby_connection"),
        "standby_private_host": _host(cluster, "standby_private_connection"),
        "storage_size_mib": cluster.get("storage_size_mib"),
        "storage_autoscale": pick(autoscale, ("threshold_percent", "increment_gib"))
        if autoscale.get("enabled")
        else None,
        "maintenance_window": _window(cluster),
        "maintenance_pending": window.get("description") if window.get("pending") else None,
        "vpc_uuid": cluster.get("private_network_uuid"),
        "project_id": cluster.get("project_id"),
        "version_end_of_life": cluster.get("version_end_of_life"),
        "created_at": cluster.get("created_at"),
    }
    if reveal:
        for key in ("private_connection", "standby_connection", "standby_private_connection"):
            shown = connection_view(cluster.get(key), True)
            view[key.replace("connection", "uri")] = shown.get("uri")
    return compact(view)


def _safe(view: Any, reveal: bool) -> Any:
    """The view, masked once more unless secrets were asked for."""
    return view if reveal else mask_secrets(view, HIDDEN)


def _subject(cluster_id: str) -> dict[str, str]:
    return {"subject": f"database cluster {cluster_id}", "lookup_hint": LOOKUP}


async def _get(do: DOAccess, cluster_id: str) -> dict[str, Any]:
    body = await do.call(
        "databases.get_cluster", database_cluster_uuid=cluster_id, **_subject(cluster_id)
    )
    return body["database"]


def _target(cluster: dict[str, Any]) -> Target:
    tags = tuple(cluster.get("tags") or ())
    return Target("database cluster", cluster["id"], str(cluster.get("name") or ""), tags)


async def _part(do: DOAccess, operation: str, key: str, cluster_id: str) -> list[dict[str, Any]]:
    body = await do.call(operation, database_cluster_uuid=cluster_id, **_subject(cluster_id))
    found = (body or {}).get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


# -- options (what a create or resize accepts) -----------------------------------------------


async def _options(do: DOAccess) -> dict[str, dict[str, Any]]:
    """engine -> its options, with ``default_version`` and ``end_of_life`` (by version) taken
    from ``version_availability`` where the engine's own entry lacks them."""
    body = await do.call("databases.list_options", subject="database options") or {}
    found = body.get("options") or {}
    ends = body.get("version_availability") or {}
    options = {}
    for engine, option in found.items():
        if not isinstance(option, dict):
            continue
        known = [v for v in ends.get(engine) or () if isinstance(v, dict)]
        default = next((str(v.get("version")) for v in known if v.get("default")), None)
        options[engine] = {
            **option,
            "default_version": option.get("default_version") or default,
            "end_of_life": {
                str(v.get("version")): str(v["end_of_life"])[:10]
                for v in known
                if v.get("end_of_life")
            },
        }
    return options


def _layouts(option: dict[str, Any]) -> dict[int, list[str]]:
    """num_nodes -> the sizes offered with that many nodes."""
    return {
        int(layout["num_nodes"]): list(layout.get("sizes") or ())
        for layout in option.get("layouts") or ()
        if isinstance(layout, dict) and layout.get("num_nodes") is not None
    }


def _versions(option: dict[str, Any]) -> list[str]:
    return [str(version) for version in option.get("versions") or ()]


def option_view(engine: str, option: dict[str, Any]) -> dict[str, Any]:
    """One engine's options: sizes grouped by the node counts they allow."""
    allowed: dict[str, list[int]] = {}
    for nodes, sizes in sorted(_layouts(option).items()):
        for size in sizes:
            allowed.setdefault(size, []).append(nodes)
    groups: dict[str, list[str]] = {}
    for size, counts in allowed.items():
        groups.setdefault(",".join(map(str, counts)), []).append(size)
    return compact(
        {
            "engine": engine,
            "versions": _versions(option),
            "default_version": _default_version(option),
            "end_of_life": option.get("end_of_life"),
            "regions": option.get("regions"),
            "sizes_by_num_nodes": groups,
        }
    )


def _default_version(option: dict[str, Any]) -> str | None:
    versions = _versions(option)
    default = option.get("default_version")
    return str(default) if default else (versions[-1] if versions else None)


def _listing(values: list[Any]) -> str:
    return ", ".join(map(str, values)) or "none"


def _engine_option(options: dict[str, dict[str, Any]], engine: str) -> dict[str, Any]:
    if engine not in options:
        raise ToolError(
            f"Unknown engine {engine!r}; valid: {_listing(sorted(options))}. Nothing was changed."
        )
    return options[engine]


def _check_layout(engine: str, option: dict[str, Any], size: str, nodes: int) -> None:
    layouts = _layouts(option)
    if nodes not in layouts:
        raise ToolError(
            f"{engine} takes num_nodes {_listing(sorted(layouts))}, not {nodes}. "
            "Nothing was changed."
        )
    if size not in layouts[nodes]:
        fits = [count for count, sizes in sorted(layouts.items()) if size in sizes]
        hint = f" ({size} needs num_nodes {_listing(fits)})" if fits else ""
        raise ToolError(
            f"Size {size!r} is not offered for {engine} with {nodes} node(s){hint}; valid: "
            f"{_listing(layouts[nodes])}. Nothing was changed."
        )


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def database_cluster_list(
    do: DOAccess,
    engine: Annotated[str | None, Field(description="e.g. pg.")] = None,
    tag_name: Annotated[str | None, Field(description="e.g. prod.")] = None,
    options: Annotated[bool, Field(description="Instead: what create accepts.")] = False,
) -> ListResult:
    """List database clusters (engine, version, status, size, num_nodes, region, tags)."""
    if options:
        return await _list_options(do, engine)
    if tag_name is not None and not TAG.fullmatch(tag_name):
        raise ToolError(f"Invalid tag_name {tag_name[:80]!r}: letters, digits, '_', ':' or '-'.")
    body = await do.call("databases.list_clusters", tag_name=tag_name, subject="database clusters")
    clusters = [c for c in (body or {}).get("databases") or () if isinstance(c, dict)]
    items = [cluster_summary(c) for c in clusters if engine is None or c.get("engine") == engine]
    result = ListResult(
        items=_safe(items, False),
        total=len(items),
        page=1,
        per_page=max(len(items), 1),
        has_more=False,
        next_page=None,
    )
    return result.titled(f"{len(items)} database clusters.")


async def _list_options(do: DOAccess, engine: str | None) -> ListResult:
    options = await _options(do)
    if engine is not None:
        options = {engine: _engine_option(options, engine)}
    items = [option_view(name, option) for name, option in options.items()]
    result = ListResult(
        items=items,
        total=len(items),
        page=1,
        per_page=max(len(items), 1),
        has_more=False,
        next_page=None,
    )
    return result.titled(
        f"Options of {_listing(list(options))}: sizes_by_num_nodes maps node counts to the sizes "
        "they allow."
    )


@TOOLSET.tool(Access.READ)
async def database_cluster_get(
    do: DOAccess,
    cluster_id: ClusterId,
    reveal: Annotated[bool, Field(description="Add passwords and URIs.")] = False,
) -> ItemResult:
    """One cluster: connection (host, port, user, db, SSL), standby/private hosts, maintenance,
    storage, dbs, users, pools, trusted sources, backups."""
    cluster = await _get(do, cluster_id)
    engine = cluster.get("engine")
    parts: dict[str, Any] = {}

    async def read(key: str, operation: str, field: str) -> None:
        try:
            parts[key] = await _part(do, operation, field, cluster_id)
        except DOError as error:  # one part missing does not hide the rest
            parts[key] = f"unavailable ({error.status or error.error_id}: {error.message})"

    async with anyio.create_task_group() as group:
        if engine not in CACHES:  # they have only their built-in user
            group.start_soon(read, "users", "databases.list_users", "users")
        group.start_soon(read, "trusted_sources", "databases.list_firewall_rules", "rules")
        group.start_soon(read, "backups", "databases.list_backups", "backups")
        if engine in WITH_DATABASES:
            group.start_soon(read, "databases", "databases.list", "dbs")
        if engine in PG:
            group.start_soon(read, "pools", "databases.list_connection_pools", "pools")
    views = {
        "databases": lambda d: d.get("name"),
        "users": lambda u: user_view(u, reveal),
        "pools": lambda p: pool_view(p, reveal),
        "trusted_sources": source_text,
        "backups": backup_view,
    }
    item = cluster_view(cluster, reveal)
    for key, view in views.items():
        if key in parts:
            found = parts[key]
            item[key] = [view(x) for x in found] if isinstance(found, list) else found
    item["backups_note"] = BACKUPS_NOTE
    if isinstance(parts["trusted_sources"], list) and not parts["trusted_sources"]:
        item["trusted_sources"] = "none: any address may connect (with a password)"
    return ItemResult(item=_safe(item, reveal)).titled(
        f"Database cluster {cluster.get('name')} ({engine} {cluster.get('version')}) is "
        f"{_state(cluster)}." + ("" if reveal else " Passwords and URIs: reveal=true.")
    )


# -- create ----------------------------------------------------------------------------------


def _create_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request body, checked without the options (those come next)."""
    name = arguments["name"]
    if not CLUSTER_NAME.fullmatch(name):
        raise ToolError(
            f"Invalid cluster name {name!r}: 3-63 lowercase letters, digits and '-', starting "
            "with a letter (e.g. pg-main). Nothing was sent."
        )
    engine = arguments["engine"]
    storage = arguments.get("storage_size_mib")
    if storage is not None and storage < 1:
        raise ToolError("storage_size_mib is the total storage in MiB. Nothing was sent.")
    if storage is not None and engine in CACHES:
        raise ToolError(
            f"{engine} keeps its data in memory: no storage_size_mib. Nothing was sent."
        )
    bad = [tag for tag in arguments.get("tags") or () if not TAG.fullmatch(tag)]
    if bad:
        raise ToolError(
            f"Invalid tag {bad[0][:80]!r}: letters, digits, '_', ':' or '-'. Nothing was sent."
        )
    vpc_uuid = arguments.get("vpc_uuid")
    if vpc_uuid is not None and not UUID.fullmatch(vpc_uuid):
        raise ToolError(f"vpc_uuid must be a UUID; got {vpc_uuid[:80]!r}. Nothing was sent.")
    body: dict[str, Any] = {
        "name": name,
        "engine": engine,
        "version": arguments.get("version"),
        "region": arguments["region"],
        "size": arguments["size"],
        "num_nodes": arguments.get("num_nodes") or 1,
        "storage_size_mib": storage,
        "tags": arguments.get("tags") or None,
        "private_network_uuid": vpc_uuid,
    }
    restore = arguments.get("restore_from")
    if restore is not None:
        source = restore.get("name") if isinstance(restore, dict) else None
        unknown = sorted(set(restore) - {"name", "backup_created_at"}) if source else []
        if not isinstance(source, str) or not CLUSTER_NAME.fullmatch(source) or unknown:
            raise ToolError(
                "restore_from is {name: <an existing cluster's name>, backup_created_at: "
                "<one of its backups' created_at, default the latest>}. Nothing was sent."
            )
        body["backup_restore"] = {"database_name": source} | pick(restore, ("backup_created_at",))
    return {key: value for key, value in body.items() if value is not None}


async def _check_restore(do: DOAccess, body: dict[str, Any]) -> str:
    """The restore's source exists, runs the same engine, and has that backup."""
    restore = body["backup_restore"]
    source = restore["database_name"]
    listed = await do.call("databases.list_clusters", subject="database clusters")
    found = next((c for c in listed.get("databases") or () if c.get("name") == source), None)
    if found is None:
        raise ToolError(
            f"No database cluster is named {source!r} ({LOOKUP}); a restore needs the cluster "
            "whose backup it uses (deleting a cluster deletes its backups). Nothing was changed."
        )
    if found.get("engine") != body["engine"]:
        raise ToolError(
            f"Cluster {source} runs {found.get('engine')}; a restore of it needs "
            f"engine={found.get('engine')}. Nothing was changed."
        )
    backups = await _part(do, "databases.list_backups", "backups", found["id"])
    stamps = [str(b.get("created_at")) for b in backups]
    wanted = restore.get("backup_created_at")
    if wanted is not None and wanted not in stamps:
        raise ToolError(
            f"Cluster {source} has no backup created at {wanted!r}; its backups: "
            f"{_listing(stamps)}. Nothing was changed."
        )
    if wanted is None and not stamps:
        raise ToolError(f"Cluster {source} has no backup yet. Nothing was changed.")
    return f"Restored from {source}'s backup of {wanted or max(stamps) + ' (the latest)'}."


async def _refuse_taken(do: DOAccess, name: str) -> None:
    listed = await do.call("databases.list_clusters", subject="database clusters")
    same = next((c for c in listed.get("databases") or () if c.get("name") == name), None)
    if same:
        raise ToolError(
            f"A database cluster named {name!r} already exists (id {same.get('id')}, "
            f"{_state(same)}). Nothing was created; if an earlier create timed out, it is that one."
        )


async def plan_create(do: DOAccess, **arguments: Any) -> Plan:
    body = _create_body(arguments)
    await _refuse_taken(do, body["name"])  # before anybody is asked
    await chosen_project(do, arguments.get("project"))
    engine = body["engine"]
    option = _engine_option(await _options(do), engine)
    versions = _versions(option)
    body.setdefault("version", _default_version(option))
    if body["version"] not in versions:
        raise ToolError(
            f"{engine} has no version {body['version']!r}; valid: {_listing(versions)}. "
            "Nothing was changed."
        )
    regions = list(option.get("regions") or ())
    if body["region"] not in regions:
        raise ToolError(
            f"{engine} is not offered in {body['region']!r}; regions: {_listing(regions)}. "
            "Nothing was changed."
        )
    _check_layout(engine, option, body["size"], body["num_nodes"])
    notes = [await _check_restore(do, body)] if "backup_restore" in body else []
    cost = pricing.database_cost(body["size"], body["num_nodes"])
    if cost is None:
        notes.append(f"CargoShipper has no price for {body['size']} (see the DigitalOcean site).")
    if "storage_size_mib" in body:
        notes.append(
            f"Storage {body['storage_size_mib']} MiB: what exceeds the size's own is billed on "
            "top (not priced here)."
        )
    target = Target("database cluster", "new", body["name"], tuple(body.get("tags") or ()))
    what = f"{engine} {body['version']} in {body['region']}, {body['num_nodes']} x {body['size']}."
    request = ("databases.create_cluster", {"body": body})
    return Plan(
        "create",
        "create",
        (target,),
        destructive=False,
        cost=cost,
        extra=" ".join([what, *notes]),
        requests=(request,),
    )


def _online(cluster: dict[str, Any]) -> bool:
    return _state(cluster) == "online"


def _describe(cluster: dict[str, Any]) -> str:
    return f"database cluster {cluster.get('name')}: {_state(cluster)}"


def _unfinished(what: str, waited: Waited | None) -> str:
    after = f" after {waited.elapsed:.0f} s" if waited else ""
    return (
        f"{what} is still in progress{after}. Call database_cluster_get later to see its "
        "status; do not repeat this call."
    )


@TOOLSET.tool(Access.WRITE, costs_money=True, plan=plan_create)
async def database_cluster_create(
    do: DOAccess,
    name: Annotated[str, Field(description="e.g. pg-main.")],
    engine: Annotated[str, Field(description="pg, mysql, valkey, redis, mongodb, kafka...")],
    region: Annotated[str, Field(description="e.g. nyc3.")],
    size: Annotated[str, Field(description="e.g. db-s-1vcpu-2gb.")],
    num_nodes: Annotated[int, Field(description="Primary + standbys.")] = 1,
    version: Annotated[str | None, Field(description="Default: the engine's.")] = None,
    storage_size_mib: Annotated[
        int | None, Field(description="Total; default: the size's.")
    ] = None,
    tags: Annotated[list[str] | None, Field(description="e.g. ['prod'].")] = None,
    vpc_uuid: Annotated[str | None, Field(description="VPC id.")] = None,
    project: ProjectChoice = None,
    restore_from: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(OBJECT_SCHEMA),
        Field(
            description="{name, backup_created_at?}: a cluster's backup.",
            json_schema_extra=lambda schema: schema.pop("default", None),
        ),
    ] = None,
    wait: Wait = True,
    plan: Plan | None = None,
) -> ActionResult:
    """Create a cluster (choices: database_cluster_list options=true); cost shown first;
    refuses a taken name; waits until online."""
    arguments = {key: value for key, value in locals().items() if key not in ("do", "plan")}
    plan = plan or await plan_create(do, **arguments)
    ((operation, request),) = plan.requests
    place = await chosen_project(do, project)  # before anything is created
    await _refuse_taken(do, name)  # again: a create of the same name may have run meanwhile
    created = await do.call(
        operation,
        **request,
        subject=f"database cluster {name}",
        look_for=f"a database cluster named {name!r} (database_cluster_list)",
    )
    cluster, waited = created["database"], None
    if wait and not _online(cluster):
        waited = await do.wait_until(lambda: _get(do, cluster["id"]), _online, _describe)
        cluster = waited.value
    done = _online(cluster)
    what = f"Database cluster {name} ({cluster['id']})"
    if done:
        message = f"{what} is online; database_cluster_get shows how to connect."
    else:
        message = _unfinished(f"Creating {what}", waited)
    view = _safe(cluster_view(cluster), False)
    result = ActionResult(done=done, actions=[], resources=[view], message=message)
    return await put_in_project(do, place, [urn("db", cluster["id"])], result.titled(message))


# -- change ----------------------------------------------------------------------------------

ActionType = Literal[
    "resize",
    "add_db",
    "delete_db",
    "add_user",
    "reset_password",
    "delete_user",
    "add_pool",
    "delete_pool",
    "add_source",
    "remove_source",
]
#: The parameters each type takes: (required, optional).
ACTION_PARAMETERS: dict[str, tuple[set[str], set[str]]] = {
    "resize": (set(), {"size", "num_nodes", "storage_size_mib"}),
    "add_db": ({"name"}, set()),
    "delete_db": ({"name"}, set()),
    "add_user": ({"name"}, {"settings"}),
    "reset_password": ({"name"}, {"settings"}),
    "delete_user": ({"name"}, set()),
    "add_pool": ({"name", "settings"}, set()),
    "delete_pool": ({"name"}, set()),
    "add_source": ({"source"}, set()),
    "remove_source": ({"source"}, set()),
}
NOUNS = {"db": "database", "user": "database user", "pool": "connection pool"}


def _action_request(type: str, given: dict[str, Any]) -> dict[str, Any]:
    """database_cluster_action's parameters checked against its type (before any request)."""
    given = {key: value for key, value in given.items() if value not in (None, "", {})}
    required, optional = ACTION_PARAMETERS[type]
    extra = sorted(set(given) - required - optional)
    if extra:
        raise ToolError(f"{', '.join(extra)} does not apply to {type}. Nothing was sent.")
    missing = sorted(required - set(given))
    if missing:
        raise ToolError(f"{type} needs {', '.join(missing)}. Nothing was sent.")
    if type == "resize" and not given:
        raise ToolError("resize needs size, num_nodes and/or storage_size_mib. Nothing was sent.")
    name = given.get("name")
    if name is not None and not OBJECT_NAME.fullmatch(name):
        raise ToolError(
            f"Invalid name {name[:80]!r}: letters, digits, '_', '.' or '-', at most 63. "
            "Nothing was sent."
        )
    if "source" in given:
        given["rule"] = parse_source(given["source"])
    return given


def parse_source(text: Any) -> dict[str, str]:
    """``203.0.113.5``, ``ip:10.0.0.0/24``, ``droplet:3164444``, ``k8s:<uuid>``, ``tag:web``,
    ``app:<uuid>`` -> a firewall rule ``{type, value}``."""
    text = str(text).strip()
    kind, colon, value = text.partition(":")
    if not colon or kind not in SOURCE_TYPES:
        kind, value = "ip", text
    problem = None
    if kind == "ip":
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            problem = "is not an IPv4 address or CIDR range"
        else:
            if network.version != 4:
                problem = "is IPv6: the API takes IPv4 trusted sources only"
            value = str(network.network_address) if network.prefixlen == 32 else str(network)
    elif kind == "droplet" and not (value.isascii() and value.isdigit()):
        problem = "needs a droplet id (a number)"
    elif kind in ("k8s", "app") and not UUID.fullmatch(value):
        problem = f"needs a {'Kubernetes cluster' if kind == 'k8s' else 'app'} id (UUID)"
    elif kind == "tag" and not TAG.fullmatch(value):
        problem = "needs a tag name (letters, digits, '_', ':' or '-')"
    if problem:
        raise ToolError(
            f"Trusted source {text[:80]!r} {problem}. Write 203.0.113.5, ip:10.0.0.0/24, "
            "droplet:<id>, k8s:<id>, tag:<name> or app:<id>. Nothing was sent."
        )
    return {"type": SOURCE_TYPES[kind], "value": value}


def _user_body(engine: str, name: str, settings: dict[str, Any] | None, reset: bool) -> dict:
    """add_user's (or reset_auth's) body from the engine's own options; others refused."""
    settings = dict(settings or {})
    allowed = {
        **{slug: {"replication"} for slug in PG},
        **{slug: {"auth_plugin"} for slug in MYSQL},
        "mongodb": {"role", "databases"},
        "kafka": {"acl"},
        "opensearch": {"acl"},
    }.get(engine, set())
    if reset:
        allowed = allowed & {"auth_plugin"}
    unknown = sorted(set(settings) - allowed)
    if unknown:
        offer = ", ".join(sorted(allowed)) or "none"
        what = "reset_password" if reset else f"a {engine} user"
        raise ToolError(
            f"{', '.join(unknown)} does not apply to {what}; its settings: {offer}. "
            "Nothing was changed."
        )
    body: dict[str, Any] = {} if reset else {"name": name}
    plugin = settings.get("auth_plugin")
    if plugin is not None:
        if plugin not in AUTH_PLUGINS:
            raise ToolError(
                f"auth_plugin is one of {', '.join(AUTH_PLUGINS)}. Nothing was changed."
            )
        body["mysql_settings"] = {"auth_plugin": plugin}
    user: dict[str, Any] = {}
    if "replication" in settings:
        user["pg_allow_replication"] = _flag(settings["replication"], "replication")
    if "role" in settings or "databases" in settings:
        user["mongo_user_settings"] = _mongo(settings)
    if "acl" in settings:
        user["acl" if engine == "kafka" else "opensearch_acl"] = _acl(engine, settings["acl"])
    if user:
        body["settings"] = user
    return body


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ToolError(f"{what} is true or false. Nothing was changed.")
    return value


def _mongo(settings: dict[str, Any]) -> dict[str, Any]:
    role, databases = settings.get("role"), settings.get("databases")
    if role is not None and role not in MONGO_ROLES:
        raise ToolError(f"role is one of {', '.join(MONGO_ROLES)}. Nothing was changed.")
    if databases is not None and not (
        isinstance(databases, list) and all(isinstance(d, str) and d for d in databases)
    ):
        raise ToolError("databases is a list of database names. Nothing was changed.")
    return compact({"role": role, "databases": databases})


def _acl(engine: str, acl: Any) -> list[dict[str, str]]:
    key = "topic" if engine == "kafka" else "index"
    permissions = KAFKA_PERMISSIONS if engine == "kafka" else SEARCH_PERMISSIONS
    entries = acl if isinstance(acl, list) else [None]
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or set(entry) != {key, "permission"}
            or not isinstance(entry[key], str)
            or entry["permission"] not in permissions
        ):
            raise ToolError(
                f"acl is a list of {{{key}: <regex>, permission: {'|'.join(permissions)}}}. "
                "Nothing was changed."
            )
    return acl


def _pool_body(name: str, settings: dict[str, Any], dbs: list[str], users: list[str]) -> dict:
    unknown = sorted(set(settings) - {"db", "mode", "size", "user"})
    if unknown:
        raise ToolError(
            f"{', '.join(unknown)} does not apply to a pool; settings: db, mode, size, user. "
            "Nothing was changed."
        )
    if not 3 <= len(name) <= 60:
        raise ToolError("A pool name has 3-60 characters. Nothing was changed.")
    db, mode, size, user = (settings.get(key) for key in ("db", "mode", "size", "user"))
    if db not in dbs:
        raise ToolError(
            f"settings.db must be one of the cluster's databases: {_listing(dbs)}. "
            "Nothing was changed."
        )
    if mode not in POOL_MODES:
        raise ToolError(f"settings.mode is one of {', '.join(POOL_MODES)}. Nothing was changed.")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ToolError("settings.size is the pool's connections, at least 1. Nothing was changed.")
    if user is not None and user not in users:
        raise ToolError(
            f"settings.user must be one of the cluster's users: {_listing(users)}. "
            "Nothing was changed."
        )
    return compact({"name": name, "mode": mode, "size": size, "db": db, "user": user})


def _part_target(cluster: dict[str, Any], kind: str, name: str) -> Target:
    """A database, user or pool: protected when its cluster is."""
    label = f"{cluster.get('name')}/{name}"
    return Target(NOUNS[kind], label, name, _target(cluster).tags)


def _size_rank(size: str) -> tuple[float, float]:
    """(memory GB, vCPUs) read from a slug such as db-s-2vcpu-4gb, to tell a smaller size."""
    cpus = re.search(r"(\d+)vcpu", size)
    memory = re.search(r"(\d+)gb", size)
    return float(memory[1]) if memory else 0.0, float(cpus[1]) if cpus else 0.0


async def _plan_resize(do: DOAccess, cluster: dict[str, Any], request: dict[str, Any]) -> Plan:
    engine = str(cluster.get("engine"))
    old_size, old_nodes = str(cluster.get("size")), int(cluster.get("num_nodes") or 1)
    size, nodes = request.get("size", old_size), request.get("num_nodes", old_nodes)
    storage = request.get("storage_size_mib")
    old_storage = int(cluster.get("storage_size_mib") or 0)
    if engine in CACHES and storage is not None:
        raise ToolError(
            f"{engine} keeps its data in memory: no storage_size_mib. Nothing was changed."
        )
    if storage is not None and storage < old_storage:
        raise ToolError(
            f"Storage only grows: cluster {cluster.get('name')} has {old_storage} MiB; give "
            "more, or leave storage_size_mib out. Nothing was changed."
        )
    if (size, nodes) == (old_size, old_nodes) and storage in (None, old_storage):
        raise ToolError(
            f"Cluster {cluster.get('name')} already is {nodes} x {size}"
            + (f" with {old_storage} MiB storage" if old_storage else "")
            + ". Nothing was changed."
        )
    _check_layout(engine, _engine_option(await _options(do), engine), size, nodes)
    body: dict[str, Any] = {"size": size, "num_nodes": nodes}
    if storage is not None:
        body["storage_size_mib"] = storage
    old = pricing.database_cost(old_size, old_nodes)
    new = pricing.database_cost(size, nodes)
    cost = None
    if old is not None and new is not None:
        cost = pricing.published(new.monthly - old.monthly, f"{old.detail} -> {new.detail}")
    losses = []
    if nodes < old_nodes:
        losses.append(f"{old_nodes - nodes} standby node(s) removed (less failover)")
    if _size_rank(size) < _size_rank(old_size):
        losses.append("smaller nodes: less memory and CPU for the same data")
    extra = f"{old_nodes} x {old_size} -> {nodes} x {size}"
    if storage is not None:
        extra += f", storage {old_storage} -> {storage} MiB (the extra is billed, not priced here)"
    extra += ". Connections drop briefly when it switches over."
    if losses:
        extra += " " + "; ".join(losses).capitalize() + "."
    if cost is None:
        extra += f" CargoShipper has no price for {old_size if old is None else size}."
    put = {"database_cluster_uuid": cluster["id"], "body": body}
    return Plan(
        "shrink" if losses else "resize",
        "change",
        (_target(cluster),),
        destructive=bool(losses),
        cost=cost,
        extra=extra,
        requests=(("databases.update_cluster_size", put),),
    )


async def _names(do: DOAccess, operation: str, key: str, cluster_id: str) -> list[str]:
    return [str(item.get("name")) for item in await _part(do, operation, key, cluster_id)]


def _absent(kind: str, name: str, cluster: dict[str, Any], names: list[str]) -> ToolError:
    return ToolError(
        f"Cluster {cluster.get('name')} has no {NOUNS[kind]} {name!r}; it has: "
        f"{_listing(names)}. Nothing was changed."
    )


def _present(kind: str, name: str, cluster: dict[str, Any]) -> ToolError:
    return ToolError(
        f"Cluster {cluster.get('name')} already has a {NOUNS[kind]} {name!r}. Nothing was changed."
    )


async def plan_action(
    do: DOAccess,
    type: str,
    cluster_id: str,
    name: str | None = None,
    source: str | None = None,
    size: str | None = None,
    num_nodes: int | None = None,
    storage_size_mib: int | None = None,
    settings: dict[str, Any] | None = None,
    **_: Any,
) -> Plan:
    given = {
        "name": name,
        "source": source,
        "size": size,
        "num_nodes": num_nodes,
        "storage_size_mib": storage_size_mib,
        "settings": settings,
    }
    request = _action_request(type, given)
    cluster = await _get(do, cluster_id)
    engine = str(cluster.get("engine"))
    if type == "resize":
        return await _plan_resize(do, cluster, request)
    if type in ("add_source", "remove_source"):
        return await _plan_source(do, cluster, type, request["rule"])
    where = {"database_cluster_uuid": cluster_id}
    name = str(request["name"])
    kind = type.rpartition("_")[2] if type != "reset_password" else "user"
    if type.endswith("_db"):
        if engine not in WITH_DATABASES:
            raise ToolError(
                f"A {engine} cluster has no databases to add or delete (api_call covers "
                f"{engine}'s own resources). Nothing was changed."
            )
        dbs = await _names(do, "databases.list", "dbs", cluster_id)
        if type == "add_db":
            if name in dbs:
                raise _present("db", name, cluster)
            add = ("databases.add", {**where, "body": {"name": name}})
            return _plan_add(cluster, "db", name, add)
        if name not in dbs:
            raise _absent("db", name, cluster, dbs)
        extra = (
            "Its tables and data are gone from the cluster; only a restore of an earlier "
            "backup (into a new cluster) brings them back."
        )
        if engine in PG:
            pools = await _part(do, "databases.list_connection_pools", "pools", cluster_id)
            using = [str(p.get("name")) for p in pools if p.get("db") == name]
            if using:
                extra += f" Pools on it stop working: {_listing(using)}."
        delete = ("databases.delete", {**where, "database_name": name})
        return _plan_delete(cluster, "db", name, extra, delete)
    if kind == "pool":
        if engine not in PG:
            raise ToolError(
                f"Connection pools are for PostgreSQL (PgBouncer) only; cluster "
                f"{cluster.get('name')} runs {engine}. Nothing was changed."
            )
        pools = await _part(do, "databases.list_connection_pools", "pools", cluster_id)
        names = [str(p.get("name")) for p in pools]
        if type == "add_pool":
            if name in names:
                raise _present("pool", name, cluster)
            dbs = await _names(do, "databases.list", "dbs", cluster_id)
            users = await _names(do, "databases.list_users", "users", cluster_id)
            body = _pool_body(name, request["settings"], dbs, users)
            return _plan_add(
                cluster, "pool", name, ("databases.add_connection_pool", {**where, "body": body})
            )
        if name not in names:
            raise _absent("pool", name, cluster, names)
        pool = next(p for p in pools if p.get("name") == name)
        extra = (
            f"Clients connecting through it (database {pool.get('db')}, "
            f"{pool.get('mode')} mode) are cut off."
        )
        delete = ("databases.delete_connection_pool", {**where, "pool_name": name})
        return _plan_delete(cluster, "pool", name, extra, delete)
    if engine in CACHES:
        raise ToolError(
            f"A {engine} cluster has only its built-in user; users cannot be added, reset or "
            "deleted here. Nothing was changed."
        )
    users = await _part(do, "databases.list_users", "users", cluster_id)
    names = [str(u.get("name")) for u in users]
    if type == "add_user":
        if name in names:
            raise _present("user", name, cluster)
        body = _user_body(engine, name, request.get("settings"), reset=False)
        return _plan_add(cluster, "user", name, ("databases.add_user", {**where, "body": body}))
    if name not in names:
        raise _absent("user", name, cluster, names)
    user = next(u for u in users if u.get("name") == name)
    if type == "reset_password":
        body = _user_body(engine, name, request.get("settings"), reset=True)
        reset = ("databases.reset_auth", {**where, "username": name, "body": body})
        return Plan(
            "reset the password of",
            "change",
            (_part_target(cluster, "user", name),),
            extra="The old password stops working at once: clients using it fail until they "
            "get the new one (in this call's result only).",
            requests=(reset,),
        )
    if user.get("role") == "primary":
        raise ToolError(
            f"{name} is cluster {cluster.get('name')}'s primary user; it cannot be deleted "
            "(reset_password replaces its password). Nothing was changed."
        )
    extra = "It can no longer connect; sessions using it end."
    if engine in PG:
        pools = await _part(do, "databases.list_connection_pools", "pools", cluster_id)
        using = [str(p.get("name")) for p in pools if p.get("user") == name]
        if using:
            extra += f" Pools that connect as it stop working: {_listing(using)}."
    delete = ("databases.delete_user", {**where, "username": name})
    return _plan_delete(cluster, "user", name, extra, delete)


def _plan_add(
    cluster: dict[str, Any], kind: str, name: str, request: tuple[str, dict[str, Any]]
) -> Plan:
    target = Target(NOUNS[kind], "new", name, _target(cluster).tags)
    notes = {"cluster": cluster.get("name")}
    return Plan("add", "create", (target,), destructive=False, notes=notes, requests=(request,))


def _plan_delete(
    cluster: dict[str, Any], kind: str, name: str, extra: str, request: tuple[str, dict]
) -> Plan:
    return Plan(
        "delete", "delete", (_part_target(cluster, kind, name),), extra=extra, requests=(request,)
    )


async def _plan_source(
    do: DOAccess, cluster: dict[str, Any], type: str, rule: dict[str, str]
) -> Plan:
    """Read the rules, merge, and PUT the whole list (the API's PUT replaces it)."""
    rules = await _part(do, "databases.list_firewall_rules", "rules", cluster["id"])
    kept = [pick(r, ("type", "value", "description")) for r in rules]
    present = any((r.get("type"), r.get("value")) == (rule["type"], rule["value"]) for r in kept)
    text = source_text(rule)
    before = [source_text(r) for r in kept]
    notes = {"cluster": cluster.get("name"), "source": text, "before": before}
    if type == "add_source":
        if present:  # nothing to send: the tool says so
            notes["after"] = before
            return Plan("add a trusted source to", "read", (_target(cluster),), False, notes=notes)
        if len(kept) >= MAX_SOURCES:
            raise ToolError(
                f"Cluster {cluster.get('name')} has {MAX_SOURCES} trusted sources, "
                "the API's limit. Nothing was changed."
            )
        after = [*kept, rule]
        extra = (
            f"Kept: {_listing(before)}."
            if before
            else (
                "It has no trusted source now, so any address may connect (with a password); "
                f"after this only {text} can."
            )
        )
        action, destructive = f"add trusted source {text} to", not before
    else:
        if not present:
            raise ToolError(
                f"{text} is not a trusted source of cluster {cluster.get('name')}; they are: "
                f"{_listing(before)}. Nothing was changed."
            )
        after = [
            r for r in kept if (r.get("type"), r.get("value")) != (rule["type"], rule["value"])
        ]
        extra = (
            f"{text} can no longer connect. Kept: {_listing([source_text(r) for r in after])}."
            if after
            else "It was the last one: afterwards any address may connect (with a password)."
        )
        action, destructive = f"remove trusted source {text} from", True
    notes["after"] = [source_text(r) for r in after]
    put = {"database_cluster_uuid": cluster["id"], "body": {"rules": after}}
    return Plan(
        action,
        "change",
        (_target(cluster),),
        destructive=destructive,
        extra=extra,
        notes=notes,
        requests=(("databases.update_firewall_rules", put),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, costs_money=True, plan=plan_action)
async def database_cluster_action(
    do: DOAccess,
    type: Annotated[ActionType, Field(description="What to do.")],
    cluster_id: ClusterId,
    name: Annotated[str | None, Field(description="The db, user or pool.")] = None,
    source: Annotated[
        str | None,
        Field(description="e.g. 203.0.113.5, ip:10.0.0.0/24, droplet:<id>, k8s:, tag:, app:"),
    ] = None,
    size: Annotated[str | None, Field(description="resize: node size.")] = None,
    num_nodes: Annotated[int | None, Field(description="resize.")] = None,
    storage_size_mib: Annotated[int | None, Field(description="resize: total.")] = None,
    settings: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(OBJECT_SCHEMA),
        Field(
            description="add_pool {db, mode, size, user}; add_user: pg {replication}, mysql "
            "{auth_plugin}, mongodb {role, databases}, kafka/opensearch {acl}.",
            json_schema_extra=lambda schema: schema.pop("default", None),
        ),
    ] = None,
    wait: Wait = True,
    plan: Plan | None = None,
) -> ActionResult:
    """resize (cost shown; waits), add/delete_db, add_user/reset_password (new password: this
    result only)/delete_user, add/delete_pool (pg), add/remove_source."""
    plan = plan or await plan_action(
        do, type, cluster_id, name, source, size, num_nodes, storage_size_mib, settings
    )
    if not plan.requests:
        message = f"{plan.notes['source']} already is a trusted source; nothing was sent."
        view = {"trusted_sources": plan.notes["after"]}
        return ActionResult(done=True, actions=[], resources=[view], message=message).titled(
            message
        )
    ((operation, request),) = plan.requests
    answer = await do.call(operation, **request, **_subject(cluster_id))
    target = plan.targets[0]
    if type == "resize":
        return await _resized(do, cluster_id, request["body"], wait)
    if type in ("add_source", "remove_source"):
        message = f"Trusted sources of {target.name}: {_listing(plan.notes['after'])}."
        view = {"trusted_sources": plan.notes["after"]}
        return ActionResult(done=True, actions=[], resources=[view], message=message).titled(
            message
        )
    if type.startswith("delete"):
        message = f"Deleted {target.kind} {target.name} of cluster {target.id.split('/')[0]}."
        view = {"name": target.name, "deleted": True}
        return ActionResult(done=True, actions=[], resources=[view], message=message).titled(
            message
        )
    answer = answer or {}
    if type in ("add_user", "reset_password"):
        view = user_view(answer.get("user") or {"name": name}, reveal=True)
        verb = "Added user" if type == "add_user" else "Reset the password of user"
        message = (
            f"{verb} {name}. Its password is in this result only; keep it safe "
            "(database_cluster_get reveal=true shows it again)."
        )
    elif type == "add_pool":
        view = _safe(pool_view(answer.get("pool") or {"name": name}, False), False)
        message = f"Added connection pool {name} (database_cluster_get reveal=true: its URI)."
    else:
        view = {"name": (answer.get("db") or {}).get("name", name)}
        message = f"Added database {name} to cluster {plan.notes.get('cluster')}."
    return ActionResult(done=True, actions=[], resources=[view], message=message).titled(message)


async def _resized(do: DOAccess, cluster_id: str, body: dict[str, Any], wait: bool) -> ActionResult:
    def settled(cluster: dict[str, Any]) -> bool:
        storage = body.get("storage_size_mib")
        return (
            _online(cluster)
            and cluster.get("size") == body["size"]
            and cluster.get("num_nodes") == body["num_nodes"]
            and (storage is None or cluster.get("storage_size_mib") == storage)
        )

    cluster, waited = await _get(do, cluster_id), None
    if wait and not settled(cluster):
        waited = await do.wait_until(lambda: _get(do, cluster_id), settled, _describe)
        cluster = waited.value
    done = settled(cluster)
    name = cluster.get("name")
    shape = f"{body['num_nodes']} x {body['size']}"
    message = (
        f"Cluster {name} is online as {shape}."
        if done
        else _unfinished(f"The resize of cluster {name} to {shape}", waited)
    )
    view = _safe(cluster_view(cluster), False)
    return ActionResult(done=done, actions=[], resources=[view], message=message).titled(message)


# -- delete ----------------------------------------------------------------------------------


async def plan_cluster_delete(do: DOAccess, cluster_id: str, **_: Any) -> Plan:
    cluster = await _get(do, cluster_id)
    engine = cluster.get("engine")
    lost = []
    if engine in WITH_DATABASES:
        dbs = await _names(do, "databases.list", "dbs", cluster_id)
        lost.append(f"its databases ({_listing(dbs)})")
    lost.append("users")
    if engine in PG:
        pools = await _names(do, "databases.list_connection_pools", "pools", cluster_id)
        if pools:
            lost.append(f"connection pools ({_listing(pools)})")
    lost.append("automatic backups")
    extra = f"Gone for good: {', '.join(lost)}."
    try:
        backups = await _part(do, "databases.list_backups", "backups", cluster_id)
    except DOError:
        backups = []
    if backups:
        latest = max(backups, key=lambda b: str(b.get("created_at")))
        extra += f" Latest backup: {latest.get('size_gigabytes')} GB at {latest.get('created_at')}."
    extra += f" {cluster.get('num_nodes')} x {cluster.get('size')}"
    if cluster.get("storage_size_mib"):
        extra += f", {cluster['storage_size_mib']} MiB storage"
    extra += "."
    cost = pricing.database_cost(str(cluster.get("size")), int(cluster.get("num_nodes") or 1))
    saved = None if cost is None else pricing.published(-cost.monthly, cost.detail)
    return Plan(
        "delete",
        "delete",
        (_target(cluster),),
        extra=extra,
        cost=saved,
        requests=(("databases.destroy_cluster", {"database_cluster_uuid": cluster_id}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_cluster_delete)
async def database_cluster_delete(
    do: DOAccess, cluster_id: ClusterId, plan: Plan | None = None
) -> ItemResult:
    """Delete a cluster with its databases, users and backups, for good."""
    plan = plan or await plan_cluster_delete(do, cluster_id)
    await do.call(
        "databases.destroy_cluster", database_cluster_uuid=cluster_id, **_subject(cluster_id)
    )
    name = plan.targets[0].name
    return ItemResult(item={"id": cluster_id, "name": name, "deleted": True}).titled(
        f"Database cluster {name} ({cluster_id}) deleted."
    )
