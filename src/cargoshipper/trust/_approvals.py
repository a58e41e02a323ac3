"""Pending approvals: requests that wait for a person's yes, and what the person decided.

A tool call that needs approval opens one ``PendingApproval`` (or finds the one an identical
earlier call opened). A person decides it through a channel the agent cannot reach: the
client's dialog, the approval page (whole page, or a link good for that one request), or
``cargoshipper approve`` on a terminal. An approved request is used once, by a call of the same
tenant (the caller's token, see ``access/_tenants.py``) with the same tool, the same arguments
and the same preview: one tenant's calls never find, see or use another tenant's requests. The
page and the terminal (the operator's) list all of them.

Nothing that approves (the page secret, a request's link secret) is ever put in a tool
result, an error or an MCP log message; the public ``id`` only names the request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ._shared import RedisState

Status = Literal["pending", "approved", "denied", "used", "expired"]
#: Channels a person decides through, as the audit log names them.
Channel = Literal["dialog", "page", "terminal", "policy:never"]
#: The statuses of an entry that still counts (a denied one until the agent is told).
LIVE: tuple[Status, ...] = ("pending", "approved", "denied")


def fingerprint(tool: str, arguments: dict[str, Any], tenant: str = "") -> str:
    """A digest of the tenant, the tool and its exact arguments."""
    canonical = json.dumps([tenant, tool, arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class PendingApproval:
    """One call waiting for (or holding) a person's decision."""

    id: str  # public: names the request, approves nothing
    link_secret: str  # only in the page link for this one request
    fingerprint: str
    tool: str
    preview: str  # exactly what the person is shown
    requests: list[dict[str, Any]]  # the previewed requests: operation, effect, targets, cost
    page_only: bool  # protection changes: a dialog may not approve them
    created: float
    expires: float
    tenant: str = ""  # whose call it is (see access/_tenants.py)
    status: Status = "pending"
    decided_by: str | None = None
    decided_at: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """What the page and the terminal show (no secrets)."""
        return {
            "id": self.id,
            "tenant": self.tenant[:12],
            "tool": self.tool,
            "preview": self.preview,
            "requests": self.requests,
            "page_only": self.page_only,
            "status": self.status,
            "decided_by": self.decided_by,
            "created": self.created,
            "expires": self.expires,
        }


