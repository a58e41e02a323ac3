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
from typing import Any, Literal

Status = Literal["pending", "approved", "denied", "used", "expired"]
#: Channels a person decides through, as the audit log names them.
Channel = Literal["dialog", "page", "terminal", "policy:never"]


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
    """The pending approvals of one server, in memory; thread-safe (the page may run in a
    thread of its own). Entries live ``ttl`` seconds from their creation."""

    def __init__(self, ttl: float = 600.0, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: dict[str, PendingApproval] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> float:
        return self._ttl

    def open(
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
        with self._lock:
            self._expire()
            for item in self._items.values():
                if item.fingerprint != key or item.status not in ("pending", "approved", "denied"):
                    continue
                if item.preview == preview:
                    return item
                item.status = "expired"
            now = self._clock()
            item = PendingApproval(
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
            self._items[item.id] = item
            return item

    def get(self, approval_id: str) -> PendingApproval | None:
        with self._lock:
            self._expire()
            return self._items.get(approval_id)

    def by_link(self, link_secret: str) -> PendingApproval | None:
        with self._lock:
            self._expire()
            for item in self._items.values():
                if secrets.compare_digest(item.link_secret, link_secret):
                    return item
            return None

    def pending(self) -> list[PendingApproval]:
        with self._lock:
            self._expire()
            return [item for item in self._items.values() if item.status == "pending"]

    def recent(self, limit: int = 50) -> list[PendingApproval]:
        with self._lock:
            self._expire()
            items = sorted(self._items.values(), key=lambda item: item.created, reverse=True)
            return items[:limit]

    def decide(self, approval_id: str, approve: bool, channel: str) -> PendingApproval:
        """Record a person's decision; raise ``LookupError`` if the request is not pending,
        ``PermissionError`` if ``channel`` may not approve it (a dialog, for a protection
        change)."""
        with self._lock:
            self._expire()
            item = self._items.get(approval_id)
            if item is None or item.status != "pending":
                raise LookupError(f"no pending request {approval_id}")
            if approve and item.page_only and channel == "dialog":
                raise PermissionError("only the approval page or the terminal can approve this")
            item.status = "approved" if approve else "denied"
            item.decided_by = channel
            item.decided_at = self._clock()
            return item

    def use(self, approval_id: str) -> bool:
        """Spend an approved entry (once); False if it is not approved (any more)."""
        with self._lock:
            item = self._items.get(approval_id)
            if item is None or item.status != "approved" or item.expires <= self._clock():
                return False
            item.status = "used"
            return True

    def forget(self, approval_id: str) -> None:
        """Drop a denied entry once the agent has been told, so a new call asks anew."""
        with self._lock:
            item = self._items.get(approval_id)
            if item is not None and item.status == "denied":
                item.status = "expired"

    def _expire(self) -> None:
        now = self._clock()
        for item in self._items.values():
            if item.status in ("pending", "approved", "denied") and item.expires <= now:
                item.status = "expired"
        if len(self._items) > 500:  # keep the timeline short
            for old in sorted(self._items.values(), key=lambda i: i.created)[:-500]:
                del self._items[old.id]
