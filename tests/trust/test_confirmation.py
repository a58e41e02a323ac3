"""Destructive calls run only after a human confirms: by dialog, or by a single-use code."""

from __future__ import annotations

import anyio
import pytest

from conftest import connect
from helpers import Dialog, call_error, call_ok, code_in

pytestmark = pytest.mark.anyio

APP_1 = 501_000_101  # seeded droplet "app-1", tagged web


def deletes(sandbox) -> int:
    return sum(1 for method, path, _ in sandbox.world.requests if method == "DELETE")


async def test_delete_runs_after_the_user_accepts_the_dialog(sandbox, era):
    dialog = Dialog("accept")
    async with connect(sandbox, era, dialog, confirm="auto") as client:
        result = await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert result["resources"] == [{"id": APP_1, "name": "app-1"}]
    assert len(dialog.questions) == 1
    assert dialog.questions[0].startswith("Delete 1 droplet: app-1 (501000101).")
    assert APP_1 not in sandbox.world.droplets


@pytest.mark.parametrize("answer", ["decline", "cancel"])
async def test_a_declined_dialog_changes_nothing(sandbox, era, answer):
    async with connect(sandbox, era, Dialog(answer), confirm="auto") as client:
        error = await call_error(client, "droplet_delete", droplet_id=APP_1)
    assert "did not confirm" in error and "Nothing was changed" in error
    assert deletes(sandbox) == 0 and APP_1 in sandbox.world.droplets


async def test_by_tag_dialog_lists_every_matched_droplet(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, confirm="auto") as client:
        await call_error(client, "droplet_delete", tag_name="web")
    assert "Delete 2 droplets: app-1 (501000101), app-2 (501000102)." in dialog.questions[0]


async def test_without_a_dialog_a_code_confirms_exactly_that_call(sandbox, era):
    async with connect(sandbox, era, None, confirm="auto") as client:
        preview = await call_error(client, "droplet_delete", droplet_id=APP_1)
        assert "Confirmation needed: Delete 1 droplet: app-1 (501000101)." in preview
        assert deletes(sandbox) == 0
        code = code_in(preview)
        done = await call_ok(client, "droplet_delete", droplet_id=APP_1, confirmation_code=code)
        assert done["resources"][0]["id"] == APP_1
        assert deletes(sandbox) == 1


async def test_a_code_is_refused_for_other_arguments_and_when_reused(sandbox, era):
    async with connect(sandbox, era, None) as client:
        code = code_in(await call_error(client, "droplet_delete", droplet_id=APP_1))
        other = await call_error(
            client, "droplet_delete", droplet_id=501_000_102, confirmation_code=code
        )
        assert "different arguments" in other
        await call_ok(client, "droplet_delete", droplet_id=APP_1, confirmation_code=code)
        second = code_in(await call_error(client, "droplet_delete", droplet_id=501_000_102))
        await call_ok(client, "droplet_delete", droplet_id=501_000_102, confirmation_code=second)
        reused = await call_error(
            client, "droplet_delete", droplet_id=501_000_102, confirmation_code=second
        )
    assert "already used" in reused or "does not exist" in reused
    assert deletes(sandbox) == 2


async def test_a_reused_code_is_refused_before_anything_happens(sandbox, era):
    async with connect(sandbox, era, None) as client:
        code = code_in(
            await call_error(client, "droplet_action", droplet_id=APP_1, type="power_off")
        )
        await call_ok(
            client, "droplet_action", droplet_id=APP_1, type="power_off", confirmation_code=code
        )
        again = await call_error(
            client, "droplet_action", droplet_id=APP_1, type="power_off", confirmation_code=code
        )
    assert "unknown, already used, or expired" in again
    assert sandbox.world.count("POST", f"/v2/droplets/{APP_1}/actions") == 1


async def test_an_expired_code_is_refused(sandbox):
    async with connect(sandbox, "auto", None, confirmation_ttl=0.2) as client:
        code = code_in(await call_error(client, "droplet_delete", droplet_id=APP_1))
        await anyio.sleep(0.4)
        error = await call_error(client, "droplet_delete", droplet_id=APP_1, confirmation_code=code)
    assert "expired" in error and deletes(sandbox) == 0


async def test_an_invented_code_is_refused(sandbox):
    async with connect(sandbox, "auto", None) as client:
        error = await call_error(
            client, "droplet_delete", droplet_id=APP_1, confirmation_code="ABCD-2345"
        )
    assert "unknown" in error and deletes(sandbox) == 0


async def test_policy_code_uses_codes_even_when_the_client_has_a_dialog(sandbox):
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, confirm="code") as client:
        preview = await call_error(client, "droplet_delete", droplet_id=APP_1)
    assert dialog.questions == [] and "confirmation_code" in preview


async def test_policy_never_runs_at_once(sandbox):
    async with connect(sandbox, "auto", None, confirm="never") as client:
        await call_ok(client, "droplet_delete", droplet_id=APP_1)
    assert APP_1 not in sandbox.world.droplets


async def test_harmless_variants_of_a_destructive_tool_need_no_confirmation(sandbox, era):
    dialog = Dialog("decline")
    async with connect(sandbox, era, dialog, confirm="auto") as client:
        await call_ok(client, "droplet_action", droplet_id=APP_1, type="reboot")
        await call_error(client, "droplet_action", droplet_id=APP_1, type="power_off")
    assert len(dialog.questions) == 1 and dialog.questions[0].startswith("Power off 1 droplet")


async def test_rebuild_question_warns_that_the_disk_is_erased(sandbox):
    dialog = Dialog("decline")
    async with connect(sandbox, "auto", dialog, confirm="auto") as client:
        await call_error(
            client, "droplet_action", droplet_id=APP_1, type="rebuild", image="debian-12-x64"
        )
    assert "The disk is erased" in dialog.questions[0]


async def test_bad_input_fails_before_any_question_or_request(sandbox):
    dialog = Dialog("accept")
    async with connect(sandbox, "auto", dialog, confirm="auto") as client:
        error = await call_error(client, "droplet_action", droplet_id=APP_1, type="resize")
    assert "resize needs size" in error
    assert dialog.questions == [] and sandbox.world.requests == []


async def test_a_code_does_not_cover_resources_that_changed_since_the_preview(sandbox):
    async with connect(sandbox, "auto", None) as client:
        preview = await call_error(client, "droplet_delete", tag_name="web")
        assert "Delete 2 droplets" in preview
        sandbox.world.droplets[501_000_103].tags.append("web")  # db-1 joins the tag
        error = await call_error(
            client, "droplet_delete", tag_name="web", confirmation_code=code_in(preview)
        )
    assert "changed since the preview" in error and "db-1" in error
    assert deletes(sandbox) == 0
