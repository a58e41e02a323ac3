"""How much smaller CargoShipper's list answers are than the raw DigitalOcean JSON.

Starts a sandbox, fills it with 100 droplets, 100 volumes, 100 DNS records and 100 Kubernetes
clusters, then compares for each the characters of the API's JSON for one page of 100 with the
list tool's answer for the same items (its structured content, and the text block the model
reads). The target is under 15 % for droplets.
Run: .venv/bin/python bench/compact_ratio.py
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import anyio
from mcp import Client

from cargoshipper.config import Settings
from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server

TOKEN = "bench-token"
COUNT = 100


def _request(url: str, method: str = "GET", body: dict | None = None) -> str:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


def _total(url: str, path: str, key: str = "meta") -> int:
    return json.loads(_request(f"{url}{path}?per_page=1"))[key]["total"]


def fill_droplets(url: str) -> None:
    names = [f"bench-{n:03d}" for n in range(COUNT - _total(url, "/v2/droplets"))]
    for start in range(0, len(names), 10):
        body = {
            "names": names[start : start + 10],
            "region": "nyc3",
            "size": "s-1vcpu-1gb",
            "image": "ubuntu-24-04-x64",
            "tags": ["bench"],
            "ipv6": True,
        }
        _request(f"{url}/v2/droplets", "POST", body)


def fill_volumes(url: str) -> None:
    for n in range(COUNT - _total(url, "/v2/volumes")):
        body = {
            "name": f"vol-{n:03d}",
            "region": "nyc3",
            "size_gigabytes": 10 + n,
            "filesystem_type": "ext4",
            "tags": ["bench"],
        }
        _request(f"{url}/v2/volumes", "POST", body)


def fill_records(url: str) -> None:
    for n in range(COUNT - _total(url, "/v2/domains/example.com/records")):
        body = {"type": "A", "name": f"host-{n:03d}", "data": f"203.0.113.{n % 250}", "ttl": 1800}
        _request(f"{url}/v2/domains/example.com/records", "POST", body)


def fill_clusters(url: str) -> None:
    for n in range(COUNT - _total(url, "/v2/kubernetes/clusters")):
        body = {
            "name": f"k8s-{n:03d}",
            "region": "nyc3",
            "version": "latest",
            "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 3}],
        }
        _request(f"{url}/v2/kubernetes/clusters", "POST", body)


KINDS: list[tuple[str, Callable[[str], None], str, str, dict]] = [
    ("droplets", fill_droplets, "/v2/droplets", "droplet_list", {}),
    ("volumes", fill_volumes, "/v2/volumes", "volume_list", {}),
    (
        "DNS records",
        fill_records,
        "/v2/domains/example.com/records",
        "domain_record_list",
        {"domain": "example.com"},
    ),
    (
        "Kubernetes clusters",
        fill_clusters,
        "/v2/kubernetes/clusters",
        "kubernetes_cluster_list",
        {},
    ),
]


async def measure(url: str) -> None:
    settings = Settings(token=TOKEN, api_url=url, toolsets=("all",))
    async with Client(build_server(settings)) as client:
        for kind, _, path, tool, arguments in KINDS:
            raw = _request(f"{url}{path}?per_page={COUNT}")
            result = await client.call_tool(tool, {**arguments, "per_page": COUNT})
            assert not result.is_error, result.content
            structured = json.dumps(result.structured_content, separators=(",", ":"))
            text = result.content[0].text
            print(
                f"{kind}: {len(result.structured_content['items'])} items, "
                f"raw API JSON {len(raw)} characters"
            )
            for label, answer in (("structured", structured), ("text block", text)):
                print(
                    f"  {tool} {label:<10} {len(answer):>8} characters  "
                    f"ratio {len(answer) / len(raw):.1%}"
                )


def main() -> None:
    with Sandbox(SandboxConfig(boot_seconds=0, action_seconds=0)) as sandbox:
        sandbox.world.account["droplet_limit"] = 1000  # the seeded account allows 25
        for _, fill, *_ in KINDS:
            fill(sandbox.url)
        anyio.run(measure, sandbox.url)


if __name__ == "__main__":
    main()
