"""The `cargoshipper` command: flags and environment in, a running server (or one call) out."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import importlib.util
import ipaddress
import json
import logging
import math
import os
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import anyio

from . import __version__
from .config import (
    API_URL_VARIABLE,
    CONFIRM_POLICIES,
    DEFAULT_API_URL,
    MISSING_TOKEN_HELP,
    SANDBOX_TOKEN,
    ConfigError,
    Settings,
    api_url_from_env,
    token_from_env,
    trust_options,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
CALL_BUDGET_VARIABLE = "CARGOSHIPPER_CALL_BUDGET"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    if args.command == "call":  # key=value pairs may come after flags, in any order
        args.arguments = [*args.arguments, *(arg for arg in extras if not arg.startswith("-"))]
        extras = [arg for arg in extras if arg.startswith("-")]
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"cargoshipper: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# -- arguments -------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not a usage dump: what is wrong and where the help is."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(
    kind: Callable[[str], float], ok: Callable[[float], bool], wanted: str
) -> Callable[[str], Any]:
    """An argparse type: a finite ``kind`` for which ``ok`` holds, else "... is not ``wanted``"."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and ok(value)):
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}")
        return value

    return parse


PORT = _number(int, lambda port: 0 <= port <= 65535, "a port (0 to 65535; 0: any free one)")
COUNT = _number(int, lambda count: count >= 1, "a whole number of at least 1")
SECONDS = _number(float, lambda seconds: seconds > 0, "a number of seconds above 0")
DURATION = _number(float, lambda seconds: seconds >= 0, "a number of seconds (0 or more)")


