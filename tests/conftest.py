"""Shared fixtures: a fresh sandbox per test, and MCP clients of both protocol eras on it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from mcp import Client

from cargoshipper.config import Settings
from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server

TEST_TOKEN = "dop_v1_" + "5e" * 32  # looks like a real token, so leak scans can find it

ERAS = ["auto", "legacy"]  # 2026-07-28 (negotiated by "auto") and the handshake era


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(boot_seconds=0.3, action_seconds=0.2)) as running:
        yield running


def settings_for(url: str, **overrides) -> Settings:
    """Settings tuned for tests: fast polling, short timeouts, short retry waits."""
    values = dict(
        token=TEST_TOKEN,
        api_url=url,
        poll_interval=0.05,
        read_timeout=5.0,
        connect_timeout=2.0,
        max_retry_wait=3.0,
        retry_backoff=0.05,
        wait_timeout=30.0,
        confirm="never",  # tool tests act directly; tests/trust covers confirmation
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def client(sandbox: Sandbox, era: str) -> AsyncIterator[Client]:
    async with Client(build_server(settings_for(sandbox.url)), mode=era) as connected:
        yield connected


@contextlib.asynccontextmanager
async def connect(
    sandbox: Sandbox, era: str = "auto", elicitation=None, **settings
) -> AsyncIterator[Client]:
    """An MCP client on a server with these settings; ``elicitation`` answers dialogs (None:
    the client declares no elicitation capability, like the MCP Inspector CLI)."""
    settings.setdefault("confirm", "auto")  # the product's default, unlike the tool tests
    server = build_server(settings_for(sandbox.url, **settings))
    async with Client(server, mode=era, elicitation_callback=elicitation) as connected:
        yield connected
