"""What a tool call really changed: every request that succeeded and was not a read.

The audit log's outcome line is built from this, not from the plan: a create whose wait then
failed is still recorded with the id the API gave it, a DELETE that failed is not recorded as
deleted, and a by-tag operation that half failed records exactly the requests that succeeded.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ._ratelimit import collecting

_JOURNAL: ContextVar[list[Change] | None] = ContextVar("cargoshipper_journal", default=None)


@dataclass(frozen=True)
class Change:
    """One request that succeeded: its operation, HTTP method, path parameters, and the
    resources its answer created (``{"id", "name"}``)."""

    operation: str
    method: str
    path: dict[str, Any]
    created: list[dict[str, Any]] = field(default_factory=list)


def journal() -> contextlib.AbstractContextManager[list[Change]]:
    """Collect the changes made inside this block (worker threads included)."""
    return collecting(_JOURNAL)


def record(operation: str, method: str, path: dict[str, Any], body: Any) -> None:
    """Note a successful non-read request in the running call's journal, if any."""
    changes = _JOURNAL.get()
    if changes is None or method == "GET":
        return
    created = _created(body) if method == "POST" else []
    changes.append(Change(operation, method, dict(path), created))


def _created(body: Any) -> list[dict[str, Any]]:
    """The resources a create answered with: top-level objects (or lists of them) with an id,
    except the actions that describe the work."""
    if not isinstance(body, dict):
        return []
    found = []
    for key, value in body.items():
        if key in ("action", "actions", "links", "meta"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("id") is not None:
                found.append({"id": item["id"], "name": item.get("name")})
    return found
