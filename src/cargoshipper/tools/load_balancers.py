"""Load balancers: list, get, create (with its cost) or change by merging, delete.

One tool, ``load_balancer_set``, creates (no ``lb_id``) or changes one: the toolset has 5,000
characters of tools/list, and separate create, update and add/remove tools would repeat the
same dozen settings and the forwarding rule schema (over 8,000 in all). A change is one PUT
of the whole object, the current one with the given fields merged in (the API resets whatever
a PUT leaves out), so it is atomic; removing rules or droplets asks first.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Annotated, Any, NoReturn

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, WithJsonSchema

from ..access import DOAccess, DOError, Waited
from ..registry import Access, Toolset
from ..trust import Plan, Target, pricing
from ._common import (
    TAG_PATTERN,
    UUID_PATTERN,
    ActionResult,
    Detail,
    ItemResult,
    ListResult,
    PageNumber,
    PerPage,
    Wait,
    WaitTimeout,
    compact,
    fetch_list,
    list_result,
)
from .projects import ProjectChoice, chosen_project, put_in_project, resolve_project, urn

TOOLSET = Toolset(
    "load_balancers",
    "Load balancers: forwarding rules, health checks, droplets by id or tag.",
    default=False,
)

LOOKUP = "load_balancer_list shows the ids"
KIND = "load balancer"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$")
UUID = re.compile(UUID_PATTERN)
TAG = re.compile(TAG_PATTERN)
ENTRY = ("http", "https", "http2", "http3", "tcp", "udp")
TARGET = ("http", "https", "http2", "tcp", "udp")
TLS_ENTRY = ("https", "http2", "http3")  # TLS ends here (certificate_id) or passes through
RULE_KEYS = ("entry_protocol", "entry_port", "target_protocol", "target_port")
RULE_OPTIONS = ("certificate_id", "tls_passthrough")
#: Health check fields and their bounds (the control panel's).
HEALTH: dict[str, tuple[int, int]] = {
    "port": (1, 65535),
    "check_interval_seconds": (3, 300),
    "response_timeout_seconds": (3, 300),
    "healthy_threshold": (2, 10),
    "unhealthy_threshold": (2, 10),
}
FLAGS = ("redirect_http_to_https", "enable_proxy_protocol", "enable_backend_keepalive")
SETTINGS = ("health_check", "sticky_sessions", *FLAGS, "http_idle_timeout_seconds", "firewall")
#: Fixed at creation: a change may repeat them, not alter them.
CREATE_ONLY = ("region", "vpc_uuid")
#: What a PUT keeps from the current object (the API resets whatever a PUT leaves out).
#: ``algorithm`` is deprecated (create does not offer it), but a PUT without it would reset it.
KEPT = (
    "name",
    "algorithm",
    "size_unit",
    "forwarding_rules",
    *SETTINGS,
    "vpc_uuid",
    "project_id",
    "disable_lets_encrypt_dns_records",
    "network",
    "network_stack",
    "type",
    "tls_cipher_policy",
    "domains",
    "glb_settings",
    "target_load_balancer_ids",
)

#: One forwarding rule as the agent writes it (hand-written: strict clients refuse $ref). The
#: protocols are checked, and named in the refusal, before anything is sent.
RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entry_protocol": {"type": "string"},
        "entry_port": {"type": "integer"},
        "target_protocol": {"type": "string"},
        "target_port": {"type": "integer"},
        "certificate_id": {"type": "string"},
        "tls_passthrough": {"type": "boolean"},
    },
    "required": list(RULE_KEYS),
}
NO_DEFAULT = {"json_schema_extra": lambda schema: schema.pop("default", None)}  # null says nothing
#: Objects of flat values (a bare object would read as any JSON, nested without end).
FLAT = WithJsonSchema({"type": "object", "additionalProperties": {"type": ["string", "integer"]}})
LISTS = WithJsonSchema(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
)

#: Parsed as a UUID before the tool runs (``"format": "uuid"``, shorter than a pattern in the
#: tool list) and sent in its canonical form: no other string reaches a path.
LbId = uuid.UUID
ForwardingRules = Annotated[
    list[dict[str, Any]] | None,
    WithJsonSchema({"type": "array", "items": RULE_SCHEMA}),
    Field(
        description="Change: added, or replacing the rule on its entry_port. https/http2/http3 "
        "need certificate_id or tls_passthrough.",
        **NO_DEFAULT,
    ),
]
HealthCheck = Annotated[
    dict[str, Any] | None,
    FLAT,
    Field(description="e.g. {protocol: 'http', port: 80, path: '/'}", **NO_DEFAULT),
]
Sticky = Annotated[
    dict[str, Any] | None,
    FLAT,
    Field(description="{type: cookies|none, cookie_name, cookie_ttl_seconds}", **NO_DEFAULT),
]
Firewall = Annotated[
    dict[str, Any] | None, LISTS, Field(description="e.g. {deny: ['ip:1.2.3.4']}", **NO_DEFAULT)
]


# -- views -----------------------------------------------------------------------------------


def rule_line(rule: dict[str, Any]) -> str:
    """``https 443 -> http 80 (cert <id>)``, ``tcp 5432 -> tcp 5432 (passthrough)``."""
    line = (
        f"{rule.get('entry_protocol')} {rule.get('entry_port')} -> "
        f"{rule.get('target_protocol')} {rule.get('target_port')}"
    )
    if rule.get("certificate_id"):
        line += f" (cert {rule['certificate_id']})"
    if rule.get("tls_passthrough"):
        line += " (passthrough)"
    return line


def health_line(check: dict[str, Any] | None) -> str | None:
    """``http:80/healthz every 10s`` (``tcp:22 every 10s``), then timeout and thresholds."""
    if not check:
        return None
    protocol = check.get("protocol", "http")
    path = "" if protocol == "tcp" else check.get("path", "/")
    parts = [f"{protocol}:{check.get('port')}{path} every {check.get('check_interval_seconds')}s"]
    for key, text in (
        ("response_timeout_seconds", "timeout {}s"),
        ("healthy_threshold", "healthy after {}"),
        ("unhealthy_threshold", "unhealthy after {}"),
    ):
        if check.get(key) is not None:
            parts.append(text.format(check[key]))
    return ", ".join(parts)


def sticky_line(sticky: dict[str, Any] | None) -> str | None:
    """``cookies DO-LB 300s``; None when sessions are not sticky."""
    if not sticky or sticky.get("type", "none") == "none":
        return None
    return f"cookies {sticky.get('cookie_name')} {sticky.get('cookie_ttl_seconds')}s"


def _region(lb: dict[str, Any]) -> str | None:
    region = lb.get("region")
    return region.get("slug") if isinstance(region, dict) else region


#: Its nodes: ``size_unit``, or the legacy ``size`` slug's (lb-medium: 3).
_nodes = pricing.load_balancer_nodes


def _ids(ids: Any) -> str:
    return ", ".join(map(str, ids))


def _backends(lb: dict[str, Any]) -> str:
    """``droplets tagged web (ids 1, 2)``, ``droplets 1, 2`` or ``no droplets``."""
    ids = _ids(lb.get("droplet_ids") or ())
    if lb.get("tag"):
        return f"droplets tagged {lb['tag']}" + (f" (ids {ids})" if ids else "")
    return f"droplets {ids}" if ids else "no droplets"


def lb_summary(lb: dict[str, Any]) -> dict[str, Any]:
    """One load balancer in lists."""
    return compact(
        {
            "id": lb.get("id"),
            "name": lb.get("name"),
            "region": _region(lb),
            "status": lb.get("status"),
            "ip": lb.get("ip"),
            "size_unit": _nodes(lb),
            "forwarding_rules": [rule_line(r) for r in lb.get("forwarding_rules") or ()],
            "tag": lb.get("tag"),
            "droplet_ids": lb.get("droplet_ids"),
            "vpc_uuid": lb.get("vpc_uuid"),
        }
    )


def lb_view(lb: dict[str, Any]) -> dict[str, Any]:
    """One load balancer: the summary plus health check, settings and price."""
    return compact(
        {
            **lb_summary(lb),
            "health_check": health_line(lb.get("health_check")),
            "sticky_sessions": sticky_line(lb.get("sticky_sessions")),
            **{flag: True for flag in FLAGS if lb.get(flag)},
            "http_idle_timeout_seconds": lb.get("http_idle_timeout_seconds"),
            "firewall": compact(lb.get("firewall") or {}),
            "ipv6": lb.get("ipv6"),
            "type": None if lb.get("type") == "REGIONAL" else lb.get("type"),
            "network": None if lb.get("network") == "EXTERNAL" else lb.get("network"),
            "project_id": lb.get("project_id"),
            "created_at": lb.get("created_at"),
            "price_monthly_estimate": _nodes(lb) * pricing.PUBLISHED["load_balancer_node_month"],
        }
    )


def _subject(lb_id: str | uuid.UUID) -> dict[str, str]:
    return {"subject": f"load balancer {lb_id}", "lookup_hint": LOOKUP}


async def _get(do: DOAccess, lb_id: str) -> dict[str, Any]:
    body = await do.call("load_balancers.get", lb_id=lb_id, **_subject(lb_id))
    return body["load_balancer"]


def _target(lb: dict[str, Any]) -> Target:
    return Target(KIND, lb["id"], lb.get("name", ""))


def _settled(lb: dict[str, Any]) -> bool:
    return lb.get("status") in ("active", "errored")


def _describe(lb: dict[str, Any]) -> str:
    return f"load balancer {lb.get('name')}: {lb.get('status', 'unknown')}"


# -- read ------------------------------------------------------------------------------------


@TOOLSET.tool(Access.READ)
async def load_balancer_list(
    do: DOAccess, page: PageNumber = 1, per_page: PerPage = 50, detail: Detail = False
) -> ListResult:
    """List load balancers: status, IP, rules, droplets."""
    found = await fetch_list(
        do,
        "load_balancers.list",
        "load_balancers",
        page=page,
        per_page=per_page,
        all_pages=False,
    )
    return list_result(found, (lambda lb: lb) if detail else lb_summary, "load balancers")


@TOOLSET.tool(Access.READ)
async def load_balancer_get(do: DOAccess, lb_id: LbId, detail: Detail = False) -> ItemResult:
    """One load balancer: rules, health check, droplets, settings."""
    lb = await _get(do, str(lb_id))
    return ItemResult(item=lb if detail else lb_view(lb)).titled(
        f"Load balancer {lb.get('name')} ({lb_id}) is {lb.get('status')}, "
        f"{_nodes(lb)} node(s), sending to {_backends(lb)}."
    )


# -- validation (pure: before any request) ---------------------------------------------------


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ToolError(f"{what} must be an integer from {low} to {high} (got {value!r}).")
    return value


def _port(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ToolError(f"{what} must be a port, 1-65535 (got {value!r}).")
    return value


def _rule(rule: Any, label: str) -> dict[str, Any]:
    """One forwarding rule checked: the fields to send."""
    if not isinstance(rule, dict):
        raise ToolError(f"{label} must be an object with {', '.join(RULE_KEYS)}.")
    unknown = sorted(set(rule) - set(RULE_KEYS) - set(RULE_OPTIONS))
    if unknown:
        names = ", ".join(RULE_KEYS + RULE_OPTIONS)
        raise ToolError(f"{label}: unknown {', '.join(unknown)}; use {names}.")
    entry, target = rule.get("entry_protocol"), rule.get("target_protocol")
    if entry not in ENTRY:
        raise ToolError(f"{label}: entry_protocol must be one of {', '.join(ENTRY)}.")
    if target not in TARGET:
        raise ToolError(f"{label}: target_protocol must be one of {', '.join(TARGET)}.")
    out = {
        "entry_protocol": entry,
        "entry_port": _port(rule.get("entry_port"), f"{label}: entry_port"),
        "target_protocol": target,
        "target_port": _port(rule.get("target_port"), f"{label}: target_port"),
    }
    line = f"{label} ({rule_line(out)})"
    if (entry == "udp") != (target == "udp"):
        raise ToolError(f"{line}: udp forwards only to udp, and only udp to udp.")
    certificate, passthrough = rule.get("certificate_id"), rule.get("tls_passthrough")
    if certificate is not None and (not isinstance(certificate, str) or not certificate.strip()):
        raise ToolError(f"{line}: certificate_id must be a certificate's id.")
    if passthrough is not None and not isinstance(passthrough, bool):
        raise ToolError(f"{line}: tls_passthrough must be true or false.")
    if certificate and passthrough:
        raise ToolError(
            f"{line}: give certificate_id (TLS ends at the load balancer) or tls_passthrough "
            "(the droplets end it), not both."
        )
    if entry in TLS_ENTRY and not (certificate or passthrough):
        raise ToolError(
            f"{line}: an {entry} entry needs certificate_id (api_call certificates.list shows "
            "them) or tls_passthrough=true."
        )
    if certificate and entry not in TLS_ENTRY:
        raise ToolError(f"{line}: certificate_id applies to https, http2 and http3 entries.")
    if passthrough and (entry, target) != ("https", "https"):
        raise ToolError(f"{line}: tls_passthrough needs https to https (the droplets end TLS).")
    if certificate:
        out["certificate_id"] = certificate
    if passthrough:
        out["tls_passthrough"] = True
    return out


def _rules(rules: list[Any]) -> list[dict[str, Any]]:
    checked = [_rule(rule, f"forwarding rule {n}") for n, rule in enumerate(rules, 1)]
    ports = [rule["entry_port"] for rule in checked]
    twice = sorted({port for port in ports if ports.count(port) > 1})
    if twice:
        raise ToolError(f"Entry port {twice[0]} is in two forwarding rules; one rule a port.")
    return checked


def _health(check: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(check) - set(HEALTH) - {"protocol", "path"})
    if unknown:
        names = ", ".join(["protocol", "path", *HEALTH])
        raise ToolError(f"health_check: unknown {', '.join(unknown)}; use {names}.")
    out: dict[str, Any] = {}
    if "protocol" in check:
        if check["protocol"] not in ("http", "https", "tcp"):
            raise ToolError("health_check: protocol must be http, https or tcp.")
        out["protocol"] = check["protocol"]
    if "path" in check:
        path = check["path"]
        if (
            not isinstance(path, str)
            or not re.fullmatch(r"/[\x21-\x7e]{0,254}", path)
            or "?" in path
            or "#" in path
        ):
            raise ToolError("health_check: path must start with '/' and hold no spaces or ?#.")
        out["path"] = path
    for key, (low, high) in HEALTH.items():
        if key in check:
            out[key] = _integer(check[key], f"health_check: {key}", low, high)
    return out


def _sticky(sticky: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(sticky) - {"type", "cookie_name", "cookie_ttl_seconds"})
    if unknown:
        raise ToolError(
            f"sticky_sessions: unknown {', '.join(unknown)}; use type, cookie_name, "
            "cookie_ttl_seconds."
        )
    kind = sticky.get("type", "cookies")
    if kind not in ("cookies", "none"):
        raise ToolError("sticky_sessions: type must be cookies or none.")
    if kind == "none":
        if len(sticky) > 1:
            raise ToolError("sticky_sessions: cookie_name and cookie_ttl_seconds need cookies.")
        return {"type": "none"}
    out: dict[str, Any] = {"type": "cookies"}
    if "cookie_name" in sticky:
        name = sticky["cookie_name"]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise ToolError("sticky_sessions: cookie_name is letters, digits, '_' or '-'.")
        out["cookie_name"] = name
    if "cookie_ttl_seconds" in sticky:
        ttl = sticky["cookie_ttl_seconds"]
        out["cookie_ttl_seconds"] = _integer(ttl, "sticky_sessions: cookie_ttl_seconds", 1, 86400)
    return out


def _firewall(firewall: dict[str, Any]) -> dict[str, list[str]]:
    unknown = sorted(set(firewall) - {"allow", "deny"})
    if unknown:
        raise ToolError(f"firewall: unknown {', '.join(unknown)}; use allow and deny.")
    out = {}
    for key in ("allow", "deny"):
        if key not in firewall:
            continue
        sources = firewall[key]
        if not isinstance(sources, list):
            raise ToolError(f"firewall: {key} is a list, e.g. ['ip:1.2.3.4', 'cidr:10.0.0.0/8'].")
        for source in sources:
            _source(source, key)
        out[key] = list(sources)
    return out


def _source(source: Any, key: str) -> None:
    kind, _, address = str(source).partition(":")
    try:
        if kind == "ip":
            ipaddress.ip_address(address)
        elif kind == "cidr" and "/" in address:
            ipaddress.ip_network(address, strict=False)
        else:
            raise ValueError(address)
    except ValueError:
        raise ToolError(
            f"firewall: {key} entry {source!r} must be 'ip:<address>' or 'cidr:<network>/<bits>'."
        ) from None


def _backend(droplet_ids: list[int] | None, tag: str | None) -> dict[str, Any]:
    """``{"tag": ...}`` or ``{"droplet_ids": [...]}``: a load balancer uses one of them."""
    if droplet_ids is not None and tag is not None:
        raise ToolError("Give droplet_ids or tag, not both: a load balancer uses one of them.")
    if tag is not None:
        if not TAG.fullmatch(tag):
            raise ToolError("tag is letters, digits, '_', ':' or '-', e.g. web.")
        return {"tag": tag}
    ids = list(dict.fromkeys(droplet_ids or ()))
    if any(not isinstance(i, int) or isinstance(i, bool) or i < 1 for i in ids):
        raise ToolError("droplet_ids are droplet ids (droplet_list shows them).")
    return {"droplet_ids": ids}


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    """The settings create and change both take, checked; only the ones given."""
    out: dict[str, Any] = {}
    name = arguments.get("name")
    if name is not None:
        if not NAME.fullmatch(name):
            raise ToolError(
                f"Invalid load balancer name {name!r}: letters, digits, '-' and '.', starting "
                "with a letter or digit, e.g. web-lb."
            )
        out["name"] = name
    if arguments.get("size_unit") is not None:
        out["size_unit"] = _integer(arguments["size_unit"], "size_unit", 1, 100)
    checks = {"health_check": _health, "sticky_sessions": _sticky, "firewall": _firewall}
    for key, check in checks.items():
        if arguments.get(key) is not None:
            out[key] = check(arguments[key])
    for flag in FLAGS:
        if arguments.get(flag) is not None:
            out[flag] = bool(arguments[flag])
    timeout = arguments.get("http_idle_timeout_seconds")
    if timeout is not None:
        out["http_idle_timeout_seconds"] = _integer(timeout, "http_idle_timeout_seconds", 30, 600)
    if arguments.get("droplet_ids") is not None or arguments.get("tag") is not None:
        out.update(_backend(arguments.get("droplet_ids"), arguments.get("tag")))
    return out


# -- create ----------------------------------------------------------------------------------


def _create_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request body for a create; bad input raises ToolError."""
    missing = [key for key in ("name", "region", "forwarding_rules") if not arguments.get(key)]
    if missing:
        raise ToolError(
            f"To create a load balancer give {', '.join(missing)} too; to change one, lb_id."
        )
    if arguments.get("remove_ports"):
        raise ToolError("remove_ports applies to a change (with lb_id), not a create.")
    given = _given(arguments)
    vpc_uuid = arguments.get("vpc_uuid")
    if vpc_uuid is not None and not UUID.fullmatch(vpc_uuid):
        raise ToolError("vpc_uuid must be an id (UUID); vpc_list shows them.")
    region = arguments["region"]
    if not re.fullmatch(r"[a-z]{3}[0-9]", region):
        raise ToolError(f"Invalid region {region!r}: a slug like nyc3 (region_list).")
    body: dict[str, Any] = {
        "name": given.pop("name"),
        "region": region,
        "size_unit": given.pop("size_unit", 1),
        "forwarding_rules": _rules(arguments["forwarding_rules"]),
        # The API takes droplet_ids or tag (a oneOf): none given is an empty list of droplets.
        "droplet_ids": [],
        **given,
    }
    if "tag" in body:
        del body["droplet_ids"]
    if vpc_uuid:
        body["vpc_uuid"] = vpc_uuid
    return body