def _names(text: str) -> list[str]:
    """A comma-separated list (``a.example,b.example:8000``), blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cargoshipper",
        description="CargoShipper MCP: let an AI agent run your DigitalOcean account.",
    )
    parser.add_argument("--version", action="version", version=f"cargoshipper {__version__}")
    _add_log_level(parser, default="WARNING")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve MCP (stdio by default)",
        description=("Serve MCP over stdio (for MCP hosts) or Streamable HTTP."),
    )
    _add_connection_flags(serve)
    serve.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio: for an MCP host that starts this command (default); http: Streamable "
        "HTTP on --host and --port",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP bind address (default 127.0.0.1); any other than loopback needs "
        "--allowed-hosts, and every caller then sends its own DigitalOcean token",
    )
    serve.add_argument(
        "--allowed-hosts",
        type=_names,
        metavar="HOST[:PORT],...",
        help="HTTP: the Host names clients reach this server by (HOST:* for any port); others "
        "get 421. Given, every caller must send its own token, also on loopback (behind a proxy)",
    )
    serve.add_argument(
        "--allowed-origins",
        type=_names,
        metavar="ORIGIN,...",
        help="HTTP: browser origins allowed to call (e.g. https://app.example.com); others get "
        "403 (default: none with --allowed-hosts, else loopback ones)",
    )
    serve.add_argument(
        "--port",
        type=PORT,
        default=8000,
        help="HTTP port (default 8000; 0: any free port, printed at start)",
    )
    serve.add_argument(
        "--max-sessions",
        type=COUNT,
        default=1000,
        metavar="N",
        help="HTTP: legacy (2025-era) sessions open at once; more get 503 (default 1000)",
    )
    serve.add_argument(
        "--session-idle-timeout",
        type=SECONDS,
        default=600.0,
        metavar="SECONDS",
        help="HTTP: close a legacy session idle this long (default 600)",
    )
    serve.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="HTTP: the address people's browsers reach this server at (e.g. "
        "https://mcp.example.com, behind a TLS proxy); approval links point there (env "
        "CARGOSHIPPER_PUBLIC_URL; default: the address each request came to)",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="HTTP: no sessions for 2025-era clients either, so a load balancer may send any "
        "request to any replica (those clients then get no approval dialogs: a person "
        "decides on the approval page)",
    )
    serve.add_argument(
        "--redis-url",
        metavar="URL",
        help="share approvals, create locks and rate-limit readings with the other replicas "
        "using this Redis (redis://HOST:PORT/DB; env CARGOSHIPPER_REDIS_URL); default: in "
        "this process",
    )
    serve.add_argument(
        "--state-key",
        metavar="SECRET",
        help="HTTP with --redis-url: the secret all replicas seal request state with "
        "(env CARGOSHIPPER_STATE_KEY; prefer the variable: flags show in ps)",
    )
    serve.set_defaults(handler=_serve)

    call = commands.add_parser(
        "call",
        help="call one tool and print its result as JSON",
        description="Call one tool through an MCP client session.",
    )
    _add_connection_flags(call)
    call.add_argument("tool", help="tool name, e.g. droplet_list")
    call.add_argument(
        "arguments",
        nargs="*",
        default=[],
        metavar="key=value",
        help='arguments; values are JSON where they parse (123, true, ["a"])',
    )
    call.add_argument(
        "--json",
        dest="json_arguments",
        metavar="OBJECT",
        help="arguments as one JSON object (merged under key=value ones)",
    )
    call.set_defaults(handler=_call)

    tools = commands.add_parser(
        "tools",
        help="list the tools and the size of tools/list",
        description="List the tools, one line each, and the tools/list size; with --toolsets "
        "or --read-only, what a server started with them lists.",
    )
    _add_tool_flags(tools)
    tools.add_argument("--json", action="store_true", help="print the tools/list answer as JSON")
    tools.set_defaults(handler=_tools)

    audit = commands.add_parser(
        "audit",
        help="print the audit log readably",
        description="Print the audit log: every change, its confirmation and its outcome.",
    )
    audit.add_argument("--since", help="only entries newer than this: 30m, 2h, 7d or an ISO time")
    audit.add_argument(
        "--audit-log",
        metavar="PATH",
        help="the log to read (default: the serve default, or CARGOSHIPPER_AUDIT_LOG)",
    )
    audit.add_argument("--json", action="store_true", help="print the raw JSON lines")
    audit.add_argument(
        "--sandbox", action="store_true", help="the sandbox's own log (audit-sandbox.jsonl)"
    )
    audit.set_defaults(handler=_audit)

    pending = commands.add_parser(
        "pending",
        help="list the requests waiting for approval in running servers",
        description="List what agents ask for approval, from the servers on this machine.",
    )
    pending.add_argument("--pid", type=int, help="only the server with this process id")
    pending.set_defaults(handler=_pending)
    for name, verb in (("approve", "approve"), ("deny", "deny")):
        decide = commands.add_parser(
            name,
            help=f"{verb} a pending request (id from `cargoshipper pending`)",
            description=f"{verb.capitalize()} one request an agent is waiting on.",
        )
        decide.add_argument("id", help="the request id, e.g. ap-1a2b3c4d")
        decide.add_argument("--pid", type=int, help="only the server with this process id")
        decide.set_defaults(handler=_decide, approve=name == "approve")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local DigitalOcean simulator alone",
        description="Serve the sandbox DigitalOcean API on loopback.",
    )
    _add_sandbox_flags(sandbox)
    sandbox.set_defaults(handler=_sandbox)
    for command in commands.choices.values():  # --log-level also after the command
        _add_log_level(command, default=argparse.SUPPRESS)
    return parser


def _add_log_level(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=default,
        metavar="LEVEL",
        help="stderr log level: debug, info, warning (default), error or critical; any case",
    )


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    _add_trust_flags(parser)
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use the built-in local DigitalOcean simulator (no token, no bill)",
    )
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help=f"API base URL (env {API_URL_VARIABLE}; default {DEFAULT_API_URL})",
    )
    parser.add_argument(
        "--call-budget",
        type=SECONDS,
        metavar="SECONDS",
        help="seconds a tool call may wait before handing back done=false (default 50; keep it "
        "under your client's request timeout)",
    )


def _add_tool_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The "safety" group with the flags that choose the tools listed."""
    trust = parser.add_argument_group(
        "safety", "Each flag also reads CARGOSHIPPER_<NAME> (e.g. CARGOSHIPPER_READ_ONLY=true)."
    )
    trust.add_argument(
        "--read-only", action="store_true", default=None, help="list and allow only read tools"
    )
    trust.add_argument(
        "--toolsets",
        metavar="A,B",
        help=f"toolsets to enable ({', '.join(_toolset_names())}), all, or default plus "
        "more (e.g. default,firewalls); not given: the default ones, see `cargoshipper tools`",
    )
    return trust


