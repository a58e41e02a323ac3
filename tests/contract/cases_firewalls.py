"""Prism contract cases for the firewalls toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples (see the firewall examples in spec/digitalocean-public.v2.yaml).
"""

from __future__ import annotations

from typing import Any

CASES_FIREWALLS: list[tuple[Any, ...]] = []
