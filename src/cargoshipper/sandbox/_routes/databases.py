"""Managed databases: clusters, options, resize, maintenance, trusted sources, backups, CA.

A new cluster is ``creating`` for ``boot_seconds``, then ``online``; a resize is ``resizing`` for
``boot_seconds`` and then shows the new size, node count and storage (computed from the World's
clock on read). Engines, versions, layouts (node counts and their sizes) and regions are those
``/v2/databases/options`` lists. Every cluster has its engine's admin user (``doadmin``;
``default`` for Caching and Valkey) with a random password, which the ``connection`` objects and
their URIs carry. A cluster is a member of its VPC (``do:dbaas:<id>``) and taggable. Users,
databases and connection pools live in ``database_users``. State: ``world.table("databases")``.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import uuid
from typing import Any

from .._api import (
    Request,
    Response,
    Router,
    accepted,
    created,
    no_content,
    not_found,
    ok,
    unprocessable,
)
from .._dbaas import (
    ENGINES,
    GIB,
    STORAGE_GIB,
    DbCluster,
    Engine,
    Resize,
    connection,
    connections,
    new_user,
    user_json,
)
from .._models import JSON
from .._network import region_vpc
from .._state import World
from .kubernetes import clusters as kubernetes_clusters
from .load_balancers import DEFAULT_PROJECT
from .tags import TAG_NAME, TAGGABLE, Taggable

router = Router()

TABLE = "databases"
VPC_FIELD = "private_network_uuid"
NAME = re.compile(r"[a-z][a-z0-9-]{1,61}[a-z0-9]")
STORAGE_STEP = 10 * GIB  # storage grows in 10 GiB steps
STORAGE_FACTOR = 3  # the sandbox lets storage grow to 3 x a size's base amount
DAY = 86_400.0
BACKUPS_KEPT = 7
MAX_RULES = 100
RULE_TYPES = ("ip_addr", "droplet", "k8s", "tag", "app")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_IDS = uuid.UUID("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")  # namespace of generated ids


def databases(world: World) -> dict[str, DbCluster]:
    return world.table(TABLE)


# -- time ------------------------------------------------------------------------------------


def _settle(world: World, cluster: DbCluster) -> None:
    """Apply a resize whose time has come."""
    resize = cluster.resize
    if resize is not None and world.now() >= resize.due:
        cluster.size, cluster.num_nodes = resize.size, resize.num_nodes
        cluster.storage_mib, cluster.resize = resize.storage_mib, None


def status(world: World, cluster: DbCluster) -> str:
    _settle(world, cluster)
    if world.now() < cluster.ready_at:
        return "creating"
    return "resizing" if cluster.resize else "online"


# -- views -----------------------------------------------------------------------------------


def _versions(cluster: DbCluster) -> JSON:
    version = ENGINES[cluster.engine].version(cluster.version)
    body: JSON = {"semantic_version": version.semantic}
    if version.end_of_life:
        body["version_end_of_life"] = version.end_of_life
    if version.end_of_availability:
        body["version_end_of_availability"] = version.end_of_availability
    return body


def cluster_json(world: World, cluster: DbCluster) -> JSON:
    engine = ENGINES[cluster.engine]
    body: JSON = {
        "id": cluster.id,
        "name": cluster.name,
        "engine": cluster.engine,
        "version": cluster.version,
        **_versions(cluster),
        "num_nodes": cluster.num_nodes,
        "size": cluster.size,
        "region": cluster.region,
        "status": status(world, cluster),
        "created_at": cluster.created_at,
        "private_network_uuid": cluster.vpc_uuid,
        "project_id": cluster.project_id,
        "tags": list(cluster.tags),
        "db_names": list(cluster.dbs) if engine.dbs else None,
        **connections(cluster, cluster.admin, engine.database),
        "users": [user_json(u) for u in cluster.users.values()] if engine.users else None,
        "maintenance_window": dict(cluster.maintenance),
        "rules": [dict(rule) for rule in cluster.rules],
        "metrics_endpoints": [{"host": cluster.host, "port": 9273}],
    }
    if cluster.storage_mib is not None:
        body["storage_size_mib"] = cluster.storage_mib
    if cluster.engine == "opensearch":
        dashboard = connection(cluster, "dashboard-" + cluster.host, cluster.admin, "", 443)
        body["ui_connection"] = {k: v for k, v in dashboard.items() if k != "database"}
    return body


def find_cluster(request: Request) -> DbCluster:
    cluster = databases(request.world).get(request.params["database_cluster_uuid"])
    if cluster is None:
        raise not_found()
    _settle(request.world, cluster)
    return cluster


def require_online(world: World, cluster: DbCluster, doing: str) -> None:
    """422 unless the cluster has finished creating."""
    if status(world, cluster) == "creating":
        raise unprocessable(f"The cluster is still creating; {doing} once it is online.")


# -- tags ------------------------------------------------------------------------------------


def _cluster_tags(world: World, ref: str) -> list[str] | None:
    cluster = databases(world).get(ref)
    return None if cluster is None else cluster.tags


TAGGABLE["database"] = Taggable(
    "databases",
    _cluster_tags,
    lambda world: (c.tags for c in databases(world).values()),
    "/v2/databases/{id}",
)


def _tag(world: World, cluster: DbCluster, tags: list[str]) -> None:
    for name in tags:
        tag = world.ensure_tag(name)
        tag.last_tagged_uri = tag.last_tagged["databases"] = f"/v2/databases/{cluster.id}"
    cluster.tags = list(dict.fromkeys(tags))


# -- options and validation ------------------------------------------------------------------


@router.get("/v2/databases/options")
def list_options(request: Request) -> Response:
    regions = list(request.world.regions)
    options = {
        slug: {
            "regions": regions,
            "versions": [v.version for v in engine.versions],
            "layouts": [{"num_nodes": n, "sizes": list(s)} for n, s in engine.layouts.items()],
        }
        for slug, engine in ENGINES.items()
    }
    availability = {
        slug: [
            {
                "end_of_life": v.end_of_life,
                "end_of_availability": v.end_of_availability,
                "version": v.version,
                "default": v is engine.versions[-1],
            }
            for v in engine.versions
        ]
        for slug, engine in ENGINES.items()
    }
    return ok({"options": options, "version_availability": availability})


def _engine(value: Any) -> Engine:
    if value not in ENGINES:
        raise unprocessable(f"invalid engine {value!r}: one of {', '.join(ENGINES)}")
    return ENGINES[value]


def _version(engine: Engine, value: Any) -> str:
    offered = [v.version for v in engine.versions]
    if value is None or value == "":
        return offered[-1]
    if value not in offered:
        raise unprocessable(f"invalid {engine.label} version {value!r}: one of {offered}")
    return value


def _layout(engine: Engine, num_nodes: Any, size: Any) -> tuple[int, str]:
    if num_nodes not in engine.layouts or isinstance(num_nodes, bool):
        counts = ", ".join(str(n) for n in engine.layouts)
        raise unprocessable(f"num_nodes for {engine.label} must be one of {counts}")
    if size not in engine.layouts[num_nodes]:
        raise unprocessable(
            f"invalid size {size!r} for a {num_nodes}-node {engine.label} cluster; "
            "see /v2/databases/options"
        )
    return num_nodes, size


def _storage(engine: Engine, size: str, value: Any, current: int | None = None) -> int | None:
    """Total storage in MiB: the size's base by default, more in 10 GiB steps, never less."""
    if not engine.storage:
        if value is not None:
            raise unprocessable(f"storage_size_mib can not be set on {engine.label} clusters")
        return None
    base = STORAGE_GIB[size] * GIB
    if value is None:
        value = max(base, current or 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise unprocessable("storage_size_mib must be an integer (MiB)")
    if current is not None and value < current:
        raise unprocessable(f"storage_size_mib can not be decreased: the cluster has {current} MiB")
    top = base * STORAGE_FACTOR
    if not base <= value <= top or value % STORAGE_STEP:
        raise unprocessable(
            f"storage_size_mib for {size} must be from {base} to {top} MiB, "
            f"in steps of {STORAGE_STEP} MiB"
        )
    return value


def _name(world: World, value: Any) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise unprocessable(
            "name must be 3 to 63 lowercase letters, digits and '-', starting with a letter"
        )
    if any(c.name == value for c in databases(world).values()):
        raise unprocessable(f"a database cluster named {value} already exists")
    return value


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(t, str) and TAG_NAME.fullmatch(t) for t in value
    ):
        raise unprocessable("tags must be a list of tag names (letters, digits, _ - :)")
    return value


