"""How VPCs, firewalls and load balancers behave: lifecycles, resets, tags, refusals, ids."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from cargoshipper.sandbox import Sandbox, SandboxConfig, World

from ._client import Api, Exchange, FakeClock

WEB_1, WEB_2, DB_1 = 501_000_101, 501_000_102, 501_000_103
LBS, FIREWALLS, VPCS = "/v2/load_balancers", "/v2/firewalls", "/v2/vpcs"
HTTP = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}
ALT = {**HTTP, "entry_port": 8080, "target_port": 8080}
LB = {"name": "web-lb", "region": "nyc3", "forwarding_rules": [HTTP], "droplet_ids": [WEB_1]}
SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
OUT = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
DROPLET = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[Sandbox, FakeClock]]:
    clock = FakeClock()
    with Sandbox(world=World(SandboxConfig(), clock=clock)) as sb:
        yield sb, clock


@pytest.fixture
def sim(clocked: tuple[Sandbox, FakeClock]) -> tuple[Api, FakeClock]:
    """A client on a sandbox whose clock only moves when told (3 s boots, 1.5 s actions)."""
    sb, clock = clocked
    sb.world.reset()
    return Api(sb.url), clock


def _lb(api: Api, lb_id: str) -> dict:
    return api.get(f"{LBS}/{lb_id}").json["load_balancer"]


def _create_lb(api: Api, **changes: object) -> dict:
    answer = api.post(LBS, {**LB, **changes})
    assert answer.status == 202, answer.json
    return answer.json["load_balancer"]


def _tag(api: Api, tag: str, droplet_id: int, untag: bool = False) -> None:
    body = {"resources": [{"resource_id": str(droplet_id), "resource_type": "droplet"}]}
    answer = api.call("DELETE" if untag else "POST", f"/v2/tags/{tag}/resources", body)
    assert answer.status == 204


def _default_vpc(api: Api, region: str = "nyc3") -> dict:
    vpcs = api.get(VPCS, query={"per_page": 200}).json["vpcs"]
    return next(v for v in vpcs if v["region"] == region and v["default"])


def _error(answer: Exchange, status: int) -> str:
    """The message of an error answer with this status."""
    assert answer.status == status, answer.json
    return answer.json["message"]


# --- load balancers ----------------------------------------------------------------------------


def test_load_balancer_is_new_then_active_with_an_ip(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    lb = _create_lb(api)
    assert (lb["status"], lb["ip"]) == ("new", "")
    clock.advance(2.9)
    assert _lb(api, lb["id"])["status"] == "new"
    clock.advance(0.2)
    active = _lb(api, lb["id"])
    assert active["status"] == "active"
    assert ipaddress.ip_address(active["ip"]).is_global


def test_load_balancer_defaults(api: Api) -> None:
    lb = _create_lb(api)
    assert lb["vpc_uuid"] == _default_vpc(api)["id"]
    assert lb["size_unit"] == 1 and lb["algorithm"] == "round_robin"
    assert lb["health_check"] == {
        "protocol": "http",
        "port": 80,
        "path": "/",
        "check_interval_seconds": 10,
        "response_timeout_seconds": 5,
        "healthy_threshold": 3,
        "unhealthy_threshold": 5,
    }
    assert lb["sticky_sessions"] == {"type": "none"}
    assert lb["firewall"] == {"allow": [], "deny": []}
    assert lb["http_idle_timeout_seconds"] == 60 and lb["tag"] == ""
    assert lb["forwarding_rules"] == [{**HTTP, "certificate_id": "", "tls_passthrough": False}]
    flags = ("redirect_http_to_https", "enable_proxy_protocol", "enable_backend_keepalive")
    assert not any(lb[flag] for flag in flags)
    assert lb["network"] == "EXTERNAL" and lb["region"]["slug"] == "nyc3"


def test_put_resets_everything_it_omits(api: Api) -> None:
    custom = {
        "size_unit": 3,
        "forwarding_rules": [HTTP, ALT],
        "droplet_ids": [WEB_1, WEB_2],
        "health_check": {"protocol": "tcp", "port": 22},
        "sticky_sessions": {"type": "cookies", "cookie_name": "S", "cookie_ttl_seconds": 60},
        "firewall": {"deny": ["ip:1.2.3.4"]},
        "redirect_http_to_https": True,
        "enable_backend_keepalive": True,
        "http_idle_timeout_seconds": 300,
    }
    lb = _create_lb(api, **custom)
    renamed = api.put(f"{LBS}/{lb['id']}", {"name": "renamed", "forwarding_rules": [HTTP]})
    assert renamed.status == 200
    after = renamed.json["load_balancer"]
    defaults = _create_lb(api, name="fresh", droplet_ids=[])
    for key in ("health_check", "sticky_sessions", "firewall", "size_unit", "droplet_ids"):
        assert after[key] == defaults[key], key
    assert not after["redirect_http_to_https"] and not after["enable_backend_keepalive"]
    assert after["http_idle_timeout_seconds"] == 60
    assert [rule["entry_port"] for rule in after["forwarding_rules"]] == [80]  # 8080 is gone
    assert after["name"] == "renamed" and after["vpc_uuid"] == lb["vpc_uuid"]


def test_put_without_forwarding_rules_is_refused_and_changes_nothing(api: Api) -> None:
    lb = _create_lb(api, forwarding_rules=[HTTP, ALT])
    body = {k: v for k, v in LB.items() if k != "forwarding_rules"}
    assert "forwarding_rules" in _error(api.put(f"{LBS}/{lb['id']}", body), 422)
    assert _lb(api, lb["id"])["forwarding_rules"] == lb["forwarding_rules"]


def test_tagged_load_balancer_follows_the_tag(api: Api) -> None:
    lb = _create_lb(api, droplet_ids=None, tag="web")
    assert lb["tag"] == "web" and lb["droplet_ids"] == [WEB_1, WEB_2]
    _tag(api, "web", DB_1)
    assert _lb(api, lb["id"])["droplet_ids"] == [WEB_1, WEB_2, DB_1]
    _tag(api, "web", WEB_1, untag=True)
    assert api.delete(f"/v2/droplets/{WEB_2}").status == 204
    assert _lb(api, lb["id"])["droplet_ids"] == [DB_1]
    refused = api.post(f"{LBS}/{lb['id']}/droplets", {"droplet_ids": [WEB_1]})
    assert "tagged web" in _error(refused, 422)


def test_droplet_ids_or_tag_not_both(api: Api) -> None:
    message = _error(api.post(LBS, {**LB, "tag": "web"}), 422)
    assert "droplet_ids and tag are mutually exclusive" in message
    assert api.get(LBS).json["meta"]["total"] == 0


def test_listed_droplets_are_added_and_removed(api: Api) -> None:
    lb = _create_lb(api)
    path = f"{LBS}/{lb['id']}/droplets"
    assert api.post(path, {"droplet_ids": [DB_1, WEB_1]}).status == 204
    assert _lb(api, lb["id"])["droplet_ids"] == [WEB_1, DB_1]
    assert api.delete(path, {"droplet_ids": [WEB_1]}).status == 204
    assert _lb(api, lb["id"])["droplet_ids"] == [DB_1]
    assert "Droplet 7 does not exist" in _error(api.post(path, {"droplet_ids": [7]}), 422)


def test_forwarding_rules_are_added_and_removed(api: Api) -> None:
    lb = _create_lb(api)
    path = f"{LBS}/{lb['id']}/forwarding_rules"
    assert api.post(path, {"forwarding_rules": [ALT]}).status == 204
    assert [r["entry_port"] for r in _lb(api, lb["id"])["forwarding_rules"]] == [80, 8080]
    assert api.post(path, {"forwarding_rules": [ALT]}).status == 204  # already there
    clash = api.post(path, {"forwarding_rules": [{**ALT, "target_port": 9090}]})
    assert "entry_port 8080 is used by more than one" in _error(clash, 422)
    assert api.delete(path, {"forwarding_rules": [HTTP]}).status == 204
    assert [r["entry_port"] for r in _lb(api, lb["id"])["forwarding_rules"]] == [8080]
    last = api.delete(path, {"forwarding_rules": [ALT]})
    assert "at least one forwarding rule" in _error(last, 422)


HTTPS = {**HTTP, "entry_protocol": "https", "entry_port": 443}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (HTTPS, "certificate_id is required for an https entry_protocol"),
        ({**HTTPS, "entry_protocol": "http3"}, "certificate_id is required for an http3"),
        ({**HTTPS, "tls_passthrough": True}, "tls_passthrough needs https as both"),
        ({**HTTPS, "certificate_id": "c", "tls_passthrough": True}, "mutually exclusive"),
        ({**HTTP, "target_protocol": "udp"}, "udp forwarding rules"),
        ({**HTTP, "entry_port": 70000}, "entry_port must be an integer from 1 to 65535"),
        ({**HTTP, "entry_protocol": "ftp"}, "entry_protocol must be one of"),
    ],
)
def test_forwarding_rule_validation(api: Api, rule: dict, message: str) -> None:
    assert message in _error(api.post(LBS, {**LB, "forwarding_rules": [rule]}), 422)


def test_tls_rules_that_are_accepted(api: Api) -> None:
    rules = [
        {**HTTPS, "certificate_id": "892071a0-bb95-49bc-8021-3afd67a210bf"},
        {**HTTPS, "entry_port": 444, "target_protocol": "https", "tls_passthrough": True},
    ]
    assert len(_create_lb(api, forwarding_rules=rules)["forwarding_rules"]) == 2


# --- firewalls ---------------------------------------------------------------------------------


def _firewall(api: Api, **changes: object) -> dict:
    answer = api.post(FIREWALLS, {"name": "edge", "inbound_rules": [SSH], **changes})
    assert answer.status == 202, answer.json
    return answer.json["firewall"]


def _firewalls_of(api: Api, droplet_id: int) -> list[str]:
    return [f["name"] for f in api.get(f"/v2/droplets/{droplet_id}/firewalls").json["firewalls"]]


def test_firewall_is_waiting_then_succeeded(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    made = _firewall(api, droplet_ids=[WEB_1])
    assert made["status"] == "waiting"
    assert made["pending_changes"] == [
        {"droplet_id": WEB_1, "removing": False, "status": "waiting"}
    ]
    clock.advance(1.5)
    settled = api.get(f"{FIREWALLS}/{made['id']}").json["firewall"]
    assert (settled["status"], settled["pending_changes"]) == ("succeeded", [])
    removed = {"droplet_ids": [WEB_1]}
    assert api.delete(f"{FIREWALLS}/{made['id']}/droplets", removed).status == 204
    changing = api.get(f"{FIREWALLS}/{made['id']}").json["firewall"]
    assert changing["status"] == "waiting"
    assert changing["pending_changes"] == [
        {"droplet_id": WEB_1, "removing": True, "status": "waiting"}
    ]


def test_firewall_tags_follow_tagging(api: Api) -> None:
    fw = _firewall(api, tags=["web"])
    assert fw["droplet_ids"] == []  # only Droplets assigned by id are listed
    assert (_firewalls_of(api, WEB_1), _firewalls_of(api, DB_1)) == (["edge"], [])
    _tag(api, "web", DB_1)
    assert _firewalls_of(api, DB_1) == ["edge"]
    _tag(api, "web", WEB_1, untag=True)
    assert _firewalls_of(api, WEB_1) == []
    assert api.delete(f"{FIREWALLS}/{fw['id']}/tags", {"tags": ["web"]}).status == 204
    assert _firewalls_of(api, DB_1) == []


def test_firewall_put_replaces_everything(api: Api) -> None:
    fw = _firewall(api, droplet_ids=[WEB_1], tags=["db"], outbound_rules=[OUT])
    answer = api.put(f"{FIREWALLS}/{fw['id']}", {"name": "edge-2", "inbound_rules": [SSH]})
    replaced = answer.json["firewall"]
    assert (replaced["droplet_ids"], replaced["tags"], replaced["outbound_rules"]) == ([], [], [])
    assert _firewalls_of(api, WEB_1) == []


def test_ports_are_written_as_the_api_does(api: Api) -> None:
    everything = {"protocol": "udp", "ports": "all", "sources": {"addresses": ["::/0"]}}
    ping = {"protocol": "icmp", "sources": {"droplet_ids": [DB_1]}}
    fw = _firewall(api, inbound_rules=[SSH, everything, ping])
    assert [rule["ports"] for rule in fw["inbound_rules"]] == ["22", "0", "0"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({**SSH, "protocol": "sctp"}, 'invalid protocol "sctp"'),
        ({**SSH, "ports": "8000-7000"}, 'invalid ports "8000-7000"'),
        ({**SSH, "ports": "65536"}, 'invalid ports "65536"'),
        ({**SSH, "ports": None}, "ports is required for tcp rules"),
        ({**SSH, "protocol": "icmp"}, "ports can not be given for icmp rules"),
        ({**SSH, "sources": {}}, "sources must name at least one of"),
        ({**SSH, "sources": {"addresses": ["300.1.1.1"]}}, 'sources.addresses entry: "300.1.1.1"'),
        ({**SSH, "sources": {"droplet_ids": [7]}}, "sources.droplet_ids entry: 7"),
    ],
)
def test_firewall_rule_validation(api: Api, rule: dict, message: str) -> None:
    answer = api.post(FIREWALLS, {"name": "edge", "inbound_rules": [rule]})
    assert answer.json["id"] == "unprocessable_entity"
    assert message in _error(answer, 422)


def test_firewall_rules_may_name_load_balancers_and_clusters(api: Api) -> None:
    lb = _create_lb(api)
    cluster = api.get("/v2/kubernetes/clusters").json["kubernetes_clusters"][0]["id"]
    sources = {"load_balancer_uids": [lb["id"]], "kubernetes_ids": [cluster]}
    fw = _firewall(api, inbound_rules=[{**SSH, "sources": sources}])
    assert fw["inbound_rules"][0]["sources"] == sources


def test_rules_are_added_once_and_removed_in_any_order(api: Api) -> None:
    fw = _firewall(api)
    two = {**SSH, "sources": {"addresses": ["10.0.0.0/8", "192.168.0.0/16"]}}
    path = f"{FIREWALLS}/{fw['id']}/rules"
    assert api.post(path, {"inbound_rules": [two, SSH]}).status == 204
    reversed_ = {**two, "sources": {"addresses": ["192.168.0.0/16", "10.0.0.0/8"]}}
    assert api.delete(path, {"inbound_rules": [reversed_]}).status == 204
    assert api.get(f"{FIREWALLS}/{fw['id']}").json["firewall"]["inbound_rules"] == [SSH]


def test_duplicate_firewall_name_is_a_conflict(api: Api) -> None:
    _firewall(api)
    again = api.post(FIREWALLS, {"name": "edge", "inbound_rules": [SSH]})
    assert "duplicate name" in _error(again, 409)


# --- VPCs --------------------------------------------------------------------------------------


def _vpc(api: Api, name: str = "app-net", **changes: object) -> dict:
    answer = api.post(VPCS, {"name": name, "region": "nyc3", **changes})
    assert answer.status == 201, answer.json
    return answer.json["vpc"]


def test_new_vpcs_get_free_ranges_and_are_not_default(api: Api) -> None:
    first, second = _vpc(api), _vpc(api, "other-net")
    ranges = [ipaddress.ip_network(v["ip_range"]) for v in (first, second)]
    assert all(r.prefixlen == 20 for r in ranges) and not ranges[0].overlaps(ranges[1])
    taken = [ipaddress.ip_network(v["ip_range"]) for v in api.get(VPCS).json["vpcs"]]
    assert sum(r.overlaps(ranges[0]) for r in taken) == 1
    assert not first["default"] and first["urn"] == f"do:vpc:{first['id']}"


def test_overlapping_ranges_are_refused_naming_the_other_vpc(api: Api) -> None:
    default = _default_vpc(api)
    inside = str(next(ipaddress.ip_network(default["ip_range"]).subnets(new_prefix=24)))
    message = _error(api.post(VPCS, {"name": "x", "region": "fra1", "ip_range": inside}), 422)
    assert default["name"] in message and default["ip_range"] in message


def test_droplets_in_a_new_vpc_are_its_members(sim: tuple[Api, FakeClock]) -> None:
    api, clock = sim
    vpc = _vpc(api, ip_range="10.20.0.0/24")
    made = api.post("/v2/droplets", {**DROPLET, "name": "inner", "vpc_uuid": vpc["id"]})
    droplet_id = made.json["droplet"]["id"]
    clock.advance(3)
    networks = api.get(f"/v2/droplets/{droplet_id}").json["droplet"]["networks"]["v4"]
    private = next(n["ip_address"] for n in networks if n["type"] == "private")
    assert ipaddress.ip_address(private) in ipaddress.ip_network("10.20.0.0/24")
    members = api.get(f"{VPCS}/{vpc['id']}/members").json["members"]
    assert [(m["urn"], m["name"]) for m in members] == [(f"do:droplet:{droplet_id}", "inner")]


def test_members_filter_by_resource_type(api: Api) -> None:
    default = _default_vpc(api)
    lb = _create_lb(api)

    def urns(kind: str | None) -> list[str]:
        query = {"resource_type": kind} if kind else {}
        found = api.get(f"{VPCS}/{default['id']}/members", query=query).json["members"]
        return [m["urn"].split(":")[1] for m in found]

    assert sorted(set(urns(None))) == ["droplet", "kubernetes", "loadbalancer"]
    assert urns("droplet") == ["droplet"] * 3
    assert urns("load_balancer") == urns("loadbalancer") == ["loadbalancer"]
    assert urns("kubernetes") == ["kubernetes"]
    assert f"do:loadbalancer:{lb['id']}" in str(api.get(f"{VPCS}/{default['id']}/members").json)


def test_a_vpc_with_members_is_not_deleted_and_they_are_named(api: Api) -> None:
    vpc = _vpc(api)
    made = api.post("/v2/droplets", {**DROPLET, "name": "inner", "vpc_uuid": vpc["id"]})
    droplet_id = made.json["droplet"]["id"]
    lb = _create_lb(api, name="inner-lb", droplet_ids=[droplet_id], vpc_uuid=vpc["id"])
    refused = api.delete(f"{VPCS}/{vpc['id']}")
    message = _error(refused, 409)
    assert refused.json["id"] == "conflict" and "Can not delete VPC with members" in message
    assert f"inner (do:droplet:{droplet_id})" in message
    assert f"inner-lb (do:loadbalancer:{lb['id']})" in message
    assert api.delete(f"{LBS}/{lb['id']}").status == 204
    assert api.delete(f"/v2/droplets/{droplet_id}").status == 204
    assert api.delete(f"{VPCS}/{vpc['id']}").status == 204
    assert api.get(f"{VPCS}/{vpc['id']}").status == 404


def test_the_default_vpc_is_not_deleted(api: Api) -> None:
    old = _default_vpc(api, "fra1")
    refused = api.delete(f"{VPCS}/{old['id']}")
    assert refused.json["id"] == "forbidden" and "default VPC" in _error(refused, 403)
    new = _vpc(api, "fra1-net", region="fra1")
    unset = api.call("PATCH", f"{VPCS}/{old['id']}", {"default": False})
    assert "can not be unset" in _error(unset, 422)
    assert api.call("PATCH", f"{VPCS}/{new['id']}", {"default": True}).json["vpc"]["default"]
    assert _default_vpc(api, "fra1")["id"] == new["id"]
    assert api.delete(f"{VPCS}/{new['id']}").status == 403
    assert api.delete(f"{VPCS}/{old['id']}").status == 204


def test_put_and_patch(api: Api) -> None:
    vpc = _vpc(api, description="first")
    path = f"{VPCS}/{vpc['id']}"
    patched = api.call("PATCH", path, {"description": "second"}).json["vpc"]
    assert (patched["name"], patched["description"]) == ("app-net", "second")
    assert "name is required" in _error(api.put(path, {"description": "third"}), 422)
    put = api.put(path, {"name": "renamed"}).json["vpc"]
    assert (put["name"], put["description"]) == ("renamed", "second")
    assert "already exists" in _error(api.put(path, {"name": "default-nyc3"}), 409)


# --- ids, percent-decoding, reset ---------------------------------------------------------------


@pytest.mark.parametrize("collection", [VPCS, FIREWALLS, LBS])
@pytest.mark.parametrize("bad", ["not-a-uuid", "12345", "%2E%2E", "00000000-0000-4000-8000-0"])
def test_bad_ids_are_not_found(api: Api, collection: str, bad: str) -> None:
    answer = api.get(f"{collection}/{bad}")
    assert (answer.status, answer.json["id"]) == (404, "not_found")


def test_ids_and_tags_are_percent_decoded(api: Api) -> None:
    lb = _create_lb(api, droplet_ids=None, tag="env:prod")
    assert lb["droplet_ids"] == [WEB_1, WEB_2, DB_1]
    encoded = lb["id"].replace("-", "%2D")
    assert api.get(f"{LBS}/{encoded}").json["load_balancer"]["tag"] == "env:prod"
    fw = _firewall(api, tags=["env:prod"])
    assert api.get(f"{FIREWALLS}/{fw['id'].replace('-', '%2d')}").status == 200
    vpc = _default_vpc(api)
    assert api.get(f"{VPCS}/{vpc['id'].replace('-', '%2D')}/members").status == 200
    assert _firewalls_of(api, DB_1) == ["edge"]


def test_reset_forgets_networking(api: Api, sandbox: Sandbox) -> None:
    _create_lb(api)
    _firewall(api)
    _vpc(api)
    sandbox.world.reset()
    assert api.get(LBS).json["meta"]["total"] == 0
    assert api.get(FIREWALLS).json["meta"]["total"] == 0
    assert api.get(VPCS).json["meta"]["total"] == 10  # the default VPC of each region
