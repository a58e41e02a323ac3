"""Address allocation for Droplets: public and private IPv4, public IPv6."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ._models import JSON, Droplet

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


def assign_addresses(world: World, droplet: Droplet) -> None:
    """Give a booted Droplet its addresses (IPv6 only when the ``ipv6`` feature is on)."""
    if droplet.public_ipv4 is None:
        n = world.next_id("ipv4:" + droplet.region)
        prefix = _PUBLIC_PREFIX.get(droplet.region, "137.184")
        droplet.public_ipv4 = f"{prefix}.{16 + n // 250}.{2 + n % 250}"
    if droplet.private_ipv4 is None:
        vpc = world.vpcs.get(droplet.vpc_uuid)
        network = ipaddress.ip_network(vpc.ip_range if vpc else "10.10.0.0/20")
        n = world.next_id("private:" + droplet.vpc_uuid)
        droplet.private_ipv4 = str(network.network_address + 1 + n)
    if "ipv6" in droplet.features and droplet.public_ipv6 is None:
        n = world.next_id("ipv6")
        droplet.public_ipv6 = f"{_IPV6_PREFIX}::{n:x}:1001"


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
