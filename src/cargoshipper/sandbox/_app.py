"""The application: auth, rate limits, faults, headers, routing, and the /_sandbox admin API.

Routing tries the hand-written routes, then the fallback for the spec's other operations
(``_generic``: a generic store for unsimulated collections, 501 for the rest); a path that is
no operation of the spec is a 404.

It is independent of the socket layer: ``App.handle`` turns one parsed HTTP request into a
``Reply`` (bytes to send, after an optional delay, or a dropped connection).
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from ._api import NOT_FOUND, ApiError, Request, Response, Router
from ._faults import Fault
from ._generic import fallback_router
from ._routes import build_router
from ._state import RateLimit, World

log = logging.getLogger("cargoshipper.sandbox")

ADMIN_PREFIX = "/_sandbox/"
_BEARER = re.compile(r"bearer\s+\S.*", re.IGNORECASE)

# Error ids and messages DigitalOcean uses for each status.
ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "error parsing request body"),
    401: ("unauthorized", "Unable to authenticate you."),
    403: ("forbidden", "You are not authorized to perform this operation"),
    404: ("not_found", NOT_FOUND),
    409: ("conflict", "The request could not be completed due to a conflict."),
    422: ("unprocessable_entity", "request payload validation failed"),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Server Error"),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}


def error_for(status: int) -> ApiError:
    """The DigitalOcean-style error for a bare status code."""
    default = (HTTPStatus(status).phrase.lower().replace(" ", "_"), HTTPStatus(status).phrase)
    error_id, message = ERRORS.get(status, default)
    return ApiError(status, error_id, message)


@dataclass
class Reply:
    """What the server sends: status, headers and body, after ``delay``; or nothing (``drop``)."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False


class App:
    """The sandbox's HTTP application over one World."""

    def __init__(self, world: World, router: Router | None = None):
        self.world = world
        self.router = router or build_router()
        self.fallback = fallback_router(self.router)  # the spec's other operations

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Every (method, spec path template) this app serves, admin routes excluded."""
        return [(route.method, route.template) for route in self.router]

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str
    ) -> Reply:
        """Answer one request. ``headers`` have lower-case names."""
        method = method.upper()
        path, _, query_string = target.partition("?")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(method, path, body)
        world = self.world
        world.record(method, path, query_string)
        rate = world.spend_rate_limit()
        fault = world.faults.take(method, path)
        if fault is not None and fault.drop:
            log.info("sandbox fault: dropping %s %s", method, path)
            return Reply(drop=True)
        if fault is not None and fault.status is not None:
            response = self._fault_response(fault, rate)
        else:
            request = Request(
                world, method, path, parse_qs(query_string), headers, body, base_url.rstrip("/")
            )
            response = self._dispatch(request, rate)
        reply = self._finish(response, rate)
        if fault is not None and fault.delay is not None:
            reply.delay = fault.delay
        return reply

    def _dispatch(self, request: Request, rate: RateLimit) -> Response:
        try:
            if not _BEARER.fullmatch(request.headers.get("authorization", "").strip()):
                raise error_for(401)
            if rate.exhausted:
                wait = max(1, math.ceil(rate.reset - self.world.epoch()))
                return _with_retry_after(_error_response(error_for(429)), rate.reset, wait)
            found = self.router.match(request.method, request.path) or self.fallback.match(
                request.method, request.path
            )
            if found is None:
                raise error_for(404)
            route, request.params = found
            with self.world.lock:
                self.world.tick()
                return route.handler(request)
        except ApiError as error:
            return _error_response(error)
        except Exception:
            log.exception("sandbox handler failed: %s %s", request.method, request.path)
            return _error_response(error_for(500))

    def _fault_response(self, fault: Fault, rate: RateLimit) -> Response:
        log.info("sandbox fault: answering %s", fault.status)
        assert fault.status is not None
        response = _error_response(error_for(fault.status))
        if fault.status == 429:
            reset = math.ceil(self.world.epoch() + fault.reset_in)
            response = _with_retry_after(response, reset, max(1, math.ceil(fault.reset_in)))
            response.headers["ratelimit-remaining"] = "0"
        return response

    def _finish(self, response: Response, rate: RateLimit) -> Reply:
        request_id = str(uuid.uuid4())
        body = response.body
        if isinstance(body, dict) and "id" in body and "message" in body:
            body = {**body, "request_id": request_id}
        headers = {
            "content-type": "application/json",
            "ratelimit-limit": str(rate.limit),
            "ratelimit-remaining": str(rate.remaining),
            "ratelimit-reset": str(rate.reset),
            "x-request-id": request_id,
            **response.headers,
        }
        raw = isinstance(body, bytes)  # a non-JSON body (a kubeconfig's YAML) goes out as is
        payload = body if raw else b"" if body is None else json.dumps(body).encode()
        return Reply(response.status, list(headers.items()), payload)

    # --- admin API (not DigitalOcean) ------------------------------------------------------------

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        world = self.world
        try:
            if (method, path) == ("POST", "/_sandbox/faults"):
                fault = world.faults.add(Fault.from_json(json.loads(body or b"{}")))
                return _json_reply(201, {"fault": fault.to_json()})
            if (method, path) == ("GET", "/_sandbox/faults"):
                armed = [{**f.to_json(), "remaining": n} for f, n in world.faults.armed()]
                return _json_reply(200, {"faults": armed})
            if (method, path) == ("DELETE", "/_sandbox/faults"):
                world.faults.clear()
                return _json_reply(204, None)
            if (method, path) == ("GET", "/_sandbox/requests"):
                log_ = [{"method": m, "path": p, "query": q} for m, p, q in world.requests]
                return _json_reply(200, log_)
            if (method, path) == ("POST", "/_sandbox/reset"):
                world.reset()
                return _json_reply(204, None)
        except (ValueError, TypeError, re.error) as exc:
            return _json_reply(400, {"id": "bad_request", "message": str(exc)})
        return _json_reply(404, {"id": "not_found", "message": NOT_FOUND})


def _error_response(error: ApiError) -> Response:
    return Response(error.status, {"id": error.error_id, "message": error.message})


def _with_retry_after(response: Response, reset: int, seconds: int) -> Response:
    response.headers["ratelimit-reset"] = str(reset)
    response.headers["retry-after"] = str(seconds)
    return response


def _json_reply(status: int, body: Any) -> Reply:
    payload = b"" if body is None else json.dumps(body).encode()
    return Reply(status, [("content-type", "application/json")], payload)


def create_app(world: World) -> App:
    """The sandbox application for a World (served by ``Sandbox`` / ``serve``)."""
    return App(world)