def _plan_create(arguments: dict[str, Any]) -> Plan:
    body = _create_body(arguments)
    nodes = _nodes(body)
    return Plan(
        "create",
        "create",
        (Target(KIND, "new", body["name"]),),
        destructive=False,
        cost=pricing.load_balancer_cost(nodes, f"{nodes} load balancer node(s)"),
        requests=(("load_balancers.create", {"body": body}),),
    )


async def _create(do: DOAccess, plan: Plan, wait: bool, timeout: float) -> ActionResult:
    ((operation, request),) = plan.requests
    name, region = request["body"]["name"], request["body"]["region"]
    await _refuse_if_taken(do, name, region)  # again: one may have been made meanwhile
    try:
        created = await do.call(
            operation,
            **request,
            subject=f"load balancer {name}",
            look_for=f"a load balancer named {name!r} in {region} (load_balancer_list)",
        )
    except DOError as error:
        if error.status != 409:
            raise
        _refuse_existing(name, region, None)
    return await _settle(do, created["load_balancer"], wait, timeout)


async def _refuse_if_taken(do: DOAccess, name: str, region: str) -> None:
    found = (await do.list_all("load_balancers.list", "load_balancers")).items
    same = next((lb for lb in found if lb.get("name") == name and _region(lb) == region), None)
    if same:
        _refuse_existing(name, region, same)


