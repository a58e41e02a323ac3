"""Tenants: one DOAccess (pydo client, rate-limit tracker, limits) per DigitalOcean token.

Over HTTP each caller brings its own token; its calls run on its own DOAccess, kept while it is
used: at most ``size`` of them, each dropped after ``idle`` seconds unused (the least recently
used goes first when full). Stdio and in-memory servers have one tenant: the server's token.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from ._access import DOAccess
from ._errors import Refused

NO_TOKEN = (
    "Refused: this server acts only with the caller's own DigitalOcean token; send it as "
    "'Authorization: Bearer <token>'."
)


class Tenants:
    """The server's own tenant (``default``: its token, possibly none) and the callers' ones."""

    def __init__(
        self,
        default: DOAccess,
        *,
        size: int = 256,
        idle: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self._size = size
        self._idle = idle
        self._clock = clock
        self._cache: OrderedDict[str, tuple[DOAccess, float]] = OrderedDict()  # LRU first
        self._lock = threading.Lock()

    def get(self, token: str | None) -> DOAccess:
        """The DOAccess of ``token``; None: the server's own (refused if it has none)."""
        if token is None:
            if not self.default.settings.token:
                raise Refused(NO_TOKEN)
            return self.default
        now = self._clock()
        with self._lock:
            while self._cache and now - next(iter(self._cache.values()))[1] > self._idle:
                self._cache.popitem(last=False)
            access, _ = self._cache.pop(token, (None, now))
            if access is None:
                settings = dataclasses.replace(self.default.settings, token=token)
                access = DOAccess(settings, self.default.gate, shares=self.default)
            self._cache[token] = (access, now)
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
            return access

    def __len__(self) -> int:
        return len(self._cache)
