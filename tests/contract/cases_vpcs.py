"""Prism contract cases for the vpcs toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples (see the VPC examples in spec/digitalocean-public.v2.yaml).
"""

from __future__ import annotations

from typing import Any

CASES_VPCS: list[tuple[Any, ...]] = []
