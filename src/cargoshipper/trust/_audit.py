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
        line = json.dumps(bounded(record), default=str, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _write_all(descriptor, line.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def _write_all(descriptor: int, data: bytes) -> None:
    """Write every byte (a short write is continued); raise OSError if the disk takes none."""
    while data:
        written = os.write(descriptor, data)
        if written <= 0:
            raise OSError(f"the audit log took 0 of {len(data)} bytes")
        data = data[written:]


MAX_TEXT = 500  # characters of one logged string
MAX_ITEMS = 50  # items of one logged list


def bounded(value: Any) -> Any:
    """A JSON value cut to a bounded size: long strings to a prefix, long lists to a head
    (a 1 MB argument must not make a 1 MB log line)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}… [{len(value)} characters]"
    if isinstance(value, dict):
        return {key: bounded(item) for key, item in value.items()}
    if isinstance(value, list):
        head = [bounded(item) for item in value[:MAX_ITEMS]]
        return head + ([f"… [{len(value)} items]"] if len(value) > MAX_ITEMS else [])
    return value


def read_records(path: Path, since: float | None = None) -> Iterator[dict[str, Any]]:
    """The log's records, oldest first; ``since`` is a Unix time."""
    if not path.exists():
        return
    with path.open(errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not a record")
            except ValueError:  # torn by a crash or a full disk: shown, never hidden
                yield {"event": "torn", "raw": line.rstrip("\n")[:MAX_TEXT]}
                continue
            if since is None or _stamp(record) >= since:
                yield record


def _stamp(record: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(record.get("time"))).timestamp()
    except ValueError:
        return 0.0


def format_record(record: dict[str, Any]) -> str:
    """One readable line: time, event, tool, outcome, what it touched. Everything an agent
    could have written is escaped: no forged line breaks, no terminal escape sequences."""
    return _printable(_format(record))


def _printable(text: str) -> str:
    """``text`` with every control character shown as an escape (\\n, \\x1b...)."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in text
    )


def _format(record: dict[str, Any]) -> str:
    if record.get("event") == "torn":
        return f"TORN LINE (unreadable, left by a crash or a full disk): {record.get('raw', '')}"
    when = str(record.get("time", ""))[:19].replace("T", " ")
    parts = [when, f"{record.get('event', '?'):<8}", str(record.get("tool", "?"))]
    if tenant := record.get("tenant"):  # whose token: the first 12 hex digits of its SHA-256
        parts.append(f"tenant {tenant}")
    if arguments := record.get("arguments"):
        parts.append(" ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items()))
    if approval := record.get("approval"):
        by = approval.get("by") if isinstance(approval, dict) else approval
        parts.append(f"[approved by {by}]")
    if outcome := record.get("outcome"):
        parts.append(f"-> {outcome}")
    if error := record.get("error"):
        parts.append(f"({error})")
    for effect in ("targets", "created", "changed", "deleted"):
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