def _add_trust_flags(parser: argparse.ArgumentParser) -> None:
    trust = _add_tool_flags(parser)
    trust.add_argument(
        "--confirm",
        choices=CONFIRM_POLICIES,
        help="what destroys or spends waits for a person: auto = the client's dialog where it "
        "has one, else the approval page (default); page = always the approval page (for "
        "hosts that auto-approve dialogs); never = nothing is asked (automation only: an agent "
        "can then delete or buy anything not protected)",
    )
    trust.add_argument(
        "--approval-wait",
        type=float,
        metavar="SECONDS",
        help="how long a call waits for a person before it returns 'pending' (default 45, "
        "within the common 60 s client timeout)",
    )
    trust.add_argument(
        "--protected-tag", metavar="TAG", help="tag that blocks destruction (default: protected)"
    )
    trust.add_argument(
        "--bulk-limit",
        type=int,
        metavar="N",
        help="most resources one by-tag call may touch (default 10)",
    )
    trust.add_argument(
        "--max-monthly-cost",
        type=float,
        metavar="USD",
        help="refuse creates/resizes adding more than this per month",
    )
    trust.add_argument(
        "--audit-log",
        metavar="PATH|off",
        help="audit log file (default ~/.local/state/cargoshipper/audit.jsonl)",
    )


def _add_sandbox_flags(parser: argparse.ArgumentParser) -> None:
    """The sandbox's options (``python -m cargoshipper.sandbox`` runs this command too)."""
    from .sandbox import SandboxConfig

    defaults = SandboxConfig()
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=PORT, default=8089, help="port to listen on (default 8089; 0: any free one)"
    )
    parser.add_argument(
        "--boot-seconds",
        type=DURATION,
        default=defaults.boot_seconds,
        metavar="SECONDS",
        help=f"from a Droplet create until it is active (default {defaults.boot_seconds:g})",
    )
    parser.add_argument(
        "--action-seconds",
        type=DURATION,
        default=defaults.action_seconds,
        metavar="SECONDS",
        help=f"how long an action stays in-progress (default {defaults.action_seconds:g})",
    )
    parser.add_argument(
        "--rate-limit",
        type=COUNT,
        default=defaults.rate_limit_per_hour,
        metavar="N",
        help=f"requests per hour before 429 answers (default {defaults.rate_limit_per_hour})",
    )
    parser.add_argument("--empty", action="store_true", help="start without the demo account")


def _toolset_names() -> list[str]:
    from .server import toolset_names

    return toolset_names()


def settings_from(
    args: argparse.Namespace, token_required: bool = True, **overrides: Any
) -> Settings:
    """Settings for a real API (a token, unless not ``token_required``: then "" without one)
    or the sandbox URL in ``overrides``."""
    names = (
        "read_only",
        "toolsets",
        "confirm",
        "protected_tag",
        "bulk_limit",
        "max_monthly_cost",
        "approval_wait",
        "audit_log",
    )
    flags = {name: getattr(args, name, None) for name in names}
    options = trust_options(flags, sandbox=bool(overrides.get("sandbox")))
    known = [*_toolset_names(), "all", "default"]
    unknown = sorted(set(options.get("toolsets") or ()) - set(known))
    if unknown:
        raise ConfigError(f"unknown toolset {', '.join(unknown)}; choose from {', '.join(known)}")
    if (budget := _call_budget(args)) is not None:
        options["call_budget"] = budget
    if overrides.get("sandbox"):
        return Settings(token=SANDBOX_TOKEN, **options, **overrides)
    found = token_from_env()
    if found is None and token_required:
        raise ConfigError(MISSING_TOKEN_HELP)
    token = found[1] if found else ""
    return Settings(token=token, api_url=_api_url(args.api_url), **options, **overrides)


def _call_budget(args: argparse.Namespace) -> float | None:
    """``--call-budget``, else CARGOSHIPPER_CALL_BUDGET, else None (the default)."""
    if (flag := getattr(args, "call_budget", None)) is not None:
        return flag
    text = os.environ.get(CALL_BUDGET_VARIABLE, "").strip()
    try:
        return SECONDS(text) if text else None
    except argparse.ArgumentTypeError as error:
        raise ConfigError(f"{CALL_BUDGET_VARIABLE}: {error}") from None


