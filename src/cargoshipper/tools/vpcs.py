"""VPCs: private networks per region, their members."""

from __future__ import annotations

from ..registry import Toolset

TOOLSET = Toolset("vpcs", "VPCs: private networks, their members.", default=False)