class Approvals:
    """The pending approvals of one server; thread-safe (the page may run in a thread of its
    own). Entries live ``ttl`` seconds from their creation.

    Every method is a coroutine, whatever holds the records: without a ``store`` they live in
    this process; with one (a ``RedisState``, see ``_shared.py``) every replica sharing it sees
    the same records, and a method does the same over the store."""

    def __init__(
        self,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
        store: RedisState | None = None,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: dict[str, PendingApproval] = {}
        self._lock = threading.Lock()
        self.store = store

    @property
    def ttl(self) -> float:
        return self._ttl

    async def open(
        self,
        tool: str,
        arguments: dict[str, Any],
        preview: str,
        requests: list[dict[str, Any]],
        page_only: bool = False,
        tenant: str = "",
    ) -> PendingApproval:
        """The live entry of ``tenant`` for this exact call and preview (pending, approved, or
        denied and not yet reported), or a new pending one.

        A live entry for the same call whose preview differs (the resources changed since the
        person looked) is expired, so a decision never covers what the person did not see."""
        key = fingerprint(tool, arguments, tenant)
        if self.store is None:
            with self._lock:
                self._expire()
                for item in self._items.values():
                    if item.fingerprint != key or item.status not in LIVE:
                        continue
                    if item.preview == preview:
                        return item
                    item.status = "expired"
                item = self._new(key, tool, preview, requests, page_only, tenant)
                self._items[item.id] = item
                return item
        found = self._live(await self.store.find("fp", key))
        if found is not None and found.status in LIVE:
            if found.preview == preview:
                return found
            await self.store.transition(found.id, LIVE, "expired", self._clock(), "", False)
        item = self._new(key, tool, preview, requests, page_only, tenant)
        await self.store.save(item, self._ttl)
        return item

    async def get(self, approval_id: str) -> PendingApproval | None:
        if self.store is None:
            with self._lock:
                self._expire()
                return self._items.get(approval_id)
        return self._live(await self.store.load(approval_id))

    async def by_link(self, link_secret: str) -> PendingApproval | None:
        if self.store is None:
            with self._lock:
                self._expire()
                for item in self._items.values():
                    if secrets.compare_digest(item.link_secret, link_secret):
                        return item
                return None
        return self._live(await self.store.find("link", link_secret))

    async def recent(self, limit: int = 50) -> list[PendingApproval]:
        """The newest entries first."""
        if self.store is None:
            with self._lock:
                self._expire()
                items = sorted(self._items.values(), key=lambda item: item.created, reverse=True)
                return items[:limit]
        found = [self._live(await self.store.load(i)) for i in await self.store.ids(limit)]
        return [item for item in found if item is not None]

    async def pending(self) -> list[PendingApproval]:
        if self.store is None:
            with self._lock:
                self._expire()
                return [item for item in self._items.values() if item.status == "pending"]
        return [item for item in await self.recent(500) if item.status == "pending"]

    async def decide(self, approval_id: str, approve: bool, channel: str) -> PendingApproval:
        """Record a person's decision; raise ``LookupError`` if the request is not pending,
        ``PermissionError`` if ``channel`` may not approve it (a dialog, for a protection
        change)."""
        status: Status = "approved" if approve else "denied"
        if self.store is None:
            with self._lock:
                self._expire()
                item = _decidable(self._items.get(approval_id), approval_id, approve, channel)
                return _decided(item, status, channel, self._clock())
        item = _decidable(await self.get(approval_id), approval_id, approve, channel)
        now = self._clock()
        if not await self.store.transition(item.id, ("pending",), status, now, channel):
            raise LookupError(f"no pending request {approval_id}")
        return _decided(item, status, channel, now)

    async def use(self, approval_id: str) -> bool:
        """Spend an approved entry (once); False if it is not approved (any more)."""
        if self.store is None:
            with self._lock:
                item = self._items.get(approval_id)
                if item is None or item.status != "approved" or item.expires <= self._clock():
                    return False
                item.status = "used"
                return True
        return await self.store.transition(approval_id, ("approved",), "used", self._clock())

    async def forget(self, approval_id: str) -> None:
        """Drop a denied entry once the agent has been told, so a new call asks anew."""
        if self.store is None:
            with self._lock:
                item = self._items.get(approval_id)
                if item is not None and item.status == "denied":
                    item.status = "expired"
            return
        now = self._clock()
        await self.store.transition(approval_id, ("denied",), "expired", now, "", False)

    async def first(self, item: PendingApproval, note: str) -> bool:
        """True the first time ``note`` is taken for ``item`` (by any replica)."""
        if self.store is None:
            if item.notes.get(note):
                return False
            item.notes[note] = True
            return True
        return await self.store.note(item.id, note)

    # -- helpers -------------------------------------------------------------------------------

    def _new(self, key: str, tool, preview, requests, page_only, tenant) -> PendingApproval:
        now = self._clock()
        return PendingApproval(
            id=f"ap-{secrets.token_hex(4)}",
            link_secret=secrets.token_urlsafe(24),
            fingerprint=key,
            tool=tool,
            preview=preview,
            requests=requests,
            page_only=page_only,
            created=now,
            expires=now + self._ttl,
            tenant=tenant,
        )

    def _live(self, item: PendingApproval | None) -> PendingApproval | None:
        """``item`` (from the store) as it stands now (a live one past its expiry is
        expired)."""
        if item is not None and item.status in LIVE and item.expires <= self._clock():
            item.status = "expired"
        return item

    def _expire(self) -> None:
        """Expire the in-memory entries past their time (the caller holds the lock)."""
        now = self._clock()
        for item in self._items.values():
            if item.status in LIVE and item.expires <= now:
                item.status = "expired"
        if len(self._items) > 500:  # keep the timeline short
            for old in sorted(self._items.values(), key=lambda i: i.created)[:-500]:
                del self._items[old.id]


def _decidable(
    item: PendingApproval | None, approval_id: str, approve: bool, channel: str
) -> PendingApproval:
    """``item`` if ``channel`` may decide it so; else the error ``Approvals.decide`` raises."""
    if item is None or item.status != "pending":
        raise LookupError(f"no pending request {approval_id}")
    if approve and item.page_only and channel == "dialog":
        raise PermissionError("only the approval page or the terminal can approve this")
    return item


def _decided(item: PendingApproval, status: Status, channel: str, now: float) -> PendingApproval:
    item.status, item.decided_by, item.decided_at = status, channel, now
    return item
