"""Domains and their DNS records, as DigitalOcean's DNS service keeps them.

A new domain gets an SOA record and DigitalOcean's three NS records (plus an A record for the
apex when ``ip_address`` is given). Record names are stored relative to the domain ("www",
"@"); hostnames in CNAME, MX, NS and SRV data must be sent with a trailing dot (or "@") and are
answered without it, as DigitalOcean does. The zone file appears a moment after a create.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from .._api import (
    Request,
    Response,
    Router,
    created,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._models import JSON
from .._state import World

router = Router()

TABLE = "domains"
RECORD_ID_BASE = 38_000_000  # record ids look like DigitalOcean's (28448429 ...)
DEFAULT_TTL = 1800
MIN_TTL = 30
NAME_SERVERS = ("ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com")
TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT")
HOSTNAME_DATA = ("CNAME", "MX", "NS", "SRV")  # data is a hostname: trailing dot or "@"
CAA_TAGS = ("issue", "issuewild", "iodef")
#: The fields each creatable type needs besides type and data (name defaults to "@").
REQUIRED = {"MX": ("priority",), "SRV": ("priority", "port", "weight"), "CAA": ("flags", "tag")}
NUMBERS = {"priority": 65535, "port": 65535, "weight": 65535, "flags": 255}
FIELDS = ("name", "data", "priority", "port", "ttl", "weight", "flags", "tag")
DOMAIN_NAME = re.compile(r"(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
RECORD_NAME = re.compile(r"@|(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_\-.]{0,251}[A-Za-z0-9_])?|\*")


@dataclass
class Domain:
    name: str
    serial: int
    ready_at: float  # the zone file is published from this clock reading on
    records: dict[int, JSON] = field(default_factory=dict)

    @property
    def ttl(self) -> int:
        soa = next((r for r in self.records.values() if r["type"] == "SOA"), None)
        return soa["ttl"] if soa else DEFAULT_TTL


def domains(world: World) -> dict[str, Domain]:
    return world.table(TABLE)


def _find(request: Request) -> Domain:
    domain = domains(request.world).get(str(request.params["domain_name"]).lower())
    if domain is None:
        raise not_found()
    return domain


def _find_record(request: Request) -> tuple[Domain, JSON]:
    domain = _find(request)
    record = domain.records.get(request.params["domain_record_id"])
    if record is None:
        raise not_found()
    return domain, record


# -- JSON ------------------------------------------------------------------------------------


def _fqdn(domain: Domain, name: str) -> str:
    return f"{domain.name}." if name == "@" else f"{name}.{domain.name}."


def _zone_value(record: JSON) -> str:
    data = record["data"]
    kind = record["type"]
    if kind in HOSTNAME_DATA:
        data = "@" if data == "@" else f"{data}."
    if kind == "TXT":
        data = f'"{data}"'
    if kind == "MX":
        return f"{record['priority']} {data}"
    if kind == "SRV":
        return f"{record['priority']} {record['weight']} {record['port']} {data}"
    if kind == "CAA":
        return f'{record["flags"]} {record["tag"]} "{data}"'
    return data


def zone_file(domain: Domain) -> str:
    lines = [f"$ORIGIN {domain.name}.", f"$TTL {domain.ttl}"]
    soa = (
        f"{domain.name}. IN SOA ns1.digitalocean.com. hostmaster.{domain.name}. "
        f"{domain.serial} 10800 3600 604800 {domain.ttl}"
    )
    lines.append(soa)
    for record in domain.records.values():
        if record["type"] != "SOA":
            owner = _fqdn(domain, record["name"])
            lines.append(f"{owner} {record['ttl']} IN {record['type']} {_zone_value(record)}")
    return "\n".join(lines) + "\n"


def domain_json(world: World, domain: Domain) -> JSON:
    ready = world.now() >= domain.ready_at
    return {
        "name": domain.name,
        "ttl": domain.ttl,
        "zone_file": zone_file(domain) if ready else None,
    }


# -- validation ------------------------------------------------------------------------------


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_data(kind: str, data: Any) -> str:
    """The data as stored (hostnames without their trailing dot); 422 when invalid."""
    if not isinstance(data, str) or not data.strip():
        raise unprocessable("Data can't be blank")
    if kind in ("A", "AAAA"):
        version = 4 if kind == "A" else 6
        try:
            address = ipaddress.ip_address(data)
        except ValueError:
            address = None
        if address is None or address.version != version:
            raise unprocessable(f"Data must be a valid IPv{version} address")
        return str(address)
    if kind in HOSTNAME_DATA:
        if data == "@":
            return data
        if not data.endswith("."):
            raise unprocessable("Data needs to end with a dot (.)")
        return data[:-1].lower()
    return data


def _check_record(record: JSON) -> None:
    """Everything about a (merged) record except its data; 422 when invalid."""
    kind = record["type"]
    name = record.get("name")
    if not isinstance(name, str) or not RECORD_NAME.fullmatch(name):
        raise unprocessable("Name is invalid")
    ttl = record.get("ttl")
    if not _integer(ttl) or ttl < MIN_TTL:
        raise unprocessable(f"TTL must be at least {MIN_TTL} seconds")
    for key in REQUIRED.get(kind, ()):
        if record.get(key) is None:
            raise unprocessable(f"{key.capitalize()} can't be blank")
    for key, top in NUMBERS.items():
        value = record.get(key)
        if value is not None and (not _integer(value) or not 0 <= value <= top):
            raise unprocessable(f"{key.capitalize()} must be a number between 0 and {top}")
    if kind == "CAA" and record.get("tag") not in CAA_TAGS:
        raise unprocessable("Tag is not included in the list")


def _applicable(kind: str, record: JSON) -> JSON:
    """Null out the fields the type does not use, as DigitalOcean answers them."""
    keep = {"MX": ("priority",), "SRV": ("priority", "port", "weight"), "CAA": ("flags", "tag")}
    for key in ("priority", "port", "weight", "flags", "tag"):
        if key not in keep.get(kind, ()):
            record[key] = None
    return record


def _new_record(world: World, body: JSON) -> JSON:
    kind = body.get("type")
    if kind not in TYPES or kind == "SOA":
        raise unprocessable("Type is not included in the list")
    record: JSON = {"id": 0, "type": kind, **{key: body.get(key) for key in FIELDS}}
    record["name"] = record["name"] if record["name"] is not None else "@"
    record["ttl"] = record["ttl"] if record["ttl"] is not None else DEFAULT_TTL
    _check_record(record)
    record["data"] = _check_data(kind, record["data"])
    record["id"] = RECORD_ID_BASE + world.next_id("domain_record")
    return _applicable(kind, record)


def _changed_record(record: JSON, body: JSON, replace: bool) -> JSON:
    """The record after a PATCH (only given fields change) or PUT (given fields replace)."""
    kind = record["type"]
    if body.get("type", kind) != kind:
        raise unprocessable("Type can't be changed; delete the record and create a new one")
    given = {key: body[key] for key in FIELDS if key in body}
    if kind == "SOA" and set(given) - {"ttl"}:
        raise unprocessable("Only the TTL of an SOA record can be changed")
    merged = {**record, **given}
    if replace and kind != "SOA":
        merged = {**record, "name": "@", "ttl": DEFAULT_TTL, **given}
    _check_record(merged)
    if "data" in given or (replace and kind != "SOA"):
        merged["data"] = _check_data(kind, merged.get("data"))
    return _applicable(kind, merged) if kind != "SOA" else merged


def _touch(world: World, domain: Domain) -> None:
    domain.serial = max(domain.serial + 1, int(world.epoch()))


# -- domains ---------------------------------------------------------------------------------


def add_domain(world: World, name: str, ip_address: str | None = None) -> Domain:
    """A new domain with DigitalOcean's automatic SOA and NS records (and A @ ip_address)."""
    domain = Domain(name, int(world.epoch()), world.now() + world.config.action_seconds)
    automatic: list[JSON] = [{"type": "SOA", "name": "@", "data": str(DEFAULT_TTL)}]
    automatic += [{"type": "NS", "name": "@", "data": f"{ns}."} for ns in NAME_SERVERS]
    if ip_address is not None:
        automatic.append({"type": "A", "name": "@", "data": ip_address})
    for body in automatic:
        add_record(world, domain, body, automatic=True)
    domains(world)[name] = domain
    return domain


