"""Building the pydo client: endpoint, auth, timeouts, retries, header tracking."""

from __future__ import annotations

import logging
from typing import Any

from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline.policies import (
    AzureKeyCredentialPolicy,
    RedirectPolicy,
    SansIOHTTPPolicy,
)

from ._ratelimit import RateLimitTracker
from ._retry import SafeRetryPolicy

USER_AGENT = "cargoshipper-mcp"


class _TrackHeaders(SansIOHTTPPolicy):
    """Feeds every response (each retry included) to the rate-limit tracker."""

    def __init__(self, tracker: RateLimitTracker) -> None:
        super().__init__()
        self._tracker = tracker

    def on_response(self, request: Any, response: Any) -> None:
        self._tracker.observe(response.http_response.headers)


def build_client(
    *,
    token: str,
    endpoint: str,
    tracker: RateLimitTracker,
    connect_timeout: float,
    read_timeout: float,
    retry_total: int,
    retry_backoff: float,
    max_retry_wait: float,
    connections: int,
) -> Any:
    """A pydo ``Client`` for this token and endpoint.

    The auth policy sends the same ``Authorization: Bearer`` header as pydo's default, but also
    over plain http, which pydo's default refuses (the sandbox and Prism are http on loopback).
    The connection pool holds ``connections``, one per thread that may call at once (requests'
    default of 10 would open and drop a new connection for every call above ten).
    """
    import pydo  # imported here so listing tools never pays for pydo's 100 ms import
    from azure.core.pipeline.transport import RequestsTransport

    # azure-core logs every request and response at INFO; our own log says what matters.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)

    retry = SafeRetryPolicy(
        max_wait=max_retry_wait,
        retry_total=retry_total,
        retry_backoff_factor=retry_backoff,
        retry_backoff_max=8,
    )
    transport = RequestsTransport(
        session=_pooled_session(connections),
        session_owner=True,
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return pydo.Client(
        token=token,
        transport=transport,
        # A redirect is reported, not followed: following one to another host drops the token
        # and reads as "401 invalid token"; following it anywhere else could leak the token.
        redirect_policy=RedirectPolicy(permit_redirects=False),
        endpoint=endpoint.rstrip("/"),
        authentication_policy=AzureKeyCredentialPolicy(
            AzureKeyCredential(token), "Authorization", prefix="Bearer"
        ),
        retry_policy=retry,
        per_retry_policies=[_TrackHeaders(tracker)],
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
        timeout=int(max(read_timeout * 2, 60)),
        user_agent=USER_AGENT,
    )


def _pooled_session(connections: int) -> Any:
    """A requests session keeping up to ``connections`` connections per host, with requests'
    own retries off (as azure-core sets them: its retry policy is the one that retries)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=connections,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return session
