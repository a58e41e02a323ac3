"""The context an agent pays on every turn: tools/list stays within its budgets."""

from __future__ import annotations

import pytest

from cargoshipper.tool_list import (
    BUDGET_ALL,
    BUDGET_DEFAULT,
    BUDGET_TOOLSET,
    fetch_tool_list,
    size_of,
)

pytestmark = pytest.mark.anyio


def _largest(listed: dict) -> str:
    sizes = sorted(((size_of(tool), tool["name"]) for tool in listed["tools"]), reverse=True)
    return "ten largest tools: " + ", ".join(f"{name} {size}" for size, name in sizes[:10])


@pytest.mark.parametrize(
    ("toolsets", "budget"), [(("all",), BUDGET_ALL), (None, BUDGET_DEFAULT)], ids=["all", "default"]
)
async def test_tool_list_fits_the_budget(toolsets, budget):
    listed = await fetch_tool_list(toolsets)
    size = size_of(listed)
    print(
        f"tools/list ({'default' if toolsets is None else 'all'}): {size} chars; {_largest(listed)}"
    )
    assert size < budget, f"tools/list is {size} characters, over {budget}; {_largest(listed)}"


@pytest.mark.parametrize(("toolset", "budget"), sorted(BUDGET_TOOLSET.items()))
async def test_each_new_toolset_fits_its_budget(toolset, budget):
    listed = await fetch_tool_list((toolset,))
    assert listed["tools"], f"the {toolset} toolset lists no tool"
    size = size_of(listed)
    print(f"tools/list ({toolset}): {size} chars")
    assert size <= budget, f"{toolset}: {size} characters, over {budget}; {_largest(listed)}"


def _keys(schema):
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key != "properties":
                yield key
            yield from _keys(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _keys(item)


async def test_schemas_carry_no_generated_titles():
    listed = await fetch_tool_list()
    for tool in listed["tools"]:
        assert "title" not in set(_keys([tool["inputSchema"], tool.get("outputSchema")])), tool[
            "name"
        ]


def test_listing_tools_does_not_import_pydo():
    """pydo costs ~100 ms and 55 MiB to import; tools/list must not pay for it."""
    import subprocess
    import sys

    code = (
        "import sys, anyio\n"
        "from cargoshipper.tool_list import fetch_tool_list\n"
        "anyio.run(fetch_tool_list)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydo', 'azure')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
