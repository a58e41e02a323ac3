"""The approval page: where a person approves or denies what an agent asks.

It runs on 127.0.0.1 inside the MCP server's process (stdio or HTTP), next to the server,
and is reached only through secrets the agent never sees:

- the page secret, in the login link printed on stderr and in a 0600 runtime file that
  ``cargoshipper pending|approve|deny`` read (they call the JSON API with it as a bearer);
- each request's link secret, in a link good for that one request (``link_for``).

Everything an agent chose (tool arguments, resource names in previews) is HTML-escaped.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import html
import json
import os
import secrets
import socket
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from .trust._shared import SharedStateDown

if TYPE_CHECKING:
    from .trust._approvals import Approvals, PendingApproval

#: Overrides where servers leave their runtime files (and where the CLI looks for them).
RUNTIME_DIR_ENV = "CARGOSHIPPER_RUNTIME_DIR"
COOKIE_PREFIX = "cargoshipper_approval"
LOGIN_HELP = "Open the link CargoShipper printed on its terminal."
UNKNOWN_LINK = "This request is unknown, decided or expired."
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # not no-referrer: under it browsers send "Origin: null" on the page's own form POSTs
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
AUDIT_LINES = 30
#: Where the MCP server's own HTTP app serves one request's link (``ApprovalPage.remote_link``).
REMOTE_PATH = "/approve/"


# -- runtime files: how the terminal finds the running pages ---------------------------------


def default_runtime_dir() -> Path:
    """``$CARGOSHIPPER_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/cargoshipper``, else
    ``$XDG_STATE_HOME/cargoshipper/run`` (default ``~/.local/state/cargoshipper/run``)."""
    if override := os.environ.get(RUNTIME_DIR_ENV):
        return Path(override)
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        return Path(runtime) / "cargoshipper"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "cargoshipper" / "run"


def runtime_files(runtime_dir: Path | None = None) -> list[dict[str, Any]]:
    """The runtime files ({"url", "secret", "pid"}) of the pages whose process is alive;
    the files of dead processes are removed."""
    directory = runtime_dir or default_runtime_dir()
    live = []
    for path in sorted(directory.glob("approval-page-*.json")):
        try:
            info = json.loads(path.read_text())
            alive = _alive(int(info["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if alive:
            live.append(info)
        else:
            path.unlink(missing_ok=True)
    return live


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the page --------------------------------------------------------------------------------


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the MCP server owns SIGINT/SIGTERM
        yield


class ApprovalPage:
    """The approval page of one server, served while this async context manager is open."""

    def __init__(
        self,
        approvals: Approvals,
        audit_log: Path | None,
        *,
        port: int = 0,
        runtime_dir: Path | None = None,
    ) -> None:
        self._approvals = approvals
        self._audit_log = audit_log
        self._requested_port = port
        self._runtime_dir = runtime_dir
        self._secret = secrets.token_urlsafe(32)
        self._port: int | None = None
        self._runtime_file: Path | None = None
        self._stack = contextlib.AsyncExitStack()
        self.app = Starlette(
            routes=[
                Route("/", self._home, methods=["GET"]),
                Route("/decide/{id}", self._decide, methods=["POST"]),
                Route("/r/{link}", self._link, methods=["GET", "POST"]),
                Route("/api/pending", self._api_pending, methods=["GET"]),
                Route("/api/decide/{id}", self._api_decide, methods=["POST"]),
            ],
            exception_handlers={SharedStateDown: _state_down},
        )

    # -- public ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the approval page is not running")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def secret(self) -> str:
        """The page secret (approves everything): never put it in a tool result or log."""
        return self._secret

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/?token={self._secret}"

    def link_for(self, item: PendingApproval, base: str | None = None) -> str:
        """A link that shows and decides this one request only: on this loopback page, or,
        given the ``base`` URL a remote caller reaches the MCP server at, on that server's
        ``/approve/`` route (see ``remote_link``), which any replica sharing the state serves."""
        if base:
            return f"{base.rstrip('/')}{REMOTE_PATH}{item.link_secret}"
        return f"{self.base_url}/r/{item.link_secret}"

    async def remote_link(self, request: Request, public_origin: str | None) -> Response:
        """``GET|POST /approve/{link}`` on the MCP server's own HTTP app (its Host already
        checked): the one request the link names. A POST must come from the page itself (no
        Origin, or one naming the host the request came to, or ``public_origin``)."""
        origin = request.headers.get("origin")
        own = {request.headers.get("host"), _netloc(public_origin) or None}
        response: Response
        if request.method == "POST" and origin is not None and _netloc(origin) not in own:
            response = PlainTextResponse("Cross-origin request refused.", 403)
        else:
            response = await self._link(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def __aenter__(self) -> ApprovalPage:
        await self._stack.enter_async_context(self._serving())
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        return await self._stack.__aexit__(*exc_info)

    # -- serving ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _serving(self) -> AsyncIterator[None]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        sock.listen(64)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._guarded,
            interface="asgi3",
            proxy_headers=False,
            server_header=False,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = _QuietServer(config)
        with sock:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(server.serve, [sock])
                with anyio.fail_after(10):
                    while not server.started:
                        await anyio.sleep(0.01)
                try:
                    self._write_runtime_file()
                    print(
                        "CargoShipper approval page (keep this link private; it approves "
                        f"what the agent asks): {self.login_url}",
                        file=sys.stderr,
                        flush=True,
                    )
                    yield
                finally:
                    server.should_exit = True
                    if self._runtime_file is not None:
                        self._runtime_file.unlink(missing_ok=True)

    def _write_runtime_file(self) -> None:
        directory = self._runtime_dir or default_runtime_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory.chmod(0o700)
        pid = os.getpid()
        # one process may serve several pages (one per HTTP worker or test): name by port too
        path = directory / f"approval-page-{pid}-{self.port}.json"
        content = json.dumps({"url": self.base_url, "secret": self._secret, "pid": pid})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(content)
        self._runtime_file = path

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app behind the Host and Origin checks, with the security headers."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        refusal = self._refusal(scope["method"], Headers(scope=scope))
        await (refusal or self.app)(scope, receive, send_secured)

    def _refusal(self, method: str, headers: Headers) -> PlainTextResponse | None:
        hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if headers.get("host") not in hosts:  # DNS rebinding
            return PlainTextResponse("Unknown host.", 421)
        origin = headers.get("origin")
        if method == "POST" and origin is not None and origin not in {f"http://{h}" for h in hosts}:
            return PlainTextResponse("Cross-origin request refused.", 403)
        return None

    # -- authentication --------------------------------------------------------------------

    @property
    def _cookie(self) -> str:
        return f"{COOKIE_PREFIX}_{self.port}"  # per port: two servers' pages do not clash

    def _logged_in(self, request: Request) -> bool:
        return _same(request.cookies.get(self._cookie, ""), self._secret)

    def _bearer(self, request: Request) -> bool:
        return _same(request.headers.get("authorization", ""), f"Bearer {self._secret}")

    def _csrf(self, approval_id: str) -> str:
        message = f"decide:{approval_id}".encode()
        return hmac.new(self._secret.encode(), message, hashlib.sha256).hexdigest()

    # -- the HTML routes -------------------------------------------------------------------

    async def _home(self, request: Request) -> PlainTextResponse | HTMLResponse:
        token = request.query_params.get("token")
        if token is not None:
            if not _same(token, self._secret):
                return PlainTextResponse(LOGIN_HELP, 403)
            response = RedirectResponse("/", 303)
            response.set_cookie(self._cookie, self._secret, httponly=True, samesite="strict")
            return response
        if not self._logged_in(request):
            return PlainTextResponse(LOGIN_HELP, 403)
        return await self._page()

    async def _decide(self, request: Request) -> PlainTextResponse | HTMLResponse:
        if not self._logged_in(request):
            return PlainTextResponse(LOGIN_HELP, 403)
        approval_id = request.path_params["id"]
        form = await request.form()
        if not _same(str(form.get("csrf", "")), self._csrf(approval_id)):
            return PlainTextResponse("This form is stale; reload the page.", 403)
        result, status = await self._apply(approval_id, form.get("decision"), "page")
        return await self._page(result, status)

    async def _link(self, request: Request) -> PlainTextResponse | HTMLResponse:
        item = await self._approvals.by_link(request.path_params["link"])
        if item is None or (request.method == "GET" and item.status != "pending"):
            return PlainTextResponse(UNKNOWN_LINK, 404)
        result, status = None, 200
        if request.method == "POST":
            form = await request.form()
            result, status = await self._apply(item.id, form.get("decision"), "page")
        body = _result(result) + self._section(item, request.url.path)
        return HTMLResponse(_document(f"CargoShipper: {item.tool}", body), status)

    async def _apply(self, approval_id: str, decision: object, channel: str) -> tuple[str, int]:
        """Decide; the result text and HTTP status."""
        if decision not in ("approve", "deny"):
            return "Choose approve or deny.", 400
        try:
            item = await self._approvals.decide(approval_id, decision == "approve", channel)
        except LookupError:
            return f"{approval_id} is no longer pending (decided, used or expired).", 409
        except PermissionError as error:
            return str(error), 403
        return item.status, 200

    async def _page(self, result: str | None = None, status: int = 200) -> HTMLResponse:
        pending = await self._approvals.pending()
        sections = "".join(self._section(item, f"/decide/{item.id}") for item in pending)
        audit = await anyio.to_thread.run_sync(self._audit_lines)
        body = (
            _result(result)
            + f"<h2>Waiting for you ({len(pending)})</h2>"
            + (sections or '<p>Nothing is waiting. <a href="/">Refresh</a></p>')
            + "<h2>Recent decisions</h2>"
            + _recent(await self._approvals.recent())
            + "<h2>Audit log (latest last)</h2>"
            + f'<pre id="audit">{html.escape(audit)}</pre>'
        )
        return HTMLResponse(_document("CargoShipper approvals", body), status)

    def _section(self, item: PendingApproval, action: str) -> str:
        e, ident = html.escape, html.escape(item.id)
        note = '<p class="page-only">Only approvable here (or on the terminal).</p>'
        if item.status == "pending":
            controls = (
                f'<form method="post" action="{e(action)}">'
                f'<input type="hidden" name="csrf" value="{self._csrf(item.id)}">'
                f'<button id="approve-{ident}" name="decision" value="approve">Approve</button>'
                f'<button id="deny-{ident}" name="decision" value="deny">Deny</button>'
                "</form>"
            )
        else:
            controls = f'<p class="status">{e(item.status)}</p>'
        return (
            f'<section class="request" id="request-{ident}">'
            f"<h3><code>{e(item.tool)}</code> <small>{ident}, "
            f"expires {_clock(item.expires)}</small></h3>"
            f'<pre class="preview">{e(item.preview)}</pre>'
            f"{_table(item.requests)}{note if item.page_only else ''}{controls}</section>"
        )

    def _audit_lines(self) -> str:
        if self._audit_log is None:
            return "(the audit log is off)"
        from .trust import format_record, read_records

        try:
            records = collections.deque(read_records(self._audit_log), maxlen=AUDIT_LINES)
        except (OSError, ValueError) as error:
            return f"(cannot read {self._audit_log}: {error})"
        return "\n".join(format_record(record) for record in records) or "(empty)"

    # -- the JSON API (the terminal) -------------------------------------------------------

    async def _api_pending(self, request: Request) -> JSONResponse:
        if not self._bearer(request):
            return JSONResponse({"error": "unauthorized"}, 401)
        return JSONResponse([item.public() for item in await self._approvals.pending()])

    async def _api_decide(self, request: Request) -> JSONResponse:
        if not self._bearer(request):
            return JSONResponse({"error": "unauthorized"}, 401)
        approval_id = request.path_params["id"]
        try:
            decision = (await request.json()).get("decision")
        except (ValueError, AttributeError):
            decision = None
        if await self._approvals.get(approval_id) is None:
            return JSONResponse({"error": f"no request {approval_id}"}, 404)
        result, status = await self._apply(approval_id, decision, "terminal")
        if status != 200:
            return JSONResponse({"error": result}, status)
        item = await self._approvals.get(approval_id)
        return JSONResponse(item.public() if item else {"id": approval_id, "status": result})


def _state_down(_request: Request, error: Exception) -> JSONResponse:
    """The shared state (Redis) is unreachable: one line, nothing decided."""
    return JSONResponse({"error": str(error)}, 503)


# -- client of the JSON API (the CLI) --------------------------------------------------------


def api_call(info: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call a running page's JSON API (``info`` from ``runtime_files``): status and JSON;
    ``ConnectionError`` if it does not answer in JSON."""
    import httpx2

    headers = {"Authorization": f"Bearer {info['secret']}"}
    try:
        with httpx2.Client(base_url=info["url"], trust_env=False, timeout=10) as client:
            response = client.request(method, path, json=body, headers=headers)
        return response.status_code, response.json()
    except (httpx2.HTTPError, ValueError) as error:
        raise ConnectionError(f"{info['url']}: {error}") from None