def _refuse_existing(name: str, region: str, lb: dict[str, Any] | None) -> NoReturn:
    which = f" (id {lb.get('id')}, {lb.get('status')})" if lb else " (load_balancer_list shows it)"
    raise ToolError(
        f"A load balancer named {name!r} already exists in {region}{which}; nothing was "
        "created. If an earlier create timed out, it is that one; give its lb_id to change it."
    )


async def _settle(
    do: DOAccess, lb: dict[str, Any], wait: bool, timeout: float, changed: str = ""
) -> ActionResult:
    """Wait (with progress) until the load balancer is active; the result either way.
    ``changed``: what a change did (a create says where it answers)."""
    waited: Waited | None = None
    if wait and not _settled(lb):
        waited = await do.wait_until(
            lambda: _get(do, lb["id"]), _settled, _describe, timeout=timeout
        )
        lb = waited.value
    label = f"Load balancer {lb.get('name')} ({lb['id']})"
    if lb.get("status") == "errored":
        raise ToolError(
            f"{label} is errored; load_balancer_get shows it, load_balancer_delete removes it "
            "(it is billed until then)."
        )
    done = lb.get("status") == "active"
    message = f"{label} changed: {changed}." if changed else f"{label} created."
    if done and not changed:
        message = f"{label} is active at {lb.get('ip')}, sending to {_backends(lb)}."
    elif not done:
        after = f" after {waited.elapsed:.0f} s" if waited else ""
        message += (
            f" It is {lb.get('status', 'not active yet')}{after}: call load_balancer_get "
            f"lb_id={lb['id']} later to see its status; do not repeat this call."
        )
    return ActionResult(done=done, actions=[], resources=[lb_view(lb)], message=message).titled(
        message
    )


