"""Injected failures: a status, a slow answer, or a dropped connection."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Fault:
    """A failure the sandbox applies to the next ``times`` requests that match.

    ``path`` is a regex matched with ``re.fullmatch`` against the request path (no query string);
    ``method`` None matches any method. Exactly one effect must be set:

    * ``status``: answer with this status and a DigitalOcean error body (429 also sets
      ``ratelimit-remaining: 0``, ``ratelimit-reset`` = now + ``reset_in`` and ``retry-after``);
    * ``delay``: process the request normally, then wait this many seconds before answering
      (a create still happens: the client sees a timeout, the API did the work);
    * ``drop``: close the TCP connection without any response (the request is not processed).
    """

    method: str | None = None
    path: str = ""
    times: int = 1
    status: int | None = None
    delay: float | None = None
    drop: bool = False
    reset_in: float = 1.0
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a Fault needs a path regex, e.g. r'/v2/droplets/\\d+'")
        effects = [self.status is not None, self.delay is not None, bool(self.drop)]
        if sum(effects) != 1:
            raise ValueError("a Fault needs exactly one of status, delay or drop")
        if self.times < 1:
            raise ValueError("Fault.times must be at least 1")
        if self.method is not None:
            self.method = self.method.upper()
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        method_ok = self.method is None or self.method == method.upper()
        return method_ok and self._regex.fullmatch(path) is not None

    def to_json(self) -> dict[str, Any]:
        """The public fields, for the admin endpoint."""
        data = asdict(self)
        data.pop("_regex", None)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from the admin endpoint's JSON body (unknown keys are rejected)."""
        allowed = {"method", "path", "times", "status", "delay", "drop", "reset_in"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown Fault fields: {sorted(unknown)}")
        return cls(**data)


class FaultSet:
    """The armed faults, each with how many more requests it will affect. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[list[Any]] = []  # [fault, remaining]

    def add(self, fault: Fault) -> Fault:
        """Arm a fault; it affects the next ``fault.times`` matching requests."""
        with self._lock:
            self._armed.append([fault, fault.times])
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, using up one of its ``times``."""
        with self._lock:
            for entry in self._armed:
                fault, remaining = entry
                if fault.matches(method, path):
                    if remaining <= 1:
                        self._armed.remove(entry)
                    else:
                        entry[1] = remaining - 1
                    return fault
        return None

    def armed(self) -> list[tuple[Fault, int]]:
        """The armed faults and how many requests each will still affect."""
        with self._lock:
            return [(fault, remaining) for fault, remaining in self._armed]

    def __len__(self) -> int:
        with self._lock:
            return len(self._armed)
