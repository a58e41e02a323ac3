"""Load balancers: list, get, create (with its cost), update by merging, delete."""

from __future__ import annotations

from ..registry import Toolset

TOOLSET = Toolset(
    "load_balancers",
    "Load balancers: forwarding rules, health checks, droplets by id or tag.",
    default=False,
)
