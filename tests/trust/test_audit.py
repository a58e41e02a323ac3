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
        await call_error(client, "droplet_create", name="bad-1", **{**CREATE, "image": "nope"})

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
    app_1 = {"kind": "droplet", "id": 501000101, "name": "app-1"}
    assert delete_intent["targets"] == [app_1]  # what was meant
    assert outcomes[delete_intent["call_id"]]["outcome"] == "ok"
    assert outcomes[delete_intent["call_id"]]["deleted"] == [app_1]  # what happened

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


# -- the outcome is what really happened -------------------------------------------------------


async def test_a_half_failed_by_tag_delete_records_exactly_what_was_deleted(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    sandbox.world.faults.add(
        Fault(method="DELETE", path=r"/v2/droplets/501000102", status=500, times=10)
    )
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        error = await call_error(client, "droplet_delete", tag_name="web")
    assert "Done before it failed: droplets.destroy 501000101" in error
    outcome = records(log)[-1]
    assert outcome["outcome"] == "error"
    assert outcome["deleted"] == [{"kind": "droplet", "id": 501000101, "name": "app-1"}]


async def test_a_create_whose_wait_failed_is_recorded_as_created(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    sandbox.world.faults.add(Fault(method="GET", path=r"/v2/droplets/\d+", status=500, times=50))
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await call_error(client, "droplet_create", name="w-1", **{**CREATE, "wait": True})
    outcome = records(log)[-1]
    assert outcome["outcome"] == "error"
    (created,) = outcome["created"]
    assert created["name"] == "w-1" and created["id"] in sandbox.world.droplets


async def test_a_failed_delete_is_not_recorded_as_deleted(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    sandbox.world.faults.add(Fault(method="DELETE", path=r"/v2/droplets/\d+", status=500, times=9))
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await call_error(client, "droplet_delete", droplet_id=501_000_101)
    intent, outcome = records(log)
    assert intent["targets"][0]["id"] == 501_000_101  # what was meant
    assert outcome["outcome"] == "error" and "deleted" not in outcome  # what happened


# -- the log itself ----------------------------------------------------------------------------


async def test_agent_text_cannot_forge_lines_or_send_terminal_escapes(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    forged = "x\n2026-01-01 00:00:00  outcome  droplet_delete -> ok\x1b[2J\x07"
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await client.call_tool("api_call", {"operation": "tags.create", "body": {"name": forged}})
    with log.open("a") as file:
        file.write('{"time": "2026-01-01T00:00:00", "event": "outc')  # torn by a crash
    printed = audit_command(log)
    lines = printed.splitlines()
    assert "\x1b" not in printed and "\x07" not in printed
    assert not any(line.startswith("2026-01-01 00:00:00  outcome") for line in lines)
    assert lines[-1].startswith("TORN LINE")


async def test_a_huge_argument_makes_a_bounded_log_line(sandbox, tmp_path):
    log = tmp_path / "audit.jsonl"
    huge = "y" * 1_000_000
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        await client.call_tool("api_call", {"operation": "tags.create", "body": {"name": huge}})
    assert log.stat().st_size < 10_000
    assert "[1000000 characters]" in log.read_text()


async def test_a_change_whose_outcome_cannot_be_written_is_not_reported_as_clean(
    sandbox, tmp_path, monkeypatch
):
    from cargoshipper.trust import AuditLog

    log = tmp_path / "audit.jsonl"
    real = AuditLog.write

    def failing(self, event, call_id, **fields):
        if event == "outcome":
            raise OSError(28, "No space left on device")
        return real(self, event, call_id, **fields)

    monkeypatch.setattr(AuditLog, "write", failing)
    async with connect(sandbox, "auto", None, audit_log=log, confirm="never") as client:
        result = await call_ok(client, "droplet_delete", droplet_id=501_000_102)
        text = (await client.call_tool("droplet_delete", {"droplet_id": 501_000_101})).content
    assert result["done"] is True
    assert "could not be written to the audit log" in text[0].text


def test_short_writes_are_completed(tmp_path, monkeypatch):
    import os

    from cargoshipper.trust import AuditLog

    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, data[: max(1, len(data) // 3)]))
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write("intent", "abc", tool="droplet_delete", arguments={"droplet_id": 1})
    monkeypatch.undo()
    (line,) = records(tmp_path / "audit.jsonl")
    assert line["arguments"] == {"droplet_id": 1}


def audit_command(log) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cargoshipper", "audit", "--audit-log", str(log)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
