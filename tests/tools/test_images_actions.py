"""Images and actions through MCP clients against the sandbox."""

from __future__ import annotations

import pytest

from helpers import call_error, call_ok

pytestmark = pytest.mark.anyio


async def test_image_list_by_kind(client):
    distros = (await call_ok(client, "image_list"))["items"]
    assert "ubuntu-24-04-x64" in {image.get("slug") for image in distros}
    assert all(image["type"] != "snapshot" for image in distros)
    apps = (await call_ok(client, "image_list", kind="application"))["items"]
    assert apps and all(image.get("slug") for image in apps)
    private = (await call_ok(client, "image_list", kind="private"))["items"]
    assert private and all(image["public"] is False for image in private)


async def test_image_get_by_slug_and_by_id(client):
    by_slug = (await call_ok(client, "image_get", image="ubuntu-24-04-x64"))["item"]
    by_id = (await call_ok(client, "image_get", image=str(by_slug["id"])))["item"]
    assert by_id["slug"] == "ubuntu-24-04-x64"
    error = await call_error(client, "image_get", image="no-such-image")
    assert "does not exist" in error and "image_list" in error


async def test_image_rename_and_delete(client):
    snapshot = (await call_ok(client, "image_list", kind="private"))["items"][0]
    renamed = await call_ok(client, "image_update", image_id=snapshot["id"], name="golden-2026")
    assert renamed["item"]["name"] == "golden-2026"
    assert "Nothing to change" in await call_error(client, "image_update", image_id=snapshot["id"])
    await call_ok(client, "image_delete", image_id=snapshot["id"])
    error = await call_error(client, "image_get", image=str(snapshot["id"]))
    assert "does not exist" in error


async def test_action_get_reports_status(client):
    droplet_id = (await call_ok(client, "droplet_list"))["items"][0]["id"]
    started = await call_ok(client, "droplet_action", droplet_id=droplet_id, type="power_cycle")
    action_id = started["actions"][0]["id"]
    action = await call_ok(client, "action_get", action_id=action_id)
    assert action["actions"][0]["type"] == "power_cycle"
    assert action["actions"][0]["status"] == "completed" and action["done"]
    assert "does not exist" in await call_error(client, "action_get", action_id=987654321)
