"""The facade every tool uses to reach DigitalOcean: one object per token (see ``_tenants``)."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import anyio

from ..config import Settings
from ..operations import get_operation
from ._errors import (
    NOT_JSON,
    DOError,
    Refused,
    body_of,
    error_from_body,
    error_from_exception,
)
from ._journal import record
from ._pagination import MAX_PER_PAGE, Page, page_from_body, remaining_pages
from ._paths import check_path_params, fill, shorten
from ._ratelimit import RateLimitTracker
from ._waiting import Progress, Waited, action_finished, describe_action, poll_until

_PAGE_CONCURRENCY = 4
MIN_REQUEST_SECONDS = 5.0
WAIT_MARGIN = 2.0  # a wait stops this long before the budget ends: time for the answer

#: ``await gate(access, operation, params)`` runs before every request and raises
#: :class:`Refused` to stop it (the trust policy, see ``trust/_policy.py``).
Gate = Callable[["DOAccess", str, dict[str, Any]], Awaitable[None]]


async def reads_only(_access: DOAccess, operation: str, _params: dict[str, Any]) -> None:
    """The gate of an access object nobody gave a policy: reads only (fail closed)."""
    known = get_operation(operation)
    if known is None or known.method != "GET":
        raise Refused(f"Refused: {operation} is not a read, and no policy admits it.")


def tenant_of(token: str) -> str:
    """A token's tenant: its SHA-256 in hex, never the token (its first 12 characters name it
    in the audit log and on the approval page)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _capture(pipeline_response: Any, body: Any, _headers: Any) -> tuple[int, Any, Any]:
    """pydo ``cls=`` hook: keep the status and headers next to the body."""
    http_response = pipeline_response.http_response
    return http_response.status_code, body, http_response.headers


#: How long ``list_catalog`` keeps what it read (the per-call views share it with their tenant).
CATALOG_SECONDS = 60.0


