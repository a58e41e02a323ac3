"""Rules every tool must follow, checked across all of them at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cargoshipper.registry import Access
from cargoshipper.server import all_tools, build_server
from conftest import settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def listed() -> list[Any]:
    async with Client(build_server(settings_for("http://127.0.0.1:9"))) as client:
        return (await client.list_tools()).tools


async def test_names_are_unique_snake_case_resource_verb(listed):
    names = [tool.name for tool in listed]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", name) and len(name) <= 64, name


async def test_annotations_follow_the_declared_class(listed):
    specs = {spec.name: spec for spec in all_tools()}
    for tool in listed:
        spec, hints = specs[tool.name], tool.annotations
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), tool.name
        assert hints.read_only_hint == (spec.access is Access.READ), tool.name
        assert hints.destructive_hint == (spec.access is Access.DESTRUCTIVE), tool.name
        if spec.access is Access.READ:
            assert hints.idempotent_hint, tool.name


async def test_every_tool_has_a_description_and_output_schema(listed):
    for tool in listed:
        assert tool.description and len(tool.description) > 20, tool.name
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name


def _walk(schema: Any, path: str = "$"):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _walk(value, f"{path}[{index}]")


async def test_schemas_are_accepted_by_strict_clients(listed):
    for tool in listed:
        for which, schema in (("input", tool.input_schema), ("output", tool.output_schema)):
            assert schema.get("type") == "object", (tool.name, which)
            assert not {"anyOf", "oneOf", "allOf"} & set(schema), (tool.name, which)
            for path, node in _walk(schema):
                if node.get("type") == "array":
                    assert "items" in node, (tool.name, which, path)
                assert "$ref" not in node, (tool.name, which, path)


def _typed(schema: dict) -> bool:
    if "type" in schema or "enum" in schema:
        return True
    options = schema.get("anyOf") or schema.get("oneOf")
    return bool(options) and all(_typed(option) for option in options)


async def test_every_property_has_a_type(listed):
    for tool in listed:
        for which in ("input_schema", "output_schema"):
            schema = getattr(tool, which) or {}
            for path, node in _walk(schema):
                for name, prop in (node.get("properties") or {}).items():
                    assert _typed(prop), f"{tool.name} {which} {path}.{name} has no type"


async def test_every_input_property_is_described(listed):
    for tool in listed:
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"


def test_readme_lists_every_tool():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [spec.name for spec in all_tools() if f"| `{spec.name}` |" not in readme]
    assert not missing, f"README's tool table lacks {missing}"


def test_destructive_and_costly_tools_declare_a_plan():
    """The guard can only confirm, protect and price what a tool's plan describes."""
    for spec in all_tools():
        if spec.access is Access.DESTRUCTIVE or spec.costs_money:
            assert spec.plan is not None, f"{spec.name} needs a plan"
