"""The MCP Inspector CLI, a third-party client with no elicitation, against `serve --sandbox`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
SERVER = [sys.executable, "-m", "cargoshipper", "serve", "--sandbox", "--audit-log", "off"]


def inspect(*args: str, era: str = "legacy", server_flags: tuple[str, ...] = ()) -> tuple[int, str]:
    if shutil.which("npx") is None:
        pytest.fail("npx is missing: install Node.js (the CI installs it)")
    command = [
        "npx",
        "-y",
        INSPECTOR,
        "--cli",
        "--protocol-era",
        era,
        *SERVER,
        *server_flags,
        *args,
        "-q",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout  # stderr may hold npm warnings


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_lists_and_calls_tools(era):
    code, out = inspect("--method", "tools/list", era=era)
    assert code == 0, out
    names = {tool["name"] for tool in json.loads(out)["tools"]}
    assert {"droplet_create", "api_call", "account_get"} <= names
    code, out = inspect(
        "--method",
        "tools/call",
        "--tool-name",
        "droplet_get",
        "--tool-arg",
        "droplet_id=501000101",
        era=era,
    )
    assert code == 0, out
    assert json.loads(out)["structuredContent"]["item"]["name"] == "app-1"


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_without_a_dialog_gets_pending_and_no_way_to_approve(era):
    code, out = inspect(
        "--method",
        "tools/call",
        "--tool-name",
        "droplet_delete",
        "--tool-arg",
        "droplet_id=501000101",
        era=era,
        server_flags=("--approval-wait", "1"),
    )
    assert code == 0, out  # a normal result: nothing was done, a person is asked
    result = json.loads(out)["structuredContent"]
    assert result["done"] is False and result["approval"]["status"] == "pending"
    assert "Delete 1 droplet: app-1 (501000101)." in result["approval"]["preview"]
    assert "token=" not in out
    assert "/r/" not in out
    assert "cargoshipper approve" not in out


def test_inspector_on_a_read_only_server():
    code, out = inspect("--method", "tools/list", server_flags=("--read-only",))
    assert code == 0, out
    names = {tool["name"] for tool in json.loads(out)["tools"]}
    assert "droplet_delete" not in names and "droplet_list" in names
    # (The Inspector itself refuses to call an unlisted tool; tests/trust covers the server's
    # own refusal of a hidden tool called anyway.)
