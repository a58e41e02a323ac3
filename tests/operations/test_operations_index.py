"""The committed operations index: current, complete, loadable without pydo, and right."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from cargoshipper.operations import Operation, get_operation, operations, pydo_version
from cargoshipper.operations._build import INDEX_PATH, build_index, render

# Public methods of pydo 0.44.0's client groups that are hand-written, not generated HTTP
# operations: they have no single URL template, so the index leaves them out.
HAND_WRITTEN = {
    "agents.attach",
    "agents.attach_by_name",
    "agents.create_session",
    "agents.destroy_session",
    "agents.start",
    "gateway.execute_tool_calls",
    "gateway.handle_tool_calls",
    "images.generate",
    "insights.post_prom_labels",
    "insights.post_prom_query",
    "insights.post_prom_query_range",
    "insights.post_prom_series",
}


def test_committed_index_is_current() -> None:
    built = build_index()
    committed = json.loads(INDEX_PATH.read_text(encoding="utf-8"))
    stale = sorted(
        op_id
        for op_id in built["operations"].keys() | committed["operations"].keys()
        if built["operations"].get(op_id) != committed["operations"].get(op_id)
    )
    hint = "run: .venv/bin/python scripts/build_operations_index.py"
    assert not stale, f"{len(stale)} stale operations, e.g. {stale[:5]}; {hint}"
    assert render(built) == INDEX_PATH.read_text(encoding="utf-8"), hint  # same bytes


def test_index_covers_every_generated_pydo_operation() -> None:
    import pydo

    client = pydo.Client(token="test-token")  # never sends a request
    public = {
        f"{group}.{name}"
        for group, obj in vars(client).items()
        if not group.startswith("_")
        for name in dir(obj)
        if not name.startswith("_") and callable(getattr(obj, name))
    }
    assert len(public) == 852
    assert set(operations()) == public - HAND_WRITTEN
    assert len(operations()) == 840
    assert pydo_version() == pydo.__version__ == "0.44.0"


def test_runtime_needs_neither_pydo_nor_yaml() -> None:
    code = (
        "import sys; from cargoshipper.operations import operations, search; "
        "assert len(operations()) == 840 and search('list droplets'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydo', 'yaml', 'azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_index_is_package_data() -> None:
    data = resources.files("cargoshipper.operations").joinpath("operations.json")
    assert data.is_file()
    assert json.loads(data.read_text(encoding="utf-8"))["operations"]["droplets.list"]


def test_loaded_once_and_immutable_records() -> None:
    first, second = operations(), operations()
    assert first == second and first is not second  # callers get their own dict
    assert first["droplets.get"] is second["droplets.get"]
    with pytest.raises(AttributeError):
        first["droplets.get"].path = "/v2/elsewhere"  # type: ignore[misc]
    assert len({first["droplets.get"], first["droplets.list"]}) == 2  # hashable


def test_every_operation_is_well_formed() -> None:
    for op in operations().values():
        assert op.id.count(".") == 1, op.id
        assert op.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, op.id
        assert op.path.startswith("/") and op.summary and "\n" not in op.summary, op.id
        assert len(op.path_params) == op.path.count("{"), op.id
        assert set(op.required_query) <= set(op.query_params), op.id
        assert set(op.header_params) <= set(op.query_params), op.id
        assert set(op.query_params.values()) <= {"string", "integer", "boolean", "number", "array"}
        assert op.body in {None, "required", "optional"}, op.id
        if op.body_schema is not None:
            assert op.body, op.id
            assert set(op.body_schema["required"]) <= set(op.body_schema["properties"]), op.id


def test_droplets_list() -> None:
    op = get_operation("droplets.list")
    assert op == Operation(
        id="droplets.list",
        method="GET",
        path="/v2/droplets",
        summary="List All Droplets",
        tags=("Droplets",),
        path_params=(),
        query_params={
            "per_page": "integer",
            "page": "integer",
            "tag_name": "string",
            "name": "string",
            "type": "string",
        },
        required_query=(),
        body=None,
        body_schema=None,
    )


def test_droplets_get() -> None:
    op = get_operation("droplets.get")
    assert (op.method, op.path, op.path_params) == (
        "GET",
        "/v2/droplets/{droplet_id}",
        ("droplet_id",),
    )
    assert op.summary == "Retrieve an Existing Droplet"
    assert op.query_params == {} and op.body is None


def test_droplet_actions_post_body() -> None:
    op = get_operation("droplet_actions.post")
    assert (op.method, op.path, op.path_params) == (
        "POST",
        "/v2/droplets/{droplet_id}/actions",
        ("droplet_id",),
    )
    # pydo's signature says body=None and the spec omits `required`, but every alternative
    # of the body schema requires `type`: without a body the call cannot succeed.
    assert op.body == "required"
    assert op.body_schema["required"] == ["type"]
    action_types = op.body_schema["properties"]["type"].removeprefix("enum: ").split("|")
    assert {"power_on", "power_off", "reboot", "resize", "snapshot", "rename"} <= set(action_types)
    assert op.body_schema["properties"]["size"] == "string"  # merged from droplet_action_resize
    assert op.body_schema["properties"]["image"] == "integer or string"


def test_droplets_create_body() -> None:
    op = get_operation("droplets.create")
    assert op.body == "required"
    assert op.body_schema["required"] == ["image", "size"]  # `name` or `names`: oneOf
    assert op.body_schema["properties"]["tags"] == "array of string"
    assert "id" not in op.body_schema["properties"]  # readOnly fields are left out


def test_images_delete_is_the_delete_verb() -> None:
    op = get_operation("images.delete")
    assert (op.method, op.path, op.path_params) == (
        "DELETE",
        "/v2/images/{image_id}",
        ("image_id",),
    )
    assert get_operation("images.destroy") is None


def test_volume_actions_post_by_id() -> None:
    op = get_operation("volume_actions.post_by_id")
    assert (op.method, op.path, op.path_params) == (
        "POST",
        "/v2/volumes/{volume_id}/actions",
        ("volume_id",),
    )
    assert op.query_params == {"per_page": "integer", "page": "integer"}
    assert op.body == "required"
    assert op.body_schema["properties"]["type"] == "enum: attach|detach|resize"
    assert op.body_schema["properties"]["droplet_id"] == "integer"
    by_name = get_operation("volume_actions.post")
    assert (by_name.path, by_name.path_params) == ("/v2/volumes/actions", ())


def test_kubernetes_get_kubeconfig() -> None:
    op = get_operation("kubernetes.get_kubeconfig")
    assert (op.method, op.path) == ("GET", "/v2/kubernetes/clusters/{cluster_id}/kubeconfig")
    assert op.path_params == ("cluster_id",)
    assert op.query_params == {"expiry_seconds": "integer", "type": "string"}
    assert op.tags == ("Kubernetes",)


def test_reserved_ips_list() -> None:
    op = get_operation("reserved_ips.list")
    assert (op.method, op.path, op.summary) == ("GET", "/v2/reserved_ips", "List All Reserved IPs")
    assert get_operation("floating_ips.list") is None  # not in pydo 0.44.0


def test_operation_missing_from_the_spec_has_a_docstring_summary() -> None:
    op = get_operation("vpc_subnets.create")
    assert op.summary == "Create a VPC Subnet"  # pydo's docstring, not the spec
    assert op.tags == ()  # tags only come from the spec
    assert op.body_schema == {
        "required": ["name"],
        "properties": {"name": "string", "ip_range": "string"},
    }


def test_required_keyword_only_query_params() -> None:
    op = get_operation("monitoring.get_droplet_cpu_metrics")
    assert op.path_params == ()
    assert op.required_query == ("host_id", "start", "end")
    assert get_operation("droplets.destroy_by_tag").required_query == ("tag_name",)


def test_pydo_keyword_names_are_used_not_wire_names() -> None:
    assert "from_parameter" in get_operation("insights.get_trace").query_params
    hitl = get_operation("harness.post_session_hitl")
    assert hitl.path_params == ("session_id", "request_id_parameter")
    assert hitl.path.endswith("/hitl/{request_id}")


def test_header_and_raw_body_parameters() -> None:
    dangerous = get_operation("droplets.destroy_with_associated_resources_dangerous")
    assert dangerous.required_query == ("x_dangerous",)
    assert dangerous.header_params == ("x_dangerous",)
    upload = get_operation("harness.create_session_workspace_upload")
    assert (upload.body, upload.body_param, upload.body_schema) == ("required", "data", None)


def test_brief_is_compact() -> None:
    assert get_operation("droplets.get").brief() == {
        "id": "droplets.get",
        "method": "GET",
        "path": "/v2/droplets/{droplet_id}",
        "summary": "Retrieve an Existing Droplet",
        "path_params": ["droplet_id"],
    }
    brief = get_operation("monitoring.get_droplet_cpu_metrics").brief()
    assert brief["query"] == {
        "host_id": "string, required",
        "start": "string, required",
        "end": "string, required",
    }
    brief = get_operation("firewalls.assign_droplets").brief()
    assert brief["body"] == "required"
    assert brief["body_fields"] == {"droplet_ids": "array of integer, required"}
    assert len(json.dumps(get_operation("droplets.create").brief())) < 800
