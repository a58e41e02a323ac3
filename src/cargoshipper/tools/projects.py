"""Projects: list, inspect (resources by kind and name), create, update, delete an empty one,
and assign resources named the way people name them.

Resources are written ``kind:name-or-id`` (``droplet:web-1``, ``droplet:3164444``,
``volume:app-data``, ``lb:<name|id>``, ``domain:example.com``, ``db:<name|id>``,
``k8s:<name|id>``, ``ip:203.0.113.7``, ``space:<bucket>``, ``vpc:<name|id>``) or as a URN
(``do:droplet:3164444``). Every reference is looked up before anything is sent, in one list
call per kind named (never one GET per resource); an unknown or ambiguous name stops the whole
assignment, each one said in one line, so nothing is half done. Spaces buckets have no list in
the API: their names are checked for form only.

Six tools. ``project_get`` shows the project with its resources grouped by kind, by name (the
URNs resolved with one list call per kind present): a separate ``project_resources`` tool would
repeat the same project parameter and result schema for what is nearly always wanted together.

For other tools: ``resolve_project(do, project)`` finds a project by id, name or ``default``
(ToolError when there is none), ``assign_to_project(do, project, urns)`` assigns URNs (build
them with ``urn(kind, id)``) and returns a short phrase for a result's headline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess, DOError, Refused
from ..registry import Access, Toolset
from ..trust import Plan, Target
from ._common import (
    UUID_PATTERN,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    fetch_list,
    list_result,
    pick,
)

TOOLSET = Toolset(
    "projects", "Projects: group resources; assign them by name, see what is in one.", default=False
)

LOOKUP = "project_list shows them"
UUID = re.compile(UUID_PATTERN)
SHOWN = 50  # resources of one kind a project_get or a refusal names
MAX_NAME = 175
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DEFAULT_PURPOSE = "Web Application"  # Terraform's default too; the API requires one

Environment = Literal["Development", "Staging", "Production"]
ProjectRef = Annotated[str, Field(description="Project name, id, or 'default'.")]
Description = Annotated[str | None, Field(max_length=255, description="Free text.")]
Purpose = Annotated[
    str | None,
    Field(max_length=255, description="e.g. Web Application, Service or API."),
]


@dataclass(frozen=True)
class Kind:
    """One kind of resource a project holds."""

    prefix: str  # what people write: "droplet", "lb"
    urn: str  # the URN's kind: "loadbalancer"
    noun: str  # "load balancer"
    operation: str | None  # the list operation; None: the API lists none (Spaces buckets)
    key: str = ""  # the list's key in the answer
    id_field: str = "id"
    paged: bool = True
    named: bool = True  # False: the id is the name (domains, IPs, buckets)


KINDS = (
    Kind("droplet", "droplet", "droplet", "droplets.list", "droplets"),
    Kind("volume", "volume", "volume", "volumes.list", "volumes"),
    Kind("lb", "loadbalancer", "load balancer", "load_balancers.list", "load_balancers"),
    Kind("domain", "domain", "domain", "domains.list", "domains", "name", named=False),
    Kind("db", "dbaas", "database cluster", "databases.list_clusters", "databases", paged=False),
    Kind(
        "k8s", "kubernetes", "Kubernetes cluster", "kubernetes.list_clusters", "kubernetes_clusters"
    ),
    Kind("ip", "floatingip", "reserved IP", "reserved_ips.list", "reserved_ips", "ip", named=False),
    Kind("space", "space", "Spaces bucket", None, named=False),
    Kind("vpc", "vpc", "VPC", "vpcs.list", "vpcs"),
)
BY_PREFIX = {kind.prefix: kind for kind in KINDS}
BY_URN = {kind.urn: kind for kind in KINDS} | {"reservedip": BY_PREFIX["ip"]}
ALIASES = {
    "droplets": "droplet",
    "volumes": "volume",
    "loadbalancer": "lb",
    "load_balancer": "lb",
    "domains": "domain",
    "database": "db",
    "dbaas": "db",
    "kubernetes": "k8s",
    "reserved_ip": "ip",
    "reservedip": "ip",
    "floatingip": "ip",
    "spaces": "space",
    "bucket": "space",
}
REF_HINT = (
    "write kind:name-or-id: droplet:web-1, droplet:3164444, volume:app-data, lb:, domain:, "
    "db:, k8s:, ip:203.0.113.7, space:<bucket>, vpc:"
)
Resources = Annotated[
    list[str],
    Field(
        description="By name or id: droplet:web-1, droplet:3164444, volume:app-data, "
        "lb:<name|id>, domain:example.com, db:<name|id>, k8s:<name|id>, ip:203.0.113.7, "
        "space:<bucket>, or a URN do:droplet:3164444.",
    ),
]


def urn(kind: str, resource_id: Any) -> str:
    """The URN of a resource: ``urn("droplet", 3164444)`` -> ``do:droplet:3164444``; kind is a
    prefix (droplet, volume, lb, domain, db, k8s, ip, space, vpc) or a URN kind."""
    found = BY_PREFIX.get(ALIASES.get(kind, kind)) or BY_URN.get(kind)
    if found is None:
        raise ValueError(f"unknown resource kind {kind!r}")
    return f"do:{found.urn}:{resource_id}"


# -- views -----------------------------------------------------------------------------------


def project_view(project: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "environment", "purpose", "description", "is_default", "created_at")
    return pick(project, keys)


def _label(project: dict[str, Any]) -> str:
    return f"{project.get('name')} ({project.get('id')})"


# -- finding a project -----------------------------------------------------------------------


async def resolve_project(do: DOAccess, project: str | dict[str, Any]) -> dict[str, Any]:
    """A project by id, name (exact, else the one that differs only in case) or ``default``;
    ToolError naming the projects there are when none fits. A dict is taken as found."""
    if isinstance(project, dict):
        return project
    text = project.strip() if isinstance(project, str) else ""
    if not text or len(text) > MAX_NAME or not text.isprintable():
        raise ToolError(f"project must be a project's name, id or 'default' ({LOOKUP}).")
    if text.casefold() == "default":
        body = await do.call("projects.get_default", subject="the default project")
        return body["project"]
    if UUID.fullmatch(text):
        try:
            body = await do.call("projects.get", project_id=text.lower(), subject=f"project {text}")
        except DOError as error:
            if error.status != 404:
                raise
            raise ToolError(f"No project has the id {text}; nothing was done ({LOOKUP}).") from None
        return body["project"]
    projects = (await do.list_all("projects.list", "projects")).items
    named = [p for p in projects if p.get("name") == text] or [
        p for p in projects if str(p.get("name", "")).casefold() == text.casefold()
    ]
    if len(named) == 1:
        return named[0]
    if named:
        which = ", ".join(_label(p) for p in named)
        raise ToolError(f"Project {text!r} is ambiguous: {which}; give its id. Nothing was done.")
    names = ", ".join(sorted(str(p.get("name")) for p in projects)[:30]) or "none"
    raise ToolError(
        f"No project named {text!r}; nothing was done. Projects: {names} ({LOOKUP}; "
        "project_create makes one)."
    )


# -- naming resources ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One resource, resolved."""

    kind: Kind
    id: str
    name: str

    @property
    def urn(self) -> str:
        return f"do:{self.kind.urn}:{self.id}"

    def label(self) -> str:
        if not self.kind.named or not self.name or self.name == self.id:
            return f"{self.kind.prefix} {self.id}"
        return f"{self.kind.prefix} {self.name} ({self.id})"

    def view(self) -> dict[str, Any]:
        shown = {"kind": self.kind.prefix, "id": self.id}
        return shown | ({"name": self.name} if self.kind.named and self.name else {})


