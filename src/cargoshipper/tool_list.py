"""What the agent pays for: the tools/list answer, measured in characters."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import anyio

from .config import Settings
from .server import all_tools, build_server
from .tools import TOOLSETS

#: The budgets a test enforces (tests/test_context_budget.py). Every toolset together stays far
#: below the official DigitalOcean MCP server's ~41,000 tokens (~160,000 characters).
BUDGET_ALL = 70_000
BUDGET_DEFAULT = 30_000
#: Toolsets added since the budgets were set each cost at most this much.
BUDGET_TOOLSET = {
    "vpcs": 5_000,
    "firewalls": 5_000,
    "load_balancers": 5_000,
    "databases": 6_000,
    "projects": 5_000,
    "monitoring": 5_000,
}


async def fetch_tool_list(
    toolsets: tuple[str, ...] | None = ("all",), read_only: bool = False
) -> dict[str, Any]:
    """The ``tools/list`` result exactly as a client receives it (JSON-ready)."""
    from mcp import Client

    settings = Settings(token="unused", toolsets=toolsets, read_only=read_only, confirm="never")
    async with Client(build_server(settings)) as client:
        listed = await client.list_tools()
    return listed.model_dump(mode="json", by_alias=True, exclude_none=True)


def size_of(value: Any) -> int:
    """Characters of ``value`` as compact JSON, the way it travels."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def tool_line(tool: dict[str, Any], spec: Any) -> str:
    """One line per tool: name, access, characters, the first sentence of its description."""
    summary = spec.description.split("\n\n")[0].replace("\n", " ").split(". ")[0]
    return f"{tool['name']:<16} {spec.access.value:<11} {size_of(tool):>6}  {summary}"


def describe_preview(toolsets: tuple[str, ...] | None, read_only: bool, as_json: bool) -> str:
    """What a server started with these ``--toolsets`` / ``--read-only`` would list."""
    listed = anyio.run(fetch_tool_list, toolsets, read_only)
    if as_json:
        return json.dumps(listed, indent=2)
    specs = {spec.name: spec for spec in all_tools()}
    lines = [tool_line(tool, specs[tool["name"]]) for tool in listed["tools"]]
    lines.append(f"tools/list: {len(listed['tools'])} tools, {size_of(listed)} characters")
    return "\n".join(lines)


def describe_tool_list(as_json: bool = False) -> str:
    everything = anyio.run(fetch_tool_list, ("all",))
    if as_json:
        return json.dumps(everything, indent=2)
    default = anyio.run(fetch_tool_list, None)
    specs = {spec.name: spec for spec in all_tools()}
    per_toolset: dict[str, int] = defaultdict(int)
    lines = []
    for tool in everything["tools"]:
        spec = specs[tool["name"]]
        per_toolset[spec.toolset] += size_of(tool)
        lines.append(tool_line(tool, spec))
    lines.append("")
    for toolset in TOOLSETS:
        mark = "default" if toolset.default else "opt-in"
        lines.append(
            f"toolset {toolset.name:<10} {mark:<8} {per_toolset[toolset.name]:>6} characters"
        )
    lines.append(
        f"tools/list, default toolsets: {len(default['tools'])} tools, {size_of(default)} "
        f"characters (budget {BUDGET_DEFAULT:,})"
    )
    lines.append(
        f"tools/list: {len(everything['tools'])} tools, {size_of(everything)} characters "
        f"with every toolset (budget {BUDGET_ALL:,})"
    )
    return "\n".join(lines)
