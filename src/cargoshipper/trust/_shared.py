"""State that replicas share: in this process (default), or in Redis (``--redis-url``).

Several ``cargoshipper serve --transport http`` processes behind one address behave as one
server when they share a Redis:

- approvals (``_approvals.py``): the records, so a person's decision taken through one
  replica (its page, ``cargoshipper approve``, a dialog answer) is honoured by another;
- create locks (``Guard._one_at_a_time``): one create per tenant, tool and name at a time,
  across replicas;
- the last rate-limit reading of each tenant (``account_get`` reports the same budget).

Without a Redis URL nothing here talks to the network: ``MemoryState`` is the in-process
behaviour CargoShipper always had. With one, a Redis that cannot be reached raises
``SharedStateDown``, whose message is one line for the agent, and nothing is done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from ..access._ratelimit import RateLimit
    from ._approvals import PendingApproval

#: Every key CargoShipper writes starts with this.
PREFIX = "cargoshipper:"


class SharedStateDown(Exception):
    """The shared state cannot be reached; the message says so in one line."""


def redacted(url: str) -> str:
    """The Redis URL without its password (it is named in errors)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class MemoryState:
    """One process's state: locks in memory, no shared readings. Approvals keep their own
    in-memory records (``Approvals`` without a store)."""

    shared = False

    def __init__(self) -> None:
        self._locks: dict[str, anyio.Lock] = {}

    @contextlib.asynccontextmanager
    async def lock(self, key: str, timeout: float) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, anyio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._locks.pop(key, None)

    async def put_rate(self, tenant: str, reading: RateLimit, seen: float) -> None:
        return None

    async def get_rate(self, tenant: str) -> tuple[RateLimit, float] | None:
        return None

    async def close(self) -> None:
        return None


