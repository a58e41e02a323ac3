"""Networks: a region's VPCs, and addresses for Droplets and load balancers (IPv4 and IPv6)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ._api import unprocessable
from ._models import JSON, Droplet, Vpc

if TYPE_CHECKING:
    from ._state import World

# The first two octets of public IPv4 addresses handed out in each region.
_PUBLIC_PREFIX = {
    "nyc1": "104.236",
    "nyc3": "159.203",
    "sfo3": "164.90",
    "ams3": "188.166",
    "fra1": "164.92",
    "lon1": "178.62",
    "sgp1": "128.199",
    "tor1": "159.89",
    "blr1": "139.59",
    "syd1": "170.64",
}
_NETMASK_20 = "255.255.240.0"
_IPV6_PREFIX = "2604:a880:800:10"


def default_vpc(world: World, region: str) -> Vpc:
    """The default VPC of a region."""
    return next(v for v in world.vpcs.values() if v.region == region and v.default)


def region_vpc(world: World, value: Any, region: str, field: str = "vpc_uuid") -> str:
    """The id of the VPC a new resource of ``region`` joins: ``value`` (the body's ``field``), or
    the region's default when it is omitted; 422 for an unknown VPC or one of another region."""
    if value is None or value == "":
        return default_vpc(world, region).id
    vpc = world.vpcs.get(value) if isinstance(value, str) else None
    if vpc is None:
        raise unprocessable(f"invalid {field} {value!r}: no such VPC")
    if vpc.region != region:
        raise unprocessable(f"The VPC {vpc.name} is in {vpc.region}, not in {region}.")
    return vpc.id


def public_ipv4(world: World, region: str) -> str:
    """A fresh public IPv4 address of a region (Droplets, load balancers)."""
    n = world.next_id("ipv4:" + region)
    prefix = _PUBLIC_PREFIX.get(region, "137.184")
    return f"{prefix}.{16 + n // 250}.{2 + n % 250}"


def private_ipv4(world: World, vpc_uuid: str) -> str:
    """A fresh address in a VPC's range: .2 onwards (.1 is the gateway), wrapping in a small one."""
    vpc = world.vpcs.get(vpc_uuid)
    network = ipaddress.ip_network(vpc.ip_range if vpc else "10.10.0.0/20")
    n = world.next_id("private:" + vpc_uuid)
    return str(network.network_address + 2 + (n - 1) % max(1, network.num_addresses - 3))


def public_ipv6(world: World) -> str:
    """A fresh public IPv6 address."""
    return f"{_IPV6_PREFIX}::{world.next_id('ipv6'):x}:1001"


def assign_addresses(world: World, droplet: Droplet) -> None:
    """Give a booted Droplet its addresses (IPv6 only when the ``ipv6`` feature is on)."""
    if droplet.public_ipv4 is None:
        droplet.public_ipv4 = public_ipv4(world, droplet.region)
    if droplet.private_ipv4 is None:
        droplet.private_ipv4 = private_ipv4(world, droplet.vpc_uuid)
    if "ipv6" in droplet.features and droplet.public_ipv6 is None:
        droplet.public_ipv6 = public_ipv6(world)


def networks_json(world: World, droplet: Droplet) -> JSON:
    """The ``networks`` object of a Droplet."""
    v4: list[JSON] = []
    if droplet.private_ipv4:
        vpc = world.vpcs.get(droplet.vpc_uuid)
        network = ipaddress.ip_network(vpc.ip_range if vpc else "10.10.0.0/20")
        v4.append(
            {
                "ip_address": droplet.private_ipv4,
                "netmask": str(network.netmask),
                "gateway": str(network.network_address + 1),
                "type": "private",
            }
        )
    if droplet.public_ipv4:
        gateway = ".".join(droplet.public_ipv4.split(".")[:2]) + ".16.1"
        v4.append(
            {
                "ip_address": droplet.public_ipv4,
                "netmask": _NETMASK_20,
                "gateway": gateway,
                "type": "public",
            }
        )
    v6: list[JSON] = []
    if droplet.public_ipv6:
        v6.append(
            {
                "ip_address": droplet.public_ipv6,
                "netmask": 64,
                "gateway": f"{_IPV6_PREFIX}::1",
                "type": "public",
            }
        )
    return {"v4": v4, "v6": v6}
