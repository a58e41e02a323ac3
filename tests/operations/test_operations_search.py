"""Plain-language search ranks the operation an agent needs first."""

from __future__ import annotations

import pytest

from cargoshipper.operations import Operation, get_operation, operations, search

# query -> the pydo 0.44.0 operation that must rank first
FIRST = {
    "list reserved IPs": "reserved_ips.list",
    "create a CDN endpoint": "cdn.create_endpoint",
    "app platform deployments": "apps.list_deployments",
    "ssh keys": "ssh_keys.list",
    "delete a droplet": "droplets.destroy",  # pydo keeps `destroy` for droplets
    # A bare noun phrase asks to see things: the droplet's snapshots. Taking one is an action
    # (droplet_actions.post, type=snapshot), which a verb selects: see "take a snapshot...".
    "droplet snapshot": "droplets.list_snapshots",
    "take a snapshot of a droplet": "droplet_actions.post",
    "kubernetes node pools": "kubernetes.list_node_pools",
    "database firewall rules": "databases.list_firewall_rules",
    "upgrade kubernetes cluster": "kubernetes.upgrade_cluster",
    "list volumes in a region": "volumes.list",
    "get load balancer": "load_balancers.get",
    "domain records": "domains.list_records",
    "billing history": "billing_history.list",
    "cpu metrics for a droplet": "monitoring.get_droplet_cpu_metrics",
    "floating ip": "reserved_ips.list",  # renamed to reserved IPs; pydo has no floating_ips
    # more phrasings, synonyms and verbs
    "reboot a droplet": "droplet_actions.post",
    "power off droplet": "droplet_actions.post",
    "create a droplet": "droplets.create",
    "list droplets": "droplets.list",
    "remove a volume": "volumes.delete",
    "k8s clusters": "kubernetes.list_clusters",
    "doks kubeconfig": "kubernetes.get_kubeconfig",
    "dns records": "domains.list_records",
    "delete lb": "load_balancers.delete",
    "db users": "databases.list_users",
    "add droplets to firewall": "firewalls.assign_droplets",
    "create database cluster": "databases.create_cluster",
    "assign reserved ip to droplet": "reserved_ips_actions.post",
    "available droplet sizes": "sizes.list",
    "account info": "account.get",
}


def test_expected_ids_exist() -> None:
    missing = [op_id for op_id in FIRST.values() if get_operation(op_id) is None]
    assert not missing


@pytest.mark.parametrize(("query", "expected"), FIRST.items())
def test_ranks_the_right_operation_first(query: str, expected: str) -> None:
    ranked = [op.id for op in search(query)]
    assert ranked[:1] == [expected], ranked


def test_attach_volume_finds_both_volume_actions() -> None:
    # by name (volume_actions.post) and by id (post_by_id): either can be meant
    top = {op.id for op in search("attach a volume to a droplet", limit=2)}
    assert top == {"volume_actions.post", "volume_actions.post_by_id"}


def test_every_exact_id_ranks_itself_first() -> None:
    wrong = [op_id for op_id in operations() if search(op_id, limit=1)[0].id != op_id]
    assert not wrong
    assert search("client.droplets.get()")[0].id == "droplets.get"


def test_url_templates_and_paths() -> None:
    assert search("/v2/droplets/{droplet_id}")[0].id == "droplets.get"
    assert search("DELETE /v2/droplets/12345")[0].id == "droplets.destroy"
    assert search("POST /v2/volumes/{volume_id}/actions")[0].id == "volume_actions.post_by_id"


def test_nonsense_and_stopwords_find_nothing() -> None:
    assert search("xyzzy plugh frobnicate") == []
    assert search("the of a") == []
    assert search("!!! ???") == []


def test_empty_query_is_an_error() -> None:
    with pytest.raises(ValueError):
        search("")
    with pytest.raises(ValueError):
        search("   ")


def test_limit_and_result_shape() -> None:
    results = search("droplet", limit=5)
    assert len(results) == 5
    assert all(isinstance(op, Operation) for op in results)
    assert len({op.id for op in results}) == 5
    assert len(search("droplet", limit=50)) == 50
    assert search("droplet", limit=0) == []
    assert len(search("droplet")) == 8  # the default
