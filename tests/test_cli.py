"""The `cargoshipper` command from a shell, as a user runs it."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

import httpx2
import pytest

from conftest import TEST_TOKEN
from helpers import legacy_initialize

CLEAN_ENV = {
    **{
        key: value
        for key, value in os.environ.items()
        if key not in ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_TOKEN")
    },
    "XDG_STATE_HOME": tempfile.mkdtemp(prefix="cargoshipper-test-state-"),  # the audit log
    "CARGOSHIPPER_RUNTIME_DIR": tempfile.mkdtemp(prefix="cargoshipper-test-run-"),  # pages
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cargoshipper", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=CLEAN_ENV if env is None else env,
        stdin=subprocess.DEVNULL,  # `serve` (stdio) ends at once
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command refused with exit 2 (no usage dump, no traceback)."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    return done.stderr


def test_call_droplet_create_on_the_sandbox_returns_an_active_droplet_with_ipv4():
    done = run(
        "call",
        "droplet_create",
        "name=web-1",
        "region=nyc3",
        "size=s-1vcpu-1gb",
        "image=ubuntu-24-04-x64",
        "--sandbox",
        "--confirm",
        "never",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    droplet = result["resources"][0]
    assert result["done"] is True and droplet["status"] == "active"
    assert droplet["public_ipv4"].count(".") == 3


def test_call_coerces_values_by_schema_and_accepts_json():
    done = run("call", "droplet_list", "per_page=1", "--json", '{"all_pages": false}', "--sandbox")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["items"]) == 1
    image = run("call", "image_get", "image=ubuntu-24-04-x64", "--sandbox")
    assert json.loads(image.stdout)["item"]["slug"] == "ubuntu-24-04-x64"


def test_call_exits_1_when_the_tool_answers_an_error():
    done = run("call", "droplet_get", "droplet_id=999999", "--sandbox")
    assert done.returncode == 1
    assert "does not exist" in json.loads(done.stdout)["error"]


def test_call_without_token_or_sandbox_says_how_to_fix_it():
    done = run("call", "account_get")
    assert done.returncode == 2
    assert "DIGITALOCEAN_TOKEN" in done.stderr and "--sandbox" in done.stderr


def test_serve_without_token_stops_at_once():
    done = run("serve")
    assert done.returncode == 2 and "DIGITALOCEAN_TOKEN" in done.stderr


def test_token_variables_are_read_in_the_documented_order():
    from cargoshipper.config import token_from_env

    env = {"DIGITALOCEAN_API_TOKEN": "c", "DIGITALOCEAN_ACCESS_TOKEN": "b"}
    assert token_from_env(env) == ("DIGITALOCEAN_ACCESS_TOKEN", "b")
    assert token_from_env({**env, "DIGITALOCEAN_TOKEN": "a"}) == ("DIGITALOCEAN_TOKEN", "a")
    assert token_from_env({}) is None


def test_unknown_tool_and_bad_arguments_are_clear():
    assert "no tool" in run("call", "droplet_explode", "--sandbox").stderr
    assert "not key=value" in run("call", "droplet_list", "oops", "--sandbox").stderr


def test_tools_lists_every_tool_and_the_size():
    done = run("tools")
    assert done.returncode == 0
    assert "droplet_create" in done.stdout
    assert "tools/list:" in done.stdout and "characters" in done.stdout
    listed = json.loads(run("tools", "--json").stdout)
    assert {tool["name"] for tool in listed["tools"]} >= {"droplet_list", "image_list"}


def test_help_on_every_command():
    for command in ([], ["serve"], ["call"], ["tools"], ["sandbox"]):
        done = run(*command, "--help")
        assert done.returncode == 0 and "usage:" in done.stdout


def test_token_never_printed_on_errors():
    env = {
        **CLEAN_ENV,
        "DIGITALOCEAN_TOKEN": TEST_TOKEN,
        "DIGITALOCEAN_API_URL": "http://127.0.0.1:9",
    }
    done = run("call", "account_get", env=env)
    assert done.returncode == 1
    assert TEST_TOKEN not in done.stdout + done.stderr


def test_call_of_a_destructive_tool_without_a_terminal_waits_for_approval():
    done = run(
        "call", "droplet_delete", "droplet_id=501000101", "--sandbox", "--approval-wait", "1"
    )
    assert done.returncode == 3  # nothing was done
    assert json.loads(done.stdout)["approval"]["status"] == "pending"
    assert "approval page" in done.stderr and "/r/" in done.stderr  # the person's link
    assert "--confirm never" in done.stderr
    forced = run(
        "call", "droplet_delete", "droplet_id=501000101", "--sandbox", "--confirm", "never"
    )
    assert forced.returncode == 0, forced.stdout
    assert json.loads(forced.stdout)["resources"] == [{"id": 501000101, "name": "app-1"}]


def test_call_of_a_tool_outside_the_enabled_toolsets_says_how_to_enable_it():
    done = run("call", "kubernetes_cluster_list", "--sandbox")
    assert done.returncode == 2 and "--toolsets kubernetes" in done.stderr
    assert "Traceback" not in done.stderr
    enabled = run("call", "kubernetes_cluster_list", "--sandbox", "--toolsets", "kubernetes")
    assert enabled.returncode == 0 and json.loads(enabled.stdout)["items"]


# -- flags: one line and exit 2 when wrong, never a traceback ---------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        ("--log-level", "debug", "serve", "--sandbox"),
        ("serve", "--sandbox", "--log-level", "Debug"),  # after the command, too
    ],
)
def test_log_level_in_any_case_before_or_after_the_command(flags):
    done = run(*flags)
    assert done.returncode == 0, done.stderr
    assert "DEBUG mcp" in done.stderr


@pytest.mark.parametrize(
    ("command", "named"),
    [
        ("--log-level loud tools", "--log-level"),
        ("serve --port 99999", "99999"),
        ("sandbox --port -1", "--port"),
        ("serve --sandbox --api-url http://127.0.0.1:9", "--sandbox"),
        ("serve --bulk-limit x", "--bulk-limit"),
        ("serve --sandbox --max-monthly-cost -1", "max monthly cost"),
        ("serve --approval-wait abc", "--approval-wait"),
        ("serve --max-sessions 0", "--max-sessions"),
        ("serve --session-idle-timeout -5", "--session-idle-timeout"),
        ("serve --call-budget abc", "--call-budget"),
        ("call account_get --call-budget 0", "--call-budget"),
        ("serve --transport pigeon", "--transport"),
        ("serve --transport http --public-url mcp.example.com", "--public-url"),
        ("serve --transport http --public-url https://x.example/?a=1", "--public-url"),
        ("serve --confirm maybe", "--confirm"),
        ("sandbox --boot-seconds -1", "--boot-seconds"),
        ("sandbox --rate-limit 0", "--rate-limit"),
        ("tools --toolsets bogus", "bogus"),
        ("serve --bogus", "--bogus"),
        ("frobnicate", "frobnicate"),
        ("", "COMMAND"),
    ],
)
def test_a_bad_flag_gets_one_line_and_exit_2(command, named):
    assert named in one_line_error(run(*command.split()))


def test_the_call_budget_env_variable_is_checked_too():
    env = {**CLEAN_ENV, "CARGOSHIPPER_CALL_BUDGET": "x"}
    done = run("call", "account_get", "--sandbox", env=env)
    assert "CARGOSHIPPER_CALL_BUDGET" in one_line_error(done)


def test_the_public_url_env_variable_is_checked_too():
    env = {**CLEAN_ENV, "CARGOSHIPPER_PUBLIC_URL": "ftp://mcp.example.com"}
    done = run("serve", "--transport", "http", "--sandbox", "--port", "0", env=env)
    assert "CARGOSHIPPER_PUBLIC_URL" in one_line_error(done)


@pytest.mark.parametrize("url", ["notaurl", "ftp://x", "http://"])
def test_a_malformed_api_url_is_refused_at_startup(url):
    env = {**CLEAN_ENV, "DIGITALOCEAN_TOKEN": TEST_TOKEN}
    assert url in one_line_error(run("call", "account_get", "--api-url", url, env=env))
    from_env = run("serve", env={**env, "DIGITALOCEAN_API_URL": url})
    assert "DIGITALOCEAN_API_URL" in one_line_error(from_env)


@pytest.mark.parametrize("command", [("serve", "--transport", "http", "--sandbox"), ("sandbox",)])
def test_a_busy_port_is_named_with_a_way_out(command):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        line = one_line_error(run(*command, "--port", str(port)))
    assert f"port {port}" in line and "in use" in line and "--port 0" in line


def test_serve_on_port_0_prints_the_port_it_bound_and_answers_there():
    command = [sys.executable, "-m", "cargoshipper", "serve", "--transport", "http"]
    server = subprocess.Popen(
        [*command, "--port", "0", "--sandbox"], stderr=subprocess.PIPE, text=True, env=CLEAN_ENV
    )
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:(\d+)/mcp", banner)
        assert url and url[1] != "0", banner
        answer = legacy_initialize(url[0])
        assert answer.status_code == 200 and "cargoshipper" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_call_takes_flags_and_key_value_pairs_in_any_order():
    done = run(
        "call", "droplet_list", "--sandbox", "per_page=1", "--confirm", "never", "all_pages=false"
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["items"]) == 1


def test_call_budget_hands_back_a_slow_create_unfinished():
    create = ("call", "droplet_create", "name=web-1", "region=nyc3", "size=s-1vcpu-1gb")
    create += ("image=ubuntu-24-04-x64", "--sandbox", "--confirm", "never")
    done = run(*create, "--call-budget", "0.2")  # the sandbox boots a Droplet in 3 s
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done"] is False
    from_env = run(*create, env={**CLEAN_ENV, "CARGOSHIPPER_CALL_BUDGET": "0.2"})
    assert json.loads(from_env.stdout)["done"] is False


def test_tools_previews_what_toolsets_and_read_only_list():
    listed = json.loads(run("tools", "--read-only", "--json").stdout)
    names = {tool["name"] for tool in listed["tools"]}
    assert "droplet_list" in names and not names & {"droplet_create", "droplet_delete"}
    *lines, total = run("tools", "--toolsets", "kubernetes", "--read-only").stdout.splitlines()
    assert lines and all(line.startswith("kubernetes_") for line in lines)
    assert all(line.split()[1] == "read" for line in lines)  # no create, no delete
    assert total.startswith(f"tools/list: {len(lines)} tools, ")


@pytest.mark.parametrize("entry", [("cargoshipper", "sandbox"), ("cargoshipper.sandbox",)])
def test_both_sandbox_entry_points_take_the_simulator_options(entry):
    options = ("--port", "0", "--empty", "--rate-limit", "7", "--boot-seconds", "0")
    server = subprocess.Popen(
        [sys.executable, "-m", *entry, *options, "--action-seconds", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=CLEAN_ENV,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]  # "... listening on http://127.0.0.1:N"
        answer = httpx2.get(f"{url}/v2/droplets", headers={"Authorization": "Bearer x"})
        assert answer.json()["droplets"] == [] and answer.headers["ratelimit-limit"] == "7"
    finally:
        server.terminate()
        server.wait(timeout=30)


def options_without_help(help_text: str) -> list[str]:
    """Option lines of ``--help`` with no text after them (on the line or indented below)."""
    lines = [*help_text.splitlines(), ""]
    return [
        line.strip()
        for line, after in itertools.pairwise(lines)
        if line.startswith("  -") and "  " not in line.strip() and not after.startswith(" " * 8)
    ]


@pytest.mark.parametrize(
    "command", [(), ("serve",), ("call",), ("tools",), ("audit",), ("approve",), ("sandbox",)]
)
def test_every_flag_has_help(command):
    done = run(*command, "--help")
    assert done.returncode == 0 and "--log-level" in done.stdout
    assert options_without_help(done.stdout) == []
