"""Prism contract cases for the load_balancers toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's load balancer examples (spec/digitalocean-public.v2.yaml).
"""

from __future__ import annotations

from typing import Any

CASES_LOAD_BALANCERS: list[tuple[Any, ...]] = []