def _api_url(flag: str | None) -> str:
    """``--api-url``, else DIGITALOCEAN_API_URL, else the default; only an http(s)://host URL."""
    url = flag or api_url_from_env() or DEFAULT_API_URL
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. "http://[::1" or a port that is no number
        valid = False
    if not valid:
        where = "--api-url" if flag else API_URL_VARIABLE
        raise ConfigError(f"{where} {url!r} is not an http(s) URL such as {DEFAULT_API_URL}")
    return url


@contextlib.contextmanager
def connection(args: argparse.Namespace, token_required: bool = True) -> Iterator[Settings]:
    """Settings for this command, starting the sandbox first when asked for."""
    if not args.sandbox:
        yield settings_from(args, token_required)
        return
    if args.api_url:
        raise ConfigError(
            "--api-url and --sandbox do not go together (the sandbox is an API of "
            "its own); drop one"
        )
    from .sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig()) as sandbox:
        yield settings_from(args, sandbox=True, api_url=sandbox.url)


# -- commands --------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from .access import preload

    # pydo takes ~150 ms to import: done while the server builds, not on the first tool call
    preloading = threading.Thread(target=preload, name="preload-pydo", daemon=True)
    preloading.start()
    from .server import build_server

    if args.transport == "http":
        return _serve_http(args, preloading)
    with connection(args) as settings:
        build_server(_replicas(settings, args)).run("stdio")
    return 0


def _replicas(settings: Settings, args: argparse.Namespace) -> Settings:
    """``--redis-url`` and ``--state-key`` (or their variables) in the settings."""
    redis_url = args.redis_url or os.environ.get("CARGOSHIPPER_REDIS_URL", "").strip() or None
    state_key = args.state_key or os.environ.get("CARGOSHIPPER_STATE_KEY", "").strip() or None
    if redis_url is None:
        return dataclasses.replace(settings, state_key=state_key)
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("--redis-url must start with redis://, rediss:// or unix://")
    try:
        import redis.asyncio  # noqa: F401
    except ImportError:
        raise ConfigError(
            "--redis-url needs the Redis client: pip install 'cargoshipper[redis]'"
        ) from None
    if args.transport == "http" and not state_key:
        raise ConfigError(
            "--redis-url over HTTP needs --state-key (or CARGOSHIPPER_STATE_KEY): the same "
            "secret on every replica, so each accepts the request state the others issue"
        )
    if state_key is not None and len(state_key) < 16:
        raise ConfigError("--state-key must be at least 16 characters (a random secret)")
    return dataclasses.replace(settings, redis_url=redis_url, state_key=state_key)


def _serve_http(args: argparse.Namespace, preloading: threading.Thread) -> int:
    """Streamable HTTP. Single-user on loopback: a caller without a token of its own is served
    with the server's. Hosted (another address, or ``--allowed-hosts``): every caller sends its
    own token, and the server's is never used."""
    import uvicorn

    from .server import build_server, http_app

    hosted = bool(args.allowed_hosts) or not _is_loopback(args.host)
    if hosted and not args.allowed_hosts:
        raise ConfigError(
            f"--host {args.host} is reachable from other machines: name the host names clients "
            "use with --allowed-hosts HOST[:PORT],... (DNS-rebinding protection)"
        )
    host = f"[{args.host}]" if ":" in args.host else args.host
    with connection(args, token_required=not hosted) as settings:
        if hosted:
            settings = dataclasses.replace(settings, token="")  # callers bring their own
        try:
            public_url = args.public_url or _public_url(os.environ.get(PUBLIC_URL_VARIABLE))
        except argparse.ArgumentTypeError as error:
            raise ConfigError(f"{PUBLIC_URL_VARIABLE}: {error}") from None
        settings = dataclasses.replace(settings, public_url=public_url)
        server = build_server(_replicas(settings, args))
        app = http_app(
            server,
            allowed_hosts=args.allowed_hosts or [*LOOPBACK_HOSTS, f"{host}:*"],
            allowed_origins=args.allowed_origins or ([] if hosted else LOOPBACK_ORIGINS),
            max_sessions=args.max_sessions,
            session_idle_timeout=args.session_idle_timeout,
            stateless=args.stateless,
        )
        preloading.join(timeout=5)  # listen once pydo is in: no caller's first call waits
        with _listen(args.host, args.port) as sock:
            port = sock.getsockname()[1]  # bound already, so the banner names the real port
            where = "the sandbox" if settings.sandbox else settings.api_url
            callers = (
                f"Hosted for {', '.join(args.allowed_hosts)}: every caller sends its own "
                "DigitalOcean token (Authorization: Bearer ...); the server's is not used."
                if hosted
                else "A caller's own token (Authorization: Bearer ...) is used for its calls; "
                "without one, the server's."
            )
            print(
                f"CargoShipper MCP on http://{host}:{port}/mcp (Streamable HTTP), managing "
                f"{where}.\n{callers}\nConnect an MCP client to that URL; Ctrl-C stops.",
                file=sys.stderr,
                flush=True,
            )
            log_level = server.settings.log_level.lower()
            config = uvicorn.Config(app, host=args.host, port=port, log_level=log_level)
            anyio.run(uvicorn.Server(config).serve, [sock], backend_options=_EVENT_LOOP)
    return 0


