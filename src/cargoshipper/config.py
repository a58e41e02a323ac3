"""One settings object, read from flags and the environment in one place."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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

    token: str = field(repr=False)  # the server's own; "": none (over HTTP, callers send theirs)
    api_url: str = DEFAULT_API_URL
    sandbox: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry_total: int = 3
    retry_backoff: float = 0.5
    max_retry_wait: float = 20.0
    request_deadline: float = 45.0  # one request, retries included: within a 60 s client timeout
    wait_timeout: float = 600.0
    call_budget: float = 50.0  # a tool call that waits hands back (done=false) within this,
    #  before the host's request timeout (often 60 s)
    poll_interval: float = 1.0
    all_pages_cap: int = 1000
    api_threads: int = 32  # API calls in flight at once (threads, and pooled connections)
    per_operation_limit: int = 8  # of those, at most this many for one operation: a slow
    #  endpoint queues its own calls instead of starving every other one
    # -- trust (see the README's "Safety" section) --
    read_only: bool = False
    toolsets: tuple[str, ...] | None = None  # None: every toolset
    confirm: ConfirmPolicy = "auto"
    protected_tag: str = "protected"
    bulk_limit: int = 10
    max_monthly_cost: float | None = None
    audit_log: Path | None = None  # None: no audit log
    confirmation_ttl: float = 600.0  # how long a pending approval lives
    approval_wait: float = 45.0  # a call waits this long for a person, within 60 s timeouts
    approval_port: int = 0  # the loopback approval page (0: any free port)
    public_url: str | None = None  # HTTP: where callers reach the server (approval links)
    # -- replicas (see the README's "Host it for a team") --
    redis_url: str | None = field(default=None, repr=False)  # None: state in this process
    state_key: str | None = field(default=None, repr=False)  # seals request state (HTTP)


#: auto: the client's dialog where it has one, else the approval page; page: always the page
#: (for hosts that auto-approve dialogs); never: nothing is asked (automation only).
ConfirmPolicy = Literal["auto", "page", "never"]
CONFIRM_POLICIES: tuple[ConfirmPolicy, ...] = ("auto", "page", "never")


def default_audit_log(env: Mapping[str, str] | None = None, sandbox: bool = False) -> Path:
    """``$XDG_STATE_HOME/cargoshipper/audit.jsonl`` (default ``~/.local/state/...``); sandbox
    runs get ``audit-sandbox.jsonl`` beside it, so they never mix with a real account's."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    name = "audit-sandbox.jsonl" if sandbox else "audit.jsonl"
    return Path(state) / "cargoshipper" / name


def parse_bool(name: str, value: str) -> bool:
    """Strict booleans: a typo is an error, not a silent False."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use true or false)")


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


def trust_options(
    flags: Mapping[str, object], env: Mapping[str, str] | None = None, sandbox: bool = False
) -> dict:
    """The trust settings: each from its flag when given, else its CARGOSHIPPER_* variable.

    ``flags`` holds read_only, toolsets, confirm, protected_tag, bulk_limit,
    max_monthly_cost, approval_wait and audit_log as the command line gave them (None: not given).
    """
    env = os.environ if env is None else env

    def pick(name: str) -> object:
        flag = flags.get(name)
        if flag is not None:
            return flag
        return env.get(f"CARGOSHIPPER_{name.upper()}") or None

    options: dict = {}
    if (read_only := pick("read_only")) is not None:
        options["read_only"] = (
            read_only
            if isinstance(read_only, bool)
            else parse_bool("CARGOSHIPPER_READ_ONLY", str(read_only))
        )
    if toolsets := pick("toolsets"):
        options["toolsets"] = tuple(
            name.strip() for name in str(toolsets).split(",") if name.strip()
        )
    if confirm := pick("confirm"):
        if confirm == "code":
            raise ConfigError(
                "--confirm code was removed: a code the agent could read approved nothing a "
                "person saw. Use --confirm page: a person approves on CargoShipper's page."
            )
        if confirm not in CONFIRM_POLICIES:
            raise ConfigError(
                f"confirm must be one of {', '.join(CONFIRM_POLICIES)}, not {confirm!r}"
            )
        options["confirm"] = confirm
    if protected_tag := pick("protected_tag"):
        options["protected_tag"] = str(protected_tag)
    if (bulk_limit := pick("bulk_limit")) is not None:
        options["bulk_limit"] = _number("bulk limit", bulk_limit, int, minimum=1)
    if (wait := pick("approval_wait")) is not None:
        options["approval_wait"] = _number("approval wait", wait, float, minimum=0)
    if (max_cost := pick("max_monthly_cost")) is not None:
        options["max_monthly_cost"] = _number("max monthly cost", max_cost, float, minimum=0)
    audit = pick("audit_log")
    if audit is None:
        options["audit_log"] = default_audit_log(env, sandbox)
    elif str(audit).lower() != "off":
        options["audit_log"] = Path(str(audit)).expanduser()
    return options


def _number(what: str, value: object, kind: type, minimum: float) -> int | float:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{what} must be a finite number, not {value!r}")
    if number < minimum:
        raise ConfigError(f"{what} must be at least {minimum}")
    return number
