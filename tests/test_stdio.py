"""A real `cargoshipper serve --sandbox` subprocess, spoken to over stdio in both eras."""

from __future__ import annotations

import sys

import pytest
from mcp import Client, StdioServerParameters

from helpers import call_ok

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_session_lists_and_calls_tools(mode):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "cargoshipper", "serve", "--sandbox"]
    )
    async with Client(params, mode=mode, read_timeout_seconds=60) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"droplet_create", "droplet_list", "account_get"} <= names
        account = await call_ok(client, "account_get")
        assert account["item"]["email"] == "sammy@example.com"
        droplets = await call_ok(client, "droplet_list", per_page=1)
        assert droplets["has_more"] is True
