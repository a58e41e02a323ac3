"""How much smaller CargoShipper's list answers are than the raw DigitalOcean JSON.

Starts a sandbox, fills it with 100 droplets, and compares the characters of
``GET /v2/droplets?per_page=100`` (the API's JSON) with the ``droplet_list`` tool's answer for
the same droplets (structured content, and the whole text block the model reads).
Run: .venv/bin/python bench/compact_ratio.py
"""

from __future__ import annotations

import json
import urllib.request

import anyio
from mcp import Client

from cargoshipper.config import Settings
from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server

TOKEN = "bench-token"


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


def fill(url: str, count: int) -> None:
    have = json.loads(_request(f"{url}/v2/droplets?per_page=1"))["meta"]["total"]
    names = [f"bench-{n:03d}" for n in range(count - have)]
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


async def measure(url: str) -> None:
    raw = _request(f"{url}/v2/droplets?per_page=100")
    settings = Settings(token=TOKEN, api_url=url)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("droplet_list", {"per_page": 100})
    structured = json.dumps(result.structured_content, separators=(",", ":"))
    text = result.content[0].text
    count = len(result.structured_content["items"])
    print(f"droplets: {count} items")
    print(f"  raw API JSON            {len(raw):>8} characters")
    for label, answer in (("structured", structured), ("text block", text)):
        ratio = len(answer) / len(raw)
        print(f"  droplet_list {label:<10} {len(answer):>8} characters  ratio {ratio:.1%}")
    for kind in ("volumes", "domain records", "kubernetes clusters"):
        print(f"{kind}: not measured yet (its toolset is not built)")


def main() -> None:
    with Sandbox(SandboxConfig(boot_seconds=0, action_seconds=0)) as sandbox:
        sandbox.world.account["droplet_limit"] = 200  # the seeded account allows 25
        fill(sandbox.url, 100)
        anyio.run(measure, sandbox.url)


if __name__ == "__main__":
    main()
