"""How each of pydo's ~840 operations is classed: the rules behind ``operation_classes.json``.

The table is built once from the operations index (``scripts/build_operation_classes.py``) and
committed, so every operation's class is reviewed in the diff. At run time only the table is
read; an operation missing from it is ``destroy`` (fail closed). Some operations are refined
by their arguments at run time (``_policy.py``): a droplet action's ``type``, a node pool's new
count against the old, removing the protected tag.

The rules, first match wins:

1. GET and HEAD read.
2. ``EXPLICIT`` names the operations whose class the name alone would get wrong.
3. DELETE destroys.
4. A name saying it removes, resets, cancels, rolls back, rotates, upgrades, migrates,
   restores, transfers or detaches destroys (or cuts off access).
5. ``create``/``import``/``install`` spends money (a new billable resource), unless listed
   in ``FREE_CREATES``.
6. ``update``/``patch``/``assign``/``add``/``attach``/``validate``/``search`` writes: changes
   that lose nothing and cost nothing.
7. Anything else destroys.
"""

from __future__ import annotations

import re
from typing import Any

CLASSES = ("read", "write", "spend", "destroy", "unprotect")

#: Operations whose effect depends on their arguments carry their worst plain case here;
#: ``_policy.refine`` narrows them per request.
EXPLICIT: dict[str, str] = {
    # refined by arguments at run time
    "droplet_actions.post": "destroy",
    "droplet_actions.post_by_tag": "destroy",
    "volume_actions.post": "destroy",
    "volume_actions.post_by_id": "destroy",
    "image_actions.post": "destroy",
    "kubernetes.update_node_pool": "spend",
    "databases.update_cluster_size": "spend",
    "tags.unassign_resources": "destroy",
    "tags.delete": "destroy",
    # replace a whole object, or rewrite where traffic or access goes
    "firewalls.update": "destroy",
    "firewalls.assign_droplets": "destroy",
    "firewalls.add_tags": "destroy",
    "load_balancers.update": "destroy",
    "domains.update_record": "destroy",
    "domains.patch_record": "destroy",
    "apps.update": "destroy",
    "apps.restart": "destroy",
    "databases.update_firewall_rules": "destroy",
    "databases.update_user": "destroy",
    "databases.update_cluster_metrics_credentials": "destroy",
    "databases.update_major_version": "destroy",
    "databases.update_region": "destroy",
    "databases.update_online_migration": "destroy",
    "databases.install_update": "destroy",
    "spaces_key.update": "destroy",
    "spaces_key.patch": "destroy",
    "reserved_ips_actions.post": "destroy",
    "reserved_ipv6_actions.post": "destroy",
    "images.post_account_transfer_create": "destroy",
    "registries.run_garbage_collection": "destroy",
    "registry.run_garbage_collection": "destroy",
    "kubernetes.recycle_node_pool": "destroy",
    "microvms.post_pause": "destroy",
    "microvms.run_command": "destroy",
    "gateway_code.run": "destroy",
    "gateway_tools.run": "destroy",
    "gateway_approvals.update": "destroy",
    "gateway_session_approvals.update": "destroy",
    "signals.create_deletion": "destroy",
    # add to the bill
    "droplets.create": "spend",
    "databases.update_autoscale": "spend",
    "autoscalepools.update": "spend",
    "addons.patch_plan": "spend",
    "security.update_settings_plan": "spend",
    "registries.update_subscription": "spend",
    "registry.update_subscription": "spend",
    "vector_databases.post_resize": "spend",
    "dedicated_inferences.patch": "spend",
    "agent_inference.create_chat_completion": "spend",
    # cost nothing and lose nothing
    "images.post_account_transfer_accept": "write",
    "images.post_account_transfer_decline": "write",
    "images.post_account_transfer_cancel": "write",
    "kubernetes.run_cluster_lint": "write",
    "apps.list_metrics_bandwidth_daily": "write",
    "microvms.post_resume": "write",
    "mcp_servers.run_resync": "write",
    "one_clicks.install_kubernetes": "write",
}

#: ``create`` operations that add nothing to the bill.
FREE_CREATES = frozenset(
    {
        "apps.create_deployment",
        "certificates.create",
        "databases.add",
        "databases.add_connection_pool",
        "databases.add_user",
        "databases.create_kafka_schema",
        "databases.create_kafka_topic",
        "databases.create_logsink",
        "domains.create",
        "domains.create_record",
        "firewalls.create",
        "functions.create_trigger",
        "functions_access_key.create",
        "insights.create_alert_rule",
        "insights.create_notification_channel",
        "mcp_servers.create",
        "monitoring.create_alert_policy",
        "monitoring.create_destination",
        "monitoring.create_sink",
        "nfs.create_access_point",
        "organizations.create_team",
        "output_views.create",
        "partner_attachments.create_service_key",
        "projects.create",
        "security.create_scan_rule",
        "security.create_suppression",
        "sessions.create",
        "signals.create_export",
        "spaces_key.create",
        "ssh_keys.create",
        "tags.create",
        "toolbelts.create",
        "uptime.create_alert",
        "uptime.create_check",
        "vpc_peerings.create",
        "vpc_subnet_routes.create",
        "vpc_subnets.create",
        "vpcs.create",
        "vpcs.create_peerings",
    }
)

_DESTROYS = re.compile(
    r"(delete|destroy|remove|purge|revoke|reset|cancel|detach|unassign|rollback|revert|"
    r"promote|regenerate|rotate|upgrade|migrate|restore|transfer|recycle|evict|clear)"
)
_SPENDS = re.compile(r"^(create|import|install|add_node_pool|create_replica)")
_WRITES = re.compile(r"^(update|patch|assign|add|attach|validate|post_.*_search|list|run_)")


def classify(operation_id: str, method: str) -> str:
    """The class of one operation, by the rules in this module's docstring."""
    if method in ("GET", "HEAD"):
        return "read"
    if operation_id in EXPLICIT:
        return EXPLICIT[operation_id]
    if method == "DELETE":
        return "destroy"
    name = operation_id.partition(".")[2]
    if _DESTROYS.search(name):
        return "destroy"
    if _SPENDS.match(name):
        return "write" if operation_id in FREE_CREATES else "spend"
    if _WRITES.match(name):
        return "write"
    return "destroy"


def build_table(operations: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``{operation id: class}`` for every operation of the index, sorted by id."""
    return {op_id: classify(op_id, op["method"]) for op_id, op in sorted(operations.items())}