def parse_ref(text: str) -> tuple[Kind, str]:
    """``droplet:web-1`` or ``do:droplet:3164444`` -> (kind, name or id); ValueError says why."""
    text = text.strip()
    if not text.isprintable() or len(text) > 300:
        raise ValueError("is not a resource name (printable, at most 300 characters)")
    if text.startswith("do:"):
        kind_name, _, value = text[3:].partition(":")
        kind = BY_URN.get(kind_name)
        if kind is None:
            raise ValueError(f"URN kind {kind_name!r} is not one a project holds")
    else:
        prefix, colon, value = text.partition(":")
        prefix = prefix.strip().lower()
        kind = BY_PREFIX.get(ALIASES.get(prefix, prefix)) if colon else None
        if kind is None:
            raise ValueError(REF_HINT)
    value = value.strip()
    if not value:
        raise ValueError(f"name or id missing after {kind.prefix}:")
    if kind.prefix == "space" and not BUCKET.fullmatch(value):
        raise ValueError("a bucket name has 3-63 lowercase letters, digits, '.' or '-'")
    return kind, value


async def _fetch_kind(do: DOAccess, kind: Kind) -> list[dict[str, Any]]:
    """Every resource of one kind (one list call, more pages if needed)."""
    if kind.operation is None:
        return []
    if not kind.paged:
        body = await do.call(kind.operation, subject=f"{kind.noun}s")
        items = (body or {}).get(kind.key) if isinstance(body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]
    page = await do.list_all(kind.operation, kind.key)
    return [item for item in page.items if isinstance(item, dict)]


