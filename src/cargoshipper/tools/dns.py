"""DNS: domains and their records, as DigitalOcean's name servers serve them."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..access import DOAccess, DOError
from ..registry import Access, Toolset
from ..trust import Plan, Target
from ._common import (
    AllPages,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    clip,
    compact,
    fetch_list,
    list_result,
    pick,
)

TOOLSET = Toolset("dns", "DNS: domains and their records (A, CNAME, MX, TXT...).")

DOMAIN_HINT = "domain_list shows the domains"
RECORD_HINT = "domain_record_list shows the ids"
DOMAIN_RE = re.compile(r"(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
RECORD_NAME_RE = re.compile(r"@|(\*\.)?[a-z0-9_]([a-z0-9_\-.]{0,251}[a-z0-9_])?|\*")
HOST_RE = re.compile(r"[a-z0-9_]([a-z0-9_\-.]{0,251}[a-z0-9_])?\.?")
HOST_TYPES = ("CNAME", "MX", "NS", "SRV")  # data is a hostname DigitalOcean wants with a dot
#: The fields each type needs besides name and data, which are also the only ones it takes.
EXTRA = {"MX": ("priority",), "SRV": ("priority", "port", "weight"), "CAA": ("flags", "tag")}
OPTIONAL = ("priority", "port", "weight", "flags", "tag")
LIMITS = {"priority": 65535, "port": 65535, "weight": 65535, "flags": 255}

Domain = Annotated[str, Field(description="Domain, e.g. example.com.")]
RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA"]
AnyType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA", "SOA"]
RecordId = Annotated[int, Field(ge=1, description="Record id (domain_record_list).")]


# -- input -----------------------------------------------------------------------------------


def domain_name(value: str) -> str:
    name = value.strip().lower().rstrip(".")
    if not DOMAIN_RE.fullmatch(name):
        raise ToolError(f"{value!r} is not a domain name; give one like example.com.")
    return name


def record_name(domain: str, value: str | None) -> str:
    """A record name relative to the domain: "www", "@"; accepts www.example.com too."""
    name = (value or "@").strip().lower().rstrip(".")
    if name in ("", "@", domain):
        return "@"
    name = name.removesuffix(f".{domain}")
    if not RECORD_NAME_RE.fullmatch(name):
        raise ToolError(f"{value!r} is not a record name; use e.g. www, @ or _sip._tcp.")
    return name


def fqdn(domain: str, name: str) -> str:
    return domain if name == "@" else f"{name}.{domain}"


def record_data(domain: str, kind: str, data: str) -> str:
    """The data as DigitalOcean wants it: an address for A/AAAA, a dotted hostname for
    CNAME/MX/NS/SRV ("mail" means mail.<domain>), anything else as given."""
    data = data.strip()
    if not data:
        raise ToolError("data must not be empty.")
    if kind in ("A", "AAAA"):
        version = 4 if kind == "A" else 6
        try:
            address = ipaddress.ip_address(data)
        except ValueError:
            address = None
        if address is None or address.version != version:
            raise ToolError(f"{kind} data must be an IPv{version} address; got {data!r}.")
        return str(address)
    if kind in HOST_TYPES and data != "@":
        host = data.lower()
        if not HOST_RE.fullmatch(host):
            raise ToolError(f"{kind} data must be a hostname such as mail.example.com.")
        if "." not in host.rstrip("."):
            host = f"{host}.{domain}"
        return host if host.endswith(".") else f"{host}."
    return data


def check_limits(fields: dict[str, Any]) -> None:
    for key, top in LIMITS.items():
        if fields.get(key) is not None and not 0 <= fields[key] <= top:
            raise ToolError(f"{key} must be between 0 and {top}.")


def check_extras(kind: str, fields: dict[str, Any], creating: bool) -> None:
    """The type's own fields must be given on create, and others are refused."""
    check_limits(fields)
    wanted = EXTRA.get(kind, ())
    extra = sorted(key for key in OPTIONAL if fields.get(key) is not None and key not in wanted)
    if extra:
        raise ToolError(f"{', '.join(extra)} does not apply to {kind} records.")
    missing = [key for key in wanted if fields.get(key) is None]
    if creating and missing:
        raise ToolError(f"{kind} records need {', '.join(missing)}.")


