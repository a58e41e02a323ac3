"""Arguments are strict and explained: unknown names are refused, bad values told in one line
each with what is accepted and an example; nothing is sent for either."""

from __future__ import annotations

import pytest

from helpers import call_error

pytestmark = pytest.mark.anyio


async def test_every_input_schema_forbids_unknown_arguments(client):
    tools = await client.list_tools()
    assert tools.tools
    assert all(tool.input_schema.get("additionalProperties") is False for tool in tools.tools)


async def test_an_unknown_argument_is_refused_naming_the_valid_ones(client, sandbox):
    """droplet_list tag=web used to list every droplet as if filtered."""
    error = await call_error(client, "droplet_list", tag="web")
    assert "Unknown argument for droplet_list: 'tag' (did you mean tag_name?)" in error
    assert "Valid arguments: tag_name, name, page" in error
    assert sandbox.world.requests == []


async def test_a_bad_value_is_one_line_with_what_is_accepted_and_an_example(client, sandbox):
    error = await call_error(client, "droplet_get", droplet_id="abc")
    assert error == (
        "Invalid arguments for droplet_get: droplet_id: input should be a valid integer, "
        "unable to parse string as an integer (got 'abc'); accepted: an integer (>= 1); "
        "e.g. droplet_id=3164444"
    )
    assert sandbox.world.requests == []


async def test_several_bad_values_are_each_named(client, sandbox):
    error = await call_error(
        client,
        "droplet_create",
        region="nyc3",
        size="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        name="web-1",
        backups="maybe",
        tags="web",
    )
    assert (
        "backups: input should be a valid boolean" in error and "accepted: true or false" in error
    )
    assert "tags: input should be a valid list (got 'web')" in error
    assert "e.g. tags=['web']" in error
    assert "\n" not in error and "pydantic" not in error
    assert sandbox.world.requests == []


async def test_a_missing_argument_is_named_with_an_example(client):
    error = await call_error(client, "volume_create", name="data", region="nyc3")
    assert "size_gigabytes: required; accepted: an integer" in error
