"""Managed database engines as DigitalOcean offers them, and the records of a cluster.

``ENGINES`` is what ``/v2/databases/options`` lists (versions, layouts of node counts and sizes)
and how each engine's connections look (port, URI scheme, admin user, default database), with the
sizes' base storage. The records (``DbCluster`` and its users, pools and pending resize) and the
connection objects built from them are shared by the database route modules.
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass, field

from ._models import JSON

DO_USER = 7_346_051  # the account number in DigitalOcean's database host names
GIB = 1024  # MiB
_PASSWORD = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Version:
    version: str
    semantic: str
    end_of_life: str | None = None
    end_of_availability: str | None = None


@dataclass(frozen=True)
class Engine:
    """What an engine offers and how its connections look."""

    label: str  # as DigitalOcean's messages name it
    versions: tuple[Version, ...]  # oldest first; the last one is the default
    layouts: dict[int, tuple[str, ...]]  # num_nodes -> sizes
    port: int
    scheme: str  # of the connection URI
    query: str = ""  # of the connection URI
    database: str = ""  # the connection's database
    admin: str = "doadmin"
    storage: bool = True  # whether storage_size_mib applies
    dbs: bool = False  # whether /dbs is supported
    users: bool = True  # whether /users is supported
    standby: bool = False  # whether multi-node clusters have standby connections

    def version(self, slug: str) -> Version:
        return next(v for v in self.versions if v.version == slug)


BASIC = ("db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "db-s-6vcpu-16gb")
LARGE = (*BASIC, "db-s-8vcpu-32gb", "db-s-16vcpu-64gb")
CACHE = (*LARGE, "m-2vcpu-16gb", "m-4vcpu-32gb")
#: Base storage (GiB) of each size of the storage engines.
STORAGE_GIB = {
    "db-s-1vcpu-1gb": 10,
    "db-s-1vcpu-2gb": 30,
    "db-s-2vcpu-4gb": 60,
    "db-s-4vcpu-8gb": 140,
    "db-s-6vcpu-16gb": 290,
    "db-s-8vcpu-32gb": 580,
    "db-s-16vcpu-64gb": 1120,
    "gd-2vcpu-8gb": 80,
    "gd-4vcpu-16gb": 160,
    "m3-2vcpu-16gb": 200,
}
#: PostgreSQL versions: (version, semantic version, end of life, end of availability).
PG_VERSIONS = (
    ("13", "13.20", "2025-11-13T00:00:00Z", "2025-05-13T00:00:00Z"),
    ("14", "14.17", "2026-11-12T00:00:00Z", "2026-05-12T00:00:00Z"),
    ("15", "15.12", "2027-11-11T00:00:00Z", "2027-05-12T00:00:00Z"),
    ("16", "16.8", "2028-11-09T00:00:00Z", "2028-05-09T00:00:00Z"),
    ("17", "17.4", "2029-11-08T00:00:00Z", "2029-05-08T00:00:00Z"),
)
ENGINES: dict[str, Engine] = {
    "pg": Engine(
        "PostgreSQL",
        tuple(Version(*row) for row in PG_VERSIONS),
        {1: BASIC, 2: BASIC[1:], 3: BASIC[1:]},
        25060,
        "postgresql",
        "?sslmode=require",
        database="defaultdb",
        dbs=True,
        standby=True,
    ),
    "mysql": Engine(
        "MySQL",
        (Version("8", "8.0.41"),),
        {1: BASIC, 2: BASIC[1:], 3: BASIC[1:]},
        25060,
        "mysql",
        "?ssl-mode=REQUIRED",
        database="defaultdb",
        dbs=True,
        standby=True,
    ),
    "redis": Engine(
        "Caching",
        (Version("7", "7.2.4", "2025-06-30T00:00:00Z", "2025-04-30T00:00:00Z"),),
        {1: CACHE, 2: CACHE[1:], 3: CACHE[1:]},
        25061,
        "rediss",
        admin="default",
        storage=False,
        users=False,
        standby=True,
    ),
    "valkey": Engine(
        "Valkey",
        (Version("8", "8.0.2"),),
        {1: CACHE, 2: CACHE[1:], 3: CACHE[1:]},
        25061,
        "rediss",
        admin="default",
        storage=False,
        users=False,
        standby=True,
    ),
    "mongodb": Engine(
        "MongoDB",
        (
            Version("6.0", "6.0.20", "2025-07-01T07:00:00Z"),
            Version("7.0", "7.0.16", "2026-08-01T07:00:00Z"),
        ),
        {1: LARGE, 3: LARGE},
        27017,
        "mongodb+srv",
        "?tls=true&authSource=admin",
        database="admin",
        dbs=True,
    ),
    "kafka": Engine(
        "Kafka",
        (Version("3.8", "3.8.1"),),
        {3: ("db-s-2vcpu-4gb", "gd-2vcpu-8gb", "gd-4vcpu-16gb")},
        25073,
        "kafka",
    ),
    "opensearch": Engine(
        "OpenSearch",
        (Version("1", "1.3.20"), Version("2", "2.17.1")),
        {
            1: ("db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "m3-2vcpu-16gb"),
            3: ("db-s-2vcpu-4gb", "db-s-4vcpu-8gb", "m3-2vcpu-16gb"),
        },
        25060,
        "https",
    ),
}


@dataclass
class DbUser:
    name: str
    password: str
    role: str = "normal"  # the admin user is "primary"
    mysql_settings: JSON | None = None
    settings: JSON | None = None
    access_cert: str = ""  # Kafka users authenticate with a certificate too
    access_key: str = ""


@dataclass
class ConnectionPool:
    name: str
    mode: str
    size: int
    db: str
    user: str  # "" when the pool uses the connecting client's user


@dataclass
class Resize:
    size: str
    num_nodes: int
    storage_mib: int | None
    due: float  # clock time at which the cluster has its new shape


@dataclass
class DbCluster:
    id: str
    name: str
    engine: str
    version: str
    region: str
    size: str
    num_nodes: int
    storage_mib: int | None
    vpc_uuid: str
    project_id: str
    tags: list[str]
    created_at: str
    ready_at: float  # clock time at which it is online
    users: dict[str, DbUser]
    dbs: list[str]
    maintenance: JSON
    pools: dict[str, ConnectionPool] = field(default_factory=dict)
    rules: list[JSON] = field(default_factory=list)
    resize: Resize | None = None

    @property
    def host(self) -> str:
        return f"{self.name}-do-user-{DO_USER}-0.b.db.ondigitalocean.com"

    @property
    def admin(self) -> DbUser:
        return self.users[ENGINES[self.engine].admin]


def new_password() -> str:
    """A fresh random password, shaped like DigitalOcean's."""
    return "AVNS_" + "".join(secrets.choice(_PASSWORD) for _ in range(20))


