"""What the agent pays for: the tools/list answer, measured in characters."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import anyio

from .config import Settings
from .server import all_tools, build_server


async def fetch_tool_list() -> dict[str, Any]:
    """The ``tools/list`` result exactly as a client receives it (JSON-ready)."""
    from mcp import Client

    async with Client(build_server(Settings(token="unused"))) as client:
        listed = await client.list_tools()
    return listed.model_dump(mode="json", by_alias=True, exclude_none=True)


def size_of(value: Any) -> int:
    """Characters of ``value`` as compact JSON, the way it travels."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def describe_tool_list(as_json: bool = False) -> str:
    listed = anyio.run(fetch_tool_list)
    if as_json:
        return json.dumps(listed, indent=2)
    specs = {spec.name: spec for spec in all_tools()}
    per_toolset: dict[str, int] = defaultdict(int)
    lines = []
    for tool in listed["tools"]:
        spec = specs[tool["name"]]
        size = size_of(tool)
        per_toolset[spec.toolset] += size
        summary = spec.description.split("\n\n")[0].replace("\n", " ").split(". ")[0]
        lines.append(f"{tool['name']:<16} {spec.access.value:<11} {size:>6}  {summary}")
    lines.append("")
    lines.extend(f"toolset {name:<10} {size:>6} characters" for name, size in per_toolset.items())
    lines.append(f"tools/list: {len(listed['tools'])} tools, {size_of(listed)} characters")
    return "\n".join(lines)
