"""Prism contract cases for the vpcs toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's VPC example (5a4981aa-...), which is a region's default VPC with a
member: Prism's static answers make vpc_delete refuse before sending, as it must.
"""

from __future__ import annotations

from typing import Any

VPC = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"

CASES_VPCS: list[tuple[Any, ...]] = [
    ("vpc_list", {}, ""),
    ("vpc_list", {"page": 2, "per_page": 10, "detail": True}, "page"),
    ("vpc_get", {"vpc_id": VPC}, ""),
    ("vpc_create", {"name": "prod-net", "region": "nyc1"}, ""),
    (
        "vpc_create",
        {"name": "prod-net", "region": "nyc1", "ip_range": "10.10.10.0/24", "description": "x"},
        "range",
    ),
    ("vpc_update", {"vpc_id": VPC, "name": "renamed-net"}, ""),
    ("vpc_update", {"vpc_id": VPC, "description": "edge"}, "description"),
    ("vpc_delete", {"vpc_id": VPC}, "default", "default VPC"),
]