def _pem(kind: str, seed: str) -> str:
    body = base64.b64encode(f"sandbox {kind} {seed} {secrets.token_hex(8)}".encode() * 6)
    return f"-----BEGIN {kind}-----\n{body.decode()}\n-----END {kind}-----\n"


def new_user(cluster_engine: str, name: str, role: str = "normal") -> DbUser:
    """A user with a generated password (and a client certificate on Kafka)."""
    user = DbUser(name=name, password=new_password(), role=role)
    if cluster_engine == "kafka":
        user.access_cert, user.access_key = _pem("CERTIFICATE", name), _pem("PRIVATE KEY", name)
    return user


# -- connections -----------------------------------------------------------------------------


def connection(
    cluster: DbCluster, host: str, user: DbUser, database: str, port: int | None = None
) -> JSON:
    """One connection object; its URI embeds the user's password."""
    engine = ENGINES[cluster.engine]
    port = engine.port if port is None else port
    where = host if engine.scheme.endswith("+srv") else f"{host}:{port}"
    path = f"/{database}" if database else ""
    return {
        "uri": f"{engine.scheme}://{user.name}:{user.password}@{where}{path}{engine.query}",
        "database": database,
        "host": host,
        "port": port,
        "user": user.name,
        "password": user.password,
        "ssl": True,
    }


def connections(cluster: DbCluster, user: DbUser, database: str, port: int | None = None) -> JSON:
    """``connection`` and ``private_connection``, and the standby ones of a multi-node cluster."""
    hosts = {"connection": "", "private_connection": "private-"}
    if ENGINES[cluster.engine].standby and cluster.num_nodes > 1:
        hosts["standby_connection"] = "replica-"
        hosts["standby_private_connection"] = "private-replica-"
    return {
        key: connection(cluster, prefix + cluster.host, user, database, port)
        for key, prefix in hosts.items()
    }


def user_json(user: DbUser) -> JSON:
    body: JSON = {"name": user.name, "role": user.role, "password": user.password}
    if user.mysql_settings is not None:
        body["mysql_settings"] = dict(user.mysql_settings)
    if user.settings is not None:
        body["settings"] = dict(user.settings)
    if user.access_cert:
        body |= {"access_cert": user.access_cert, "access_key": user.access_key}
    return body