# -- views -----------------------------------------------------------------------------------


def domain_view(domain: dict[str, Any]) -> dict[str, Any]:
    zone = "published" if domain.get("zone_file") else "pending"
    return compact({"name": domain.get("name"), "ttl": domain.get("ttl"), "zone": zone})


def record_view(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "type", "name", "data", "ttl", *EXTRA.get(record.get("type", ""), ()))
    return pick(record, keys)


def record_label(domain: str, record: dict[str, Any]) -> str:
    """What a human recognises a record by: "A www.example.com 203.0.113.10"."""
    data = clip(str(record.get("data", "")))[:80]
    return f"{record.get('type')} {fqdn(domain, record.get('name') or '@')} {data}"


async def _record(do: DOAccess, domain: str, record_id: int) -> dict[str, Any]:
    body = await do.call(
        "domains.get_record",
        domain_name=domain,
        domain_record_id=record_id,
        subject=f"DNS record {record_id} of {domain}",
        lookup_hint=RECORD_HINT,
    )
    return body["domain_record"]


# -- domains ---------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def domain_list(do: DOAccess, detail: Detail = False) -> ListResult:
    """List domains: name, TTL, zone published/pending; detail adds zone files."""
    found = await do.list_all("domains.list", "domains")
    return list_result(found, (lambda d: d) if detail else domain_view, "domains")


@TOOLSET.tool(Access.WRITE)
async def domain_create(
    do: DOAccess,
    name: Domain,
    ip_address: Annotated[str | None, Field(description="IPv4: adds an apex A record.")] = None,
) -> ItemResult:
    """Add a domain to DigitalOcean DNS; returns its SOA and NS records (point the registrar
    at ns1-3.digitalocean.com)."""
    name = domain_name(name)
    body: dict[str, Any] = {"name": name}
    if ip_address is not None:
        body["ip_address"] = record_data(name, "A", ip_address)
    await _refuse_existing_domain(do, name)
    created = await do.call(
        "domains.create",
        body=body,
        subject=f"domain {name}",
        look_for=f"the domain {name} (domain_list)",
    )
    created = created["domain"]
    records = await do.list_all("domains.list_records", "domain_records", domain_name=name)
    item = {**domain_view(created), "records": [record_view(r) for r in records.items]}
    return ItemResult(item=item).titled(
        f"Domain {name} created; point its registrar at ns1, ns2, ns3.digitalocean.com."
    )


async def _refuse_existing_domain(do: DOAccess, name: str) -> None:
    try:
        found = await do.call("domains.get", domain_name=name, subject=f"domain {name}")
    except DOError as error:
        if error.status == 404:
            return
        raise
    if found["domain"].get("name") != name:
        return
    raise ToolError(
        f"The domain {name} is already in this account; nothing was created. If an earlier "
        "create timed out, it is that one: domain_record_list shows its records."
    )


