"""The audit log: one JSON line per intent and per outcome of every call that changes things.

Lines are appended, flushed and fsynced before the call proceeds, so a crash between the
intent and the outcome still leaves the intent on disk.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class AuditLog:
    """Append-only JSON lines at ``path``; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def new_call_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def write(self, event: str, call_id: str, **fields: Any) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "call_id": call_id,
            **{key: value for key, value in fields.items() if value not in (None, [], {})},
        }
        line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def read_records(path: Path, since: float | None = None) -> Iterator[dict[str, Any]]:
    """The log's records, oldest first; ``since`` is a Unix time."""
    if not path.exists():
        return
    with path.open() as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash
            stamp = datetime.fromisoformat(record.get("time", "1970-01-01T00:00:00+00:00"))
            if since is None or stamp.timestamp() >= since:
                yield record


def format_record(record: dict[str, Any]) -> str:
    """One readable line: time, event, tool, outcome, what it touched."""
    when = record.get("time", "")[:19].replace("T", " ")
    parts = [when, f"{record.get('event', '?'):<8}", record.get("tool", "?")]
    if arguments := record.get("arguments"):
        parts.append(" ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items()))
    if approval := record.get("approval"):
        by = approval.get("by") if isinstance(approval, dict) else approval
        parts.append(f"[approved by {by}]")
    if outcome := record.get("outcome"):
        parts.append(f"-> {outcome}")
    if error := record.get("error"):
        parts.append(f"({error})")
    for effect in ("created", "changed", "deleted"):
        if resources := record.get(effect):
            names = ", ".join(
                f"{r.get('kind', '')} {r.get('name') or ''}({r.get('id')})" for r in resources
            )
            parts.append(f"{effect}: {names}")
    return "  ".join(parts)


def parse_since(text: str, now: float | None = None) -> float:
    """``--since`` values: ``30m``, ``2h``, ``7d``, or an ISO date/time."""
    now = time.time() if now is None else now
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units and text[:-1].replace(".", "", 1).isdigit():
        return now - float(text[:-1]) * units[text[-1]]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: use 30m, 2h, 7d or an ISO time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
