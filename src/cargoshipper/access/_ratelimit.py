"""DigitalOcean's rate-limit headers, as last seen on any response."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: The request ids DigitalOcean returned during the current tool call (see ``request_ids``).
_REQUEST_IDS: ContextVar[list[str] | None] = ContextVar("cargoshipper_request_ids", default=None)


@contextlib.contextmanager
def collecting(variable: ContextVar[list[T] | None]) -> Iterator[list[T]]:
    """A fresh list in ``variable`` for this block; worker threads started inside it append
    to the same list (they run in a copy of this context)."""
    collected: list[T] = []
    token = variable.set(collected)
    try:
        yield collected
    finally:
        variable.reset(token)


def request_ids() -> contextlib.AbstractContextManager[list[str]]:
    """Collect the ``x-request-id`` of every response inside this block (threads included)."""
    return collecting(_REQUEST_IDS)


@dataclass(frozen=True)
class RateLimit:
    """One reading of ``ratelimit-limit`` / ``-remaining`` / ``-reset`` (a Unix time)."""

    limit: int | None
    remaining: int | None
    reset: float | None

    def seconds_to_reset(self) -> float | None:
        return None if self.reset is None else max(0.0, self.reset - time.time())

    def is_low(self) -> bool:
        if self.remaining is None:
            return False
        return self.remaining <= max(25, (self.limit or 0) // 20)

    def describe(self) -> str:
        left = "unknown" if self.remaining is None else str(self.remaining)
        wait = self.seconds_to_reset()
        when = "" if wait is None else f", the budget frees up in {wait:.0f} s"
        return f"{left} of {self.limit or '?'} requests left this hour{when}"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def reading_from(headers: object) -> RateLimit | None:
    """The rate-limit reading in one response's headers, if it has one."""
    get = getattr(headers, "get", None)
    remaining = _int(get("ratelimit-remaining")) if get else None
    if remaining is None:
        return None
    return RateLimit(_int(get("ratelimit-limit")), remaining, _int(get("ratelimit-reset")))


class RateLimitTracker:
    """Remembers the last rate-limit reading and request id; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last: RateLimit | None = None
        self.seen = 0.0  # when ``last`` was read (time.time()), to compare with other replicas'
        self.shared = 0.0  # the ``seen`` last written to the shared state (--redis-url)

    def observe(self, headers: object) -> None:
        get = getattr(headers, "get", None)
        if get is None:
            return
        collected = _REQUEST_IDS.get()
        if collected is not None and (request_id := get("x-request-id")):
            collected.append(request_id)
        reading = reading_from(headers)
        if reading is None:
            return
        with self._lock:
            self.last = reading
            self.seen = time.time()