class DOAccess:
    """Calls pydo operations by name (``"droplets.get"``) off the event loop.

    Every call returns the response body or raises :class:`DOError`, whichever of pydo's two
    error styles the operation uses.
    """

    def __init__(
        self, settings: Settings, gate: Gate = reads_only, shares: DOAccess | None = None
    ) -> None:
        """``shares``: another tenant's access whose thread limit this one shares (one cap
        for the process, whatever the number of tenants)."""
        self.settings = settings
        self.gate = gate
        self.tenant = tenant_of(settings.token)
        self.rate_limit = RateLimitTracker()
        self.progress: Progress | None = None
        self.deadline: float | None = None  # time.monotonic() by which a tool call hands back
        self._client = _LazyClient(settings, self.rate_limit)
        self._catalog: dict[tuple[str, str], tuple[float, Page]] = {}  # see list_catalog
        threads = shares._limits.threads if shares else anyio.CapacityLimiter(settings.api_threads)
        self._limits = _Limits(threads, settings.per_operation_limit)

    def for_call(self, progress: Progress | None, budget: float) -> DOAccess:
        """A view of this object for one tool call: its waits report ``progress`` and, with
        its requests, end within ``budget`` seconds from now (so the call answers before the
        host's request timeout)."""
        view = copy.copy(self)
        view.progress = progress
        view.deadline = time.monotonic() + budget
        return view

    def remaining(self) -> float | None:
        """Seconds left of this call's budget (None: no budget)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _request_seconds(self) -> float:
        """One request's deadline: retries included, and within the call's budget (but never
        under a few seconds, so a request is not cut before it can be answered)."""
        seconds = self.settings.request_deadline
        left = self.remaining()
        if left is not None:
            seconds = min(seconds, max(left, MIN_REQUEST_SECONDS))
        return seconds

    @property
    def client(self) -> Any:
        """The pydo client, built on first use and shared by every view of this object."""
        return self._client.get()

    async def call(
        self,
        operation: str,
        /,
        *,
        subject: str | None = None,
        lookup_hint: str | None = None,
        look_for: str | None = None,
        **params: Any,
    ) -> Any:
        """Run one pydo operation, e.g. ``await do.call("droplets.get", droplet_id=1)``.

        ``subject`` ("droplet 1") and ``lookup_hint`` ("droplet_list shows the ids") make a
        404 message say what is missing and where to look; a create names in ``look_for``
        what to look for should its outcome be unknown (a timeout, a 5xx).
        """
        known = get_operation(operation)
        if known is not None:
            check_path_params(known, params)
        await self.gate(self, operation, params)
        work = partial(self._call_sync, operation, params)
        deadline = (self._request_seconds(), known.method if known else "POST")
        try:
            return await _off_loop(work, subject, lookup_hint, deadline, self._limits, operation)
        except DOError as error:
            if error.error_id == NOT_JSON and known is not None and known.method == "GET":
                path = {name: params[name] for name in known.path_params if name in params}
                query = {k: v for k, v in params.items() if k not in path}
                return await self.get_text(operation, path=path, subject=subject, **query)
            error.look_for = error.look_for or look_for
            raise

    def _call_sync(self, operation: str, params: dict[str, Any]) -> Any:
        from azure.core.exceptions import AzureError

        group, _, method = operation.partition(".")
        function = getattr(getattr(self.client, group), method)
        try:
            status, body, headers = function(cls=_capture, **params)
        except (TypeError, ValueError) as exc:  # pydo's serializer, before anything is sent
            raise Refused(
                f"Refused: the arguments of {operation} do not fit it ({shorten(str(exc), 200)}); "
                "nothing was sent."
            ) from None
        except AzureError as exc:
            known = get_operation(operation)
            verb = known.method if known else "POST"  # unknown: assume it may have acted
            raise self._scrubbed(error_from_exception(exc, self.rate_limit.last, verb)) from None
        if status >= 300:  # redirects are not followed (see build_client)
            raise self._scrubbed(error_from_body(status, body, headers, self.rate_limit.last))
        known = get_operation(operation)
        if known is not None:
            named = (*known.path_params, "tag_name")
            path = {name: params[name] for name in named if name in params}
            record(operation, known.method, path, body)
        return body

    async def get_text(
        self,
        operation: str,
        /,
        *,
        path: dict[str, Any],
        subject: str | None = None,
        **query: Any,
    ) -> str:
        """GET a non-JSON resource as text (e.g. a kubeconfig's YAML, which pydo's own
        ``kubernetes.get_kubeconfig`` cannot decode): the operation's path template filled
        with checked, encoded values; same gate, pipeline, auth and retries."""
        known = get_operation(operation)
        if known is None or known.method != "GET":
            raise Refused(f"Refused: {operation} is not a known read.")
        url = fill(known.path, path)
        await self.gate(self, operation, {**path, **query})
        work = partial(self._get_text_sync, url, query)
        deadline = (self._request_seconds(), "GET")
        return await _off_loop(work, subject, None, deadline, self._limits, operation)

    def _get_text_sync(self, path: str, query: dict[str, Any]) -> str:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        request = HttpRequest("GET", path, params={k: v for k, v in query.items() if v is not None})
        try:
            response = self.client.send_request(request, stream=True)
            response.read()
        except AzureError as exc:
            raise self._scrubbed(error_from_exception(exc, self.rate_limit.last, "GET")) from None
        if response.status_code >= 300:
            raise self._scrubbed(
                error_from_body(
                    response.status_code, body_of(response), response.headers, self.rate_limit.last
                )
            )
        return response.text()

    def _scrubbed(self, error: DOError) -> DOError:
        """The error without the token, should the API's error body echo request headers."""
        token = self.settings.token
        if token and token in error.message:
            error.message = error.message.replace(token, "<token>")
        return error

    async def list_page(
        self, operation: str, key: str, *, page: int = 1, per_page: int = 20, **filters: Any
    ) -> Page:
        """One page of a list operation; ``key`` names the list in the body ("droplets")."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        body = await self.call(operation, page=page, per_page=per_page, **filters)
        return page_from_body(body or {}, key, page, per_page)

    async def list_all(
        self, operation: str, key: str, *, cap: int | None = None, **filters: Any
    ) -> Page:
        """Every item (up to ``cap``), fetching 200 a page; pages after the first concurrently."""
        cap = cap or self.settings.all_pages_cap
        first = await self.list_page(operation, key, page=1, per_page=MAX_PER_PAGE, **filters)
        pages: dict[int, list[dict[str, Any]]] = {1: first.items}

        async def fetch(number: int, limiter: anyio.CapacityLimiter) -> None:
            async with limiter:
                result = await self.list_page(
                    operation, key, page=number, per_page=MAX_PER_PAGE, **filters
                )
                pages[number] = result.items

        limiter = anyio.CapacityLimiter(_PAGE_CONCURRENCY)
        async with anyio.create_task_group() as group:
            for number in remaining_pages(first, cap):
                group.start_soon(fetch, number, limiter)
        items = [item for number in sorted(pages) for item in pages[number]][:cap]
        total = first.total if first.total is not None else len(items)
        more = total > len(items)
        return Page(items, total, 1, len(items), more, None)

    async def list_catalog(self, operation: str, key: str) -> Page:
        """``list_all`` of a catalog that changes rarely (sizes), kept ``CATALOG_SECONDS``: a
        create's plan and the policy pricing it read it once between them, not twice."""
        now = time.monotonic()
        kept = self._catalog.get((operation, key))
        if kept is None or now - kept[0] > CATALOG_SECONDS:
            kept = (now, await self.list_all(operation, key))
            self._catalog[(operation, key)] = kept
        return kept[1]

    async def wait_for_action(
        self, action_id: int, *, timeout: float | None = None, progress: Progress | None = None
    ) -> Waited:
        """Poll ``/v2/actions/{id}`` until it is completed or errored, or the timeout passes."""

        async def fetch() -> dict[str, Any]:
            body = await self.call(
                "actions.get", action_id=action_id, subject=f"action {action_id}"
            )
            return body["action"]

        return await self.wait_until(
            fetch, action_finished, describe_action, timeout=timeout, progress=progress
        )

    async def wait_until(
        self,
        fetch: Callable[[], Awaitable[dict[str, Any]]],
        is_done: Callable[[dict[str, Any]], bool],
        describe: Callable[[dict[str, Any]], str],
        *,
        timeout: float | None = None,
        progress: Progress | None = None,
    ) -> Waited:
        """Poll any resource until ``is_done`` (e.g. a droplet's status is ``active``), for
        ``timeout`` seconds or what is left of the call's budget, whichever ends first."""
        timeout = self.settings.wait_timeout if timeout is None else timeout
        left = self.remaining()
        if left is not None:
            timeout = max(0.0, min(timeout, left - WAIT_MARGIN))
        return await poll_until(
            fetch,
            is_done,
            describe,
            timeout=timeout,
            interval=self.settings.poll_interval,
            progress=progress or self.progress,
        )


