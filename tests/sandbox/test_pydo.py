"""pydo 0.44.0, the official client, through its whole azure-core stack against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pydo
import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.pipeline.policies import AzureKeyCredentialPolicy

from cargoshipper.sandbox import Fault, Sandbox

from ._client import TOKEN, wait_until
from .conftest import FAST

SNAPSHOT = 171_000_011


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(FAST) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> pydo.Client:
    sandbox.world.reset()
    policy = AzureKeyCredentialPolicy(AzureKeyCredential(TOKEN), "Authorization", prefix="Bearer")
    return pydo.Client(
        token=TOKEN, endpoint=sandbox.url, authentication_policy=policy, retry_total=0
    )


def test_account_balance_and_catalog(client: pydo.Client) -> None:
    assert client.account.get()["account"]["email"] == "sammy@example.com"
    assert float(client.balance.get()["month_to_date_usage"]) >= 0
    regions = client.regions.list()
    assert regions["meta"]["total"] == 10 and "nyc3" in {r["slug"] for r in regions["regions"]}
    sizes = client.sizes.list(per_page=200)["sizes"]
    assert next(s for s in sizes if s["slug"] == "s-1vcpu-1gb")["price_hourly"] == 0.00893
    keys = client.ssh_keys.list()["ssh_keys"]
    assert len(keys) == 2 and all(k["fingerprint"] for k in keys)
    tags = client.tags.list()["tags"]
    assert {"web", "db", "env:prod"} == {t["name"] for t in tags}


def test_droplet_lifecycle(client: pydo.Client, sandbox: Sandbox) -> None:
    created = client.droplets.create(
        body={
            "name": "pydo-1",
            "region": "nyc3",
            "size": "s-1vcpu-1gb",
            "image": "ubuntu-24-04-x64",
            "tags": ["pydo"],
        }
    )
    droplet_id = created["droplet"]["id"]
    assert created["droplet"]["status"] == "new"
    create_action = created["links"]["actions"][0]["id"]
    wait_until(lambda: client.actions.get(create_action)["action"]["status"] == "completed")
    droplet = client.droplets.get(droplet_id)["droplet"]
    assert droplet["status"] == "active" and droplet["networks"]["v4"]
    assert [d["name"] for d in client.droplets.list(tag_name="pydo")["droplets"]] == ["pydo-1"]

    action = client.droplet_actions.post(droplet_id, {"type": "power_off"})["action"]
    assert action["status"] == "in-progress"
    wait_until(lambda: client.actions.get(action["id"])["action"]["status"] == "completed")
    assert client.droplets.get(droplet_id)["droplet"]["status"] == "off"

    assert client.droplets.destroy(droplet_id) is None
    assert client.droplets.get(droplet_id)["id"] == "not_found"  # pydo returns documented 404s
    assert sandbox.world.count("DELETE", f"/v2/droplets/{droplet_id}") == 1


def test_pagination_through_pydo(client: pydo.Client) -> None:
    page = client.droplets.list(per_page=2, page=1)
    assert page["meta"]["total"] == 3 and len(page["droplets"]) == 2
    assert "page=2" in page["links"]["pages"]["next"]
    assert len(client.droplets.list(per_page=2, page=2)["droplets"]) == 1


def test_images(client: pydo.Client) -> None:
    distributions = client.images.list(type="distribution")["images"]
    assert "ubuntu-24-04-x64" in {i["slug"] for i in distributions}
    assert client.images.get("ubuntu-24-04-x64")["image"]["distribution"] == "Ubuntu"
    private = client.images.list(private=True)["images"]
    assert SNAPSHOT in {i["id"] for i in private}
    updated = client.images.update(SNAPSHOT, {"name": "golden-web"})
    assert updated["image"]["name"] == "golden-web"
    assert client.images.delete(SNAPSHOT) is None
    assert client.images.get(SNAPSHOT)["id"] == "not_found"


def test_errors_reach_pydo(client: pydo.Client, sandbox: Sandbox) -> None:
    with pytest.raises(HttpResponseError) as raised:
        client.droplets.create(
            body={"name": "x", "region": "nyc3", "size": "nope", "image": "ubuntu-24-04-x64"}
        )
    assert raised.value.status_code == 422
    assert "invalid size" in raised.value.response.json()["message"]

    sandbox.world.faults.add(Fault(method="GET", path="/v2/droplets", status=500))
    with pytest.raises(HttpResponseError) as raised:
        client.droplets.list()
    assert raised.value.status_code == 500

    sandbox.world.faults.add(Fault(path="/v2/account", drop=True))
    with pytest.raises(ServiceResponseError):
        client.account.get()


def test_rate_limit_headers_reach_pydo(client: pydo.Client) -> None:
    headers = client.account.get(cls=lambda _pipeline, _body, response_headers: response_headers)
    assert headers["ratelimit-limit"] == 5000
    assert 0 < headers["ratelimit-remaining"] < 5000


def test_unsimulated_operations_through_pydo(client: pydo.Client) -> None:
    assert client.reserved_ips.list()["reserved_ips"] == []
    ip = client.reserved_ips.create({"region": "nyc3"})["reserved_ip"]["ip"]
    assert client.reserved_ips.get(ip)["reserved_ip"]["ip"] == ip
    assert client.reserved_ips.list()["meta"]["total"] == 1
    with pytest.raises(HttpResponseError) as raised:
        client.reserved_ips_actions.post(ip, {"type": "unassign"})
    assert raised.value.status_code == 501
    assert "does not simulate POST /v2/reserved_ips/{reserved_ip}/actions" in str(
        raised.value.response.json()["message"]
    )


def test_tag_names_with_colons_through_pydo(client: pydo.Client) -> None:
    assert client.tags.get("env:prod")["tag"]["name"] == "env:prod"
    assert client.tags.delete("env:prod") is None
    assert "env:prod" not in {t["name"] for t in client.tags.list()["tags"]}


def test_networking_through_pydo(client: pydo.Client) -> None:
    vpc = client.vpcs.create({"name": "pydo-net", "region": "nyc3"})["vpc"]
    assert client.vpcs.patch(vpc["id"], {"description": "d"})["vpc"]["description"] == "d"
    rule = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http"}
    rule["target_port"] = 80
    body = {"name": "pydo-lb", "region": "nyc3", "forwarding_rules": [rule], "tag": "web"}
    body["vpc_uuid"] = vpc["id"]
    lb = client.load_balancers.create(body)["load_balancer"]
    assert client.vpcs.list_members(vpc["id"], resource_type="loadbalancer")["meta"]["total"] == 1
    alt = {**rule, "entry_port": 8080}
    client.load_balancers.add_forwarding_rules(lb["id"], {"forwarding_rules": [alt]})
    assert len(client.load_balancers.get(lb["id"])["load_balancer"]["forwarding_rules"]) == 2
    with pytest.raises(HttpResponseError) as raised:
        client.vpcs.delete(vpc["id"])
    assert raised.value.status_code == 409
    client.load_balancers.delete(lb["id"])
    assert client.vpcs.delete(vpc["id"]) is None

    ssh = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
    firewall = client.firewalls.create({"name": "pydo-fw", "inbound_rules": [ssh]})["firewall"]
    client.firewalls.add_tags(firewall["id"], {"tags": ["env:prod"]})
    client.firewalls.assign_droplets(firewall["id"], {"droplet_ids": [501_000_101]})
    client.firewalls.delete_droplets(firewall["id"], {"droplet_ids": [501_000_101]})
    listed = client.droplets.list_firewalls(501_000_103)["firewalls"]
    assert [f["name"] for f in listed] == ["pydo-fw"]  # by its env:prod tag


def test_databases_through_pydo(client: pydo.Client) -> None:
    body = {"name": "pydo-db", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb"}
    cluster = client.databases.create_cluster({**body, "num_nodes": 1})["database"]
    db_id = cluster["id"]
    wait_until(lambda: client.databases.get_cluster(db_id)["database"]["status"] == "online")
    client.databases.add(db_id, {"name": "orders"})
    user = client.databases.add_user(db_id, {"name": "app"})["user"]
    pool = {"name": "orders", "mode": "transaction", "size": 10, "db": "orders", "user": "app"}
    made = client.databases.add_connection_pool(db_id, pool)["pool"]
    assert user["password"] in made["connection"]["uri"]
    client.databases.update_firewall_rules(
        db_id, {"rules": [{"type": "droplet", "value": "501000101"}]}
    )
    assert client.databases.list_firewall_rules(db_id)["rules"][0]["value"] == "501000101"
    client.databases.update_cluster_size(db_id, {"size": "db-s-2vcpu-4gb", "num_nodes": 2})
    assert client.databases.get_cluster(db_id)["database"]["status"] == "resizing"
    wait_until(lambda: client.databases.get_cluster(db_id)["database"]["num_nodes"] == 2)
    assert client.databases.list_backups(db_id)["backups"]
    assert client.databases.destroy_cluster(db_id) is None


def test_kubernetes_associated_resources_through_pydo(client: pydo.Client) -> None:
    pool = {"name": "pool", "size": "s-2vcpu-4gb", "count": 1}
    body = {"name": "pydo-k8s", "region": "nyc3", "version": "latest", "node_pools": [pool]}
    cluster_id = client.kubernetes.create_cluster(body)["kubernetes_cluster"]["id"]
    volume = {"name": "pvc-1", "region": "nyc3", "size_gigabytes": 5}
    volume_id = client.volumes.create({**volume, "tags": [f"k8s:{cluster_id}"]})["volume"]["id"]
    found = client.kubernetes.list_associated_resources(cluster_id)
    assert found["volumes"] == [{"id": volume_id, "name": "pvc-1"}]
    client.kubernetes.destroy_associated_resources_selective(cluster_id, {"volumes": [volume_id]})
    assert client.volumes.get(volume_id)["id"] == "not_found"
