"""The operation record and the committed index it is loaded from (no pydo, no YAML here)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Operation:
    """One pydo operation: callable as ``client.<group>.<method>(**path, **query, body=...)``."""

    id: str  # "droplets.list": pydo <group>.<method>
    method: str  # "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
    path: str  # URL template, e.g. "/v2/droplets/{droplet_id}"
    summary: str  # one line
    tags: tuple[str, ...]  # spec tags; () when the spec lacks the operation
    path_params: tuple[str, ...]  # pydo keyword names, in path order
    # Every other keyword parameter of the pydo method -> its JSON type. For 13 operations
    # a few of them travel as HTTP headers (see ``header_params``); callers pass them the same way.
    query_params: dict[str, str] = field(hash=False)
    required_query: tuple[str, ...]  # query params without a default
    body: str | None  # None (no body), "required" or "optional"
    # {"required": [...], "properties": {name: brief type}}; None when unknown
    body_schema: dict | None = field(hash=False)
    # Additions to the agreed interface (defaults cover nearly every operation):
    header_params: tuple[str, ...] = ()  # the query_params pydo sends as HTTP headers
    body_param: str = "body"  # the pydo keyword carrying the body ("data" for raw uploads)

    def brief(self) -> dict[str, Any]:
        """A compact description for a tool result (every character is read by an LLM)."""
        out: dict[str, Any] = {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "summary": self.summary,
        }
        if self.path_params:
            out["path_params"] = list(self.path_params)
        if self.query_params:
            out["query"] = {
                name: kind + (", required" if name in self.required_query else "")
                for name, kind in self.query_params.items()
            }
        if self.body:
            out["body"] = self.body
            if self.body_param != "body":
                out["body"] += f" (raw bytes, pydo keyword {self.body_param}=)"
            if self.body_schema and self.body_schema["properties"]:
                required = self.body_schema["required"]
                out["body_fields"] = {
                    name: kind + (", required" if name in required else "")
                    for name, kind in self.body_schema["properties"].items()
                }
        return out


def _operation(op_id: str, data: dict) -> Operation:
    return Operation(
        id=op_id,
        method=data["method"],
        path=data["path"],
        summary=data["summary"],
        tags=tuple(data.get("tags", ())),
        path_params=tuple(data.get("path_params", ())),
        query_params=data.get("query_params", {}),
        required_query=tuple(data.get("required_query", ())),
        body=data.get("body"),
        body_schema=data.get("body_schema"),
        header_params=tuple(data.get("header_params", ())),
        body_param=data.get("body_param", "body"),
    )


@functools.cache
def _load() -> tuple[dict[str, Operation], str]:
    index = json.loads(Path(__file__).with_name("operations.json").read_text(encoding="utf-8"))
    ops = {op_id: _operation(op_id, data) for op_id, data in index["operations"].items()}
    return ops, index["pydo"]


def operations() -> dict[str, Operation]:
    """Every operation by id (a fresh dict over the cached, immutable records)."""
    return dict(_load()[0])


def get_operation(operation_id: str) -> Operation | None:
    return _load()[0].get(operation_id)


def pydo_version() -> str:
    """The pydo version the index was built from."""
    return _load()[1]
