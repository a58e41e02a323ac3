"""The World: every record of the simulated account, its clock, actions, and request log."""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._config import SandboxConfig
from ._faults import FaultSet
from ._models import JSON, Action, Droplet, Image, Region, Size, SshKey, Tag, Vpc

Clock = Callable[[], float]

# Where each kind of numeric id starts, so ids look like DigitalOcean's.
_ID_START = {
    "droplet": 512_000_101,
    "action": 2_140_000_001,
    "image": 171_000_101,
    "ssh_key": 43_000_101,
}


@dataclass(frozen=True)
class RateLimit:
    """The ``ratelimit-*`` figures after one request, and whether it was refused."""

    limit: int
    remaining: int
    reset: int  # unix epoch seconds
    exhausted: bool


class World:
    """All state of one sandbox. Thread-safe: route handlers run while holding ``lock``.

    Time comes from ``clock`` (``time.monotonic`` by default; inject a fake one in tests). Nothing
    runs in the background: ``tick()`` completes due actions whenever the World is read.
    """

    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock = time.monotonic):
        self.config = config or SandboxConfig()
        self.clock = clock
        self.lock = threading.RLock()
        self.faults = FaultSet()
        self._epoch0 = time.time()
        self._clock0 = clock()
        self.reset()

    # --- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the initial (seeded or empty) account; clears requests, faults and rate use."""
        from ._routes import seed_modules
        from ._seed import seed_account, seed_catalog

        with self.lock:
            self.account: JSON = {}
            self.balance: JSON = {}
            self.regions: dict[str, Region] = {}
            self.sizes: dict[str, Size] = {}
            self.images: dict[int, Image] = {}
            self.ssh_keys: dict[int, SshKey] = {}
            self.vpcs: dict[str, Vpc] = {}
            self.droplets: dict[int, Droplet] = {}
            self.actions: dict[int, Action] = {}
            self.tags: dict[str, Tag] = {}
            self.extra: dict[str, dict[Any, Any]] = {}
            self._pending: list[tuple[float, int]] = []
            self._next_ids: dict[str, int] = {}
            self._requests: list[tuple[str, str, str]] = []
            self._rate_window: deque[float] = deque()
            self.faults.clear()
            seed_catalog(self)
            if self.config.seed:
                seed_account(self)
            seed_modules(self)

    def table(self, name: str) -> dict[Any, Any]:
        """A named table for resources added by later route modules (emptied by ``reset``)."""
        with self.lock:
            return self.extra.setdefault(name, {})

    def next_id(self, kind: str) -> int:
        """A fresh numeric id for ``kind`` (droplet, action, image, ssh_key, or any new kind)."""
        with self.lock:
            value = self._next_ids.get(kind, _ID_START.get(kind, 1))
            self._next_ids[kind] = value + 1
            return value

    def ensure_tag(self, name: str) -> Tag:
        """The tag called ``name``, created if needed."""
        with self.lock:
            return self.tags.setdefault(name, Tag(name=name))

    # --- time --------------------------------------------------------------------------------

    def now(self) -> float:
        """The World's clock."""
        return self.clock()

    def epoch(self, at: float | None = None) -> float:
        """Unix time of clock reading ``at`` (default: now)."""
        return self._epoch0 + ((self.now() if at is None else at) - self._clock0)

    def iso(self, at: float | None = None) -> str:
        """ISO 8601 UTC timestamp (``2026-11-26T19:42:00Z``) of clock reading ``at``."""
        moment = datetime.fromtimestamp(self.epoch(at), tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- actions -----------------------------------------------------------------------------

    def start_action(
        self,
        type_: str,
        *,
        resource_type: str,
        resource_id: int | None,
        region_slug: str | None,
        seconds: float | None = None,
        on_complete: Callable[[], None] | None = None,
    ) -> Action:
        """Record an ``in-progress`` action; ``on_complete`` runs when it completes."""
        with self.lock:
            duration = self.config.action_seconds if seconds is None else seconds
            action = Action(
                id=self.next_id("action"),
                type=type_,
                resource_type=resource_type,
                resource_id=resource_id,
                region_slug=region_slug,
                started_at=self.iso(),
                due=self.now() + duration,
                on_complete=on_complete,
            )
            self.actions[action.id] = action
            heapq.heappush(self._pending, (action.due, action.id))
            if duration <= 0:
                self.tick()
            return action

    def pending_action(self, resource_type: str, resource_id: int) -> Action | None:
        """The in-progress action on a resource, if any."""
        with self.lock:
            self.tick()
            for action in self.actions.values():
                if (
                    action.status == "in-progress"
                    and action.resource_type == resource_type
                    and action.resource_id == resource_id
                ):
                    return action
            return None

    def tick(self) -> None:
        """Complete every action that is due, in order, applying its effects."""
        with self.lock:
            now = self.now()
            while self._pending and self._pending[0][0] <= now:
                _, action_id = heapq.heappop(self._pending)
                action = self.actions.get(action_id)
                if action is None or action.status != "in-progress":
                    continue
                action.status = "completed"
                action.completed_at = self.iso(action.due)
                if action.on_complete is not None:
                    action.on_complete()

    # --- requests and rate limits ------------------------------------------------------------

    def record(self, method: str, path: str, query: str) -> None:
        """Log one received API request (before faults are applied)."""
        with self.lock:
            self._requests.append((method.upper(), path, query))

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        """Every API request received so far, as (method, path, query string)."""
        with self.lock:
            return list(self._requests)

    def count(self, method: str, path: str) -> int:
        """How many requests with this method and exact path were received."""
        method = method.upper()
        with self.lock:
            return sum(1 for m, p, _ in self._requests if m == method and p == path)

    def spend_rate_limit(self) -> RateLimit:
        """Count one request against the sliding-hour budget."""
        with self.lock:
            now = self.now()
            window = self._rate_window
            while window and window[0] <= now - 3600:
                window.popleft()
            limit = self.config.rate_limit_per_hour
            exhausted = len(window) >= limit
            if not exhausted:
                window.append(now)
            oldest = window[0] if window else now
            return RateLimit(
                limit=limit,
                remaining=max(0, limit - len(window)),
                reset=math.ceil(self.epoch(oldest + 3600)),
                exhausted=exhausted,
            )