#: uvloop where it is installed (a dependency except on Windows): the event loop's own share of
#: each call's CPU drops by a tenth or more. uvicorn picks httptools by itself the same way.
_EVENT_LOOP = {"use_uvloop": importlib.util.find_spec("uvloop") is not None}


PUBLIC_URL_VARIABLE = "CARGOSHIPPER_PUBLIC_URL"


def _public_url(value: str | None) -> str | None:
    """An http(s) URL with a host and nothing after its path (the approval links' base)."""
    value = (value or "").strip()
    if not value:
        return None
    url = urllib.parse.urlsplit(value)
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise argparse.ArgumentTypeError(
            f"--public-url must be like https://mcp.example.com (got {value!r})"
        )
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost
        return False


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free one), or one line saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that name it, and without it
    # every answer on a kept-alive connection waits ~40 ms for a delayed ACK (bench/throughput).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise _cannot_listen(host, port, error) from None
    return sock


def _cannot_listen(host: str, port: int, error: OSError) -> ConfigError:
    if error.errno == errno.EADDRINUSE:
        return ConfigError(
            f"port {port} on {host} is in use; choose another with --port N, or --port 0 for "
            "any free port"
        )
    return ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}")


def _call(args: argparse.Namespace) -> int:
    from mcp import Client

    from .server import build_server

    raw = dict(_pairs(args.arguments))
    if args.json_arguments:
        try:
            extra = json.loads(args.json_arguments)
        except json.JSONDecodeError as error:
            raise ConfigError(f"--json is not valid JSON: {error}") from None
        if not isinstance(extra, dict):
            raise ConfigError("--json must be a JSON object")
        raw = {**extra, **raw}

    async def run(settings: Settings) -> int:
        ask = _ask_on_terminal if sys.stdin.isatty() and sys.stderr.isatty() else None
        async with Client(build_server(settings), elicitation_callback=ask) as client:
            listed = {tool.name: tool for tool in (await client.list_tools()).tools}
            arguments = _coerce(raw, listed[args.tool].input_schema)
            result = await client.call_tool(args.tool, arguments)
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            print(json.dumps({"error": text}, indent=2))
            return 1
        print(json.dumps(result.structured_content, indent=2))
        if (result.structured_content or {}).get("approval"):
            print(
                "cargoshipper: nothing was done: it waits for a person's approval. Run the "
                "command on a terminal to answer the question there, or approve it on the "
                "approval page (link above) and run it again; unattended scripts only: "
                "--confirm never.",
                file=sys.stderr,
            )
            return 3
        return 0

    with connection(args) as settings:
        _require_enabled(args.tool, settings)
        return anyio.run(run, settings)


def _require_enabled(name: str, settings: Settings) -> None:
    """Refuse, with the way out, a tool that does not exist or is not enabled."""
    from .server import all_tools, enabled_tools

    spec = next((spec for spec in all_tools() if spec.name == name), None)
    if spec is None:
        raise ConfigError(f"no tool {name!r}; `cargoshipper tools` lists them")
    if spec not in enabled_tools(settings):
        if settings.read_only:
            raise ConfigError(f"{name} changes things; drop --read-only to use it")
        raise ConfigError(
            f"{name} is in the {spec.toolset!r} toolset, which is not enabled: "
            f"add --toolsets {spec.toolset} (or --toolsets all)"
        )


