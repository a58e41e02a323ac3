"""A production edge built by an agent through an MCP client against the sandbox: two droplets in
a new VPC, a firewall by tag, a load balancer by tag, a change that keeps every rule, and an SSH
cut that a person must approve."""

from __future__ import annotations

import pytest

from conftest import connect
from helpers import Dialog, call_ok

pytestmark = pytest.mark.anyio

TOOLSETS = ["default", "vpcs", "firewalls", "load_balancers"]
CERTIFICATE = "892071a0-bb95-49bc-8021-3afd67a210bf"  # an uploaded certificate's id
DROPLET = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["web"])


async def test_a_production_edge_from_scratch(sandbox):
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, toolsets=TOOLSETS) as client:
        vpc = (await call_ok(client, "vpc_create", name="edge-net", region="nyc3"))["item"]
        created = await call_ok(
            client, "droplet_create", names=["web-a", "web-b"], vpc_uuid=vpc["id"], **DROPLET
        )
        assert created["done"] is True

        firewall = await call_ok(
            client,
            "firewall_create",
            name="web-fw",
            inbound_rules=[
                "tcp 80 from 0.0.0.0/0, ::/0",
                "tcp 443 from 0.0.0.0/0, ::/0",
                "tcp 22 from 203.0.113.0/24",
            ],
        )
        firewall_id = firewall["item"]["id"]
        await call_ok(client, "firewall_update", firewall_id=firewall_id, mode="add", tags=["web"])

        https = {
            "entry_protocol": "https",
            "entry_port": 443,
            "target_protocol": "http",
            "target_port": 80,
            "certificate_id": CERTIFICATE,
        }
        lb = await call_ok(
            client,
            "load_balancer_set",
            name="web-lb",
            region="nyc3",
            vpc_uuid=vpc["id"],
            tag="web",
            forwarding_rules=[https],
            health_check={"protocol": "http", "port": 80, "path": "/healthz"},
        )
        assert lb["done"] is True and lb["cost"]["monthly_usd"] > 0
        lb_id = lb["resources"][0]["id"]
        before = (await call_ok(client, "load_balancer_get", lb_id=lb_id, detail=True))["item"]
        assert before["status"] == "active"
        members = (await call_ok(client, "vpc_get", vpc_id=vpc["id"]))["item"]["members"]
        assert {m["name"] for m in members} >= {"web-a", "web-b", "web-lb"}

        asked = len(dialog.questions)
        await call_ok(client, "load_balancer_set", lb_id=lb_id, http_idle_timeout_seconds=120)
        after = (await call_ok(client, "load_balancer_get", lb_id=lb_id, detail=True))["item"]
        assert len(dialog.questions) == asked  # nothing was cut: no question
        assert after["http_idle_timeout_seconds"] == 120
        assert after["forwarding_rules"] == before["forwarding_rules"]
        assert after["health_check"] == before["health_check"] and after["tag"] == "web"

        cut = await call_ok(
            client,
            "firewall_update",
            firewall_id=firewall_id,
            mode="remove",
            inbound_rules=["tcp 22 from 203.0.113.0/24"],
        )
        rules = (await call_ok(client, "firewall_get", firewall_id=firewall_id))["item"]
    question = dialog.questions[-1]
    assert len(dialog.questions) == asked + 1
    assert "web-a" in question and "web-b" in question and "tcp 22" in question
    assert cut.get("approval") is None  # approved and done
    assert rules["inbound"] == [
        "tcp 80 from 0.0.0.0/0, ::/0",
        "tcp 443 from 0.0.0.0/0, ::/0",
    ]
