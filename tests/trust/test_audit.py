"""The audit log: intent and outcome lines for every change, readable, with no secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest

from cargoshipper.sandbox import Fault
from conftest import TEST_TOKEN, connect
from helpers import Dialog, call_error, call_ok

pytestmark = pytest.mark.anyio

CREATE = dict(region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", wait=False)


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_every_change_has_an_intent_and_an_outcome(sandbox, era, tmp_path):
    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, era, Dialog("accept"), audit_log=log) as client:
        await call_ok(client, "droplet_list")  # reads are not audited
        created = await call_ok(
            client,
            "droplet_create",
            name="audited-1",
            user_data="#!/bin/sh\necho s3cr3t-in-user-data",
            **CREATE,
        )
        await call_ok(client, "droplet_delete", droplet_id=501_000_101)
        await call_error(client, "droplet_create", name="bad-1", **{**CREATE, "size": "nope"})

    lines = [line for line in records(log) if line["event"] != "pending"]
    assert [line["tool"] for line in lines] == ["droplet_create"] * 2 + ["droplet_delete"] * 2 + [
        "droplet_create"
    ] * 2
    intents = [line for line in lines if line["event"] == "intent"]
    outcomes = {line["call_id"]: line for line in lines if line["event"] == "outcome"}
    assert len(intents) == 3 and set(outcomes) == {line["call_id"] for line in intents}

    create_intent, delete_intent, bad_intent = intents
    create_outcome = outcomes[create_intent["call_id"]]
    assert create_outcome["outcome"] == "ok" and create_outcome["request_ids"]
    assert create_outcome["created"] == [{"id": created["resources"][0]["id"], "name": "audited-1"}]
    assert create_intent["arguments"]["user_data"].startswith("<redacted")

    assert create_intent["approval"]["by"] == "dialog"
    assert delete_intent["approval"]["by"] == "dialog"
    assert delete_intent["deleted"] == [{"kind": "droplet", "id": 501000101, "name": "app-1"}]
    assert outcomes[delete_intent["call_id"]]["outcome"] == "ok"

    bad = outcomes[bad_intent["call_id"]]
    assert bad["outcome"] == "error" and "422" in bad["error"]

    text = log.read_text()
    assert TEST_TOKEN not in text and "s3cr3t-in-user-data" not in text


async def test_refusals_are_audited(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    sandbox.world.droplets[501_000_101].tags.append("protected")
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await call_error(client, "droplet_delete", droplet_id=501_000_101)
    (line,) = records(log)
    assert line["event"] == "refused" and "protected" in line["error"]


async def test_the_intent_is_on_disk_before_the_api_answers(sandbox, tmp_path):
    """So a crash between intent and outcome still leaves the intent."""
    log = tmp_path / "audit.jsonl"
    sandbox.world.faults.add(Fault(method="POST", path=r"/v2/droplets", delay=1.5))
    async with (
        connect(sandbox, "auto", None, audit_log=log, confirm="never") as client,
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(lambda: call_ok(client, "droplet_create", name="slow-1", **CREATE))
        await anyio.sleep(0.8)
        during = records(log)
    assert [line["event"] for line in during] == ["intent"]
    assert [line["event"] for line in records(log)] == ["intent", "outcome"]


async def test_audit_command_prints_the_log_readably(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await call_ok(client, "droplet_delete", droplet_id=501_000_102)

    def audit(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cargoshipper", "audit", "--audit-log", str(log), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    lines = audit().splitlines()
    assert len(lines) == 2
    assert (
        "intent" in lines[0] and "droplet_delete" in lines[0] and "droplet_id=501000102" in lines[0]
    )
    assert "[approved by policy:never (--confirm never)]" in lines[0]
    assert "-> ok" in lines[1] and "deleted: droplet app-2(501000102)" in lines[1]
    assert audit("--since", "1h").splitlines() == lines
    assert audit("--since", "2100-01-01") == ""
    assert json.loads(audit("--json").splitlines()[0])["event"] == "intent"
