"""Fixtures for the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_core import Config, OpenAPI

from cargoshipper.sandbox import Sandbox, SandboxConfig

from ._client import Api

ROOT = Path(__file__).resolve().parents[2]  # the repository
SPEC = ROOT / "spec" / "digitalocean-public.v2.yaml"

FAST = SandboxConfig(boot_seconds=0.2, action_seconds=0.2)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A fast sandbox (0.2 s boots and actions) shared by a module."""
    with Sandbox(FAST) as sb:
        yield sb


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    """A client on the module's sandbox, reset to the seed state."""
    sandbox.world.reset()
    return Api(sandbox.url)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    """The official spec, loaded once (its one upstream defect rules out spec validation)."""
    return OpenAPI.from_file_path(str(SPEC), config=Config(spec_validator_cls=None))
