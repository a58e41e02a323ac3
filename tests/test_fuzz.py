"""Fuzz: hypothesis draws arguments from every tool's own input schema (plus unknown keys and
hostile strings) and calls it through an MCP client against the sandbox. Whatever comes in:
no unhandled exception, no request off its operation's path template, no token in any
result or audit line. Seeded and bounded (``derandomize``, a few examples a tool) so CI
stays fast and a failure reproduces."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

from cargoshipper.server import build_server
from conftest import TEST_TOKEN, settings_for
from helpers import error_text, off_template

pytestmark = pytest.mark.anyio

EXAMPLES = 12  # per tool (63 tools: 756 calls)
HOSTILE = st.sampled_from(
    ["..", "../../account?x=", "a\r\nb", "a\x00b", "https://evil.example/", "x" * 5000, ""]
)


def _schemas() -> dict[str, dict]:
    server = build_server(settings_for("http://127.0.0.1:9", toolsets=("all",)))
    return {tool.name: tool.input_schema for tool in anyio.run(server.list_tools)}


SCHEMAS = _schemas()


def _bounded(schema):
    """The schema with free-form objects (``additionalProperties: true``) given flat string
    values: arbitrarily nested JSON there tests hypothesis-jsonschema's recursion, not the tool
    (under CI load it made Python's own parser fail inside hypothesis)."""
    if isinstance(schema, list):
        return [_bounded(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: _bounded(value) for key, value in schema.items()}
    if bounded.get("type") == "object" and bounded.get("additionalProperties", True) is True:
        bounded["additionalProperties"] = {"type": ["string", "integer", "boolean", "null"]}
        bounded.setdefault("maxProperties", 4)
    return bounded


def arguments_for(schema: dict) -> st.SearchStrategy[dict]:
    """Schema-valid arguments, or the same with a hostile string in one of them."""
    valid = from_schema({**_bounded(schema), "additionalProperties": False})
    properties = sorted(schema.get("properties", {}))
    if not properties:
        return valid
    hostile = st.tuples(valid, st.sampled_from(properties), HOSTILE).map(
        lambda drawn: {**drawn[0], drawn[1]: drawn[2]}
    )
    return st.one_of(valid, hostile)


@pytest.mark.parametrize("tool", sorted(SCHEMAS))
@settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_any_input_is_answered_cleanly(tool, data, sandbox, tmp_path):
    arguments = data.draw(arguments_for(SCHEMAS[tool]), label="arguments")
    if "wait" in arguments:
        arguments["wait"] = False  # long waits are covered elsewhere; here every call is fast
    audit = tmp_path / "audit.jsonl"
    server = build_server(
        settings_for(sandbox.url, toolsets=("all",), audit_log=audit, approval_wait=0.1)
    )
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    text = error_text(result) + str(result.structured_content)
    assert text.strip() != f"Error executing tool {tool}", "an unhandled exception"
    assert "pydantic" not in text and "validation error for" not in text  # one line per fault
    assert TEST_TOKEN not in text
    assert off_template(sandbox) == []
    if audit.exists():
        assert TEST_TOKEN not in audit.read_text()
