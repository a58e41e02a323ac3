"""Shared fixtures: a fresh sandbox per test, and MCP clients of both protocol eras on it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cargoshipper.access import DOAccess
from cargoshipper.config import Settings
from cargoshipper.sandbox import Sandbox, SandboxConfig
from cargoshipper.server import build_server

TEST_TOKEN = "dop_v1_" + "5e" * 32  # looks like a real token, so leak scans can find it

ERAS = ["auto", "legacy"]  # 2026-07-28 (negotiated by "auto") and the handshake era


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it on a clean machine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Approval pages the tests start write their runtime files here, not in the user's."""
    from cargoshipper.approval_page import RUNTIME_DIR_ENV

    directory = tmp_path_factory.mktemp("run")
    before = os.environ.get(RUNTIME_DIR_ENV)
    os.environ[RUNTIME_DIR_ENV] = str(directory)
    yield directory
    if before is None:
        os.environ.pop(RUNTIME_DIR_ENV, None)
    else:
        os.environ[RUNTIME_DIR_ENV] = before


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A real headless chromium driven by Playwright (no ``playwright install``)."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):  # in CI a missing browser fails
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        await launched.close()


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
        confirm="never",  # tool tests act directly; tests/trust covers approvals
        approval_wait=1.0,  # a call without a dialog waits this long for a person
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


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every request the access layer sends, in order: (operation, params without the
    subject/lookup_hint/look_for hints)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = DOAccess.call

    async def spy(self, operation, /, **params):
        hints = ("subject", "lookup_hint", "look_for")
        calls.append((operation, {k: v for k, v in params.items() if k not in hints}))
        return await original(self, operation, **params)

    monkeypatch.setattr(DOAccess, "call", spy)
    return calls


@pytest.fixture
def url_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients declare URL elicitation and no form dialog (the SDK always declares both)."""
    from mcp.client import session as client_session

    real = client_session.types.ElicitationCapability
    monkeypatch.setattr(
        client_session.types,
        "ElicitationCapability",
        lambda form=None, url=None: real(url=url),
    )
