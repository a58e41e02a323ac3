"""What a route module needs: Request, Response, ApiError, Router and pagination."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from ._models import JSON

if TYPE_CHECKING:
    from ._state import World

NOT_FOUND = "The resource you were accessing could not be found."
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


class ApiError(Exception):
    """A DigitalOcean error answer: ``{"id": ..., "message": ..., "request_id": ...}``."""

    def __init__(self, status: int, error_id: str, message: str):
        super().__init__(f"{status} {error_id}: {message}")
        self.status = status
        self.error_id = error_id
        self.message = message


def not_found() -> ApiError:
    return ApiError(404, "not_found", NOT_FOUND)


def unprocessable(message: str) -> ApiError:
    return ApiError(422, "unprocessable_entity", message)


def bad_request(message: str = "error parsing request body") -> ApiError:
    return ApiError(400, "bad_request", message)


@dataclass
class Request:
    """One API request as a route handler sees it."""

    world: World
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # "http://127.0.0.1:54321", from the Host header
    params: dict[str, Any] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool | None:
        """A boolean query parameter (``true``/``false``), None if absent."""
        value = self.arg(name)
        return None if value is None else value.lower() in ("true", "1", "yes")

    def json(self) -> JSON:
        """The JSON object body; 400 ``bad_request`` if it is not one."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request() from exc
        if not isinstance(data, dict):
            raise bad_request("request body must be a JSON object")
        return data

    def url(self, path: str) -> str:
        """An absolute URL on this sandbox, as DigitalOcean puts in ``links``."""
        return self.base_url + path


@dataclass
class Response:
    """A handler's answer. ``body`` None means an empty body (204)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def ok(body: Any) -> Response:
    return Response(200, body)


def created(body: Any) -> Response:
    return Response(201, body)


def accepted(body: Any) -> Response:
    return Response(202, body)


def no_content() -> Response:
    return Response(204)


Handler = Callable[[Request], Response]

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "str": (r"[^/]+", str),
    "int": (r"[0-9]+", int),
}


@dataclass(frozen=True)
class Route:
    """One (method, path) the sandbox serves; ``template`` is spelled as in the OpenAPI spec."""

    method: str
    template: str
    regex: re.Pattern[str]
    converters: dict[str, Callable[[str], Any]]
    handler: Handler

    def match(self, method: str, path: str) -> dict[str, Any] | None:
        if method != self.method:
            return None
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        # Parameters arrive percent-encoded (``env%3Aprod``); handlers see them decoded.
        params = found.groupdict().items()
        return {name: self.converters[name](unquote(value)) for name, value in params}


class Router:
    """Routes of one resource module. Paths use ``{name}`` or ``{name:int}`` placeholders;
    parameter values are percent-decoded (``/v2/tags/env%3Aprod`` names the tag ``env:prod``)."""

    def __init__(self, *routers: Router):
        self.routes: list[Route] = [route for router in routers for route in router.routes]

    def add(self, method: str, path: str, handler: Handler) -> None:
        converters: dict[str, Callable[[str], Any]] = {}
        pattern = ""
        position = 0
        for placeholder in _PARAM.finditer(path):
            name, kind = placeholder.group(1), placeholder.group(2) or "str"
            regex, convert = _CONVERTERS[kind]
            pattern += re.escape(path[position : placeholder.start()]) + f"(?P<{name}>{regex})"
            converters[name] = convert
            position = placeholder.end()
        pattern += re.escape(path[position:])
        template = _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)
        self.routes.append(Route(method, template, re.compile(pattern), converters, handler))

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, path, handler)
            return handler

        return register

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("POST", path)

    def put(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("PUT", path)

    def patch(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path)

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]] | None:
        """The route serving this request and its path parameters."""
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)


def _int_arg(request: Request, name: str, default: int) -> int:
    value = request.arg(name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def page_window(request: Request) -> tuple[int, int]:
    """(page, per_page) of a list request: defaults 1 and 20, per_page clamped to 1..200."""
    page = max(1, _int_arg(request, "page", 1))
    per_page = _int_arg(request, "per_page", DEFAULT_PER_PAGE)
    per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
    return page, per_page


def paginate(request: Request, key: str, items: Sequence[JSON]) -> JSON:
    """``{key: [...page...], "links": {...}, "meta": {"total": n}}`` as DigitalOcean lists do.

    ``links`` is ``{}`` when everything fits on one page; otherwise ``links.pages`` holds the
    full URLs of ``first``/``prev`` (past page 1) and ``next``/``last`` (before the last page).
    """
    page, per_page = page_window(request)
    total = len(items)
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = _page_url(request, 1, per_page)
        pages["prev"] = _page_url(request, min(page - 1, last), per_page)
    if page < last:
        pages["next"] = _page_url(request, page + 1, per_page)
        pages["last"] = _page_url(request, last, per_page)
    return {
        key: list(items[start : start + per_page]),
        "links": {"pages": pages} if pages else {},
        "meta": {"total": total},
    }


def _page_url(request: Request, page: int, per_page: int) -> str:
    query: list[tuple[str, str]] = [("page", str(page)), ("per_page", str(per_page))]
    for name, values in request.query.items():
        if name not in ("page", "per_page"):
            query.extend((name, value) for value in values)
    return request.url(f"{request.path}?{urlencode(query)}")