def add_record(world: World, domain: Domain, body: JSON, *, automatic: bool = False) -> JSON:
    """Validate and store a record; only ``automatic`` (domain creation) may add the SOA."""
    if automatic and body.get("type") == "SOA":
        record_id = RECORD_ID_BASE + world.next_id("domain_record")
        record = {"id": record_id, "type": "SOA", **dict.fromkeys(FIELDS)}
        record.update(name="@", data=body["data"], ttl=DEFAULT_TTL)
    else:
        record = _new_record(world, body)
    domain.records[record["id"]] = record
    _touch(world, domain)
    return record


@router.get("/v2/domains")
def list_domains(request: Request) -> Response:
    world = request.world
    listed = [domain_json(world, d) for d in sorted(domains(world).values(), key=lambda d: d.name)]
    return ok(paginate(request, "domains", listed))


@router.post("/v2/domains")
def create_domain(request: Request) -> Response:
    body = request.json()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise unprocessable("Name can't be blank")
    name = name.lower().rstrip(".")
    if not DOMAIN_NAME.fullmatch(name):
        raise unprocessable("Name is invalid")
    if name in domains(request.world):
        raise unprocessable("Name already exists")
    ip_address = body.get("ip_address")
    if ip_address is not None:
        _check_data("A", ip_address)
    domain = add_domain(request.world, name, ip_address)
    return created({"domain": {"name": domain.name, "ttl": domain.ttl, "zone_file": None}})


