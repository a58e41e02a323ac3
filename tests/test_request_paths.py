"""Requests go only where they say: hostile strings in any path argument, through api_call for
every operation of the index and through the curated tools, send nothing off its operation's
path template."""

from __future__ import annotations

import pytest

from cargoshipper.access import DOAccess, Refused
from cargoshipper.operations import Operation, operations
from conftest import connect, settings_for
from helpers import call_error, off_template

pytestmark = pytest.mark.anyio

#: Values that would move a request (traversal), end its path (query, fragment), split it
#: (CRLF, NUL) or point it elsewhere (a URL).
HOSTILE = [
    ".",
    "..",
    "../../account?x=",
    "a/b",
    "x?y=1",
    "x#y",
    "a\r\nX-Evil: 1",
    "a\x00b",
    "https://evil.example/",
    "",
    ["1"],
    {"id": 1},
    None,
]
EVERY_OPERATION = [".", "..", "../../account?x=", "a\r\nb"]


SAMPLE = {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}, "string": "x"}


def reachable() -> list[Operation]:
    return [op for op in operations().values() if op.path_params and op.path.startswith("/v2/")]


def arguments(op: Operation, target: str, value: object) -> dict:
    path_params = {name: value if name == target else "1" for name in op.path_params}
    call: dict = {"operation": op.id, "path_params": path_params}
    if op.required_query:
        call["query"] = {name: SAMPLE[op.query_params[name]] for name in op.required_query}
    if op.body == "required":
        required = (op.body_schema or {}).get("required") or []
        call["body"] = {name: "x" for name in required}
    return call


async def test_every_operation_refuses_hostile_path_values(sandbox):
    async with connect(sandbox, "auto", None, confirm="never", toolsets=("all",)) as client:
        for op in reachable():
            for target in op.path_params:
                for value in EVERY_OPERATION:
                    result = await client.call_tool("api_call", arguments(op, target, value))
                    text = " ".join(getattr(b, "text", "") for b in result.content)
                    assert result.is_error, (op.id, target, value)
                    assert f"path parameter {target}=" in text, (op.id, target, value, text)
    assert off_template(sandbox) == []


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize(
    ("operation", "target"),
    [
        ("kubernetes.delete_node_pool", "node_pool_id"),
        ("droplets.destroy", "droplet_id"),
        ("domains.delete_record", "domain_record_id"),
        ("databases.get_cluster", "database_cluster_uuid"),
    ],
)
async def test_each_kind_of_hostile_value_is_refused_with_its_reason(
    sandbox, operation, target, value
):
    op = operations()[operation]
    async with connect(sandbox, "auto", None, confirm="never") as client:
        error = await call_error(client, "api_call", **arguments(op, target, value))
    assert "path parameter" in error or "path_params" in error
    assert "Error executing tool api_call\n" not in error and len(error) < 600
    assert off_template(sandbox) == []


@pytest.mark.parametrize("cluster_id", ["../../account?x=", "../../databases/abc?x=", "x"])
async def test_the_kubeconfig_cannot_be_pointed_at_another_path(sandbox, cluster_id):
    async with connect(sandbox, "auto", None, read_only=True, toolsets=("all",)) as client:
        error = await call_error(client, "kubernetes_kubeconfig_get", cluster_id=cluster_id)
    assert "cluster_id" in error and sandbox.world.requests == []


async def test_the_access_layer_encodes_and_checks_what_it_fills_in(sandbox):
    access = DOAccess(settings_for(sandbox.url))
    with pytest.raises(Refused, match="cluster_id"):
        await access.get_text("kubernetes.get_kubeconfig", path={"cluster_id": "../../account"})
    with pytest.raises(Refused, match="droplet_id"):
        await access.call("droplets.get", droplet_id="1/../../account")
    assert sandbox.world.requests == []