async def _fetch_kinds(do: DOAccess, kinds: set[Kind]) -> dict[Kind, list[dict[str, Any]]]:
    """The lists of these kinds, fetched at once; the first error raised as itself (a task
    group would wrap it, and the guard reports DOError and ToolError, not groups)."""
    lists: dict[Kind, list[dict[str, Any]]] = {}
    errors: list[Exception] = []

    async def fetch(kind: Kind) -> None:
        try:
            lists[kind] = await _fetch_kind(do, kind)
        except Exception as error:  # raised below, as itself
            errors.append(error)

    async with anyio.create_task_group() as group:
        for kind in kinds:
            group.start_soon(fetch, kind)
    if errors:
        raise errors[0]
    return lists


def _matches(kind: Kind, items: list[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    """Resources whose id is ``value``, else whose name is (exactly, else but for case)."""
    folded = value.casefold()
    by_id = [item for item in items if str(item.get(kind.id_field, "")).casefold() == folded]
    if by_id:
        return by_id
    exact = [item for item in items if item.get("name") == value]
    return exact or [item for item in items if str(item.get("name", "")).casefold() == folded]


def _where(item: dict[str, Any]) -> str:
    region = item.get("region")
    region = region.get("slug") if isinstance(region, dict) else region
    return f", {region}" if isinstance(region, str) and region else ""


async def resolve_resources(do: DOAccess, refs: list[str]) -> list[Found]:
    """The resources these references name, each checked; ToolError listing every reference
    that is malformed, unknown or ambiguous (nothing is assigned then)."""
    parsed: list[tuple[str, Kind, str]] = []
    if not refs:
        raise ToolError("Name at least one resource, e.g. droplet:web-1. Nothing was assigned.")
    problems: list[str] = []
    for ref in refs:
        try:
            kind, value = parse_ref(ref)
        except ValueError as error:
            problems.append(f"{ref[:80]!r}: {error}")
        else:
            parsed.append((ref, kind, value))
    if problems:
        raise ToolError(f"Nothing was assigned. {'; '.join(problems)}.")
    lists = await _fetch_kinds(do, {kind for _, kind, _ in parsed if kind.operation})
    found: dict[str, Found] = {}
    for ref, kind, value in parsed:
        if kind.operation is None:  # a bucket: the API lists none, so its name is its id
            item = Found(kind, value, value)
            found.setdefault(item.urn, item)
            continue
        matches = _matches(kind, lists[kind], value)
        if not matches:
            problems.append(f"{ref}: no {kind.noun} has that name or id")
        elif len(matches) > 1:
            which = ", ".join(
                f"{m.get('name')} ({m.get(kind.id_field)}{_where(m)})" for m in matches[:10]
            )
            problems.append(f"{ref} is ambiguous: {which}; use {kind.prefix}:<id>")
        else:
            item = Found(kind, str(matches[0].get(kind.id_field)), str(matches[0].get("name", "")))
            found.setdefault(item.urn, item)
    if problems:
        raise ToolError(f"Nothing was assigned. {'; '.join(problems)}.")
    return list(found.values())


# -- a project's resources -------------------------------------------------------------------


def _parse_urn(text: Any) -> tuple[str, str]:
    """``do:droplet:3164444`` -> ("droplet", "3164444"); a kind unknown here stays as is."""
    kind, _, resource_id = str(text).removeprefix("do:").partition(":")
    return kind, resource_id


async def project_resources(do: DOAccess, project_id: str) -> list[Found | dict[str, Any]]:
    """A project's resources, named: one list call per kind present (a kind the token cannot
    list stays unnamed). Kinds this module does not know come back as plain dicts."""
    listed = await do.list_all("projects.list_resources", "resources", project_id=project_id)
    entries = [(*_parse_urn(item.get("urn")), item.get("status")) for item in listed.items]
    wanted = {BY_URN[k] for k, _, _ in entries if k in BY_URN and BY_URN[k].named}
    names: dict[tuple[str, str], str] = {}

    async def fetch(kind: Kind) -> None:
        try:
            items = await _fetch_kind(do, kind)
        except (DOError, Refused):  # e.g. a token without that kind's read scope: ids only
            return
        for item in items:
            names[(kind.urn, str(item.get(kind.id_field)))] = str(item.get("name") or "")

    async with anyio.create_task_group() as group:
        for kind in wanted:
            group.start_soon(fetch, kind)
    resources: list[Found | dict[str, Any]] = []
    for kind_name, resource_id, status in entries:
        kind = BY_URN.get(kind_name)
        if kind is None:
            resources.append({"kind": kind_name, "id": resource_id})
            continue
        found = Found(kind, resource_id, names.get((kind.urn, resource_id), ""))
        ok = status in (None, "ok", "assigned", "already_assigned")
        resources.append(found if ok else found.view() | {"status": status})
    return resources


def _grouped(resources: list[Found | dict[str, Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    """{kind: [{id, name}], ...} (SHOWN a kind at most) and {kind: count}."""
    groups: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    for resource in resources:
        view = resource.view() if isinstance(resource, Found) else dict(resource)
        kind = view.pop("kind")
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= SHOWN:
            groups.setdefault(kind, []).append(view)
    return groups, counts


def _listing(resources: list[Found | dict[str, Any]], limit: int = 20) -> str:
    labels = [
        r.label() if isinstance(r, Found) else f"{r.get('kind')} {r.get('id')}"
        for r in resources[:limit]
    ]
    more = f" and {len(resources) - limit} more" if len(resources) > limit else ""
    return ", ".join(labels) + more


# -- assigning -------------------------------------------------------------------------------


async def _assign(do: DOAccess, project: dict[str, Any], urns: list[str]) -> dict[str, str]:
    """POST the URNs to the project; the ones the API did not take, with its status."""
    answer = await do.call(
        "projects.assign_resources",
        project_id=project["id"],
        body={"resources": urns},
        subject=f"project {project.get('name')}",
        lookup_hint=LOOKUP,
    )
    statuses = {
        item.get("urn"): item.get("status")
        for item in (answer or {}).get("resources") or []
        if isinstance(item, dict)
    }
    bad = ("not_found", "service_down")
    return {u: str(statuses[u]) for u in urns if statuses.get(u) in bad}


def _failures(failed: dict[str, str]) -> str:
    return "; ".join(f"{u}: {status}" for u, status in failed.items())


async def assign_to_project(do: DOAccess, project: str | dict[str, Any], urns: list[str]) -> str:
    """Assign resources (URNs, see ``urn``) to a project by name, id or ``default`` (or a
    project dict from ``resolve_project``, to look it up before creating anything); returns
    "assigned to project staging" for a headline. ToolError for an unknown project."""
    found = await resolve_project(do, project)
    failed = await _assign(do, found, list(urns))
    if failed:
        return f"not all assigned to project {found.get('name')} ({_failures(failed)})"
    return f"assigned to project {found.get('name')}"


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def project_list(do: DOAccess, page: PageNumber = 1, per_page: PerPage = 50) -> ListResult:
    """List projects: id, name, environment, purpose, description, which is the default."""
    found = await fetch_list(
        do, "projects.list", "projects", page=page, per_page=per_page, all_pages=False
    )
    return list_result(found, project_view, "projects")


@TOOLSET.tool(Access.READ)
async def project_get(do: DOAccess, project: ProjectRef) -> ItemResult:
    """One project with its resources grouped by kind, by name (droplet, volume, lb, domain,
    db, k8s, ip, space, vpc)."""
    found = await resolve_project(do, project)
    resources = await project_resources(do, found["id"])
    groups, counts = _grouped(resources)
    item = project_view(found) | {"resources": groups, "resource_counts": counts}
    listing = f": {_listing(resources, 10)}" if resources else ""
    return ItemResult(item=item).titled(
        f"Project {_label(found)}: {len(resources)} resource(s){listing}."
    )


# -- create and change -----------------------------------------------------------------------


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ToolError(f"A project name has 1-{MAX_NAME} printable characters (e.g. staging).")
    if name.casefold() == "default":
        raise ToolError("'default' names the default project; choose another name.")
    return name


async def _refuse_taken(do: DOAccess, name: str, other_than: str | None = None) -> None:
    projects = (await do.list_all("projects.list", "projects")).items
    same = next(
        (
            p
            for p in projects
            if str(p.get("name", "")).casefold() == name.casefold() and p.get("id") != other_than
        ),
        None,
    )
    if same:
        raise ToolError(
            f"A project named {same.get('name')!r} already exists (id {same.get('id')}); "
            "names are unique. Nothing was sent. If an earlier create timed out, it is that one."
        )


@TOOLSET.tool(Access.WRITE)
async def project_create(
    do: DOAccess,
    name: Annotated[str, Field(description="Unique, e.g. staging.")],
    environment: Annotated[Environment | None, Field(description="Stage of its resources.")] = None,
    purpose: Purpose = None,
    description: Description = None,
) -> ItemResult:
    """Create a project (free). project_assign moves resources into it."""
    name = _check_name(name)
    await _refuse_taken(do, name)
    body = {
        "name": name,
        "purpose": purpose or DEFAULT_PURPOSE,
        "environment": environment,
        "description": description,
    }
    created = await do.call(
        "projects.create",
        body={key: value for key, value in body.items() if value is not None},
        subject=f"project {name}",
        look_for=f"a project named {name!r} (project_list)",
    )
    project = created["project"]
    return ItemResult(item=project_view(project)).titled(f"Created project {_label(project)}.")


@TOOLSET.tool(Access.WRITE, idempotent=True)
async def project_update(
    do: DOAccess,
    project: ProjectRef,
    name: Annotated[str | None, Field(description="New name.")] = None,
    environment: Annotated[Environment | None, Field(description="New environment.")] = None,
    purpose: Purpose = None,
    description: Description = None,
    is_default: Annotated[
        bool | None, Field(description="true: make it the default project.")
    ] = None,
) -> ItemResult:
    """Change a project; what is not given stays."""
    given = {
        "name": name,
        "environment": environment,
        "purpose": purpose,
        "description": description,  # "" clears it
        "is_default": is_default,
    }
    body = {key: value for key, value in given.items() if value is not None}
    if not body:
        raise ToolError(
            "Give name, environment, purpose, description or is_default; nothing was sent."
        )
    if is_default is False:
        raise ToolError(
            "A project stops being the default when another becomes it: call project_update "
            "is_default=true on that one. Nothing was sent."
        )
    if name is not None:
        body["name"] = _check_name(name)
    before = await resolve_project(do, project)
    if name is not None:
        await _refuse_taken(do, body["name"], other_than=before.get("id"))
    answer = await do.call(
        "projects.patch",
        project_id=before["id"],
        body=body,
        subject=f"project {before.get('name')}",
        lookup_hint=LOOKUP,
    )
    updated = answer["project"]
    changes = [f"{key}: {before.get(key)!r} -> {updated.get(key)!r}" for key in body]
    return ItemResult(item=project_view(updated)).titled(
        f"Updated project {_label(updated)}: {'; '.join(changes)}."
    )


@TOOLSET.tool(Access.WRITE, idempotent=True)
async def project_assign(do: DOAccess, project: ProjectRef, resources: Resources) -> ItemResult:
    """Move resources into a project (out of the one they are in). All are looked up first:
    nothing is sent if any is unknown or ambiguous."""
    found = await resolve_project(do, project)
    items = await resolve_resources(do, resources)
    failed = await _assign(do, found, [item.urn for item in items])
    item = {
        "project": project_view(found),
        "assigned": [i.view() for i in items if i.urn not in failed],
    }
    if failed:
        item["not_assigned"] = [{"urn": u, "status": status} for u, status in failed.items()]
    note = f" Not assigned: {_failures(failed)}." if failed else ""
    spaces = any(i.kind.prefix == "space" for i in items)
    note += " (Bucket names are not checked: the API lists no Spaces buckets.)" if spaces else ""
    return ItemResult(item=item).titled(
        f"Assigned to project {found.get('name')}: {_listing(items)}.{note}"
    )


# -- delete ----------------------------------------------------------------------------------


async def plan_project_delete(do: DOAccess, project: str, **_: Any) -> Plan:
    found = await resolve_project(do, project)
    if found.get("is_default"):
        raise ToolError(
            f"Project {_label(found)} is the default project; DigitalOcean does not delete it. "
            "Make another project the default first (project_update is_default=true). "
            "Nothing was deleted."
        )
    resources = await project_resources(do, found["id"])
    if resources:
        raise ToolError(
            f"Project {found.get('name')} still holds {len(resources)} resource(s): "
            f"{_listing(resources)}. Nothing was deleted; move them to another project "
            "(project_assign) or delete them first."
        )
    return Plan(
        "delete",
        "delete",
        (Target("project", found["id"], str(found.get("name"))),),
        extra="It is empty.",
        requests=(("projects.delete", {"project_id": found["id"]}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_project_delete)
async def project_delete(do: DOAccess, project: ProjectRef, plan: Plan | None = None) -> ItemResult:
    """Delete an empty project (refused, naming them, while it holds resources)."""
    plan = plan or await plan_project_delete(do, project)
    ((operation, request),) = plan.requests
    (target,) = plan.targets
    await do.call(operation, **request, subject=f"project {target.name}", lookup_hint=LOOKUP)
    return ItemResult(item={"id": target.id, "name": target.name, "deleted": True}).titled(
        f"Project {target.name} ({target.id}) deleted."
    )


# -- for the create tools --------------------------------------------------------------------

ProjectChoice = Annotated[
    str | None, Field(description="Project (name or id) to put it in; default: the default one.")
]


async def chosen_project(do: DOAccess, project: str | None) -> dict[str, Any] | None:
    """The project a create's ``project`` names, looked up before anything is created."""
    return await resolve_project(do, project) if project else None


async def put_in_project(
    do: DOAccess, place: dict[str, Any] | None, urns: list[str], result: Any
) -> Any:
    """Assign what a create made to ``place`` (from ``chosen_project``); the result says where
    it went."""
    if place is None or not urns:
        return result
    phrase = await assign_to_project(do, place, urns)
    said = f" {phrase[:1].upper()}{phrase[1:]}."
    result.message = (result.message or "") + said
    return result.titled(result.headline + said)