def _project(value: Any) -> str:
    if value is None or value == "":
        return DEFAULT_PROJECT
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise unprocessable(f"invalid project_id {value!r}: it must be a project's UUID") from None


def _restore(world: World, engine: str, value: Any) -> list[str] | None:
    """The databases of the cluster a ``backup_restore`` names (None without one)."""
    if value is None:
        return None
    name = value.get("database_name") if isinstance(value, dict) else None
    source = next((c for c in databases(world).values() if c.name == name), None)
    if source is None or source.engine != engine:
        raise unprocessable(f"backup_restore: no {engine} cluster named {name!r} to restore")
    if not _backups(world, source):
        raise unprocessable(f"backup_restore: {name} has no backup yet")
    return list(source.dbs)


# -- trusted sources -------------------------------------------------------------------------


def _is_ipv4(value: str) -> bool:
    try:
        return isinstance(ipaddress.ip_network(value, strict=False), ipaddress.IPv4Network)
    except ValueError:
        return False


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _check_source(world: World, kind: Any, value: Any) -> None:
    if kind not in RULE_TYPES:
        raise unprocessable(f"rule type must be one of {', '.join(RULE_TYPES)}")
    if not isinstance(value, str) or not value:
        raise unprocessable("every rule needs a value")
    if kind == "ip_addr" and not _is_ipv4(value):
        raise unprocessable(
            f"ip_addr {value!r} must be an IPv4 address or range; "
            "IPv6 addresses can not be trusted sources"
        )
    if kind == "droplet" and not (value.isdigit() and int(value) in world.droplets):
        raise unprocessable(f"droplet {value} does not exist")
    if kind == "k8s" and value not in kubernetes_clusters(world):
        raise unprocessable(f"Kubernetes cluster {value} does not exist")
    if kind == "tag" and not TAG_NAME.fullmatch(value):
        raise unprocessable(f"invalid tag {value!r}")
    if kind == "app" and not _is_uuid(value):
        raise unprocessable(f"app {value!r} must be an app's UUID")


