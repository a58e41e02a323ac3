"""Monitoring: Droplet metrics and alert policies.

Metrics (``/v2/monitoring/metrics/droplet/*``) answer Prometheus range queries
(``{"status": "success", "data": {"resultType": "matrix", "result": [...]}}``) with the synthetic,
deterministic series of ``_metrics``: one point per ``step`` seconds (a whole number of minutes,
about 300 points per window), within the Droplet's life. A Droplet without the ``monitoring``
feature (no agent), or an unknown ``host_id``, answers an empty ``result``.

Alert policies are validated as the spec describes them; their entities must exist (Droplets,
load balancers or database clusters, by the policy's type) and email targets must be verified
addresses of the account (the account's own email). State: ``world.table("alert_policies")``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from .. import _metrics
from .._api import (
    Request,
    Response,
    Router,
    bad_request,
    no_content,
    not_found,
    ok,
    paginate,
    unprocessable,
)
from .._metrics import Host
from .._models import JSON, Droplet
from .._state import World
from .databases import databases
from .load_balancers import load_balancers
from .tags import TAG_NAME

router = Router()

METRICS = "/v2/monitoring/metrics/droplet"
TABLE = "alert_policies"
COMPARE = ("GreaterThan", "LessThan")
WINDOWS = ("5m", "10m", "30m", "1h")
DROPLET_TYPES = (
    "load_1",
    "load_5",
    "load_15",
    "memory_utilization_percent",
    "disk_utilization_percent",
    "cpu",
    "disk_read",
    "disk_write",
    "public_outbound_bandwidth",
    "public_inbound_bandwidth",
    "private_outbound_bandwidth",
    "private_inbound_bandwidth",
)
LBAAS_TYPES = (
    "avg_cpu_utilization_percent",
    "connection_utilization_percent",
    "droplet_health",
    "tls_connections_per_second_utilization_percent",
    "increase_in_http_error_rate_percentage_5xx",
    "increase_in_http_error_rate_percentage_4xx",
    "increase_in_http_error_rate_count_5xx",
    "increase_in_http_error_rate_count_4xx",
    "high_http_request_response_time",
    "high_http_request_response_time_50p",
    "high_http_request_response_time_95p",
    "high_http_request_response_time_99p",
)
DBAAS_TYPES = (
    "load_15_alerts",
    "memory_utilization_alerts",
    "disk_utilization_alerts",
    "cpu_alerts",
)
AUTOSCALE_TYPES = (
    "current_instances",
    "target_instances",
    "current_cpu_utilization",
    "target_cpu_utilization",
    "current_memory_utilization",
    "target_memory_utilization",
    "scale_up",
    "scale_down",
)
#: Every alert type of the spec, and the entities it watches (None: not checked).
ALERT_TYPES: dict[str, str | None] = {
    **{f"v1/insights/droplet/{t}": "droplet" for t in DROPLET_TYPES},
    **{f"v1/insights/lbaas/{t}": "load balancer" for t in LBAAS_TYPES},
    **{f"v1/dbaas/alerts/{t}": "database cluster" for t in DBAAS_TYPES},
    **{f"v1/droplet/autoscale_alerts/{t}": None for t in AUTOSCALE_TYPES},
}
REQUIRED = ("type", "description", "compare", "value", "window", "entities", "tags", "alerts")
SEED_POLICY = "5e1c7a2d-3b4f-4c6e-8a9d-0f1e2d3c4b5a"
_IDS = uuid.UUID("a3c5e7f9-1b2d-4f6a-8c0e-2d4f6a8c0e1b")  # namespace of generated ids


# -- metrics -----------------------------------------------------------------------------------


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _host(droplet: Droplet, world: World) -> Host:
    size = world.sizes[droplet.size]
    return Host(droplet.id, size.vcpus, size.memory, droplet.disk, _epoch(droplet.created_at))


def _seconds(request: Request, name: str) -> int:
    value = request.arg(name)
    if value is None:
        raise bad_request(f"{name} is required: a UNIX timestamp in seconds")
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        raise bad_request(f"{name} {value!r} is not a UNIX timestamp in seconds") from None


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.arg(name)
    if value not in allowed:
        raise bad_request(f"{name} is required: one of {', '.join(allowed)}")
    return value


def _monitored(request: Request) -> Droplet | None:
    """The Droplet ``host_id`` names, if it exists and runs the metrics agent."""
    host_id = request.arg("host_id")
    if host_id is None:
        raise bad_request("host_id is required: the Droplet's id")
    droplet = request.world.droplets.get(int(host_id)) if host_id.isdigit() else None
    return droplet if droplet is not None and "monitoring" in droplet.features else None


Query = Callable[[Host, list[int]], _metrics.Series]


def _bandwidth(request: Request) -> Query:
    interface = _choice(request, "interface", ("public", "private"))
    direction = _choice(request, "direction", ("inbound", "outbound"))
    return partial(_metrics.bandwidth, interface=interface, direction=direction)


#: Each metric's query, from the request's metric-specific parameters.
QUERIES: dict[str, Callable[[Request], Query]] = {
    "bandwidth": _bandwidth,
    "cpu": lambda _: _metrics.cpu,
    "filesystem_free": lambda _: partial(_metrics.filesystem, kind="free"),
    "filesystem_size": lambda _: partial(_metrics.filesystem, kind="size"),
    "load_1": lambda _: partial(_metrics.load, minutes=1),
    "load_5": lambda _: partial(_metrics.load, minutes=5),
    "load_15": lambda _: partial(_metrics.load, minutes=15),
    "memory_available": lambda _: partial(_metrics.memory, kind="available"),
    "memory_cached": lambda _: partial(_metrics.memory, kind="cached"),
    "memory_free": lambda _: partial(_metrics.memory, kind="free"),
    "memory_total": lambda _: partial(_metrics.memory, kind="total"),
}


def _metric(name: str, request: Request) -> Response:
    query = QUERIES[name](request)
    start, end = _seconds(request, "start"), _seconds(request, "end")
    if end < start:
        raise bad_request("end must not be before start")
    droplet = _monitored(request)
    result: _metrics.Series = []
    if droplet is not None:
        world = request.world
        host = _host(droplet, world)
        result = query(host, _metrics.timestamps(host, start, end, int(world.epoch())))
    return ok({"status": "success", "data": {"resultType": "matrix", "result": result}})


for _name in QUERIES:
    router.add("GET", f"{METRICS}/{_name}", partial(_metric, _name))


# -- alert policies ----------------------------------------------------------------------------


def policies(world: World) -> dict[str, JSON]:
    return world.table(TABLE)


def _find(request: Request) -> JSON:
    policy = policies(request.world).get(request.params["alert_uuid"])
    if policy is None:
        raise not_found()
    return policy


def _strings(body: JSON, name: str) -> list[str]:
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unprocessable(f"{name} must be a list of strings")
    return list(value)


def _entities(world: World, type_: str, entities: list[str]) -> list[str]:
    """The entities of a policy, each an existing resource of the kind its type watches."""
    kind = ALERT_TYPES[type_]
    existing: dict[str | None, Callable[[str], bool]] = {
        "droplet": lambda e: e.isdigit() and int(e) in world.droplets,
        "load balancer": lambda e: e in load_balancers(world),
        "database cluster": lambda e: e in databases(world),
    }
    exists = existing.get(kind)
    missing = [e for e in entities if exists is not None and not exists(e)]
    if missing:
        raise unprocessable(f"entities: no {kind} with id {', '.join(missing)} ({type_})")
    return entities


def _emails(world: World, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unprocessable("alerts.email must be a list of email addresses")
    verified = [world.account["email"]] if world.account.get("email_verified") else []
    for email in value:
        if email.lower() not in (v.lower() for v in verified):
            raise unprocessable(
                f"alerts.email: {email} is not a verified email address of this account; "
                f"alerts are only sent to verified addresses ({', '.join(verified) or 'none'})"
            )
    return list(value)


def _slack(value: Any) -> list[JSON]:
    def valid(entry: Any) -> bool:
        return (
            isinstance(entry, dict)
            and isinstance(entry.get("channel"), str)
            and bool(entry["channel"])
            and isinstance(entry.get("url"), str)
            and entry["url"].startswith("https://")
        )

    if not isinstance(value, list) or not all(valid(entry) for entry in value):
        raise unprocessable("alerts.slack must be a list of {channel, url} (an https webhook URL)")
    return [{"channel": entry["channel"], "url": entry["url"]} for entry in value]


def _alerts(world: World, value: Any) -> JSON:
    if not isinstance(value, dict) or "email" not in value or "slack" not in value:
        raise unprocessable("alerts must have email (a list) and slack (a list)")
    return {"email": _emails(world, value["email"]), "slack": _slack(value["slack"])}


def _one_of(body: JSON, name: str, allowed: tuple[str, ...]) -> str:
    if body[name] not in allowed:
        raise unprocessable(f"{name} must be one of {', '.join(allowed)}")
    return body[name]


def _validated(world: World, body: JSON) -> JSON:
    """A policy's fields from a create or update body (every field is required)."""
    missing = [name for name in (*REQUIRED, "enabled") if name not in body]
    if missing:
        raise unprocessable(f"{', '.join(missing)} is required")
    type_ = _one_of(body, "type", tuple(ALERT_TYPES))
    description, value, enabled = body["description"], body["value"], body["enabled"]
    if not isinstance(description, str) or not description.strip():
        raise unprocessable("description is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise unprocessable("value must be a number")
    if not isinstance(enabled, bool):
        raise unprocessable("enabled must be true or false")
    tags = _strings(body, "tags")
    if not all(TAG_NAME.fullmatch(tag) for tag in tags):
        raise unprocessable("tags must be tag names (letters, digits, _ - :)")
    return {
        "alerts": _alerts(world, body["alerts"]),
        "compare": _one_of(body, "compare", COMPARE),
        "description": description,
        "enabled": enabled,
        "entities": _entities(world, type_, _strings(body, "entities")),
        "tags": tags,
        "type": type_,
        "value": value,
        "window": _one_of(body, "window", WINDOWS),
    }


@router.get("/v2/monitoring/alerts")
def list_policies(request: Request) -> Response:
    return ok(paginate(request, "policies", list(policies(request.world).values())))


@router.post("/v2/monitoring/alerts")
def create_policy(request: Request) -> Response:
    world = request.world
    fields = _validated(world, request.json())
    policy_id = str(uuid.uuid5(_IDS, f"alert/{world.next_id('alert_policy')}"))
    policy = {**fields, "uuid": policy_id}
    policies(world)[policy_id] = policy
    return ok({"policy": policy})  # 200, as the spec has it


@router.get("/v2/monitoring/alerts/{alert_uuid}")
def get_policy(request: Request) -> Response:
    return ok({"policy": _find(request)})


@router.put("/v2/monitoring/alerts/{alert_uuid}")
def update_policy(request: Request) -> Response:
    policy = _find(request)
    policy.update(_validated(request.world, request.json()))
    return ok({"policy": policy})


@router.delete("/v2/monitoring/alerts/{alert_uuid}")
def delete_policy(request: Request) -> Response:
    del policies(request.world)[_find(request)["uuid"]]
    return no_content()


def seed(world: World) -> None:
    """A CPU alert on the ``web`` Droplets, mailed to the account's address."""
    if not world.config.seed:
        return
    policies(world)[SEED_POLICY] = {
        "alerts": {"email": [world.account["email"]], "slack": []},
        "compare": "GreaterThan",
        "description": "CPU above 80% on the web Droplets",
        "enabled": True,
        "entities": [],
        "tags": ["web"],
        "type": "v1/insights/droplet/cpu",
        "uuid": SEED_POLICY,
        "value": 80,
        "window": "5m",
    }