# Status changes are compare-and-set, so an approval is used once across all replicas.
_TRANSITION = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
local allowed = false
for i = 5, #ARGV do if status == ARGV[i] then allowed = true end end
if not allowed then return 0 end
local now = tonumber(ARGV[3])
if ARGV[4] == '1' and tonumber(redis.call('HGET', KEYS[1], 'expires')) <= now then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'decided_by', ARGV[2], 'decided_at', now) end
return 1
"""


class RedisState:
    """State in one Redis, through ``redis.asyncio``: short timeouts, one retry, so a dead
    Redis is reported within a few seconds."""

    shared = True

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.url = url
        self._timeout = timeout
        self._client: Any = None

    @property
    def down(self) -> str:
        return (
            f"Refused: the shared state (Redis at {redacted(self.url)}) cannot be reached; "
            "nothing was done."
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            import redis.asyncio
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._client = redis.asyncio.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 1),
                health_check_interval=0,
            )
            self._transition = self._client.register_script(_TRANSITION)
        return self._client

    @contextlib.asynccontextmanager
    async def _reaching(self) -> AsyncIterator[None]:
        """Turn any Redis failure into ``SharedStateDown`` (one line)."""
        from redis.exceptions import RedisError

        try:
            with anyio.fail_after(self._timeout * 3):
                yield
        except (RedisError, OSError, TimeoutError) as error:
            raise SharedStateDown(self.down) from error

    async def ping(self) -> None:
        async with self._reaching():
            await self.client.ping()

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None

    # -- locks -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, key: str, timeout: float) -> AsyncIterator[None]:
        """A lock held across replicas (``SET NX PX`` with a token; released by a script
        that deletes only our own token). It expires after ``timeout`` s should we die."""
        name = PREFIX + "lock:" + hashlib.sha256(key.encode()).hexdigest()
        lock = self.client.lock(name, timeout=timeout, sleep=0.05, blocking_timeout=timeout)
        async with self._reaching():
            acquired = await lock.acquire()
        if not acquired:
            raise SharedStateDown(
                "Refused: another replica is still running the same create; nothing was "
                "done. Call again in a moment."
            )
        try:
            yield
        finally:
            with (
                contextlib.suppress(Exception),  # it expires by itself if Redis is gone
                anyio.CancelScope(shield=True),
                anyio.move_on_after(self._timeout),
            ):
                await lock.release()

    # -- rate-limit readings -----------------------------------------------------------------

    async def put_rate(self, tenant: str, reading: RateLimit, seen: float) -> None:
        fields = {"seen": seen, **{k: v for k, v in asdict(reading).items() if v is not None}}
        async with self._reaching():
            await self.client.set(PREFIX + f"rate:{tenant}", json.dumps(fields), ex=3600)

    async def get_rate(self, tenant: str) -> tuple[RateLimit, float] | None:
        from ..access._ratelimit import RateLimit

        async with self._reaching():
            raw = await self.client.get(PREFIX + f"rate:{tenant}")
        if raw is None:
            return None
        fields = json.loads(raw)
        reading = RateLimit(fields.get("limit"), fields.get("remaining"), fields.get("reset"))
        return reading, float(fields["seen"])

    # -- approvals ---------------------------------------------------------------------------

    def _keys(self, approval_id: str) -> tuple[str, str]:
        return PREFIX + f"approval:{approval_id}", PREFIX + f"approval:{approval_id}:state"

    async def save(self, item: PendingApproval, ttl: float) -> None:
        """Store a new record: its fixed part, its state, and the indexes to find it."""
        body, state = self._keys(item.id)
        fixed = {
            key: value
            for key, value in item.__dict__.items()
            if key not in ("status", "decided_by", "decided_at", "notes")
        }
        life = int(ttl) + 60  # expired records stay a minute, to say so
        async with self._reaching(), self.client.pipeline(transaction=True) as pipe:
            pipe.set(body, json.dumps(fixed), ex=life)
            pipe.hset(state, mapping={"status": item.status, "expires": item.expires})
            pipe.expire(state, life)
            pipe.set(PREFIX + f"approval-fp:{item.fingerprint}", item.id, ex=life)
            pipe.set(PREFIX + f"approval-link:{_digest(item.link_secret)}", item.id, ex=life)
            pipe.zadd(PREFIX + "approvals", {item.id: item.created})
            pipe.zremrangebyscore(PREFIX + "approvals", "-inf", item.created - life)
            await pipe.execute()

    async def load(self, approval_id: str) -> PendingApproval | None:
        from ._approvals import PendingApproval

        body, state = self._keys(approval_id)
        async with self._reaching(), self.client.pipeline(transaction=False) as pipe:
            pipe.get(body)
            pipe.hgetall(state)
            raw, fields = await pipe.execute()
        if raw is None or not fields:
            return None
        item = PendingApproval(**json.loads(raw))
        item.status = fields.get("status", "expired")  # type: ignore[assignment]
        item.decided_by = fields.get("decided_by")
        item.decided_at = float(fields["decided_at"]) if "decided_at" in fields else None
        return item

    async def find(self, kind: str, value: str) -> PendingApproval | None:
        """The record named by a fingerprint (``kind="fp"``) or a link secret (``"link"``)."""
        key = value if kind == "fp" else _digest(value)
        async with self._reaching():
            approval_id = await self.client.get(PREFIX + f"approval-{kind}:{key}")
        return None if approval_id is None else await self.load(approval_id)

    async def ids(self, limit: int) -> list[str]:
        async with self._reaching():
            return await self.client.zrevrange(PREFIX + "approvals", 0, limit - 1)

    async def transition(
        self,
        approval_id: str,
        allowed: tuple[str, ...],
        status: str,
        now: float,
        by: str = "",
        unexpired: bool = True,
    ) -> bool:
        """Set ``status`` if the current one is in ``allowed`` (and not past expiry)."""
        self.client  # noqa: B018 (registers the script)
        args = [status, by, now, "1" if unexpired else "0", *allowed]
        async with self._reaching():
            return bool(await self._transition(keys=[self._keys(approval_id)[1]], args=args))

    async def note(self, approval_id: str, name: str) -> bool:
        """True the first time any replica notes ``name`` for this approval."""
        async with self._reaching():
            key = PREFIX + f"approval:{approval_id}:note:{name}"
            return bool(await self.client.set(key, "1", nx=True, ex=3600))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def state_for(redis_url: str | None) -> MemoryState | RedisState:
    return RedisState(redis_url) if redis_url else MemoryState()