def rules(world: World, cluster_id: str, value: Any, current: list[JSON]) -> list[JSON]:
    """Validated trusted sources; a rule already present keeps its uuid and created_at."""
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise unprocessable("rules must be a list of {type, value} objects")
    if len(value) > MAX_RULES:
        raise unprocessable(f"a cluster can have at most {MAX_RULES} trusted sources")
    kept = {(r["type"], r["value"]): r for r in current}
    found: dict[tuple[str, str], JSON] = {}
    for rule in value:
        key = (rule.get("type"), rule.get("value"))
        _check_source(world, *key)
        found[key] = kept.get(key) or {
            "uuid": str(uuid.uuid5(_IDS, f"rule/{world.next_id('database_rule')}")),
            "cluster_uuid": cluster_id,
            "type": key[0],
            "value": key[1],
            "created_at": world.iso(),
        }
    return list(found.values())


# -- clusters --------------------------------------------------------------------------------


@router.get("/v2/databases")
def list_clusters(request: Request) -> Response:
    world, tag = request.world, request.arg("tag_name")
    found = [
        cluster_json(world, c) for c in databases(world).values() if tag is None or tag in c.tags
    ]
    return ok({"databases": found})


def _new_cluster(world: World, body: JSON) -> DbCluster:
    slug = body.get("engine")
    engine = _engine(slug)
    name, region = _name(world, body.get("name")), body.get("region")
    if not isinstance(region, str) or region not in world.regions:
        raise unprocessable(f"invalid region {region!r}: see /v2/databases/options")
    num_nodes, size = _layout(engine, body.get("num_nodes"), body.get("size"))
    cluster = DbCluster(
        id="",
        name=name,
        engine=slug,
        version=_version(engine, body.get("version")),
        region=region,
        size=size,
        num_nodes=num_nodes,
        storage_mib=_storage(engine, size, body.get("storage_size_mib")),
        vpc_uuid=region_vpc(world, body.get(VPC_FIELD), region, VPC_FIELD),
        project_id=_project(body.get("project_id")),
        tags=_tags(body.get("tags")),
        created_at=world.iso(),
        ready_at=world.now() + world.config.boot_seconds,
        users={},
        dbs=_restore(world, slug, body.get("backup_restore")) or _default_dbs(engine),
        maintenance={},
    )
    admin = new_user(slug, engine.admin, role="primary")
    if slug == "mysql":
        admin.mysql_settings = {"auth_plugin": "caching_sha2_password"}
    cluster.users[admin.name] = admin
    return cluster


def _default_dbs(engine: Engine) -> list[str]:
    return [engine.database] if engine.dbs else []


def _identify(world: World, cluster: DbCluster) -> None:
    """Give a validated new cluster its id and maintenance window."""
    number = world.next_id("database")
    cluster.id = str(uuid.uuid5(_IDS, f"database/{number}"))
    cluster.maintenance = {
        "day": WEEKDAYS[number % 7],
        "hour": f"{(number * 7) % 24:02d}:{(number * 13) % 60:02d}:00",
        "pending": False,
        "description": [],
    }