# -- change ----------------------------------------------------------------------------------


def _put_body(lb: dict[str, Any]) -> dict[str, Any]:
    """The whole object as a PUT takes it: what the load balancer has now."""
    body = {"region": _region(lb)}
    body.update({key: lb[key] for key in KEPT if lb.get(key) is not None})
    if "size_unit" not in body and lb.get("size"):
        body["size"] = lb["size"]  # regions without size_unit
    if lb.get("tag"):
        body["tag"] = lb["tag"]
    else:
        body["droplet_ids"] = list(lb.get("droplet_ids") or ())
    return body


def _same_rule(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(key) == b.get(key) for key in RULE_KEYS) and (
        (a.get("certificate_id") or "", bool(a.get("tls_passthrough")))
        == (b.get("certificate_id") or "", bool(b.get("tls_passthrough")))
    )


def _merge_rules(
    current: list[dict[str, Any]], given: list[dict[str, Any]], remove: list[int]
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(new rules, change lines, lines of rules that stop). Rules kept are sent as they are."""
    given_ports = {rule["entry_port"] for rule in given}
    both = sorted(given_ports & set(remove))
    if both:
        raise ToolError(f"Entry port {both[0]} is both in forwarding_rules and remove_ports.")
    ports = {rule.get("entry_port") for rule in current}
    unknown = [port for port in remove if port not in ports]
    if unknown:
        have = "; ".join(rule_line(r) for r in current) or "none"
        raise ToolError(
            f"No forwarding rule listens on port {unknown[0]} (the rules: {have}); nothing was "
            "changed."
        )
    new, changes, stopped = [], [], []
    replacing = {rule["entry_port"]: rule for rule in given}
    for rule in current:
        port = rule.get("entry_port")
        if port in remove:
            changes.append(f"forwarding rule removed: {rule_line(rule)}")
            stopped.append(rule_line(rule))
        elif port in replacing and not _same_rule(rule, replacing[port]):
            changes.append(f"forwarding rule {rule_line(rule)} -> {rule_line(replacing[port])}")
            stopped.append(rule_line(rule))
            new.append(replacing[port])
        else:
            new.append(rule)
    for rule in given:
        if rule["entry_port"] not in ports:
            changes.append(f"forwarding rule added: {rule_line(rule)}")
            new.append(rule)
    if not new:
        raise ToolError(
            "That would remove every forwarding rule, and a load balancer needs one; add the new "
            "rule in the same call, or delete it (load_balancer_delete)."
        )
    return new, changes, stopped


def _merge(body: dict[str, Any], given: dict[str, Any]) -> None:
    """The given settings into the PUT body; objects are merged key by key."""
    if "tag" in given:
        body.pop("droplet_ids", None)
    elif "droplet_ids" in given:
        body.pop("tag", None)
    for key, value in given.items():
        if key in ("health_check", "firewall"):
            body[key] = {**(body.get(key) or {}), **value}
        elif key == "sticky_sessions" and value["type"] == "cookies":
            old = body.get(key) or {}
            body[key] = {**(old if old.get("type") == "cookies" else {}), **value}
        elif key == "size_unit":
            body.pop("size", None)
            body[key] = value
        else:
            body[key] = value


def _shown(key: str, value: Any) -> Any:
    if key == "health_check":
        return health_line(value)
    if key == "sticky_sessions":
        return sticky_line(value) or "none"
    if key == "firewall":
        return compact(value or {}) or "none"
    if key == "droplet_ids":
        return f"[{_ids(value or ())}]"
    return "none" if value in (None, "") else value


def _changes(lb: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """``http_idle_timeout_seconds: 60 -> 120`` for each setting that differs."""
    before = _put_body(lb)
    lines = []
    if _nodes(lb) != _nodes(body):
        lines.append(f"size_unit: {_nodes(lb)} -> {_nodes(body)}")
    for key in ("name", *SETTINGS, "tag", "droplet_ids"):
        old, new = before.get(key), body.get(key)
        if key == "droplet_ids" and "droplet_ids" not in body:
            continue  # switched to a tag: the tag line says so
        if key == "tag" and not old and "tag" not in body:
            continue
        if _shown(key, old) != _shown(key, new):
            lines.append(f"{key}: {_shown(key, old)} -> {_shown(key, new)}")
    return lines


def cuts_traffic(lb: dict[str, Any], body: dict[str, Any]) -> str | None:
    """Which droplets the new body stops sending to, in words (None: none).

    As the trust policy judges a PUT: a load balancer on a tag cuts when the tag changes
    (to another tag or to droplet ids); one on droplet ids cuts when any of them is left out.
    """
    if lb.get("tag"):
        if body.get("tag") == lb["tag"]:
            return None
        return f"droplets tagged {lb['tag']}" + (
            f" (ids {_ids(lb['droplet_ids'])})" if lb.get("droplet_ids") else ""
        )
    kept = set(body.get("droplet_ids") or ())
    dropped = [i for i in lb.get("droplet_ids") or () if i not in kept]
    return f"droplets {_ids(dropped)}" if dropped else None


async def _plan_change(do: DOAccess, lb_id: str, arguments: dict[str, Any]) -> Plan:
    given = _given(arguments)
    rules = _rules(arguments.get("forwarding_rules") or [])
    remove = [_port(p, "remove_ports") for p in dict.fromkeys(arguments.get("remove_ports") or ())]
    fixed = {key: arguments[key] for key in CREATE_ONLY if arguments.get(key) is not None}
    project = arguments.get("project")
    if not (given or rules or remove or fixed or project):
        raise ToolError("Nothing to change: give the settings to change with lb_id.")
    lb = await _get(do, lb_id)
    current = {"region": _region(lb), "vpc_uuid": lb.get("vpc_uuid")}
    for key, value in fixed.items():
        if value != current[key]:
            raise ToolError(
                f"{key} is fixed at creation (it is {current[key]}); nothing was changed. "
                "Create another load balancer there instead."
            )
    if project and (await resolve_project(do, project)).get("id") != lb.get("project_id"):
        raise ToolError(
            f"project applies to a create: load balancer {lb.get('name')} is in project "
            f"{lb.get('project_id')}; nothing was changed. project_assign moves it "
            f"(resources=['lb:{lb_id}'])."
        )
    body = _put_body(lb)
    _merge(body, given)
    body["forwarding_rules"], rule_changes, stopped = _merge_rules(
        list(lb.get("forwarding_rules") or ()), rules, remove
    )
    changes = _changes(lb, body) + rule_changes
    if not changes:
        raise ToolError(
            f"Nothing to change: load balancer {lb.get('name')} already has these settings."
        )
    extra = "Changes " + "; ".join(changes) + "."
    cut = cuts_traffic(lb, body)
    if cut or stopped:
        parts = [f"{cut} stop receiving its traffic"] if cut else []
        parts += [f"traffic to {line} stops" for line in stopped]
        text = "; ".join(parts)
        extra += f" {text[:1].upper()}{text[1:]}."  # not capitalize(): tags keep their case
    before, after = _nodes(lb), _nodes(body)
    detail = f"{before} -> {after} nodes"
    cost = pricing.load_balancer_cost(after - before, detail) if after != before else None
    return Plan(
        "change",
        "change",
        (_target(lb),),
        destructive=bool(cut or stopped),
        cost=cost,
        extra=extra,
        notes={"changes": changes},
        requests=(("load_balancers.update", {"lb_id": lb_id, "body": body}),),
    )


async def plan_set(do: DOAccess, lb_id: uuid.UUID | None = None, **arguments: Any) -> Plan:
    """A create (spends), or a change: a write, a spend when it grows, destructive when rules
    or droplets stop receiving traffic."""
    if lb_id is None:  # before anybody is asked: the name is free, the project exists
        plan = _plan_create(arguments)
        ((_, request),) = plan.requests
        await _refuse_if_taken(do, request["body"]["name"], request["body"]["region"])
        await chosen_project(do, arguments.get("project"))
        return plan
    return await _plan_change(do, str(lb_id), arguments)


@TOOLSET.tool(Access.DESTRUCTIVE, costs_money=True, plan=plan_set)
async def load_balancer_set(
    do: DOAccess,
    lb_id: Annotated[LbId | None, Field(description="Change this one; omit to create.")] = None,
    name: str | None = None,
    region: str | None = None,
    forwarding_rules: ForwardingRules = None,
    remove_ports: Annotated[list[int] | None, Field(description="Entry ports to drop.")] = None,
    size_unit: Annotated[int | None, Field(ge=1, le=100, description="Nodes (new: 1).")] = None,
    droplet_ids: Annotated[
        list[Annotated[int, Field(ge=1)]] | None, Field(description="Replace droplets or tag.")
    ] = None,
    tag: Annotated[str | None, Field(pattern=TAG_PATTERN)] = None,
    health_check: HealthCheck = None,
    sticky_sessions: Sticky = None,
    redirect_http_to_https: bool | None = None,
    enable_proxy_protocol: bool | None = None,
    enable_backend_keepalive: bool | None = None,
    http_idle_timeout_seconds: Annotated[int | None, Field(ge=30, le=600)] = None,
    firewall: Firewall = None,
    vpc_uuid: str | None = None,
    project: ProjectChoice = None,
    wait: Wait = True,
    timeout: WaitTimeout = 600,
    plan: Plan | None = None,
) -> ActionResult:
    """Create a load balancer ($12/node-month) or change one: only what is given changes.
    Waits until active; asks before traffic stops."""
    arguments = {key: value for key, value in locals().items() if key not in ("do", "plan")}
    plan = plan or await plan_set(do, **arguments)
    if lb_id is None:
        place = await chosen_project(do, project)  # before anything is created
        created = await _create(do, plan, wait, timeout)
        lb_urn = urn("lb", created.resources[0]["id"])
        return await put_in_project(do, place, [lb_urn], created)
    ((operation, request),) = plan.requests
    lb = (await do.call(operation, **request, **_subject(lb_id)))["load_balancer"]
    return await _settle(do, lb, wait, timeout, changed="; ".join(plan.notes["changes"]))


# -- delete ----------------------------------------------------------------------------------


async def plan_delete(do: DOAccess, lb_id: uuid.UUID, **_: Any) -> Plan:
    lb = await _get(do, str(lb_id))
    rules = "; ".join(rule_line(r) for r in lb.get("forwarding_rules") or ()) or "no rules"
    nodes = _nodes(lb)
    return Plan(
        "delete",
        "delete",
        (_target(lb),),
        cost=pricing.load_balancer_cost(-nodes, f"{nodes} load balancer node(s) fewer"),
        extra=f"Its IP {lb.get('ip') or '(none)'} stops answering: traffic to {rules} no longer "
        f"reaches {_backends(lb)}. The droplets stay.",
        requests=(("load_balancers.delete", {"lb_id": str(lb_id)}),),
    )


@TOOLSET.tool(Access.DESTRUCTIVE, idempotent=True, plan=plan_delete)
async def load_balancer_delete(do: DOAccess, lb_id: LbId, plan: Plan | None = None) -> ItemResult:
    """Delete a load balancer; its droplets stay."""
    plan = plan or await plan_delete(do, lb_id)
    ((operation, request),) = plan.requests
    await do.call(operation, **request, **_subject(lb_id))
    target = plan.targets[0]
    return ItemResult(item={"id": target.id, "name": target.name, "deleted": True}).titled(
        f"Load balancer {target.name} ({target.id}) deleted."
    )