# -- HTML ------------------------------------------------------------------------------------

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:62rem;margin:1.5rem auto;padding:0 1rem;
color:#1d2330}
pre{white-space:pre-wrap;background:#f4f5f7;padding:.6rem;border-radius:4px}
section.request{border:1px solid #c4cad3;border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #dde1e6;padding:.2rem .5rem;text-align:left;vertical-align:top}
button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem;border:0;border-radius:4px;
color:#fff;cursor:pointer}
button[value=approve]{background:#1f7a3f}button[value=deny]{background:#a32020}
.page-only{color:#9a5200;font-weight:bold}#result{font-size:1.2rem;font-weight:bold}
"""


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>CargoShipper approvals</h1>{body}</body></html>"
    )


def _result(result: str | None) -> str:
    return "" if result is None else f'<p id="result">{html.escape(result)}</p>'


def _table(requests: list[dict[str, Any]]) -> str:
    """The previewed requests, one row each, one column per key any of them has."""
    columns = list(dict.fromkeys(key for request in requests for key in request))
    if not columns:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in columns) + "</tr>"
        for r in requests
    )
    return f'<table class="requests"><tr>{head}</tr>{rows}</table>'


def _cell(value: Any) -> str:
    """A value as escaped HTML: targets as "kind name (id) tags", lists one per line."""
    if isinstance(value, list):
        return "<br>".join(_cell(entry) for entry in value)
    if isinstance(value, dict):
        if "kind" in value:
            tags = value.get("tags") or []
            text = f"{value['kind']} {value.get('name') or ''} ({value.get('id')})"
            return html.escape(text + (f" tags: {', '.join(map(str, tags))}" if tags else ""))
        return html.escape(", ".join(f"{k}: {v}" for k, v in value.items()))
    return html.escape(str(value))


def _recent(items: list[PendingApproval]) -> str:
    decided = [item for item in items if item.status != "pending"][:20]
    if not decided:
        return "<p>None yet.</p>"
    rows = "".join(
        f"<tr><td>{_clock(item.decided_at or item.created)}</td><td>{html.escape(item.id)}</td>"
        f"<td><code>{html.escape(item.tool)}</code></td><td>{html.escape(item.status)}</td>"
        f"<td>{html.escape(item.decided_by or '')}</td></tr>"
        for item in decided
    )
    head = "<tr><th>time</th><th>id</th><th>tool</th><th>status</th><th>by</th></tr>"
    return f'<table id="recent">{head}{rows}</table>'


def _clock(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))


def _netloc(url: str | None) -> str:
    return urllib.parse.urlsplit(url or "").netloc


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())