async def plan_domain_delete(do: DOAccess, name: str, **_: Any) -> Plan:
    name = domain_name(name)
    page = await do.list_page(
        "domains.list_records",
        "domain_records",
        per_page=1,
        domain_name=name,
        subject=f"domain {name}",
        lookup_hint=DOMAIN_HINT,
    )
    count = page.total if page.total is not None else len(page.items)
    return Plan(
        "delete",
        "delete",
        (Target("domain", name, name),),
        extra=f"All its {count} DNS records are deleted with it; the names stop resolving.",
        requests=(("domains.delete", {"domain_name": name}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_domain_delete)
async def domain_delete(do: DOAccess, name: Domain) -> ItemResult:
    """Delete a domain and all its records."""
    name = domain_name(name)
    await do.call(
        "domains.delete", domain_name=name, subject=f"domain {name}", lookup_hint=DOMAIN_HINT
    )
    return ItemResult(item={"name": name, "deleted": True}).titled(f"Domain {name} deleted.")


# -- records ---------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def domain_record_list(
    do: DOAccess,
    domain: Domain,
    type: Annotated[AnyType | None, Field(description="Only this type.")] = None,
    name: Annotated[str | None, Field(description="Only this name, e.g. www or @.")] = None,
    page: PageNumber = 1,
    per_page: PerPage = 50,
    all_pages: AllPages = False,
) -> ListResult:
    """List a domain's DNS records (@ is the apex)."""
    domain = domain_name(domain)
    wanted = None if name is None else fqdn(domain, record_name(domain, name))
    found = await fetch_list(
        do,
        "domains.list_records",
        "domain_records",
        page=page,
        per_page=per_page,
        all_pages=all_pages,
        domain_name=domain,
        type=type,
        name=wanted,
        subject=f"domain {domain}",
        lookup_hint=DOMAIN_HINT,
    )
    return list_result(found, record_view, f"records of {domain}")


async def plan_record_set(
    do: DOAccess,
    domain: str,
    record_id: int | None = None,
    type: str | None = None,
    name: str | None = None,
    data: str | None = None,
    ttl: int | None = None,
    **extras: Any,
) -> Plan:
    """A create (a write), or a rewrite of an existing record (where its name points: asks)."""
    domain = domain_name(domain)
    given = {key: extras.get(key) for key in ("priority", "port", "weight", "flags", "tag")}
    if record_id is None:
        body = await _create_body(do, domain, type, name, data, ttl, given)
        target = Target("DNS record", "new", f"{body['name']} {body['type']}")
        request = {"domain_name": domain, "body": body}
        return Plan(
            "create",
            "create",
            (target,),
            destructive=False,
            requests=(("domains.create_record", request),),
        )
    record, body = await _update_body(do, domain, record_id, type, name, data, ttl, given)
    shown = ", ".join(f"{key} {value}" for key, value in body.items() if key != "type")
    target = Target("DNS record", record_id, record_label(domain, record))
    request = {"domain_name": domain, "domain_record_id": record_id, "body": body}
    return Plan(
        "rewrite",
        "change",
        (target,),
        protect=False,
        extra=f"New values: {shown}. Lookups of this name return them within its TTL.",
        requests=(("domains.patch_record", request),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, plan=plan_record_set)
async def domain_record_set(
    do: DOAccess,
    domain: Domain,
    record_id: Annotated[
        int | None, Field(ge=1, description="Update this record; omit to create.")
    ] = None,
    type: Annotated[RecordType | None, Field(description="Type (create).")] = None,
    name: Annotated[str | None, Field(description="www, @ (apex, default) or _sip._tcp.")] = None,
    data: Annotated[
        str | None,
        Field(description="A: IPv4, AAAA: IPv6, CNAME/MX/NS/SRV: host, TXT: text, CAA: CA."),
    ] = None,
    ttl: Annotated[int | None, Field(ge=30, description="Seconds (default 1800).")] = None,
    priority: Annotated[int | None, Field(description="MX, SRV.")] = None,
    port: Annotated[int | None, Field(description="SRV.")] = None,
    weight: Annotated[int | None, Field(description="SRV.")] = None,
    flags: Annotated[int | None, Field(description="CAA: 0-255.")] = None,
    tag: Annotated[Literal["issue", "issuewild", "iodef"] | None, Field(description="CAA.")] = None,
    plan: Plan | None = None,
) -> ItemResult:
    """Create a DNS record, or update one by record_id (only given fields change; asks the
    user first). Hostnames get a trailing dot; a bare label gets .<domain>."""
    domain = domain_name(domain)
    if plan is None:
        extras = {"priority": priority, "port": port, "weight": weight, "flags": flags, "tag": tag}
        plan = await plan_record_set(do, domain, record_id, type, name, data, ttl, **extras)
    ((operation, request),) = plan.requests
    if record_id is None:
        body = request["body"]
        created = await do.call(
            operation,
            **request,
            subject=f"domain {domain}",
            lookup_hint=DOMAIN_HINT,
            look_for=(
                f"a {body['type']} record {body['name']!r} -> {body['data']!r} "
                f"(domain_record_list domain={domain})"
            ),
        )
        record = created["domain_record"]
        return ItemResult(item=record_view(record)).titled(
            f"Created {record_label(domain, record)} (id {record['id']})."
        )
    updated = await do.call(
        operation,
        **request,
        subject=f"DNS record {record_id} of {domain}",
        lookup_hint=RECORD_HINT,
    )
    record = updated["domain_record"]
    return ItemResult(item=record_view(record)).titled(
        f"Updated record {record_id}: {record_label(domain, record)}."
    )


async def _update_body(
    do: DOAccess,
    domain: str,
    record_id: int,
    type: str | None,
    name: str | None,
    data: str | None,
    ttl: int | None,
    given: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the record as it is, the PATCH body) for an update; bad input raises ToolError."""
    changes = {"name": name, "data": data, "ttl": ttl, **given}
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        raise ToolError("Nothing to change: give name, data, ttl or a type's own field.")
    if name is not None:
        changes["name"] = record_name(domain, name)
    check_limits(changes)  # everything that can be checked before the record is known
    if type is not None:
        check_extras(type, changes, creating=False)
        if data is not None:
            record_data(domain, type, data)
    record = await _record(do, domain, record_id)
    kind = record["type"]
    if type is not None and type != kind:
        raise ToolError(f"Record {record_id} is {kind}; to change its type, create a new one.")
    if kind == "SOA" and set(changes) != {"ttl"}:
        raise ToolError("Only the ttl of the SOA record can change.")
    check_extras(kind, changes, creating=False)
    body: dict[str, Any] = {"type": kind, **changes}
    if data is not None:
        body["data"] = record_data(domain, kind, data)
    return record, body


async def _create_body(
    do: DOAccess,
    domain: str,
    kind: str | None,
    name: str | None,
    data: str | None,
    ttl: int | None,
    given: dict[str, Any],
) -> dict[str, Any]:
    if kind is None or data is None:
        raise ToolError("To create a record give type and data (and record_id to update one).")
    check_extras(kind, given, creating=True)
    body: dict[str, Any] = {
        "type": kind,
        "name": record_name(domain, name),
        "data": record_data(domain, kind, data),
        **given,  # every field, null where the type has none, as the API's examples send it
    }
    if ttl is not None:
        body["ttl"] = ttl
    await _refuse_duplicate(do, domain, body)
    return body


def _same_data(a: str, b: str) -> bool:
    return a.lower().rstrip(".") == b.lower().rstrip(".")


async def _refuse_duplicate(do: DOAccess, domain: str, body: dict[str, Any]) -> None:
    """An identical record would add nothing (and a retried create would double it)."""
    existing = await do.list_all(
        "domains.list_records",
        "domain_records",
        domain_name=domain,
        type=body["type"],
        name=fqdn(domain, body["name"]),
        subject=f"domain {domain}",
        lookup_hint=DOMAIN_HINT,
    )
    for record in existing.items:
        same = record.get("type") == body["type"] and record.get("name") == body["name"]
        if same and _same_data(str(record.get("data", "")), body["data"]):
            raise ToolError(
                f"{record_label(domain, record)} already exists (id {record.get('id')}); "
                "nothing was created. To change it, give its record_id."
            )


async def plan_record_delete(do: DOAccess, domain: str, record_id: int, **_: Any) -> Plan:
    domain = domain_name(domain)
    record = await _record(do, domain, record_id)
    if record.get("type") == "SOA":
        raise ToolError("The SOA record cannot be deleted (only its ttl can change).")
    target = Target("DNS record", record_id, record_label(domain, record))
    return Plan(
        "delete",
        "delete",
        (target,),
        extra="Lookups of this name stop returning it.",
        requests=(
            ("domains.delete_record", {"domain_name": domain, "domain_record_id": record_id}),
        ),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_record_delete)
async def domain_record_delete(do: DOAccess, domain: Domain, record_id: RecordId) -> ItemResult:
    """Delete one DNS record."""
    domain = domain_name(domain)
    await do.call(
        "domains.delete_record",
        domain_name=domain,
        domain_record_id=record_id,
        subject=f"DNS record {record_id} of {domain}",
        lookup_hint=RECORD_HINT,
    )
    return ItemResult(item={"id": record_id, "deleted": True}).titled(
        f"DNS record {record_id} of {domain} deleted."
    )
