"""Droplet backup policies as the spec models them (``droplet_backup_policy``).

A Droplet with backups keeps its policy (``Droplet.backup_policy``); its ``next_backup_window``
is derived from it: ``window_length_hours`` from ``hour`` UTC, every day or on ``weekday``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._api import unprocessable
from ._models import JSON

if TYPE_CHECKING:
    from ._state import World

DAY = 86_400
RETENTION_DAYS = {"daily": 7, "weekly": 28}  # plan -> retention_period_days
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
HOURS = (0, 4, 8, 12, 16, 20)
WINDOW_HOURS = 4

# GET /v2/droplets/backups/supported_policies
SUPPORTED: list[JSON] = [
    {
        "name": plan,
        "possible_window_starts": list(HOURS),
        "window_length_hours": WINDOW_HOURS,
        "retention_period_days": days,
        "possible_days": list(WEEKDAYS) if plan == "weekly" else [],
    }
    for plan, days in RETENTION_DAYS.items()
]


def backup_policy(value: Any) -> JSON:
    """The policy a request's ``backup_policy`` asks for (None: the daily plan); 422 if invalid."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise unprocessable("backup_policy must be an object")
    plan = value.get("plan", "daily")
    if plan not in RETENTION_DAYS:
        raise unprocessable("backup_policy.plan must be daily or weekly")
    hour = value.get("hour", 0)
    if isinstance(hour, bool) or hour not in HOURS:
        raise unprocessable(f"backup_policy.hour must be one of {', '.join(map(str, HOURS))}")
    policy: JSON = {"plan": plan, "hour": hour}
    if plan == "weekly":
        policy["weekday"] = value.get("weekday", "SUN")
        if policy["weekday"] not in WEEKDAYS:
            raise unprocessable(f"backup_policy.weekday must be one of {', '.join(WEEKDAYS)}")
    policy["window_length_hours"] = WINDOW_HOURS
    policy["retention_period_days"] = RETENTION_DAYS[plan]
    return policy


def next_window(world: World, policy: JSON | None) -> JSON | None:
    """The next backup window of a policy (None without one)."""
    if policy is None:
        return None
    now = world.epoch()
    start = now - now % DAY + policy["hour"] * 3600
    period = DAY
    if policy["plan"] == "weekly":
        today = (datetime.fromtimestamp(now, tz=UTC).weekday() + 1) % 7  # SUN = 0
        start += (WEEKDAYS.index(policy["weekday"]) - today) % 7 * DAY
        period = 7 * DAY
    if start <= now:
        start += period
    end = start + policy["window_length_hours"] * 3600
    return {"start": _iso(world, start), "end": _iso(world, end)}


def _iso(world: World, epoch: float) -> str:
    return world.iso(world.now() + epoch - world.epoch())