@router.get("/v2/domains/{domain_name}")
def get_domain(request: Request) -> Response:
    return ok({"domain": domain_json(request.world, _find(request))})


@router.delete("/v2/domains/{domain_name}")
def delete_domain(request: Request) -> Response:
    domain = _find(request)
    del domains(request.world)[domain.name]
    return no_content()


# -- records ---------------------------------------------------------------------------------


@router.get("/v2/domains/{domain_name}/records")
def list_records(request: Request) -> Response:
    domain = _find(request)
    kind, name = request.arg("type"), request.arg("name")
    if kind is not None and kind not in TYPES:
        raise unprocessable("Type is not included in the list")
    wanted = None if name is None else name.lower().rstrip(".") + "."
    records = [
        dict(record)
        for record in domain.records.values()
        if (kind is None or record["type"] == kind)
        and (wanted is None or _fqdn(domain, record["name"]).lower() == wanted)
    ]
    return ok(paginate(request, "domain_records", records))


@router.post("/v2/domains/{domain_name}/records")
def create_record(request: Request) -> Response:
    domain = _find(request)
    record = add_record(request.world, domain, request.json())
    return created({"domain_record": dict(record)})


@router.get("/v2/domains/{domain_name}/records/{domain_record_id:int}")
def get_record(request: Request) -> Response:
    _, record = _find_record(request)
    return ok({"domain_record": dict(record)})


def _update(request: Request, replace: bool) -> Response:
    domain, record = _find_record(request)
    changed = _changed_record(record, request.json(), replace)
    record.update(changed)
    _touch(request.world, domain)
    return ok({"domain_record": dict(record)})


@router.patch("/v2/domains/{domain_name}/records/{domain_record_id:int}")
def patch_record(request: Request) -> Response:
    return _update(request, replace=False)


@router.put("/v2/domains/{domain_name}/records/{domain_record_id:int}")
def put_record(request: Request) -> Response:
    return _update(request, replace=True)


@router.delete("/v2/domains/{domain_name}/records/{domain_record_id:int}")
def delete_record(request: Request) -> Response:
    domain, record = _find_record(request)
    if record["type"] == "SOA":
        raise unprocessable("SOA records can't be deleted")
    del domain.records[record["id"]]
    _touch(request.world, domain)
    return no_content()


# -- seed ------------------------------------------------------------------------------------


def seed(world: World) -> None:
    """example.com with a small website and mail setup, and example.net with just its apex."""
    if not world.config.seed:
        return
    example = add_domain(world, "example.com", "203.0.113.10")
    for body in (
        {"type": "A", "name": "www", "data": "203.0.113.10"},
        {"type": "CNAME", "name": "blog", "data": "example.github.io.", "ttl": 3600},
        {"type": "MX", "name": "@", "data": "mail.example.com.", "priority": 10},
        {"type": "A", "name": "mail", "data": "203.0.113.25"},
        {"type": "TXT", "name": "@", "data": "v=spf1 mx ~all", "ttl": 3600},
    ):
        add_record(world, example, body)
    add_domain(world, "example.net", "198.51.100.7")
    for domain in domains(world).values():
        domain.ready_at = world.now()  # seeded zones are published already