class _Limits:
    """How many API calls run at once: ``threads`` in all, ``per_operation`` of one operation.

    Calls over a limit wait their turn on the event loop, not in a thread, and the wait counts
    against their deadline: 45 calls stuck on one slow endpoint hold at most ``per_operation``
    threads, and a call to any other endpoint still finds a thread.
    """

    def __init__(self, threads: anyio.CapacityLimiter, per_operation: int) -> None:
        self.threads = threads
        self._per_operation = per_operation
        self._operations: dict[str, anyio.CapacityLimiter] = {}

    @contextlib.asynccontextmanager
    async def slot(self, operation: str) -> AsyncIterator[anyio.CapacityLimiter]:
        """Hold a place for one call of ``operation``; yields the thread limiter to run it."""
        limiter = self._operations.setdefault(operation, anyio.CapacityLimiter(self._per_operation))
        try:
            async with limiter:
                yield self.threads
        finally:
            if limiter.borrowed_tokens == 0 and limiter.statistics().tasks_waiting == 0:
                self._operations.pop(operation, None)


async def _off_loop(
    work: Callable[[], Any],
    subject: str | None,
    lookup_hint: str | None,
    deadline: tuple[float, str],
    limits: _Limits,
    operation: str,
) -> Any:
    """Run a blocking pydo call in a worker thread, retries included, within one overall
    deadline (seconds, HTTP method) and the concurrency limits; name its subject in any
    DOError."""
    seconds, method = deadline
    began = threading.Event()

    def run() -> Any:
        began.set()
        return work()

    try:
        with anyio.fail_after(seconds):
            async with limits.slot(operation) as threads:
                return await anyio.to_thread.run_sync(run, abandon_on_cancel=True, limiter=threads)
    except TimeoutError:
        if not began.is_set():
            reason = f"{seconds:.0f} s passed waiting behind other calls of {operation}"
            raise DOError(None, "busy", reason, subject=subject) from None
        reason = f"no answer within {seconds:.0f} s, retries included"
        sent = method not in ("GET", "HEAD")
        raise DOError(None, "timeout", reason, subject=subject, may_have_happened=sent) from None
    except DOError as error:
        error.subject = error.subject or subject
        error.lookup_hint = error.lookup_hint or lookup_hint
        raise


def preload() -> None:
    """Import pydo and build one throwaway client (its operation groups import lazily), so the
    first tool call after a start does not pay ~150 ms for it. ``serve`` runs this in a
    background thread as it starts (over HTTP it listens once this is done); a call arriving
    meanwhile waits on Python's import lock, no longer."""
    import pydo
    import requests  # noqa: F401  (the transport's, imported on its first request otherwise)

    pydo.Client(token="preload")


class _LazyClient:
    """Builds the pydo client once, on first use (importing pydo costs ~100 ms)."""

    def __init__(self, settings: Settings, tracker: RateLimitTracker) -> None:
        self._settings = settings
        self._tracker = tracker
        self._lock = threading.Lock()
        self._client: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                from ._client import build_client

                s = self._settings
                self._client = build_client(
                    token=s.token,
                    endpoint=s.api_url,
                    tracker=self._tracker,
                    connect_timeout=s.connect_timeout,
                    read_timeout=s.read_timeout,
                    retry_total=s.retry_total,
                    retry_backoff=s.retry_backoff,
                    max_retry_wait=s.max_retry_wait,
                    connections=s.api_threads,
                )
            return self._client
