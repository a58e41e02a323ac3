"""The `cargoshipper` command from a shell, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from conftest import TEST_TOKEN

CLEAN_ENV = {
    **{
        key: value
        for key, value in os.environ.items()
        if key not in ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_TOKEN")
    },
    "XDG_STATE_HOME": tempfile.mkdtemp(prefix="cargoshipper-test-state-"),  # the audit log
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cargoshipper", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=CLEAN_ENV if env is None else env,
    )


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
