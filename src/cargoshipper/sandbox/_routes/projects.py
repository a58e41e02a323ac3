"""Projects and their resources.

Every account has exactly one default project (seeded as ``first-project``, with the id load
balancers and database clusters already default to). Membership is computed on every read from
the World's tables, so it follows creates and deletes made by any module: a resource belongs to

1. the project it was explicitly assigned to (``POST .../resources``), unless the resource has
   since changed its own ``project_id`` (load balancers, database clusters, reserved IPs);
2. else the project its own ``project_id`` names, when that project exists;
3. else the default project.

Assigning a resource moves it from its previous project and, for a resource with its own
``project_id``, sets that field too. Assignments of resources that no longer exist are dropped on
read. When another project becomes the default, what the old one holds is pinned there by
explicit assignments: only later resources join the new default. Only an empty project that is
not the default may be deleted (412 otherwise).
State: ``world.table("projects")`` (id -> Project) and ``world.table("project_assignments")``
(urn -> Assignment).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._api import (
    ApiError,
    Request,
    Response,
    Router,
    bad_request,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON
from .._state import World
from .databases import databases
from .domains import domains
from .kubernetes import clusters
from .load_balancers import DEFAULT_PROJECT, load_balancers
from .volumes import volumes

router = Router()

TABLE = "projects"
ASSIGNMENTS = "project_assignments"
RESERVED_IPS = "generic:/v2/reserved_ips"  # the generic store's table, while it serves them
OWNER_ID = 2_258_992  # the account's integer id, as projects report it
MAX_NAME, MAX_TEXT = 175, 255
ENVIRONMENTS = ("Development", "Staging", "Production")
PURPOSES = (
    "Just trying out DigitalOcean",
    "Class project / Educational purposes",
    "Website or blog",
    "Web Application",
    "Service or API",
    "Mobile Application",
    "Machine learning / AI / Data processing",
    "IoT",
    "Operational / Developer tooling",
)
FIELDS = ("name", "description", "purpose", "environment", "is_default")
URN = re.compile(r"do:([a-z]+):(.+)")
NOT_EMPTY = "cannot delete a project with resources. move or remove the resources first"
IS_DEFAULT = "cannot delete the default project. make another project the default first"
_IDS = uuid.UUID("7c1d9e3a-5f2b-4a8c-9e6d-1b3f5a7c9d2e")  # namespace of generated ids


@dataclass
class Project:
    id: str
    name: str
    description: str
    purpose: str
    environment: str | None  # None until set: the answer then has no ``environment``
    created_at: str
    updated_at: str
    is_default: bool = False


@dataclass
class Assignment:
    project_id: str
    assigned_at: str
    record: Any  # the resource assigned: a new resource under the same URN is not assigned


@dataclass(frozen=True)
class Kind:
    """One kind of resource a project holds."""

    name: str  # the URN's resource type
    path: str  # its API path, "{}" for its id
    records: Callable[[World], Mapping[Any, Any]]  # id -> record
    key: Callable[[str], Any] = str  # the records' key for a URN's id


def _droplet_key(ref: str) -> int | None:
    return int(ref) if ref.isdigit() else None


KINDS = {
    kind.name: kind
    for kind in (
        Kind("droplet", "/v2/droplets/{}", lambda w: w.droplets, _droplet_key),
        Kind("volume", "/v2/volumes/{}", volumes),
        Kind("loadbalancer", "/v2/load_balancers/{}", load_balancers),
        Kind("domain", "/v2/domains/{}", domains, str.lower),
        Kind("dbaas", "/v2/databases/{}", databases),
        Kind("kubernetes", "/v2/kubernetes/clusters/{}", clusters),
        Kind("floatingip", "/v2/reserved_ips/{}", lambda w: w.table(RESERVED_IPS)),
    )
}
ALIASES = {"reservedip": "floatingip"}  # godo names reserved IPs do:reservedip:<ip>


def projects(world: World) -> dict[str, Project]:
    return world.table(TABLE)


def _assignments(world: World) -> dict[str, Assignment]:
    return world.table(ASSIGNMENTS)


def default_project(world: World) -> Project:
    return next(p for p in projects(world).values() if p.is_default)


def project_json(world: World, project: Project) -> JSON:
    answer = {
        "id": project.id,
        "owner_uuid": world.account.get("uuid", ""),
        "owner_id": OWNER_ID,
        "name": project.name,
        "description": project.description,
        "purpose": project.purpose,
        "environment": project.environment,
        "is_default": project.is_default,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }
    return {k: v for k, v in answer.items() if v is not None}


def _find(request: Request) -> Project:
    ref = request.params.get("project_id", "default")
    world = request.world
    project = default_project(world) if ref == "default" else projects(world).get(ref)
    if project is None:
        raise not_found()
    return project


# -- membership --------------------------------------------------------------------------------


def _own_project(record: Any) -> str | None:
    """The ``project_id`` a resource keeps itself (load balancers, databases, reserved IPs)."""
    if isinstance(record, dict):
        return record.get("project_id")
    settings = getattr(record, "settings", None)
    if isinstance(settings, dict):
        return settings.get("project_id")
    return getattr(record, "project_id", None)


def _set_own_project(record: Any, project_id: str) -> None:
    if isinstance(record, dict) and "project_id" in record:
        record["project_id"] = project_id
    elif isinstance(getattr(record, "settings", None), dict) and "project_id" in record.settings:
        record.settings["project_id"] = project_id
    elif isinstance(getattr(record, "project_id", None), str):
        record.project_id = project_id


def _created_at(record: Any) -> str | None:
    if isinstance(record, dict):
        value = record.get("created_at")
    else:
        value = getattr(record, "created_at", None)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Member:
    urn: str
    link: str
    project_id: str
    assigned_at: str
    record: Any = field(default=None, compare=False, repr=False)


def _holding(world: World, urn: str, record: Any) -> Assignment | None:
    """The explicit assignment that places ``record``, if one still does: it names an existing
    project, was made for this very record, and the record has not changed its own
    ``project_id`` since."""
    assignment = _assignments(world).get(urn)
    if assignment is None or assignment.record is not record:
        return None
    own = _own_project(record)
    if own not in (None, assignment.project_id) or assignment.project_id not in projects(world):
        return None
    return assignment


def _placement(world: World, urn: str, record: Any) -> tuple[str, str | None]:
    """(project id, assigned_at) of one existing resource, by the rules of the docstring."""
    assignment = _holding(world, urn, record)
    if assignment is not None:
        return assignment.project_id, assignment.assigned_at
    own = _own_project(record)
    if own in projects(world):
        return own, _created_at(record)
    return default_project(world).id, _created_at(record)


def members(world: World) -> Iterator[Member]:
    """Every resource of the World with its project; drops assignments of vanished resources."""
    live: set[str] = set()
    for kind in KINDS.values():
        for key, record in list(kind.records(world).items()):
            urn = f"do:{kind.name}:{key}"
            live.add(urn)
            project_id, assigned_at = _placement(world, urn, record)
            at = assigned_at or projects(world)[project_id].created_at
            yield Member(urn, kind.path.format(key), project_id, at, record)
    stale = [urn for urn in _assignments(world) if urn not in live]
    for urn in stale:
        del _assignments(world)[urn]


def _resources(world: World, project: Project) -> list[Member]:
    found = [m for m in members(world) if m.project_id == project.id]
    return sorted(found, key=lambda m: (m.assigned_at, m.urn))


def resource_json(request: Request, member: Member, status: str = "ok") -> JSON:
    return {
        "urn": member.urn,
        "assigned_at": member.assigned_at,
        "links": {"self": request.url(member.link)},
        "status": status,
    }


# -- validation --------------------------------------------------------------------------------


def _text(body: JSON, name: str, limit: int) -> str:
    value = body[name]
    if not isinstance(value, str) or len(value) > limit:
        raise unprocessable(f"{name} must be a string of at most {limit} characters")
    return value


def _name(world: World, body: JSON, project: Project | None) -> str:
    name = _text(body, "name", MAX_NAME)
    if not name.strip():
        raise unprocessable("name is required")
    taken = any(p.name == name and p is not project for p in projects(world).values())
    if taken:
        raise ApiError(409, "conflict", f"a project named {name} already exists")
    return name


def _purpose(body: JSON) -> str:
    """A listed purpose as is; any other is kept as ``Other: <purpose>``, as DigitalOcean does."""
    purpose = _text(body, "purpose", MAX_TEXT).strip()
    if not purpose:
        raise unprocessable("purpose is required")
    if purpose in PURPOSES or purpose.startswith("Other: "):
        return purpose
    return f"Other: {purpose}"[:MAX_TEXT]


def _environment(body: JSON) -> str:
    if body["environment"] not in ENVIRONMENTS:
        raise unprocessable(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    return body["environment"]


def _is_default(body: JSON) -> bool:
    if not isinstance(body["is_default"], bool):
        raise unprocessable("is_default must be true or false")
    return body["is_default"]


def _make_default(world: World, project: Project) -> None:
    """``project`` becomes the default; unsetting the default alone is ignored (one must stay).

    What the old default holds stays there (it is pinned by an explicit assignment): only
    resources created from now on join the new default, as on DigitalOcean.
    """
    old = default_project(world)
    if old is project:
        return
    for member in list(members(world)):
        if member.project_id == old.id and _holding(world, member.urn, member.record) is None:
            _assignments(world)[member.urn] = Assignment(old.id, member.assigned_at, member.record)
            _set_own_project(member.record, old.id)
    old.is_default = False
    project.is_default = True


def _apply(world: World, project: Project, body: JSON) -> None:
    """Set the fields ``body`` has (all validated before any is set)."""
    changes: JSON = {}
    if "name" in body:
        changes["name"] = _name(world, body, project)
    if "description" in body:
        changes["description"] = _text(body, "description", MAX_TEXT)
    if "purpose" in body:
        changes["purpose"] = _purpose(body)
    if "environment" in body:
        changes["environment"] = _environment(body)
    default = _is_default(body) if "is_default" in body else False
    for name, value in changes.items():
        setattr(project, name, value)
    if default:
        _make_default(world, project)
    project.updated_at = world.iso()


def _required(body: JSON, names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in body]
    if missing:
        raise unprocessable(f"{', '.join(missing)} is required")


# -- projects ----------------------------------------------------------------------------------


@router.get("/v2/projects")
def list_projects(request: Request) -> Response:
    world = request.world
    listed = [project_json(world, p) for p in projects(world).values()]
    return ok(paginate(request, "projects", listed))


@router.post("/v2/projects")
def create_project(request: Request) -> Response:
    world, body = request.world, request.json()
    _required(body, ("name", "purpose"))
    now = world.iso()
    project_id = str(uuid.uuid5(_IDS, f"project/{world.next_id('project')}"))
    project = Project(project_id, "", "", "", None, now, now)
    _apply(world, project, {"description": "", **body})  # validates before it is stored
    projects(world)[project.id] = project
    return created({"project": project_json(world, project)})


@router.get("/v2/projects/{project_id}")
@router.get("/v2/projects/default")  # registered first (the lower decorator runs first)
def get_project(request: Request) -> Response:
    return ok({"project": project_json(request.world, _find(request))})


@router.put("/v2/projects/{project_id}")
@router.put("/v2/projects/default")
def update_project(request: Request) -> Response:
    project, body = _find(request), request.json()
    _required(body, FIELDS)
    _apply(request.world, project, body)
    return ok({"project": project_json(request.world, project)})


@router.patch("/v2/projects/{project_id}")
@router.patch("/v2/projects/default")
def patch_project(request: Request) -> Response:
    project, body = _find(request), request.json()
    if not any(name in body for name in FIELDS):
        raise unprocessable(f"at least one of {', '.join(FIELDS)} is required")
    _apply(request.world, project, body)
    return ok({"project": project_json(request.world, project)})


@router.delete("/v2/projects/{project_id}")
def delete_project(request: Request) -> Response:
    world, project = request.world, _find(request)
    if project.is_default:
        raise ApiError(412, "precondition_failed", IS_DEFAULT)
    if _resources(world, project):
        raise ApiError(412, "precondition_failed", NOT_EMPTY)
    del projects(world)[project.id]
    return no_content()


# -- resources ---------------------------------------------------------------------------------


@router.get("/v2/projects/{project_id}/resources")
@router.get("/v2/projects/default/resources")
def list_resources(request: Request) -> Response:
    world, project = request.world, _find(request)
    listed = [resource_json(request, m) for m in _resources(world, project)]
    return ok(paginate(request, "resources", listed))


def _urns(body: JSON) -> list[tuple[Kind, str]]:
    """(kind, id) of every URN of an assignment body; 400 for a malformed one."""
    value = body.get("resources")
    if not isinstance(value, list) or not value:
        raise bad_request("resources must be a non-empty list of URNs")
    parsed = []
    for urn in value:
        found = URN.fullmatch(urn) if isinstance(urn, str) else None
        kind = KINDS.get(ALIASES.get(found[1], found[1])) if found else None
        if found is None or kind is None:
            raise bad_request(
                f"resource objects must have an urn in the following format: "
                f"do:resource_type:resource_id (got {urn!r}; types: {', '.join(KINDS)})"
            )
        parsed.append((kind, found[2]))
    return parsed


def _assign(request: Request, project: Project, kind: Kind, ref: str) -> JSON:
    """Assign one resource to ``project``; its entry in the answer."""
    world = request.world
    key = kind.key(ref)
    record = kind.records(world).get(key) if key is not None else None
    if record is None:
        return {"urn": f"do:{kind.name}:{ref}", "status": "not_found"}
    urn = f"do:{kind.name}:{key}"
    status = "already_assigned"
    if _placement(world, urn, record)[0] != project.id:
        _assignments(world)[urn] = Assignment(project.id, world.iso(), record)
        _set_own_project(record, project.id)
        status = "assigned"
    assigned_at = _placement(world, urn, record)[1] or project.created_at
    member = Member(urn, kind.path.format(key), project.id, assigned_at, record)
    return resource_json(request, member, status)


@router.post("/v2/projects/{project_id}/resources")
@router.post("/v2/projects/default/resources")
def assign_resources(request: Request) -> Response:
    project = _find(request)
    urns = _urns(request.json())
    return ok({"resources": [_assign(request, project, *parsed) for parsed in urns]})


def seed(world: World) -> None:
    """The account's default project (every account has one, seeded or not)."""
    since = world.iso(world.now() - 400 * 86_400)
    projects(world)[DEFAULT_PROJECT] = Project(
        id=DEFAULT_PROJECT,
        name="first-project",
        description="Update your project information under Settings",
        purpose="Operational / Developer tooling",
        environment="Development",
        created_at=since,
        updated_at=since,
        is_default=True,
    )
