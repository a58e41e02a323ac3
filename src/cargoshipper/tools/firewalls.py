"""Cloud firewalls: rules, droplets and tags; removing inbound access asks first."""

from __future__ import annotations

from ..registry import Toolset

TOOLSET = Toolset(
    "firewalls",
    "Cloud firewalls: inbound/outbound rules, droplets and tags they apply to.",
    default=False,
)
