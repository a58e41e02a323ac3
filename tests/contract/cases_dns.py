"""Prism contract cases for the DNS tools: (tool, arguments, label) tuples.

Prism answers with the spec's examples: the domain example.com, its four records (NS x3 and
A @ 1.2.3.4), and record 3352896 (A blog 162.10.66.0).
"""

from __future__ import annotations

from typing import Any

DOMAIN = "example.com"
RECORD = 3352896  # domain record example id

CASES_DNS: list[tuple[Any, ...]] = [
    ("domain_list", {}, ""),
    ("domain_list", {"detail": True}, "detail"),
    ("domain_create", {"name": "shop.example"}, ""),
    ("domain_create", {"name": "shop.example", "ip_address": "192.0.2.1"}, "ip"),
    ("domain_create", {"name": DOMAIN}, "taken", "already in this account"),
    ("domain_delete", {"name": DOMAIN}, ""),
    ("domain_record_list", {"domain": DOMAIN}, ""),
    ("domain_record_list", {"domain": DOMAIN, "type": "A", "name": "www"}, "filtered"),
    ("domain_record_list", {"domain": DOMAIN, "page": 2, "per_page": 10}, "page"),
    ("domain_record_list", {"domain": DOMAIN, "all_pages": True}, "all-pages"),
    (
        "domain_record_set",
        {"domain": DOMAIN, "type": "A", "name": "www", "data": "162.10.66.0"},
        "a",
    ),
    (
        "domain_record_set",
        {"domain": DOMAIN, "type": "AAAA", "name": "www", "data": "2001:db8::1", "ttl": 3600},
        "aaaa",
    ),
    (
        "domain_record_set",
        {"domain": DOMAIN, "type": "CNAME", "name": "docs", "data": "@"},
        "cname",
    ),
    ("domain_record_set", {"domain": DOMAIN, "type": "MX", "data": "mx", "priority": 10}, "mx"),
    ("domain_record_set", {"domain": DOMAIN, "type": "TXT", "data": "v=spf1 mx ~all"}, "txt"),
    (
        "domain_record_set",
        {"domain": DOMAIN, "type": "NS", "name": "lab", "data": "ns1.x.org"},
        "ns",
    ),
    (
        "domain_record_set",
        {
            "domain": DOMAIN,
            "type": "SRV",
            "name": "_sip._tcp",
            "data": "sip",
            "priority": 10,
            "weight": 5,
            "port": 5060,
        },
        "srv",
    ),
    (
        "domain_record_set",
        {"domain": DOMAIN, "type": "CAA", "data": "letsencrypt.org", "flags": 0, "tag": "issue"},
        "caa",
    ),
    ("domain_record_set", {"domain": DOMAIN, "record_id": RECORD, "ttl": 600}, "update-ttl"),
    (
        "domain_record_set",
        {"domain": DOMAIN, "record_id": RECORD, "name": "blog2", "data": "162.10.66.1"},
        "update-data",
    ),
    ("domain_record_delete", {"domain": DOMAIN, "record_id": RECORD}, ""),
]