@router.post("/v2/databases")
def create_cluster(request: Request) -> Response:
    world, body = request.world, request.json()
    cluster = _new_cluster(world, body)
    found = rules(world, "", body["rules"], []) if body.get("rules") is not None else []
    _identify(world, cluster)
    cluster.rules = [{**rule, "cluster_uuid": cluster.id} for rule in found]
    databases(world)[cluster.id] = cluster
    _tag(world, cluster, cluster.tags)
    return created({"database": cluster_json(world, cluster)})


@router.get("/v2/databases/{database_cluster_uuid}")
def get_cluster(request: Request) -> Response:
    return ok({"database": cluster_json(request.world, find_cluster(request))})


@router.delete("/v2/databases/{database_cluster_uuid}")
def delete_cluster(request: Request) -> Response:
    del databases(request.world)[find_cluster(request).id]
    return no_content()


@router.put("/v2/databases/{database_cluster_uuid}/resize")
def resize_cluster(request: Request) -> Response:
    world, cluster, body = request.world, find_cluster(request), request.json()
    state = status(world, cluster)
    if state != "online":
        raise unprocessable(f"The cluster is {state}; it can be resized once it is online.")
    engine = ENGINES[cluster.engine]
    num_nodes, size = _layout(engine, body.get("num_nodes"), body.get("size"))
    storage = _storage(engine, size, body.get("storage_size_mib"), cluster.storage_mib)
    cluster.resize = Resize(size, num_nodes, storage, world.now() + world.config.boot_seconds)
    return accepted(None)


@router.put("/v2/databases/{database_cluster_uuid}/maintenance")
def update_maintenance(request: Request) -> Response:
    cluster, body = find_cluster(request), request.json()
    day, hour = body.get("day"), body.get("hour")
    if day not in WEEKDAYS:
        raise unprocessable(f"day must be one of {', '.join(WEEKDAYS)}")
    if not isinstance(hour, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", hour):
        raise unprocessable("hour must be HH:MM or HH:MM:SS (24-hour clock, UTC)")
    cluster.maintenance |= {"day": day, "hour": hour if hour.count(":") == 2 else hour + ":00"}
    return no_content()


# -- trusted sources, backups, CA ------------------------------------------------------------


@router.get("/v2/databases/{database_cluster_uuid}/firewall")
def list_rules(request: Request) -> Response:
    return ok({"rules": [dict(rule) for rule in find_cluster(request).rules]})


@router.put("/v2/databases/{database_cluster_uuid}/firewall")
def update_rules(request: Request) -> Response:
    world, cluster, body = request.world, find_cluster(request), request.json()
    if "rules" not in body:
        raise unprocessable("rules is required (an empty list allows every source)")
    cluster.rules = rules(world, cluster.id, body["rules"], cluster.rules)
    return no_content()


def _backups(world: World, cluster: DbCluster) -> list[JSON]:
    """A daily backup from the moment the cluster came online, the last seven kept."""
    if world.now() < cluster.ready_at:
        return []
    taken = int((world.now() - cluster.ready_at) // DAY) + 1
    stored_gib = (cluster.storage_mib or GIB) / GIB
    return [
        {
            "created_at": world.iso(cluster.ready_at + day * DAY),
            "size_gigabytes": round(stored_gib * (0.02 + 0.001 * day), 2),
        }
        for day in range(max(0, taken - BACKUPS_KEPT), taken)
    ]


@router.get("/v2/databases/{database_cluster_uuid}/backups")
def list_backups(request: Request) -> Response:
    world, cluster = request.world, find_cluster(request)
    engine = ENGINES[cluster.engine]
    if not engine.storage:
        raise unprocessable(f"Backups are not supported for {engine.label} clusters.")
    started = world.iso(cluster.ready_at)  # backups run daily at the time the cluster came up
    schedule = {
        "backup_hour": int(started[11:13]),
        "backup_minute": int(started[14:16]),
        "backup_interval_hours": 24,
    }
    return ok({"backups": _backups(world, cluster), "scheduled_backup_time": schedule})


@router.get("/v2/databases/{database_cluster_uuid}/ca")
def get_ca(request: Request) -> Response:
    cluster = find_cluster(request)
    der = base64.b64encode(f"sandbox CA of database cluster {cluster.id}".encode() * 8).decode()
    pem = f"-----BEGIN CERTIFICATE-----\n{der}\n-----END CERTIFICATE-----\n"
    return ok({"ca": {"certificate": base64.b64encode(pem.encode()).decode()}})
