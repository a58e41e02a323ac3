"""Prism contract cases for the monitoring toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples: droplet 3164444 (example.com; the droplet list's first, and
tagged in the by-tag example) and alert policy 78b3da62-.... Prism answers every metric with
its static example, some of them tiny (one series of two samples, no CPU modes): the tool must
summarise what it can and say what had no data, never fail. The account Prism makes up has the
email sammy@digitalocean.com with ``email_verified`` false (the schema's default): an email
target is refused after that one look-up, so the policies that are sent notify Slack (the
sandbox tests cover a verified email). The list example's entities are integers where the
schema says strings: a defect of the spec's example (a response violation), not of a request.
"""

from __future__ import annotations

from typing import Any

DROPLET = 3164444
POLICY = "78b3da62-27e5-49ba-ac70-5db0b5935c64"
LB = "4de7ac8b-495b-4884-9a69-1050c6793cd6"
EMAIL = "sammy@digitalocean.com"
SLACK = {"channel": "Production Alerts", "url": "https://hooks.slack.com/services/T1/A/Z"}

CASES_MONITORING: list[tuple[Any, ...]] = [
    ("droplet_metrics", {"droplets": [DROPLET]}, ""),
    (
        "droplet_metrics",
        {"droplets": [DROPLET], "metrics": ["bandwidth", "disk"], "start": "6h"},
        "bandwidth-disk",
    ),
    (
        "droplet_metrics",
        {"droplets": ["example.com"], "start": "2024-05-01T00:00:00Z", "end": "2024-05-02"},
        "name-iso",
    ),
    ("droplet_metrics", {"tag_name": "web", "metrics": ["cpu", "memory", "load"]}, "tag"),
    ("droplet_metrics", {"droplets": [DROPLET, "assets.example.com"]}, "several"),
    ("alert_policy_list", {}, ""),
    ("alert_policy_list", {"page": 2, "per_page": 10}, "page"),
    ("alert_policy_list", {"alert_uuid": POLICY}, "one"),
    ("alert_policy_set", {"type": "cpu", "value": 80, "tags": ["web"], "slack": [SLACK]}, ""),
    (
        "alert_policy_set",
        {
            "type": "public_outbound_bandwidth",
            "value": 50,
            "compare": "GreaterThan",
            "window": "1h",
            "entities": [DROPLET],
            "slack": [SLACK],
            "enabled": False,
            "description": "egress",
        },
        "droplet-slack",
    ),
    (
        "alert_policy_set",
        {"type": "lb/avg_cpu_utilization_percent", "value": 70, "entities": [LB], "slack": [SLACK]},
        "lb",
    ),
    ("alert_policy_set", {"alert_uuid": POLICY, "value": 90}, "update-value"),
    (
        "alert_policy_set",
        {"alert_uuid": POLICY, "window": "10m", "emails": [], "slack": [SLACK], "tags": []},
        "update-lists",
    ),
    (
        "alert_policy_set",
        {"type": "cpu", "value": 80, "emails": ["ops@example.org"]},
        "other-email",
        "cannot receive alerts",
    ),
    (
        "alert_policy_set",
        {"type": "memory", "value": 90, "emails": [EMAIL]},
        "account-email-unverified",
        "NOT verified yet",
    ),
    ("alert_policy_delete", {"alert_uuid": POLICY}, ""),
]
