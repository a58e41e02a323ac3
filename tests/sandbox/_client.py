"""A tiny HTTP client over http.client for the sandbox tests, and a fake clock."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

TOKEN = "dop_v1_sandbox_test_token"


@dataclass
class Exchange:
    """One request sent to the sandbox and what came back."""

    method: str
    path: str
    query: dict[str, list[str]]
    request_body: bytes | None
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Api:
    """Plain HTTP against a sandbox; every exchange is appended to ``log``."""

    base_url: str
    token: str | None = TOKEN
    log: list[Exchange] = field(default_factory=list)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        raw: bytes | None = None,
        token: Any = ...,
        timeout: float = 10,
    ) -> Exchange:
        token = self.token if token is ... else token
        payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}".rstrip()
        pairs = [
            (k, str(v).lower() if isinstance(v, bool) else v) for k, v in (query or {}).items()
        ]
        target = path + ("?" + urlencode(pairs) if pairs else "")
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(method, target, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        exchange = Exchange(
            method,
            path,
            {k: [str(v)] for k, v in pairs},
            payload,
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data,
        )
        self.log.append(exchange)
        return exchange

    def get(self, path: str, **kw: Any) -> Exchange:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Exchange:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Exchange:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> Exchange:
        return self.call("DELETE", path, body, **kw)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.05) -> None:
    """Poll until ``predicate()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(step)


class FakeClock:
    """A clock for ``World(clock=...)`` that only moves when told to."""

    def __init__(self, start: float = 1_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
