"""When a failed request may be sent again, and how long to wait first.

azure-core's stock policy repeats a POST after a 500/503/504 (a droplet could be created twice)
and sleeps for any ``Retry-After`` without a cap. This policy:

- repeats GET, HEAD, PUT and DELETE on 408, 429 and 5xx answers and on connection errors;
- repeats POST and PATCH only after a 429, which DigitalOcean answers before doing anything;
- waits for ``Retry-After``, else (on a 429) until ``ratelimit-reset``, else backs off
  exponentially; and gives up at once when the wait would exceed ``max_wait`` seconds,
  so a tool call never hangs for an hour on an exhausted budget.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class SafeRetryPolicy(RetryPolicy):
    """Retries that never duplicate a create; see the module docstring."""

    def __init__(self, *, max_wait: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_wait = max_wait

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None):
        method = request.method.upper()
        if method in _IDEMPOTENT:
            return True
        return response is not None and response.status_code == 429

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse) -> bool:
        http_response = response.http_response
        status = http_response.status_code
        if status < 400 or status not in self._retry_on_status_codes:
            return False
        if not self._is_method_retryable(settings, response.http_request, http_response):
            return False
        wait = self.get_retry_after(response)
        if wait is not None and wait > self.max_wait:
            return False
        return settings["total"] > 0

    def get_retry_after(self, response: PipelineResponse) -> float | None:
        wait = super().get_retry_after(response)
        if wait is not None:
            return wait
        http_response = response.http_response
        if http_response.status_code != 429:
            return None
        reset = http_response.headers.get("ratelimit-reset")
        try:
            return max(0.5, float(reset) - time.time()) if reset else None
        except ValueError:
            return None
