"""One settings object, read from flags and the environment in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_URL = "https://api.digitalocean.com"

#: Where the token is looked for, first match wins: our own name first, then doctl's, then the
#: official DigitalOcean MCP server's, so an existing setup keeps working.
TOKEN_VARIABLES = ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_TOKEN")
API_URL_VARIABLE = "DIGITALOCEAN_API_URL"
SANDBOX_TOKEN = "sandbox-token"  # the sandbox accepts any bearer token; this one is not a secret


class ConfigError(Exception):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, decided before it starts."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    sandbox: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry_total: int = 3
    retry_backoff: float = 0.5
    max_retry_wait: float = 20.0
    wait_timeout: float = 600.0
    poll_interval: float = 1.0
    all_pages_cap: int = 1000


def token_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """Return (variable name, token) for the first token variable that is set, or None."""
    env = os.environ if env is None else env
    for name in TOKEN_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def api_url_from_env(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return env.get(API_URL_VARIABLE, "").strip() or None


MISSING_TOKEN_HELP = (
    "No DigitalOcean API token found. Set DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN / "
    "DIGITALOCEAN_API_TOKEN) to a token from https://cloud.digitalocean.com/account/api/tokens, "
    "or add --sandbox to try CargoShipper against its built-in local DigitalOcean simulator."
)
