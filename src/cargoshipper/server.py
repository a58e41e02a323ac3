"""Assembles the MCP server: the enabled tools, each bound once through the trust guard; over
HTTP, each request's tenant (its caller's token) and the allowed hosts."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.request_state import RequestStateSecurity
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.types import CallToolResult, InputRequiredResult, TextContent
from mcp.types import Tool as MCPTool
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from . import __version__
from .access import DOAccess, tenant_of
from .approval_page import REMOTE_PATH, UNKNOWN_LINK
from .config import Settings
from .registry import Access, ToolSpec
from .tool_arguments import check_arguments
from .tools import TOOLSETS
from .trust import Guard

if TYPE_CHECKING:
    from starlette.applications import Starlette

INSTRUCTIONS = (
    "CargoShipper manages one DigitalOcean account. Tools are named <resource>_<verb>. "
    "Lists are compact and paginated: read has_more/next_page. Long operations wait and report "
    "progress; if one returns done=false, follow its message instead of repeating the call. "
    "Calls that destroy, spend or remove protection wait for a person's approval; if one "
    "returns that approval is pending, tell the user and call again later with the same "
    "arguments. Never try another tool or api_call to get around a refusal."
)


def all_tools() -> list[ToolSpec]:
    return [spec for toolset in TOOLSETS for spec in toolset.tools]


def toolset_names() -> list[str]:
    return [toolset.name for toolset in TOOLSETS]


def chosen_toolsets(settings: Settings) -> set[str]:
    """``--toolsets`` names, ``all``, ``default`` (e.g. ``default,firewalls``), or (not given)
    the default toolsets."""
    defaults = {toolset.name for toolset in TOOLSETS if toolset.default}
    if settings.toolsets is None:
        return defaults
    if "all" in settings.toolsets:
        return set(toolset_names())
    chosen = set(settings.toolsets) - {"default"}
    return chosen | defaults if "default" in settings.toolsets else chosen


def enabled_tools(settings: Settings) -> list[ToolSpec]:
    """The tools this server lists: the chosen toolsets, and only reads when read-only."""
    chosen = chosen_toolsets(settings)
    return [
        spec
        for spec in all_tools()
        if spec.toolset in chosen
        and (not settings.read_only or spec.access is Access.READ or spec.mixed)
    ]


class CargoShipperServer(MCPServer):
    """MCPServer whose ``tools/list`` leaves out what costs context and tells the model
    nothing (see ``slim_schema``)."""

    async def list_tools(self) -> list[MCPTool]:
        return [
            tool.model_copy(
                update={
                    "input_schema": {
                        **slim_schema(tool.input_schema),
                        "additionalProperties": False,
                    },
                    "output_schema": slim_schema(tool.output_schema, output=True),
                }
            )
            for tool in await super().list_tools()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Any = None
    ) -> CallToolResult | InputRequiredResult:
        """Refuse unknown and invalid arguments in one line each, before the tool runs (for
        clients that ignore ``additionalProperties: false``)."""
        tool = self._tool_manager.get_tool(name)
        if tool is not None:
            check_arguments(tool, arguments)
        return await super().call_tool(name, arguments, context)


def slim_schema(schema: Any, output: bool = False) -> Any:
    """``schema`` without pydantic's generated ``title``s; in input schemas ``X | None``
    parameters become plain optional ``X`` (omitting one means null); output schemas keep
    only structure and types (the tool description says what it returns)."""
    if isinstance(schema, list):
        return [slim_schema(item, output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if not output:  # a result may really hold null, so output schemas keep the union
        schema = _unwrap_optional(schema)
    slim = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if output and (key == "description" or (key == "additionalProperties" and value is True)):
            continue  # the tool's description says what it returns; true is the default
        if key in ("properties", "$defs") and isinstance(value, dict):  # keys here are names
            slim[key] = {name: slim_schema(sub, output) for name, sub in value.items()}
        else:
            slim[key] = slim_schema(value, output)
    return slim


def _unwrap_optional(schema: dict[str, Any]) -> dict[str, Any]:
    """``{"anyOf": [X, {"type": "null"}], "default": null}`` -> ``X`` (with the rest kept)."""
    options = schema.get("anyOf")
    if not (isinstance(options, list) and len(options) == 2 and {"type": "null"} in options):
        return schema
    if schema.get("default") is not None:
        return schema
    (kept,) = [option for option in options if option != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**kept, **rest}


def build_server(settings: Settings, tools: Iterable[ToolSpec] | None = None) -> MCPServer:
    """The MCPServer with ``tools`` (default: the enabled ones) bound through the guard."""
    enabled = enabled_tools(settings) if tools is None else list(tools)
    hidden = {spec.name: spec for spec in all_tools() if spec not in enabled}
    guard = Guard(settings, DOAccess(settings))
    # Replicas accept each other's request state only under one key and one server name (the
    # state's audience): "cargoshipper" everywhere, the key from --state-key.
    sealing = RequestStateSecurity(keys=[settings.state_key]) if settings.state_key else None
    server = CargoShipperServer(
        "cargoshipper",
        version=__version__,
        instructions=INSTRUCTIONS,
        middleware=[_RefuseHidden(hidden, settings)],
        lifespan=_approval_page(guard),
        request_state_security=sealing,
    )
    server.guard = guard  # for tests and the CLI; never reachable over MCP
    for spec in enabled:
        server.add_tool(
            guard.bind(spec),
            name=spec.name,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
    return server


def _approval_page(guard: Guard) -> Any:
    """The server's lifespan: the approval page; at the end, the shared state's connection
    is closed."""

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        try:
            async with _page(guard):
                yield {}
        finally:
            await guard.state.close()

    return lifespan


@contextlib.asynccontextmanager
async def _page(guard: Guard) -> AsyncIterator[None]:
    """The loopback approval page, unless nothing is ever asked."""
    settings = guard.settings
    if settings.confirm == "never" or settings.read_only:
        yield
        return
    from .approval_page import ApprovalPage

    page = ApprovalPage(guard.approvals, settings.audit_log, port=settings.approval_port)
    async with page:
        guard.page = page
        try:
            yield
        finally:
            guard.page = None


class _RefuseHidden:
    """Answers a call to a tool this server hides with why, and how to enable it."""

    def __init__(self, hidden: dict[str, ToolSpec], settings: Settings) -> None:
        self._hidden = hidden
        self._settings = settings

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        name = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
        spec = self._hidden.get(name) if isinstance(name, str) else None
        if spec is None:
            return await call_next(ctx)
        if self._settings.read_only and spec.access is not Access.READ:
            why = (
                f"{name} changes things ({spec.access.value}), and this server runs read-only. "
                "To enable changes, restart it without --read-only (and without "
                "CARGOSHIPPER_READ_ONLY=true)."
            )
        else:
            why = (
                f"{name} is in the {spec.toolset!r} toolset, which this server does not enable. "
                f"Add it to --toolsets (or CARGOSHIPPER_TOOLSETS) to use it."
            )
        return CallToolResult(content=[TextContent(type="text", text=why)], is_error=True)


# -- HTTP: who calls, from where ---------------------------------------------------------------

#: A bearer token as DigitalOcean could issue it (``dop_v1_...``; the sandbox takes any): printable
#: ASCII without spaces, of a sane length. DigitalOcean itself judges whether it is valid.
_PLAUSIBLE_TOKEN = re.compile(r"[!-~]{1,512}")
NEEDS_TOKEN = "Send your DigitalOcean API token as 'Authorization: Bearer <token>'."


def http_app(
    server: MCPServer,
    *,
    allowed_hosts: list[str],
    allowed_origins: list[str],
    max_sessions: int,
    session_idle_timeout: float,
    stateless: bool = False,
) -> Starlette:
    """The Streamable HTTP app: DNS-rebinding protection for ``allowed_hosts`` (421 otherwise)
    and ``allowed_origins`` (403 otherwise), and every request's tenant from its bearer token.

    A request without a token is answered 401 (``WWW-Authenticate: Bearer``) before any tool
    runs, unless the server has a token of its own to serve it with: the CLI gives it one only
    on loopback. The guard reads the token back with ``get_access_token()``.

    ``stateless``: legacy (2025-era) clients get no session either, so any replica serves any
    request (they then have no dialogs: approvals wait for the page). The app also serves the
    approval links of its callers (``/approve/{link}``, for a browser: no bearer token).
    """
    security = TransportSecuritySettings(
        allowed_hosts=allowed_hosts, allowed_origins=allowed_origins
    )
    app = server.streamable_http_app(
        transport_security=security,
        max_sessions=max_sessions,
        session_idle_timeout=session_idle_timeout,
        stateless_http=stateless,
    )
    app.add_route(f"{REMOTE_PATH}{{link}}", _approval_link(server.guard, security), ["GET", "POST"])
    app.add_middleware(AuthContextMiddleware)  # inner: get_access_token() in the tool calls
    optional = bool(server.guard.settings.token)
    app.add_middleware(
        AuthenticationMiddleware, backend=_CallerToken(optional), on_error=_unauthorized
    )
    return app


def _approval_link(guard: Guard, security: TransportSecuritySettings) -> Any:
    """``/approve/{link}``: one approval link, on the address the caller reached the server at
    (any replica sharing the state serves it). Its Host is checked like the MCP endpoint's."""
    hosts = TransportSecurityMiddleware(security)

    async def endpoint(request: Request) -> Response:
        if not hosts._validate_host(request.headers.get("host")):  # DNS rebinding
            return PlainTextResponse("Unknown host.", 421)
        if guard.page is None:  # this server asks nobody (read-only, --confirm never)
            return PlainTextResponse(UNKNOWN_LINK, 404)
        return await guard.page.remote_link(request, guard.settings.public_url)

    return endpoint


class _CallerToken(AuthenticationBackend):
    """The caller's bearer token, or none where the server's own may serve (``optional``).

    A malformed ``Authorization`` header is refused even then: the server's token must never
    stand in for a token the caller got wrong."""

    def __init__(self, optional: bool) -> None:
        self._optional = optional

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any] | None:
        header = conn.headers.get("authorization")
        if header is None and (self._optional or conn.url.path.startswith(REMOTE_PATH)):
            return None  # an approval link's secret is its own credential
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not _PLAUSIBLE_TOKEN.fullmatch(token):
            raise AuthenticationError(NEEDS_TOKEN)
        tenant = tenant_of(token)  # also binds legacy sessions and request state to the tenant
        caller = AccessToken(token=token, client_id=tenant, subject=tenant, scopes=[])
        return AuthCredentials(), AuthenticatedUser(caller)


def _unauthorized(_conn: HTTPConnection, error: AuthenticationError) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_token", "error_description": str(error)},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{error}"'},
    )