async def _ask_on_terminal(_context: Any, params: Any) -> Any:
    """Show a confirmation question on the terminal (the CLI's elicitation dialog)."""
    from mcp.types import ElicitResult

    print(f"\n{params.message} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = (await anyio.to_thread.run_sync(sys.stdin.readline)).strip().lower()
    if answer in ("y", "yes"):
        return ElicitResult(action="accept", content={"confirm": True})
    return ElicitResult(action="decline")


def _pairs(items: Sequence[str]) -> Iterator[tuple[str, str]]:
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"argument {item!r} is not key=value")
        yield key, value


def _coerce(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Shell strings to JSON values, except where the tool's schema wants a string."""
    properties = schema.get("properties", {})
    coerced: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(value, str) or _wants_string(properties.get(key, {})):
            coerced[key] = value
            continue
        try:
            coerced[key] = json.loads(value)
        except json.JSONDecodeError:
            coerced[key] = value
    return coerced


def _wants_string(prop: dict[str, Any]) -> bool:
    types = {prop.get("type")} | {option.get("type") for option in prop.get("anyOf", [])}
    return "string" in types and not types & {"integer", "number", "boolean", "array", "object"}


def _tools(args: argparse.Namespace) -> int:
    from .tool_list import describe_preview, describe_tool_list

    if args.toolsets is None and args.read_only is None:
        print(describe_tool_list(as_json=args.json))
        return 0
    settings = settings_from(args, sandbox=True)  # a preview: no token needed
    print(describe_preview(settings.toolsets, settings.read_only, as_json=args.json))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from .trust import format_record, parse_since, read_records

    path = trust_options({"audit_log": args.audit_log}, sandbox=args.sandbox).get("audit_log")
    if path is None:
        raise ConfigError(
            "the audit log is off (CARGOSHIPPER_AUDIT_LOG=off); name one with --audit-log"
        )
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as error:
        raise ConfigError(str(error)) from None
    for record in read_records(path, since):
        print(json.dumps(record) if args.json else format_record(record))
    return 0


def _approval_pages(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The running approval pages (runtime files), or the one ``--pid`` names."""
    from .approval_page import runtime_files

    pages = runtime_files()
    if args.pid is not None:
        pages = [page for page in pages if page["pid"] == args.pid]
    if not pages:
        which = f" with pid {args.pid}" if args.pid is not None else ""
        raise ConfigError(
            f"no CargoShipper server{which} with an approval page is running on this machine"
        )
    return pages


def _pending(args: argparse.Namespace) -> int:
    from .approval_page import api_call

    count = 0
    for page in _approval_pages(args):
        try:
            status, items = api_call(page, "GET", "/api/pending")
        except ConnectionError as error:  # one unreachable server must not hide the others
            print(f"cargoshipper: server {page['pid']}: {error}", file=sys.stderr)
            continue
        if status != 200:
            print(f"cargoshipper: server {page['pid']}: HTTP {status}", file=sys.stderr)
            continue
        for item in items:
            count += 1
            print(f"{item['id']}  {item['tool']}  (server pid {page['pid']})")
            print("    " + item["preview"].replace("\n", "\n    "))
    if not count:
        print("Nothing is waiting for approval.")
    return 0


def _decide(args: argparse.Namespace) -> int:
    from .approval_page import api_call

    body = {"decision": "approve" if args.approve else "deny"}
    for page in _approval_pages(args):
        try:
            status, answer = api_call(page, "POST", f"/api/decide/{args.id}", body)
        except ConnectionError as error:
            print(f"cargoshipper: server {page['pid']}: {error}", file=sys.stderr)
            continue
        if status == 200:
            print(f"{answer['id']} {answer['status']} ({answer['tool']})")
            return 0
        if status != 404:  # this server knows the id: already decided, expired, ...
            print(f"cargoshipper: {answer.get('error', f'HTTP {status}')}", file=sys.stderr)
            return 1
    print(f"cargoshipper: no request {args.id}; `cargoshipper pending` lists them", file=sys.stderr)
    return 1


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import SandboxConfig, serve

    config = SandboxConfig(
        boot_seconds=args.boot_seconds,
        action_seconds=args.action_seconds,
        seed=not args.empty,
        rate_limit_per_hour=args.rate_limit,
    )
    try:
        serve(host=args.host, port=args.port, config=config)
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise _cannot_listen(args.host, args.port, error) from None
    return 0
