"""Building the pydo client: endpoint, auth, timeouts, retries, header tracking."""

from __future__ import annotations

import os
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

    The pipeline holds only the policies that act here: pydo's default adds request-id, custom
    header and hook, proxy (the session has the proxies), tracing and two logging policies,
    a fifth of each call's CPU for nothing this server uses.
    """
    import pydo  # imported here so listing tools never pays for pydo's 100 ms import
    from azure.core.pipeline.policies import ContentDecodePolicy, UserAgentPolicy
    from azure.core.pipeline.transport import RequestsTransport

    retry = SafeRetryPolicy(
        max_wait=max_retry_wait,
        retry_total=retry_total,
        retry_backoff_factor=retry_backoff,
        retry_backoff_max=8,
    )
    transport = RequestsTransport(
        session=_pooled_session(connections, endpoint),
        session_owner=True,
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    policies = [
        UserAgentPolicy(user_agent=USER_AGENT, sdk_moniker=f"pydo/{pydo._version.VERSION}"),
        ContentDecodePolicy(),  # error bodies, for azure-core's errors
        # A redirect is reported, not followed: following one to another host drops the token
        # and reads as "401 invalid token"; following it anywhere else could leak the token.
        RedirectPolicy(permit_redirects=False),
        retry,
        _TrackHeaders(tracker),  # after the retry policy: sees every attempt's answer
        AzureKeyCredentialPolicy(AzureKeyCredential(token), "Authorization", prefix="Bearer"),
    ]
    return pydo.Client(
        token=token,
        transport=transport,
        policies=policies,
        endpoint=endpoint.rstrip("/"),
        connection_timeout=connect_timeout,
        read_timeout=read_timeout,
        timeout=int(max(read_timeout * 2, 60)),
    )


def _pooled_session(connections: int, endpoint: str) -> Any:
    """A requests session keeping up to ``connections`` connections per host, with requests'
    own retries off (as azure-core sets them: its retry policy is the one that retries).

    The environment's proxy and CA settings (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...)
    are read once, here, for the one endpoint this client calls: requests would otherwise
    re-read and re-parse the whole environment on every request (a third of a call's CPU).
    """
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import get_environ_proxies
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.proxies = get_environ_proxies(endpoint)
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=connections,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return session
