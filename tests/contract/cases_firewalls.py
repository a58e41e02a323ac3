"""Prism contract cases for the firewalls toolset: (tool, arguments, label[, expect_error]).

Ids come from the spec's examples (see the firewall examples in spec/digitalocean-public.v2.yaml):
the firewall bb4b2611-... is named "firewall" and has tcp 80 from load balancer 4de7ac8b-...,
tcp 22 from 18.0.0.0/8 and tag gateway, tcp 80 out to everywhere, droplet 8043964 and no tags;
the firewall list example holds one firewall named "firewall". The droplet list example holds
3164444 (tagged web), 3164459 and 3164412; the Kubernetes id is the rule target example's.
"""

from __future__ import annotations

from typing import Any

FIREWALL = "bb4b2611-3d72-467b-8602-280330ecd65c"
LB = "4de7ac8b-495b-4884-9a69-1050c6793cd6"
CLUSTER = "41b74c5d-9bd0-5555-5555-a57c495b81a3"
SSH = "tcp 22 from 18.0.0.0/8, tag:gateway"
INBOUND = [SSH, {"protocol": "tcp", "ports": "80", "sources": [f"lb:{LB}"]}, "icmp from ::/0"]
UPDATE = {"firewall_id": FIREWALL}

CASES_FIREWALLS: list[tuple[Any, ...]] = [
    ("firewall_list", {}, ""),
    ("firewall_list", {"detail": True}, "detail"),
    ("firewall_get", {"firewall_id": FIREWALL}, ""),
    ("firewall_get", {"firewall_id": FIREWALL, "detail": True}, "detail"),
    ("firewall_create", {"name": "web-fw", "inbound_rules": INBOUND}, "default-outbound"),
    (
        "firewall_create",
        {
            "name": "web-fw",
            "inbound_rules": ["udp 8000-9000 from 1.2.3.4, droplet:3164444"],
            "outbound_rules": [
                f"tcp all to 0.0.0.0/0, ::/0, tag:web, lb:{LB}, k8s:{CLUSTER}",
                {"protocol": "icmp", "destinations": ["2001:db8::/32"]},
            ],
        },
        "every-peer",
    ),
    # The list example already holds a firewall named "firewall": refused after the look-up.
    ("firewall_create", {"name": "firewall", "inbound_rules": [SSH]}, "taken", "already exists"),
    ("firewall_update", {**UPDATE, "name": "frontend-firewall"}, "rename"),
    (
        "firewall_update",
        {**UPDATE, "inbound_rules": [f"tcp 8080 from lb:{LB}", SSH], "tags": ["frontend"]},
        "replace-rules-and-tags",
    ),
    (
        "firewall_update",
        {**UPDATE, "outbound_rules": ["tcp 8080 to 0.0.0.0/0, ::/0"], "droplet_ids": [3164459]},
        "replace-outbound-and-droplets",
    ),
    (
        "firewall_update",
        {
            **UPDATE,
            "mode": "add",
            "inbound_rules": ["tcp 3306 from droplet:3164459"],
            "outbound_rules": ["tcp 3306 to droplet:3164459"],
        },
        "add-rules",
    ),
    (
        "firewall_update",
        {**UPDATE, "mode": "add", "droplet_ids": [3164459], "tags": ["frontend"]},
        "add-droplets-and-tags",
    ),
    (
        "firewall_update",
        {**UPDATE, "mode": "remove", "inbound_rules": ["tcp 22"], "droplet_ids": [8043964]},
        "remove-rule-and-droplet",
    ),
    (
        "firewall_update",
        {**UPDATE, "mode": "remove", "outbound_rules": ["tcp 80 to 0.0.0.0/0, ::/0"]},
        "remove-outbound",
    ),
    # The example firewall has no tags: refused after the look-up, naming what it has.
    ("firewall_update", {**UPDATE, "mode": "remove", "tags": ["frontend"]}, "no-tag", "Not on"),
    ("firewall_delete", {"firewall_id": FIREWALL}, ""),
]
