"""Prism contract cases for the load_balancers toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's load balancer examples (spec/digitalocean-public.v2.yaml): the get
example is example-lb-01 (4de7ac8b-...), on droplets 3164444 and 3164445 by id, rules http 80
and https 443 (passthrough), size lb-small, status new forever, so creates and changes use
wait=false or a short timeout. The list example holds example-lb-01 and prod-web-lb-01, both
in nyc3: a create of either name there is refused after the look-up. Changes send the GET
example back with the given fields merged in, and Prism checks the PUT against
load_balancer_create (a oneOf of droplet_ids and tag).
"""

from __future__ import annotations

from typing import Any

LB = "4de7ac8b-495b-4884-9a69-1050c6793cd6"
CERT = "892071a0-bb95-49bc-8021-3afd67a210bf"  # the forwarding rule example's certificate
VPC = "c33931f2-a26a-4e61-b85c-4e95a2ec431b"
PROJECT = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
HTTPS = {
    "entry_protocol": "https",
    "entry_port": 443,
    "target_protocol": "http",
    "target_port": 8080,
    "certificate_id": CERT,
}
CREATE = {"name": "contract-lb", "region": "nyc3", "forwarding_rules": [HTTPS], "wait": False}
CHANGE = {"lb_id": LB, "wait": False}

CASES_LOAD_BALANCERS: list[tuple[Any, ...]] = [
    ("load_balancer_list", {}, ""),
    ("load_balancer_list", {"page": 2, "per_page": 200, "detail": True}, "page"),
    ("load_balancer_get", {"lb_id": LB}, ""),
    ("load_balancer_get", {"lb_id": LB, "detail": True}, "detail"),
    ("load_balancer_set", {**CREATE, "tag": "prod:web"}, "create-tag"),
    ("load_balancer_set", CREATE, "create-no-droplets"),
    (
        "load_balancer_set",
        {
            **CREATE,
            "forwarding_rules": [
                HTTPS,
                {
                    "entry_protocol": "http",
                    "entry_port": 80,
                    "target_protocol": "http",
                    "target_port": 80,
                },
                {
                    "entry_protocol": "https",
                    "entry_port": 8443,
                    "target_protocol": "https",
                    "target_port": 443,
                    "tls_passthrough": True,
                },
                {
                    "entry_protocol": "tcp",
                    "entry_port": 5432,
                    "target_protocol": "tcp",
                    "target_port": 5432,
                },
            ],
            "size_unit": 3,
            "droplet_ids": [3164444, 3164445],
            "health_check": {
                "protocol": "http",
                "port": 8080,
                "path": "/health",
                "check_interval_seconds": 10,
                "response_timeout_seconds": 5,
                "healthy_threshold": 5,
                "unhealthy_threshold": 3,
            },
            "sticky_sessions": {
                "type": "cookies",
                "cookie_name": "LB_COOKIE",
                "cookie_ttl_seconds": 300,
            },
            "redirect_http_to_https": True,
            "enable_proxy_protocol": True,
            "enable_backend_keepalive": True,
            "http_idle_timeout_seconds": 90,
            "firewall": {"allow": ["ip:1.2.3.4", "cidr:2.3.4.0/24"], "deny": ["ip:2.3.4.5"]},
            "vpc_uuid": VPC,
            "project": PROJECT,
        },
        "create-every-option",
    ),
    ("load_balancer_set", {**CREATE, "wait": True, "timeout": 0.3}, "create-wait"),
    # The list example holds example-lb-01 in nyc3: the look-up refuses before the create.
    ("load_balancer_set", {**CREATE, "name": "example-lb-01"}, "create-taken", "already exists"),
    ("load_balancer_set", {**CHANGE, "http_idle_timeout_seconds": 90}, "change-idle-timeout"),
    (
        "load_balancer_set",
        {
            **CHANGE,
            "name": "updated-example-lb-01",
            "health_check": {"path": "/healthz"},
            "sticky_sessions": {"type": "cookies", "cookie_name": "DO-LB"},
            "enable_proxy_protocol": True,
            "firewall": {"deny": ["cidr:1.2.0.0/16"]},
        },
        "change-settings",
    ),
    ("load_balancer_set", {**CHANGE, "size_unit": 3}, "change-size-unit"),
    (
        "load_balancer_set",
        {**CHANGE, "forwarding_rules": [{**HTTPS, "entry_port": 8443}]},
        "add-rule",
    ),
    ("load_balancer_set", {**CHANGE, "remove_ports": [80]}, "remove-rule"),
    ("load_balancer_set", {**CHANGE, "droplet_ids": [3164444]}, "remove-droplet"),
    ("load_balancer_set", {**CHANGE, "tag": "prod:web"}, "switch-to-tag"),
    (
        "load_balancer_set",
        {**CHANGE, "http_idle_timeout_seconds": 90, "wait": True, "timeout": 0.3},
        "change-wait",
    ),
    ("load_balancer_delete", {"lb_id": LB}, ""),
]
